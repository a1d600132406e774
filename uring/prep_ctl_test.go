package uring

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// msgRingResult is what TestPrepMsgRing observes on both rings.
type msgRingResult struct {
	Sender, Target []cqeRec
}

// TestPrepMsgRing: the liburing-named MSG_RING helpers fill the SQE the
// kernel reads. A data message posts (data, len) on the target and 0 on
// the sender; CQEFlags passes its flags; the fd message finds no file in a
// sender without a registered table (-EBADF) and refuses the sender itself
// as target (-EINVAL), whichever slot it names. The probe reports the op.
func TestPrepMsgRing(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) msgRingResult {
		a := mustNew(t, be, 8, nil)
		defer a.Close()
		b := mustNew(t, be, 8, nil)
		defer b.Close()
		bfd, afd := int32(b.FD()), int32(a.FD())
		var sqe *rings.SQE
		sqe = a.GetSQE()
		PrepMsgRing(sqe, bfd, 7, 0x99, 0)
		sqe.UserData = 1
		sqe = a.GetSQE()
		PrepMsgRingCQEFlags(sqe, bfd, uint32(0xffffffff), 0x9a, 0, rings.IORING_CQE_F_MORE)
		sqe.UserData = 2
		sqe = a.GetSQE()
		PrepMsgRingFd(sqe, bfd, 0, 3, 0x9b, 0)
		sqe.UserData = 3
		sqe = a.GetSQE()
		PrepMsgRingFd(sqe, bfd, 1, rings.IORING_FILE_INDEX_ALLOC, 0x9c, rings.IORING_MSG_RING_CQE_SKIP)
		sqe.UserData = 4
		sqe = a.GetSQE()
		PrepMsgRingFd(sqe, afd, 0, 0, 0x9d, 0)
		sqe.UserData = 5
		if n, err := a.Submit(); n != 5 || err != nil {
			t.Fatalf("%s: Submit = %d, %v", be.Name(), n, err)
		}
		res := msgRingResult{Sender: reapAll(t, a, 5), Target: reapAll(t, b, 2)}
		want := msgRingResult{
			Sender: []cqeRec{{1, 0, 0}, {2, 0, 0}, {3, -int32(unix.EBADF), 0}, {4, -int32(unix.EBADF), 0}, {5, -int32(unix.EINVAL), 0}},
			Target: []cqeRec{{0x99, 7, 0}, {0x9a, -1, rings.IORING_CQE_F_MORE}},
		}
		for i, c := range want.Sender {
			if res.Sender[i] != c {
				t.Errorf("%s: sender CQE %d = %v, want %v", be.Name(), i, res.Sender[i], c)
			}
		}
		for i, c := range want.Target {
			if res.Target[i] != c {
				t.Errorf("%s: target CQE %d = %v, want %v", be.Name(), i, res.Target[i], c)
			}
		}
		if p, err := a.RegisterProbe(); err != nil || !p.Supported(rings.IORING_OP_MSG_RING) {
			t.Errorf("%s: probe does not report IORING_OP_MSG_RING (%v)", be.Name(), err)
		}
		if n := b.CQReady(); n != 0 {
			t.Errorf("%s: %d CQEs left on the target", be.Name(), n)
		}
		return res
	})
}
