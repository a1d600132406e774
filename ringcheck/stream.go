package ringcheck

import (
	"fmt"
	"strconv"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/uring"
)

// Violation is a broken invariant: on which ring, and what the stream
// showed.
type Violation struct {
	Ring string
	Msg  string
}

// Error is "invariant violated on ring R: what".
func (v *Violation) Error() string { return "invariant violated on ring " + v.Ring + ": " + v.Msg }

// Checker holds the streams of one program (one world): their first
// violation, and where a MSG_RING on one ring posts on another.
type Checker struct {
	streams []*Stream
	first   *Violation
}

// New returns a Checker with no streams.
func New() *Checker { return &Checker{} }

// Stream starts checking a ring named name (in messages) whose file
// descriptor is fd (-1: none a MSG_RING could name) and whose CQ has
// cqEntries entries.
func (c *Checker) Stream(name string, fd int, cqEntries uint32) *Stream {
	s := &Stream{c: c, name: name, fd: fd, cqEntries: cqEntries, open: map[uint64]*sqeRec{}, allow: map[uint64]int{}}
	c.streams = append(c.streams, s)
	return s
}

// Err returns the first violation on any stream (a *Violation), or nil.
func (c *Checker) Err() error {
	if c.first == nil {
		return nil
	}
	return c.first
}

// Stream is the check of one ring. Its methods are the events of the
// ring's life as the program sees them; call them in the order they
// happened. A Stream's first violation stops it (later events could only
// repeat it).
type Stream struct {
	c         *Checker
	ring      *uring.Ring // Watch's ring, for End
	name      string
	fd        int
	cqEntries uint32
	off       bool

	recs []*sqeRec          // published SQEs, in SQ order
	open map[uint64]*sqeRec // in flight, by user_data: the oldest (sameUD links the rest)
	slab []sqeRec           // where the next records are allocated
	// allow counts CQEs with this user_data that a MSG_RING on some ring
	// may post here without an SQE of this ring.
	allow map[uint64]int
	seq   int // CQEs seen

	// The chain being published: the last member (nil once a batch
	// ends, so that no order is required across batches), whether it is
	// still open, and whether a CQE_SKIP_SUCCESS member is in it.
	chainLast   *sqeRec
	chainOpen   bool
	chainSilent bool

	sqHead         uint32 // SQEs before it were consumed by the kernel
	haveCQ         bool
	cqHead, cqTail uint32
	err            *Violation
}

// sqeRec is one published SQE.
type sqeRec struct {
	ud         uint64
	res        int32 // the terminal CQE's res, for messages
	opcode     uint8
	flags      uint8
	pos        uint32  // its SQ index (head/tail count)
	prev, next *sqeRec // chain neighbours whose order is required
	silentOK   bool    // may post no CQE at all
	first      int     // seq of its first CQE (not a notification); 0: none yet
	ncqe       int
	done       bool
	ambiguous  bool    // matched while another SQE with its user_data was in flight
	sameUD     *sqeRec // the next newer SQE in flight with its user_data
}

// newRec returns a zeroed record from the stream's slab: records are
// allocated sixteen at a time, and never move (the chains point at them).
func (s *Stream) newRec() *sqeRec {
	if len(s.slab) == cap(s.slab) {
		s.slab = make([]sqeRec, 0, 16)
	}
	s.slab = s.slab[:len(s.slab)+1]
	return &s.slab[len(s.slab)-1]
}

// Name is the ring's name.
func (s *Stream) Name() string { return s.name }

// Off stops checking this stream: a program that writes the ring's
// words itself (a scenario's poke) makes the kernel see other SQEs than
// the ones published, and head or tail values the kernel did not store.
func (s *Stream) Off() { s.off = true }

// Err returns this stream's first violation (a *Violation), or nil.
func (s *Stream) Err() error {
	if s.err == nil {
		return nil
	}
	return s.err
}

func (s *Stream) violate(format string, args ...any) {
	if s.err != nil {
		return
	}
	s.err = &Violation{Ring: s.name, Msg: fmt.Sprintf(format, args...)}
	if s.c.first == nil {
		s.c.first = s.err
	}
}

func (s *Stream) checking() bool { return !s.off && s.err == nil }

// SetCQEntries records a new CQ size (IORING_REGISTER_RESIZE_RINGS).
func (s *Stream) SetCQEntries(n uint32) { s.cqEntries = n }

// Allow lets one CQE with user_data ud arrive without an SQE of this ring
// (a message from a ring the checker does not watch).
func (s *Stream) Allow(ud uint64) { s.allow[ud]++ }

// Publish records SQEs made visible to the kernel in one store of the SQ
// tail, the first at SQ index pos. A chain may go on into the next
// batch in the kernel (SQPOLL can read both tails at once), but no
// completion order is required across the boundary.
func (s *Stream) Publish(pos uint32, sqes []rings.SQE) {
	if !s.checking() {
		return
	}
	s.chainLast = nil
	for i := range sqes {
		sqe := &sqes[i]
		r := s.newRec()
		r.ud, r.opcode, r.flags, r.pos = sqe.UserData, sqe.Opcode, sqe.Flags, pos+uint32(i)
		skip := sqe.Flags&rings.IOSQE_CQE_SKIP_SUCCESS != 0
		// io_fail_links: behind a CQE_SKIP_SUCCESS member that fails,
		// the cancelled members post no CQE.
		r.silentOK = skip || s.chainOpen && s.chainSilent
		s.chainSilent = r.silentOK
		if sqe.Opcode != rings.IORING_OP_LINK_TIMEOUT {
			if s.chainOpen && s.chainLast != nil {
				r.prev, s.chainLast.next = s.chainLast, r
			}
			s.chainLast = r
		}
		s.chainOpen = sqe.Flags&(rings.IOSQE_IO_LINK|rings.IOSQE_IO_HARDLINK) != 0
		if !s.chainOpen {
			s.chainLast, s.chainSilent = nil, false
		}
		s.recs = append(s.recs, r)
		if x := s.open[r.ud]; x == nil {
			s.open[r.ud] = r
		} else {
			for x.sameUD != nil {
				x = x.sameUD
			}
			x.sameUD = r
		}
		switch sqe.Opcode {
		case rings.IORING_OP_MSG_RING:
			s.c.msgRing(sqe)
		case rings.IORING_OP_POLL_REMOVE:
			s.pollUpdate(sqe)
		}
	}
	s.chainLast = nil
}

// msgRing grants the CQE a MSG_RING posts on its target ring: user_data
// sqe->off, on the ring whose fd is sqe->fd (any ring for a fixed file).
// Linux: io_uring/msg_ring.c:io_msg_ring_prep(), io_msg_ring_data()
func (c *Checker) msgRing(sqe *rings.SQE) {
	if cmd := uint32(sqe.Addr); cmd != rings.IORING_MSG_DATA && cmd != rings.IORING_MSG_SEND_FD {
		return
	}
	if sqe.OpFlags&rings.IORING_MSG_RING_CQE_SKIP != 0 {
		return
	}
	for _, t := range c.streams {
		if sqe.Flags&rings.IOSQE_FIXED_FILE != 0 || t.fd == int(sqe.Fd) {
			t.allow[sqe.Off]++
		}
	}
}

// pollUpdate: a POLL_REMOVE with IORING_POLL_UPDATE_USER_DATA gives the
// poll at user_data sqe->addr the user_data sqe->off, so its CQEs may come
// under the new one (any number: a multishot poll goes on) and none
// under the old.
// Linux: io_uring/poll.c:io_poll_remove_prep(), io_poll_remove()
func (s *Stream) pollUpdate(sqe *rings.SQE) {
	if sqe.Len&rings.IORING_POLL_UPDATE_USER_DATA == 0 {
		return
	}
	for r := s.open[sqe.Addr]; r != nil; r = r.sameUD {
		r.silentOK = true
	}
	s.allow[sqe.Off] = 1 << 30
}

// SQHead records the SQ head the kernel stored: SQEs before it are
// consumed, and (without SQPOLL, whose thread may have read further) a
// chain the kernel consumed up to there ended there (io_submit_sqes ends
// a chain at the end of a submission), so no order is required across it.
func (s *Stream) SQHead(head uint32, cut bool) {
	if !s.checking() {
		return
	}
	s.sqHead = head
	if !cut {
		return
	}
	for i := len(s.recs) - 1; i >= 0; i-- {
		r := s.recs[i]
		if d := int32(r.pos - head); d < 0 {
			break
		} else if d == 0 && r.prev != nil {
			r.prev.next, r.prev = nil, nil
		}
	}
}

// CQ records the CQ ring's head and tail as the program read them: the
// kernel's tail only moves forward, at most the CQ's size ahead of the
// head; the program's head only forward, never past the tail.
func (s *Stream) CQ(head, tail uint32) {
	if !s.checking() {
		return
	}
	if s.haveCQ {
		if int32(tail-s.cqTail) < 0 {
			s.violate("the CQ tail moved back from %d to %d", s.cqTail, tail)
			return
		}
		if int32(head-s.cqHead) < 0 {
			s.violate("the CQ head moved back from %d to %d (the program's store)", s.cqHead, head)
			return
		}
	}
	s.haveCQ, s.cqHead, s.cqTail = true, head, tail
	switch n := tail - head; {
	case int32(n) < 0:
		s.violate("the CQ head %d is past the tail %d", head, tail)
	case n > s.cqEntries:
		s.violate("the CQ holds %d CQEs (head %d, tail %d), more than its %d entries: a CQE was overwritten", n, head, tail, s.cqEntries)
	}
}

// CQE records one CQE the program consumed (not a CQE_MIXED filler).
func (s *Stream) CQE(c rings.CQE) {
	if !s.checking() || c.Flags&rings.IORING_CQE_F_SKIP != 0 {
		return
	}
	s.seq++
	oldest := s.open[c.UserData]
	if oldest == nil {
		if s.allow[c.UserData] > 0 {
			s.allow[c.UserData]--
			return
		}
		s.violate("%s: no SQE with this user_data is in flight (a duplicate CQE, or one for an SQE never submitted)", fmtCQE(c))
		return
	}
	r := oldest
	for x := oldest; x != nil; x = x.sameUD {
		if x.ncqe > 0 { // a multishot stream already under way
			r = x
			break
		}
	}
	if oldest.sameUD != nil {
		r.ambiguous = true
	}
	notif := c.Flags&rings.IORING_CQE_F_NOTIF != 0
	if notif && r.ncqe == 0 {
		s.violate("%s: a notification before its request's own CQE", fmtCQE(c))
		return
	}
	if r.first == 0 && !notif {
		r.first = s.seq
		s.checkOrder(r, c)
	}
	r.ncqe++
	if c.Flags&rings.IORING_CQE_F_MORE == 0 {
		r.done, r.res = true, c.Res
		switch {
		case r != oldest:
			x := oldest
			for x.sameUD != r {
				x = x.sameUD
			}
			x.sameUD = r.sameUD
		case r.sameUD == nil:
			delete(s.open, c.UserData)
		default:
			s.open[c.UserData] = r.sameUD
		}
		r.sameUD = nil
	}
}

// checkOrder checks r's first CQE against its chain neighbours'.
func (s *Stream) checkOrder(r *sqeRec, c rings.CQE) {
	if r.ambiguous {
		return
	}
	if p := r.prev; p != nil && !p.ambiguous && p.first == 0 && !p.silentOK {
		s.violate("%s: a chain member completed before user_data=%d, linked before it", fmtCQE(c), p.ud)
		return
	}
	if n := r.next; n != nil && !n.ambiguous && n.first != 0 {
		s.violate("%s: a chain member completed after user_data=%d, linked after it", fmtCQE(c), n.ud)
	}
}

// Outstanding lists the user_data of consumed SQEs (before the last SQ
// head recorded) that must still post their terminal CQE, oldest first:
// those that may post none (CQE_SKIP_SUCCESS, and the members behind one
// in a chain) are left out.
func (s *Stream) Outstanding() []uint64 {
	var out []uint64
	for _, r := range s.recs {
		if !r.done && !r.silentOK && int32(r.pos-s.sqHead) < 0 {
			out = append(out, r.ud)
		}
	}
	return out
}

// Finish ends the stream, given how many completions the kernel still
// holds for the ring (requests in flight, CQEs in its overflow list and
// in the CQ not yet consumed, CQEs it dropped; 0 once the ring is idle
// and drained): more outstanding SQEs than that means one finished without
// its CQE.
func (s *Stream) Finish(held int) {
	if !s.checking() {
		return
	}
	if out := s.Outstanding(); len(out) > max(held, 0) {
		s.violate("%d submitted SQEs have no CQE yet but the kernel holds only %d completions for the ring: a CQE was lost (outstanding user_data: %v)",
			len(out), max(held, 0), out[:min(len(out), 8)])
	}
}

func fmtCQE(c rings.CQE) string {
	res := strconv.Itoa(int(c.Res))
	if n := rings.ErrnoName(int(c.Res)); c.Res < 0 && n != "" {
		res = "-" + n
	}
	return fmt.Sprintf("CQE user_data=%d res=%s flags=%s", c.UserData, res, rings.FlagNames(rings.FamilyCQEFlags, uint64(c.Flags)))
}
