package opdef

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// ftruncData is FTRUNCATE's per-request state (struct io_ftrunc).
type ftruncData struct {
	len int64
}

// ftruncatePrep reads an FTRUNCATE: the new length is sqe->off; every
// other field must be zero. Forced to io-wq.
// Linux: io_uring/truncate.c:io_ftruncate_prep()
func ftruncatePrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.OpFlags != 0 || sqe.Addr != 0 || sqe.Len != 0 || sqe.BufIndex != 0 ||
		sqe.SpliceFdIn != 0 || sqe.Addr3 != 0 {
		return -kernel.EINVAL
	}
	kernel.Cmd[ftruncData](req).len = int64(sqe.Off)
	kernel.ReqAddFlags(req, kernel.REQ_F_FORCE_ASYNC)
	return 0
}

// ftruncate is do_ftruncate: -EINVAL unless the file is regular and open
// for writing, -EINVAL for a negative length (do_truncate), then the
// file's setattr. Files are always O_LARGEFILE on x86-64, so the 2 GiB
// limit of "small" ftruncate never applies.
// Linux: io_uring/truncate.c:io_ftruncate(), fs/open.c:do_ftruncate(), do_truncate()
func ftruncate(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	f := kernel.ReqFile(req)
	length := kernel.Cmd[ftruncData](req).len
	var ret int
	tr, ok := f.Op.(vfs.Truncater)
	switch {
	case !ok || f.FMode&vfs.FMODE_WRITE == 0:
		ret = -int(unix.EINVAL)
	case length < 0:
		ret = -int(unix.EINVAL)
	default:
		ret = tr.Truncate(t, f, length)
	}
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}
