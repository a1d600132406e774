package opdef

import (
	"encoding/binary"
	"math"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/rsrc"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// rwData is a read or write's per-request state (struct io_rw with the
// kiocb fields the simulator needs).
type rwData struct {
	pos     int64  // kiocb.ki_pos; -1 means the file position
	addr    uint64 // the user buffer (or iovec array)
	len     uint32 // its length (or the iovec count)
	rwFlags uint32 // RWF_*
	// bufGroup is the provided-buffer group of a buffer-selecting read
	// (io_async_rw.buf_group).
	bufGroup uint16
}

// iovec is one struct iovec of a vectored op, already copied in.
type iovec struct{ base, len uint64 }

// uioMaxIOV is the most iovecs one call takes.
// Linux: include/uapi/linux/uio.h:UIO_MAXIOV
const uioMaxIOV = 1024

// rwfSupported are the RWF_* flags kiocb_set_rw_flags accepts.
// Linux: include/uapi/linux/fs.h:RWF_SUPPORTED
const rwfSupported = unix.RWF_HIPRI | unix.RWF_DSYNC | unix.RWF_SYNC | unix.RWF_NOWAIT | unix.RWF_APPEND | 0x20 /* RWF_NOAPPEND */ | 0x40 /* RWF_ATOMIC */ | 0x80 /* RWF_DONTCACHE */

// rwPrep reads the common fields of a read or write; a vectored op also
// copies in its iovec array, so a bad one fails the SQE at submission.
// Linux: io_uring/rw.c:__io_prep_rw(), io_prep_rw(), io_import_vec()
func rwPrep(req *kernel.Req, sqe *rings.SQE, vectored bool) int {
	rw := kernel.Cmd[rwData](req)
	rw.pos = int64(sqe.Off)
	rw.addr = sqe.Addr
	rw.len = sqe.Len
	rw.rwFlags = sqe.OpFlags
	kernel.ReqSetBufIndex(req, sqe.BufIndex)
	rw.bufGroup = sqe.BufIndex
	if ret := ioprioCheckCap(sqe.Ioprio); ret != 0 {
		return ret
	}
	if !vectored {
		return 0
	}
	if kernel.ReqFlags(req)&kernel.REQ_F_BUFFER_SELECT != 0 {
		// A buffer-selecting read imports its buffer at issue; readv
		// takes the wanted length from its one iovec.
		return iovBufferSelectPrep(req)
	}
	if rw.len > uioMaxIOV {
		return -kernel.EINVAL
	}
	iov, ret := importIovec(req, rw.addr, int(rw.len))
	if ret != 0 {
		return ret
	}
	kernel.ReqSetAsyncData(req, iov)
	return 0
}

// importIovec copies in an array of n iovecs (n at most UIO_MAXIOV,
// checked by the caller): -EFAULT when unmapped, -EINVAL for a negative
// length. The total is capped at MAX_RW_COUNT by shortening the iovec
// that crosses it.
// Linux: lib/iov_iter.c:__import_iovec(), iovec_from_user()
func importIovec(req *kernel.Req, addr uint64, n int) ([]iovec, int) {
	raw := make([]byte, 16*n)
	if kernel.ReqMM(req).CopyFromUser(raw, addr) != 0 {
		return nil, -kernel.EFAULT
	}
	iov := make([]iovec, n)
	total := uint64(0)
	for i := range iov {
		iov[i] = iovec{binary.LittleEndian.Uint64(raw[16*i:]), binary.LittleEndian.Uint64(raw[16*i+8:])}
		if int64(iov[i].len) < 0 {
			return nil, -kernel.EINVAL
		}
		if iov[i].len > uint64(vfs.MAX_RW_COUNT)-total {
			iov[i].len = uint64(vfs.MAX_RW_COUNT) - total
		}
		total += iov[i].len
	}
	return iov, 0
}

// iovBufferSelectPrep checks a buffer-selecting readv: exactly one iovec,
// whose length becomes the wanted length.
// Linux: io_uring/rw.c:io_iov_buffer_select_prep()
func iovBufferSelectPrep(req *kernel.Req) int {
	rw := kernel.Cmd[rwData](req)
	if rw.len != 1 {
		return -kernel.EINVAL
	}
	var raw [16]byte
	if kernel.ReqMM(req).CopyFromUser(raw[:], rw.addr) != 0 {
		return -kernel.EFAULT
	}
	// rw.len is 32 bits, as io_rw.len: a larger iov_len is truncated.
	rw.len = uint32(binary.LittleEndian.Uint64(raw[8:]))
	return 0
}

func readPrep(req *kernel.Req, sqe *rings.SQE) int   { return rwPrep(req, sqe, false) }
func readvPrep(req *kernel.Req, sqe *rings.SQE) int  { return rwPrep(req, sqe, true) }
func writePrep(req *kernel.Req, sqe *rings.SQE) int  { return rwPrep(req, sqe, false) }
func writevPrep(req *kernel.Req, sqe *rings.SQE) int { return rwPrep(req, sqe, true) }

// segments returns the user buffers of the request as kernel views. Like
// a copy that faults part-way, a buffer stops at the first unmapped byte:
// the views cover only the mapped prefix, so the transfer comes up short
// there, and a buffer that starts unmapped fails the transfer with
// -EFAULT. The import itself checks nothing beyond the length (access_ok).
// Linux: io_uring/rw.c:__io_import_rw_buffer(), lib/iov_iter.c:import_ubuf()
func segments(req *kernel.Req) (segs [][]byte, total int, errno int) {
	rw := kernel.Cmd[rwData](req)
	as := kernel.ReqMM(req)
	if fx, ok := kernel.ReqAsyncData(req).(*fixedIO); ok {
		return fx.segs, fx.total, 0 // imported from a registered buffer
	}
	var iov []iovec
	if v, ok := kernel.ReqAsyncData(req).([]iovec); ok {
		iov = v
	} else {
		iov = []iovec{{rw.addr, uint64(min(rw.len, uint32(vfs.MAX_RW_COUNT)))}}
	}
	for _, v := range iov {
		total += int(v.len)
	}
	for _, v := range iov {
		if v.len == 0 {
			continue
		}
		m := as.Lookup(v.base)
		if m == nil {
			if len(segs) == 0 {
				return nil, total, -kernel.EFAULT
			}
			break
		}
		n := min(v.len, m.End()-v.base)
		b, _ := as.Slice(v.base, n)
		segs = append(segs, b)
		if n < v.len {
			break
		}
	}
	return segs, total, 0
}

// ioprioCheckCap validates an I/O priority: a known class, and no level
// for IOPRIO_CLASS_NONE (the simulated task may use the real-time class).
// Linux: block/ioprio.c:ioprio_check_cap()
func ioprioCheckCap(ioprio uint16) int {
	class, level := ioprio>>13&7, ioprio&7
	switch class {
	case 1, 2, 3: // IOPRIO_CLASS_RT, _BE, _IDLE
		return 0
	case 0: // IOPRIO_CLASS_NONE
		if level != 0 {
			return -kernel.EINVAL
		}
		return 0
	}
	return -kernel.EINVAL
}

// rwInitFile checks the file and the RWF flags and decides whether the
// request may wait (REQ_F_NOWAIT).
// Linux: io_uring/rw.c:io_rw_init_file(), fs.h:kiocb_set_rw_flags()
func rwInitFile(req *kernel.Req, mode uint32) int {
	rw := kernel.Cmd[rwData](req)
	f := kernel.ReqFile(req)
	if f.FMode&mode == 0 {
		return -kernel.EBADF
	}
	if rw.rwFlags&^rwfSupported != 0 {
		return -kernel.EOPNOTSUPP
	}
	if rw.rwFlags&unix.RWF_NOWAIT != 0 {
		if f.FMode&vfs.FMODE_NOWAIT == 0 {
			return -kernel.EOPNOTSUPP
		}
		kernel.ReqAddFlags(req, kernel.REQ_F_NOWAIT)
	}
	if f.Flags&unix.O_NONBLOCK != 0 {
		kernel.ReqAddFlags(req, kernel.REQ_F_SUPPORT_NOWAIT)
	}
	// An IOPOLL ring needs O_DIRECT I/O on a file with ->iopoll; without
	// one, RWF_HIPRI (IOCB_HIPRI) is refused.
	if kernel.ReqRingFlags(req)&rings.IORING_SETUP_IOPOLL != 0 {
		_, polls := f.Op.(vfs.Iopoller)
		if f.Flags&unix.O_DIRECT == 0 || !polls {
			return -kernel.EOPNOTSUPP
		}
		kernel.ReqIopollInit(req)
	} else if rw.rwFlags&unix.RWF_HIPRI != 0 {
		return -kernel.EINVAL
	}
	if f.FMode&vfs.FMODE_NOWAIT != 0 {
		kernel.ReqAddFlags(req, kernel.REQ_F_SUPPORT_NOWAIT)
	}
	return 0
}

// fileSupportsNowait: the file can be tried without blocking.
// Linux: io_uring/rw.c:io_file_supports_nowait()
func fileSupportsNowait(t *sim.Thread, req *kernel.Req, mask uint32) bool {
	if kernel.ReqFlags(req)&kernel.REQ_F_SUPPORT_NOWAIT != 0 {
		return true
	}
	if kernel.ReqCanPoll(req) {
		return vfs.Poll(t, kernel.ReqFile(req), &vfs.PollTable{Key: mask})&mask != 0
	}
	return false
}

// updatePos resolves the position: an explicit offset, the file position
// for -1 on a seekable file (REQ_F_CUR_POS), none for a stream.
// Linux: io_uring/rw.c:io_kiocb_update_pos()
func updatePos(req *kernel.Req) *int64 {
	rw := kernel.Cmd[rwData](req)
	if rw.pos != -1 {
		return &rw.pos
	}
	f := kernel.ReqFile(req)
	if f.FMode&vfs.FMODE_STREAM == 0 {
		kernel.ReqAddFlags(req, kernel.REQ_F_CUR_POS)
		rw.pos = f.Pos
		return &rw.pos
	}
	rw.pos = 0
	return nil
}

// rwDo moves the bytes, one segment after another, stopping at the first
// short transfer or error (an error after some bytes returns the bytes).
func rwDo(t *sim.Thread, req *kernel.Req, segs [][]byte, pos *int64, nonblock, write bool) int {
	f := kernel.ReqFile(req)
	done := 0
	for _, s := range segs {
		var n int
		if write {
			n = vfs.Write(t, f, s, pos, nonblock)
		} else {
			n = vfs.Read(t, f, s, pos, nonblock)
		}
		if n < 0 {
			if done > 0 {
				return done
			}
			return n
		}
		done += n
		if n < len(s) {
			break
		}
	}
	return done
}

// rwBufferSelect picks the provided buffer a buffer-selecting read
// transfers into, before anything else is checked, as __io_import_rw_buffer
// does: -ENOBUFS when the group is unknown or empty.
// Linux: io_uring/rw.c:__io_import_rw_buffer()
func rwBufferSelect(t *sim.Thread, req *kernel.Req, issueFlags uint32, sel *kernel.BufSel) int {
	rw := kernel.Cmd[rwData](req)
	n := uint64(rw.len)
	*sel = kernel.BufferSelect(t, req, &n, rw.bufGroup, issueFlags)
	if sel.Addr == 0 {
		return -kernel.ENOBUFS
	}
	rw.addr, rw.len = sel.Addr, uint32(n)
	return 0
}

// rwIssue is io_read / io_write: a nonblocking attempt first when issued
// inline; -EAGAIN makes the caller arm a poll (pollable file) or punt to
// io-wq. What the transfer itself returns goes through kiocb_done: a
// result completes inline (a short one failing the link), an error
// completes from task_work (io_rw_done -> io_complete_rw). A read that
// selected a ring buffer and does not complete now gives it back
// (io_kbuf_recycle): it was not committed.
// Linux: io_uring/rw.c:io_read(), io_write(), kiocb_done()
func rwIssue(t *sim.Thread, req *kernel.Req, issueFlags uint32, write bool) int {
	var sel kernel.BufSel
	ret, finish := rwCore(t, req, issueFlags, write, &sel)
	if finish {
		return rwDone(t, req, ret, &sel)
	}
	if ret < 0 && ret != kernel.IOU_ISSUE_SKIP_COMPLETE && kernel.ReqFlags(req)&kernel.REQ_F_BUFFERS_COMMIT != 0 {
		kernel.KbufRecycle(t, req, &sel, issueFlags)
	}
	return ret
}

// rwCore is __io_read / the body of io_write: it selects a provided
// buffer when asked to, moves the bytes, and returns either a result for
// kiocb_done (finish) or what the issue returns as is (an error before
// the transfer, -EAGAIN to retry, IOU_ISSUE_SKIP_COMPLETE when queued).
// Linux: io_uring/rw.c:__io_read(), io_write()
func rwCore(t *sim.Thread, req *kernel.Req, issueFlags uint32, write bool, sel *kernel.BufSel) (ret int, finish bool) {
	mode, mask := vfs.FMODE_READ, uint32(rings.EPOLLIN)
	if write {
		mode, mask = vfs.FMODE_WRITE, rings.EPOLLOUT
	}
	if !write && kernel.DoBufferSelect(req) {
		if ret := rwBufferSelect(t, req, issueFlags, sel); ret != 0 {
			return ret, false
		}
	}
	if ret := rwInitFile(req, mode); ret != 0 {
		return ret, false
	}
	f := kernel.ReqFile(req)
	segs, total, fault := segments(req)
	kernel.ReqSetResult(req, int32(total))
	forceNonblock := issueFlags&kernel.IO_URING_F_NONBLOCK != 0
	_, async := f.Op.(vfs.AsyncRW)
	if forceNonblock && !async && !fileSupportsNowait(t, req, mask) {
		return -kernel.EAGAIN, false
	}
	direct, isDirect := f.Op.(vfs.DirectIO)
	isDirect = isDirect && f.Flags&unix.O_DIRECT != 0
	if write && forceNonblock && !async && !isDirect && f.FMode&vfs.FMODE_STREAM == 0 {
		// Buffered writes to a regular file are not tried nonblocking
		// (no FOP_BUFFER_WASYNC): they go to io-wq.
		return -kernel.EAGAIN, false
	}
	pos := updatePos(req)
	if pos != nil && (*pos < 0 || *pos > math.MaxInt64-int64(total)) {
		return -kernel.EINVAL, false // rw_verify_area
	}
	if p, ok := f.Op.(vfs.PlainRW); ok && (write && p.PlainWrite() || !write && p.PlainRead()) &&
		forceNonblock && f.Flags&unix.O_NONBLOCK == 0 {
		return -kernel.EAGAIN, false // loop_rw_iter cannot try without blocking
	}
	if fault != 0 {
		return fault, true
	}
	if isDirect && pos != nil {
		return rwDirect(t, req, direct, segs, *pos, write, forceNonblock, sel), false
	}
	if async && len(segs) == 1 && pos != nil && req.Opcode() != rings.IORING_OP_READ_MULTISHOT {
		// Storage that completes later: queue it (-EIOCBQUEUED) and let
		// the device's completion finish the request.
		var ret int
		if write {
			ret = f.Op.(vfs.AsyncRW).WriteAsync(t, f, segs[0], *pos, kernel.ReqCompleteRW, req)
		} else {
			ret = f.Op.(vfs.AsyncRW).ReadAsync(t, f, segs[0], *pos, kernel.ReqCompleteRW, req)
		}
		if ret == -vfs.EIOCBQUEUED {
			// kiocb_done leaves f_pos alone for a queued transfer.
			return kernel.IOU_ISSUE_SKIP_COMPLETE, false
		}
		return ret, true
	}
	locked := false
	if kernel.ReqFlags(req)&kernel.REQ_F_CUR_POS != 0 {
		locked = f.LockPos(t)
		kernel.Cmd[rwData](req).pos = f.Pos
	}
	nowait := forceNonblock || kernel.ReqFlags(req)&kernel.REQ_F_NOWAIT != 0
	ret = rwDo(t, req, segs, pos, nowait, write)
	if ret >= 0 && kernel.ReqFlags(req)&kernel.REQ_F_CUR_POS != 0 {
		f.Pos = kernel.Cmd[rwData](req).pos
	}
	f.UnlockPos(t, locked)
	if ret == -kernel.EAGAIN && kernel.ReqFlags(req)&kernel.REQ_F_NOWAIT == 0 && forceNonblock {
		// Back to io_queue_async: poll if the file can, else io-wq.
		return ret, false
	}
	return ret, true
}

// rwDirect queues a direct transfer (IOCB_DIRECT) on the file's device:
// it completes later through ki_complete — from the device's interrupt, or
// on an IOPOLL ring (IOCB_HIPRI) when io_do_iopoll finds it. A nonblocking
// attempt the device cannot take (-EAGAIN) goes back to be retried from
// io-wq; a read's error fails the request at issue; any other result
// completes as kiocb_done says.
// Linux: io_uring/rw.c:__io_read(), io_write(), kiocb_done()
func rwDirect(t *sim.Thread, req *kernel.Req, d vfs.DirectIO, segs [][]byte, pos int64, write, forceNonblock bool, sel *kernel.BufSel) int {
	rw := kernel.Cmd[rwData](req)
	iopoll := kernel.ReqRingFlags(req)&rings.IORING_SETUP_IOPOLL != 0
	io := &vfs.Kiocb{Write: write, Segs: segs, Pos: pos, Hipri: iopoll,
		Nowait: forceNonblock || kernel.ReqFlags(req)&kernel.REQ_F_NOWAIT != 0,
		DSync:  rw.rwFlags&(unix.RWF_DSYNC|unix.RWF_SYNC) != 0,
		Done:   kernel.ReqCompleteRW, Token: req}
	if iopoll {
		io.Done = kernel.ReqCompleteRWIopoll
	}
	ret := d.DirectIO(t, kernel.ReqFile(req), io)
	switch {
	case ret == -vfs.EIOCBQUEUED:
		return kernel.IOU_ISSUE_SKIP_COMPLETE
	case ret == -kernel.EAGAIN && forceNonblock && kernel.ReqFlags(req)&kernel.REQ_F_NOWAIT == 0:
		return ret
	case ret < 0 && !write:
		return ret // __io_read's error is io_read's: the request fails at issue
	}
	return rwDone(t, req, ret, sel)
}

// rwDone finishes a transfer with its result: inline for a count (a short
// one fails the link), from task_work for an error; on an IOPOLL ring
// every result goes through the poller's completion. A selected buffer is
// put into the CQE flags on success; on an error a ring buffer not yet
// committed is recycled first, and one the request keeps is reported in
// the error CQE.
// Linux: io_uring/rw.c:kiocb_done(), io_rw_done()
func rwDone(t *sim.Thread, req *kernel.Req, ret int, sel *kernel.BufSel) int {
	if kernel.ReqRingFlags(req)&rings.IORING_SETUP_IOPOLL != 0 {
		kernel.ReqCompleteRWIopoll(t, req, ret)
		return kernel.IOU_ISSUE_SKIP_COMPLETE
	}
	if ret < 0 {
		if kernel.ReqFlags(req)&kernel.REQ_F_BUFFERS_COMMIT != 0 {
			kernel.KbufRecycle(t, req, sel, 0)
		}
		kernel.ReqCompleteRW(t, req, ret)
		return kernel.IOU_ISSUE_SKIP_COMPLETE
	}
	if ret != int(kernel.ReqResult(req)) {
		kernel.ReqSetFail(req)
	}
	kernel.ReqSetRes(req, int32(ret), kernel.PutKbuf(req, ret, sel))
	return kernel.IOU_COMPLETE
}

func read(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	return rwIssue(t, req, issueFlags, false)
}
func write(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	return rwIssue(t, req, issueFlags, true)
}

// Registered buffers: READ_FIXED, WRITE_FIXED, READV_FIXED, WRITEV_FIXED.

// fixedIO is a fixed read or write's imported buffer (io_async_rw's iter
// over the registered buffer's pages): the iovecs of a vectored one, and
// the views the transfer uses once imported.
type fixedIO struct {
	iov      []rsrc.Iovec
	vectored bool
	imported bool
	segs     [][]byte
	total    int
}

// rwFixedPrep reads a fixed read or write; a vectored one copies its
// iovecs in now (iovec_from_user: at most UIO_MAXIOV, no negative
// length), to be checked against the buffer at issue.
// Linux: io_uring/rw.c:io_prep_read_fixed(), io_prep_readv_fixed(), io_rw_prep_reg_vec(); rsrc.c:io_prep_reg_iovec()
func rwFixedPrep(req *kernel.Req, sqe *rings.SQE, vectored bool) int {
	if ret := rwPrep(req, sqe, false); ret != 0 {
		return ret
	}
	fx := &fixedIO{vectored: vectored}
	kernel.ReqSetAsyncData(req, fx)
	if !vectored {
		return 0
	}
	rw := kernel.Cmd[rwData](req)
	if rw.len > uioMaxIOV {
		return -kernel.EINVAL
	}
	raw := make([]byte, 16*int(rw.len))
	if kernel.ReqMM(req).CopyFromUser(raw, rw.addr) != 0 {
		return -kernel.EFAULT
	}
	fx.iov = make([]rsrc.Iovec, rw.len)
	for i := range fx.iov {
		fx.iov[i] = rsrc.Iovec{Base: binary.LittleEndian.Uint64(raw[16*i:]), Len: binary.LittleEndian.Uint64(raw[16*i+8:])}
		if int64(fx.iov[i].Len) < 0 {
			return -kernel.EINVAL
		}
	}
	return 0
}

// rwInitFixed imports the request's range of its registered buffer
// before the transfer: -EFAULT for a missing buffer or a range outside
// it, which fails the request at issue.
// Linux: io_uring/rw.c:io_init_rw_fixed(), io_rw_import_reg_vec()
func rwInitFixed(t *sim.Thread, req *kernel.Req, issueFlags uint32, write bool) int {
	fx := kernel.ReqAsyncData(req).(*fixedIO)
	if fx.imported {
		return 0
	}
	ddir := rsrc.ITER_DEST
	if write {
		ddir = rsrc.ITER_SOURCE
	}
	rw := kernel.Cmd[rwData](req)
	var ret int
	if fx.vectored {
		fx.segs, fx.total, ret = kernel.ReqImportRegVec(t, req, fx.iov, ddir, issueFlags)
	} else {
		fx.segs, ret = kernel.ReqImportRegBuf(t, req, rw.addr, uint64(rw.len), ddir, issueFlags)
		fx.total = int(rw.len)
	}
	if ret != 0 {
		return ret
	}
	fx.imported = true
	return 0
}

func readFixedPrep(req *kernel.Req, sqe *rings.SQE) int  { return rwFixedPrep(req, sqe, false) }
func readvFixedPrep(req *kernel.Req, sqe *rings.SQE) int { return rwFixedPrep(req, sqe, true) }

// readFixed is io_read_fixed (and io_read for READV_FIXED, which imports
// its vector first).
// Linux: io_uring/rw.c:io_read_fixed()
func readFixed(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	if ret := rwInitFixed(t, req, issueFlags, false); ret != 0 {
		return ret
	}
	return rwIssue(t, req, issueFlags, false)
}

// writeFixed is io_write_fixed.
// Linux: io_uring/rw.c:io_write_fixed()
func writeFixed(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	if ret := rwInitFixed(t, req, issueFlags, true); ret != 0 {
		return ret
	}
	return rwIssue(t, req, issueFlags, true)
}
