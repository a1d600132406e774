package opdef

import (
	"math"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// syncData is the per-request state of FSYNC, SYNC_FILE_RANGE and
// FALLOCATE (struct io_sync).
type syncData struct {
	len   int64
	off   int64
	flags uint32
	mode  int32
}

// sfrPrep reads a SYNC_FILE_RANGE: the range in off/len, the flags in
// sync_range_flags (checked at issue, as sync_file_range(2) does). The op
// always blocks, so it goes straight to io-wq.
// Linux: io_uring/sync.c:io_sfr_prep()
func sfrPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Addr != 0 || sqe.BufIndex != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	s := kernel.Cmd[syncData](req)
	s.off = int64(sqe.Off)
	s.len = int64(sqe.Len)
	s.flags = sqe.OpFlags
	kernel.ReqAddFlags(req, kernel.REQ_F_FORCE_ASYNC)
	return 0
}

// syncFileRange runs sync_file_range on the request's file.
// Linux: io_uring/sync.c:io_sync_file_range()
func syncFileRange(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	s := kernel.Cmd[syncData](req)
	ret := vfs.SyncFileRange(t, kernel.ReqFile(req), s.off, s.len, s.flags)
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}

// fsyncPrep reads an FSYNC: IORING_FSYNC_DATASYNC is the only flag, the
// range is off/len, a negative offset is -EINVAL (a 6.18 stable fix).
// Forced to io-wq.
// Linux: io_uring/sync.c:io_fsync_prep()
func fsyncPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Addr != 0 || sqe.BufIndex != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	s := kernel.Cmd[syncData](req)
	s.flags = sqe.OpFlags
	if s.flags&^rings.IORING_FSYNC_DATASYNC != 0 {
		return -kernel.EINVAL
	}
	s.off = int64(sqe.Off)
	if s.off < 0 {
		return -kernel.EINVAL
	}
	s.len = int64(sqe.Len)
	kernel.ReqAddFlags(req, kernel.REQ_F_FORCE_ASYNC)
	return 0
}

// fsync is vfs_fsync_range over [off, off+len] (to the end of the file
// when that is not positive); a file without fsync gives -EINVAL.
// Linux: io_uring/sync.c:io_fsync()
func fsync(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	s := kernel.Cmd[syncData](req)
	end := int64(uint64(s.off) + uint64(s.len))
	if end <= 0 {
		end = math.MaxInt64
	}
	ret := vfs.Fsync(t, kernel.ReqFile(req), s.off, end, s.flags&rings.IORING_FSYNC_DATASYNC != 0)
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}

// fallocatePrep reads a FALLOCATE, whose fields are not where fallocate(2)
// has them: the offset in off, the length in addr, the mode in len.
// Forced to io-wq.
// Linux: io_uring/sync.c:io_fallocate_prep()
func fallocatePrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.BufIndex != 0 || sqe.OpFlags != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	s := kernel.Cmd[syncData](req)
	s.off = int64(sqe.Off)
	s.len = int64(sqe.Addr)
	s.mode = int32(sqe.Len)
	kernel.ReqAddFlags(req, kernel.REQ_F_FORCE_ASYNC)
	return 0
}

// fallocate is vfs_fallocate on the request's file.
// Linux: io_uring/sync.c:io_fallocate()
func fallocate(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	s := kernel.Cmd[syncData](req)
	ret := vfs.Fallocate(t, kernel.ReqFile(req), s.mode, s.off, s.len)
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}
