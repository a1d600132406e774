package opdef

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// openData is IORING_OP_OPENAT/OPENAT2's state (struct io_open); the
// file name itself is the request's async data (a string).
type openData struct {
	how      vfs.OpenHow
	dfd      int32
	fileSlot uint32
}

// closeData is IORING_OP_CLOSE's state (struct io_close).
type closeData struct {
	fd       int32
	fileSlot uint32
}

// openatForceAsync: an open that creates, truncates or makes a tmpfile
// would always fail a cached lookup, so it goes straight to io-wq.
// Linux: io_uring/openclose.c:io_openat_force_async()
func openatForceAsync(o *openData) bool {
	return o.how.Flags&uint64(unix.O_TRUNC|unix.O_CREAT|vfs.O_TMPFILE_) != 0
}

// openatPrepCommon reads the fields OPENAT and OPENAT2 share: the
// directory descriptor, the name (copied in now, as getname does), the
// direct-descriptor slot.
// Linux: io_uring/openclose.c:__io_openat_prep()
func openatPrepCommon(req *kernel.Req, sqe *rings.SQE) int {
	o := kernel.Cmd[openData](req)
	if sqe.BufIndex != 0 {
		return -kernel.EINVAL
	}
	if kernel.ReqFlags(req)&kernel.REQ_F_FIXED_FILE != 0 {
		return -kernel.EBADF
	}
	if o.how.Flags&unix.O_PATH == 0 {
		o.how.Flags |= uint64(vfs.O_LARGEFILE) // force_o_largefile()
	}
	o.dfd = sqe.Fd
	name, err := kernel.ReqGetname(req, sqe.Addr, false)
	if err != 0 {
		return err
	}
	kernel.ReqSetAsyncData(req, name)
	o.fileSlot = uint32(sqe.SpliceFdIn) // file_index
	if o.fileSlot != 0 && o.how.Flags&unix.O_CLOEXEC != 0 {
		return -kernel.EINVAL
	}
	if openatForceAsync(o) {
		kernel.ReqAddFlags(req, kernel.REQ_F_FORCE_ASYNC)
	}
	return 0
}

// openatPrep: flags in open_flags, mode in len, treated as open(2) treats
// them (unknown flags dropped).
// Linux: io_uring/openclose.c:io_openat_prep()
func openatPrep(req *kernel.Req, sqe *rings.SQE) int {
	kernel.Cmd[openData](req).how = vfs.BuildOpenHow(sqe.OpFlags, sqe.Len)
	return openatPrepCommon(req, sqe)
}

// openat2Prep: a struct open_how of len bytes at addr2.
// Linux: io_uring/openclose.c:io_openat2_prep()
func openat2Prep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Len < vfs.OPEN_HOW_SIZE_VER0 {
		return -kernel.EINVAL
	}
	how, err := kernel.CopyOpenHow(kernel.ReqMM(req), sqe.Addr2(), uint64(sqe.Len))
	if err != 0 {
		return err
	}
	kernel.Cmd[openData](req).how = how
	return openatPrepCommon(req, sqe)
}

// openat2 opens the file. Issued inline (nonblocking) the lookup may only
// use the dcache (LOOKUP_CACHED); when that is not enough it returns
// -EAGAIN and the request goes to io-wq — unless the application asked for
// RESOLVE_CACHED itself, which then completes with -EAGAIN.
// Linux: io_uring/openclose.c:io_openat2()
func openat2(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	o := kernel.Cmd[openData](req)
	name, _ := kernel.ReqAsyncData(req).(string)
	var op vfs.OpenFlags
	ret := vfs.BuildOpenFlags(&o.how, &op)
	if ret == 0 {
		nonblock := issueFlags&kernel.IO_URING_F_NONBLOCK != 0
		nonblockSet := op.OpenFlag&unix.O_NONBLOCK != 0
		resolveNonblock := o.how.Resolve&vfs.RESOLVE_CACHED != 0
		if nonblock {
			op.LookupFlags |= vfs.LOOKUP_CACHED
			op.OpenFlag |= unix.O_NONBLOCK
		}
		if o.fileSlot == 0 && !kernel.ReqFdAvailable(t, req) {
			ret = -kernel.EMFILE
			kernel.ReqSetFail(req)
			kernel.ReqSetRes(req, int32(ret), 0)
			return kernel.IOU_COMPLETE
		}
		f, err := kernel.ReqFilpOpen(t, req, o.dfd, name, &op)
		switch {
		case err == -kernel.EAGAIN && !resolveNonblock && nonblock:
			return -kernel.EAGAIN
		case err != 0:
			ret = err
		default:
			if nonblock && !nonblockSet {
				vfs.ClearNonblock(f)
			}
			if o.fileSlot == 0 {
				ret = kernel.ReqInstallFd(t, req, f, o.how.Flags)
			} else {
				ret = kernel.FixedFdInstall(t, req, issueFlags, f, o.fileSlot)
			}
		}
	}
	if ret < 0 {
		kernel.ReqSetFail(req)
	}
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}

// closePrep: only fd or file_index; every other field must be zero.
// Linux: io_uring/openclose.c:io_close_prep()
func closePrep(req *kernel.Req, sqe *rings.SQE) int {
	c := kernel.Cmd[closeData](req)
	if sqe.Off != 0 || sqe.Addr != 0 || sqe.Len != 0 || sqe.OpFlags != 0 || sqe.BufIndex != 0 {
		return -kernel.EINVAL
	}
	if kernel.ReqFlags(req)&kernel.REQ_F_FIXED_FILE != 0 {
		return -kernel.EBADF
	}
	c.fd = sqe.Fd
	c.fileSlot = uint32(sqe.SpliceFdIn)
	if c.fileSlot != 0 && c.fd != 0 {
		return -kernel.EINVAL
	}
	return 0
}

// closeOp closes a descriptor (never an io_uring one: -EBADF) or a
// direct descriptor. None of the simulator's files has a flush method, so
// it never needs io-wq.
// Linux: io_uring/openclose.c:io_close()
func closeOp(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	c := kernel.Cmd[closeData](req)
	var ret int
	if c.fileSlot != 0 {
		ret = kernel.FixedFdRemove(t, req, issueFlags, c.fileSlot-1)
	} else {
		ret = kernel.ReqCloseFd(t, req, c.fd)
	}
	if ret < 0 {
		kernel.ReqSetFail(req)
	}
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}

// fixedInstallData is IORING_OP_FIXED_FD_INSTALL's state (struct
// io_fixed_install).
type fixedInstallData struct {
	oFlags uint64
}

// installFixedFdPrep: the request's file must be a fixed one; only
// IORING_FIXED_FD_NO_CLOEXEC may be set (the descriptor is O_CLOEXEC by
// default).
// Linux: io_uring/openclose.c:io_install_fixed_fd_prep()
func installFixedFdPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Off != 0 || sqe.Addr != 0 || sqe.Len != 0 || sqe.BufIndex != 0 || sqe.SpliceFdIn != 0 || sqe.Addr3 != 0 {
		return -kernel.EINVAL
	}
	if kernel.ReqFlags(req)&kernel.REQ_F_FIXED_FILE == 0 {
		return -kernel.EBADF // must be a fixed file
	}
	flags := sqe.OpFlags // install_fd_flags
	if flags&^rings.IORING_FIXED_FD_NO_CLOEXEC != 0 {
		return -kernel.EINVAL
	}
	ifi := kernel.Cmd[fixedInstallData](req)
	ifi.oFlags = unix.O_CLOEXEC
	if flags&rings.IORING_FIXED_FD_NO_CLOEXEC != 0 {
		ifi.oFlags = 0
	}
	return 0
}

// installFixedFd installs the request's fixed file in the task's
// descriptor table (receive_fd) and returns the descriptor.
// Linux: io_uring/openclose.c:io_install_fixed_fd()
func installFixedFd(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	ifi := kernel.Cmd[fixedInstallData](req)
	ret := kernel.ReqInstallFd(t, req, kernel.ReqFile(req).Get(), ifi.oFlags)
	if ret < 0 {
		kernel.ReqSetFail(req)
	}
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}
