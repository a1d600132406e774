package opdef

import (
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// rsrcUpdateData is IORING_OP_FILES_UPDATE's state (struct io_rsrc_update).
type rsrcUpdateData struct {
	arg    uint64
	nrArgs uint32
	offset uint32
}

// filesUpdatePrep: sqe->addr is the int32 descriptor array, len its
// count, off the first slot (or IORING_FILE_INDEX_ALLOC).
// Linux: io_uring/rsrc.c:io_files_update_prep()
func filesUpdatePrep(req *kernel.Req, sqe *rings.SQE) int {
	up := kernel.Cmd[rsrcUpdateData](req)
	if kernel.ReqFlags(req)&(kernel.REQ_F_FIXED_FILE|kernel.REQ_F_BUFFER_SELECT) != 0 {
		return -kernel.EINVAL
	}
	if sqe.OpFlags != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	up.offset = uint32(sqe.Off)
	up.nrArgs = sqe.Len
	if up.nrArgs == 0 {
		return -kernel.EINVAL
	}
	up.arg = sqe.Addr
	return 0
}

// filesUpdate updates the fixed file table as IORING_REGISTER_FILES_UPDATE
// does, from the ring; the result is how many slots were done.
// Linux: io_uring/rsrc.c:io_files_update()
func filesUpdate(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	up := kernel.Cmd[rsrcUpdateData](req)
	ret := kernel.FilesUpdate(t, req, issueFlags, up.offset, up.arg, up.nrArgs)
	if ret < 0 {
		kernel.ReqSetFail(req)
	}
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}
