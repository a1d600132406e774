package kernel

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/iowq"
	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// Kernel is one simulated machine's kernel: the world it runs in, the op
// table every ring uses, and the counters that give objects stable IDs.
type Kernel struct {
	World *sim.World
	table *OpTable

	// MemlockLimit is RLIMIT_MEMLOCK in bytes for accounted pinning; 0 is
	// unlimited (the simulator runs as if CAP_IPC_LOCK were held).
	MemlockLimit int64

	// Bugs switches museum bugs on (all off: Linux 6.18).
	Bugs Bugs

	nextCtxID  atomic.Uint64
	nextFileID atomic.Uint64
	nextProcID atomic.Uint64
	warnings   atomic.Int64
	tmpfs      atomic.Pointer[vfs.Tmpfs] // the root file system, made on first use (kernel/namei.go)
	ns         vfs.Namespace             // where path names resolve, if not the tmpfs (kernel/namei.go)
	futex      futexHash                 // kernel/futex.go
	tasklist   sim.SpinLock              // tasklist_lock: process parents, children and exit states (kernel/exit.go)
	net        vfs.NetStack              // the network namespace, if any (kernel/net.go)
	live       liveSet                   // rings, tasks and waiters for the quiescence check (kernel/liveness.go)
}

// New returns a kernel running in w with the op table t, after checking the
// table as io_uring_optable_init does. A malformed table is a programming
// error and panics.
// Linux: io_uring/opdef.c:io_uring_optable_init()
func New(w *sim.World, t *OpTable) *Kernel {
	t.check()
	k := &Kernel{World: w, table: t}
	k.liveInit()
	return k
}

// NewFileID hands out a stable file identity (for traces and io-wq hashing).
func (k *Kernel) NewFileID() uint64 { return k.nextFileID.Add(1) }

// Process is a simulated process: an address space and a descriptor table
// shared by its tasks.
type Process struct {
	K     *Kernel
	MM    *mm.AddressSpace
	Files vfs.FDTable
	ID    uint64

	sig   procSignal   // parent, children, exit state (kernel/exit.go)
	tasks atomic.Int32 // tasks bound to the process; from the second, they share Files
}

// NewProcess creates a process with an empty address space and
// descriptors 0, 1 and 2 open on /dev/null, as a program usually starts,
// so the descriptors it creates are numbered as on the host.
func (k *Kernel) NewProcess(t *sim.Thread) *Process {
	p := &Process{K: k, MM: k.newMM(), ID: k.nextProcID.Add(1)}
	for _, flags := range []uint32{unix.O_RDONLY, unix.O_WRONLY, unix.O_WRONLY} {
		p.Files.Install(t, vfs.NewNull(k.NewFileID(), flags))
	}
	return p
}

// newMM returns a process's empty address space: one changed in place in a
// deterministic world, where no access races another.
func (k *Kernel) newMM() *mm.AddressSpace {
	if k.World.Deterministic() {
		return mm.NewSerial()
	}
	return mm.New()
}

// Task is a task_struct as io_uring sees it: the sim thread that runs it,
// its process, its io_uring context (current->io_uring) and its task_work
// list.
type Task struct {
	Thread *sim.Thread
	Proc   *Process

	ioUring   *Tctx
	taskWorks sim.LList // struct callback_head list: task->task_works
	exiting   bool      // PF_EXITING
}

// NewTask binds a sim thread to p as one of its tasks.
// Every task after the first shares the descriptor table (its threads are
// CLONE_FILES clones), so fdget then takes references.
func (p *Process) NewTask(t *sim.Thread) *Task {
	if p.tasks.Add(1) > 1 {
		p.Files.Share()
	}
	task := &Task{Thread: t, Proc: p}
	p.K.liveAddTask(task)
	return task
}

// callbackHead is a queued task_work item (struct callback_head).
type callbackHead struct {
	node sim.LLNode
	fn   func(task *Task)
}

// taskWorkAdd queues cb to run in task's context and notifies it as
// TWA_SIGNAL does: an interruptible sleep of the task is ended. Once the
// task has run exit_task_work it takes no more: taskWorkAdd queues
// nothing and returns false (-ESRCH).
// Linux: kernel/task_work.c:task_work_add()
func (task *Task) taskWorkAdd(t *sim.Thread, cb *callbackHead) bool {
	cb.node.Item = cb
	if added, _ := task.taskWorks.AddUnlessClosed(t, &cb.node); !added {
		return false
	}
	task.Thread.WakeUp(t)
	return true
}

// fput drops a file reference the task holds. The last reference's
// release (__fput) is queued as the task's task_work (TWA_RESUME), which it
// runs before it returns to user space (the SQ thread, in its io_sq_tw), so
// the release never runs under the locks the caller holds: a request's
// file may be the ring itself, whose release takes the ring's locks. Once
// the task has run exit_task_work, it releases at once.
// Differs from Linux: there that release goes to delayed_fput, a kworker.
// Linux: fs/file_table.c:fput(), __fput_deferred()
func (task *Task) fput(f *vfs.File) {
	if !f.Unref() {
		return
	}
	t := task.Thread
	cb := &callbackHead{fn: func(task *Task) { f.Release(task.Thread) }}
	cb.node.Item = cb
	if added, _ := task.taskWorks.AddUnlessClosed(t, &cb.node); !added {
		f.Release(t)
	}
}

// taskWorkPending reports queued task_work (task_work_pending).
func (task *Task) taskWorkPending() bool { return !task.taskWorks.Empty() }

// runTaskWork runs the task's queued task_work in the order it was added,
// repeating until none is left, and returns whether any ran.
// Linux: kernel/task_work.c:task_work_run(); io_uring/io_uring.h:io_run_task_work()
func (task *Task) runTaskWork(t *sim.Thread) bool {
	// READ_ONCE first: an empty list costs a load, not an exchange.
	// LList.First is this yield point and load; written out, the
	// scheduler's fast path inlines here.
	t.Yield()
	if task.taskWorks.Empty() {
		return false
	}
	return task.runTaskWorkList(t)
}

// runTaskWorkList is runTaskWork once the list was seen non-empty.
func (task *Task) runTaskWorkList(t *sim.Thread) bool {
	ran := false
	for {
		n := task.taskWorks.DelAll(t)
		if n == nil {
			return ran
		}
		task.runTaskWorkChain(n)
		ran = true
		if task.taskWorks.First(t) == nil {
			return ran
		}
	}
}

// runTaskWorkChain runs a chain taken off the task_work list (newest
// first) in the order it was added.
func (task *Task) runTaskWorkChain(n *sim.LLNode) {
	for n = sim.Reverse(n); n != nil; {
		next := n.Next
		n.Item.(*callbackHead).fn(task)
		n = next
	}
}

// WaitUser blocks the task in user space until cond holds, as a futex wait
// does (cond is the check of the futex word; the waker makes it true and
// wakes the task's thread). The sleep is interruptible: task_work added
// with TWA_SIGNAL (taskWorkAdd) ends it, runs on the way back to user space
// and the wait is restarted, as futex_wait returning -ERESTARTSYS to
// exit_to_user_mode_loop does. It returns false, with cond still false,
// if the world interrupted the thread (a detected deadlock, Shutdown).
// Linux: kernel/futex/waitwake.c:futex_wait(), kernel/entry/common.c:exit_to_user_mode_loop()
func (task *Task) WaitUser(reason string, cond func() bool) bool {
	t := task.Thread
	t.SetWaitReason(reason)
	defer t.SetWaitReason("")
	ignoreTW := task.Proc.K.Bugs.UserWaitIgnoresTWASignal
	for {
		t.SetState(sim.TaskInterruptible)
		if cond() {
			t.SetState(sim.TaskRunning)
			return true
		}
		if !ignoreTW && task.taskWorkPending() {
			t.SetState(sim.TaskRunning)
			task.runTaskWork(t)
			continue
		}
		if t.SignalPending() {
			t.SetState(sim.TaskRunning)
			return false
		}
		t.Schedule()
	}
}

// SleepUser sleeps d on the world's clock in user space (nanosleep): task
// work added meanwhile interrupts the sleep, runs, and the sleep goes on
// for the time left, as nanosleep's restart block does. After the world
// interrupted the thread the rest is slept uninterruptibly.
// Linux: kernel/time/hrtimer.c:hrtimer_nanosleep(), do_nanosleep()
func (task *Task) SleepUser(d time.Duration) {
	t := task.Thread
	w := t.World()
	end := w.Now() + d
	if end < d {
		end = 1<<63 - 1
	}
	ignoreTW := task.Proc.K.Bugs.UserWaitIgnoresTWASignal
	t.SetWaitReason("hrtimer_nanosleep")
	defer t.SetWaitReason("")
	for {
		left := end - w.Now()
		if left <= 0 {
			return
		}
		if t.SignalPending() {
			t.Sleep(left)
			return
		}
		t.SetState(sim.TaskInterruptible)
		if !ignoreTW && task.taskWorkPending() {
			t.SetState(sim.TaskRunning)
			task.runTaskWork(t)
			continue
		}
		t.ScheduleTimeout(left)
		t.SetState(sim.TaskRunning)
	}
}

// ReturnToUser is what the simulated task does on its way back from a
// system call: it runs pending task_work (resume_user_mode_work). The
// syscall entry points call it; a task that never enters the kernel again
// runs its task_work only when it waits.
// Linux: include/linux/resume_user_mode.h:resume_user_mode_work()
func (task *Task) ReturnToUser() { task.runTaskWork(task.Thread) }

// isIOWQWorker reports whether t is an io-wq worker.
// Linux: io_uring/io-wq.h:io_wq_current_is_worker()
func (k *Kernel) isIOWQWorker(t *sim.Thread) bool { return iowq.CurrentIsWorker(t) }
