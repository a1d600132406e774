package kernel

import (
	"fmt"
	"strings"

	"github.com/uringsim/uringsim/iowq"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/sqpoll"
)

// Bugs switches museum bugs back on: each field re-creates one fixed bug in
// the code path where it lived. The zero value (every switch off) is Linux
// 6.18. Set Kernel.Bugs before the first ring is created; the switches are
// read where the mechanism runs, so off costs one predictable branch.
type Bugs struct {
	// IOWQ are the io-wq's own switches (passed to every io-wq created).
	IOWQ iowq.Bugs
	// SQPoll are the SQPOLL thread's switches (passed to every io_sq_data).
	SQPoll sqpoll.Bugs
	// UserWaitIgnoresTWASignal brings back the simulator's own lost
	// task-work notification: a task blocked in user space (a futex wait, a
	// nanosleep) sleeps through task_work added with TWA_SIGNAL instead of
	// being interrupted to run it on its way back to user space. An io-wq
	// worker that adds the first item to an idle task's list (queuing the
	// tctx task_work) after the task's own last return to user space then
	// leaves the item, and every item added behind it, unrun.
	UserWaitIgnoresTWASignal bool
	// CQOverflowDirectPost (M1): a new CQE goes straight into a CQ slot
	// the program freed while older CQEs still wait on the overflow list
	// (io_cqe_cache_refill before aa1df3a360a0).
	CQOverflowDirectPost bool
	// TimeoutFlushSeqEqual (M5): io_flush_timeouts fires a count timeout
	// only when the completion count equals its target, so a batch that
	// jumps past the target leaves it to its timer.
	TimeoutFlushSeqEqual bool
	// TimeoutCancelNoFail (M8): a timeout cancelled by TIMEOUT_REMOVE
	// completes with -ECANCELED without REQ_F_FAIL, so its link runs
	// (io_timeout_cancel before 2ae2eb9dde18).
	TimeoutCancelNoFail bool
	// MsgRingNoFail (M8): a failed MSG_RING completes without REQ_F_FAIL,
	// so its link runs.
	MsgRingNoFail bool
	// SpuriousDrainFlush (M4b): io_queue_deferred checks only whether the
	// first deferred request is itself a drain, so a non-drain request
	// queued behind a drain still in flight is issued at once (before
	// fde04c7e2775).
	SpuriousDrainFlush bool
	// LocalWorkLIFO (A5): DEFER_TASKRUN task work runs in the order the
	// lock-free list holds it, newest first, instead of reversed to
	// arrival order.
	LocalWorkLIFO bool
	// PollAddNoFail (M8): a POLL_ADD whose arming fails posts the error
	// as its result without REQ_F_FAIL, so its link runs.
	PollAddNoFail bool
	// MultishotAcceptOverflow (A11): a multishot ACCEPT posts its F_MORE
	// CQEs through io_post_aux_cqe with overflow allowed, so it never
	// stops on a full CQ.
	MultishotAcceptOverflow bool
	// NetPartialNoCommit (M12): a send or receive that moved part of its
	// data and retries keeps its ring buffer uncommitted, so another
	// request can select the same buffer.
	NetPartialNoCommit bool
	// PollTWStaleMask (M3's relative): poll task work that consumed
	// several wakeups reports the first wakeup's events instead of
	// polling the file again.
	PollTWStaleMask bool
	// MultishotRecvHUPLost (M3): poll task work that reissued a
	// multishot request drops every wakeup reference it found, even when
	// the file had hung up, so a hang-up that came with the data is
	// never looked at again (io_poll_check_events before a68ed2df7213).
	MultishotRecvHUPLost bool
	// CQWakeNoFence (M10): the CQ poster checks for sleepers on cq_wait
	// before its CQ tail store is visible (the smp_mb() lost in a 6.1.y
	// backport), so a waiter that queued itself in between and read the
	// old tail is not woken.
	CQWakeNoFence bool
	// LiburingSQPollPlainTail (A8, a liburing bug): io_uring_flush_sq
	// publishes an SQPOLL ring's SQ tail with a plain store
	// (IO_URING_WRITE_ONCE) and keeps the release store for rings without
	// SQPOLL, the condition reversed (liburing e9209a3c6053, fixed by
	// cc017021ed50). The user side reads it (uring.Ring's FlushSQ, in
	// the weak-memory SQ mode, where a plain store can pass the SQE's).
	LiburingSQPollPlainTail bool
}

// ReqPostAuxCQE posts an F_MORE CQE of req as io_post_aux_cqe does,
// overflowing it when the CQ is full (the MultishotAcceptOverflow
// switch's path; it always reports true).
// Linux: io_uring/io_uring.c:io_post_aux_cqe()
func ReqPostAuxCQE(t *sim.Thread, req *Req, res int32, cflags uint32) bool {
	return req.ctx.postAuxCQE(t, req.cqe.userData, res, cflags)
}

// ReqBugs are the museum switches of the kernel req runs on (for the
// opcode packages, whose mechanisms some switches change).
func ReqBugs(req *Req) *Bugs { return &req.ctx.k.Bugs }

// BugInfo describes one museum switch: the bug it brings back, where it was
// fixed, which versions had it, and how it breaks.
type BugInfo struct {
	// Name is the switch's name on the command line (--bug=NAME), the
	// name of its field.
	Name string
	// Fix is the fixing commit and its title.
	Fix string
	// Affected are the versions that had the bug.
	Affected string
	// Mechanism is a paragraph on how the bug breaks.
	Mechanism string
	// Budget is the number of seeds (1..Budget) within which the switch's
	// scenario, testdata/museum/NAME.scn, fails with the switch on; with
	// it off the scenario passes on every one of them.
	Budget int
	// Symptom is a piece of the failure that shows the historical
	// symptom (the CQE that comes out wrong, or the one that never comes).
	Symptom string
	// Switch is the switch's field in b.
	Switch func(b *Bugs) *bool
}

// Set turns the switch on in b.
func (m BugInfo) Set(b *Bugs) { *m.Switch(b) = true }

// On reports whether the switch is on in b.
func (m BugInfo) On(b *Bugs) bool { return *m.Switch(b) }

// Museum lists every switch of Bugs, in the order `uringsim bugs` prints
// them.
func Museum() []BugInfo {
	return []BugInfo{
		{
			Name:     "UserWaitIgnoresTWASignal",
			Fix:      "uringsim 8f83579 (kernel: a task idle in user space is interrupted by TWA_SIGNAL task work and runs it)",
			Affected: "uringsim before 8f83579 (a simulator bug; Linux never had it)",
			Mechanism: "task_work_add(TWA_SIGNAL) sets TIF_NOTIFY_SIGNAL and kicks the target wherever it " +
				"sleeps: a futex wait or nanosleep returns -ERESTARTSYS, exit_to_user_mode_loop runs the " +
				"work and the wait restarts. The simulator's user-space waits once slept through it. An " +
				"io-wq worker adding the first item to an idle task's tctx list (the only one that " +
				"notifies) after the task's last return to user space left that item, and every item " +
				"the task queued behind it, unrun: a linked request never completes.",
			Budget:  4000,
			Symptom: "with task_work queued (tctx_task_work for ", // the liveness check's report
			Switch:  func(b *Bugs) *bool { return &b.UserWaitIgnoresTWASignal },
		},
		{
			Name: "IOWQCheckOutsideLock",
			Fix:  "87df7fb922d1 (io-wq: fix wakeup race when adding new work; Jens Axboe, Aug 2021, Cc stable)",
			Affected: "Linux before 5.15: the fix came in the for-5.15/io_uring pull of 30 August 2021 (5.15-rc1) and " +
				"went to the stable trees, 5.10.y among them (after 5.10.66), so 5.10 had the bug too; the first " +
				"release with the check outside the lock is unverified",
			Mechanism: "io_wqe_enqueue inserted the work under the wqe lock, released the lock, and only " +
				"then read nr_running to decide whether to wake or create a worker. The last running " +
				"worker could take the lock in between, find its list empty, drop nr_running to 0 and " +
				"sleep; the enqueuer, having read the old non-zero count, woke nobody. The work waits " +
				"unserved until the sleeping worker's idle timeout (or forever on kernels where the " +
				"timeout does not look at the list).",
			Budget:  1000,
			Symptom: "io-wq of main[1]: 1 bound work item(s) queued, runnable, while 1 free worker(s) sleep and none runs", // the liveness check's report
			Switch:  func(b *Bugs) *bool { return &b.IOWQ.IOWQCheckOutsideLock },
		},
		{
			Name:     "SQPollNoFence",
			Fix:      "649bb75d19c9 (io_uring: fix memory ordering when SQPOLL thread goes to sleep)",
			Affected: "Linux before 5.18",
			Mechanism: "The SQPOLL thread stores IORING_SQ_NEED_WAKEUP and re-reads the SQ tail before it " +
				"sleeps; the application stores the tail and reads the flags to decide whether to enter " +
				"with IORING_ENTER_SQ_WAKEUP. Without a full barrier between the flag store and the tail " +
				"load (a Dekker pattern), the load can be satisfied before the store is visible: the " +
				"application sees NEED_WAKEUP clear and does not enter, the thread sees no new entry and " +
				"sleeps. The entries stay in the SQ ring until an unrelated wakeup.",
			Budget:  100,
			Symptom: "sleeps with NEED_WAKEUP set and 1 SQE(s) of ctx=1 unconsumed",
			Switch:  func(b *Bugs) *bool { return &b.SQPoll.SQPollNoFence },
		},
		{
			Name:     "NoTaskWorkWake",
			Fix:      "78f9b61bd8e5 (io_uring: wake SQPOLL task when task_work is added to an empty queue)",
			Affected: "Linux 6.9 development (after af5d68f8892f, before the fix)",
			Mechanism: "With SQPOLL the poll thread runs its task work in its own loop, reaping it with a " +
				"bounded budget, and task_work_add no longer woke it when the retry list was empty. Task " +
				"work queued while the thread slept on its waitqueue (a device completion, an io-wq " +
				"completion) waited for an unrelated wakeup: completions stall while the thread idles.",
			Budget:  1,
			Symptom: "expected cqe r ud=1 res=1, got no CQE",
			Switch:  func(b *Bugs) *bool { return &b.SQPoll.NoTaskWorkWake },
		},
		{
			Name:     "CQOverflowDirectPost",
			Fix:      "aa1df3a360a0 (io_uring: fix CQE reordering)",
			Affected: "Linux from the overflow list's introduction (about 5.5) to 6.0; fixed in 6.1 and 6.0.y",
			Mechanism: "When the CQ ring is full, completions go to the overflow list and are flushed back " +
				"only on some paths (a GETEVENTS wait, the ring's poll). io_cqe_cache_refill handed out " +
				"any free CQ slot, without looking at the overflow bit: once the program reaped a CQE, " +
				"a new completion was written straight into the ring while older CQEs still sat on the " +
				"overflow list, so the program saw the newer CQE first (1, 2, 4, 3 for four NOPs on a " +
				"two-entry CQ). The fix makes every post go through the overflow list while " +
				"IO_CHECK_CQ_OVERFLOW is set.",
			Budget:  1,
			Symptom: "expected cqe r ud=3 res=0, got cqe r ud=4 res=0",
			Switch:  func(b *Bugs) *bool { return &b.CQOverflowDirectPost },
		},
		{
			Name: "TimeoutFlushSeqEqual",
			Fix:  "f010505b78a4 (io_uring: flush timeouts that should already have expired)",
			Affected: "Linux 5.5 to 5.10: fixed in mainline in mid-January 2021, during the 5.11 release candidates, and " +
				"queued for 5.10.y on 26 January 2021 (as 802e2bd32fcd; not in 5.4.y's queue of that day). The equality " +
				"test dates from IORING_OP_TIMEOUT itself (5.4, io_get_timeout_req); which releases before 5.5 had a " +
				"completion batch that jumps it is unverified",
			Mechanism: "A TIMEOUT with off=N completes with 0 once N other CQEs were posted after it. " +
				"io_flush_timeouts, run when completions are committed, compared the number of CQEs " +
				"posted (less the timeouts') with the timeout's target for equality. When several " +
				"completions were committed in one batch the count jumped past the target, the " +
				"equality never held, and the timeout waited for its timer instead: -ETIME after the " +
				"full timespec (or never, for a huge one) instead of 0 at once. The fix compares how " +
				"many events were needed and how many arrived since the last flush.",
			Budget:  1,
			Symptom: "got cqe r ud=1 res=-ETIME",
			Switch:  func(b *Bugs) *bool { return &b.TimeoutFlushSeqEqual },
		},
		{
			Name:     "TimeoutCancelNoFail",
			Fix:      "2ae2eb9dde18 (io_uring: fail links of cancelled timeouts)",
			Affected: "Linux before 5.15 (fixed in 5.15-rc1, backported to 5.10.y)",
			Mechanism: "A TIMEOUT can head a link. Cancelled by TIMEOUT_REMOVE (io_timeout_cancel) it " +
				"completed with -ECANCELED but was not marked REQ_F_FAIL, so the link machinery took it " +
				"for a success and issued the next request: the request linked behind a cancelled " +
				"timeout ran (its side effect happened, its CQE had a real result) instead of " +
				"completing with -ECANCELED. The fix calls req_set_fail() before posting the CQE.",
			Budget:  1,
			Symptom: "cqe r ud=2 res=4",
			Switch:  func(b *Bugs) *bool { return &b.TimeoutCancelNoFail },
		},
		{
			Name:     "MsgRingNoFail",
			Fix:      "9666d4206e9a (io_uring: fail links if msg-ring doesn't succeeed)",
			Affected: "Linux 5.18 development (MSG_RING, added in 5.18-rc1, until the fix in 5.18)",
			Mechanism: "IORING_OP_MSG_RING's issue completed with its error (-EBADFD for a descriptor " +
				"that is not a ring, -EOVERFLOW for a full target) without req_set_fail(), so a request " +
				"linked behind a failed message was issued as if the message had been delivered. The " +
				"fix marks the request failed on any error, which cancels the link with -ECANCELED.",
			Budget:  1,
			Symptom: "expected cqe r ud=2 res=-ECANCELED, got cqe r ud=2 res=4",
			Switch:  func(b *Bugs) *bool { return &b.MsgRingNoFail },
		},
		{
			Name:     "SpuriousDrainFlush",
			Fix:      "fde04c7e2775 (io_uring: fix spurious drain flushing)",
			Affected: "Linux before 6.16 (fixed in the 6.16 merge window)",
			Mechanism: "IOSQE_IO_DRAIN: the drain request starts only after everything submitted " +
				"before it completed, and nothing submitted after it starts before it completes. While " +
				"a drain is active, later requests are parked on the defer list, and io_queue_deferred " +
				"releases them. It asked only whether the entry at the head of the list was itself a " +
				"drain request that must still wait (req_need_defer), so a flush that found a plain " +
				"request first, parked behind a drain request already issued and still in flight, " +
				"issued it at once: the later request completes before the drain request. The fix " +
				"remembers a drain seen in the walk and holds the first entry too.",
			Budget:  1,
			Symptom: "expected no CQE, got cqe r ud=2 res=0",
			Switch:  func(b *Bugs) *bool { return &b.SpuriousDrainFlush },
		},
		{
			Name:     "LocalWorkLIFO",
			Fix:      "3af0356c162c (io_uring: maintain ordering for DEFER_TASKRUN tw list)",
			Affected: "Linux 6.1 (IORING_SETUP_DEFER_TASKRUN's debut) to 6.4 (fixed for 6.5)",
			Mechanism: "With IORING_SETUP_DEFER_TASKRUN, task work for the ring is pushed on a lock-free " +
				"list (llist_add), which is LIFO, and run by the submitter when it waits. " +
				"__io_run_local_work ran the list as llist_del_all returned it, newest first: requests " +
				"that became ready in order 1, 2, 3 (three pipe reads woken by three writes) posted " +
				"their CQEs 3, 2, 1. The fix reverses the list before running it.",
			Budget:  1,
			Symptom: "expected cqe r ud=1 res=1, got cqe r ud=3 res=1",
			Switch:  func(b *Bugs) *bool { return &b.LocalWorkLIFO },
		},
		{
			Name:     "PollAddNoFail",
			Fix:      "c487a5ad4883 (io_uring: fail links when poll fails)",
			Affected: "Linux 5.19 development (after the poll rework, aa43477b0402, until the fix in 5.19)",
			Mechanism: "IORING_OP_POLL_ADD arms the poll through __io_arm_poll_handler, which can fail: a " +
				"file that gives no wait queue and is not ready for the events asked (POLLPRI on a " +
				"regular file) is -EINVAL, a third wait queue too. io_poll_add completed the " +
				"request with that error as a plain result, without req_set_fail(), so a request linked " +
				"behind the failed poll was issued instead of being cancelled with -ECANCELED. The fix " +
				"marks the request failed when arming reports an error.",
			Budget:  1,
			Symptom: "expected cqe r ud=2 res=-ECANCELED, got cqe r ud=2 res=4",
			Switch:  func(b *Bugs) *bool { return &b.PollAddNoFail },
		},
		{
			Name:     "MultishotAcceptOverflow",
			Fix:      "1bfed2334971 (io_uring/net: don't overflow multishot accept)",
			Affected: "Linux 5.19 (multishot accept's debut) to 6.5 (fixed for 6.6, backported to 6.5.y)",
			Mechanism: "A multishot ACCEPT posts one CQE with IORING_CQE_F_MORE per connection and stays " +
				"armed. It posted them with io_post_aux_cqe(..., allow_overflow=true): when the CQ was " +
				"full the CQE went to the overflow list and the request went on accepting, so a " +
				"program that does not reap lets the overflow list (kernel memory) grow without bound, " +
				"and the request never ends. The fix posts without overflow: on a full CQ the " +
				"multishot ends, its last connection in a final CQE without F_MORE (which may " +
				"overflow), and the program re-arms it after reaping.",
			Budget:  1,
			Symptom: "flags=IORING_CQE_F_MORE",
			Switch:  func(b *Bugs) *bool { return &b.MultishotAcceptOverflow },
		},
		{
			Name: "NetPartialNoCommit",
			Fix:  "41b70df5b38b (io_uring/net: commit partial buffers on retry; Jens Axboe, 12 Aug 2025, Cc stable, Fixes c56e022c0a27)",
			Affected: "Linux with ring-provided buffers (c56e022c0a27, 5.19, per the fix's Fixes tag) until the fix, in Linus's " +
				"tree by 15 August 2025 (the 6.17 release candidates) and queued for 6.12.y (6.12-stable review, 26 August " +
				"2025). The code it changed, a partial retry that keeps its buffer with REQ_F_BL_NO_RECYCLE, is 6.12's; " +
				"earlier kernels marked the retry REQ_F_PARTIAL_IO, whose recycle moved the ring head past the buffer " +
				"(42db0c00e275), so the first release with the double hand-out is unverified",
			Mechanism: "A ring-provided buffer is selected at the ring's head and committed (the head moved " +
				"past it) only when the request completes, unless the selection must be committed at " +
				"once. A receive with MSG_WAITALL, or a stream send or receive that moved too little, " +
				"retries after a partial transfer: it kept its buffer across the retry without committing " +
				"it, so a second request on another socket, selecting from the same group, took the same " +
				"buffer and both received into the same memory (two CQEs with one buffer id; the data " +
				"corrupted). The fix commits the partially used buffers before the retry " +
				"(io_net_kbuf_recyle).",
			Budget:  1,
			Symptom: "expected cqe r ud=2 res=4 bid=1, got cqe r ud=2 res=4 flags=IORING_CQE_F_BUFFER bid=0",
			Switch:  func(b *Bugs) *bool { return &b.NetPartialNoCommit },
		},
		{
			Name:     "PollTWStaleMask",
			Fix:      "539bcb57da2f (io_uring: fix tw losing poll events)",
			Affected: "Linux 5.18 (the poll rework, aa43477b0402) to 6.0 (fixed in 6.1, Cc stable)",
			Mechanism: "A poll wakeup that takes ownership of the request stores the wakeup's events in " +
				"req->cqe.res and queues task work; later wakeups only add a reference. " +
				"io_poll_check_events used the stored events whenever they were set, even when the " +
				"references showed that more wakeups had come in, so the events of every wakeup but " +
				"the first were never seen: a multishot poll for POLLIN|POLLRDHUP woken by data and " +
				"then by the peer's shutdown posts POLLIN alone, and, edge-triggered, never reports " +
				"the hang-up. The fix polls the file again when more than one reference was taken.",
			Budget:  1,
			Symptom: "expected cqe r ud=1 res=8193 flags=IORING_CQE_F_MORE, got cqe r ud=1 res=1",
			Switch:  func(b *Bugs) *bool { return &b.PollTWStaleMask },
		},
		{
			Name:     "MultishotRecvHUPLost",
			Fix:      "a68ed2df7213 (io_uring/poll: fix multishot recv missing EOF on wakeup race; CVE-2026-23473)",
			Affected: "Linux 6.0 (fast poll for multishot, dbc2564cfe0f) to 6.19; fixed in 7.0 and backported to stable (6.18.y has it)",
			Mechanism: "A multishot RECV waits on an internal poll. Each wakeup takes a poll reference; the " +
				"first also queues task work, and io_poll_check_events, run by it, polls the socket, " +
				"issues the receive and then drops every reference it found. When the peer's data and " +
				"its shutdown both woke the poll before the task work ran (two references), the receive " +
				"took the data, all references were dropped, and the loop ended: the hang-up, a state " +
				"rather than a new edge, never woke the poll again, so the final CQE (res 0, no F_MORE) " +
				"never came and the program waits for ever. The fix keeps one reference when the mask " +
				"shows a hang-up and more than one wakeup was pending, so the loop polls once more.",
			Budget:  1,
			Symptom: "armed poll ctx=1 req=1 user_data=0x1 IORING_OP_RECV: its file is ready", // the liveness check's report
			Switch:  func(b *Bugs) *bool { return &b.MultishotRecvHUPLost },
		},
		{
			Name: "CQWakeNoFence",
			Fix:  "io_uring: fix waiters missing wake ups (Pavel Begunkov, Jan 2025, 6.1.y only: it restores the smp_mb of upstream 3181e22fb799, io_uring: wake up optimisations, that the 6.1.y backport 3ab9326f93ec dropped)",
			Affected: "Linux 6.1.120 (where the backport 3ab9326f93ec landed) until the fix, queued for 6.1.y in the 6.1-stable " +
				"review of 30 January 2025 (the release that took it is unverified); mainline never had it (its 3181e22fb799 has the barrier)",
			Mechanism: "A completer posting a CQE stores the CQ tail and then checks locklessly whether " +
				"anyone sleeps on cq_wait (wq_has_sleeper: smp_mb, then waitqueue_active); a waiter in " +
				"io_cqring_wait queues itself on cq_wait and then re-reads the tail. The 6.1.y backport " +
				"of the wake-up optimisations dropped the barrier, so the sleeper check could be " +
				"satisfied before the tail store was visible: the completer saw no sleeper, the waiter " +
				"saw no new CQE, and io_uring_enter(GETEVENTS) slept with the CQE in the ring (the " +
				"MariaDB hangs of Debian bug 1093243).",
			Budget:  1000,
			Symptom: "main[1] sleeps in io_cqring_wait on ctx=1 though the CQEs it waits for are there", // the liveness check's report
			Switch:  func(b *Bugs) *bool { return &b.CQWakeNoFence },
		},
		{
			Name:     "LiburingSQPollPlainTail",
			Fix:      "liburing cc017021ed50 (src/queue: fix reversed check for SQPOLL; Jens Axboe, 19 Oct 2022, liburing issue #694)",
			Affected: "liburing's development tree from e9209a3c6053 (23 Sep 2022) to the fix (19 Oct 2022); no release had it (both are in liburing 2.3)",
			Mechanism: "The program fills an SQE with plain stores and publishes it by storing sq.tail; an SQPOLL " +
				"thread polling the ring on another CPU loads the tail (smp_load_acquire) and then reads the " +
				"SQE, so the tail store must be a release (io_uring_smp_store_release) for the SQE stores to be " +
				"visible first. e9209a3c6053 dropped the release where a system call orders the stores anyway (no " +
				"SQPOLL) but reversed the test: __io_uring_flush_sq used IO_URING_WRITE_ONCE for SQPOLL rings, the " +
				"one case that needs the release. On a weakly ordered CPU (arm64, POWER) the SQ thread could see " +
				"the new tail before the SQE it covers and submit the slot's stale contents.",
			Budget:  100,
			Symptom: "expected cqe r ud=2 res=0, got cqe r ud=0 res=0",
			Switch:  func(b *Bugs) *bool { return &b.LiburingSQPollPlainTail },
		},
	}
}

// ParseBugs turns a comma-separated list of switch names (Museum's Name,
// case-insensitive) into Bugs; an empty list is all off.
func ParseBugs(list string) (Bugs, error) {
	var b Bugs
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		found := false
		for _, m := range Museum() {
			if strings.EqualFold(m.Name, name) {
				m.Set(&b)
				found = true
				break
			}
		}
		if !found {
			return Bugs{}, fmt.Errorf("unknown bug %q (uringsim bugs lists them)", name)
		}
	}
	return b, nil
}

// String lists the switches that are on, comma-separated (ParseBugs'
// input), or "" when all are off.
func (b Bugs) String() string {
	var on []string
	for _, m := range Museum() {
		if m.On(&b) {
			on = append(on, m.Name)
		}
	}
	return strings.Join(on, ",")
}
