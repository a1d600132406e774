package kbuf

import (
	"testing"

	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/rings"
)

// newRing registers a user-memory ring of entries slots in a fresh address
// space and returns the table, the group and the program's view of it.
func newRing(t *testing.T, entries uint32, flags uint16) (*Table, *List, rings.BufRingView) {
	t.Helper()
	as := mm.New()
	t.Cleanup(as.Release)
	m, errno := as.Mmap(uint64(entries)*rings.BufSize, "ring")
	if errno != 0 {
		t.Fatal(errno)
	}
	var tb Table
	reg := rings.BufReg{RingAddr: m.Addr, RingEntries: entries, Bgid: 3, Flags: flags}
	if ret := tb.RegisterPbufRing(as, &reg); ret != 0 {
		t.Fatalf("register: %d", ret)
	}
	br, err := rings.NewBufRingView(m.Mem, entries)
	if err != nil {
		t.Fatal(err)
	}
	return &tb, tb.Get(3), br
}

// TestRingTailWraps: head and tail are 16-bit counters; selection works
// across the wrap at 65535 exactly as the kernel's u16 arithmetic does.
func TestRingTailWraps(t *testing.T) {
	_, bl, br := newRing(t, 4, 0)
	bl.head = 0xfffe
	tail := uint16(0xfffe)
	for i := range uint16(3) {
		br.SetAddr(tail, 0x1000*uint64(i+1))
		br.SetLen(tail, 64)
		br.SetBid(tail, 10+i)
		tail++
	}
	br.StoreTail(tail) // 0x0001: wrapped
	for i := range uint16(3) {
		n := uint64(0)
		b, ok := bl.RingBufferSelect(&n)
		if !ok || b.Bid != 10+i || n != 64 || b.Addr != 0x1000*uint64(i+1) {
			t.Fatalf("select %d: %+v ok=%v n=%d", i, b, ok, n)
		}
		if b.Empty != (i == 2) {
			t.Fatalf("select %d: empty=%v", i, b.Empty)
		}
		bl.Commit(int(n), 1)
	}
	n := uint64(0)
	if _, ok := bl.RingBufferSelect(&n); ok {
		t.Fatal("selected from an empty ring")
	}
	if bl.Head() != 1 {
		t.Fatalf("head %#x, want 1", bl.Head())
	}
}

// TestRingSelectDoesNotConsume: selecting twice without a commit returns
// the same buffer (what recycling relies on), and the tail word's other
// half (bufs[0].bid) survives tail stores.
func TestRingSelectDoesNotConsume(t *testing.T) {
	_, bl, br := newRing(t, 2, 0)
	br.SetAddr(0, 0x5000)
	br.SetLen(0, 100)
	br.SetBid(0, 7)
	br.StoreTail(1)
	if br.Bid(0) != 7 || br.LoadTail() != 1 {
		t.Fatalf("bid %d tail %d", br.Bid(0), br.LoadTail())
	}
	for range 2 {
		n := uint64(10)
		b, ok := bl.RingBufferSelect(&n)
		if !ok || b.Bid != 7 || n != 10 {
			t.Fatalf("%+v %v %d", b, ok, n)
		}
	}
}

// TestIncCommit: an incremental buffer is consumed by the bytes used; a
// zero-byte commit keeps it; a full one moves head.
func TestIncCommit(t *testing.T) {
	_, bl, br := newRing(t, 2, rings.IOU_PBUF_RING_INC)
	br.SetAddr(0, 0x1000)
	br.SetLen(0, 8)
	br.SetAddr(1, 0x2000)
	br.SetLen(1, 8)
	br.StoreTail(2)
	if bl.Commit(0, 1) || bl.Head() != 0 || br.Len(0) != 8 {
		t.Fatal("zero-byte commit consumed the buffer")
	}
	if bl.Commit(3, 1) || br.Addr(0) != 0x1003 || br.Len(0) != 5 {
		t.Fatalf("partial: addr %#x len %d", br.Addr(0), br.Len(0))
	}
	if !bl.Commit(5, 1) || bl.Head() != 1 {
		t.Fatalf("full: head %d", bl.Head())
	}
}

// TestLegacyOrderAndLimits: buffers are selected in the order provided,
// recycled ones come back first, and a group holds at most 65535.
func TestLegacyOrderAndLimits(t *testing.T) {
	var tb Table
	p := ProvideArgs{Addr: 0x1000, Len: 16, Bgid: 1, NBufs: 3, Bid: 5}
	if ret := tb.ManageLegacy(&p, true); ret != 0 {
		t.Fatal(ret)
	}
	bl := tb.Get(1)
	n := uint64(0)
	b, _ := bl.ProvidedBufferSelect(&n)
	if b.Bid != 5 || n != 16 || b.Addr != 0x1000 {
		t.Fatalf("%+v", b)
	}
	tb.RecycleLegacy(b)
	n = 4
	if b2, _ := bl.ProvidedBufferSelect(&n); b2 != b || n != 4 {
		t.Fatalf("recycled buffer not first: %+v", b2)
	}
	big := ProvideArgs{Addr: 0x1000, Len: 1, Bgid: 2, NBufs: 65535}
	if ret := tb.ManageLegacy(&big, true); ret != 0 {
		t.Fatal(ret)
	}
	one := ProvideArgs{Addr: 0x1000, Len: 1, Bgid: 2, NBufs: 1}
	if ret := tb.ManageLegacy(&one, true); ret != -eOVERFLOW {
		t.Fatalf("65536th buffer: %d", ret)
	}
	rm := ProvideArgs{Bgid: 2, NBufs: 65536}
	if ret := tb.ManageLegacy(&rm, false); ret != 65535 {
		t.Fatalf("removed %d", ret)
	}
}
