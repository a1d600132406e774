package opdef

import (
	"encoding/binary"
	"math"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// struct user_msghdr field offsets (x86-64), and its size.
// Linux: include/linux/socket.h:struct user_msghdr
const (
	msghdrName       = 0
	msghdrNamelen    = 8
	msghdrIov        = 16
	msghdrIovlen     = 24
	msghdrControl    = 32
	msghdrControllen = 40
	msghdrFlags      = 48
	sizeofMsghdr     = 56
	// sizeofRecvmsgOut is sizeof(struct io_uring_recvmsg_out).
	sizeofRecvmsgOut = 16
	// sizeofSockaddrStorage is sizeof(struct sockaddr_storage).
	sizeofSockaddrStorage = 128
)

// msgCopyHdr reads the user's struct msghdr: the name (copied in for a
// send, remembered for a receive), the iovecs (or, for a buffer-selecting
// receive, at most one whose length is the wanted one), the control
// buffer.
// Differs from Linux: control messages are not interpreted (a send's
// are ignored, a receive gets none).
// Linux: io_uring/net.c:io_msg_copy_hdr(), io_recvmsg_mshot_prep(), net/socket.c:__copy_msghdr()
func msgCopyHdr(req *kernel.Req, kmsg *asyncMsghdr, sr *srMsg, recv bool) int {
	var raw [sizeofMsghdr]byte
	if kernel.ReqMM(req).CopyFromUser(raw[:], sr.buf) != 0 {
		return -kernel.EFAULT
	}
	le := binary.LittleEndian
	name := le.Uint64(raw[msghdrName:])
	namelen := int32(le.Uint32(raw[msghdrNamelen:]))
	iovAddr := le.Uint64(raw[msghdrIov:])
	iovlen := le.Uint64(raw[msghdrIovlen:])
	control := le.Uint64(raw[msghdrControl:])
	controllen := le.Uint64(raw[msghdrControllen:])
	if name == 0 {
		namelen = 0
	}
	if namelen < 0 {
		return -kernel.EINVAL
	}
	if namelen > sizeofSockaddrStorage {
		namelen = sizeofSockaddrStorage
	}
	if controllen > math.MaxInt32 {
		return -kernel.ENOBUFS
	}
	sr.msgControl = control
	if recv {
		kmsg.uaddr = name
	} else if name != 0 && namelen != 0 {
		if ret := moveAddrToKernel(req, name, int(namelen), kmsg); ret < 0 {
			return ret
		}
	}
	kmsg.umsgIovlen = iovlen
	if kernel.ReqFlags(req)&kernel.REQ_F_BUFFER_SELECT != 0 {
		switch {
		case iovlen == 0:
			sr.len = 0
		case iovlen > 1:
			return -kernel.EINVAL
		default:
			var v [16]byte
			if kernel.ReqMM(req).CopyFromUser(v[:], iovAddr) != 0 {
				return -kernel.EFAULT
			}
			sr.len = uint32(le.Uint64(v[8:]))
		}
		if recv && kernel.ReqFlags(req)&kernel.REQ_F_APOLL_MULTISHOT != 0 {
			kmsg.namelen = namelen
			kmsg.controllen = controllen
		}
		return 0
	}
	if iovlen > uioMaxIOV {
		return -int(unix.EMSGSIZE)
	}
	iov, ret := importIovec(req, iovAddr, int(iovlen))
	if ret != 0 {
		return ret
	}
	kmsg.iovs = iov
	return 0
}

// sendmsgIssue is io_sendmsg: __sys_sendmsg_sock with the imported
// message.
// Linux: io_uring/net.c:io_sendmsg()
func sendmsgIssue(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	sr := kernel.Cmd[srMsg](req)
	kmsg := kmsgOf(req)
	f, s, flags, errno := netIssueStart(req, issueFlags)
	if errno != 0 {
		return errno
	}
	var iov [][]byte
	var ret int
	if sr.flags&rings.IORING_RECVSEND_FIXED_BUF != 0 { // SENDMSG_ZC: sendmsgZCImport
		iov = kmsg.fixed
	} else {
		iov, ret = resolveIovs(req, kmsg.iovs)
	}
	minRet := 0
	if ret == 0 {
		if flags&unix.MSG_WAITALL != 0 {
			minRet = lenOf(iov)
		}
		kmsg.msg.Iov = iov
		ret = s.Sendmsg(t, f, &kmsg.msg, int(flags&^msgInternalSendmsgFlags))
	}
	if ret < minRet {
		if ret == -kernel.EAGAIN && issueFlags&kernel.IO_URING_F_NONBLOCK != 0 {
			return -kernel.EAGAIN
		}
		if ret > 0 && netRetry(s, flags) {
			sr.doneIO += uint32(ret)
			advanceIovs(kmsg, ret)
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
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}

// recvmsgPrepMultishot lays out a multishot recvmsg's buffer: the
// io_uring_recvmsg_out header, room for the name and control data, then
// the payload (-EFAULT when the buffer cannot hold the header).
// Linux: io_uring/net.c:io_recvmsg_prep_multishot()
func recvmsgPrepMultishot(kmsg *asyncMsghdr, sr *srMsg, buf *uint64, n *uint64) int {
	hdr := uint64(sizeofRecvmsgOut) + uint64(kmsg.namelen) + kmsg.controllen
	if *n < hdr {
		return -kernel.EFAULT
	}
	sr.buf = *buf
	*buf += hdr
	*n -= hdr
	kmsg.payloadlen = int(*n)
	return 0
}

// recvmsgMultishot receives into a multishot recvmsg's payload area and
// writes the io_uring_recvmsg_out header and the name before it; the
// result covers header, name and control room and the payload copied.
// Linux: io_uring/net.c:io_recvmsg_multishot()
func recvmsgMultishot(t *sim.Thread, req *kernel.Req, s vfs.Socket, f *vfs.File, kmsg *asyncMsghdr, payload []byte, flags uint32, finished *bool) int {
	sr := kernel.Cmd[srMsg](req)
	var name [sizeofSockaddrStorage]byte
	kmsg.msg = vfs.Msghdr{Iov: [][]byte{payload}, GetInq: true, Inq: -1}
	if kmsg.namelen > 0 {
		kmsg.msg.Name = name[:]
	}
	if f.Flags&unix.O_NONBLOCK != 0 {
		flags |= unix.MSG_DONTWAIT
	}
	err := s.Recvmsg(t, f, &kmsg.msg, int(flags))
	*finished = err <= 0
	if err < 0 {
		return err
	}
	var hdr [sizeofRecvmsgOut + sizeofSockaddrStorage]byte
	le := binary.LittleEndian
	le.PutUint32(hdr[0:], uint32(kmsg.msg.NameLen))
	le.PutUint32(hdr[4:], 0) // controllen: no control messages
	le.PutUint32(hdr[8:], uint32(err))
	le.PutUint32(hdr[12:], uint32(kmsg.msg.Flags))
	copied := min(err, kmsg.payloadlen)
	copyLen := sizeofRecvmsgOut + min(kmsg.msg.NameLen, int(kmsg.namelen))
	copy(hdr[sizeofRecvmsgOut:], name[:])
	if kernel.ReqMM(req).CopyToUser(sr.buf, hdr[:copyLen]) != 0 {
		*finished = true
		return -kernel.EFAULT
	}
	return sizeofRecvmsgOut + int(kmsg.namelen) + int(kmsg.controllen) + copied
}

// recvmsgIssue is io_recvmsg.
// Linux: io_uring/net.c:io_recvmsg(), net/socket.c:____sys_recvmsg()
func recvmsgIssue(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	sr := kernel.Cmd[srMsg](req)
	kmsg := kmsgOf(req)
	f, s, flags, errno := netIssueStart(req, issueFlags)
	if errno != 0 {
		return errno
	}
	forceNonblock := issueFlags&kernel.IO_URING_F_NONBLOCK != 0
	mm := kernel.ReqMM(req)
	for {
		mshotFinished := true
		minRet := 0
		var ret int
		var payload []byte
		bufsel := kernel.DoBufferSelect(req)
		if bufsel {
			n := uint64(sr.len)
			kmsg.sel = kernel.BufferSelect(t, req, &n, sr.bufGroup, issueFlags)
			if kmsg.sel.Addr == 0 {
				return -kernel.ENOBUFS
			}
			buf := kmsg.sel.Addr
			if kernel.ReqFlags(req)&kernel.REQ_F_APOLL_MULTISHOT != 0 {
				if r := recvmsgPrepMultishot(kmsg, sr, &buf, &n); r != 0 {
					kernel.KbufRecycle(t, req, &kmsg.sel, issueFlags)
					return r
				}
			}
			var errno int
			payload, errno = userBuf(req, buf, n)
			if errno != 0 {
				kernel.KbufRecycle(t, req, &kmsg.sel, issueFlags)
				return errno
			}
			kmsg.iovs = []iovec{{buf, n}}
		}
		if kernel.ReqFlags(req)&kernel.REQ_F_APOLL_MULTISHOT != 0 {
			ret = recvmsgMultishot(t, req, s, f, kmsg, payload, flags, &mshotFinished)
		} else {
			iov, errno := resolveIovs(req, kmsg.iovs)
			ret = errno
			if errno == 0 {
				if flags&unix.MSG_WAITALL != 0 {
					minRet = lenOf(iov)
				}
				var name [sizeofSockaddrStorage]byte
				kmsg.msg = vfs.Msghdr{Iov: iov, GetInq: true, Inq: -1}
				if kmsg.uaddr != 0 {
					kmsg.msg.Name = name[:]
				}
				ret = s.Recvmsg(t, f, &kmsg.msg, int(flags))
				if ret >= 0 {
					ret = putRecvmsgResult(req, mm, sr, kmsg, name[:], ret)
				}
			}
		}
		if ret < minRet {
			if ret == -kernel.EAGAIN && forceNonblock {
				kernel.KbufRecycle(t, req, &kmsg.sel, issueFlags)
				return kernel.IOU_RETRY
			}
			if ret > 0 && netRetry(s, flags) {
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

// putRecvmsgResult writes what recvmsg(2) reports back into the user's
// msghdr: the source address and its length (move_addr_to_user), the
// flags, and the control length used (none).
// Linux: net/socket.c:____sys_recvmsg(), move_addr_to_user()
func putRecvmsgResult(req *kernel.Req, mm interface {
	CopyToUser(uint64, []byte) int
	CopyFromUser([]byte, uint64) int
}, sr *srMsg, kmsg *asyncMsghdr, name []byte, ret int) int {
	le := binary.LittleEndian
	if kmsg.uaddr != 0 {
		var ul [4]byte
		if mm.CopyFromUser(ul[:], sr.buf+msghdrNamelen) != 0 {
			return -kernel.EFAULT
		}
		ulen := int(int32(le.Uint32(ul[:])))
		if ulen < 0 {
			return -kernel.EINVAL
		}
		klen := kmsg.msg.NameLen
		n := min(ulen, klen)
		if n > 0 && mm.CopyToUser(kmsg.uaddr, name[:n]) != 0 {
			return -kernel.EFAULT
		}
		le.PutUint32(ul[:], uint32(klen))
		if mm.CopyToUser(sr.buf+msghdrNamelen, ul[:]) != 0 {
			return -kernel.EFAULT
		}
	}
	var fl [4]byte
	le.PutUint32(fl[:], uint32(kmsg.msg.Flags))
	if mm.CopyToUser(sr.buf+msghdrFlags, fl[:]) != 0 {
		return -kernel.EFAULT
	}
	var cl [8]byte
	if mm.CopyToUser(sr.buf+msghdrControllen, cl[:]) != 0 {
		return -kernel.EFAULT
	}
	return ret
}
