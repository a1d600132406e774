package exec

import (
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Processes the program forks are outside the model (docs/exec.md,
// Processes): their io_uring calls fail with -ENOSYS and a line, their
// other calls go on to the host. They still count as the program's
// activity: while one is alive, a wait of the program in the simulated
// kernel may be ended by what it does (a pipe it writes), so the world
// waits for it in the host instead of declaring a deadlock, and an exit
// of one wakes that wait (its pidfd is polled). The program runs in a
// process group of its own (Setpgid), and what is left of it when the
// program ends is killed with the group.

// descendants are the live processes the program forked, and their own
// (found through /proc/PID/task/TID/children; orphans that left the tree
// are not), with whether one is running or runnable (state R).
func (s *supervisor) descendants() (pids []int, running bool) {
	seen := map[int]bool{s.pid: true}
	todo := []int{s.pid}
	for len(todo) > 0 {
		pid := todo[0]
		todo = todo[1:]
		dir := "/proc/" + strconv.Itoa(pid) + "/task/"
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			b, err := os.ReadFile(dir + e.Name() + "/children")
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				c, err := strconv.Atoi(f)
				if err != nil || seen[c] {
					continue
				}
				seen[c] = true
				st := procState("/proc/" + f + "/stat")
				if st == 0 || st == 'Z' || st == 'X' {
					continue
				}
				running = running || st == 'R'
				pids = append(pids, c)
				todo = append(todo, c)
			}
		}
	}
	return pids, running
}

// procState is the state letter of a /proc/.../stat file, or 0 when it
// cannot be read.
func procState(path string) byte {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	// pid (comm) state …: comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

// pidfds opens a pidfd of each of pids (polled readable when it exits)
// as poll entries; closePidfds closes them.
func pidfds(pids []int) []unix.PollFd {
	var fds []unix.PollFd
	for _, pid := range pids {
		if fd, err := unix.PidfdOpen(pid, 0); err == nil {
			fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
		}
	}
	return fds
}

func closePidfds(fds []unix.PollFd) {
	for _, f := range fds {
		unix.Close(int(f.Fd))
	}
}

// killGroup kills what is left of the program's process group once the
// program has ended (it is not yet reaped, so its pid, the group's id,
// is not reused).
func (s *supervisor) killGroup() {
	_ = unix.Kill(-s.pid, unix.SIGKILL)
}

// foreground reports whether f is a terminal whose foreground process
// group is the supervisor's: the program's group must then take it, or
// its reads of the terminal would stop it (SIGTTIN).
func foreground(f *os.File) bool {
	pg, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPGRP)
	return err == nil && pg == unix.Getpgrp()
}

// takeForeground gives the terminal f back to the supervisor's process
// group after the program's, ignoring the SIGTTOU a background group
// gets for it.
func takeForeground(f *os.File) {
	signal.Ignore(syscall.SIGTTOU)
	defer signal.Reset(syscall.SIGTTOU)
	_ = unix.IoctlSetPointerInt(int(f.Fd()), unix.TIOCSPGRP, unix.Getpgrp())
}
