package opdef

import (
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// spliceData is SPLICE's and TEE's per-request state (struct io_splice).
// The output file is the request's own file (sqe->fd); the input is
// splice_fd_in, looked up at issue.
type spliceData struct {
	offOut     int64
	offIn      int64
	len        uint64
	spliceFdIn int32
	flags      uint32
}

// spliceValidFlags are the flags splice_flags may hold.
const spliceValidFlags = rings.SPLICE_F_FD_IN_FIXED | vfs.SPLICE_F_ALL

// spliceCommonPrep reads what SPLICE and TEE share: len, splice_flags and
// splice_fd_in. Both always go to io-wq.
// Linux: io_uring/splice.c:__io_splice_prep()
func spliceCommonPrep(req *kernel.Req, sqe *rings.SQE) int {
	sp := kernel.Cmd[spliceData](req)
	sp.len = uint64(sqe.Len)
	sp.flags = sqe.OpFlags
	if sp.flags&^spliceValidFlags != 0 {
		return -kernel.EINVAL
	}
	sp.spliceFdIn = sqe.SpliceFdIn
	kernel.ReqAddFlags(req, kernel.REQ_F_FORCE_ASYNC)
	return 0
}

// teePrep: a tee has no offsets.
// Linux: io_uring/splice.c:io_tee_prep()
func teePrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Addr != 0 || sqe.Off != 0 { // splice_off_in, off
		return -kernel.EINVAL
	}
	return spliceCommonPrep(req, sqe)
}

// splicePrep reads the two offsets (splice_off_in, off); -1 means none.
// Linux: io_uring/splice.c:io_splice_prep()
func splicePrep(req *kernel.Req, sqe *rings.SQE) int {
	sp := kernel.Cmd[spliceData](req)
	sp.offIn = int64(sqe.Addr)
	sp.offOut = int64(sqe.Off)
	return spliceCommonPrep(req, sqe)
}

// spliceGetFile resolves the input file: a descriptor (with a reference
// the caller drops) or, with SPLICE_F_FD_IN_FIXED, a registered-file slot.
// Linux: io_uring/splice.c:io_splice_get_file()
func spliceGetFile(t *sim.Thread, req *kernel.Req, issueFlags uint32) *vfs.File {
	sp := kernel.Cmd[spliceData](req)
	if sp.flags&rings.SPLICE_F_FD_IN_FIXED == 0 {
		return kernel.ReqFileGetNormal(t, req, int(sp.spliceFdIn))
	}
	return kernel.ReqFileGetFixed(t, req, int(sp.spliceFdIn), issueFlags)
}

// spliceIssue runs do_splice or do_tee; a bad input descriptor is -EBADF,
// a zero length does nothing and completes with 0, and any result other
// than the full length breaks the link.
// Linux: io_uring/splice.c:io_splice(), io_tee()
func spliceIssue(t *sim.Thread, req *kernel.Req, issueFlags uint32, tee bool) int {
	sp := kernel.Cmd[spliceData](req)
	out := kernel.ReqFile(req)
	flags := sp.flags &^ rings.SPLICE_F_FD_IN_FIXED
	ret := 0
	in := spliceGetFile(t, req, issueFlags)
	if in == nil {
		ret = -kernel.EBADF
	} else {
		if sp.len != 0 {
			if tee {
				ret = vfs.Tee(t, in, out, int(sp.len), flags)
			} else {
				var offIn, offOut *int64
				if sp.offIn != -1 {
					offIn = &sp.offIn
				}
				if sp.offOut != -1 {
					offOut = &sp.offOut
				}
				ret = vfs.Splice(t, in, offIn, out, offOut, int(sp.len), flags)
			}
		}
		if sp.flags&rings.SPLICE_F_FD_IN_FIXED == 0 {
			in.Put(t)
		}
	}
	if ret != int(sp.len) {
		kernel.ReqSetFail(req)
	}
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}

func splice(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	return spliceIssue(t, req, issueFlags, false)
}

func tee(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	return spliceIssue(t, req, issueFlags, true)
}
