package kernel

import (
	"github.com/uringsim/uringsim/iowq"
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
}
