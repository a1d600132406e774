package vfs

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
)

// The data path of a host socket: sendmsg and recvmsg on the host over
// the message's buffers (kernel-side views of user memory, or Go memory,
// which does not move during the call: x/sys/unix's own sendmsg builds
// its struct msghdr the same way).

// hostMsghdr is a struct msghdr for the host over m's name, the iovecs
// from iov on, and control buffer.
func hostMsghdr(m *Msghdr, name []byte, iov [][]byte) *unix.Msghdr {
	hdr := &unix.Msghdr{}
	if len(name) > 0 {
		hdr.Name = &name[0]
		hdr.Namelen = uint32(len(name))
	}
	var vs []unix.Iovec
	for _, b := range iov {
		if len(b) == 0 {
			continue
		}
		vs = append(vs, unix.Iovec{Base: &b[0], Len: uint64(len(b))})
	}
	if len(vs) > 0 {
		hdr.Iov = &vs[0]
		hdr.Iovlen = uint64(len(vs))
	}
	if len(m.Control) > 0 {
		hdr.Control = &m.Control[0]
		hdr.Controllen = uint64(len(m.Control))
	}
	return hdr
}

// msgCall is one sendmsg or recvmsg (nr) of the host with MSG_DONTWAIT.
func (s *hostSock) msgCall(nr uintptr, m *Msghdr, name []byte, iov [][]byte, flags int) (int, *unix.Msghdr, unix.Errno) {
	hdr := hostMsghdr(m, name, iov)
	r, _, e := unix.Syscall(nr, uintptr(s.h.Fd), uintptr(unsafe.Pointer(hdr)), uintptr(flags|unix.MSG_DONTWAIT))
	return int(r), hdr, e
}

// IovAdvance is iov without its first n bytes (iov_iter_advance on a
// kernel-side iovec array).
// Linux: lib/iov_iter.c:iov_iter_advance()
func IovAdvance(iov [][]byte, n int) [][]byte {
	for len(iov) > 0 && n >= len(iov[0]) {
		n -= len(iov[0])
		iov = iov[1:]
	}
	if len(iov) > 0 && n > 0 {
		iov = append([][]byte{iov[0][n:]}, iov[1:]...)
	}
	return iov
}

// Sendmsg is sendmsg(2) on the host. Without MSG_DONTWAIT it sleeps
// while the socket has no room and, on a stream, until all is sent (or
// a signal comes: what was sent, else -ERESTARTSYS). A zero-copy send
// (m.Ubuf) is a copying one: the notification reports the data copied.
// Linux: net/socket.c:sock_sendmsg(), net/ipv4/tcp.c:tcp_sendmsg_locked()
func (s *hostSock) Sendmsg(t *sim.Thread, f *File, m *Msghdr, flags int) int {
	if m.Ubuf != nil {
		m.Ubuf.Copied = true
	}
	nonblock := flags&unix.MSG_DONTWAIT != 0
	total, sent := m.Len(), 0
	for {
		n, _, e := s.msgCall(unix.SYS_SENDMSG, m, m.Name, IovAdvance(m.Iov, sent), flags&^unix.MSG_ZEROCOPY)
		if e == 0 {
			sent += n
			if nonblock || !s.isStream() || sent >= total {
				return sent
			}
			continue
		}
		if e != unix.EAGAIN {
			if sent > 0 {
				return sent
			}
			return -int(e)
		}
		s.h.notReady(unix.POLLOUT)
		if nonblock {
			if sent > 0 {
				return sent
			}
			return -int(unix.EAGAIN)
		}
		if s.h.sleep(t, unix.POLLOUT) != 0 {
			if sent > 0 {
				return sent
			}
			return -ERESTARTSYS
		}
	}
}

// Recvmsg is recvmsg(2) on the host: m.Name gets the source address
// (m.NameLen its full length), m.Flags the message flags, m.Control
// (when given) the control messages and m.ControlLen their length, and
// with m.GetInq m.Inq what a stream socket has left queued (SIOCINQ, one
// more once a TCP peer's FIN arrived, as tcp_inq_hint counts it; -1 for
// other sockets, which do not say). Without MSG_DONTWAIT it sleeps until
// data (or, with MSG_WAITALL on a stream, all of it) arrives.
// Linux: net/socket.c:sock_recvmsg(), net/ipv4/tcp.c:tcp_recvmsg(), net/unix/af_unix.c:unix_stream_read_generic()
func (s *hostSock) Recvmsg(t *sim.Thread, f *File, m *Msghdr, flags int) int {
	m.Inq = -1
	nonblock := flags&unix.MSG_DONTWAIT != 0
	waitall := flags&unix.MSG_WAITALL != 0 && s.isStream() && !nonblock
	total, got := m.Len(), 0
	for {
		var name []byte
		if got == 0 {
			name = m.Name
		}
		n, hdr, e := s.msgCall(unix.SYS_RECVMSG, m, name, IovAdvance(m.Iov, got), flags|unix.MSG_CMSG_CLOEXEC)
		if e == 0 {
			if got == 0 {
				m.NameLen, m.Flags = int(hdr.Namelen), int(hdr.Flags)
				if m.Name == nil {
					m.NameLen = 0
				}
				m.ControlLen = int(hdr.Controllen)
				closeRights(m.Control[:min(m.ControlLen, len(m.Control))])
			}
			got += n
			if !waitall || n == 0 || got >= total || flags&(unix.MSG_PEEK|unix.MSG_TRUNC) != 0 {
				break
			}
			continue
		}
		if e != unix.EAGAIN {
			if got > 0 {
				break
			}
			return -int(e)
		}
		s.h.notReady(unix.POLLIN)
		if nonblock {
			return -int(unix.EAGAIN)
		}
		if got > 0 && t.SignalPending() {
			break
		}
		if s.h.sleep(t, unix.POLLIN) != 0 {
			if got > 0 {
				break
			}
			return -ERESTARTSYS
		}
	}
	if m.GetInq && s.isStream() {
		m.Inq = s.inq()
	}
	return got
}

// inq is what tcp_inq_hint or unix's inq_len reports after a receive.
func (s *hostSock) inq() int {
	n, err := unix.IoctlGetInt(s.h.Fd, unix.SIOCINQ)
	if err != nil {
		return -1
	}
	if s.family != unix.AF_UNIX && s.h.ready(unix.POLLRDHUP)&unix.POLLRDHUP != 0 {
		n++ // the FIN counts (rcv_nxt - copied_seq)
	}
	return n
}

// closeRights closes the descriptors SCM_RIGHTS messages in control
// brought into this process (they are the program's to receive).
func closeRights(control []byte) {
	if len(control) == 0 {
		return
	}
	msgs, err := unix.ParseSocketControlMessage(control)
	if err != nil {
		return
	}
	for i := range msgs {
		if fds, err := unix.ParseUnixRights(&msgs[i]); err == nil {
			for _, fd := range fds {
				unix.Close(fd)
			}
		}
	}
}

// Getname is getsockname(2), or getpeername(2) with peer.
func (s *hostSock) Getname(t *sim.Thread, f *File, buf []byte, peer bool) int {
	nr := uintptr(unix.SYS_GETSOCKNAME)
	if peer {
		nr = unix.SYS_GETPEERNAME
	}
	var sa [128]byte
	n := uint32(len(sa))
	_, _, e := unix.Syscall(nr, uintptr(s.h.Fd), uintptr(unsafe.Pointer(&sa[0])), uintptr(unsafe.Pointer(&n)))
	if e != 0 {
		return -int(e)
	}
	copy(buf, sa[:min(int(n), len(sa))])
	return int(n)
}

func (s *hostSock) Setsockopt(t *sim.Thread, f *File, level, name int, val []byte) int {
	_, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(s.h.Fd), uintptr(level), uintptr(name),
		uintptr(unsafe.Pointer(bytePtr(val))), uintptr(len(val)), 0)
	return errnoRet(0, e)
}

func (s *hostSock) Getsockopt(t *sim.Thread, f *File, level, name int, val []byte) int {
	var buf [256]byte
	n := uint32(min(len(val), len(buf)))
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(s.h.Fd), uintptr(level), uintptr(name),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
	if e != 0 {
		return -int(e)
	}
	copy(val, buf[:min(int(n), len(buf))])
	return int(n)
}

// Ioctl is SIOCINQ or SIOCOUTQ on the host.
func (s *hostSock) Ioctl(t *sim.Thread, f *File, cmd int) int {
	n, err := unix.IoctlGetInt(s.h.Fd, uint(cmd))
	if err != nil {
		return -int(errnoOf0(err))
	}
	return n
}
