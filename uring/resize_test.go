package uring

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/uringsim/uringsim/rings"
)

const deferFlags = rings.IORING_SETUP_DEFER_TASKRUN | rings.IORING_SETUP_SINGLE_ISSUER

// rawResize is IORING_REGISTER_RESIZE_RINGS with p, returning the result
// and what the kernel wrote back.
func rawResize(t *testing.T, r *Ring, p rings.Params) (string, rings.Params) {
	t.Helper()
	b, err := r.be.Alloc(4096)
	if err != nil {
		t.Fatal(err)
	}
	defer r.be.Free(b)
	*(*rings.Params)(unsafe.Pointer(&b[0])) = p
	n, err := r.Register(rings.IORING_REGISTER_RESIZE_RINGS, addrOf(b), 1)
	return fmt.Sprint(n, " ", errnoOfErr(err)), *(*rings.Params)(unsafe.Pointer(&b[0]))
}

// TestResizeRingsRules: which rings and parameters IORING_REGISTER_RESIZE_RINGS
// accepts, and what it writes back (sizes filled in, the ring's layout
// flags inherited, sq_off.array left as passed).
func TestResizeRingsRules(t *testing.T) {
	cases := []struct {
		name  string
		setup uint32
		p     rings.Params
	}{
		{"not DEFER_TASKRUN", 0, rings.Params{SQEntries: 16}},
		{"grow", deferFlags, rings.Params{SQEntries: 16}},
		{"grow, rounded", deferFlags, rings.Params{SQEntries: 17}},
		{"CQSIZE", deferFlags, rings.Params{SQEntries: 4, CQEntries: 100, Flags: rings.IORING_SETUP_CQSIZE}},
		{"CQSIZE below SQ", deferFlags, rings.Params{SQEntries: 64, CQEntries: 8, Flags: rings.IORING_SETUP_CQSIZE}},
		{"CQSIZE of 0", deferFlags, rings.Params{SQEntries: 4, Flags: rings.IORING_SETUP_CQSIZE}},
		{"sq 0", deferFlags, rings.Params{}},
		{"too big", deferFlags, rings.Params{SQEntries: 1 << 16}},
		{"too big, CLAMP", deferFlags, rings.Params{SQEntries: 1 << 16, Flags: rings.IORING_SETUP_CLAMP}},
		{"SQPOLL flag", deferFlags, rings.Params{SQEntries: 16, Flags: rings.IORING_SETUP_SQPOLL}},
		{"inherited flag passed", deferFlags, rings.Params{SQEntries: 16, Flags: rings.IORING_SETUP_NO_SQARRAY}},
		{"inherits NO_SQARRAY|SQE128|CQE32", deferFlags | rings.IORING_SETUP_NO_SQARRAY | rings.IORING_SETUP_SQE128 | rings.IORING_SETUP_CQE32,
			rings.Params{SQEntries: 32}},
		{"sq_off.array kept", deferFlags, rings.Params{SQEntries: 16, SQOff: rings.SQRingOffsets{Array: 12345}}},
		{"resv ignored", deferFlags, rings.Params{SQEntries: 16, Resv: [3]uint32{1, 2, 3}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			differential(t, func(t *testing.T, be Backend) string {
				r := mustNew(t, be, 8, &Params{Flags: c.setup})
				defer r.Close()
				res, p := rawResize(t, r, c.p)
				return fmt.Sprintf("%s %+v", res, p)
			})
		})
	}
}

// TestResizeRingsKeepsEntries: CQEs not yet reaped and SQEs published but
// not yet submitted survive a resize, at the same head and tail; a resize
// to rings too small for them is -EOVERFLOW and changes nothing.
func TestResizeRingsKeepsEntries(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []string {
		var out []string
		r := mustNew(t, be, 4, &Params{Flags: deferFlags})
		defer r.Close()
		// Move the heads off zero so the copy has to wrap.
		submitNops(t, r, 1, 2, 3)
		out = append(out, fmt.Sprint(reapAll(t, r, 3)))
		submitNops(t, r, 10, 11, 12, 13)
		submitNops(t, r, 14, 15)
		for _, ud := range []uint64{20, 21} {
			sqe := r.GetSQE()
			PrepNop(sqe)
			sqe.UserData = ud
		}
		out = append(out, fmt.Sprint("published ", r.FlushSQ()))
		small := &rings.Params{SQEntries: 2}
		out = append(out, fmt.Sprint("too small: ", errnoOfErr(r.ResizeRings(small)), " ", r.SQEntries(), "/", r.CQEntries()))
		p := &rings.Params{SQEntries: 16, CQEntries: 32, Flags: rings.IORING_SETUP_CQSIZE}
		err := r.ResizeRings(p)
		out = append(out, fmt.Sprint("resize: ", errnoOfErr(err), " ", r.SQEntries(), "/", r.CQEntries(), " flags ", p.Flags))
		v := r.View()
		out = append(out, fmt.Sprint("sq ", *v.SQHead(), "..", *v.SQTail(), " cq ", *v.CQHead(), "..", *v.CQTail()))
		out = append(out, fmt.Sprint(reapAll(t, r, 6)))
		n, err := r.Enter(2, 0, 0, 0, 0)
		out = append(out, fmt.Sprint("submit the copied SQEs ", n, errnoOfErr(err)))
		out = append(out, fmt.Sprint(reapAll(t, r, 2)))
		uds := make([]uint64, 20)
		for i := range uds {
			uds[i] = uint64(100 + i)
		}
		submitNops(t, r, uds...)
		got := reapAll(t, r, 20)
		out = append(out, fmt.Sprint(got[0], got[19]))
		return out
	})
}
