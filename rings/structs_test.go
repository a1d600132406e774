package rings

import (
	"reflect"
	"testing"
	"unsafe"
)

// Sizes of every struct of include/uapi/linux/io_uring.h (sizeof on x86-64,
// Linux 6.18), plus the kernel-side struct io_rings header.
func TestStructSizes(t *testing.T) {
	tests := []struct {
		name string
		got  uintptr
		want uintptr
	}{
		{"io_uring_sqe", unsafe.Sizeof(SQE{}), 64},
		{"io_uring_attr_pi", unsafe.Sizeof(AttrPI{}), 32},
		{"io_uring_cqe", unsafe.Sizeof(CQE{}), 16},
		{"io_uring_cqe+big_cqe", unsafe.Sizeof(CQE32{}), 32},
		{"io_sqring_offsets", unsafe.Sizeof(SQRingOffsets{}), 40},
		{"io_cqring_offsets", unsafe.Sizeof(CQRingOffsets{}), 40},
		{"io_uring_params", unsafe.Sizeof(Params{}), 120},
		{"io_uring_files_update", unsafe.Sizeof(FilesUpdate{}), 16},
		{"io_uring_region_desc", unsafe.Sizeof(RegionDesc{}), 64},
		{"io_uring_mem_region_reg", unsafe.Sizeof(MemRegionReg{}), 32},
		{"io_uring_rsrc_register", unsafe.Sizeof(RsrcRegister{}), 32},
		{"io_uring_rsrc_update", unsafe.Sizeof(RsrcUpdate{}), 16},
		{"io_uring_rsrc_update2", unsafe.Sizeof(RsrcUpdate2{}), 32},
		{"io_uring_probe_op", unsafe.Sizeof(ProbeOp{}), 8},
		{"io_uring_probe", unsafe.Sizeof(Probe{}), ProbeSize},
		{"io_uring_restriction", unsafe.Sizeof(Restriction{}), 16},
		{"io_uring_clock_register", unsafe.Sizeof(ClockRegister{}), 16},
		{"io_uring_clone_buffers", unsafe.Sizeof(CloneBuffers{}), 32},
		{"io_uring_buf", unsafe.Sizeof(Buf{}), 16},
		{"io_uring_buf_ring", unsafe.Sizeof(BufRing{}), 16},
		{"io_uring_buf_reg", unsafe.Sizeof(BufReg{}), 40},
		{"io_uring_buf_status", unsafe.Sizeof(BufStatus{}), 40},
		{"io_uring_napi", unsafe.Sizeof(Napi{}), 16},
		{"io_uring_reg_wait", unsafe.Sizeof(RegWait{}), 64},
		{"io_uring_getevents_arg", unsafe.Sizeof(GeteventsArg{}), 24},
		{"io_uring_sync_cancel_reg", unsafe.Sizeof(SyncCancelReg{}), 64},
		{"io_uring_file_index_range", unsafe.Sizeof(FileIndexRange{}), 16},
		{"io_uring_recvmsg_out", unsafe.Sizeof(RecvmsgOut{}), 16},
		{"io_timespec", unsafe.Sizeof(Timespec{}), 16},
		{"io_uring_zcrx_rqe", unsafe.Sizeof(ZcrxRqe{}), 16},
		{"io_uring_zcrx_cqe", unsafe.Sizeof(ZcrxCqe{}), 16},
		{"io_uring_zcrx_offsets", unsafe.Sizeof(ZcrxOffsets{}), 32},
		{"io_uring_zcrx_area_reg", unsafe.Sizeof(ZcrxAreaReg{}), 48},
		{"io_uring_zcrx_ifq_reg", unsafe.Sizeof(ZcrxIfqReg{}), 96},
		{"__kernel_timespec", unsafe.Sizeof(KernelTimespec{}), 16},
		{"io_rings (without cqes)", unsafe.Sizeof(Rings{}), RingsCQEsOffset},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("sizeof(%s) = %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}

// fieldOffsets checks the offset of every field of a struct type, in
// declaration order.
func fieldOffsets(t *testing.T, v any, want ...uintptr) {
	t.Helper()
	typ := reflect.TypeOf(v)
	if typ.NumField() != len(want) {
		t.Fatalf("%s has %d fields, want %d", typ, typ.NumField(), len(want))
	}
	for i, w := range want {
		if got := typ.Field(i).Offset; got != w {
			t.Errorf("offsetof(%s.%s) = %d, want %d", typ, typ.Field(i).Name, got, w)
		}
	}
}

// Field offsets as gcc computes them for the 6.18 header.
func TestStructOffsets(t *testing.T) {
	fieldOffsets(t, SQE{}, 0, 1, 2, 4, 8, 16, 24, 28, 32, 40, 42, 44, 48, 56)
	fieldOffsets(t, CQE{}, 0, 8, 12)
	fieldOffsets(t, CQE32{}, 0, CQEBig0Offset)
	fieldOffsets(t, SQRingOffsets{}, 0, 4, 8, 12, 16, 20, 24, 28, 32)
	fieldOffsets(t, CQRingOffsets{}, 0, 4, 8, 12, 16, 20, 24, 28, 32)
	fieldOffsets(t, Params{}, 0, 4, 8, 12, 16, 20, 24, 28, 40, 80)
	fieldOffsets(t, AttrPI{}, 0, 2, 4, 8, 16, 24)
	fieldOffsets(t, FilesUpdate{}, 0, 4, 8)
	fieldOffsets(t, RegionDesc{}, 0, 8, 16, 20, 24, 32)
	fieldOffsets(t, MemRegionReg{}, 0, 8, 16)
	fieldOffsets(t, RsrcRegister{}, 0, 4, 8, 16, 24)
	fieldOffsets(t, RsrcUpdate{}, 0, 4, 8)
	fieldOffsets(t, RsrcUpdate2{}, 0, 4, 8, 16, 24, 28)
	fieldOffsets(t, ProbeOp{}, 0, 1, 2, 4)
	fieldOffsets(t, Probe{}, 0, 1, 2, 4)
	fieldOffsets(t, Restriction{}, 0, 2, 3, 4)
	fieldOffsets(t, ClockRegister{}, 0, 4)
	fieldOffsets(t, CloneBuffers{}, 0, 4, 8, 12, 16, 20)
	fieldOffsets(t, Buf{}, 0, 8, 12, 14)
	fieldOffsets(t, BufRing{}, 0, 8, 12, BufRingTailOffset)
	fieldOffsets(t, BufReg{}, 0, 8, 12, 14, 16, 20) // min_left: 6.18.y (7deba791ad49)
	fieldOffsets(t, BufStatus{}, 0, 4, 8)
	fieldOffsets(t, Napi{}, 0, 4, 5, 6, 8, 12)
	fieldOffsets(t, RegWait{}, 0, 16, 20, 24, 32, 36, 48)
	fieldOffsets(t, GeteventsArg{}, 0, 8, 12, 16)
	fieldOffsets(t, SyncCancelReg{}, 0, 8, 12, 16, 32, 33, 40)
	fieldOffsets(t, FileIndexRange{}, 0, 4, 8)
	fieldOffsets(t, RecvmsgOut{}, 0, 4, 8, 12)
	fieldOffsets(t, Timespec{}, 0, 8)
	fieldOffsets(t, ZcrxRqe{}, 0, 8, 12)
	fieldOffsets(t, ZcrxCqe{}, 0, 8)
	fieldOffsets(t, ZcrxOffsets{}, 0, 4, 8, 12, 16)
	fieldOffsets(t, ZcrxAreaReg{}, 0, 8, 16, 24, 28, 32)
	fieldOffsets(t, ZcrxIfqReg{}, 0, 4, 8, 12, 16, 24, 32, 64, 68, 72)
	fieldOffsets(t, KernelTimespec{}, 0, 8)
	fieldOffsets(t, Rings{}, 0, 8, 16, 20, 24, 28, 32, 36, 40, 44, 48)
	fieldOffsets(t, Uring{}, 0, 4)
}

// The io_buf_ring tail overlays bufs[0].resv, as io_uring_init() asserts.
func TestBufRingTailOverlaysResv(t *testing.T) {
	if got := unsafe.Offsetof(Buf{}.Resv); got != BufRingTailOffset {
		t.Fatalf("offsetof(io_uring_buf, resv) = %d, want %d", got, BufRingTailOffset)
	}
}

// Each union accessor reads and writes the bytes the C union member lives
// at: BUILD_BUG_SQE_ELEM of io_uring_init().
func TestSQEUnionAccessors(t *testing.T) {
	tests := []struct {
		name string
		off  int
		size int
		set  func(s *SQE)
		get  func(s *SQE) uint64
	}{
		{"addr2", 8, 8, func(s *SQE) { s.SetAddr2(0x0102030405060708) }, func(s *SQE) uint64 { return s.Addr2() }},
		{"cmd_op", 8, 4, func(s *SQE) { s.SetCmdOp(0xa1a2a3a4) }, func(s *SQE) uint64 { return uint64(s.CmdOp()) }},
		{"level", 16, 4, func(s *SQE) { s.SetLevel(0xb1b2b3b4) }, func(s *SQE) uint64 { return uint64(s.Level()) }},
		{"optname", 20, 4, func(s *SQE) { s.SetOptname(0xc1c2c3c4) }, func(s *SQE) uint64 { return uint64(s.Optname()) }},
		{"rw_flags", 28, 4, func(s *SQE) { s.OpFlags = 0xd1d2d3d4 }, func(s *SQE) uint64 { return uint64(s.RWFlags()) }},
		{"poll_events", 28, 2, func(s *SQE) { s.OpFlags = 0x0000e1e2 }, func(s *SQE) uint64 { return uint64(s.PollEvents()) }},
		{"buf_group", 40, 2, func(s *SQE) { s.SetBufGroup(0xf1f2) }, func(s *SQE) uint64 { return uint64(s.BufGroup()) }},
		{"file_index", 44, 4, func(s *SQE) { s.SetFileIndex(IORING_FILE_INDEX_ALLOC) }, func(s *SQE) uint64 { return uint64(s.FileIndex()) }},
		{"addr_len", 44, 2, func(s *SQE) { s.SetAddrLen(0x1234) }, func(s *SQE) uint64 { return uint64(s.AddrLen()) }},
		{"write_stream", 44, 1, func(s *SQE) { s.SetWriteStream(0x7f) }, func(s *SQE) uint64 { return uint64(s.WriteStream()) }},
		{"attr_type_mask", 56, 8, func(s *SQE) { s.SetAttr(0, 0x55aa55aa55aa55aa) }, func(s *SQE) uint64 { return s.AttrTypeMask() }},
		{"attr_ptr", 48, 8, func(s *SQE) { s.SetAttr(0x66bb66bb66bb66bb, 0) }, func(s *SQE) uint64 { return s.AttrPtr() }},
	}
	for _, tt := range tests {
		var s SQE
		tt.set(&s)
		b := s.Bytes()
		for i := range b {
			inside := i >= tt.off && i < tt.off+tt.size
			if !inside && b[i] != 0 {
				t.Errorf("%s: byte %d written, want only [%d,%d)", tt.name, i, tt.off, tt.off+tt.size)
			}
		}
		var want uint64
		for i := tt.size - 1; i >= 0; i-- { // little-endian
			want = want<<8 | uint64(b[tt.off+i])
		}
		if got := tt.get(&s); got != want || got == 0 {
			t.Errorf("%s: accessor = %#x, bytes say %#x", tt.name, got, want)
		}
	}
	var s SQE
	s.SpliceFdIn = -1
	if s.FileIndex() != IORING_FILE_INDEX_ALLOC || s.Optlen() != 0xffffffff || s.AddrLen() != 0xffff || s.Pad3() != 0xffff {
		t.Errorf("splice_fd_in union: file_index %#x optlen %#x addr_len %#x pad3 %#x",
			s.FileIndex(), s.Optlen(), s.AddrLen(), s.Pad3())
	}
}

func TestRestrictionUnion(t *testing.T) {
	r := Restriction{Opcode: IORING_RESTRICTION_SQE_OP, Arg: IORING_OP_READ}
	if r.SQEOp() != IORING_OP_READ || r.RegisterOp() != IORING_OP_READ || r.SQEFlags() != IORING_OP_READ {
		t.Fatalf("restriction union members disagree: %+v", r)
	}
}
