package uring

import (
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
)

// Child is a child process made by SpawnChild: its pid and a pidfd
// (pidfd_open) of it, open in the program's descriptor table.
type Child struct {
	Pid   int
	Pidfd int
	be    Backend
}

// SpawnChild creates a child process of the program that exits with
// status (0…255) after d, and opens a pidfd of it. Host: a real process
// (/bin/sh running `sleep D; exit N`); simulator: a simulated process whose
// exit is a timer on the world's virtual clock (kernel.SpawnChild). The
// child stays a zombie until something waits for it (waitid, an io_uring
// IORING_OP_WAITID) or Reap is called.
func SpawnChild(be Backend, status int, d time.Duration) (*Child, error) {
	switch b := be.(type) {
	case *simBackend:
		k := b.task.Proc.K
		c := k.SpawnChild(b.task.Thread, b.task.Proc, status, d)
		fd := kernel.PidfdOpen(b.task, c.Pid(), 0)
		if fd < 0 {
			return nil, unix.Errno(-fd)
		}
		return &Child{Pid: c.Pid(), Pidfd: fd, be: be}, nil
	case hostBackend:
		script := "exit " + strconv.Itoa(status&0xff)
		if d > 0 {
			script = "sleep " + strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "; " + script
		}
		pid, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", script}, &syscall.ProcAttr{
			Env: []string{"PATH=/usr/bin:/bin"},
		})
		if err != nil {
			return nil, toErrno(err)
		}
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			_ = unix.Kill(pid, unix.SIGKILL)
			var ws unix.WaitStatus
			_, _ = unix.Wait4(pid, &ws, 0, nil)
			return nil, toErrno(err)
		}
		return &Child{Pid: pid, Pidfd: fd, be: be}, nil
	}
	return nil, unix.EINVAL
}

// Reap ends the child if it is still running and reaps it if nothing has
// yet: on the host the zombie would outlive the program otherwise. It
// does not close the pidfd. A child already reaped is left alone.
func (c *Child) Reap() {
	if _, ok := c.be.(hostBackend); !ok {
		return
	}
	var info unix.Siginfo
	// WNOWAIT: only look. ECHILD: already reaped (by an io_uring waitid).
	if err := unix.Waitid(unix.P_PID, c.Pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil); err != nil {
		return
	}
	_ = unix.Kill(c.Pid, unix.SIGKILL)
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(c.Pid, &ws, 0, nil)
		if err != unix.EINTR {
			return
		}
	}
}

// FutexWake is futex(addr, FUTEX_WAKE_PRIVATE, nr): it wakes up to nr
// waiters (at least one) on the 32-bit futex word at addr, io_uring's
// FUTEX_WAIT requests among them, and returns how many it woke.
func FutexWake(be Backend, addr uint64, nr int) (int, error) {
	switch b := be.(type) {
	case *simBackend:
		ret := kernel.Futex(b.task, addr, kernel.FUTEX_WAKE|kernel.FUTEX_PRIVATE_FLAG, uint32(nr), 0)
		if ret < 0 {
			return -1, unix.Errno(-ret)
		}
		return ret, nil
	case hostBackend:
		for {
			r, _, errno := unix.Syscall6(unix.SYS_FUTEX, uintptr(addr), uintptr(kernel.FUTEX_WAKE|kernel.FUTEX_PRIVATE_FLAG), uintptr(uint32(nr)), 0, 0, 0)
			if errno == unix.EINTR {
				continue
			}
			if errno != 0 {
				return -1, errno
			}
			return int(r), nil
		}
	}
	return -1, unix.EINVAL
}
