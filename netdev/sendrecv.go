package netdev

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// eNOIOCTLCMD is the kernel-private "no such ioctl" (ENOIOCTLCMD), which
// the ioctl layer turns into -ENOTTY.
const eNOIOCTLCMD = 515

// maxUDPPayload is the largest UDP datagram payload over IPv4.
const maxUDPPayload = 65507

// Sendmsg is sock_sendmsg: the data of m goes to the peer (or m.Name
// for a datagram socket). flags are MSG_* (MSG_DONTWAIT: do not sleep).
// It returns the bytes sent or a negated errno.
// Linux: net/ipv4/tcp.c:tcp_sendmsg_locked(), net/ipv4/udp.c:udp_sendmsg(), net/unix/af_unix.c:unix_stream_sendmsg(), unix_dgram_sendmsg()
func (s *sock) Sendmsg(t *sim.Thread, f *vfs.File, m *vfs.Msghdr, flags int) int {
	if m.Ubuf != nil {
		m.Ubuf.Copied = true // loopback always copies on delivery
	}
	st := s.st
	st.lock(t)
	defer st.unlock(t)
	nonblock := flags&unix.MSG_DONTWAIT != 0
	switch {
	case s.isUnix() && s.isStream():
		return s.unixStreamSend(t, m, nonblock)
	case s.isUnix():
		return s.unixDgramSend(t, m, nonblock)
	case s.proto == unix.IPPROTO_TCP:
		return s.tcpSend(t, m, nonblock)
	default:
		return s.udpSend(t, m)
	}
}

// gather copies the message's data into one slice.
func gather(m *vfs.Msghdr) []byte {
	n := m.Len()
	b := make([]byte, 0, n)
	for _, v := range m.Iov {
		b = append(b, v...)
	}
	return b
}

// unixStreamSend splits the data into skbs of at most half the send
// buffer, each charged to the sender until read; a full send buffer
// (sk_wmem_alloc >= sk_sndbuf) makes it wait or return what it sent.
// Differs from Linux: an skb's truesize is its length plus a fixed 768.
// Linux: net/unix/af_unix.c:unix_stream_sendmsg(), net/core/sock.c:sock_alloc_send_pskb()
func (s *sock) unixStreamSend(t *sim.Thread, m *vfs.Msghdr, nonblock bool) int {
	if len(m.Name) > 0 {
		if s.state == tcpEstablished {
			return -int(unix.EISCONN)
		}
		return -int(unix.EOPNOTSUPP)
	}
	p := s.peer
	if p == nil {
		return -int(unix.ENOTCONN)
	}
	if s.shutdown&sendShutdown != 0 {
		return -int(unix.EPIPE)
	}
	data := gather(m)
	sent := 0
	for sent < len(data) {
		if p.released || p.shutdown&rcvShutdown != 0 {
			if sent == 0 {
				return -int(unix.EPIPE)
			}
			return sent
		}
		if s.wmem >= s.sndbuf {
			if nonblock {
				break
			}
			if s.wait(t, "unix_stream_sendmsg") != 0 {
				if sent == 0 {
					return -vfs.ERESTARTSYS
				}
				return sent
			}
			continue
		}
		chunk := min(len(data)-sent, s.sndbuf/2-64, 64<<10)
		b := &skb{data: append([]byte(nil), data[sent:sent+chunk]...), truesize: chunk + skbOverhead, owner: s}
		s.wmem += b.truesize
		p.enqueue(b)
		sent += chunk
	}
	if sent == 0 && len(data) > 0 {
		return -int(unix.EAGAIN)
	}
	return sent
}

// unixDgramSend sends one datagram to the peer or to m.Name: -EMSGSIZE
// past the send buffer, waiting (or -EAGAIN) while the receiver holds
// max_dgram_qlen datagrams or the sender's buffer is full.
// Linux: net/unix/af_unix.c:unix_dgram_sendmsg()
func (s *sock) unixDgramSend(t *sim.Thread, m *vfs.Msghdr, nonblock bool) int {
	other := s.peer
	if len(m.Name) > 0 {
		a, errno := parseUnixAddr(m.Name[:min(len(m.Name), max(m.NameLen, 0))])
		if errno != 0 {
			return errno
		}
		other = s.st.unixNames[a.path]
		if other == nil || other.typ != s.typ {
			return -int(unix.ECONNREFUSED)
		}
	}
	if other == nil {
		return -int(unix.ENOTCONN)
	}
	if s.shutdown&sendShutdown != 0 {
		return -int(unix.EPIPE)
	}
	n := m.Len()
	if n > s.sndbuf-32 {
		return -int(unix.EMSGSIZE)
	}
	for {
		if other.released {
			return -int(unix.ECONNREFUSED)
		}
		if other.shutdown&rcvShutdown != 0 {
			return -int(unix.EPIPE)
		}
		full := other.peer != s && len(other.rcvq) > UnixMaxDgramQlen || s.wmem >= s.sndbuf
		if other.peer == s && len(other.rcvq) > UnixMaxDgramQlen {
			full = true
		}
		if !full {
			break
		}
		if nonblock {
			return -int(unix.EAGAIN)
		}
		if s.wait(t, "unix_dgram_sendmsg") != 0 {
			return -vfs.ERESTARTSYS
		}
	}
	b := &skb{data: gather(m), from: s.local, truesize: n + skbOverhead, owner: s}
	s.wmem += b.truesize
	other.enqueue(b)
	return n
}

// tcpRoom is what the peer's receive buffer can still take.
func (s *sock) tcpRoom(p *sock) int {
	return max(p.rcvbuf-p.rcvBytes-p.flightBytes, 0)
}

// tcpSend moves the data into the peer's receive buffer as far as it has
// room and queues the rest, up to the send buffer, in the sender's write
// queue (SIOCOUTQ); with neither room it waits or returns -EAGAIN.
// Linux: net/ipv4/tcp.c:tcp_sendmsg_locked(), net/core/stream.c:sk_stream_wait_memory()
func (s *sock) tcpSend(t *sim.Thread, m *vfs.Msghdr, nonblock bool) int {
	data := gather(m)
	sent := 0
	for {
		if s.err != 0 {
			if sent > 0 {
				return sent
			}
			return s.takeErr()
		}
		if s.shutdown&sendShutdown != 0 {
			if sent > 0 {
				return sent
			}
			return -int(unix.EPIPE)
		}
		if s.state == tcpSynSent {
			if nonblock {
				return -int(unix.EAGAIN)
			}
			if s.wait(t, "sk_stream_wait_connect") != 0 {
				return -vfs.ERESTARTSYS
			}
			continue
		}
		if s.state != tcpEstablished && s.state != tcpCloseWait {
			return -int(unix.EPIPE)
		}
		break
	}
	p := s.peer
	if p.released {
		// The peer is gone: the data is answered with a reset.
		s.resetBy()
		return len(data)
	}
	queued := false // the last chunk went to the send queue
	for sent < len(data) {
		room := 0
		if len(s.sndq) == 0 {
			room = s.tcpRoom(p)
		}
		queue := s.sndbuf - len(s.sndq)
		if room+queue <= 0 {
			if nonblock {
				break
			}
			if s.wait(t, "sk_stream_wait_memory") != 0 {
				if sent == 0 {
					return -vfs.ERESTARTSYS
				}
				return sent
			}
			if s.err != 0 || s.shutdown&sendShutdown != 0 || p.released {
				break
			}
			continue
		}
		if room > 0 {
			n := min(room, len(data)-sent)
			b := &skb{data: append([]byte(nil), data[sent:sent+n]...)}
			sent += n
			s.writeSeq += uint32(n)
			queued = false
			if sent == len(data) {
				// The send's last byte: its timestamps go with this segment.
				if r := s.txRequest(s.writeSeq - 1); r != nil {
					r.stampXmit()
					b.acks = []*tsReq{r}
				}
			}
			s.xmit(t, p, b)
			continue
		}
		n := min(queue, len(data)-sent)
		s.sndq = append(s.sndq, data[sent:sent+n]...)
		sent += n
		s.writeSeq += uint32(n)
		queued = true
	}
	if queued && sent > 0 {
		// The last byte waits in the send queue: tcpPush stamps it.
		if r := s.txRequest(s.writeSeq - 1); r != nil {
			if len(s.sndq) > 0 {
				s.tsPending = append(s.tsPending, r)
			} else {
				r.stampXmit()
			}
		}
	}
	if sent == 0 && len(data) > 0 {
		if s.err != 0 {
			return s.takeErr()
		}
		return -int(unix.EAGAIN)
	}
	return sent
}

// tcpPush moves queued bytes of s into its peer's receive buffer as it
// makes room, then the pending FIN, and wakes s when it can write again.
// Linux: net/ipv4/tcp_output.c:tcp_write_xmit(), net/ipv4/tcp_input.c:tcp_check_space()
func (s *sock) tcpPush(t *sim.Thread) {
	p := s.peer
	if p == nil || p.released {
		return
	}
	was := s.tcpWritable()
	if len(s.sndq) > 0 {
		n := min(s.tcpRoom(p), len(s.sndq))
		if n > 0 {
			b := &skb{data: append([]byte(nil), s.sndq[:n]...)}
			// Sends whose last byte goes out now: seq below end.
			end := s.writeSeq - uint32(len(s.sndq)) + uint32(n)
			k := 0
			for k < len(s.tsPending) && int32(s.tsPending[k].key-end) < 0 {
				s.tsPending[k].stampXmit()
				k++
			}
			if k > 0 {
				b.acks = s.tsPending[:k:k]
				s.tsPending = s.tsPending[k:]
			}
			s.xmit(t, p, b)
			s.sndq = s.sndq[n:]
			if len(s.sndq) == 0 {
				s.sndq = nil
			}
		}
	}
	if len(s.sndq) == 0 && s.finPending {
		s.finPending = false
		s.xmit(t, p, &skb{fin: true})
	}
	if !was && s.tcpWritable() {
		s.mark(rings.EPOLLOUT | rings.EPOLLWRNORM)
	}
}

// udpSend sends one datagram to m.Name or the connected address,
// binding an ephemeral port first; a datagram to a port nobody listens on
// is dropped.
// Linux: net/ipv4/udp.c:udp_sendmsg()
func (s *sock) udpSend(t *sim.Thread, m *vfs.Msghdr) int {
	dst := s.remote
	if len(m.Name) > 0 {
		a, errno := parseInetAddr(s.family, m.Name[:min(len(m.Name), max(m.NameLen, 0))])
		if errno != 0 {
			return errno
		}
		dst = a
	} else if s.state != tcpEstablished {
		return -int(unix.EDESTADDRREQ)
	}
	if s.shutdown&sendShutdown != 0 {
		return -int(unix.EPIPE)
	}
	n := m.Len()
	if n > maxUDPPayload {
		return -int(unix.EMSGSIZE)
	}
	if !s.bound {
		if errno := s.st.autobind(s); errno != 0 {
			return errno
		}
	}
	if r := s.txRequest(0); r != nil {
		r.stampXmit() // the datagram leaves through lo whoever receives it
	}
	target := s.st.ports[portKey{unix.IPPROTO_UDP, dst.port}]
	if target == nil || !dst.isLoopback() || s.st.drop(t) {
		s.st.stats.Dropped++
		return n
	}
	from := s.local
	from.ip = loopbackAddr(s.family)
	s.xmit(t, target, &skb{data: gather(m), from: from, truesize: n + skbOverhead})
	return n
}

// Recvmsg is sock_recvmsg: data into m.Iov; MSG_PEEK leaves it queued,
// MSG_WAITALL waits for the whole length on a stream, MSG_TRUNC reports
// a datagram's full length (and discards stream data), MSG_DONTWAIT
// does not sleep. m.Flags gets MSG_TRUNC for a cut datagram; m.Name the
// source address; m.Inq, with m.GetInq, the bytes left queued (-1 where
// the protocol does not say).
// Linux: net/ipv4/tcp.c:tcp_recvmsg_locked(), net/ipv4/udp.c:udp_recvmsg(), net/unix/af_unix.c:unix_stream_read_generic(), __unix_dgram_recvmsg()
func (s *sock) Recvmsg(t *sim.Thread, f *vfs.File, m *vfs.Msghdr, flags int) int {
	st := s.st
	st.lock(t)
	defer st.unlock(t)
	m.Inq = -1
	if flags&unix.MSG_OOB != 0 {
		return -int(unix.EINVAL)
	}
	if flags&unix.MSG_ERRQUEUE != 0 {
		return -int(unix.EAGAIN)
	}
	if s.isStream() {
		return s.streamRecv(t, m, flags)
	}
	return s.dgramRecv(t, m, flags)
}

// streamRecv copies from the receive queue across skbs until the target
// (1 byte, or the whole length with MSG_WAITALL) is met.
func (s *sock) streamRecv(t *sim.Thread, m *vfs.Msghdr, flags int) int {
	if s.state == tcpListen || s.isUnix() && s.peer == nil {
		if s.isUnix() {
			return -int(unix.EINVAL)
		}
		return -int(unix.ENOTCONN)
	}
	want := m.Len()
	target := 1
	if flags&unix.MSG_WAITALL != 0 {
		target = want
	} else if s.rcvlowat > 1 {
		target = min(s.rcvlowat, want)
	}
	nonblock := flags&unix.MSG_DONTWAIT != 0
	peek := flags&unix.MSG_PEEK != 0
	trunc := flags&unix.MSG_TRUNC != 0 && !s.isUnix()
	copied := 0
	iov, iovOff := 0, 0
	put := func(b []byte) {
		for len(b) > 0 && iov < len(m.Iov) {
			n := copy(m.Iov[iov][iovOff:], b)
			b = b[n:]
			iovOff += n
			if iovOff == len(m.Iov[iov]) {
				iov, iovOff = iov+1, 0
			}
		}
	}
	if want == 0 {
		return 0
	}
	for {
		// Copy what is queued (from the peeked position on a peek).
		skip := 0
		if peek {
			skip = copied
		}
		i := 0
		for i < len(s.rcvq) && copied < want {
			b := s.rcvq[i]
			avail := b.len()
			if skip >= avail {
				skip -= avail
				i++
				continue
			}
			n := min(avail-skip, want-copied)
			if !trunc {
				put(b.data[b.off+skip : b.off+skip+n])
			}
			copied += n
			if peek {
				skip = 0
				i++
				continue
			}
			b.off += n
			s.rcvBytes -= n
			if b.len() == 0 {
				s.freeSkb(t, b)
				s.rcvq[i] = nil
				i++
			}
		}
		if !peek {
			j := 0
			for j < len(s.rcvq) && s.rcvq[j] == nil {
				j++
			}
			s.rcvq = s.rcvq[j:]
			if len(s.rcvq) == 0 {
				s.rcvq = nil
			}
			if p := s.peer; p != nil && s.proto == unix.IPPROTO_TCP {
				p.tcpPush(t)
			}
		}
		if copied >= target || copied == want {
			break
		}
		if copied > 0 && (s.err != 0 || s.shutdown&rcvShutdown != 0 || t.SignalPending()) {
			break
		}
		if s.err != 0 {
			return s.takeErr()
		}
		if s.shutdown&rcvShutdown != 0 {
			break
		}
		if s.proto == unix.IPPROTO_TCP && s.state == tcpClose {
			if !s.everConnected && copied == 0 {
				return -int(unix.ENOTCONN)
			}
			break
		}
		if nonblock {
			if copied == 0 {
				return -int(unix.EAGAIN)
			}
			break
		}
		if s.wait(t, "sk_wait_data") != 0 {
			if copied == 0 {
				return -vfs.ERESTARTSYS
			}
			break
		}
	}
	if m.GetInq {
		m.Inq = s.rcvBytes
	}
	return copied
}

// dgramRecv takes one datagram (or peeks at it).
func (s *sock) dgramRecv(t *sim.Thread, m *vfs.Msghdr, flags int) int {
	for len(s.rcvq) == 0 {
		if s.err != 0 {
			return s.takeErr()
		}
		if s.shutdown&rcvShutdown != 0 {
			return 0
		}
		if flags&unix.MSG_DONTWAIT != 0 {
			return -int(unix.EAGAIN)
		}
		if s.wait(t, "__skb_wait_for_more_packets") != 0 {
			return -vfs.ERESTARTSYS
		}
	}
	b := s.rcvq[0]
	full := b.len()
	copied, rest := 0, b.data[b.off:]
	for _, v := range m.Iov {
		n := copy(v, rest)
		copied += n
		rest = rest[n:]
	}
	if copied < full {
		m.Flags |= unix.MSG_TRUNC
	}
	if m.Name != nil {
		m.NameLen = b.from.encode(m.Name)
	}
	if flags&unix.MSG_PEEK == 0 {
		s.rcvq = s.rcvq[1:]
		if len(s.rcvq) == 0 {
			s.rcvq = nil
		}
		s.rcvBytes -= full
		s.rmem -= min(s.rmem, b.truesize*boolInt(s.proto == unix.IPPROTO_UDP))
		s.uncharge(b)
	}
	if flags&unix.MSG_TRUNC != 0 {
		return full
	}
	return copied
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
