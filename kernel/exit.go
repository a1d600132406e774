package kernel

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// pidBase is added to a process's ID to give its pid, so simulated pids
// look like a real system's (pid 1 is init).
const pidBase = 1000

// procSignal is the part of a process its parent and waiters see: its
// place in the process tree and its exit state (the fields of task_struct
// and signal_struct that do_exit and do_wait use), guarded by the
// kernel's tasklist lock.
// Linux: include/linux/sched.h:struct task_struct (parent, children, exit_state, exit_code)
type procSignal struct {
	parent   *Process
	children []*Process // the parent's ->children list, in fork order
	exited   bool       // exit_state == EXIT_ZOMBIE: exited, not yet reaped
	reaped   bool       // EXIT_DEAD: reaped by a wait, gone from the tree
	exitCode int        // exit_code: the status in bits 8..15 (status << 8)

	// waitChldExit is signal->wait_chldexit: the process's waiters for
	// a child's exit (wait4, waitid, io_uring's waitid). A child's exit
	// wakes it with the child's pid as the key (the kernel passes the
	// task_struct).
	waitChldExit sim.WaitQueueHead
	// waitPidfd is pid->wait_pidfd, what pidfd pollers wait on.
	waitPidfd sim.WaitQueueHead
}

// Pid is the process's pid (its thread group id).
func (p *Process) Pid() int { return pidBase + int(p.ID) }

// WaitChldExit is the process's signal->wait_chldexit.
func (p *Process) WaitChldExit() *sim.WaitQueueHead { return &p.sig.waitChldExit }

// SpawnChild creates a child process of parent that exits with the given
// status (0…255) after d of virtual time, as a program's fork() of a child
// that sleeps and calls _exit(status). The child runs no code: its exit is
// a timer of the world.
// Differs from Linux: the child has no task of its own (nothing runs in it)
// and no descriptors; its exit is do_exit's notification part only.
// Linux: kernel/fork.c:kernel_clone(), kernel/exit.c:do_exit()
func (k *Kernel) SpawnChild(t *sim.Thread, parent *Process, status int, d time.Duration) *Process {
	c := &Process{K: k, MM: k.newMM(), ID: k.nextProcID.Add(1)}
	c.sig.parent = parent
	k.tasklist.Lock(t)
	parent.sig.children = append(parent.sig.children, c)
	k.tasklist.Unlock(t)
	k.World.AfterFunc(t, d, func(t *sim.Thread) { k.exitNotify(t, c, (status&0xff)<<8) })
	return c
}

// exitNotify makes c a zombie with exit code code and tells its parent:
// pidfd pollers first, then the parent's wait_chldexit waiters.
// Linux: kernel/exit.c:exit_notify(), kernel/signal.c:do_notify_parent(), do_notify_pidfd(), __wake_up_parent()
func (k *Kernel) exitNotify(t *sim.Thread, c *Process, code int) {
	k.tasklist.Lock(t)
	c.sig.exited = true
	c.sig.exitCode = code
	parent := c.sig.parent
	k.tasklist.Unlock(t)
	if w := k.World; w.Tracing() {
		w.Emit(t, "sched_process_exit", sim.I("pid", int64(c.Pid())), sim.I("exit_code", int64(code)))
	}
	c.sig.waitPidfd.WakeUpAll(t, rings.EPOLLIN|rings.EPOLLRDNORM)
	if parent != nil {
		parent.sig.waitChldExit.WakeUpAll(t, uint32(c.Pid()))
	}
}

// ChildByPid finds a child of p (exited or not, not reaped) by pid, or
// nil.
func (k *Kernel) childByPid(t *sim.Thread, p *Process, pid int) *Process {
	k.tasklist.Lock(t)
	defer k.tasklist.Unlock(t)
	for _, c := range p.sig.children {
		if c.Pid() == pid {
			return c
		}
	}
	return nil
}

// pidfdOps is the file of a pidfd: anon_inode:[pidfd], pollable for the
// process's exit.
// Linux: kernel/pid.c:pidfd_fops
type pidfdOps struct{}

func (pidfdOps) Release(*sim.Thread, *vfs.File) {}

// Poll reports EPOLLIN|EPOLLRDNORM once the process exited, with EPOLLHUP
// once it was reaped.
// Linux: kernel/pid.c:pidfd_poll()
func (pidfdOps) Poll(t *sim.Thread, f *vfs.File, pt *vfs.PollTable) uint32 {
	p := f.Private.(*Process)
	vfs.PollWait(t, f, &p.sig.waitPidfd, pt)
	p.K.tasklist.Lock(t)
	defer p.K.tasklist.Unlock(t)
	switch {
	case p.sig.reaped:
		return rings.EPOLLIN | rings.EPOLLRDNORM | rings.EPOLLHUP
	case p.sig.exited:
		return rings.EPOLLIN | rings.EPOLLRDNORM
	}
	return 0
}

// pidfdProcess returns the process of a pidfd file, or nil when f is not
// one (pidfd_pid's -EBADF).
// Linux: kernel/pid.c:pidfd_pid()
func pidfdProcess(f *vfs.File) *Process {
	if _, ok := f.Op.(pidfdOps); !ok {
		return nil
	}
	return f.Private.(*Process)
}

// PidfdOpen is pidfd_open(2) with flags 0 for a child of the task's
// process: a new descriptor (O_CLOEXEC) on a pidfd of it, or -ESRCH.
// Differs from Linux: only the caller's own children can be named.
// Linux: kernel/pid.c:sys_pidfd_open()
func PidfdOpen(task *Task, pid int, flags uint32) int {
	defer task.ReturnToUser()
	t := task.Thread
	if flags != 0 {
		return -EINVAL
	}
	c := task.Proc.K.childByPid(t, task.Proc, pid)
	if c == nil {
		return -ESRCH
	}
	f := vfs.NewFile(pidfdOps{}, c, "anon_inode:[pidfd]", unix.O_RDWR, task.Proc.K.NewFileID())
	fd := task.Proc.Files.InstallFlags(t, f, unix.O_CLOEXEC)
	if fd < 0 {
		f.Put(t)
	}
	return fd
}
