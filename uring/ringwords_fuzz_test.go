package uring

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/uringsim/uringsim/rings"
)

// ringWordsFlags are the ring kinds FuzzRingWords sets up: every request is
// a NOP that completes inline during io_uring_enter, so the host's results
// depend on the program only, never on timing.
var ringWordsFlags = []uint32{
	0,
	rings.IORING_SETUP_SUBMIT_ALL,
	rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_DEFER_TASKRUN,
	rings.IORING_SETUP_NO_SQARRAY,
	rings.IORING_SETUP_COOP_TASKRUN | rings.IORING_SETUP_TASKRUN_FLAG,
}

// runRingWords runs one FuzzRingWords program on be and returns what it
// observed, one line per system call and per final look at the CQ.
//
// A program is a list of 5-byte steps, an operation byte and a 32-bit
// value. Operations write user-writable ring words (SQ tail, CQ head, an
// SQ array entry, sq_flags, cq_flags), fill an SQE slot with a NOP, or
// call io_uring_enter — always with min_complete = 0: with a CQ head past
// the tail and CQEs in the overflow list Linux 6.18 never returns from a
// wait (io_cqring_wait loops), so the target never waits.
func runRingWords(t *testing.T, be Backend, flags uint32, prog []byte) []string {
	r, err := New(be, 4, &Params{Flags: flags | rings.IORING_SETUP_CQSIZE, CQEntries: 4})
	if err != nil {
		t.Fatalf("%s: setup %#x: %v", be.Name(), flags, err)
	}
	defer r.Close()
	v, sqes := r.View(), r.SQEs()
	var out []string
	words := func(what string) {
		out = append(out, fmt.Sprintf("%s: sq_head=%d sq_tail=%d cq_head=%d cq_tail=%d sq_flags=%#x cq_flags=%#x dropped=%d overflow=%d",
			what, rings.LoadAcquire(v.SQHead()), rings.LoadAcquire(v.SQTail()), rings.LoadAcquire(v.CQHead()),
			rings.LoadAcquire(v.CQTail()), rings.LoadAcquire(v.SQFlags()), rings.LoadAcquire(v.CQFlags()),
			rings.LoadAcquire(v.SQDropped()), rings.LoadAcquire(v.CQOverflow())))
	}
	enter := func(toSubmit, eflags uint32) {
		n, err := be.Enter(r.FD(), toSubmit, 0, eflags, 0, 0)
		words(fmt.Sprintf("enter(%d, 0, %#x) = %d %v", toSubmit, eflags, n, errnoOfErr(err)))
	}
	ud := uint64(0)
	for ; len(prog) >= 5; prog = prog[5:] {
		op, val := prog[0], binary.LittleEndian.Uint32(prog[1:5])
		if op&0x80 == 0 { // mostly small values: near the real indices
			val = val%16 - 4
		}
		switch op & 7 {
		case 0:
			rings.StoreRelease(v.SQTail(), val)
		case 1:
			rings.StoreRelease(v.CQHead(), val)
		case 2:
			if flags&rings.IORING_SETUP_NO_SQARRAY == 0 {
				rings.StoreRelease(v.SQArray(uint32(op>>3)%sqes.Entries()), val)
			}
		case 3:
			rings.StoreRelease(v.SQFlags(), val)
		case 4:
			rings.StoreRelease(v.CQFlags(), val)
		case 5:
			sqe := sqes.SQE(uint32(op>>3) % sqes.Entries())
			PrepNop(sqe)
			ud++
			sqe.UserData = ud
			// A skipped CQE stays inline. No links: a chain the SQ (or
			// a dropped entry) ends early is queued to io-wq at the end
			// of the submit (io_queue_sqe_fallback), as drain and async
			// are, and its CQE would come at a time the host's scheduler
			// decides.
			sqe.Flags = uint8(val) & rings.IOSQE_CQE_SKIP_SUCCESS
		case 6:
			enter(val%8, rings.IORING_ENTER_GETEVENTS)
		case 7:
			enter(val, 0)
		}
	}
	// Look at what the CQ holds, then make room and flush the overflow
	// list a few times: every CQE that was ever posted shows up.
	cqes := func(what string) {
		var l []string
		for i := range uint32(4) {
			c := v.CQE(i)
			l = append(l, fmt.Sprintf("{%d %d %#x}", c.UserData, c.Res, c.Flags))
		}
		out = append(out, what+": cq slots "+strings.Join(l, " "))
	}
	cqes("end")
	for i := range 4 {
		rings.StoreRelease(v.CQHead(), rings.LoadAcquire(v.CQTail()))
		enter(0, rings.IORING_ENTER_GETEVENTS)
		cqes(fmt.Sprintf("flush %d", i))
	}
	return out
}

// FuzzRingWords writes random values into the ring words a program may
// write (SQ tail, CQ head, SQ array, sq_flags, cq_flags) between system
// calls, on the simulator and on the host kernel, and compares every
// system call's result, the ring words after it and the CQ contents: the
// simulator must do what the kernel does with garbage (its clamps, its
// unsigned arithmetic), not merely survive it. Without host io_uring it
// skips.
func FuzzRingWords(f *testing.F) {
	if !HostAvailable() {
		f.Skip("host io_uring unavailable: FuzzRingWords compares the simulator with it")
	}
	host, _ := HostBackend()
	step := func(op byte, val uint32) []byte {
		return binary.LittleEndian.AppendUint32([]byte{op}, val)
	}
	// Overflow, then a CQ head past the tail (the CQ looks full), then sane.
	nop := func(slot byte) []byte { return step(0x80|5|slot<<3, 0) }
	ovf := slices.Concat(nop(0), nop(1), nop(2), nop(3), step(0x80|0, 4), step(0x80|7, 4),
		nop(0), nop(1), step(0x80|0, 6), step(0x80|7, 2), step(0x80|1, 100), step(0x80|6, 0), step(0x80|1, 2), step(0x80|6, 0))
	f.Add(uint8(0), ovf)
	f.Add(uint8(2), ovf)
	// SQ array garbage: dropped entries.
	f.Add(uint8(0), slices.Concat(nop(0), step(0x80|2, 9), step(0x80|0, 2), step(0x80|7, 2)))
	// A wild SQ tail: the kernel clamps tail - head to the SQ size.
	f.Add(uint8(1), slices.Concat(step(0x80|0, 1<<31), step(0x80|7, 1<<20), step(0x80|3, ^uint32(0)), step(0x80|7, 3)))
	f.Fuzz(func(t *testing.T, kind uint8, prog []byte) {
		flags := ringWordsFlags[int(kind)%len(ringWordsFlags)]
		if len(prog) > 5*64 {
			prog = prog[:5*64]
		}
		s := onSim(t, SimConfig{Seed: 1}, func(t *testing.T, be Backend) []string { return runRingWords(t, be, flags, prog) })
		h := runRingWords(t, host, flags, prog)
		for i := range max(len(s), len(h)) {
			var x, y string
			if i < len(s) {
				x = s[i]
			}
			if i < len(h) {
				y = h[i]
			}
			if x != y {
				t.Fatalf("ring flags %#x: step %d differs:\n sim  %s\n host %s\nsim:\n  %s\nhost:\n  %s", flags, i, x, y,
					strings.Join(s, "\n  "), strings.Join(h, "\n  "))
			}
		}
	})
}
