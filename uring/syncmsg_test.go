package uring

import (
	"fmt"
	"testing"

	"github.com/uringsim/uringsim/rings"
)

// TestRegisterSyncMsg: IORING_REGISTER_SEND_MSG_RING posts an
// IORING_MSG_DATA message's CQE to the target ring (through its task work
// for a DEFER_TASKRUN ring) and refuses what the kernel refuses.
func TestRegisterSyncMsg(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []string {
		var out []string
		r := mustNew(t, be, 4, nil)
		defer r.Close()
		d := mustNew(t, be, 4, &Params{Flags: deferFlags})
		defer d.Close()
		off := mustNew(t, be, 4, &Params{Flags: rings.IORING_SETUP_R_DISABLED})
		defer off.Close()
		send := func(what string, f func(sqe *rings.SQE)) {
			var sqe rings.SQE
			PrepMsgRing(&sqe, int32(r.FD()), 7, 0x55, 0)
			f(&sqe)
			n, err := RegisterSyncMsg(be, &sqe)
			out = append(out, fmt.Sprint(what, ": ", n, " ", errnoOfErr(err)))
		}
		send("data", func(*rings.SQE) {})
		send("pass flags", func(sqe *rings.SQE) {
			PrepMsgRingCQEFlags(sqe, int32(r.FD()), 8, 0x56, 0, rings.IORING_CQE_F_MORE)
		})
		send("to DEFER_TASKRUN", func(sqe *rings.SQE) { sqe.Fd = int32(d.FD()) })
		send("to disabled", func(sqe *rings.SQE) { sqe.Fd = int32(off.FD()) })
		send("sqe flags", func(sqe *rings.SQE) { sqe.Flags = rings.IOSQE_ASYNC })
		send("not MSG_RING", func(sqe *rings.SQE) { sqe.Opcode = rings.IORING_OP_NOP })
		send("SEND_FD", func(sqe *rings.SQE) { sqe.Addr = rings.IORING_MSG_SEND_FD })
		send("bad fd", func(sqe *rings.SQE) { sqe.Fd = 999 })
		send("personality", func(sqe *rings.SQE) { sqe.Personality = 1 })
		send("unknown msg flag", func(sqe *rings.SQE) { sqe.OpFlags = 1 << 7 })
		n, err := be.Register(-1, rings.IORING_REGISTER_SEND_MSG_RING, 0, 1)
		out = append(out, fmt.Sprint("no arg: ", n, " ", errnoOfErr(err)))
		out = append(out, fmt.Sprint(reapAll(t, r, 2), reapAll(t, d, 1)))
		return out
	})
}
