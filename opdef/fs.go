package opdef

import (
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// The path ops of io_uring/fs.c: RENAMEAT, UNLINKAT, MKDIRAT, SYMLINKAT,
// LINKAT. Each copies its names in at prep (getname) and is always
// issued from io-wq (REQ_F_FORCE_ASYNC): the VFS calls may block.

// pathNames are the names an fs op copied in: its async data.
type pathNames struct{ old, new string }

// fsData is the per-request state shared by the fs.c ops (struct
// io_rename, io_unlink, io_mkdir, io_link).
type fsData struct {
	oldDfd int32
	newDfd int32
	flags  uint32
	mode   uint32
}

func fsNames(req *kernel.Req) pathNames {
	n, _ := kernel.ReqAsyncData(req).(pathNames)
	return n
}

// fsGetnames copies in the one or two names of an fs op; oldEmpty allows
// an empty first name (linkat's AT_EMPTY_PATH).
func fsGetnames(req *kernel.Req, oldAddr, newAddr uint64, two, oldEmpty bool) int {
	var n pathNames
	var err int
	if n.old, err = kernel.ReqGetname(req, oldAddr, oldEmpty); err != 0 {
		return err
	}
	if two {
		if n.new, err = kernel.ReqGetname(req, newAddr, false); err != 0 {
			return err
		}
	}
	kernel.ReqSetAsyncData(req, n)
	kernel.ReqAddFlags(req, kernel.REQ_F_FORCE_ASYNC)
	return 0
}

func fsFixedFile(req *kernel.Req) bool {
	return kernel.ReqFlags(req)&kernel.REQ_F_FIXED_FILE != 0
}

// fsComplete posts ret. The fs.c ops do not fail the link themselves: a
// negative result fails it when the request completes.
func fsComplete(req *kernel.Req, ret int) int {
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}

// renameatPrep: old dfd in fd, old name at addr, new name at addr2, new
// dfd in len, RENAME_* in rename_flags.
// Linux: io_uring/fs.c:io_renameat_prep()
func renameatPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.BufIndex != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	if fsFixedFile(req) {
		return -kernel.EBADF
	}
	d := kernel.Cmd[fsData](req)
	d.oldDfd, d.newDfd, d.flags = sqe.Fd, int32(sqe.Len), sqe.OpFlags
	return fsGetnames(req, sqe.Addr, sqe.Addr2(), true, false)
}

// Linux: io_uring/fs.c:io_renameat()
func renameat(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	kernel.ReqWarnOn(req, issueFlags&kernel.IO_URING_F_NONBLOCK != 0, "io_renameat issued nonblocking")
	d, n := kernel.Cmd[fsData](req), fsNames(req)
	return fsComplete(req, kernel.ReqRenameat2(t, req, d.oldDfd, n.old, d.newDfd, n.new, d.flags))
}

// unlinkatPrep: dfd in fd, name at addr, AT_REMOVEDIR (only) in
// unlink_flags.
// Linux: io_uring/fs.c:io_unlinkat_prep()
func unlinkatPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Off != 0 || sqe.Len != 0 || sqe.BufIndex != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	if fsFixedFile(req) {
		return -kernel.EBADF
	}
	d := kernel.Cmd[fsData](req)
	d.oldDfd, d.flags = sqe.Fd, sqe.OpFlags
	if d.flags&^kernel.AT_REMOVEDIR != 0 {
		return -kernel.EINVAL
	}
	return fsGetnames(req, sqe.Addr, 0, false, false)
}

// Linux: io_uring/fs.c:io_unlinkat()
func unlinkat(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	kernel.ReqWarnOn(req, issueFlags&kernel.IO_URING_F_NONBLOCK != 0, "io_unlinkat issued nonblocking")
	d, n := kernel.Cmd[fsData](req), fsNames(req)
	return fsComplete(req, kernel.ReqUnlinkat(t, req, d.oldDfd, n.old, d.flags))
}

// mkdiratPrep: dfd in fd, name at addr, mode in len.
// Linux: io_uring/fs.c:io_mkdirat_prep()
func mkdiratPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Off != 0 || sqe.OpFlags != 0 || sqe.BufIndex != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	if fsFixedFile(req) {
		return -kernel.EBADF
	}
	d := kernel.Cmd[fsData](req)
	d.oldDfd, d.mode = sqe.Fd, sqe.Len
	return fsGetnames(req, sqe.Addr, 0, false, false)
}

// Linux: io_uring/fs.c:io_mkdirat()
func mkdirat(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	kernel.ReqWarnOn(req, issueFlags&kernel.IO_URING_F_NONBLOCK != 0, "io_mkdirat issued nonblocking")
	d, n := kernel.Cmd[fsData](req), fsNames(req)
	// umode_t is 16 bits: the mode is truncated as the kernel's is.
	return fsComplete(req, kernel.ReqMkdirat(t, req, d.oldDfd, n.old, d.mode&0xffff))
}

// symlinkatPrep: the new name's dfd in fd, the target at addr, the new
// name at addr2.
// Linux: io_uring/fs.c:io_symlinkat_prep()
func symlinkatPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Len != 0 || sqe.OpFlags != 0 || sqe.BufIndex != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	if fsFixedFile(req) {
		return -kernel.EBADF
	}
	kernel.Cmd[fsData](req).newDfd = sqe.Fd
	return fsGetnames(req, sqe.Addr, sqe.Addr2(), true, false)
}

// Linux: io_uring/fs.c:io_symlinkat()
func symlinkat(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	kernel.ReqWarnOn(req, issueFlags&kernel.IO_URING_F_NONBLOCK != 0, "io_symlinkat issued nonblocking")
	d, n := kernel.Cmd[fsData](req), fsNames(req)
	return fsComplete(req, kernel.ReqSymlinkat(t, req, n.old, d.newDfd, n.new))
}

// linkatPrep: old dfd in fd, new dfd in len, old name at addr, new name
// at addr2, AT_SYMLINK_FOLLOW / AT_EMPTY_PATH in hardlink_flags.
// Linux: io_uring/fs.c:io_linkat_prep()
func linkatPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.BufIndex != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	if fsFixedFile(req) {
		return -kernel.EBADF
	}
	d := kernel.Cmd[fsData](req)
	d.oldDfd, d.newDfd, d.flags = sqe.Fd, int32(sqe.Len), sqe.OpFlags
	return fsGetnames(req, sqe.Addr, sqe.Addr2(), true, d.flags&kernel.AT_EMPTY_PATH != 0)
}

// Linux: io_uring/fs.c:io_linkat()
func linkat(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	kernel.ReqWarnOn(req, issueFlags&kernel.IO_URING_F_NONBLOCK != 0, "io_linkat issued nonblocking")
	d, n := kernel.Cmd[fsData](req), fsNames(req)
	return fsComplete(req, kernel.ReqLinkat(t, req, d.oldDfd, n.old, d.newDfd, n.new, d.flags))
}
