// Package rings is the io_uring ABI exactly as Linux 6.18 defines it: every
// constant of include/uapi/linux/io_uring.h under its uapi spelling, the
// structures of that header with their byte layout (SQE, CQE, io_uring_params
// and the register/enter arguments), the layout of struct io_rings as
// rings_size() computes it, acquire/release accessors for the shared ring
// memory, and name tables for printing and parsing constants and errnos.
//
// Both sides use this package: the simulated kernel and the user side
// (liburing-style code, scenarios, the host backend). Nothing here allocates
// per ring access, and nothing here trusts what user space wrote into shared
// memory: every index into ring memory is masked with the ring mask the kernel
// chose, never with one read back from the mapping.
//
// Constants are untyped, so they convert to whatever width the field holding
// them has (sqe->flags is a __u8, cqe->flags a __u32, ...).
//
// Linux: include/uapi/linux/io_uring.h
package rings
