package opdef

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// The network ops of io_uring/net.c. They reach sockets only through
// vfs.Socket (sock_from_file): the socket layer itself is package netdev
// on the simulator.

// MULTISHOT_MAX_RETRY is how many receives a multishot receive does in a
// row while the socket says more is queued, before it goes to the back of
// the queue (fairness between flooding clients).
// Linux: io_uring/net.c:MULTISHOT_MAX_RETRY
const MULTISHOT_MAX_RETRY = 32

// Private flags of io_sr_msg.flags above the uapi ones.
// Linux: io_uring/net.c:enum sr_retry_flags
const (
	ioringRecvRetry      = 1 << 15
	ioringRecvPartialMap = 1 << 14
	ioringRecvMshotCap   = 1 << 13
	ioringRecvMshotLim   = 1 << 12
	ioringRecvMshotDone  = 1 << 11
	ioringRecvRetryClear = ioringRecvRetry | ioringRecvPartialMap
)

// Valid sqe->ioprio flags of each op family.
// Linux: io_uring/net.c:SENDMSG_FLAGS, RECVMSG_FLAGS
const (
	sendmsgFlags = rings.IORING_RECVSEND_POLL_FIRST | rings.IORING_RECVSEND_BUNDLE
	recvmsgFlags = rings.IORING_RECVSEND_POLL_FIRST | rings.IORING_RECV_MULTISHOT | rings.IORING_RECVSEND_BUNDLE
)

// msgInternalSendmsgFlags are the MSG_* bits user space may not pass to a
// send (MSG_INTERNAL_SENDMSG_FLAGS).
// Linux: include/linux/socket.h:MSG_INTERNAL_SENDMSG_FLAGS
const msgInternalSendmsgFlags = 0x8000000 /* MSG_SPLICE_PAGES */ | 0x20000000 /* MSG_SENDPAGE_NOPOLICY */ | 0x80000 /* MSG_SENDPAGE_DECRYPTED */

// shutdownData is struct io_shutdown.
type shutdownData struct{ how int32 }

// shutdownPrep reads how from sqe->len; everything else must be zero.
// The op always runs from io-wq.
// Linux: io_uring/net.c:io_shutdown_prep()
func shutdownPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Off != 0 || sqe.Addr != 0 || sqe.OpFlags != 0 || sqe.BufIndex != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	kernel.Cmd[shutdownData](req).how = int32(sqe.Len)
	kernel.ReqAddFlags(req, kernel.REQ_F_FORCE_ASYNC)
	return 0
}

// shutdownIssue is shutdown(2) on the request's socket.
// Linux: io_uring/net.c:io_shutdown()
func shutdownIssue(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	kernel.ReqWarnOn(req, issueFlags&kernel.IO_URING_F_NONBLOCK != 0, "shutdown issued nonblocking")
	s := vfs.SockFromFile(kernel.ReqFile(req))
	if s == nil {
		return -int(unix.ENOTSOCK)
	}
	ret := s.Shutdown(t, kernel.ReqFile(req), int(kernel.Cmd[shutdownData](req).how))
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}

// netRetry is io_net_retry: a short MSG_WAITALL transfer on a stream
// socket is retried for the rest.
// Linux: io_uring/net.c:io_net_retry()
func netRetry(s vfs.Socket, flags uint32) bool {
	if flags&unix.MSG_WAITALL == 0 {
		return false
	}
	return s.Type() == unix.SOCK_STREAM || s.Type() == unix.SOCK_SEQPACKET
}

// srMsg is struct io_sr_msg.
type srMsg struct {
	buf          uint64 // sr->buf, or sr->umsg for the msg variants
	len          uint32
	doneIO       uint32
	msgFlags     uint32
	nrMshotLoops uint32
	flags        uint16
	bufGroup     uint16
	mshotLen     uint32
	mshotTotal   uint32
	msgControl   uint64
}

// asyncMsghdr is struct io_async_msghdr: the socket-layer message, its
// address, and the multishot recvmsg layout.
// Linux: io_uring/net.h:struct io_async_msghdr
type asyncMsghdr struct {
	msg        vfs.Msghdr
	addr       [128]byte // sockaddr_storage
	hasAddr    bool
	iovs       []iovec // the user iovecs (import_iovec), or nil for one buffer
	uaddr      uint64  // msg_name in user memory (recvmsg)
	namelen    int32   // multishot recvmsg: room for the name
	controllen uint64  // multishot recvmsg: room for control data
	payloadlen int
	nbufs      int   // bundle: buffers mapped
	bufLens    []int // bundle: their lengths
	sel        kernel.BufSel
	umsgIovlen uint64
	notif      *kernel.Req // a zero-copy send's notification, until flushed
	fixed      [][]byte    // IORING_RECVSEND_FIXED_BUF: what is left to send of the registered buffer's range
	zcReport   bool        // IORING_SEND_ZC_REPORT_USAGE
	zcSent     bool        // the send moved data (the notification reports it copied)
}

func kmsgOf(req *kernel.Req) *asyncMsghdr { return kernel.ReqAsyncData(req).(*asyncMsghdr) }

// sendmsgPrep is io_sendmsg_prep for SEND, SENDMSG and (through
// sendZCPrep) their zero-copy forms.
// Linux: io_uring/net.c:io_sendmsg_prep(), io_send_setup(), io_sendmsg_setup()
func sendmsgPrep(req *kernel.Req, sqe *rings.SQE) int {
	sr := kernel.Cmd[srMsg](req)
	*sr = srMsg{}
	op := sqe.Opcode
	if op != rings.IORING_OP_SEND {
		if sqe.Off != 0 || sqe.SpliceFdIn != 0 {
			return -kernel.EINVAL
		}
	}
	sr.len = sqe.Len
	sr.flags = sqe.Ioprio
	if sr.flags&^sendmsgFlags != 0 {
		return -kernel.EINVAL
	}
	sr.msgFlags = sqe.OpFlags | unix.MSG_NOSIGNAL
	if sr.msgFlags&unix.MSG_DONTWAIT != 0 {
		kernel.ReqAddFlags(req, kernel.REQ_F_NOWAIT)
	}
	if kernel.ReqFlags(req)&kernel.REQ_F_BUFFER_SELECT != 0 {
		sr.bufGroup = sqe.BufIndex
	}
	if sr.flags&rings.IORING_RECVSEND_BUNDLE != 0 {
		if op == rings.IORING_OP_SENDMSG {
			return -kernel.EINVAL
		}
		if kernel.ReqFlags(req)&kernel.REQ_F_BUFFER_SELECT == 0 {
			return -kernel.EINVAL
		}
		sr.msgFlags |= unix.MSG_WAITALL
	}
	kmsg, ok := kernel.ReqAsyncData(req).(*asyncMsghdr) // a zero-copy send's has its notification
	if !ok {
		kmsg = &asyncMsghdr{}
		kernel.ReqSetAsyncData(req, kmsg)
	}
	sr.buf = sqe.Addr
	if op != rings.IORING_OP_SENDMSG {
		if sqe.Pad3() != 0 {
			return -kernel.EINVAL
		}
		if a2 := sqe.Addr2(); a2 != 0 {
			n := int(sqe.AddrLen())
			if ret := moveAddrToKernel(req, a2, n, kmsg); ret < 0 {
				return ret
			}
		}
		return 0
	}
	return msgCopyHdr(req, kmsg, sr, false)
}

// moveAddrToKernel copies a sockaddr of n bytes from user memory:
// -EINVAL past sizeof(sockaddr_storage) or negative, -EFAULT unmapped.
// Linux: net/socket.c:move_addr_to_kernel()
func moveAddrToKernel(req *kernel.Req, uaddr uint64, n int, kmsg *asyncMsghdr) int {
	if n < 0 || n > len(kmsg.addr) {
		return -kernel.EINVAL
	}
	if n == 0 {
		kmsg.msg.Name, kmsg.msg.NameLen, kmsg.hasAddr = nil, 0, true
		return 0
	}
	if errno := kernel.ReqMM(req).CopyFromUser(kmsg.addr[:n], uaddr); errno != 0 {
		return errno
	}
	kmsg.msg.Name, kmsg.msg.NameLen, kmsg.hasAddr = kmsg.addr[:n], n, true
	return 0
}

// userBuf resolves [addr, addr+n) of the request's user memory.
func userBuf(req *kernel.Req, addr uint64, n uint64) ([]byte, int) {
	if n == 0 {
		return nil, 0
	}
	return kernel.ReqMM(req).Slice(addr, n)
}

// resolveIovs turns the imported user iovecs into memory.
func resolveIovs(req *kernel.Req, iovs []iovec) ([][]byte, int) {
	out := make([][]byte, 0, len(iovs))
	for _, v := range iovs {
		b, errno := userBuf(req, v.base, v.len)
		if errno != 0 {
			return nil, errno
		}
		out = append(out, b)
	}
	return out, 0
}

// sendSelectBuffer picks the provided buffer(s) a buffer-selecting send
// sends from: one, or with IORING_RECVSEND_BUNDLE as many as are
// published (up to sr->len bytes).
// Linux: io_uring/net.c:io_send_select_buffer()
func sendSelectBuffer(t *sim.Thread, req *kernel.Req, issueFlags uint32, kmsg *asyncMsghdr) int {
	sr := kernel.Cmd[srMsg](req)
	arg := kernel.BufSelArg{NrIovs: 1, MaxLen: uint64(sr.len), BufGroup: sr.bufGroup}
	if sr.len == 0 {
		arg.MaxLen = 1<<31 - 1
	}
	if sr.flags&rings.IORING_RECVSEND_BUNDLE != 0 {
		arg.Expand = true
	}
	ret := kernel.BuffersSelect(t, req, &arg, &kmsg.sel, issueFlags)
	if ret < 0 {
		return ret
	}
	sr.len = uint32(arg.OutLen)
	kmsg.iovs = kmsg.iovs[:0]
	kmsg.bufLens = kmsg.bufLens[:0]
	for _, v := range arg.Iovs[:ret] {
		kmsg.iovs = append(kmsg.iovs, iovec{v.Base, v.Len})
		kmsg.bufLens = append(kmsg.bufLens, int(v.Len))
	}
	kmsg.nbufs = ret
	return 0
}

// netKbufRecycle prepares a partial transfer's retry: its provided
// buffers stay with the request (REQ_F_BL_NO_RECYCLE), and ring buffers
// selected but not yet committed are committed now, so that no other
// request selects them while this one waits for the rest of its data.
// Linux: io_uring/net.c:io_net_kbuf_recyle()
func netKbufRecycle(req *kernel.Req, kmsg *asyncMsghdr, n int) int {
	kernel.ReqAddFlags(req, kernel.REQ_F_BL_NO_RECYCLE)
	// NetPartialNoCommit: the buffer is kept uncommitted, as before the fix.
	if kernel.ReqFlags(req)&kernel.REQ_F_BUFFERS_COMMIT != 0 && !kernel.ReqBugs(req).NetPartialNoCommit {
		kernel.KbufCommit(req, &kmsg.sel, n, max(bundleNbufs(kmsg, n), 1))
	}
	return -kernel.EAGAIN
}

// bundleNbufs is how many of the bundle's buffers a transfer of ret
// bytes used.
// Linux: io_uring/net.c:io_bundle_nbufs()
func bundleNbufs(kmsg *asyncMsghdr, ret int) int {
	if ret <= 0 {
		return 0
	}
	n := 0
	for n < len(kmsg.bufLens) && ret > 0 {
		ret -= min(kmsg.bufLens[n], ret)
		n++
	}
	return n
}

// sendFinish posts a bundle's CQE and decides whether to send again.
// Linux: io_uring/net.c:io_send_finish()
func sendFinish(t *sim.Thread, req *kernel.Req, ret *int, kmsg *asyncMsghdr) bool {
	sr := kernel.Cmd[srMsg](req)
	var cflags uint32
	if sr.flags&rings.IORING_RECVSEND_BUNDLE == 0 {
		cflags = kernel.PutKbuf(req, *ret, &kmsg.sel)
	} else {
		bundleFinished := *ret <= 0
		cflags = kernel.PutKbufs(req, *ret, &kmsg.sel, bundleNbufs(kmsg, *ret))
		if !bundleFinished && kernel.ReqFlags(req)&kernel.REQ_F_BL_EMPTY == 0 &&
			kernel.ReqPostCQE(t, req, int32(*ret), cflags|rings.IORING_CQE_F_MORE) {
			mshotPrepRetry(req)
			return false
		}
	}
	kernel.ReqSetRes(req, int32(*ret), cflags)
	*ret = kernel.IOU_COMPLETE
	return true
}

// mshotPrepRetry readies a multishot or bundle request for its next round.
// Linux: io_uring/net.c:io_mshot_prep_retry()
func mshotPrepRetry(req *kernel.Req) {
	sr := kernel.Cmd[srMsg](req)
	kernel.ReqClearFlags(req, kernel.REQ_F_BL_EMPTY)
	sr.doneIO = 0
	sr.flags &^= ioringRecvRetryClear
	sr.len = sr.mshotLen
}

// sendIssue is io_send: one sock_sendmsg of the buffer (or the selected
// provided buffers); a short MSG_WAITALL send on a stream is retried for
// the rest, counting what went already.
// Linux: io_uring/net.c:io_send()
func sendIssue(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	sr := kernel.Cmd[srMsg](req)
	kmsg := kmsgOf(req)
	f, s, flags, errno := netIssueStart(req, issueFlags)
	if errno != 0 {
		return errno
	}
	for {
		bufsel := kernel.DoBufferSelect(req)
		if bufsel {
			if ret := sendSelectBuffer(t, req, issueFlags, kmsg); ret != 0 {
				return ret
			}
		}
		var iov [][]byte
		var errno int
		if bufsel || len(kmsg.iovs) > 0 && kernel.ReqFlags(req)&kernel.REQ_F_BUFFER_SELECT != 0 {
			iov, errno = resolveIovs(req, kmsg.iovs)
		} else if sr.flags&rings.IORING_RECVSEND_FIXED_BUF != 0 {
			iov = kmsg.fixed
		} else {
			var b []byte
			b, errno = userBuf(req, sr.buf, uint64(sr.len))
			iov = [][]byte{b}
		}
		minRet := 0
		if flags&unix.MSG_WAITALL != 0 || sr.flags&rings.IORING_RECVSEND_BUNDLE != 0 {
			minRet = lenOf(iov)
		}
		ret := errno
		if errno == 0 {
			kmsg.msg.Iov = iov
			ret = s.Sendmsg(t, f, &kmsg.msg, int(flags&^msgInternalSendmsgFlags))
		}
		if ret < minRet {
			if ret == -kernel.EAGAIN && issueFlags&kernel.IO_URING_F_NONBLOCK != 0 {
				return -kernel.EAGAIN
			}
			if ret > 0 && netRetry(s, flags) {
				sr.len -= uint32(ret)
				sr.buf += uint64(ret)
				sr.doneIO += uint32(ret)
				if bufsel || kernel.ReqFlags(req)&kernel.REQ_F_BUFFER_SELECT != 0 {
					advanceIovs(kmsg, ret)
				}
				kmsg.fixed = vfs.IovAdvance(kmsg.fixed, ret)
				return netKbufRecycle(req, kmsg, ret)
			}
			if ret == -vfs.ERESTARTSYS {
				ret = -kernel.EINTR
			}
			kernel.ReqSetFail(req)
		}
		if ret >= 0 {
			ret += int(sr.doneIO)
		} else if sr.doneIO != 0 {
			ret = int(sr.doneIO)
		}
		if sendFinish(t, req, &ret, kmsg) {
			return ret
		}
	}
}

// advanceIovs drops the first n bytes of the selected buffers after a
// partial transfer that will be retried.
func advanceIovs(kmsg *asyncMsghdr, n int) {
	for len(kmsg.iovs) > 0 && n > 0 {
		v := &kmsg.iovs[0]
		if uint64(n) < v.len {
			v.base += uint64(n)
			v.len -= uint64(n)
			return
		}
		n -= int(v.len)
		kmsg.iovs = kmsg.iovs[1:]
	}
}

func lenOf(iov [][]byte) int {
	n := 0
	for _, b := range iov {
		n += len(b)
	}
	return n
}

// recvmsgPrep is io_recvmsg_prep for RECV and RECVMSG.
// Linux: io_uring/net.c:io_recvmsg_prep(), io_recvmsg_prep_setup()
func recvmsgPrep(req *kernel.Req, sqe *rings.SQE) int {
	sr := kernel.Cmd[srMsg](req)
	*sr = srMsg{}
	if sqe.Addr2() != 0 {
		return -kernel.EINVAL
	}
	sr.buf = sqe.Addr
	sr.len = sqe.Len
	sr.flags = sqe.Ioprio
	if sr.flags&^recvmsgFlags != 0 {
		return -kernel.EINVAL
	}
	sr.msgFlags = sqe.OpFlags
	if sr.msgFlags&unix.MSG_DONTWAIT != 0 {
		kernel.ReqAddFlags(req, kernel.REQ_F_NOWAIT)
	}
	if sr.msgFlags&unix.MSG_ERRQUEUE != 0 {
		kernel.ReqAddFlags(req, kernel.REQ_F_CLEAR_POLLIN)
	}
	if kernel.ReqFlags(req)&kernel.REQ_F_BUFFER_SELECT != 0 {
		sr.bufGroup = sqe.BufIndex
	}
	if sr.flags&rings.IORING_RECV_MULTISHOT != 0 {
		if kernel.ReqFlags(req)&kernel.REQ_F_BUFFER_SELECT == 0 {
			return -kernel.EINVAL
		}
		if sr.msgFlags&unix.MSG_WAITALL != 0 {
			return -kernel.EINVAL
		}
		if sqe.Opcode == rings.IORING_OP_RECV {
			sr.mshotLen = sr.len
			sr.mshotTotal = sqe.Optlen()
			if sr.mshotTotal != 0 {
				sr.flags |= ioringRecvMshotLim
			}
		} else if sqe.Optlen() != 0 {
			return -kernel.EINVAL
		}
		kernel.ReqAddFlags(req, kernel.REQ_F_APOLL_MULTISHOT)
	} else if sqe.Optlen() != 0 {
		return -kernel.EINVAL
	}
	if sr.flags&rings.IORING_RECVSEND_BUNDLE != 0 && sqe.Opcode == rings.IORING_OP_RECVMSG {
		return -kernel.EINVAL
	}
	kmsg := &asyncMsghdr{}
	kernel.ReqSetAsyncData(req, kmsg)
	if sqe.Opcode == rings.IORING_OP_RECV {
		return 0
	}
	return msgCopyHdr(req, kmsg, sr, true)
}

// recvBufSelect picks the provided buffer(s) a receive fills: one of
// the group, or for a bundle as many as are published (up to what the
// socket said is queued), not committed until the receive says how much
// it used.
// Linux: io_uring/net.c:io_recv_buf_select()
func recvBufSelect(t *sim.Thread, req *kernel.Req, kmsg *asyncMsghdr, issueFlags uint32) int {
	sr := kernel.Cmd[srMsg](req)
	kmsg.bufLens = kmsg.bufLens[:0]
	kmsg.iovs = kmsg.iovs[:0]
	if issueFlags&kernel.IO_URING_F_UNLOCKED == 0 && sr.flags&rings.IORING_RECVSEND_BUNDLE != 0 {
		// The request's length bounds the bundle; without one, what the
		// socket last said is queued.
		arg := kernel.BufSelArg{NrIovs: 1, Expand: true, BufGroup: sr.bufGroup}
		if sr.len != 0 {
			arg.MaxLen = uint64(sr.len)
		} else if kmsg.msg.Inq > 1 {
			arg.MaxLen = uint64(kmsg.msg.Inq)
		}
		if sr.flags&ioringRecvMshotLim != 0 {
			arg.MaxLen = minNotZero(arg.MaxLen, uint64(sr.mshotTotal))
		}
		ret := kernel.BuffersPeek(req, &arg, &kmsg.sel)
		if ret < 0 {
			return ret
		}
		if arg.PartialMap {
			sr.flags |= ioringRecvPartialMap
		}
		for _, v := range arg.Iovs[:ret] {
			kmsg.iovs = append(kmsg.iovs, iovec{v.Base, v.Len})
			kmsg.bufLens = append(kmsg.bufLens, int(v.Len))
		}
		kmsg.nbufs = ret
		return 0
	}
	n := uint64(sr.len)
	if sr.flags&ioringRecvMshotLim != 0 {
		n = minNotZero(n, uint64(sr.mshotTotal))
	}
	kmsg.sel = kernel.BufferSelect(t, req, &n, sr.bufGroup, issueFlags)
	if kmsg.sel.Addr == 0 {
		return -kernel.ENOBUFS
	}
	sr.buf, sr.len = kmsg.sel.Addr, uint32(n)
	kmsg.iovs = append(kmsg.iovs, iovec{sr.buf, n})
	kmsg.bufLens = append(kmsg.bufLens, int(n))
	kmsg.nbufs = 1
	return 0
}

func minNotZero(a, b uint64) uint64 {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}

// cqeFMask are the flags a bundle retry takes from the latest round.
// Linux: io_uring/net.c:CQE_F_MASK
const cqeFMask = rings.IORING_CQE_F_SOCK_NONEMPTY | rings.IORING_CQE_F_MORE

// recvFinish posts a receive's CQE and decides whether a multishot
// receive goes on (false: receive again now), and with what (*ret):
// IOU_RETRY to wait for the next poll event, IOU_REQUEUE after
// MULTISHOT_MAX_RETRY rounds in a row, IOU_COMPLETE when this CQE is the
// last (an error, end of stream, no buffer, a full CQ, the total limit).
// Linux: io_uring/net.c:io_recv_finish()
func recvFinish(t *sim.Thread, req *kernel.Req, ret *int, kmsg *asyncMsghdr, mshotFinished bool, issueFlags uint32) bool {
	sr := kernel.Cmd[srMsg](req)
	var cflags uint32
	if kmsg.msg.Inq > 0 {
		cflags |= rings.IORING_CQE_F_SOCK_NONEMPTY
	}
	if *ret > 0 && sr.flags&ioringRecvMshotLim != 0 {
		sr.mshotTotal -= min(uint32(*ret), sr.mshotTotal)
		if sr.mshotTotal == 0 {
			sr.flags |= ioringRecvMshotDone
			mshotFinished = true
		}
	}
	finish := false
	if sr.flags&rings.IORING_RECVSEND_BUNDLE != 0 {
		thisRet := *ret - int(sr.doneIO)
		cflags |= kernel.PutKbufs(req, thisRet, &kmsg.sel, bundleNbufs(kmsg, thisRet))
		if sr.flags&ioringRecvRetry != 0 {
			cflags = kernel.ReqCQEFlags(req) | cflags&cqeFMask
		}
		if sr.mshotLen != 0 && *ret >= int(sr.mshotLen) {
			sr.flags |= ioringRecvMshotCap
		}
		if kernel.ReqFlags(req)&kernel.REQ_F_BL_EMPTY != 0 {
			finish = true
		} else if sr.flags&(ioringRecvRetry|ioringRecvPartialMap|ioringRecvMshotCap|ioringRecvMshotDone) == 0 &&
			kmsg.msg.Inq > 0 && thisRet > 0 && !mshotFinished {
			kernel.ReqSetCQEFlags(req, cflags&^cqeFMask)
			if sr.mshotLen == 0 || uint32(kmsg.msg.Inq) < sr.mshotLen {
				sr.len = uint32(kmsg.msg.Inq)
			}
			sr.doneIO += uint32(thisRet)
			sr.flags |= ioringRecvRetry
			return false
		}
	} else {
		cflags |= kernel.PutKbuf(req, *ret, &kmsg.sel)
	}
	if !finish && kernel.ReqFlags(req)&kernel.REQ_F_APOLL_MULTISHOT != 0 && !mshotFinished &&
		kernel.ReqPostCQE(t, req, int32(*ret), cflags|rings.IORING_CQE_F_MORE) {
		*ret = kernel.IOU_RETRY
		mshotPrepRetry(req)
		if cflags&rings.IORING_CQE_F_SOCK_NONEMPTY != 0 || kmsg.msg.Inq < 0 {
			if sr.nrMshotLoops < MULTISHOT_MAX_RETRY && sr.flags&ioringRecvMshotCap == 0 {
				sr.nrMshotLoops++
				return false
			}
			sr.nrMshotLoops = 0
			sr.flags &^= ioringRecvMshotCap
			if issueFlags&kernel.IO_URING_F_MULTISHOT != 0 {
				*ret = kernel.IOU_REQUEUE
			}
		}
		return true
	}
	kernel.ReqSetRes(req, int32(*ret), cflags)
	*ret = kernel.IOU_COMPLETE
	return true
}

// recvIssue is io_recv: one sock_recvmsg into the buffer or the selected
// provided buffer(s); multishot receives loop through recvFinish.
// Linux: io_uring/net.c:io_recv()
func recvIssue(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	sr := kernel.Cmd[srMsg](req)
	kmsg := kmsgOf(req)
	if kernel.ReqFlags(req)&kernel.REQ_F_POLLED == 0 && sr.flags&rings.IORING_RECVSEND_POLL_FIRST != 0 {
		return -kernel.EAGAIN
	}
	f := kernel.ReqFile(req)
	s := vfs.SockFromFile(f)
	if s == nil {
		return -int(unix.ENOTSOCK)
	}
	forceNonblock := issueFlags&kernel.IO_URING_F_NONBLOCK != 0
	flags := sr.msgFlags
	if forceNonblock {
		flags |= unix.MSG_DONTWAIT
	}
	for {
		var ret int
		var iov [][]byte
		bufsel := kernel.DoBufferSelect(req)
		if bufsel {
			if r := recvBufSelect(t, req, kmsg, issueFlags); r != 0 {
				kmsg.msg.Inq = -1
				ret = r
				kernel.ReqSetFail(req)
				goto done
			}
		}
		if kernel.ReqFlags(req)&kernel.REQ_F_BUFFER_SELECT != 0 {
			var errno int
			iov, errno = resolveIovs(req, kmsg.iovs)
			if errno != 0 {
				ret = errno
				kernel.ReqSetFail(req)
				goto done
			}
		} else {
			b, errno := userBuf(req, sr.buf, uint64(sr.len))
			if errno != 0 {
				ret = errno
				kernel.ReqSetFail(req)
				goto done
			}
			iov = [][]byte{b}
		}
		kmsg.msg = vfs.Msghdr{Iov: iov, GetInq: true, Inq: -1}
		{
			minRet := 0
			if flags&unix.MSG_WAITALL != 0 {
				minRet = lenOf(iov)
			}
			ret = s.Recvmsg(t, f, &kmsg.msg, int(flags))
			if ret < minRet {
				if ret == -kernel.EAGAIN && forceNonblock {
					kernel.KbufRecycle(t, req, &kmsg.sel, issueFlags)
					return kernel.IOU_RETRY
				}
				if ret > 0 && netRetry(s, flags) {
					sr.len -= uint32(ret)
					sr.buf += uint64(ret)
					sr.doneIO += uint32(ret)
					advanceIovs(kmsg, ret)
					return netKbufRecycle(req, kmsg, ret)
				}
				if ret == -vfs.ERESTARTSYS {
					ret = -kernel.EINTR
				}
				kernel.ReqSetFail(req)
			} else if flags&unix.MSG_WAITALL != 0 && kmsg.msg.Flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
				kernel.ReqSetFail(req)
			}
		}
	done:
		mshotFinished := ret <= 0
		if ret > 0 {
			ret += int(sr.doneIO)
		} else if sr.doneIO != 0 {
			ret = int(sr.doneIO)
		} else {
			kernel.KbufRecycle(t, req, &kmsg.sel, issueFlags)
		}
		if recvFinish(t, req, &ret, kmsg, mshotFinished, issueFlags) {
			return ret
		}
	}
}

// netIssueStart is the prologue every send and receive shares: the
// socket behind the file (-ENOTSOCK), IORING_RECVSEND_POLL_FIRST's first
// -EAGAIN, and the MSG_* flags with MSG_DONTWAIT for a nonblocking issue.
// Linux: io_uring/net.c:io_send(), io_sendmsg(), io_recv(), io_recvmsg()
func netIssueStart(req *kernel.Req, issueFlags uint32) (*vfs.File, vfs.Socket, uint32, int) {
	sr := kernel.Cmd[srMsg](req)
	f := kernel.ReqFile(req)
	s := vfs.SockFromFile(f)
	if s == nil {
		return nil, nil, 0, -int(unix.ENOTSOCK)
	}
	if kernel.ReqFlags(req)&kernel.REQ_F_POLLED == 0 && sr.flags&rings.IORING_RECVSEND_POLL_FIRST != 0 {
		return nil, nil, 0, -kernel.EAGAIN
	}
	flags := sr.msgFlags
	if issueFlags&kernel.IO_URING_F_NONBLOCK != 0 {
		flags |= unix.MSG_DONTWAIT
	}
	return f, s, flags, 0
}
