package rings

import "unsafe"

// SQE is struct io_uring_sqe, the 64-byte submission queue entry. On a ring
// set up with IORING_SETUP_SQE128 each slot is 128 bytes: the first 64 are
// this struct and the command area that starts at Addr3 (offset 48) runs on
// for 80 bytes (see SQEView.Cmd).
//
// The uapi struct is mostly unions; each Go field is named after the first
// member of its union and the other members are reached through the accessor
// methods below, which alias the same bytes exactly as the C union does.
//
//	off   size  field        union members
//	0     1     Opcode       opcode
//	1     1     Flags        flags (IOSQE_*)
//	2     2     Ioprio       ioprio (also accept/recv/send flags)
//	4     4     Fd           fd
//	8     8     Off          off, addr2, {cmd_op, __pad1}
//	16    8     Addr         addr, splice_off_in, {level, optname}
//	24    4     Len          len
//	28    4     OpFlags      rw_flags, fsync_flags, poll_events (u16), poll32_events, ..., pipe_flags
//	32    8     UserData     user_data
//	40    2     BufIndex     buf_index, buf_group
//	42    2     Personality  personality
//	44    4     SpliceFdIn   splice_fd_in, file_index, zcrx_ifq_idx, optlen, {addr_len, __pad3[1]}, {write_stream, __pad4[3]}
//	48    8     Addr3        addr3, attr_ptr, optval, cmd[] (start)
//	56    8     Pad2[0]      __pad2[1], attr_type_mask
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_sqe
type SQE struct {
	Opcode      uint8
	Flags       uint8
	Ioprio      uint16
	Fd          int32
	Off         uint64
	Addr        uint64
	Len         uint32
	OpFlags     uint32
	UserData    uint64
	BufIndex    uint16
	Personality uint16
	SpliceFdIn  int32
	Addr3       uint64
	Pad2        [1]uint64
}

// Sizes and offsets of the submission queue entry.
const (
	// SQESize is sizeof(struct io_uring_sqe).
	SQESize = 64
	// SQE128Size is the slot size of a ring set up with IORING_SETUP_SQE128.
	SQE128Size = 2 * SQESize
	// SQECmdOffset is offsetof(struct io_uring_sqe, cmd).
	SQECmdOffset = 48
	// SQECmdSize is the command area of a 64-byte SQE (uring_cmd without SQE128).
	SQECmdSize = SQESize - SQECmdOffset
	// SQE128CmdSize is the command area of a 128-byte SQE: "80 bytes of
	// arbitrary command data".
	SQE128CmdSize = SQE128Size - SQECmdOffset
)

func (s *SQE) u32At(off uintptr) *uint32 {
	return (*uint32)(unsafe.Add(unsafe.Pointer(s), off))
}

func (s *SQE) u16At(off uintptr) *uint16 {
	return (*uint16)(unsafe.Add(unsafe.Pointer(s), off))
}

// Addr2 is sqe->addr2 (same bytes as Off).
func (s *SQE) Addr2() uint64 { return s.Off }

// SetAddr2 sets sqe->addr2.
func (s *SQE) SetAddr2(v uint64) { s.Off = v }

// CmdOp is sqe->cmd_op, the first 32-bit word of the off union.
func (s *SQE) CmdOp() uint32 { return *s.u32At(8) }

// SetCmdOp sets sqe->cmd_op.
func (s *SQE) SetCmdOp(v uint32) { *s.u32At(8) = v }

// Pad1 is sqe->__pad1, the second 32-bit word of the off union.
func (s *SQE) Pad1() uint32 { return *s.u32At(12) }

// SpliceOffIn is sqe->splice_off_in (same bytes as Addr).
func (s *SQE) SpliceOffIn() uint64 { return s.Addr }

// Level is sqe->level, the first 32-bit word of the addr union.
func (s *SQE) Level() uint32 { return *s.u32At(16) }

// SetLevel sets sqe->level.
func (s *SQE) SetLevel(v uint32) { *s.u32At(16) = v }

// Optname is sqe->optname, the second 32-bit word of the addr union.
func (s *SQE) Optname() uint32 { return *s.u32At(20) }

// SetOptname sets sqe->optname.
func (s *SQE) SetOptname(v uint32) { *s.u32At(20) = v }

// PollEvents is sqe->poll_events, the 16-bit compatibility member of the
// op-flags union (the first two bytes at offset 28).
func (s *SQE) PollEvents() uint16 { return *s.u16At(28) }

// Poll32Events is sqe->poll32_events.
func (s *SQE) Poll32Events() uint32 { return s.OpFlags }

// RWFlags is sqe->rw_flags.
func (s *SQE) RWFlags() uint32 { return s.OpFlags }

// FsyncFlags is sqe->fsync_flags.
func (s *SQE) FsyncFlags() uint32 { return s.OpFlags }

// SyncRangeFlags is sqe->sync_range_flags.
func (s *SQE) SyncRangeFlags() uint32 { return s.OpFlags }

// MsgFlags is sqe->msg_flags.
func (s *SQE) MsgFlags() uint32 { return s.OpFlags }

// TimeoutFlags is sqe->timeout_flags.
func (s *SQE) TimeoutFlags() uint32 { return s.OpFlags }

// AcceptFlags is sqe->accept_flags.
func (s *SQE) AcceptFlags() uint32 { return s.OpFlags }

// CancelFlags is sqe->cancel_flags.
func (s *SQE) CancelFlags() uint32 { return s.OpFlags }

// OpenFlags is sqe->open_flags.
func (s *SQE) OpenFlags() uint32 { return s.OpFlags }

// StatxFlags is sqe->statx_flags.
func (s *SQE) StatxFlags() uint32 { return s.OpFlags }

// FadviseAdvice is sqe->fadvise_advice.
func (s *SQE) FadviseAdvice() uint32 { return s.OpFlags }

// SpliceFlags is sqe->splice_flags.
func (s *SQE) SpliceFlags() uint32 { return s.OpFlags }

// RenameFlags is sqe->rename_flags.
func (s *SQE) RenameFlags() uint32 { return s.OpFlags }

// UnlinkFlags is sqe->unlink_flags.
func (s *SQE) UnlinkFlags() uint32 { return s.OpFlags }

// HardlinkFlags is sqe->hardlink_flags.
func (s *SQE) HardlinkFlags() uint32 { return s.OpFlags }

// XattrFlags is sqe->xattr_flags.
func (s *SQE) XattrFlags() uint32 { return s.OpFlags }

// MsgRingFlags is sqe->msg_ring_flags.
func (s *SQE) MsgRingFlags() uint32 { return s.OpFlags }

// UringCmdFlags is sqe->uring_cmd_flags.
func (s *SQE) UringCmdFlags() uint32 { return s.OpFlags }

// WaitidFlags is sqe->waitid_flags.
func (s *SQE) WaitidFlags() uint32 { return s.OpFlags }

// FutexFlags is sqe->futex_flags.
func (s *SQE) FutexFlags() uint32 { return s.OpFlags }

// InstallFdFlags is sqe->install_fd_flags.
func (s *SQE) InstallFdFlags() uint32 { return s.OpFlags }

// NopFlags is sqe->nop_flags.
func (s *SQE) NopFlags() uint32 { return s.OpFlags }

// PipeFlags is sqe->pipe_flags.
func (s *SQE) PipeFlags() uint32 { return s.OpFlags }

// BufGroup is sqe->buf_group (same bytes as BufIndex).
func (s *SQE) BufGroup() uint16 { return s.BufIndex }

// SetBufGroup sets sqe->buf_group.
func (s *SQE) SetBufGroup(v uint16) { s.BufIndex = v }

// FileIndex is sqe->file_index (same bytes as SpliceFdIn, unsigned).
func (s *SQE) FileIndex() uint32 { return uint32(s.SpliceFdIn) }

// SetFileIndex sets sqe->file_index.
func (s *SQE) SetFileIndex(v uint32) { s.SpliceFdIn = int32(v) }

// ZcrxIfqIdx is sqe->zcrx_ifq_idx.
func (s *SQE) ZcrxIfqIdx() uint32 { return uint32(s.SpliceFdIn) }

// Optlen is sqe->optlen.
func (s *SQE) Optlen() uint32 { return uint32(s.SpliceFdIn) }

// AddrLen is sqe->addr_len, the first 16-bit half at offset 44.
func (s *SQE) AddrLen() uint16 { return *s.u16At(44) }

// SetAddrLen sets sqe->addr_len.
func (s *SQE) SetAddrLen(v uint16) { *s.u16At(44) = v }

// Pad3 is sqe->__pad3[0], the second 16-bit half at offset 46.
func (s *SQE) Pad3() uint16 { return *s.u16At(46) }

// WriteStream is sqe->write_stream, the byte at offset 44.
func (s *SQE) WriteStream() uint8 { return *(*uint8)(unsafe.Add(unsafe.Pointer(s), 44)) }

// SetWriteStream sets sqe->write_stream.
func (s *SQE) SetWriteStream(v uint8) { *(*uint8)(unsafe.Add(unsafe.Pointer(s), 44)) = v }

// Pad4 is sqe->__pad4[3], the three bytes at offsets 45..47.
func (s *SQE) Pad4() [3]uint8 { return *(*[3]uint8)(unsafe.Add(unsafe.Pointer(s), 45)) }

// AttrPtr is sqe->attr_ptr (same bytes as Addr3).
func (s *SQE) AttrPtr() uint64 { return s.Addr3 }

// AttrTypeMask is sqe->attr_type_mask (same bytes as Pad2[0]).
func (s *SQE) AttrTypeMask() uint64 { return s.Pad2[0] }

// SetAttr sets sqe->attr_ptr and sqe->attr_type_mask.
func (s *SQE) SetAttr(ptr, typeMask uint64) { s.Addr3, s.Pad2[0] = ptr, typeMask }

// Optval is sqe->optval (same bytes as Addr3).
func (s *SQE) Optval() uint64 { return s.Addr3 }

// Bytes returns the 64 bytes of the SQE itself (no SQE128 extension: use
// SQEView.Cmd for the command area of a 128-byte slot).
func (s *SQE) Bytes() *[SQESize]byte { return (*[SQESize]byte)(unsafe.Pointer(s)) }
