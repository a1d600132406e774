package rings

import (
	"errors"
	"testing"
	"unsafe"

	"pgregory.net/rapid"
)

// alignedBytes returns n zeroed bytes, 8-byte aligned.
func alignedBytes(n uint64) []byte {
	words := make([]uint64, (n+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), n)
}

func mustLayout(t interface{ Fatalf(string, ...any) }, flags, sq, cq uint32) Layout {
	l, ok := RingsLayout(flags, sq, cq)
	if !ok {
		t.Fatalf("RingsLayout(%#x, %d, %d) failed", flags, sq, cq)
	}
	return l
}

func offsetIn(base unsafe.Pointer, p unsafe.Pointer) uintptr {
	return uintptr(p) - uintptr(base)
}

func TestNewRingViewErrors(t *testing.T) {
	l := mustLayout(t, 0, 8, 16)
	if _, err := NewRingView(alignedBytes(l.RingsSize-1), l); !errors.Is(err, ErrRingTooSmall) {
		t.Errorf("short memory: %v", err)
	}
	if _, err := NewRingView(nil, l); !errors.Is(err, ErrRingTooSmall) {
		t.Errorf("nil memory: %v", err)
	}
	if _, err := NewRingView(alignedBytes(l.RingsSize + 8)[1:], l); !errors.Is(err, ErrRingAlignment) {
		t.Errorf("misaligned memory: %v", err)
	}
	bad := l
	bad.CQEntries = 12
	if _, err := NewRingView(alignedBytes(l.RingsSize), bad); !errors.Is(err, ErrRingEntries) {
		t.Errorf("non power of two: %v", err)
	}
	if _, err := NewSQEView(alignedBytes(l.SQEsSize-1), l); !errors.Is(err, ErrRingTooSmall) {
		t.Errorf("short SQE memory: %v", err)
	}
	bad = l
	bad.SQEntries = 0
	if _, err := NewSQEView(alignedBytes(l.SQEsSize), bad); !errors.Is(err, ErrRingEntries) {
		t.Errorf("zero SQ entries: %v", err)
	}
}

func TestRingViewFieldPointers(t *testing.T) {
	l := mustLayout(t, 0, 8, 16)
	mem := alignedBytes(l.RingsRegionSize())
	v, err := NewRingView(mem, l)
	if err != nil {
		t.Fatal(err)
	}
	base := v.Base()
	tests := []struct {
		name string
		p    *uint32
		off  uintptr
	}{
		{"sq.head", v.SQHead(), 0},
		{"sq.tail", v.SQTail(), 4},
		{"cq.head", v.CQHead(), 8},
		{"cq.tail", v.CQTail(), 12},
		{"sq_ring_mask", v.SQRingMask(), 16},
		{"cq_ring_mask", v.CQRingMask(), 20},
		{"sq_ring_entries", v.SQRingEntries(), 24},
		{"cq_ring_entries", v.CQRingEntries(), 28},
		{"sq_dropped", v.SQDropped(), 32},
		{"sq_flags", v.SQFlags(), 36},
		{"cq_flags", v.CQFlags(), 40},
		{"cq_overflow", v.CQOverflow(), 44},
		{"cqes[0]", &v.CQE(0).Flags, 64 + 12},
		{"cqes[15]", &v.CQE(15).Flags, 64 + 15*16 + 12},
		{"sq_array[0]", v.SQArray(0), 320},
		{"sq_array[7]", v.SQArray(7), 320 + 7*4},
	}
	for _, tt := range tests {
		if got := offsetIn(base, unsafe.Pointer(tt.p)); got != tt.off {
			t.Errorf("%s at %d, want %d", tt.name, got, tt.off)
		}
	}

	v.Init()
	r := (*Rings)(base)
	if r.SQRingMask != 7 || r.CQRingMask != 15 || r.SQRingEntries != 8 || r.CQRingEntries != 16 {
		t.Errorf("Init wrote %+v", *r)
	}
}

func TestRingViewMasksIndexes(t *testing.T) {
	l := mustLayout(t, 0, 4, 8)
	v, err := NewRingView(alignedBytes(l.RingsSize), l)
	if err != nil {
		t.Fatal(err)
	}
	// Garbage in the shared mask words must not matter.
	*v.SQRingMask(), *v.CQRingMask() = 0xffffffff, 0xffffffff
	for _, i := range []uint32{0, 3, 8, 9, 0xffffffff} {
		if v.CQE(i) != v.CQE(i&7) {
			t.Errorf("CQE(%d) not masked", i)
		}
		if v.SQArray(i) != v.SQArray(i&3) {
			t.Errorf("SQArray(%d) not masked", i)
		}
	}
}

func TestRingViewCQE32(t *testing.T) {
	tests := []struct {
		flags   uint32
		stride  uintptr
		nilAt   []uint32 // slots where CQE32 is nil
		okAt    []uint32
		arrayOK bool
	}{
		{0, 16, []uint32{0, 1, 7}, nil, true},
		{IORING_SETUP_CQE32, 32, nil, []uint32{0, 1, 7, 8}, true},
		{IORING_SETUP_CQE_MIXED, 16, []uint32{7, 15}, []uint32{0, 6, 8}, true},
		{IORING_SETUP_NO_SQARRAY, 16, []uint32{0}, nil, false},
	}
	for _, tt := range tests {
		l := mustLayout(t, tt.flags, 4, 8)
		v, err := NewRingView(alignedBytes(l.RingsSize), l)
		if err != nil {
			t.Fatal(err)
		}
		if got := offsetIn(v.Base(), unsafe.Pointer(v.CQE(1))) - offsetIn(v.Base(), unsafe.Pointer(v.CQE(0))); got != tt.stride {
			t.Errorf("flags %#x: CQE stride %d, want %d", tt.flags, got, tt.stride)
		}
		for _, i := range tt.nilAt {
			if v.CQE32(i) != nil {
				t.Errorf("flags %#x: CQE32(%d) not nil", tt.flags, i)
			}
		}
		for _, i := range tt.okAt {
			big := v.CQE32(i)
			if big == nil || unsafe.Pointer(big) != unsafe.Pointer(v.CQE(i)) {
				t.Errorf("flags %#x: CQE32(%d) = %p, want %p", tt.flags, i, big, v.CQE(i))
			}
		}
		if (v.SQArray(0) != nil) != tt.arrayOK {
			t.Errorf("flags %#x: SQArray(0) = %p", tt.flags, v.SQArray(0))
		}
	}
}

func TestSQEView(t *testing.T) {
	for _, tt := range []struct {
		flags uint32
		slot  uint32
		cmd   int
	}{{0, 64, 16}, {IORING_SETUP_SQE128, 128, 80}} {
		l := mustLayout(t, tt.flags, 8, 16)
		mem := alignedBytes(l.SQEsSize)
		v, err := NewSQEView(mem, l)
		if err != nil {
			t.Fatal(err)
		}
		if v.SlotSize() != tt.slot || v.Entries() != 8 {
			t.Errorf("flags %#x: slot %d entries %d", tt.flags, v.SlotSize(), v.Entries())
		}
		base := unsafe.Pointer(unsafe.SliceData(mem))
		if got := offsetIn(base, unsafe.Pointer(v.SQE(3))); got != uintptr(3*tt.slot) {
			t.Errorf("flags %#x: SQE(3) at %d", tt.flags, got)
		}
		if v.SQE(11) != v.SQE(3) {
			t.Errorf("flags %#x: SQE index not masked", tt.flags)
		}
		cmd := v.Cmd(7)
		if len(cmd) != tt.cmd || offsetIn(base, unsafe.Pointer(&cmd[0])) != uintptr(7*tt.slot+SQECmdOffset) {
			t.Errorf("flags %#x: Cmd(7) len %d at %d", tt.flags, len(cmd), offsetIn(base, unsafe.Pointer(&cmd[0])))
		}
		if end := offsetIn(base, unsafe.Pointer(&cmd[len(cmd)-1])) + 1; end != uintptr(8*tt.slot) {
			t.Errorf("flags %#x: last Cmd ends at %d, want %d", tt.flags, end, 8*tt.slot)
		}
		if s := v.Slot(2); len(s) != int(tt.slot) || unsafe.Pointer(&s[0]) != unsafe.Pointer(v.SQE(2)) {
			t.Errorf("flags %#x: Slot(2) wrong", tt.flags)
		}
		v.SQE(5).Addr3 = 0x0807060504030201
		if v.Cmd(5)[0] != 1 || v.Cmd(5)[7] != 8 {
			t.Errorf("flags %#x: cmd does not start at addr3", tt.flags)
		}
	}
}

// No accessor allocates.
func TestAccessorsDoNotAllocate(t *testing.T) {
	l := mustLayout(t, IORING_SETUP_CQE32|IORING_SETUP_SQE128, 8, 16)
	rv, err := NewRingView(alignedBytes(l.RingsSize), l)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := NewSQEView(alignedBytes(l.SQEsSize), l)
	if err != nil {
		t.Fatal(err)
	}
	i := uint32(0)
	allocs := testing.AllocsPerRun(100, func() {
		i++
		tail := LoadAcquire(rv.SQTail())
		*rv.SQArray(tail) = tail
		sv.SQE(tail).UserData = uint64(i)
		_ = sv.Cmd(tail)
		StoreRelease(rv.SQTail(), tail+1)
		cqe := rv.CQE(i)
		cqe.Res = -11
		rv.CQE32(i).BigCQE[1] = 1
		AtomicOr(rv.SQFlags(), IORING_SQ_NEED_WAKEUP)
		AtomicAndNot(rv.SQFlags(), IORING_SQ_NEED_WAKEUP)
		WriteOnce(rv.CQOverflow(), ReadOnce(rv.CQOverflow())+1)
	})
	if allocs != 0 {
		t.Errorf("ring accesses allocate %v times per run", allocs)
	}
}

func TestAtomicFlagHelpers(t *testing.T) {
	var w uint32 = IORING_SQ_TASKRUN
	AtomicOr(&w, IORING_SQ_NEED_WAKEUP|IORING_SQ_CQ_OVERFLOW)
	AtomicAndNot(&w, IORING_SQ_CQ_OVERFLOW)
	if w != IORING_SQ_TASKRUN|IORING_SQ_NEED_WAKEUP {
		t.Fatalf("sq_flags = %#x", w)
	}
}

// Whatever the index, every pointer a view hands out lies inside the
// region the layout describes.
func TestViewsStayInsideMapping(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		flags := rapid.SampledFrom([]uint32{0, IORING_SETUP_CQE32, IORING_SETUP_CQE_MIXED,
			IORING_SETUP_NO_SQARRAY, IORING_SETUP_SQE128 | IORING_SETUP_CQE32 | IORING_SETUP_NO_SQARRAY}).Draw(rt, "flags")
		sq := uint32(1) << rapid.IntRange(0, 6).Draw(rt, "sqShift")
		cq := sq << rapid.IntRange(1, 3).Draw(rt, "cqShift")
		l := mustLayout(rt, flags, sq, cq)
		rmem, smem := alignedBytes(l.RingsSize), alignedBytes(l.SQEsSize)
		rv, err := NewRingView(rmem, l)
		if err != nil {
			rt.Fatal(err)
		}
		sv, err := NewSQEView(smem, l)
		if err != nil {
			rt.Fatal(err)
		}
		rbase, sbase := unsafe.Pointer(&rmem[0]), unsafe.Pointer(&smem[0])
		inside := func(base, p unsafe.Pointer, size uintptr, limit uint64) bool {
			off := offsetIn(base, p)
			return uintptr(p) >= uintptr(base) && uint64(off+size) <= limit
		}
		i := rapid.Uint32().Draw(rt, "index")
		if !inside(rbase, unsafe.Pointer(rv.CQE(i)), CQESize, l.RingsSize) {
			rt.Fatalf("CQE(%d) outside", i)
		}
		if big := rv.CQE32(i); big != nil && !inside(rbase, unsafe.Pointer(big), CQE32Size, l.RingsSize) {
			rt.Fatalf("CQE32(%d) outside", i)
		}
		if a := rv.SQArray(i); a != nil && !inside(rbase, unsafe.Pointer(a), 4, l.RingsSize) {
			rt.Fatalf("SQArray(%d) outside", i)
		}
		if !inside(sbase, unsafe.Pointer(sv.SQE(i)), SQESize, l.SQEsSize) {
			rt.Fatalf("SQE(%d) outside", i)
		}
		cmd := sv.Cmd(i)
		if !inside(sbase, unsafe.Pointer(&cmd[0]), uintptr(len(cmd)), l.SQEsSize) {
			rt.Fatalf("Cmd(%d) outside", i)
		}
	})
}
