// Package ringcheck checks the global invariants of io_uring on the stream
// a program sees: the SQEs it publishes, the CQEs it consumes, and the CQ
// ring's head and tail. They hold for every correct program on every
// kernel, whatever the schedule, so uringsim explore checks them on every
// run besides a scenario's own expectations, and package uringtest checks
// them on a user's rings:
//
//   - every submitted SQE completes exactly once: one terminal CQE (one
//     without IORING_CQE_F_MORE), preceded by any number of F_MORE CQEs
//     (multishot, or a zero-copy send before its IORING_CQE_F_NOTIF
//     notification), and none after it. An SQE with
//     IOSQE_CQE_SKIP_SUCCESS, and the members of a chain behind one, may
//     post none. A CQE no SQE in flight is waiting for (a duplicate, or
//     one that survived a lost one) is a violation; so is a request that
//     has finished in the kernel without its CQE (Stream.Finish).
//   - the CQ ring's tail only moves forward, never more than the CQ's
//     size ahead of its head, and the head only forward (the program's
//     own store, checked so that a bad program is told apart from a bad
//     kernel); so no CQE is lost or duplicated across an overflow;
//   - the members of a chain (IOSQE_IO_LINK, IOSQE_IO_HARDLINK) complete
//     in chain order: a member's first CQE comes after the first CQE of
//     the member before it. An IORING_OP_LINK_TIMEOUT is left out (its
//     CQE races its target's), and so is a chain the program's batches or
//     the kernel's consumption split (the kernel ends a chain at the end
//     of a submission).
//
// A Checker holds one Stream per ring; Watch attaches one to a uring.Ring
// (uring.Observer), and the methods of Stream take the same events by
// hand (tests feed them bad streams). No check yields to the simulator's
// scheduler, so checking does not change the schedules a seed gives.
//
// Deadlocks, panics and kernel invariant violations (WARN_ON_ONCE) are
// the runner's to report (the simulator reports them, see package
// scenario); Violation only covers what the streams show.
package ringcheck
