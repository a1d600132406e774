// Package echo is an echo server written with package uring, the way a
// liburing program writes one: one multishot IORING_OP_ACCEPT on the
// listening socket, one multishot IORING_OP_RECV per connection into a
// shared provided-buffer ring, and IORING_OP_SEND of each received buffer
// back to its sender, the buffer going back to the ring once sent.
//
// The same Server runs on either backend of package uring: on a simulated
// machine (uring.NewSimMachine) against simulated clients, and on the host
// kernel's io_uring against real loopback clients. It never blocks unless
// asked to (Poll reaps what is ready; Serve loops), so a test can drive a
// server and its clients from one goroutine, as the simulator requires.
//
// Per connection at most one send is in flight: two sends queued on one
// socket may complete out of order (one can go to poll while the next is
// issued), which would reorder the echoed stream. A connection's received
// buffers wait in order behind it.
//
// Linux: liburing examples/proxy.c, test/recv-multishot.c (the pattern)
package echo

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/uring"
)

// Config sizes the server's buffer ring.
type Config struct {
	// Buffers is the number of provided buffers, a power of two
	// (default 64).
	Buffers uint32
	// BufSize is the size of each buffer (default 4096).
	BufSize uint32
	// Bgid is the buffer group id (default 0).
	Bgid uint16
	// Idle is how long Serve waits for a CQE before it checks its stop
	// condition again (default 10ms).
	Idle time.Duration
}

// Stats counts what the server did.
type Stats struct {
	Accepted    int    // connections accepted
	Closed      int    // connections closed with a close that returned 0
	CloseErrors int    // closes that failed
	Open        int    // connections accepted and not yet closed
	Recvs       int    // receive CQEs carrying data
	Sends       int    // send CQEs
	BytesIn     uint64 // bytes received
	BytesOut    uint64 // bytes sent back
	Rearms      int    // receives armed again after ending without F_MORE
	NoBufs      int    // receives that ended with -ENOBUFS (the ring was empty)
	ConnErrors  int    // receives or sends that failed (the connection is closed)
	BuffersOut  int    // buffers handed to the server by a CQE and not given back yet
}

// user_data: the kind in the top byte, the connection's serial number
// (not its descriptor, which a new connection may reuse before the old
// one's close completes) below.
const (
	kindAccept = iota + 1
	kindRecv
	kindSend
	kindClose
	kindCancel
)

func userData(kind int, id uint32) uint64 { return uint64(kind)<<56 | uint64(id) }

// chunk is a received buffer not yet sent back completely.
type chunk struct {
	bid      uint16
	off, len uint32
}

type conn struct {
	id        uint32
	fd        int32
	queue     []chunk // in arrival order; queue[0] is being sent while sending
	sending   bool
	recvArmed bool
	eof       bool // no more data will come (end of stream or an error)
	closing   bool
}

// Server is an echo server on one Ring. Create it with New on the ring's
// goroutine and use it only there.
type Server struct {
	r     *uring.Ring
	cfg   Config
	lfd   int32
	br    *uring.BufRing
	bufs  []byte
	mask  int
	conns map[uint32]*conn
	next  uint32
	// starved lists connections whose receive ended with -ENOBUFS, in
	// that order; they are armed again when a buffer is given back.
	starved     []*conn
	acceptArmed bool
	stopping    bool
	stats       Stats
	err         error // the first failure of the ring itself
}

// New sets up the buffer ring on r and arms a multishot accept on the
// listening socket lfd; Poll or Serve submits it.
func New(r *uring.Ring, lfd int, cfg Config) (*Server, error) {
	if cfg.Buffers == 0 {
		cfg.Buffers = 64
	}
	if cfg.BufSize == 0 {
		cfg.BufSize = 4096
	}
	if cfg.Idle == 0 {
		cfg.Idle = 10 * time.Millisecond
	}
	if cfg.Buffers&(cfg.Buffers-1) != 0 || cfg.Buffers > 1<<15 {
		return nil, fmt.Errorf("echo: %d buffers: want a power of two up to 32768", cfg.Buffers)
	}
	be := r.Backend()
	bufs, err := be.Alloc(uint64(cfg.Buffers) * uint64(cfg.BufSize))
	if err != nil {
		return nil, err
	}
	br, err := r.SetupBufRing(cfg.Buffers, cfg.Bgid, 0)
	if err != nil {
		_ = be.Free(bufs)
		return nil, err
	}
	s := &Server{r: r, cfg: cfg, lfd: int32(lfd), br: br, bufs: bufs,
		mask: uring.BufRingMask(cfg.Buffers), conns: map[uint32]*conn{}}
	for bid := range cfg.Buffers {
		uring.BufRingAdd(br, s.bufAddr(uint16(bid)), cfg.BufSize, uint16(bid), s.mask, int(bid))
	}
	uring.BufRingAdvance(br, int(cfg.Buffers))
	s.armAccept()
	return s, s.err
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	st := s.stats
	st.Open = len(s.conns)
	return st
}

// BuffersInRing is how many buffers the kernel can still hand out
// (uring.Ring.BufRingAvailable).
func (s *Server) BuffersInRing() (int, error) { return s.r.BufRingAvailable(s.br) }

func (s *Server) bufAddr(bid uint16) uint64 {
	return uring.IovecOf(s.bufs).Base + uint64(bid)*uint64(s.cfg.BufSize)
}

// sqe returns a free SQE, submitting what is queued if the SQ is full.
func (s *Server) sqe(ud uint64) *rings.SQE {
	sqe := s.r.GetSQE()
	if sqe == nil {
		if _, err := s.r.Submit(); err != nil && s.err == nil {
			s.err = fmt.Errorf("echo: submit: %w", err)
		}
		if sqe = s.r.GetSQE(); sqe == nil {
			if s.err == nil {
				s.err = errors.New("echo: submission queue full")
			}
			return nil
		}
	}
	sqe.UserData = ud
	return sqe
}

func (s *Server) armAccept() {
	sqe := s.sqe(userData(kindAccept, 0))
	if sqe == nil {
		return
	}
	uring.PrepMultishotAccept(sqe, s.lfd, 0, 0, unix.SOCK_CLOEXEC)
	s.acceptArmed = true
}

func (s *Server) armRecv(c *conn) {
	sqe := s.sqe(userData(kindRecv, c.id))
	if sqe == nil {
		return
	}
	uring.PrepRecvMultishot(sqe, c.fd, 0, 0, 0)
	sqe.Flags |= rings.IOSQE_BUFFER_SELECT
	sqe.SetBufGroup(s.cfg.Bgid)
	c.recvArmed = true
}

// trySend starts sending the connection's oldest buffer unless a send is
// in flight.
func (s *Server) trySend(c *conn) {
	if c.sending || len(c.queue) == 0 {
		return
	}
	ch := c.queue[0]
	sqe := s.sqe(userData(kindSend, c.id))
	if sqe == nil {
		return
	}
	uring.PrepSend(sqe, c.fd, s.bufAddr(ch.bid)+uint64(ch.off), ch.len-ch.off, unix.MSG_NOSIGNAL)
	c.sending = true
}

// maybeClose closes a connection that will get no more data and has
// nothing left to send.
func (s *Server) maybeClose(c *conn) {
	if !c.eof || c.recvArmed || c.sending || len(c.queue) != 0 || c.closing {
		return
	}
	sqe := s.sqe(userData(kindClose, c.id))
	if sqe == nil {
		return
	}
	uring.PrepClose(sqe, c.fd)
	c.closing = true
}

// giveBack returns buffer bid to the ring and arms the receives that ran
// out of buffers.
func (s *Server) giveBack(bid uint16) {
	uring.BufRingAdd(s.br, s.bufAddr(bid), s.cfg.BufSize, bid, s.mask, 0)
	uring.BufRingAdvance(s.br, 1)
	s.stats.BuffersOut--
	// Arm as many starved receives, oldest first, as there are buffers
	// in the ring (not all of them: each would take a buffer or fail
	// again at once).
	k := min(len(s.starved), int(s.cfg.Buffers)-s.stats.BuffersOut)
	wake := s.starved[:k]
	s.starved = s.starved[k:]
	for _, c := range wake {
		if !c.eof && !c.recvArmed {
			s.stats.Rearms++
			s.armRecv(c)
		}
	}
}

// drop gives back every buffer a failed connection still holds.
func (s *Server) drop(c *conn) {
	q := c.queue
	c.queue = nil
	for _, ch := range q {
		s.giveBack(ch.bid)
	}
}

// Handle processes one of the server's CQEs (a copy: the caller may mark
// the slot seen before or after).
func (s *Server) Handle(cqe rings.CQE) {
	kind, id := int(cqe.UserData>>56), uint32(cqe.UserData)
	more := cqe.Flags&rings.IORING_CQE_F_MORE != 0
	if kind == kindAccept {
		s.accepted(cqe, more)
		return
	}
	if kind == kindCancel {
		return
	}
	c := s.conns[id]
	if c == nil {
		if s.err == nil {
			s.err = fmt.Errorf("echo: CQE %+v of no connection", cqe)
		}
		return
	}
	switch kind {
	case kindRecv:
		s.received(c, cqe, more)
	case kindSend:
		s.sent(c, cqe)
	case kindClose:
		if cqe.Res == 0 {
			s.stats.Closed++
		} else {
			s.stats.CloseErrors++
		}
		delete(s.conns, c.id)
		return
	}
	s.maybeClose(c)
}

func (s *Server) accepted(cqe rings.CQE, more bool) {
	switch {
	case cqe.Res >= 0:
		s.stats.Accepted++
		s.next++
		c := &conn{id: s.next, fd: cqe.Res}
		s.conns[c.id] = c
		s.armRecv(c)
	case cqe.Res == -int32(unix.ECANCELED):
	default:
		if s.err == nil && !s.stopping {
			s.err = fmt.Errorf("echo: accept: %w", unix.Errno(-cqe.Res))
		}
	}
	if !more {
		s.acceptArmed = false
		if !s.stopping && s.err == nil {
			s.armAccept()
		}
	}
}

func (s *Server) received(c *conn, cqe rings.CQE, more bool) {
	if uring.CQEHasBuffer(&cqe) {
		s.stats.BuffersOut++
		bid := uring.CQEBufferID(&cqe)
		if cqe.Res > 0 && !c.eof {
			s.stats.Recvs++
			s.stats.BytesIn += uint64(cqe.Res)
			c.queue = append(c.queue, chunk{bid: bid, len: uint32(cqe.Res)})
		} else {
			s.giveBack(bid)
		}
	}
	if !more {
		c.recvArmed = false
	}
	switch {
	case cqe.Res > 0:
		if !more && !c.eof {
			// Ended for another reason (a full CQ): carry on.
			s.stats.Rearms++
			s.armRecv(c)
		}
	case cqe.Res == 0:
		c.eof = true
	case cqe.Res == -int32(unix.ENOBUFS):
		s.stats.NoBufs++
		if s.stats.BuffersOut == 0 {
			// Nothing will be given back: try again at once.
			s.stats.Rearms++
			s.armRecv(c)
		} else {
			s.starved = append(s.starved, c)
		}
	default:
		s.stats.ConnErrors++
		c.eof = true
		s.drop(c)
	}
	s.trySend(c)
}

func (s *Server) sent(c *conn, cqe rings.CQE) {
	s.stats.Sends++
	c.sending = false
	if cqe.Res <= 0 {
		s.stats.ConnErrors++
		s.drop(c)
		if c.recvArmed {
			// The peer is gone: end the receive too.
			if sqe := s.sqe(userData(kindCancel, c.id)); sqe != nil {
				uring.PrepCancel64(sqe, userData(kindRecv, c.id), 0)
			}
		}
		c.eof = true
		return
	}
	s.stats.BytesOut += uint64(cqe.Res)
	ch := &c.queue[0]
	ch.off += uint32(cqe.Res)
	if ch.off == ch.len {
		bid := ch.bid
		c.queue = c.queue[1:]
		s.giveBack(bid)
	}
	s.trySend(c)
}

// Poll submits what the server queued, reaps every CQE that is ready and
// handles it. It never blocks. It returns how many CQEs it handled and
// the first failure of the ring (errors of single connections are
// counted in Stats, not returned).
func (s *Server) Poll() (int, error) {
	if _, err := s.r.SubmitAndGetEvents(); err != nil && !transient(err) && s.err == nil {
		s.err = fmt.Errorf("echo: submit: %w", err)
	}
	n := 0
	for s.err == nil {
		cqe, err := s.r.PeekCQE()
		if err != nil {
			break
		}
		c := *cqe
		s.r.CQESeen(cqe)
		s.Handle(c)
		n++
	}
	if n > 0 && s.err == nil {
		if _, err := s.r.Submit(); err != nil && !transient(err) {
			s.err = fmt.Errorf("echo: submit: %w", err)
		}
	}
	return n, s.err
}

// transient is an io_uring_enter failure worth simply retrying.
func transient(err error) bool {
	return errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EBUSY)
}

// Serve runs the server until stop reports true (checked between CQEs
// and at least every Config.Idle).
func (s *Server) Serve(stop func() bool) error {
	for !stop() {
		if _, err := s.Poll(); err != nil {
			return err
		}
		if stop() {
			break
		}
		if _, err := s.r.WaitCQETimeout(s.cfg.Idle); err != nil && !errors.Is(err, unix.ETIME) && !transient(err) {
			return fmt.Errorf("echo: wait: %w", err)
		}
	}
	return nil
}

// Stop cancels the multishot accept and reaps CQEs until it has ended;
// connections already open go on being served by later calls to Poll.
func (s *Server) Stop() error {
	s.stopping = true
	if s.acceptArmed {
		sqe := s.sqe(userData(kindCancel, 0))
		if sqe != nil {
			uring.PrepCancel64(sqe, userData(kindAccept, 0), 0)
		}
	}
	for s.acceptArmed && s.err == nil {
		if n, err := s.Poll(); err != nil {
			return err
		} else if n == 0 {
			if _, err := s.r.WaitCQETimeout(s.cfg.Idle); err != nil && !errors.Is(err, unix.ETIME) && !transient(err) {
				return fmt.Errorf("echo: wait: %w", err)
			}
		}
	}
	return s.err
}

// Close releases the buffer ring and its buffers. The server must have
// no connection left (Stats().Open == 0).
func (s *Server) Close() error {
	if len(s.conns) != 0 {
		return fmt.Errorf("echo: Close with %d connections open", len(s.conns))
	}
	err := s.r.FreeBufRing(s.br)
	if e := s.r.Backend().Free(s.bufs); err == nil {
		err = e
	}
	return err
}
