package kernel

import (
	"fmt"
	"strings"

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
	// Set turns the switch on in b.
	Set func(b *Bugs)
	// On reports whether the switch is on in b.
	On func(b *Bugs) bool
}

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
			Set: func(b *Bugs) { b.UserWaitIgnoresTWASignal = true },
			On:  func(b *Bugs) bool { return b.UserWaitIgnoresTWASignal },
		},
		{
			Name:     "IOWQCheckOutsideLock",
			Fix:      "87df7fb922d1 (io-wq: fix wakeup race when adding new work)",
			Affected: "Linux 5.12 to 5.14 (the io-wq rewrite; lower bound unverified)",
			Mechanism: "io_wqe_enqueue inserted the work under the wqe lock, released the lock, and only " +
				"then read nr_running to decide whether to wake or create a worker. The last running " +
				"worker could take the lock in between, find its list empty, drop nr_running to 0 and " +
				"sleep; the enqueuer, having read the old non-zero count, woke nobody. The work waits " +
				"unserved until the sleeping worker's idle timeout (or forever on kernels where the " +
				"timeout does not look at the list).",
			Set: func(b *Bugs) { b.IOWQ.IOWQCheckOutsideLock = true },
			On:  func(b *Bugs) bool { return b.IOWQ.IOWQCheckOutsideLock },
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
			Set: func(b *Bugs) { b.SQPoll.SQPollNoFence = true },
			On:  func(b *Bugs) bool { return b.SQPoll.SQPollNoFence },
		},
		{
			Name:     "NoTaskWorkWake",
			Fix:      "78f9b61bd8e5 (io_uring: wake SQPOLL task when task_work is added to an empty queue)",
			Affected: "Linux 6.9 development (after af5d68f8892f, before the fix)",
			Mechanism: "With SQPOLL the poll thread runs its task work in its own loop, reaping it with a " +
				"bounded budget, and task_work_add no longer woke it when the retry list was empty. Task " +
				"work queued while the thread slept on its waitqueue (a device completion, an io-wq " +
				"completion) waited for an unrelated wakeup: completions stall while the thread idles.",
			Set: func(b *Bugs) { b.SQPoll.NoTaskWorkWake = true },
			On:  func(b *Bugs) bool { return b.SQPoll.NoTaskWorkWake },
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
