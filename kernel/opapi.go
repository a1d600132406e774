package kernel

// The helpers the op files in package opdef may call: the Go form of
// io_uring/io_uring.h as an op sees it. Ops reach nothing else in this
// package.

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kbuf"
	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// ReqSetRes sets the result and CQE flags the request will post.
// Linux: io_uring/io_uring.h:io_req_set_res()
func ReqSetRes(req *Req, res int32, cflags uint32) {
	req.cqe.res, req.cqe.flags = res, cflags
}

// ReqSetRes32 sets a result with the two extra words of a 32-byte CQE; on a
// CQE_MIXED ring the CQE is marked IORING_CQE_F_32.
// Linux: io_uring/io_uring.h:io_req_set_res32()
func ReqSetRes32(req *Req, res int32, cflags uint32, extra1, extra2 uint64) {
	if req.ctx.flags&rings.IORING_SETUP_CQE_MIXED != 0 {
		cflags |= rings.IORING_CQE_F_32
	}
	req.cqe.res, req.cqe.flags = res, cflags
	req.bigCQE = [2]uint64{extra1, extra2}
}

// ReqSetFail marks the request failed, breaking its link.
// Linux: io_uring/io_uring.h:req_set_fail()
func ReqSetFail(req *Req) { reqSetFail(req) }

// ReqSetFixedFile marks the request's fd as an index into the registered
// file table.
func ReqSetFixedFile(req *Req) { req.flags |= REQ_F_FIXED_FILE }

// ReqSetBufIndex records the registered buffer index the op will use.
func ReqSetBufIndex(req *Req, idx uint16) { req.bufIndex = idx }

// ReqGetFile resolves fd — a registered-file index when REQ_F_FIXED_FILE is
// set, else a descriptor — and holds the file until the request is freed.
// Linux: io_uring/io_uring.c:io_file_get_fixed(), io_file_get_normal()
func ReqGetFile(t *sim.Thread, req *Req, fd int, issueFlags uint32) bool {
	req.cqe.fd = int32(fd)
	return req.ctx.assignFile(t, req, issueFlags)
}

// ReqTaskComplete completes the request from task_work rather than inline
// (the op then returns IOU_ISSUE_SKIP_COMPLETE).
// Linux: io_uring/io_uring.c:io_req_task_complete() via io_req_task_work_add()
func ReqTaskComplete(t *sim.Thread, req *Req) {
	req.twFunc = reqTaskComplete
	reqTaskWorkAdd(t, req, 0)
}

// ReqFile is the request's resolved file (req->file), nil before issue
// or for an op without a file.
func ReqFile(req *Req) *vfs.File { return req.file }

// ReqOpcode is the request's IORING_OP_*.
func ReqOpcode(req *Req) uint8 { return req.opcode }

// ReqFlags returns the request's REQ_F_* flags.
func ReqFlags(req *Req) uint64 { return req.flags }

// ReqAddFlags sets REQ_F_* flags on the request.
func ReqAddFlags(req *Req, f uint64) { req.flags |= f }

// ReqClearFlags clears REQ_F_* flags of the request.
func ReqClearFlags(req *Req, f uint64) { req.flags &^= f }

// ReqMM is the address space of the task that submitted the request: the
// op reaches user memory only through it (copy_{from,to}_user).
func ReqMM(req *Req) *mm.AddressSpace { return req.task.Proc.MM }

// ReqAsyncData is req->async_data: op state that does not fit in the
// 64-byte cmd area or holds pointers. It is dropped when the request is
// freed.
func ReqAsyncData(req *Req) any { return req.asyncData }

// ReqSetAsyncData sets req->async_data.
func ReqSetAsyncData(req *Req, v any) { req.asyncData = v }

// ReqResult is the result the request will post (req->cqe.res); ops keep
// their expected byte count there while in flight, as the kernel does.
func ReqResult(req *Req) int32 { return req.cqe.res }

// ReqSetResult sets req->cqe.res alone.
func ReqSetResult(req *Req, r int32) { req.cqe.res = r }

// ReqCQEFlags is req->cqe.flags, what a bundle receive carries between
// rounds.
func ReqCQEFlags(req *Req) uint32 { return req.cqe.flags }

// ReqSetCQEFlags sets req->cqe.flags alone.
func ReqSetCQEFlags(req *Req, f uint32) { req.cqe.flags = f }

// ReqRingFlags returns the ring's setup flags.
func ReqRingFlags(req *Req) uint32 { return req.ctx.flags }

// ReqCanPoll reports whether the request's file can be polled
// (io_file_can_poll).
// Linux: io_uring/io_uring.h:io_file_can_poll()
func ReqCanPoll(req *Req) bool { return req.file != nil && vfs.CanPoll(req.file) }

// ReqCompleteRW is a read or write's ki_complete: called from device
// context with the transfer's result, it fails the link on a short
// transfer and completes the request from task_work. Pass it, with the
// request as token, to a vfs.AsyncRW file.
// Linux: io_uring/rw.c:io_complete_rw(), io_req_rw_complete()
func ReqCompleteRW(t *sim.Thread, token any, res int) {
	req := token.(*Req)
	// The result is applied by the task work: the submitter may still be
	// reading req->flags (io_arm_ltimeout) when the device completes, a
	// race the kernel tolerates and Go's memory model does not.
	req.rwRes = int32(res)
	if w := req.ctx.world(); w.Tracing() {
		w.Emit(t, "io_complete_rw", sim.U("ctx", req.ctx.ID), sim.U("req", req.ID), sim.I("res", int64(res)))
	}
	req.twFunc = reqRWComplete
	reqTaskWorkAdd(t, req, IOU_F_TWQ_LAZY_WAKE)
}

// reqRWComplete is the task_work of ReqCompleteRW: a selected buffer is
// put (reported in the CQE) before the request completes.
// Linux: io_uring/rw.c:io_req_rw_complete()
func reqRWComplete(t *sim.Thread, req *Req) {
	if req.rwRes != req.cqe.res {
		reqSetFail(req)
	}
	req.cqe.res, req.cqe.flags = req.rwRes, 0
	if req.flags&(REQ_F_BUFFER_SELECTED|REQ_F_BUFFER_RING) != 0 {
		req.cqe.flags |= putKbufs(req, int(req.cqe.res), nil, 1)
	}
	reqTaskComplete(t, req)
}

// ReqFileGetNormal looks up descriptor fd in the submitting task's table
// and returns the file with a reference the caller drops with Put, or nil
// (a second file of an op, such as splice's input). An O_PATH file is not
// found, as fget() does not return one.
// Linux: io_uring/io_uring.c:io_file_get_normal(), fs/file.c:fget()
func ReqFileGetNormal(t *sim.Thread, req *Req, fd int) *vfs.File {
	return fileGetNormal(t, req, fd)
}

// ReqTrackInflight marks the request as one its task's exit cancels and
// waits for (a futex wait, which needs the task's memory).
// Linux: io_uring/io_uring.c:io_req_track_inflight()
func ReqTrackInflight(req *Req) { trackInflight(req) }

// ReqEpollCtl is do_epoll_ctl on the submitting task's descriptors, with
// the epoll mutex only tried when issueFlags has IO_URING_F_NONBLOCK.
// Linux: fs/eventpoll.c:do_epoll_ctl()
func ReqEpollCtl(t *sim.Thread, req *Req, epfd, op, fd int, ev *vfs.EpollEvent, issueFlags uint32) int {
	return vfs.DoEpollCtl(t, &req.task.Proc.Files, epfd, op, fd, ev, issueFlags&IO_URING_F_NONBLOCK != 0)
}

// Path-based ops (openclose.c, fs.c, statx.c): the VFS entry points they
// call, on the submitting task's tmpfs and descriptor table.

// ReqGetname copies the path name at user address addr (getname); with
// allowEmpty an empty name is kept (getname_uflags with AT_EMPTY_PATH).
// Linux: fs/namei.c:getname_flags()
func ReqGetname(req *Req, addr uint64, allowEmpty bool) (string, int) {
	return getname(req.task.Proc.MM, addr, allowEmpty)
}

// CopyOpenHow reads a struct open_how of size bytes (at least
// OPEN_HOW_SIZE_VER0) from user memory: -E2BIG when bytes past the known
// struct are not zero, -EFAULT for unmapped memory.
// Linux: include/linux/uaccess.h:copy_struct_from_user(), lib/usercopy.c:check_zeroed_user()
func CopyOpenHow(as *mm.AddressSpace, addr, size uint64) (vfs.OpenHow, int) {
	const ksize = vfs.OPEN_HOW_SIZE_VER0
	if size > ksize {
		for a, end := addr+ksize, addr+size; a < end; {
			if end < a || !accessOK(a, 1) {
				return vfs.OpenHow{}, -EFAULT
			}
			m := as.Lookup(a)
			if m == nil {
				return vfs.OpenHow{}, -EFAULT
			}
			b, _ := as.Slice(a, min(end, m.End())-a)
			for _, c := range b {
				if c != 0 {
					return vfs.OpenHow{}, -int(unix.E2BIG)
				}
			}
			a += uint64(len(b))
		}
	}
	var raw [ksize]byte
	if !accessOK(addr, ksize) || as.CopyFromUser(raw[:], addr) != 0 {
		return vfs.OpenHow{}, -EFAULT
	}
	return decodeOpenHow(raw[:]), 0
}

// ReqFilpOpen opens path relative to dfd for the request's task
// (do_filp_open); the file comes back with one reference.
// Linux: fs/namei.c:do_filp_open()
func ReqFilpOpen(t *sim.Thread, req *Req, dfd int32, path string, op *vfs.OpenFlags) (*vfs.File, int) {
	return doFilpOpen(req.task, t, dfd, path, op)
}

// ReqInstallFd installs f in the task's descriptor table (O_CLOEXEC from
// flags) and returns the descriptor, or -EMFILE (dropping f).
// Linux: fs/file.c:__get_unused_fd_flags(), fd_install()
func ReqInstallFd(t *sim.Thread, req *Req, f *vfs.File, flags uint64) int {
	return installFile(req.task, t, f, flags)
}

// ReqCloseFd closes descriptor fd of the task as IORING_OP_CLOSE does:
// -EBADF for no file or an io_uring file.
// Linux: io_uring/openclose.c:io_close()
func ReqCloseFd(t *sim.Thread, req *Req, fd int32) int {
	files := &req.task.Proc.Files
	f := files.Get(t, int(fd))
	if f == nil {
		return -EBADF
	}
	ring := isRingFile(f)
	f.Put(t)
	if ring {
		return -EBADF
	}
	return files.Close(t, int(fd))
}

// ReqMkdirat is do_mkdirat for the request's task.
func ReqMkdirat(t *sim.Thread, req *Req, dfd int32, path string, mode uint32) int {
	return doMkdirat(req.task, t, dfd, path, mode)
}

// ReqUnlinkat is do_unlinkat / do_rmdir (AT_REMOVEDIR) for the request's task.
func ReqUnlinkat(t *sim.Thread, req *Req, dfd int32, path string, flags uint32) int {
	return doUnlinkat(req.task, t, dfd, path, flags)
}

// ReqSymlinkat is do_symlinkat for the request's task.
func ReqSymlinkat(t *sim.Thread, req *Req, target string, newdfd int32, newpath string) int {
	return doSymlinkat(req.task, t, target, newdfd, newpath)
}

// ReqLinkat is do_linkat for the request's task.
func ReqLinkat(t *sim.Thread, req *Req, olddfd int32, oldpath string, newdfd int32, newpath string, flags uint32) int {
	return doLinkat(req.task, t, olddfd, oldpath, newdfd, newpath, flags)
}

// ReqRenameat2 is do_renameat2 for the request's task.
func ReqRenameat2(t *sim.Thread, req *Req, olddfd int32, oldpath string, newdfd int32, newpath string, flags uint32) int {
	return doRenameat2(req.task, t, olddfd, oldpath, newdfd, newpath, flags)
}

// ReqStatx is do_statx for the request's task.
func ReqStatx(t *sim.Thread, req *Req, dfd int32, path string, flags, mask uint32, buf uint64) int {
	return doStatx(req.task, t, dfd, path, flags, mask, buf)
}

// ReqWarnOn is WARN_ON_ONCE(cond) in an op: an invariant violation
// (a panic under -tags invariants), reported with what.
// Linux: include/asm-generic/bug.h:WARN_ON_ONCE()
func ReqWarnOn(req *Req, cond bool, what string) bool {
	return req.ctx.k.warnOn(cond, "%s", what)
}

// ReqFdAvailable reports whether the task's descriptor table has a free
// descriptor (__get_unused_fd_flags would succeed), checked before an open.
// Linux: fs/file.c:__get_unused_fd_flags()
func ReqFdAvailable(t *sim.Thread, req *Req) bool { return req.task.Proc.Files.HasFree(t) }

// Polled I/O (IORING_SETUP_IOPOLL) and driver commands (IORING_OP_URING_CMD).

// ReqIopollInit clears the request's completed mark before it is issued
// for polling (req->iopoll_completed = 0).
// Linux: io_uring/rw.c:io_rw_init_file()
func ReqIopollInit(req *Req) { req.iopollCompleted.Store(false) }

// ReqCompleteRWIopoll is a read or write's ki_complete on an IOPOLL ring
// (called from the poller): it records the result and marks the request
// completed for doIopoll to reap. A short transfer does not fail the link
// here, as in the kernel.
// Linux: io_uring/rw.c:io_complete_rw_iopoll()
func ReqCompleteRWIopoll(t *sim.Thread, token any, res int) {
	req := token.(*Req)
	req.cqe.res, req.cqe.flags = int32(res), 0
	req.iopollCompleted.Store(true)
}

// ReqSQECmd returns a copy of the SQE's command area (sqe->cmd): 16
// bytes, 80 on an IORING_SETUP_SQE128 ring.
// Linux: io_uring/uring_cmd.c:io_uring_cmd_sqe_copy()
func ReqSQECmd(req *Req, sqe *rings.SQE) []byte {
	n := rings.SQECmdSize
	if req.ctx.sqeShift == 1 {
		n = rings.SQE128CmdSize
	}
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(sqe), rings.SQECmdOffset)), n)...)
}

// ReqUringCmdDone completes a driver command that returned -EIOCBQUEUED:
// called from the device's completion (interrupt or poll context) with the
// command's result and, for a 32-byte CQE, its first extra word. As the
// NVMe driver does, the completion is finished from task_work
// (io_uring_cmd_do_in_task_lazy): there it fails the link on a negative
// result and posts the CQE, or on an IOPOLL ring marks the request
// completed for io_do_iopoll.
// Linux: drivers/nvme/host/ioctl.c:nvme_uring_cmd_end_io(); io_uring/uring_cmd.c:__io_uring_cmd_done()
func ReqUringCmdDone(t *sim.Thread, token any, res int, res2 uint64) {
	req := token.(*Req)
	req.cqe.res, req.cqe.flags = int32(res), 0
	req.bigCQE = [2]uint64{res2, 0}
	req.twFunc = uringCmdDone
	reqTaskWorkAdd(t, req, IOU_F_TWQ_LAZY_WAKE)
}

// uringCmdDone is the task_work half of ReqUringCmdDone.
func uringCmdDone(t *sim.Thread, req *Req) {
	ctx := req.ctx
	if req.cqe.res < 0 {
		reqSetFail(req)
	}
	switch {
	case ctx.flags&rings.IORING_SETUP_CQE_MIXED != 0:
		req.cqe.flags |= rings.IORING_CQE_F_32
	case ctx.flags&rings.IORING_SETUP_CQE32 == 0:
		req.bigCQE = [2]uint64{}
	}
	if ctx.flags&rings.IORING_SETUP_IOPOLL != 0 {
		req.iopollCompleted.Store(true)
		return
	}
	ctx.reqCompleteDefer(req)
}

// Provided buffers (io_uring/kbuf.h as an op sees it). A buffer-selecting
// op (IOSQE_BUFFER_SELECT; READ, READV, READ_MULTISHOT, RECV, RECVMSG):
//
//  1. if DoBufferSelect(req), selects with BufferSelect (one buffer) or,
//     for a bundle, BuffersSelect/BuffersPeek (several), keeping the
//     BufSel on its stack for this issue only;
//  2. on -EAGAIN, or any failure before data moved, calls KbufRecycle with
//     that BufSel, so the buffer goes back (a ring buffer is simply not
//     committed) and is never lost nor handed out twice;
//  3. on success ORs PutKbuf(req, bytes, &sel) (PutKbufs for nbufs
//     buffers) into the CQE flags: IORING_CQE_F_BUFFER, the buffer id in
//     the upper 16 bits, IORING_CQE_F_BUF_MORE for an incremental buffer
//     with room left.
//
// A failed request that still holds a buffer reports it in its error CQE
// (the core calls PutKbuf for it). A multishot op posts each CQE with
// ReqPostCQE(…|IORING_CQE_F_MORE), returning IOU_RETRY to stay armed, and
// calls PollMultishotRetry when issued with IO_URING_F_MULTISHOT.

// BufSelArg is struct buf_sel_arg, the request of a bundle selection.
type BufSelArg = kbuf.SelArg

// DoBufferSelect reports a buffer-selecting request that has no buffer
// yet (the previous one was recycled, or none was selected).
// Linux: io_uring/kbuf.h:io_do_buffer_select()
func DoBufferSelect(req *Req) bool { return doBufferSelect(req) }

// BufferSelect selects one buffer of group bufGroup; n is the wanted
// length in (0: the buffer's) and the usable length out. sel.Addr is 0
// when the group is unknown or empty: the op fails with -ENOBUFS.
// Linux: io_uring/kbuf.c:io_buffer_select()
func BufferSelect(t *sim.Thread, req *Req, n *uint64, bufGroup uint16, issueFlags uint32) BufSel {
	return bufferSelect(t, req, n, bufGroup, issueFlags)
}

// BuffersSelect maps and commits several buffers for a bundle (a legacy
// group gives one); the CQE's buffer id is the first one's.
// Linux: io_uring/kbuf.c:io_buffers_select()
func BuffersSelect(t *sim.Thread, req *Req, arg *BufSelArg, sel *BufSel, issueFlags uint32) int {
	return buffersSelect(t, req, arg, sel, issueFlags)
}

// BuffersPeek maps several buffers without committing them (uringLock
// held); PutKbufs commits what the transfer used.
// Linux: io_uring/kbuf.c:io_buffers_peek()
func BuffersPeek(req *Req, arg *BufSelArg, sel *BufSel) int { return buffersPeek(req, arg, sel) }

// KbufCommit commits the ring buffers of sel that req selected but has
// not committed yet (n bytes in nr buffers); false when an incremental
// buffer has bytes left.
// Linux: io_uring/kbuf.c:io_kbuf_commit()
func KbufCommit(req *Req, sel *BufSel, n, nr int) bool {
	if sel == nil || sel.bl == nil {
		return true
	}
	return kbufCommit(req, sel.bl, n, nr)
}

// KbufRecycle gives back a selected buffer the op did not use.
// Linux: io_uring/kbuf.h:io_kbuf_recycle()
func KbufRecycle(t *sim.Thread, req *Req, sel *BufSel, issueFlags uint32) bool {
	return kbufRecycle(t, req, sel, issueFlags)
}

// PutKbuf ends the use of the request's buffer after n bytes and returns
// the CQE flags reporting it (0 when it has none).
// Linux: io_uring/kbuf.h:io_put_kbuf()
func PutKbuf(req *Req, n int, sel *BufSel) uint32 { return putKbufs(req, n, sel, 1) }

// PutKbufs is PutKbuf for a bundle of nbufs buffers.
// Linux: io_uring/kbuf.h:io_put_kbufs()
func PutKbufs(req *Req, n int, sel *BufSel, nbufs int) uint32 { return putKbufs(req, n, sel, nbufs) }

// ReqBufIndex is req->buf_index: the selected buffer's id.
func ReqBufIndex(req *Req) uint16 { return req.bufIndex }

// ReqPostCQE posts an extra CQE of a multishot request (with uringLock
// held, never from io-wq); false when the CQ is full, which ends it.
// Linux: io_uring/io_uring.c:io_req_post_cqe()
func ReqPostCQE(t *sim.Thread, req *Req, res int32, cflags uint32) bool {
	return req.ctx.reqPostCQE(t, req, res, cflags)
}

// ReqPostCQE32 posts an extra 32-byte CQE of a multishot request (a
// CQE32 or CQE_MIXED ring; cflags carries IORING_CQE_F_32 on the latter);
// false when the CQ is full, and nothing overflows.
// Linux: io_uring/io_uring.c:io_req_post_cqe32()
func ReqPostCQE32(t *sim.Thread, req *Req, res int32, cflags uint32, big [2]uint64) bool {
	return req.ctx.reqPostCQE32(t, req, res, cflags, big)
}

// ReqArmApoll arms the internal poll of req on mask, multishot when the
// op set REQ_F_APOLL_MULTISHOT: true when it is armed and waiting.
// Linux: io_uring/poll.c:io_arm_apoll()
func ReqArmApoll(t *sim.Thread, req *Req, issueFlags, mask uint32) bool {
	return req.ctx.armApoll(t, req, issueFlags, mask) == ioApollOK
}

// PollMultishotRetry makes the poll task_work issue the request again.
// Linux: io_uring/poll.h:io_poll_multishot_retry()
func PollMultishotRetry(req *Req) { pollMultishotRetry(req) }

// ManageBuffersLegacy runs IORING_OP_PROVIDE_BUFFERS (provide) or
// IORING_OP_REMOVE_BUFFERS on the ring's buffer groups.
// Linux: io_uring/kbuf.c:io_manage_buffers_legacy()
func ManageBuffersLegacy(t *sim.Thread, req *Req, p *kbuf.ProvideArgs, provide bool, issueFlags uint32) int {
	ctx := req.ctx
	ctx.ringSubmitLock(t, issueFlags)
	ret := ctx.bufTable.ManageLegacy(p, provide)
	ctx.ringSubmitUnlock(t, issueFlags)
	return ret
}

// AccessOK is access_ok(addr, n) on the simulated x86-64 address space.
// Linux: include/asm-generic/access_ok.h:access_ok()
func AccessOK(addr, n uint64) bool { return accessOK(addr, n) }
