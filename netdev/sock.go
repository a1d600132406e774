package netdev

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// Socket states (sk_state), the TCP state names Linux uses for every
// family.
// Linux: include/net/tcp_states.h
const (
	tcpEstablished = 1
	tcpSynSent     = 2
	tcpCloseWait   = 8
	tcpClose       = 7
	tcpListen      = 10
)

// Shutdown bits (sk_shutdown).
// Linux: include/net/sock.h:RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK
const (
	rcvShutdown  = 1
	sendShutdown = 2
	shutdownMask = 3
)

// skb is one buffer on a receive queue (struct sk_buff): data not read
// yet from off on, the source address of a datagram, and what it charges
// its owner (an AF_UNIX sender) until it is read.
type skb struct {
	data     []byte
	off      int
	from     sockAddr
	truesize int
	owner    *sock
	fin, rst bool          // a TCP FIN or RST rather than data
	due      time.Duration // delivery time on the NIC
	acks     []*tsReq      // TCP: sends whose last byte this is, for their ACK timestamps
	niov     *vfs.NetIov   // the provider buffer holding data (zero-copy receive, netdev/zcrx.go)
	rto      time.Duration // the retransmission timeout of data the NIC had no buffer for
}

func (b *skb) len() int { return len(b.data) - b.off }

// sock is a socket and its struct sock: every field is guarded by the
// Stack's lock, except gen (read by sleepers' wait conditions).
// Linux: include/net/sock.h:struct sock, include/linux/net.h:struct socket
type sock struct {
	st                   *Stack
	id                   uint64
	family, typ, proto   int
	state                int
	released             bool
	everConnected        bool // SOCK_DONE: a connection existed and ended
	wq                   sim.WaitQueueHead
	gen                  atomic.Uint64
	wakeKey              uint32
	wakeQueued           bool
	peer                 *sock
	rcvq                 []*skb
	rcvBytes             int // data bytes on rcvq
	rmem                 int // truesize on rcvq (datagrams)
	flight               []*skb
	flightBytes          int
	lastDue              time.Duration
	sndbuf, rcvbuf       int
	wmem                 int    // AF_UNIX: truesize of sent skbs not read yet
	sndq                 []byte // TCP: sent bytes the peer's buffer cannot take yet
	finPending           bool   // TCP: a FIN follows sndq
	shutdown             int
	err                  int // sk_err, positive errno
	local, remote        sockAddr
	bound                bool
	backlog              int
	acceptq              []*sock
	synq                 []*sock // connectors waiting for room on acceptq
	listener             *sock   // a connection not accepted yet
	reuseAddr, reusePort bool
	keepalive, nodelay   bool
	rcvlowat             int
	connectPending       bool // a nonblocking connect not reported yet
	finRcvd              bool // SOCK_DONE: a FIN arrived (tcp_fin)
	// TX timestamping (tstamp.go): sk_tsflags, sk_tskey, SOCK_TSTAMP_NEW,
	// the TCP write_seq (bytes taken by sends, from 0), the timestamped
	// sends whose last byte still waits in sndq, and the error queue.
	tsflags   uint32
	tskey     uint32
	tsNew     bool
	writeSeq  uint32
	tsPending []*tsReq
	errq      []errSkb
	errqMem   int
}

// mark records a change of s to wake its waiters with key once the lock
// is released, and bumps s's generation for its sleepers.
func (s *sock) mark(key uint32) {
	s.gen.Add(1)
	s.wakeKey |= key
	if !s.wakeQueued {
		s.wakeQueued = true
		s.st.dirty = append(s.st.dirty, s)
	}
}

// wait drops the lock, sleeps until s changes (or a signal), and takes
// the lock again: sk_wait_event. It returns -ERESTARTSYS when
// interrupted.
// Linux: include/net/sock.h:sk_wait_event()
func (s *sock) wait(t *sim.Thread, reason string) int {
	g := s.gen.Load()
	s.st.unlock(t)
	ret := vfs.WaitEvent(t, &s.wq, reason, func() bool { return s.gen.Load() != g })
	s.st.lock(t)
	if ret != 0 {
		return -vfs.ERESTARTSYS
	}
	return 0
}

func sockOf(f *vfs.File) *sock { return f.Private.(*sock) }

func (s *sock) isUnix() bool   { return s.family == unix.AF_UNIX }
func (s *sock) isStream() bool { return s.typ == unix.SOCK_STREAM }

// Family, Type and Protocol are socket(2)'s arguments.
func (s *sock) Family() int { return s.family }
func (s *sock) Type() int   { return s.typ }
func (s *sock) Protocol() int {
	return s.proto
}

// SupportsZC is SOCK_SUPPORT_ZC: TCP and UDP sockets take MSG_ZEROCOPY.
// Linux: net/ipv4/tcp.c:tcp_init_sock(), net/ipv4/udp.c:udp_init_sock()
func (s *sock) SupportsZC() bool { return !s.isUnix() }

// SockError takes the pending error (sock_error).
// Linux: include/net/sock.h:sock_error()
func (s *sock) SockError(t *sim.Thread) int {
	s.st.lock(t)
	defer s.st.unlock(t)
	return s.takeErr()
}

func (s *sock) takeErr() int {
	e := s.err
	s.err = 0
	return -e
}

// Poll queues pt on the socket's wait queue, then reports its mask.
// Linux: net/socket.c:sock_poll(), net/ipv4/tcp.c:tcp_poll(), net/unix/af_unix.c:unix_poll(), unix_dgram_poll(), net/ipv4/udp.c:udp_poll()
func (s *sock) Poll(t *sim.Thread, f *vfs.File, pt *vfs.PollTable) uint32 {
	vfs.PollWait(t, f, &s.wq, pt)
	s.st.lock(t)
	defer s.st.unlock(t)
	return s.pollMask()
}

// PeekPoll is the socket's poll mask read without the stack lock, for
// the report of a stopped world (vfs.PeekPollMask): none while a thread
// holds the lock (the state may be half changed, its wakeups not sent).
func (s *sock) PeekPoll(*vfs.File) (uint32, bool) {
	if s.st.mu.Held() {
		return 0, false
	}
	return s.pollMask(), true
}

func (s *sock) pollMask() uint32 {
	const in = rings.EPOLLIN | rings.EPOLLRDNORM
	var mask uint32
	if s.state == tcpListen {
		if len(s.acceptq) > 0 {
			mask |= in
		}
		return mask
	}
	if s.err != 0 || len(s.errq) > 0 {
		mask |= rings.EPOLLERR
	}
	if s.shutdown == shutdownMask {
		mask |= rings.EPOLLHUP
	}
	if s.shutdown&rcvShutdown != 0 {
		mask |= in | rings.EPOLLRDHUP
	}
	if len(s.rcvq) > 0 {
		mask |= in
	}
	switch {
	case s.proto == unix.IPPROTO_TCP:
		if s.state == tcpClose {
			mask |= rings.EPOLLHUP
		}
		if s.state != tcpSynSent {
			if s.shutdown&sendShutdown != 0 || s.tcpWritable() {
				mask |= rings.EPOLLOUT | rings.EPOLLWRNORM
			}
		}
	case s.isUnix() && s.isStream():
		if s.state == tcpClose {
			mask |= rings.EPOLLHUP
		}
		if s.wmem<<2 <= s.sndbuf {
			mask |= rings.EPOLLOUT | rings.EPOLLWRNORM | rings.EPOLLWRBAND
		}
	case s.isUnix():
		writable := s.wmem<<2 <= s.sndbuf
		if p := s.peer; p != nil && !p.released && p.peer != s && len(p.rcvq) > UnixMaxDgramQlen {
			writable = false
		}
		if writable {
			mask |= rings.EPOLLOUT | rings.EPOLLWRNORM | rings.EPOLLWRBAND
		}
	default: // UDP
		mask |= rings.EPOLLOUT | rings.EPOLLWRNORM | rings.EPOLLWRBAND
	}
	return mask
}

// tcpWritable is sk_stream_is_writeable: the free send space is at least
// half of what is queued.
// Linux: include/net/sock.h:__sk_stream_is_writeable()
func (s *sock) tcpWritable() bool {
	q := len(s.sndq)
	return s.sndbuf-q >= q/2 && q < s.sndbuf
}

// Release closes the socket (sock_close): a TCP socket sends its FIN, or
// a RST when data it never read is left; an AF_UNIX stream peer sees
// both directions shut down (and ECONNRESET when data was left unread);
// a listener's queued connections are reset.
// Linux: net/socket.c:sock_close(), net/ipv4/tcp.c:__tcp_close(), net/unix/af_unix.c:unix_release_sock()
func (s *sock) Release(t *sim.Thread, f *vfs.File) {
	st := s.st
	st.lock(t)
	defer st.unlock(t)
	s.released = true
	if s.bound {
		st.unbind(s)
	}
	for _, c := range append(s.acceptq, s.synq...) {
		c.listener = nil
		if c.peer != nil {
			c.peer.resetBy()
		}
		c.released = true
	}
	s.acceptq, s.synq = nil, nil
	p := s.peer
	switch {
	case p == nil:
	case s.isUnix() && s.isStream():
		p.shutdown = shutdownMask
		if len(s.rcvq) > 0 {
			p.err = int(unix.ECONNRESET)
		}
		p.mark(rings.EPOLLIN | rings.EPOLLOUT | rings.EPOLLHUP | rings.EPOLLRDHUP | rings.EPOLLERR)
	case s.proto == unix.IPPROTO_TCP && !p.released:
		if s.rcvBytes > 0 {
			s.xmit(t, p, &skb{rst: true})
		} else if s.shutdown&sendShutdown == 0 {
			s.sendFin(t)
		}
	}
	// Datagrams this socket sent and nobody read stop counting against
	// it only when read; unread ones on its own queue free their owners.
	for _, b := range s.rcvq {
		s.freeSkb(t, b)
	}
	s.rcvq, s.rcvBytes, s.rmem = nil, 0, 0
	s.state = tcpClose
}

// uncharge returns an skb's memory to its AF_UNIX sender and wakes it if
// it became writable.
// Linux: net/unix/af_unix.c:unix_write_space(), sock_wfree()
func (s *sock) uncharge(b *skb) {
	o := b.owner
	if o == nil {
		return
	}
	b.owner = nil
	o.wmem -= b.truesize
	if o.wmem<<2 <= o.sndbuf {
		o.mark(rings.EPOLLOUT | rings.EPOLLWRNORM | rings.EPOLLWRBAND)
	}
}

// resetBy is a RST arriving: the connection is gone with ECONNRESET.
// Linux: net/ipv4/tcp_input.c:tcp_reset()
func (s *sock) resetBy() {
	if s.released {
		return
	}
	s.err = int(unix.ECONNRESET)
	s.shutdown = shutdownMask
	s.state = tcpClose
	s.everConnected = true
	s.sndq, s.finPending, s.tsPending = nil, false, nil
	s.mark(rings.EPOLLIN | rings.EPOLLOUT | rings.EPOLLHUP | rings.EPOLLRDHUP | rings.EPOLLERR)
}

// Shutdown is shutdown(2): how is SHUT_RD, SHUT_WR or SHUT_RDWR.
// Linux: net/ipv4/af_inet.c:inet_shutdown(), net/unix/af_unix.c:unix_shutdown()
func (s *sock) Shutdown(t *sim.Thread, f *vfs.File, how int) int {
	mode := how + 1
	if mode&^shutdownMask != 0 || mode == 0 {
		return -int(unix.EINVAL)
	}
	st := s.st
	st.lock(t)
	defer st.unlock(t)
	const all = rings.EPOLLIN | rings.EPOLLOUT | rings.EPOLLHUP | rings.EPOLLRDHUP | rings.EPOLLRDNORM | rings.EPOLLWRNORM
	if s.isUnix() {
		s.shutdown |= mode
		s.mark(all)
		if p := s.peer; p != nil && s.isStream() {
			peerMode := 0
			if mode&rcvShutdown != 0 {
				peerMode |= sendShutdown
			}
			if mode&sendShutdown != 0 {
				peerMode |= rcvShutdown
			}
			p.shutdown |= peerMode
			p.mark(all)
		}
		return 0
	}
	ret := 0
	switch s.state {
	case tcpListen:
		if mode&rcvShutdown != 0 {
			s.state = tcpClose
			for _, c := range append(s.acceptq, s.synq...) {
				if c.peer != nil {
					c.peer.resetBy()
				}
				c.released = true
			}
			s.acceptq, s.synq = nil, nil
			if s.bound {
				st.unbind(s)
			}
		}
	case tcpClose:
		ret = -int(unix.ENOTCONN)
		s.shutdown |= mode
	default:
		old := s.shutdown
		s.shutdown |= mode
		if s.proto == unix.IPPROTO_TCP && mode&sendShutdown != 0 && old&sendShutdown == 0 {
			s.sendFin(t)
		}
	}
	s.mark(all)
	return ret
}

// sendFin queues a FIN after the data still waiting in the send queue.
// Linux: net/ipv4/tcp_output.c:tcp_send_fin()
func (s *sock) sendFin(t *sim.Thread) {
	if len(s.sndq) > 0 {
		s.finPending = true
		return
	}
	if p := s.peer; p != nil && !p.released {
		s.xmit(t, p, &skb{fin: true})
	}
}

// Read is sock_read_iter: a receive with the file's O_NONBLOCK.
// Linux: net/socket.c:sock_read_iter()
func (s *sock) Read(t *sim.Thread, f *vfs.File, dst []byte, _ *int64, nonblock bool) int {
	if len(dst) == 0 {
		return 0
	}
	flags := 0
	if nonblock || f.Flags&unix.O_NONBLOCK != 0 {
		flags |= unix.MSG_DONTWAIT
	}
	return s.Recvmsg(t, f, &vfs.Msghdr{Iov: [][]byte{dst}}, flags)
}

// Write is sock_write_iter.
// Linux: net/socket.c:sock_write_iter()
func (s *sock) Write(t *sim.Thread, f *vfs.File, src []byte, _ *int64, nonblock bool) int {
	flags := 0
	if nonblock || f.Flags&unix.O_NONBLOCK != 0 {
		flags |= unix.MSG_DONTWAIT
	}
	return s.Sendmsg(t, f, &vfs.Msghdr{Iov: [][]byte{src}}, flags)
}

// xmit hands a packet from s to dst: at once for AF_UNIX and without a
// latency model, else through the loopback NIC after a seeded latency
// (in order per receiver unless datagrams may be reordered). The lock is
// held.
// Linux: drivers/net/loopback.c:loopback_xmit(), net/core/dev.c:netif_rx()
func (s *sock) xmit(t *sim.Thread, dst *sock, b *skb) {
	st := s.st
	if !s.isUnix() {
		st.stats.Packets++
		st.stats.Bytes += uint64(b.len())
	}
	d := time.Duration(0)
	if !s.isUnix() {
		d = st.delay(t)
	}
	if d == 0 && len(dst.flight) == 0 {
		if !dst.deliver(t, b) {
			dst.holdRx(t, b)
		}
		return
	}
	now := st.w.Now()
	b.due = now + d
	if s.isStream() || !st.cfg.Reorder {
		b.due = max(b.due, dst.lastDue)
		dst.lastDue = b.due
	}
	i := len(dst.flight)
	for i > 0 && dst.flight[i-1].due > b.due {
		i--
	}
	dst.flight = append(dst.flight, nil)
	copy(dst.flight[i+1:], dst.flight[i:])
	dst.flight[i] = b
	dst.flightBytes += b.len()
	st.w.AfterFunc(t, b.due-now, func(t *sim.Thread) {
		st.lock(t)
		dst.land(t)
		st.unlock(t)
	})
}

// land moves the packets due by now from the NIC onto the receive queue
// (the loopback device's softirq, process_backlog).
// Linux: net/core/dev.c:process_backlog()
func (s *sock) land(t *sim.Thread) {
	now := s.st.w.Now()
	for len(s.flight) > 0 && s.flight[0].due <= now {
		b := s.flight[0]
		s.flightBytes -= b.len()
		if !s.deliver(t, b) {
			// What the provider had no buffer for stays on the NIC.
			s.flightBytes += b.len()
			s.holdRx(t, b)
			return
		}
		s.flight[0] = nil
		s.flight = s.flight[1:]
	}
	if len(s.flight) == 0 {
		s.flight = nil
	}
}

// deliver is an inet packet reaching s from the NIC: TCP data on a queue
// with a memory provider lands in the provider's buffers (false: not all
// of it found one), everything else is enqueued.
// Linux: net/core/dev.c:netif_receive_skb()
func (s *sock) deliver(t *sim.Thread, b *skb) bool {
	if !s.released && s.proto == unix.IPPROTO_TCP && !b.fin && !b.rst && b.len() > 0 {
		if mp := s.st.rxProvider(s.local.port); mp != nil {
			if !s.landZC(t, b, mp) {
				return false
			}
			for _, r := range b.acks {
				r.stampLanded()
			}
			return true
		}
	}
	s.enqueue(b)
	return true
}

// enqueue is a packet arriving at s: data onto the receive queue, a FIN
// shutting down its receive side, a RST resetting it.
// Linux: net/ipv4/tcp_input.c:tcp_data_queue(), tcp_fin(), net/ipv4/udp.c:__udp_queue_rcv_skb(), net/unix/af_unix.c:unix_stream_sendmsg()
func (s *sock) enqueue(b *skb) {
	switch {
	case s.released:
		if b.owner != nil {
			s.uncharge(b)
		}
		return
	case b.rst:
		s.resetBy()
		return
	case b.fin:
		s.finRcvd = true
		s.shutdown |= rcvShutdown
		if s.state == tcpEstablished {
			s.state = tcpCloseWait
		}
		s.mark(rings.EPOLLIN | rings.EPOLLRDNORM | rings.EPOLLRDHUP)
		return
	}
	if s.proto == unix.IPPROTO_UDP {
		if s.rmem+b.truesize > s.rcvbuf {
			s.st.stats.Dropped++
			return
		}
		s.rmem += b.truesize
	}
	s.rcvq = append(s.rcvq, b)
	s.rcvBytes += b.len()
	s.mark(rings.EPOLLIN | rings.EPOLLRDNORM)
	for _, r := range b.acks {
		r.stampLanded()
	}
}

// Ioctl answers SIOCINQ (bytes queued to read: the first datagram's
// length for a datagram socket) and SIOCOUTQ (bytes sent and not yet
// taken by the peer; for AF_UNIX the memory its unread skbs hold).
// Linux: net/ipv4/tcp.c:tcp_ioctl(), net/ipv4/udp.c:udp_ioctl(), net/unix/af_unix.c:unix_ioctl()
func (s *sock) Ioctl(t *sim.Thread, f *vfs.File, cmd int) int {
	s.st.lock(t)
	defer s.st.unlock(t)
	switch cmd {
	case unix.SIOCINQ:
		if s.state == tcpListen {
			return -int(unix.EINVAL)
		}
		if !s.isStream() {
			if len(s.rcvq) == 0 {
				return 0
			}
			return s.rcvq[0].len()
		}
		return s.rcvBytes
	case unix.SIOCOUTQ:
		if s.state == tcpListen {
			return -int(unix.EINVAL)
		}
		if s.isUnix() {
			return s.wmem
		}
		n := len(s.sndq)
		if p := s.peer; p != nil && s.proto == unix.IPPROTO_TCP {
			n += s.inFlightTo(p)
		}
		return n
	}
	return -eNOIOCTLCMD
}

// inFlightTo is the bytes of s on the NIC towards p (not acked yet).
func (s *sock) inFlightTo(p *sock) int {
	n := 0
	for _, b := range p.flight {
		if b.owner == nil && !b.fin && !b.rst {
			n += b.len()
		}
	}
	return n
}
