package vfs

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
)

// SetOutside makes the table ask outside for the descriptor number of
// every host file (HostFile) it installs at the lowest free number: under
// uringsim exec, outside installs the host descriptor in the program
// (SECCOMP_IOCTL_NOTIF_ADDFD) and returns the number the program's own
// table gave it, so an accepted connection or a socket made by an
// io_uring op is a descriptor the program can use with its own system
// calls, at the number the CQE reports. outside returns a negated errno
// when it cannot; it runs with the table's lock held and must not call
// into the world.
//
// Differs from Linux: a simulated file already at that number (one only
// the simulator knows) is closed to make room, since the program's
// numbering wins.
func (ft *FDTable) SetOutside(outside func(f *File, cloexec bool) int) { ft.outside = outside }

// installOutside installs f at the number outside gives, if it numbers f.
func (ft *FDTable) installOutside(f *File, cloexec bool) (int, bool) {
	if ft.outside == nil || HostFileOf(f) == nil {
		return 0, false
	}
	fd := ft.outside(f, cloexec)
	if fd < 0 {
		return fd, true
	}
	if fd >= MaxFDs {
		return -int(unix.EMFILE), true
	}
	for len(ft.fds) <= fd {
		ft.fds = append(ft.fds, nil)
		ft.cloexec = append(ft.cloexec, false)
	}
	if old := ft.fds[fd]; old != nil {
		ft.displaced = append(ft.displaced, old)
	}
	ft.fds[fd], ft.cloexec[fd] = f, cloexec
	return fd, true
}

// putDisplaced drops the files installOutside pushed out; the table's
// lock is not held.
func (ft *FDTable) putDisplaced(t *sim.Thread) {
	for len(ft.displaced) > 0 {
		f := ft.displaced[0]
		ft.displaced = ft.displaced[1:]
		f.Put(t)
	}
}
