package uring

import (
	"testing"

	"github.com/uringsim/uringsim/rings"
)

// kbufRun drives liburing-style buffer-ring and provided-buffer helpers
// through a pipe and records what the program sees.
type kbufRun struct {
	CQEs  []cqeRec
	Heads []uint16
	Avail []int
	Data  string
}

func kbufScript(t *testing.T, be Backend, flags uint16) kbufRun {
	var out kbufRun
	r := mustNew(t, be, 8, nil)
	defer r.Close()
	fs, err := Files(be)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, err := fs.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close(pr)
	bufs, err := be.Alloc(4 * 16)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Free(bufs)
	br, err := r.SetupBufRing(4, 5, flags)
	if err != nil {
		t.Fatalf("%s: SetupBufRing: %v", be.Name(), err)
	}
	mask := BufRingMask(4)
	for i := range 3 {
		BufRingAdd(br, addrOf(bufs)+uint64(16*i), 16, uint16(i), mask, i)
	}
	BufRingAdvance(br, 3)
	head := func() {
		h, err := r.BufRingHead(5)
		if err != nil {
			t.Fatalf("%s: BufRingHead: %v", be.Name(), err)
		}
		n, _ := r.BufRingAvailable(br)
		out.Heads, out.Avail = append(out.Heads, h), append(out.Avail, n)
	}
	head()
	sqe := r.GetSQE()
	PrepReadMultishot(sqe, int32(pr), 0, 0, 5)
	sqe.UserData = 1
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"alpha", "beta"} {
		if _, err := fs.Write(pw, []byte(s)); err != nil {
			t.Fatal(err)
		}
		cqe, err := r.WaitCQE()
		if err != nil {
			t.Fatal(err)
		}
		out.CQEs = append(out.CQEs, rec(cqe))
		if !CQEHasBuffer(cqe) {
			t.Fatalf("%s: CQE %+v has no buffer", be.Name(), rec(cqe))
		}
		bid := CQEBufferID(cqe)
		out.Data += string(bufs[16*int(bid) : 16*int(bid)+int(cqe.Res)])
		head()
		// Recycle the buffer as the CQE is consumed.
		BufRingAdd(br, addrOf(bufs)+uint64(16*int(bid)), 16, bid, mask, 0)
		BufRingCQAdvance(r, br, 1)
	}
	head()
	fs.Close(pw)
	out.CQEs = append(out.CQEs, reapAll(t, r, 1)...)
	// Legacy buffers in another group, removed again.
	sqe = r.GetSQE()
	PrepProvideBuffers(sqe, addrOf(bufs), 8, 4, 9, 100)
	sqe.UserData = 2
	sqe = r.GetSQE()
	PrepRemoveBuffers(sqe, 3, 9)
	sqe.UserData = 3
	sqe = r.GetSQE()
	PrepRemoveBuffers(sqe, 3, 9)
	sqe.UserData = 4
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	out.CQEs = append(out.CQEs, reapAll(t, r, 3)...)
	if err := r.FreeBufRing(br); err != nil {
		t.Fatalf("%s: FreeBufRing: %v", be.Name(), err)
	}
	if _, err := r.BufRingHead(5); errnoOfErr(err) != 2 /* ENOENT */ {
		t.Fatalf("%s: head of a freed ring: %v", be.Name(), err)
	}
	return out
}

// TestBufRingHelpers: the liburing-named helpers give the same CQEs,
// heads and data on the simulator and the host, for a ring in program
// memory and a kernel-allocated (mmap'd) one.
func TestBufRingHelpers(t *testing.T) {
	for _, flags := range []uint16{0, rings.IOU_PBUF_RING_MMAP} {
		differential(t, func(t *testing.T, be Backend) kbufRun {
			got := kbufScript(t, be, flags)
			if got.Data != "alphabeta" {
				t.Errorf("%s: data %q", be.Name(), got.Data)
			}
			return got
		})
	}
}
