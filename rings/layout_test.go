package rings

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// The offsets io_uring_setup(2) reports on Linux 6.18 (measured on a
// 6.18.44 host); they do not depend on flags or sizes.
var (
	hostSQOff = SQRingOffsets{Head: 0, Tail: 4, RingMask: 16, RingEntries: 24, Flags: 36, Dropped: 32}
	hostCQOff = CQRingOffsets{Head: 8, Tail: 12, RingMask: 20, RingEntries: 28, Overflow: 44, CQEs: 64, Flags: 40}
)

// sq_off.array as a 6.18.44 host reports it for each (flags, sq, cq).
var hostArrayTests = []struct {
	flags  uint32
	sq, cq uint32
	array  uint32
}{
	{0, 1, 2, 128},
	{0, 1, 4, 128},
	{0, 8, 16, 320},
	{0, 4096, 8192, 131136},
	{0, 32768, 65536, 1048640},
	{0, 1, 65536, 1048640},
	{IORING_SETUP_CQE32, 1, 2, 192},
	{IORING_SETUP_CQE32, 1, 4, 256},
	{IORING_SETUP_CQE32, 2, 4, 256},
	{IORING_SETUP_CQE32, 1, 8, 384},
	{IORING_SETUP_CQE32, 8, 16, 640},
	{IORING_SETUP_CQE32, 1, 32, 1152},
	{IORING_SETUP_CQE32, 128, 256, 8320},
	{IORING_SETUP_CQE32, 4096, 8192, 262272},
	{IORING_SETUP_CQE_MIXED, 1, 2, 128},
	{IORING_SETUP_SQE128, 1, 2, 128},
	{IORING_SETUP_NO_SQARRAY, 1, 2, 0},
	{IORING_SETUP_NO_SQARRAY | IORING_SETUP_CQE32, 8, 16, 0},
}

func TestRingsLayoutHostValues(t *testing.T) {
	for _, tt := range hostArrayTests {
		l, ok := RingsLayout(tt.flags, tt.sq, tt.cq)
		if !ok {
			t.Errorf("RingsLayout(%#x, %d, %d) failed", tt.flags, tt.sq, tt.cq)
			continue
		}
		wantSQ := hostSQOff
		wantSQ.Array = tt.array
		if l.SQOff != wantSQ || l.CQOff != hostCQOff {
			t.Errorf("RingsLayout(%#x, %d, %d): sq_off %+v cq_off %+v, want %+v %+v",
				tt.flags, tt.sq, tt.cq, l.SQOff, l.CQOff, wantSQ, hostCQOff)
		}
		if l.SQArrayOff != uint64(tt.array) {
			t.Errorf("RingsLayout(%#x, %d, %d).SQArrayOff = %d, want %d", tt.flags, tt.sq, tt.cq, l.SQArrayOff, tt.array)
		}
	}
}

func TestRingsLayoutSizes(t *testing.T) {
	tests := []struct {
		flags           uint32
		sq, cq          uint32
		ringsSize       uint64
		cqeSize         uint32
		sqeSize         uint32
		sqesSize        uint64
		ringsRegion     uint64
		sqesRegion      uint64
		wantHasSQArray  bool
		wantSQArrayFrom uint64
	}{
		// 64 + 2*16 = 96 -> 128, + 1*4
		{0, 1, 2, 132, 16, 64, 64, 4096, 4096, true, 128},
		// 64 + 16*16 = 320, + 8*4
		{0, 8, 16, 352, 16, 64, 512, 4096, 4096, true, 320},
		// 64 + 8192*16 = 131136, + 4096*4
		{0, 4096, 8192, 147520, 16, 64, 262144, 147520 + 4096 - 147520%4096, 262144, true, 131136},
		// (64 + 2*16) << 1 = 192, + 4
		{IORING_SETUP_CQE32, 1, 2, 196, 32, 64, 64, 4096, 4096, true, 192},
		// SQE128 doubles the SQE array only
		{IORING_SETUP_SQE128, 8, 16, 352, 16, 128, 1024, 4096, 4096, true, 320},
		// no SQ array: just the aligned CQ part
		{IORING_SETUP_NO_SQARRAY, 1, 2, 128, 16, 64, 64, 4096, 4096, false, 0},
		// (64 + 65536*16) << 1
		{IORING_SETUP_NO_SQARRAY | IORING_SETUP_CQE32 | IORING_SETUP_SQE128, 32768, 65536, 2097280, 32, 128, 4194304, 2101248, 4194304, false, 0},
	}
	for _, tt := range tests {
		l, ok := RingsLayout(tt.flags, tt.sq, tt.cq)
		if !ok {
			t.Fatalf("RingsLayout(%#x, %d, %d) failed", tt.flags, tt.sq, tt.cq)
		}
		if l.RingsSize != tt.ringsSize || l.CQESize != tt.cqeSize || l.SQESize != tt.sqeSize || l.SQEsSize != tt.sqesSize {
			t.Errorf("RingsLayout(%#x, %d, %d) = rings %d cqe %d sqe %d sqes %d, want %d %d %d %d",
				tt.flags, tt.sq, tt.cq, l.RingsSize, l.CQESize, l.SQESize, l.SQEsSize,
				tt.ringsSize, tt.cqeSize, tt.sqeSize, tt.sqesSize)
		}
		if l.RingsRegionSize() != tt.ringsRegion || l.SQEsRegionSize() != tt.sqesRegion {
			t.Errorf("RingsLayout(%#x, %d, %d) regions = %d %d, want %d %d",
				tt.flags, tt.sq, tt.cq, l.RingsRegionSize(), l.SQEsRegionSize(), tt.ringsRegion, tt.sqesRegion)
		}
		if l.HasSQArray() != tt.wantHasSQArray || l.SQArrayOff != tt.wantSQArrayFrom {
			t.Errorf("RingsLayout(%#x, %d, %d) sq array %v at %d, want %v at %d",
				tt.flags, tt.sq, tt.cq, l.HasSQArray(), l.SQArrayOff, tt.wantHasSQArray, tt.wantSQArrayFrom)
		}
		if l.SQArrayOff%SMP_CACHE_BYTES != 0 {
			t.Errorf("sq array at %d not cache aligned", l.SQArrayOff)
		}
	}
}

func TestRingsSizeOverflow(t *testing.T) {
	// A CQE_MIXED ring needs room for one 32b CQE.
	if size, _ := RingsSize(IORING_SETUP_CQE_MIXED, 1, 1); size != SIZE_MAX {
		t.Errorf("rings_size(CQE_MIXED, 1, 1) = %d, want SIZE_MAX", size)
	}
	if _, ok := RingsLayout(IORING_SETUP_CQE_MIXED, 1, 1); ok {
		t.Error("RingsLayout(CQE_MIXED, 1, 1) succeeded, want -EOVERFLOW")
	}
	if size, off := RingsSize(IORING_SETUP_NO_SQARRAY, 1, 2); size != 128 || off != SIZE_MAX {
		t.Errorf("rings_size(NO_SQARRAY, 1, 2) = %d, sq_offset %d; want 128, SIZE_MAX", size, off)
	}
	// The largest u32 sizes do not overflow a 64-bit size_t.
	if size, off := RingsSize(IORING_SETUP_CQE32, 1<<31, 1<<31); size != (64+(1<<35))<<1+(1<<33) || off != (64+(1<<35))<<1 {
		t.Errorf("rings_size(CQE32, 2^31, 2^31) = %d, %d", size, off)
	}
	if got := SQEsSize(IORING_SETUP_SQE128, 1<<31); got != 1<<38 {
		t.Errorf("SQEsSize(SQE128, 2^31) = %d", got)
	}
	// size_add/size_mul saturate like include/linux/overflow.h.
	if sizeAdd(SIZE_MAX-1, 2) != SIZE_MAX || sizeAdd(1, 2) != 3 {
		t.Error("sizeAdd does not saturate")
	}
	if sizeMul(1<<32, 1<<32) != SIZE_MAX || sizeMul(3, 5) != 15 {
		t.Error("sizeMul does not saturate")
	}
}

func TestFillParams(t *testing.T) {
	tests := []struct {
		entries uint32
		flags   uint32
		cqIn    uint32
		sq, cq  uint32
		err     error
	}{
		{0, 0, 0, 0, 0, unix.EINVAL},
		{1, 0, 0, 1, 2, nil},
		{3, 0, 0, 4, 8, nil},
		{100, 0, 0, 128, 256, nil},
		{4096, 0, 0, 4096, 8192, nil},
		{IORING_MAX_ENTRIES, 0, 0, 32768, 65536, nil},
		{IORING_MAX_ENTRIES + 1, 0, 0, 0, 0, unix.EINVAL},
		{IORING_MAX_ENTRIES + 1, IORING_SETUP_CLAMP, 0, 32768, 65536, nil},
		{0xffffffff, IORING_SETUP_CLAMP, 0, 32768, 65536, nil},
		{1, IORING_SETUP_CQSIZE, 0, 0, 0, unix.EINVAL},
		{1, IORING_SETUP_CQSIZE, 3, 1, 4, nil},
		{8, IORING_SETUP_CQSIZE, 8, 8, 8, nil},
		{16, IORING_SETUP_CQSIZE, 5, 0, 0, unix.EINVAL},
		{1, IORING_SETUP_CQSIZE, IORING_MAX_CQ_ENTRIES, 1, 65536, nil},
		{1, IORING_SETUP_CQSIZE, IORING_MAX_CQ_ENTRIES + 1, 0, 0, unix.EINVAL},
		{1, IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP, 0xffffffff, 1, 65536, nil},
	}
	for _, tt := range tests {
		p := Params{Flags: tt.flags, CQEntries: tt.cqIn}
		err := FillParams(tt.entries, &p)
		if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
			t.Errorf("FillParams(%d, flags %#x, cq %d) = %v, want %v", tt.entries, tt.flags, tt.cqIn, err, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		if p.SQEntries != tt.sq || p.CQEntries != tt.cq {
			t.Errorf("FillParams(%d, flags %#x, cq %d) sizes %d/%d, want %d/%d",
				tt.entries, tt.flags, tt.cqIn, p.SQEntries, p.CQEntries, tt.sq, tt.cq)
		}
		if p.SQOff != hostSQOff || p.CQOff != hostCQOff {
			t.Errorf("FillParams offsets %+v %+v, want %+v %+v", p.SQOff, p.CQOff, hostSQOff, hostCQOff)
		}
	}
}

// io_uring_fill_params() zeroes resv1 always and user_addr unless NO_MMAP,
// and leaves sq_off.array alone.
func TestFillParamsReservedFields(t *testing.T) {
	for _, flags := range []uint32{0, IORING_SETUP_NO_MMAP} {
		p := Params{Flags: flags}
		p.SQOff = SQRingOffsets{Array: 12345, Resv1: 7, UserAddr: 0x1000}
		p.CQOff = CQRingOffsets{Resv1: 5, UserAddr: 0x2000}
		if err := FillParams(4, &p); err != nil {
			t.Fatal(err)
		}
		wantSQ, wantCQ := uint64(0), uint64(0)
		if flags&IORING_SETUP_NO_MMAP != 0 {
			wantSQ, wantCQ = 0x1000, 0x2000
		}
		if p.SQOff.Array != 12345 || p.SQOff.Resv1 != 0 || p.CQOff.Resv1 != 0 ||
			p.SQOff.UserAddr != wantSQ || p.CQOff.UserAddr != wantCQ {
			t.Errorf("flags %#x: sq_off %+v cq_off %+v", flags, p.SQOff, p.CQOff)
		}
	}
}

func TestRoundupPowOfTwo(t *testing.T) {
	for _, tt := range []struct{ in, want uint32 }{{1, 1}, {2, 2}, {3, 4}, {5, 8}, {32767, 32768}, {32768, 32768}, {65537, 131072}} {
		if got := roundupPowOfTwo(tt.in); got != tt.want {
			t.Errorf("roundup_pow_of_two(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
