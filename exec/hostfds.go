package exec

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/vfs"
)

// hostDescriptors makes the files the simulated kernel creates for the
// program host descriptors the program holds too: sockets made by
// IORING_OP_SOCKET are host sockets (vfs.HostNetStack), and a host file
// the simulated table installs (an accepted connection, such a socket)
// is installed in the program with SECCOMP_IOCTL_NOTIF_ADDFD through a
// notification being served — the world advances only while a program
// thread is stopped in one, and its threads share one descriptor table — at
// the number the program's table gives it, which the simulated table
// then uses too.
//
// Differs from Linux: IORING_OP_CLOSE of a program descriptor closes
// the simulator's copy only; the program's stays open (the supervisor
// cannot close a descriptor of another process).
func (s *supervisor) hostDescriptors(p *kernel.Process, k *kernel.Kernel) {
	k.SetNetStack(vfs.HostNetStack{Poller: &s.poller})
	p.Files.SetOutside(func(f *vfs.File, cloexec bool) int {
		var flags uint32
		if cloexec {
			flags = unix.O_CLOEXEC
		}
		n := s.pending()
		if n == nil {
			return -int(unix.EMFILE)
		}
		fd, err := addFd(s.listener, n.ID, vfs.HostFileOf(f).Fd, flags)
		if err != nil {
			if e, ok := err.(unix.Errno); ok {
				return -int(e)
			}
			return -int(unix.EMFILE)
		}
		return fd
	})
}

// pending is a notification a program thread is stopped in (the lowest
// tid's, else one served whose answer is not yet sent), or nil.
func (s *supervisor) pending() *seccompNotif {
	var best *progThread
	for _, pt := range s.threads {
		if pt.n != nil && (best == nil || pt.tid < best.tid) {
			best = pt
		}
	}
	if best != nil {
		return best.n
	}
	if len(s.answers) > 0 {
		return s.answers[0].n // served, its answer not yet sent
	}
	return nil
}
