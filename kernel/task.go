package kernel

import (
	"sync/atomic"

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

	nextCtxID  atomic.Uint64
	nextFileID atomic.Uint64
	nextProcID atomic.Uint64
	warnings   atomic.Int64
	tmpfs      atomic.Pointer[vfs.Tmpfs] // the root file system, made on first use (kernel/namei.go)
	futex      futexHash                 // kernel/futex.go
	tasklist   sim.SpinLock              // tasklist_lock: process parents, children and exit states (kernel/exit.go)
}

// New returns a kernel running in w with the op table t, after checking the
// table as io_uring_optable_init does. A malformed table is a programming
// error and panics.
// Linux: io_uring/opdef.c:io_uring_optable_init()
func New(w *sim.World, t *OpTable) *Kernel {
	t.check()
	return &Kernel{World: w, table: t}
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
	p := &Process{K: k, MM: mm.New(), ID: k.nextProcID.Add(1)}
	for _, flags := range []uint32{unix.O_RDONLY, unix.O_WRONLY, unix.O_WRONLY} {
		p.Files.Install(t, vfs.NewNull(k.NewFileID(), flags))
	}
	return p
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
	return &Task{Thread: t, Proc: p}
}

// callbackHead is a queued task_work item (struct callback_head).
type callbackHead struct {
	node sim.LLNode
	fn   func(task *Task)
}

// taskWorkAdd queues cb to run in task's context and notifies it as
// TWA_SIGNAL does: an interruptible sleep of the task is ended.
// Linux: kernel/task_work.c:task_work_add()
func (task *Task) taskWorkAdd(t *sim.Thread, cb *callbackHead) {
	cb.node.Item = cb
	task.taskWorks.Add(t, &cb.node)
	task.Thread.WakeUp(t)
}

// taskWorkPending reports queued task_work (task_work_pending).
func (task *Task) taskWorkPending() bool { return !task.taskWorks.Empty() }

// runTaskWork runs the task's queued task_work in the order it was added,
// repeating until none is left, and returns whether any ran.
// Linux: kernel/task_work.c:task_work_run(); io_uring/io_uring.h:io_run_task_work()
func (task *Task) runTaskWork(t *sim.Thread) bool {
	ran := false
	for {
		// READ_ONCE first: an empty list costs a load, not an exchange.
		if task.taskWorks.First(t) == nil {
			return ran
		}
		n := task.taskWorks.DelAll(t)
		if n == nil {
			return ran
		}
		for n = sim.Reverse(n); n != nil; {
			next := n.Next
			cb := n.Item.(*callbackHead)
			cb.fn(task)
			n = next
			ran = true
		}
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
