package uring

import (
	"fmt"
	"testing"

	"github.com/uringsim/uringsim/rings"
)

// TestRestrictionsAndPersonality: the helpers' results on a disabled ring
// restricted to NOP with IOSQE_IO_LINK allowed, and personality ids.
func TestRestrictionsAndPersonality(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []string {
		var out []string
		r := mustNew(t, be, 8, &Params{Flags: rings.IORING_SETUP_R_DISABLED})
		defer r.Close()
		res := []rings.Restriction{
			{Opcode: rings.IORING_RESTRICTION_SQE_OP, Arg: rings.IORING_OP_NOP},
			{Opcode: rings.IORING_RESTRICTION_SQE_FLAGS_ALLOWED, Arg: rings.IOSQE_IO_LINK},
			{Opcode: rings.IORING_RESTRICTION_REGISTER_OP, Arg: rings.IORING_REGISTER_PERSONALITY},
		}
		out = append(out, fmt.Sprint("restrict ", errnoOfErr(r.RegisterRestrictions(res))))
		out = append(out, fmt.Sprint("again ", errnoOfErr(r.RegisterRestrictions(res[:1]))))
		out = append(out, fmt.Sprint("bad op ", errnoOfErr(r.RegisterRestrictions([]rings.Restriction{{Opcode: 4}}))))
		out = append(out, fmt.Sprint("enable ", errnoOfErr(r.EnableRings())))
		id, err := r.RegisterPersonality()
		out = append(out, fmt.Sprint("personality ", id, errnoOfErr(err)))
		out = append(out, fmt.Sprint("unregister (not allowed) ", errnoOfErr(r.UnregisterPersonality(id))))
		sqe := r.GetSQE()
		PrepNop(sqe)
		sqe.UserData, sqe.Flags, sqe.Personality = 1, rings.IOSQE_IO_LINK, uint16(id)
		sqe = r.GetSQE()
		PrepNop(sqe)
		sqe.UserData = 2
		sqe = r.GetSQE()
		PrepNop(sqe)
		sqe.UserData, sqe.Flags = 3, rings.IOSQE_ASYNC
		n, err := r.Submit()
		out = append(out, fmt.Sprint("submit ", n, errnoOfErr(err)))
		out = append(out, fmt.Sprint(reapAll(t, r, 3)))
		return out
	})
}
