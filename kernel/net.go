package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// The network namespace and the socket system calls. The kernel knows
// sockets only through vfs.NetStack and vfs.Socket; whoever builds the
// machine (package uring) creates the stack (package netdev) and sets it
// before the first socket call.

// SetNetStack sets the network namespace sockets are created in. Call it
// before any task runs.
func (k *Kernel) SetNetStack(ns vfs.NetStack) { k.net = ns }

// NetStack is the network namespace, nil without one.
func (k *Kernel) NetStack() vfs.NetStack { return k.net }

// ReqNetStack is the network namespace of the request's task (nil when
// the machine has no network: socket creation is -EAFNOSUPPORT).
func ReqNetStack(req *Req) vfs.NetStack { return req.task.Proc.K.net }

// sockTypeFlags are the flags socket(2) takes in its type argument.
const sockTypeFlags = unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC

// sockTypeMask is SOCK_TYPE_MASK: the type proper.
const sockTypeMask = 0xf

// Socket is socket(2): the file is installed with O_CLOEXEC from
// SOCK_CLOEXEC in typ.
// Linux: net/socket.c:__sys_socket()
func Socket(task *Task, family, typ, protocol int) int {
	defer task.ReturnToUser()
	t := task.Thread
	k := task.Proc.K
	if typ&^(sockTypeMask|sockTypeFlags) != 0 {
		return -EINVAL
	}
	if k.net == nil {
		return -int(unix.EAFNOSUPPORT)
	}
	f, errno := k.net.Socket(t, family, typ&sockTypeMask, protocol, uint32(typ&sockTypeFlags), k.NewFileID)
	if errno != 0 {
		return errno
	}
	fd := task.Proc.Files.InstallFlags(t, f, uint32(typ&unix.SOCK_CLOEXEC))
	if fd < 0 {
		f.Put(t)
	}
	return fd
}

// Socketpair is socketpair(2).
// Linux: net/socket.c:__sys_socketpair()
func Socketpair(task *Task, family, typ, protocol int) (a, b, errno int) {
	defer task.ReturnToUser()
	t := task.Thread
	k := task.Proc.K
	if typ&^(sockTypeMask|sockTypeFlags) != 0 {
		return -1, -1, -EINVAL
	}
	if k.net == nil {
		return -1, -1, -int(unix.EAFNOSUPPORT)
	}
	fa, fb, errno := k.net.Socketpair(t, family, typ&sockTypeMask, protocol, uint32(typ&sockTypeFlags), k.NewFileID)
	if errno != 0 {
		return -1, -1, errno
	}
	a, b, errno = task.Proc.Files.InstallPair(t, fa, fb, uint32(typ&unix.SOCK_CLOEXEC))
	if errno != 0 {
		fa.Put(t)
		fb.Put(t)
		return -1, -1, errno
	}
	return a, b, 0
}

// sockSyscall runs fn on the socket behind fd: -EBADF, -ENOTSOCK.
func sockSyscall(task *Task, fd int, fn func(t *sim.Thread, f *vfs.File, s vfs.Socket) int) int {
	return fdSyscall(task, fd, func(t *sim.Thread, f *vfs.File) int {
		s := vfs.SockFromFile(f)
		if s == nil {
			return -int(unix.ENOTSOCK)
		}
		return fn(t, f, s)
	})
}

// Bind is bind(2) with the address already copied in (move_addr_to_kernel).
// Linux: net/socket.c:__sys_bind()
func Bind(task *Task, fd int, addr []byte) int {
	return sockSyscall(task, fd, func(t *sim.Thread, f *vfs.File, s vfs.Socket) int { return s.Bind(t, f, addr) })
}

// Listen is listen(2).
// Linux: net/socket.c:__sys_listen()
func Listen(task *Task, fd, backlog int) int {
	return sockSyscall(task, fd, func(t *sim.Thread, f *vfs.File, s vfs.Socket) int { return s.Listen(t, f, backlog) })
}

// Connect is connect(2) (nonblocking with the file's O_NONBLOCK).
// Linux: net/socket.c:__sys_connect()
func Connect(task *Task, fd int, addr []byte) int {
	return sockSyscall(task, fd, func(t *sim.Thread, f *vfs.File, s vfs.Socket) int {
		ret := s.Connect(t, f, addr, f.Flags&unix.O_NONBLOCK != 0)
		if ret == -vfs.ERESTARTSYS {
			ret = -EINTR
		}
		return ret
	})
}

// Accept4 is accept4(2): flags SOCK_NONBLOCK and SOCK_CLOEXEC.
// Linux: net/socket.c:__sys_accept4()
func Accept4(task *Task, fd int, flags int) int {
	if flags&^sockTypeFlags != 0 {
		return -EINVAL
	}
	return sockSyscall(task, fd, func(t *sim.Thread, f *vfs.File, s vfs.Socket) int {
		arg := vfs.AcceptArg{FileFlags: uint32(flags), NewID: task.Proc.K.NewFileID()}
		if f.Flags&unix.O_NONBLOCK != 0 {
			arg.Flags = unix.O_NONBLOCK
		}
		nf, _, errno := s.Accept(t, f, &arg, nil)
		if errno != 0 {
			if errno == -vfs.ERESTARTSYS {
				errno = -EINTR
			}
			return errno
		}
		nfd := task.Proc.Files.InstallFlags(t, nf, uint32(flags&unix.SOCK_CLOEXEC))
		if nfd < 0 {
			nf.Put(t)
		}
		return nfd
	})
}

// Getsockname is getsockname(2) (peer false) or getpeername(2) into buf;
// it returns the address length.
// Linux: net/socket.c:__sys_getsockname(), __sys_getpeername()
func Getsockname(task *Task, fd int, buf []byte, peer bool) int {
	return sockSyscall(task, fd, func(t *sim.Thread, f *vfs.File, s vfs.Socket) int { return s.Getname(t, f, buf, peer) })
}

// Setsockopt is setsockopt(2) with the value copied in.
// Linux: net/socket.c:do_sock_setsockopt()
func Setsockopt(task *Task, fd, level, name int, val []byte) int {
	return sockSyscall(task, fd, func(t *sim.Thread, f *vfs.File, s vfs.Socket) int { return s.Setsockopt(t, f, level, name, val) })
}

// Getsockopt is getsockopt(2) into val; it returns the length.
// Linux: net/socket.c:do_sock_getsockopt()
func Getsockopt(task *Task, fd, level, name int, val []byte) int {
	return sockSyscall(task, fd, func(t *sim.Thread, f *vfs.File, s vfs.Socket) int { return s.Getsockopt(t, f, level, name, val) })
}

// SockIoctl is ioctl(2) SIOCINQ/SIOCOUTQ on a socket: the count.
// Linux: net/socket.c:sock_ioctl()
func SockIoctl(task *Task, fd, cmd int) int {
	return sockSyscall(task, fd, func(t *sim.Thread, f *vfs.File, s vfs.Socket) int {
		ret := s.Ioctl(t, f, cmd)
		if ret == -515 { // ENOIOCTLCMD
			ret = -int(unix.ENOTTY)
		}
		return ret
	})
}

// ReqNewFileID hands out the ID of a file the request creates (a socket,
// an accepted connection).
func ReqNewFileID(req *Req) uint64 { return req.task.Proc.K.NewFileID() }
