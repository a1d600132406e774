package kernel

import (
	"encoding/binary"
	"math"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/iowq"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// initWQOffload creates the task's io-wq when its io_uring context is
// first set up: bound workers up to min(sq_entries, 4 × CPUs), hashed work
// shared through the ring's hash map.
// Linux: io_uring/tctx.c:io_init_wq_offload()
func (ctx *Ctx) initWQOffload(task *Task) *iowq.WQ {
	if ctx.hashMap == nil {
		ctx.hashMap = iowq.NewHash()
	}
	k := ctx.k
	wq := iowq.Create(task.Thread, iowq.BoundedWorkers(ctx.sqEntries, 0), iowq.Data{
		Hash:       ctx.hashMap,
		DoWork:     k.wqSubmitWork,
		FreeWork:   k.wqFreeWork,
		ShareFiles: func() { task.Proc.Files.Share() },
		Bugs:       k.Bugs.IOWQ,
	})
	if ctx.iowqLimitsSet {
		limits := ctx.iowqLimits
		wq.MaxWorkers(task.Thread, &limits)
	}
	return wq
}

// prepAsyncWork sets a request's io-wq flags: regular-file work of ops
// that need it is hashed on the file (writes to one file never run in
// parallel), other work on non-regular files is unbound.
// Linux: io_uring/io_uring.c:io_prep_async_work()
func (ctx *Ctx) prepAsyncWork(req *Req) {
	def := &ctx.k.table.Issue[req.opcode]
	work := req.work()
	work.Flags.Store(0)
	work.Item = req
	work.ID = req.ID
	if req.flags&REQ_F_FORCE_ASYNC != 0 {
		work.Flags.Or(iowq.IO_WQ_WORK_CONCURRENT)
	}
	if req.file != nil && req.flags&REQ_F_FIXED_FILE == 0 {
		req.flags |= fileGetFlags(req.file)
	}
	if req.file != nil && req.flags&REQ_F_ISREG != 0 {
		if def.HashRegFile || ctx.flags&rings.IORING_SETUP_IOPOLL != 0 {
			iowq.HashWork(work, req.file.ID)
		}
	} else if def.UnboundNonregFile && (req.file == nil || !vfs.IsBlockDevice(req.file)) {
		work.Flags.Or(iowq.IO_WQ_WORK_UNBOUND)
	}
}

// queueIOWQ hands a request (and its link) to the submitting task's io-wq.
// Linux: io_uring/io_uring.c:io_queue_iowq()
func (ctx *Ctx) queueIOWQ(t *sim.Thread, req *Req) {
	tctx := req.tctx
	if tctx == nil || tctx.ioWQ == nil {
		reqTaskQueueFail(t, req, -ECANCELED)
		return
	}
	// Init the work of the whole link; a linked timeout may unlink
	// itself meanwhile.
	// Linux: io_uring/io_uring.c:io_prep_async_link()
	if req.flags&REQ_F_LINK_TIMEOUT != 0 {
		ctx.timeoutLock.Lock(t)
	}
	for cur := req; cur != nil; cur = cur.link {
		ctx.prepAsyncWork(cur)
	}
	if req.flags&REQ_F_LINK_TIMEOUT != 0 {
		ctx.timeoutLock.Unlock(t)
	}
	if w := ctx.world(); w.Tracing() {
		w.Emit(t, "io_uring_queue_async_work", sim.U("ctx", ctx.ID), sim.U("req", req.ID),
			sim.X("user_data", req.cqe.userData), sim.S("opcode", rings.OpName(req.opcode)),
			sim.I("hashed", b2i(req.wq.Flags.Load()&iowq.IO_WQ_WORK_HASHED != 0)))
	}
	tctx.ioWQ.Enqueue(t, req.wq)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// wqSubmitWork issues a request on an io-wq worker: blocking, except that
// a forced-async request on a pollable file is first tried nonblocking and
// then polled. The worker holds a reference until wqFreeWork.
// Linux: io_uring/io_uring.c:io_wq_submit_work()
func (k *Kernel) wqSubmitWork(t *sim.Thread, w *iowq.Work) {
	req := w.Item.(*Req)
	ctx := req.ctx
	def := &k.table.Issue[req.opcode]
	t.SetSchedHooks(&req.tctx.wqHooks)
	issueFlags := IO_URING_F_UNLOCKED | IO_URING_F_IOWQ
	// One reference is dropped by wqFreeWork after the worker is done.
	if req.flags&REQ_F_REFCOUNT == 0 {
		reqSetRefcount(req, 2)
	} else {
		req.refs.Add(1)
	}
	ctx.armLtimeout(t, req)
	if w.Flags.Load()&iowq.IO_WQ_WORK_CANCEL != 0 {
		reqTaskQueueFail(t, req, -ECANCELED)
		return
	}
	if def.NeedsFile && req.file == nil && !ctx.assignFile(t, req, issueFlags) {
		w.Flags.Or(iowq.IO_WQ_WORK_CANCEL)
		reqTaskQueueFail(t, req, -EBADF)
		return
	}
	// Only the submitter task may post auxiliary CQEs on a DEFER_TASKRUN
	// ring, so multishot never runs on io-wq: it is armed for poll from
	// here, or becomes a single-shot request on a file that cannot wait
	// without blocking.
	if req.flags&(REQ_F_MULTISHOT|REQ_F_APOLL_MULTISHOT) != 0 {
		if req.file == nil || !ReqCanPoll(req) {
			reqTaskQueueFail(t, req, -EBADFD)
			return
		}
		if req.file.Flags&unix.O_NONBLOCK != 0 || req.file.FMode&vfs.FMODE_NOWAIT != 0 {
			if ctx.armPollHandler(t, req, issueFlags) != ioApollOK {
				reqTaskQueueFail(t, req, -ECANCELED)
			}
			return
		}
		req.flags &^= REQ_F_APOLL_MULTISHOT | REQ_F_MULTISHOT
	}
	needsPoll := false
	if req.flags&REQ_F_FORCE_ASYNC != 0 && (def.Pollin || def.Pollout) && req.file != nil && ReqCanPoll(req) {
		needsPoll = true
		issueFlags |= IO_URING_F_NONBLOCK
	}
	var ret int
	for {
		ret = ctx.issueSQE(t, req, issueFlags)
		if ret != -EAGAIN || req.flags&REQ_F_NOWAIT != 0 {
			break
		}
		if !needsPoll {
			// Polled I/O can get -EAGAIN even when issued blocking
			// (no request slot on the device side): retry after a
			// cond_resched.
			if ctx.flags&rings.IORING_SETUP_IOPOLL == 0 {
				break
			}
			t.Sleep(time.Microsecond)
			continue
		}
		if ctx.armPollHandler(t, req, issueFlags) == ioApollOK {
			return
		}
		// Aborted or ready: retry blocking.
		needsPoll = false
		issueFlags &^= IO_URING_F_NONBLOCK
	}
	if ret != 0 {
		reqTaskQueueFail(t, req, ret)
	}
}

// wqFreeWork drops the worker's reference; the last one frees the request
// and returns its link successor for the worker to run next.
// Linux: io_uring/io_uring.c:io_wq_free_work()
func (k *Kernel) wqFreeWork(t *sim.Thread, w *iowq.Work) *iowq.Work {
	req := w.Item.(*Req)
	var nxt *Req
	// wqSubmitWork made the references counted: drop ours without reading
	// req.flags, which the task side may be writing meanwhile.
	if req.refs.Add(-1) == 0 {
		if req.flags&IO_REQ_LINK_FLAGS != 0 {
			nxt = req.ctx.reqFindNext(t, req)
		}
		freeReq(t, req)
	}
	if nxt == nil {
		return nil
	}
	return nxt.work()
}

// reqSetRefcount starts counting references on a request.
// Linux: io_uring/refs.h:__io_req_set_refcount()
func reqSetRefcount(req *Req, n int32) {
	if req.flags&REQ_F_REFCOUNT == 0 {
		req.flags |= REQ_F_REFCOUNT
		req.refs.Store(n)
	}
}

// reqRefPutAndTest drops a reference and reports the last one.
// Linux: io_uring/refs.h:req_ref_put_and_test()
func reqRefPutAndTest(req *Req) bool {
	if req.flags&REQ_F_REFCOUNT == 0 {
		return true
	}
	return req.refs.Add(-1) == 0
}

// freeReq frees a request whose references are all gone, through task_work
// and without a CQE.
// Linux: io_uring/io_uring.c:io_free_req()
func freeReq(t *sim.Thread, req *Req) {
	req.flags &^= REQ_F_REFCOUNT
	req.flags |= REQ_F_CQE_SKIP
	req.twFunc = reqTaskComplete
	reqTaskWorkAdd(t, req, 0)
}

// reqFindNext detaches a finished request's link successor, failing the
// chain first if the request failed a soft link.
// Linux: io_uring/io_uring.c:io_req_find_next()
func (ctx *Ctx) reqFindNext(t *sim.Thread, req *Req) *Req {
	if req.flags&IO_DISARM_MASK != 0 {
		ctx.completionLock.Lock(t)
		ctx.disarmNext(t, req)
		ctx.completionLock.Unlock(t)
	}
	nxt := req.link
	req.link = nil
	return nxt
}

// iowqOwner is the task whose io-wq a registration acts on: the caller's,
// or on an SQPOLL ring the SQ thread's, parked until unpark is called.
// Linux: io_uring/register.c:io_register_iowq_max_workers(), __io_register_iowq_aff()
func (ctx *Ctx) iowqOwner(task *Task) (tctx *Tctx, unpark func()) {
	sqd := ctx.sqData
	if sqd == nil {
		return task.ioUring, func() {}
	}
	t := task.Thread
	sqd.Park(t)
	if st, ok := sqd.Task().(*sqTask); ok && sqd.Thread() != nil {
		tctx = st.task.ioUring
	}
	return tctx, func() { sqd.Unpark(t) }
}

// registerIOWQMaxWorkers sets the bound and unbound worker limits (0
// keeps one) for the caller's io-wq and every other task's on this ring,
// and returns the old values through arg.
// Linux: io_uring/register.c:io_register_iowq_max_workers()
func (ctx *Ctx) registerIOWQMaxWorkers(task *Task, arg uint64) int {
	t := task.Thread
	var b [8]byte
	if task.Proc.MM.CopyFromUser(b[:], arg) != 0 {
		return -EFAULT
	}
	newCount := [2]uint32{binary.LittleEndian.Uint32(b[:]), binary.LittleEndian.Uint32(b[4:])}
	for _, n := range newCount {
		if n > math.MaxInt32 {
			return -EINVAL
		}
	}
	tctx, unpark := ctx.iowqOwner(task)
	defer unpark()
	for i, n := range newCount {
		if n != 0 {
			ctx.iowqLimits[i] = n
		}
	}
	ctx.iowqLimitsSet = true
	if tctx != nil && tctx.ioWQ != nil {
		if ret := tctx.ioWQ.MaxWorkers(t, &newCount); ret != 0 {
			return ret
		}
	} else {
		newCount = [2]uint32{}
	}
	binary.LittleEndian.PutUint32(b[:], newCount[0])
	binary.LittleEndian.PutUint32(b[4:], newCount[1])
	if task.Proc.MM.CopyToUser(arg, b[:]) != 0 {
		return -EFAULT
	}
	if ctx.sqData != nil {
		return 0 // only the SQ thread creates requests
	}
	for _, tc := range ctx.tctxList {
		if tc.ioWQ != nil {
			limits := ctx.iowqLimits
			tc.ioWQ.MaxWorkers(t, &limits)
		}
	}
	return 0
}

// registerIOWQAff sets (or, with a zero arg, resets) the CPU mask of the
// caller's io-wq workers.
// Linux: io_uring/register.c:io_register_iowq_aff(), io-wq.c:io_wq_cpu_affinity()
func (ctx *Ctx) registerIOWQAff(task *Task, arg uint64, length uint32) int {
	tctx, unpark := ctx.iowqOwner(task)
	defer unpark()
	var mask []byte
	if arg != 0 {
		length = min(length, cpumaskSize)
		mask = make([]byte, length)
		if task.Proc.MM.CopyFromUser(mask, arg) != 0 {
			return -EFAULT
		}
		// cpumask operations look at nr_cpu_ids bits only.
		for cpu := simCPUs; cpu < 8*len(mask); cpu++ {
			mask[cpu/8] &^= 1 << (cpu % 8)
		}
	}
	if tctx == nil || tctx.ioWQ == nil {
		return -EINVAL
	}
	return tctx.ioWQ.SetAffinity(task.Thread, mask)
}

// cpumaskSize is cpumask_size() on the simulated machine: one long.
const cpumaskSize = 8

// fileGetFlags are the request flags a file implies: a regular file (one
// whose size can be set) and nonblocking support.
// Linux: io_uring/io_uring.c:io_file_get_flags()
func fileGetFlags(f *vfs.File) uint64 {
	var res uint64
	if _, ok := f.Op.(vfs.Truncater); ok {
		res |= REQ_F_ISREG
	}
	if f.Flags&unix.O_NONBLOCK != 0 || f.FMode&vfs.FMODE_NOWAIT != 0 {
		res |= REQ_F_SUPPORT_NOWAIT
	}
	return res
}
