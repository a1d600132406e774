package netdev

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// Zero-copy receive on the NIC: TCP data arriving on an eth0 queue with a
// memory provider is cut into page-sized skbs, each in a buffer of the
// provider (header/data split, one page of payload per packet); data the
// provider has no buffer for stays on the NIC, as a dropped packet the
// sender retransmits, and tries again after the retransmission timeout.
// tcp_read_sock hands queued skbs to a reader (io_uring's RECV_ZC).

// Retransmission timeouts: the first, and the cap of its doubling.
// Linux: include/net/tcp.h:TCP_RTO_MIN, TCP_RTO_MAX
const (
	tcpRtoMin = 200 * time.Millisecond
	tcpRtoMax = 120 * time.Second
)

// landZC puts as much of TCP data skb b as the queue's provider has
// buffers for onto the receive queue, a page per skb, and reports
// whether all of it landed (the rest stays in b). The lock is held.
// Linux: net/core/page_pool.c:page_pool_alloc_netmems() (the driver's RX refill)
func (s *sock) landZC(t *sim.Thread, b *skb, mp vfs.MemoryProvider) bool {
	for b.len() > 0 {
		niov := mp.AllocNetmem(t)
		if niov == nil {
			return false
		}
		n := copy(niov.Page, b.data[b.off:])
		seg := &skb{data: niov.Page[:n:n], niov: niov}
		b.off += n
		s.rcvq = append(s.rcvq, seg)
		s.rcvBytes += n
		s.mark(rings.EPOLLIN | rings.EPOLLRDNORM)
	}
	return true
}

// holdRx keeps b (not landed: no buffer) at the head of s's NIC queue and
// tries it again after the retransmission timeout, doubling each time.
// The lock is held.
// Linux: net/ipv4/tcp_timer.c:tcp_retransmit_timer()
func (s *sock) holdRx(t *sim.Thread, b *skb) {
	st := s.st
	st.stats.RxNoBuffer++
	b.rto = min(max(tcpRtoMin, 2*b.rto), tcpRtoMax)
	b.due = st.w.Now() + b.rto
	s.lastDue = max(s.lastDue, b.due)
	if len(s.flight) == 0 || s.flight[0] != b {
		s.flight = append([]*skb{b}, s.flight...)
		s.flightBytes += b.len()
	}
	st.w.AfterFunc(t, b.rto, func(t *sim.Thread) {
		st.lock(t)
		s.land(t)
		st.unlock(t)
	})
}

// freeSkb releases a consumed or discarded skb: its AF_UNIX charge, its
// provider buffer's page pool reference.
// Linux: net/core/skbuff.c:kfree_skb() (skb_release_data, page_pool_put_netmem)
func (s *sock) freeSkb(t *sim.Thread, b *skb) {
	s.uncharge(b)
	if b.niov != nil {
		b.niov.Owner.PutNetmem(t, b.niov)
		b.niov = nil
	}
}

// ReadSock is tcp_read_sock (see vfs.TCPReader).
// Linux: net/ipv4/tcp.c:tcp_read_sock(), io_uring/zcrx.c:io_zcrx_recv() (the tcp_recvmsg test)
func (s *sock) ReadSock(t *sim.Thread, f *vfs.File, count int, actor func(vfs.SkbData) int) (int, vfs.ReadSockState) {
	st := s.st
	st.lock(t)
	defer st.unlock(t)
	if s.proto != unix.IPPROTO_TCP {
		return -int(unix.EPROTONOSUPPORT), vfs.ReadSockState{}
	}
	if s.state == tcpListen {
		return -int(unix.ENOTCONN), vfs.ReadSockState{}
	}
	copied := 0
	for len(s.rcvq) > 0 {
		b := s.rcvq[0]
		if b.len() > 0 {
			used := actor(vfs.SkbData{Data: b.data[b.off:], Niov: b.niov, PageOff: b.off, Count: count})
			if used <= 0 {
				if copied == 0 {
					copied = used
				}
				break
			}
			used = min(used, b.len())
			b.off += used
			s.rcvBytes -= used
			copied += used
			count -= used
			if b.len() > 0 {
				continue
			}
		}
		s.freeSkb(t, b)
		s.rcvq[0] = nil
		s.rcvq = s.rcvq[1:]
		if count == 0 {
			break
		}
	}
	if len(s.rcvq) == 0 {
		s.rcvq = nil
	}
	if copied > 0 {
		if p := s.peer; p != nil {
			p.tcpPush(t)
		}
	}
	return copied, vfs.ReadSockState{
		Done:        s.finRcvd,
		Err:         s.err != 0,
		RcvShutdown: s.shutdown&rcvShutdown != 0,
		Closed:      s.state == tcpClose,
	}
}
