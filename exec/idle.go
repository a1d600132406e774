package exec

import (
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
)

// settleLimit bounds how long, in host time, the world waits for a
// program thread running in user space before it lets the virtual clock
// jump (a thread that spins without a system call would hold the clock
// for ever).
const settleLimit = 100 * time.Millisecond

// idle is the world's source of events from outside (sim.World.SetIdle),
// called when no simulated thread can run while some program thread is
// stopped in the simulated kernel. It takes, in this order: a host file
// of the program that became ready (vfs.HostPoller), the program's next
// notified calls (received here, then dispatched by the main thread it
// returns) and the program's end. Before the clock jumps (!block) it
// waits while a program thread, or a process the program forked, runs in
// user space — it may be about to make the call another thread waits
// for, and user-space code takes no virtual time — for at most
// settleLimit; before a deadlock is declared
// (block) it waits in the host for as long as a program thread is outside
// the simulated kernel or a process it forked is alive. It touches no
// sim state.
func (s *supervisor) idle(block bool) *sim.Thread {
	if t := s.poller.Ready(false); t != nil {
		return t
	}
	var deadline time.Time
	for {
		running, outside := s.userThreads()
		kids, kidsRunning := s.descendants()
		running, outside = running || kidsRunning, outside || len(kids) > 0
		timeout := 0
		switch {
		case block && outside:
			timeout = -1
		case block && (s.catchesSignals() || s.callLeft()):
			// Every program thread waits in the simulated kernel for
			// what cannot come, but a signal the program catches (an
			// alarm) may yet interrupt a wait, as it would natively:
			// its handler runs, and the program goes on with a call,
			// or exits. Or a thread has already left its call: the
			// program is exiting (exit_group killed it there), and its
			// pidfd is about to say so.
			if deadline.IsZero() {
				deadline = time.Now().Add(signalWaitLimit)
			}
			if time.Now().Before(deadline) {
				timeout = 10
			}
		case !block && running:
			if deadline.IsZero() {
				deadline = time.Now().Add(settleLimit)
			}
			if time.Now().Before(deadline) {
				timeout = 1
			}
		}
		also := s.hostFds()
		var exits []unix.PollFd
		if timeout < 0 {
			exits = pidfds(kids) // a process's exit ends the wait too
			also = append(also, exits...)
		}
		t := s.poller.ReadyWithin(timeout, also)
		closePidfds(exits)
		if t != nil {
			return t
		}
		if s.take(also) {
			return s.mainThread()
		}
		if timeout == 0 {
			return nil
		}
	}
}

// signalWaitLimit bounds how long, in host time, the supervisor waits for
// a signal to interrupt a program whose every thread waits in the
// simulated kernel for what cannot come, before it declares a deadlock.
const signalWaitLimit = 5 * time.Second

// catchesSignals reports whether the program has a handler for a signal
// (SigCgt of /proc/PID/status), apart from the two glibc keeps for itself
// (SIGCANCEL, 32, and SIGSETXID, 33).
func (s *supervisor) catchesSignals() bool {
	return s.statusMasks("SigCgt:")&^(1<<31|1<<32) != 0
}

// callLeft reports whether a program thread that the simulator serves a
// call of is no longer in it (SECCOMP_IOCTL_NOTIF_ID_VALID fails): a
// signal interrupted it, or the program is exiting.
func (s *supervisor) callLeft() bool {
	for _, pt := range s.threads {
		if pt.n != nil && !idValid(s.listener, pt.n.ID) {
			return true
		}
	}
	return false
}

// pendingSignals are the signals pending for the program (SigPnd, the
// main thread's, and ShdPnd, the process's, of /proc/PID/status): what
// its signalfds are readable for (vfs.HostPoller.Signals).
func (s *supervisor) pendingSignals() uint64 {
	return s.statusMasks("SigPnd:", "ShdPnd:")
}

// statusMasks ORs the signal masks of /proc/PID/status on the lines
// with these prefixes (0 if it cannot be read).
func (s *supervisor) statusMasks(prefixes ...string) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.pid) + "/status")
	if err != nil {
		return 0
	}
	var mask uint64
	for line := range strings.SplitSeq(string(b), "\n") {
		for _, pre := range prefixes {
			if hex, ok := strings.CutPrefix(line, pre); ok {
				m, _ := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
				mask |= m
			}
		}
	}
	return mask
}

// hostFds are the supervisor's own descriptors to poll: the listener
// (a notification is pending) and the program's pidfd (it has exited).
func (s *supervisor) hostFds() []unix.PollFd {
	return []unix.PollFd{{Fd: int32(s.listener), Events: unix.POLLIN}, {Fd: int32(s.pidfd), Events: unix.POLLIN}}
}

// take acts on what a poll of hostFds found: it receives every pending
// notification into s.queue, or notes that the program has ended, and
// reports whether the main thread has something to do. It touches no
// sim state (it runs inside the scheduler too).
func (s *supervisor) take(fds []unix.PollFd) bool {
	if fds[0].Revents&unix.POLLIN == 0 {
		if fds[1].Revents != 0 || fds[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0 {
			s.exited = true
			return true
		}
		return false
	}
	for {
		n := new(seccompNotif)
		if err := recvNotif(s.listener, n); err != nil {
			if err != unix.ENOENT && err != unix.EINTR && s.failure == nil {
				s.failure = err
			}
			break
		}
		s.queue = append(s.queue, n)
		more := []unix.PollFd{{Fd: int32(s.listener), Events: unix.POLLIN}}
		if k, err := unix.Poll(more, 0); err != nil || k == 0 || more[0].Revents&unix.POLLIN == 0 {
			break
		}
	}
	return len(s.queue) > 0 || s.failure != nil
}

// userThreads looks at the program's threads outside the simulated
// kernel (not stopped in a call the supervisor holds): whether one is
// running or runnable in the host (state R in /proc/PID/task/TID/stat),
// and whether there is any.
func (s *supervisor) userThreads() (running, outside bool) {
	dir := "/proc/" + strconv.Itoa(s.pid) + "/task"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false, false
	}
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pt := s.threads[uint32(tid)]; pt != nil && pt.n != nil {
			continue
		}
		switch procState(dir + "/" + e.Name() + "/stat") {
		case 0, 'Z', 'X': // gone
			continue
		case 'R':
			running = true
		}
		outside = true
	}
	return running, outside
}
