package opdef

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// The connection ops of io_uring/net.c: SOCKET, BIND, LISTEN, CONNECT
// and ACCEPT. They reach the socket through vfs.Socket and the network
// namespace through kernel.ReqNetStack.

// sockTypeMask is SOCK_TYPE_MASK.
const sockTypeMask = 0xf

// acceptFlags are the valid sqe->ioprio flags of ACCEPT.
// Linux: io_uring/net.c:ACCEPT_FLAGS
const acceptFlags = rings.IORING_ACCEPT_MULTISHOT | rings.IORING_ACCEPT_DONTWAIT | rings.IORING_ACCEPT_POLL_FIRST

// socketData is struct io_socket.
type socketData struct {
	domain, typ, protocol int32
	fileSlot              uint32
	flags                 uint32
}

// socketPrep reads domain (fd), type (off), protocol (len) and
// file_index; SOCK_CLOEXEC is refused for a direct descriptor.
// Linux: io_uring/net.c:io_socket_prep()
func socketPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Addr != 0 || sqe.OpFlags != 0 || sqe.BufIndex != 0 {
		return -kernel.EINVAL
	}
	s := kernel.Cmd[socketData](req)
	s.domain = sqe.Fd
	s.typ = int32(sqe.Off)
	s.protocol = int32(sqe.Len)
	s.fileSlot = uint32(sqe.SpliceFdIn)
	s.flags = uint32(s.typ) &^ sockTypeMask
	if s.fileSlot != 0 && s.flags&unix.SOCK_CLOEXEC != 0 {
		return -kernel.EINVAL
	}
	if s.flags&^(unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK) != 0 {
		return -kernel.EINVAL
	}
	return 0
}

// socketIssue creates the socket and installs it as a descriptor or in
// the fixed table (file_index, or IORING_FILE_INDEX_ALLOC).
// Linux: io_uring/net.c:io_socket(), net/socket.c:__sys_socket_file()
func socketIssue(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	s := kernel.Cmd[socketData](req)
	fixed := s.fileSlot != 0
	if !fixed && !kernel.ReqFdAvailable(t, req) {
		return -kernel.EMFILE
	}
	ns := kernel.ReqNetStack(req)
	var f *vfs.File
	ret := -int(unix.EAFNOSUPPORT)
	if ns != nil {
		id := kernel.ReqNewFileID(req)
		f, ret = ns.Socket(t, int(s.domain), int(s.typ&sockTypeMask), int(s.protocol), s.flags,
			func() uint64 { return id })
	}
	switch {
	case ret != 0:
		if ret == -kernel.EAGAIN && issueFlags&kernel.IO_URING_F_NONBLOCK != 0 {
			return -kernel.EAGAIN
		}
		if ret == -vfs.ERESTARTSYS {
			ret = -kernel.EINTR
		}
		kernel.ReqSetFail(req)
	case !fixed:
		ret = kernel.ReqInstallFd(t, req, f, uint64(s.flags))
	default:
		ret = kernel.FixedFdInstall(t, req, issueFlags, f, s.fileSlot)
	}
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}

// bindData is struct io_bind; the address is in the async msghdr.
type bindData struct{ addrLen int32 }

// bindPrep copies the address in at prep (move_addr_to_kernel).
// Linux: io_uring/net.c:io_bind_prep()
func bindPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Len != 0 || sqe.BufIndex != 0 || sqe.OpFlags != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	b := kernel.Cmd[bindData](req)
	b.addrLen = int32(sqe.Addr2())
	kmsg := &asyncMsghdr{}
	kernel.ReqSetAsyncData(req, kmsg)
	return moveAddrToKernel(req, sqe.Addr, int(b.addrLen), kmsg)
}

// bindIssue is bind(2) on the request's socket.
// Linux: io_uring/net.c:io_bind()
func bindIssue(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	return sockCallIssue(req, func(f *vfs.File, s vfs.Socket) int { return s.Bind(t, f, kmsgOf(req).msg.Name) })
}

// sockCallIssue runs one socket call on the request's file (-ENOTSOCK
// for another file) and completes with its result.
// Linux: io_uring/net.c:io_bind(), io_listen()
func sockCallIssue(req *kernel.Req, call func(f *vfs.File, s vfs.Socket) int) int {
	f := kernel.ReqFile(req)
	s := vfs.SockFromFile(f)
	if s == nil {
		return -int(unix.ENOTSOCK)
	}
	ret := call(f, s)
	if ret < 0 {
		kernel.ReqSetFail(req)
	}
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}

// listenData is struct io_listen.
type listenData struct{ backlog int32 }

// listenPrep reads the backlog from sqe->len.
// Linux: io_uring/net.c:io_listen_prep()
func listenPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Addr != 0 || sqe.BufIndex != 0 || sqe.OpFlags != 0 || sqe.SpliceFdIn != 0 || sqe.Addr2() != 0 {
		return -kernel.EINVAL
	}
	kernel.Cmd[listenData](req).backlog = int32(sqe.Len)
	return 0
}

// listenIssue is listen(2) on the request's socket.
// Linux: io_uring/net.c:io_listen()
func listenIssue(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	backlog := int(kernel.Cmd[listenData](req).backlog)
	return sockCallIssue(req, func(f *vfs.File, s vfs.Socket) int { return s.Listen(t, f, backlog) })
}

// connectData is struct io_connect.
type connectData struct {
	inProgress, seenEconnaborted bool
}

// connectPrep copies the address in at prep.
// Linux: io_uring/net.c:io_connect_prep()
func connectPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Len != 0 || sqe.BufIndex != 0 || sqe.OpFlags != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	*kernel.Cmd[connectData](req) = connectData{}
	kmsg := &asyncMsghdr{}
	kernel.ReqSetAsyncData(req, kmsg)
	return moveAddrToKernel(req, sqe.Addr, int(int32(sqe.Addr2())), kmsg)
}

// connectIssue is connect(2). Issued nonblocking, -EINPROGRESS (and a
// first -ECONNABORTED) becomes -EAGAIN, which arms POLLOUT; the connect
// issued again on the wakeup finds the outcome, and -EISCONN after an
// in-progress connect means the socket error is the result.
// Linux: io_uring/net.c:io_connect()
func connectIssue(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	c := kernel.Cmd[connectData](req)
	var ret int
	if kernel.ReqFlags(req)&kernel.REQ_F_FAIL != 0 {
		ret = -int(unix.ECONNRESET)
	} else {
		f := kernel.ReqFile(req)
		s := vfs.SockFromFile(f)
		if s == nil {
			ret = -int(unix.ENOTSOCK)
		} else {
			nonblock := issueFlags&kernel.IO_URING_F_NONBLOCK != 0
			ret = s.Connect(t, f, kmsgOf(req).msg.Name, nonblock || f.Flags&unix.O_NONBLOCK != 0)
			if (ret == -kernel.EAGAIN || ret == -int(unix.EINPROGRESS) || ret == -int(unix.ECONNABORTED)) && nonblock {
				switch {
				case ret == -int(unix.EINPROGRESS):
					c.inProgress = true
					return -kernel.EAGAIN
				case ret == -int(unix.ECONNABORTED) && c.seenEconnaborted:
				case ret == -int(unix.ECONNABORTED):
					c.seenEconnaborted = true
					return -kernel.EAGAIN
				default:
					return -kernel.EAGAIN
				}
			} else {
				if c.inProgress && (ret == -int(unix.EBADFD) || ret == -int(unix.EISCONN)) {
					ret = s.SockError(t)
				}
				if ret == -vfs.ERESTARTSYS {
					ret = -kernel.EINTR
				}
			}
		}
	}
	if ret < 0 {
		kernel.ReqSetFail(req)
	}
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}

// acceptData is struct io_accept.
type acceptData struct {
	addr, addrLen uint64
	flags         uint32
	iouFlags      uint16
	fileSlot      uint32
}

// acceptPrep reads the peer address pointers, accept4 flags, the
// IORING_ACCEPT_* flags (sqe->ioprio) and file_index: a multishot accept
// into the fixed table must allocate its slots.
// Linux: io_uring/net.c:io_accept_prep()
func acceptPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Len != 0 || sqe.BufIndex != 0 {
		return -kernel.EINVAL
	}
	a := kernel.Cmd[acceptData](req)
	a.addr = sqe.Addr
	a.addrLen = sqe.Addr2()
	a.flags = sqe.OpFlags
	a.iouFlags = sqe.Ioprio
	if a.iouFlags&^acceptFlags != 0 {
		return -kernel.EINVAL
	}
	a.fileSlot = uint32(sqe.SpliceFdIn)
	if a.fileSlot != 0 {
		if a.flags&unix.SOCK_CLOEXEC != 0 {
			return -kernel.EINVAL
		}
		if a.iouFlags&rings.IORING_ACCEPT_MULTISHOT != 0 && a.fileSlot != rings.IORING_FILE_INDEX_ALLOC {
			return -kernel.EINVAL
		}
	}
	if a.flags&^(unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK) != 0 {
		return -kernel.EINVAL
	}
	if a.iouFlags&rings.IORING_ACCEPT_MULTISHOT != 0 {
		kernel.ReqAddFlags(req, kernel.REQ_F_APOLL_MULTISHOT)
	}
	if a.iouFlags&rings.IORING_ACCEPT_DONTWAIT != 0 {
		kernel.ReqAddFlags(req, kernel.REQ_F_NOWAIT)
	}
	return 0
}

// moveAddrToUser writes the kernel address k to uaddr, as much as the
// int at ulen allows, and the full length to ulen.
// Linux: net/socket.c:move_addr_to_user()
func moveAddrToUser(req *kernel.Req, k []byte, uaddr, ulen uint64) int {
	as := kernel.ReqMM(req)
	var raw [4]byte
	if as.CopyFromUser(raw[:], ulen) != 0 {
		return -kernel.EFAULT
	}
	n := int(int32(binary.LittleEndian.Uint32(raw[:])))
	if n < 0 {
		return -kernel.EINVAL
	}
	n = min(n, len(k))
	if n > 0 && as.CopyToUser(uaddr, k[:n]) != 0 {
		return -kernel.EFAULT
	}
	binary.LittleEndian.PutUint32(raw[:], uint32(len(k)))
	if as.CopyToUser(ulen, raw[:]) != 0 {
		return -kernel.EFAULT
	}
	return 0
}

// doAccept takes one connection and, with a peer address pointer, writes
// the peer's address out.
// Linux: net/socket.c:do_accept()
func doAccept(t *sim.Thread, req *kernel.Req, s vfs.Socket, arg *vfs.AcceptArg) (*vfs.File, int) {
	a := kernel.Cmd[acceptData](req)
	var peer []byte
	if a.addr != 0 {
		peer = make([]byte, 128)
	}
	nf, n, errno := s.Accept(t, kernel.ReqFile(req), arg, peer)
	if errno != 0 {
		return nil, errno
	}
	if a.addr != 0 {
		if errno := moveAddrToUser(req, peer[:n], a.addr, a.addrLen); errno != 0 {
			nf.Put(t)
			return nil, errno
		}
	}
	return nf, 0
}

// acceptIssue accepts connections: one, or with IORING_ACCEPT_MULTISHOT
// one CQE with F_MORE per connection while the accept queue has more,
// then waits for the next poll event. IORING_ACCEPT_DONTWAIT completes
// an empty queue with -EAGAIN; IORING_ACCEPT_POLL_FIRST waits for
// POLLIN before the first attempt.
// Linux: io_uring/net.c:io_accept()
func acceptIssue(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	a := kernel.Cmd[acceptData](req)
	forceNonblock := issueFlags&kernel.IO_URING_F_NONBLOCK != 0
	fixed := a.fileSlot != 0
	if kernel.ReqFlags(req)&kernel.REQ_F_POLLED == 0 && a.iouFlags&rings.IORING_ACCEPT_POLL_FIRST != 0 {
		return -kernel.EAGAIN
	}
	f := kernel.ReqFile(req)
	s := vfs.SockFromFile(f)
	for {
		var ret int
		arg := vfs.AcceptArg{FileFlags: a.flags, IsEmpty: -1}
		if forceNonblock {
			arg.Flags = unix.O_NONBLOCK
		}
		if !fixed && !kernel.ReqFdAvailable(t, req) {
			return -kernel.EMFILE
		}
		var nf *vfs.File
		if s == nil {
			ret = -int(unix.ENOTSOCK)
		} else {
			arg.NewID = kernel.ReqNewFileID(req)
			nf, ret = doAccept(t, req, s, &arg)
		}
		switch {
		case ret != 0:
			if ret == -kernel.EAGAIN && forceNonblock && a.iouFlags&rings.IORING_ACCEPT_DONTWAIT == 0 {
				return kernel.IOU_RETRY
			}
			if ret == -vfs.ERESTARTSYS {
				ret = -kernel.EINTR
			}
		case !fixed:
			ret = kernel.ReqInstallFd(t, req, nf, uint64(a.flags&unix.SOCK_CLOEXEC))
		default:
			ret = kernel.FixedFdInstall(t, req, issueFlags, nf, a.fileSlot)
		}
		var cflags uint32
		if arg.IsEmpty == 0 {
			cflags |= rings.IORING_CQE_F_SOCK_NONEMPTY
		}
		post := kernel.ReqPostCQE
		if kernel.ReqBugs(req).MultishotAcceptOverflow {
			post = kernel.ReqPostAuxCQE // before the fix: overflow allowed
		}
		if ret >= 0 && kernel.ReqFlags(req)&kernel.REQ_F_APOLL_MULTISHOT != 0 &&
			post(t, req, int32(ret), cflags|rings.IORING_CQE_F_MORE) {
			if cflags&rings.IORING_CQE_F_SOCK_NONEMPTY != 0 || arg.IsEmpty == -1 {
				continue
			}
			return kernel.IOU_RETRY
		}
		kernel.ReqSetRes(req, int32(ret), cflags)
		if ret < 0 {
			kernel.ReqSetFail(req)
		}
		return kernel.IOU_COMPLETE
	}
}
