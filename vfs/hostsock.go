package vfs

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
)

// hostSock is the socket layer (struct socket, proto_ops) of a HostFile
// whose descriptor is a host socket: every call is the host's own system
// call on the descriptor, made without blocking (MSG_DONTWAIT, or
// O_NONBLOCK set for the call where the call has no flag), and where
// it would block, a wait on the file's wait queue, which the HostPoller
// wakes when the host shows the socket ready. io_uring's poll arming,
// retries, multishot receives, buffer rings and bundles therefore work on
// it as on a simulated socket, with the host's protocol behaviour and
// errnos.
//
// Differs from Linux: accept and connect, which have no MSG_DONTWAIT,
// set O_NONBLOCK on the open file description for the length of the call,
// so a blocking call another thread of the program makes on the same
// socket meanwhile may fail with EAGAIN; control messages a receive
// brings are given to the caller only where it passed a control buffer,
// and descriptors in them (SCM_RIGHTS) are closed, not installed.
// Linux: net/socket.c:sock_sendmsg(), sock_recvmsg(), do_accept(), __sys_connect_file()
type hostSock struct {
	hostFileOps
	h                     *HostFile
	family, typ, protocol int
}

// newHostSock reads the socket's family, type and protocol (SO_DOMAIN,
// SO_TYPE, SO_PROTOCOL).
func newHostSock(fd int) (*hostSock, error) {
	s := &hostSock{}
	for _, o := range []struct {
		name int
		v    *int
	}{{unix.SO_DOMAIN, &s.family}, {unix.SO_TYPE, &s.typ}, {unix.SO_PROTOCOL, &s.protocol}} {
		v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, o.name)
		if err != nil {
			return nil, err
		}
		*o.v = v
	}
	return s, nil
}

func (s *hostSock) Family() int   { return s.family }
func (s *hostSock) Type() int     { return s.typ }
func (s *hostSock) Protocol() int { return s.protocol }

func (s *hostSock) isStream() bool { return s.typ == unix.SOCK_STREAM }

// SupportsZC is SOCK_SUPPORT_ZC, which TCP and UDP sockets have.
func (s *hostSock) SupportsZC() bool {
	return (s.family == unix.AF_INET || s.family == unix.AF_INET6) && (s.typ == unix.SOCK_STREAM || s.typ == unix.SOCK_DGRAM)
}

// errnoRet is a raw system call's result: r, or the negated errno.
func errnoRet(r uintptr, e unix.Errno) int {
	if e != 0 {
		return -int(e)
	}
	return int(r)
}

// bytePtr is the address of b's first byte, nil for an empty b.
func bytePtr(b []byte) *byte {
	if len(b) == 0 {
		return nil
	}
	return &b[0]
}

func (s *hostSock) Shutdown(t *sim.Thread, f *File, how int) int {
	return errnoRet(0, errnoOf0(unix.Shutdown(s.h.Fd, how)))
}

// errnoOf0 is the errno of err (0 for nil).
func errnoOf0(err error) unix.Errno {
	if err == nil {
		return 0
	}
	if e, ok := err.(unix.Errno); ok {
		return e
	}
	return unix.EIO
}

func (s *hostSock) Bind(t *sim.Thread, f *File, addr []byte) int {
	_, _, e := unix.Syscall(unix.SYS_BIND, uintptr(s.h.Fd), uintptr(unsafe.Pointer(bytePtr(addr))), uintptr(len(addr)))
	return errnoRet(0, e)
}

func (s *hostSock) Listen(t *sim.Thread, f *File, backlog int) int {
	return errnoRet(0, errnoOf0(unix.Listen(s.h.Fd, backlog)))
}

// withNonblock runs call with O_NONBLOCK set on the host descriptor's
// open file description, as it was before afterwards.
func withNonblock(fd int, call func() (int, unix.Errno)) (int, unix.Errno) {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return -1, errnoOf0(err)
	}
	if fl&unix.O_NONBLOCK == 0 {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl|unix.O_NONBLOCK); err != nil {
			return -1, errnoOf0(err)
		}
		defer unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl)
	}
	return call()
}

// Accept is accept4 on the host: the new connection is a HostFile with
// the listener's poller, O_NONBLOCK from arg.FileFlags' SOCK_NONBLOCK.
// arg.IsEmpty is whether a TCP listener's queue is empty afterwards
// (inet_csk_accept), -1 for other sockets.
// Linux: net/socket.c:do_accept(), net/ipv4/inet_connection_sock.c:inet_csk_accept()
func (s *hostSock) Accept(t *sim.Thread, f *File, arg *AcceptArg, peer []byte) (*File, int, int) {
	h := s.h
	var sa [128]byte
	var salen uint32
	fl := unix.SOCK_CLOEXEC | int(arg.FileFlags&unix.SOCK_NONBLOCK)
	for {
		salen = uint32(len(sa))
		nfd, e := withNonblock(h.Fd, func() (int, unix.Errno) {
			r, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(h.Fd), uintptr(unsafe.Pointer(&sa[0])), uintptr(unsafe.Pointer(&salen)), uintptr(fl), 0, 0)
			return int(r), e
		})
		if e == 0 {
			nf, err := NewHostFile(nfd, arg.NewID, h.poller)
			if err != nil {
				unix.Close(nfd)
				return nil, 0, -int(errnoOf0(err))
			}
			if s.isStream() && s.family != unix.AF_UNIX {
				arg.IsEmpty = 1
				if h.ready(unix.POLLIN)&unix.POLLIN != 0 {
					arg.IsEmpty = 0
				}
			}
			n := min(int(salen), len(sa))
			copy(peer, sa[:n])
			return nf, n, 0
		}
		if e != unix.EAGAIN {
			return nil, 0, -int(e)
		}
		h.notReady(unix.POLLIN)
		if arg.Flags&unix.O_NONBLOCK != 0 {
			return nil, 0, -int(unix.EAGAIN)
		}
		if h.sleep(t, unix.POLLIN) != 0 {
			return nil, 0, -ERESTARTSYS
		}
	}
}

// Connect is connect(2) on the host; without nonblock a stream connect
// in progress waits for the socket to become writable and returns its
// error (inet_wait_for_connect, sock_error).
// Linux: net/ipv4/af_inet.c:__inet_stream_connect()
func (s *hostSock) Connect(t *sim.Thread, f *File, addr []byte, nonblock bool) int {
	h := s.h
	_, e := withNonblock(h.Fd, func() (int, unix.Errno) {
		_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(h.Fd), uintptr(unsafe.Pointer(bytePtr(addr))), uintptr(len(addr)))
		return 0, e
	})
	if e == 0 {
		return 0
	}
	if nonblock || e != unix.EINPROGRESS && e != unix.EALREADY {
		return -int(e)
	}
	for h.ready(unix.POLLOUT)&(unix.POLLOUT|unix.POLLERR|unix.POLLHUP) == 0 {
		if h.sleep(t, unix.POLLOUT) != 0 {
			return -ERESTARTSYS
		}
	}
	return s.SockError(t)
}

// SockError takes the pending socket error (SO_ERROR).
// Linux: include/net/sock.h:sock_error()
func (s *hostSock) SockError(t *sim.Thread) int {
	v, err := unix.GetsockoptInt(s.h.Fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return -int(errnoOf0(err))
	}
	return -v
}

// HostNetStack is a network namespace whose sockets are host sockets
// (uringsim exec: IORING_OP_SOCKET makes a socket the program can use
// with its own system calls). poller wakes their waiters.
// Linux: net/socket.c:__sys_socket_file()
type HostNetStack struct{ Poller *HostPoller }

func (n HostNetStack) Socket(t *sim.Thread, family, typ, protocol int, flags uint32, newID func() uint64) (*File, int) {
	fd, err := unix.Socket(family, typ|int(flags&unix.SOCK_NONBLOCK)|unix.SOCK_CLOEXEC, protocol)
	if err != nil {
		return nil, -int(errnoOf0(err))
	}
	return n.wrap(fd, newID)
}

func (n HostNetStack) Socketpair(t *sim.Thread, family, typ, protocol int, flags uint32, newID func() uint64) (*File, *File, int) {
	fds, err := unix.Socketpair(family, typ|int(flags&unix.SOCK_NONBLOCK)|unix.SOCK_CLOEXEC, protocol)
	if err != nil {
		return nil, nil, -int(errnoOf0(err))
	}
	a, errno := n.wrap(fds[0], newID)
	if errno != 0 {
		unix.Close(fds[1])
		return nil, nil, errno
	}
	b, errno := n.wrap(fds[1], newID)
	if errno != 0 {
		a.Put(t)
		return nil, nil, errno
	}
	return a, b, 0
}

// wrap makes the new host socket fd a HostFile.
func (n HostNetStack) wrap(fd int, newID func() uint64) (*File, int) {
	f, err := NewHostFile(fd, newID(), n.Poller)
	if err != nil {
		unix.Close(fd)
		return nil, -int(errnoOf0(err))
	}
	return f, 0
}
