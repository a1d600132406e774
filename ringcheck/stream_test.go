package ringcheck

import (
	"strings"
	"testing"

	"github.com/uringsim/uringsim/rings"
)

func sqe(op uint8, ud uint64, flags uint8) rings.SQE {
	return rings.SQE{Opcode: op, UserData: ud, Flags: flags}
}

func cqe(ud uint64, res int32, flags uint32) rings.CQE {
	return rings.CQE{UserData: ud, Res: res, Flags: flags}
}

const (
	nop   = rings.IORING_OP_NOP
	link  = rings.IOSQE_IO_LINK
	skip  = rings.IOSQE_CQE_SKIP_SUCCESS
	more  = rings.IORING_CQE_F_MORE
	notif = rings.IORING_CQE_F_NOTIF
)

// TestStreams: good streams pass and each bad one is caught with its
// own message, so every check can fail.
func TestStreams(t *testing.T) {
	type step func(s *Stream)
	pub := func(pos uint32, sqes ...rings.SQE) step { return func(s *Stream) { s.Publish(pos, sqes) } }
	head := func(h uint32) step { return func(s *Stream) { s.SQHead(h, true) } }
	got := func(c rings.CQE) step { return func(s *Stream) { s.CQE(c) } }
	cq := func(h, t uint32) step { return func(s *Stream) { s.CQ(h, t) } }
	finish := func(s *Stream) { s.Finish(0) }
	finish1 := func(s *Stream) { s.Finish(1) }
	for _, tc := range []struct {
		name  string
		steps []step
		want  string // "" passes
	}{
		{"nops", []step{pub(0, sqe(nop, 1, 0), sqe(nop, 2, 0)), head(2), cq(0, 2), got(cqe(2, 0, 0)), got(cqe(1, 0, 0)), cq(2, 2), finish}, ""},
		{"duplicate", []step{pub(0, sqe(nop, 1, 0)), head(1), got(cqe(1, 0, 0)), got(cqe(1, 0, 0))}, "CQE user_data=1 res=0 flags=0: no SQE with this user_data is in flight"},
		{"never submitted", []step{pub(0, sqe(nop, 1, 0)), got(cqe(7, -125, 0))}, "user_data=7 res=-ECANCELED"},
		{"lost", []step{pub(0, sqe(nop, 1, 0), sqe(nop, 2, 0)), head(2), got(cqe(1, 0, 0)), finish}, "1 submitted SQEs have no CQE yet but the kernel holds only 0"},
		{"lost, one held", []step{pub(0, sqe(nop, 1, 0), sqe(nop, 2, 0), sqe(nop, 3, 0)), head(3), finish1}, "3 submitted SQEs have no CQE yet but the kernel holds only 1 completions for the ring: a CQE was lost (outstanding user_data: [1 2 3])"},
		{"held", []step{pub(0, sqe(nop, 1, 0), sqe(nop, 2, 0)), head(2), got(cqe(1, 0, 0)), finish1}, ""},
		{"not consumed is not lost", []step{pub(0, sqe(nop, 1, 0), sqe(nop, 2, 0)), head(1), got(cqe(1, 0, 0)), finish}, ""},
		{"skip success", []step{pub(0, sqe(nop, 1, skip), sqe(nop, 2, 0)), head(2), got(cqe(2, 0, 0)), finish}, ""},
		{"skip success fails once", []step{pub(0, sqe(nop, 1, skip)), head(1), got(cqe(1, -22, 0)), got(cqe(1, -22, 0))}, "no SQE with this user_data is in flight"},
		{"behind a skipped member", []step{pub(0, sqe(nop, 1, skip|link), sqe(nop, 2, 0)), head(2), got(cqe(1, -5, 0)), finish}, ""},
		{"multishot", []step{pub(0, sqe(rings.IORING_OP_POLL_ADD, 1, 0)), head(1), got(cqe(1, 1, more)), got(cqe(1, 1, more)), got(cqe(1, -125, 0)), finish}, ""},
		{"after the last", []step{pub(0, sqe(rings.IORING_OP_POLL_ADD, 1, 0)), head(1), got(cqe(1, 1, more)), got(cqe(1, -125, 0)), got(cqe(1, 1, more))}, "user_data=1 res=1 flags=IORING_CQE_F_MORE: no SQE"},
		{"multishot never ends", []step{pub(0, sqe(rings.IORING_OP_POLL_ADD, 1, 0)), head(1), got(cqe(1, 1, more)), finish}, "1 submitted SQEs have no CQE yet"},
		{"zc notification", []step{pub(0, sqe(rings.IORING_OP_SEND_ZC, 1, 0)), head(1), got(cqe(1, 4, more)), got(cqe(1, 0, notif)), finish}, ""},
		{"notification first", []step{pub(0, sqe(rings.IORING_OP_SEND_ZC, 1, 0)), head(1), got(cqe(1, 0, notif))}, "a notification before its request's own CQE"},
		{"link order", []step{pub(0, sqe(nop, 1, link), sqe(nop, 2, link), sqe(nop, 3, 0)), head(3), got(cqe(1, 0, 0)), got(cqe(2, 0, 0)), got(cqe(3, 0, 0)), finish}, ""},
		{"link out of order", []step{pub(0, sqe(nop, 1, link), sqe(nop, 2, link), sqe(nop, 3, 0)), head(3), got(cqe(1, 0, 0)), got(cqe(3, -125, 0))}, "user_data=3 res=-ECANCELED flags=0: a chain member completed before user_data=2"},
		{"hardlink out of order", []step{pub(0, sqe(nop, 1, rings.IOSQE_IO_HARDLINK), sqe(nop, 2, 0)), head(2), got(cqe(2, 0, 0))}, "completed before user_data=1"},
		{"skipped member", []step{pub(0, sqe(nop, 1, link|skip), sqe(nop, 2, 0)), head(2), got(cqe(2, 0, 0)), finish}, ""},
		{"skipped member fails late", []step{pub(0, sqe(nop, 1, link|skip), sqe(nop, 2, 0)), head(2), got(cqe(2, 0, 0)), got(cqe(1, -5, 0))}, "user_data=1 res=-EIO flags=0: a chain member completed after user_data=2"},
		{"linked timeout races", []step{pub(0, sqe(rings.IORING_OP_READ, 1, link), sqe(rings.IORING_OP_LINK_TIMEOUT, 2, link), sqe(nop, 3, 0)), head(3),
			got(cqe(2, -62, 0)), got(cqe(1, -125, 0)), got(cqe(3, -125, 0)), finish}, ""},
		{"linked timeout target order", []step{pub(0, sqe(rings.IORING_OP_READ, 1, link), sqe(rings.IORING_OP_LINK_TIMEOUT, 2, link), sqe(nop, 3, 0)), head(3),
			got(cqe(3, -125, 0))}, "completed before user_data=1"},
		{"batches split chains", []step{pub(0, sqe(nop, 1, link)), head(1), pub(1, sqe(nop, 2, 0)), head(2), got(cqe(2, 0, 0)), got(cqe(1, 0, 0)), finish}, ""},
		{"submission split a chain", []step{pub(0, sqe(nop, 1, link), sqe(nop, 2, 0)), head(1), got(cqe(2, 0, 0))}, ""},
		{"tail moved back", []step{cq(0, 3), cq(1, 2)}, "the CQ tail moved back from 3 to 2"},
		{"head moved back", []step{cq(2, 3), cq(1, 3)}, "the CQ head moved back from 2 to 1"},
		{"head past tail", []step{cq(4, 3)}, "the CQ head 4 is past the tail 3"},
		{"overfull", []step{cq(0, 5)}, "the CQ holds 5 CQEs (head 0, tail 5), more than its 4 entries"},
		{"wrapping", []step{cq(0xfffffffe, 0xfffffffe), cq(0xffffffff, 2)}, ""},
		{"reused user_data", []step{pub(0, sqe(nop, 1, 0), sqe(nop, 1, 0)), head(2), got(cqe(1, 0, 0)), got(cqe(1, 0, 0)), finish}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New()
			s := c.Stream("r", 3, 4)
			for _, st := range tc.steps {
				st(s)
			}
			err := c.Err()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("violation: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("no violation, want %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("got %q, want it to contain %q", err, tc.want)
			}
			if err != nil && s.Err() != err {
				t.Fatalf("stream error %v, checker error %v", s.Err(), err)
			}
		})
	}
}

// TestMsgRing: a MSG_RING grants its target ring one CQE with the
// message's user_data, no more; CQE_SKIP grants none.
func TestMsgRing(t *testing.T) {
	msg := func(fd int32, ud uint64, flags uint32) rings.SQE {
		s := sqe(rings.IORING_OP_MSG_RING, 1, 0)
		s.Fd, s.Off, s.OpFlags = fd, ud, flags
		return s
	}
	c := New()
	a := c.Stream("a", 3, 8)
	b := c.Stream("b", 4, 8)
	a.Publish(0, []rings.SQE{msg(4, 77, 0), msg(4, 78, rings.IORING_MSG_RING_CQE_SKIP)})
	b.CQE(cqe(77, 0, 0))
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	b.CQE(cqe(77, 0, 0))
	if c.Err() == nil {
		t.Fatal("a second message CQE passed")
	}
	c = New()
	a, b = c.Stream("a", 3, 8), c.Stream("b", 4, 8)
	a.Publish(0, []rings.SQE{msg(4, 78, rings.IORING_MSG_RING_CQE_SKIP)})
	b.CQE(cqe(78, 0, 0))
	if c.Err() == nil {
		t.Fatal("a CQE_SKIP message posted")
	}
}

// TestOff: a stream turned off checks nothing.
func TestOff(t *testing.T) {
	c := New()
	s := c.Stream("r", 3, 4)
	s.Off()
	s.CQE(cqe(1, 0, 0))
	s.CQ(9, 0)
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
}
