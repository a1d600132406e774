package kernel

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// IORING_SETUP_IOPOLL: requests whose device completes without an
// interrupt sit on ctx.iopollList until io_do_iopoll finds them finished;
// io_uring_enter with GETEVENTS (or the SQ thread) polls instead of
// sleeping.

// iopollState is the per-ring IOPOLL state (fields of io_ring_ctx).
type iopollState struct {
	list       []*Req // ctx->iopoll_list, in issue order
	multiQueue bool   // ctx->poll_multi_queue: requests on several files
	// hybridPollTime is ctx->hybrid_poll_time: the shortest completion
	// time seen, half of which a hybrid poller sleeps before spinning.
	hybridPollTime time.Duration
	pending        atomic.Int32 // len(list), read locklessly by the SQ thread
}

// iopollReqIssued puts a queued request on the iopoll list: from io-wq
// (IO_URING_F_UNLOCKED) under uringLock, waking an idle SQ thread.
// Linux: io_uring/io_uring.c:io_iopoll_req_issued()
func (ctx *Ctx) iopollReqIssued(t *sim.Thread, req *Req, issueFlags uint32) {
	needsLock := issueFlags&IO_URING_F_UNLOCKED != 0
	if needsLock {
		ctx.uringLock.Lock(t)
	}
	ip := &ctx.iopoll
	if len(ip.list) == 0 {
		ip.multiQueue = false
	} else if !ip.multiQueue && ip.list[len(ip.list)-1].file != req.file {
		ip.multiQueue = true
	}
	if ctx.flags&rings.IORING_SETUP_HYBRID_IOPOLL != 0 {
		req.flags |= REQ_F_HYBRID_IOPOLL
		req.flags &^= REQ_F_IOPOLL_STATE
		req.iopollStart = ctx.world().Now()
	}
	// A request that already completed goes first, so it is reaped at once.
	if req.iopollCompleted.Load() {
		ip.list = append([]*Req{req}, ip.list...)
	} else {
		ip.list = append(ip.list, req)
	}
	ip.pending.Store(int32(len(ip.list)))
	if needsLock {
		if ctx.sqData != nil {
			ctx.sqData.Wake(t)
		}
		ctx.uringLock.Unlock(t)
	}
}

// IOPollPending is !wq_list_empty(&ctx->iopoll_list), read by the SQ
// thread without uringLock.
func (ctx *Ctx) IOPollPending() bool { return ctx.iopoll.pending.Load() != 0 }

// iopollPoll polls the device of one request, hybrid or classic.
// Linux: io_uring/rw.c:io_uring_hybrid_poll(), io_uring_classic_poll()
func (ctx *Ctx) iopollPoll(t *sim.Thread, req *Req, spin bool) int {
	p, ok := req.file.Op.(vfs.Iopoller)
	if !ok {
		return 0
	}
	if req.flags&REQ_F_HYBRID_IOPOLL == 0 {
		return p.Iopoll(t, req.file, req, spin)
	}
	var slept time.Duration
	if req.flags&REQ_F_IOPOLL_STATE == 0 {
		// io_hybrid_iopoll_delay: sleep half the best completion time
		// seen, once per request.
		req.flags |= REQ_F_IOPOLL_STATE
		if ip := &ctx.iopoll; ip.hybridPollTime != math.MaxInt64 && ip.hybridPollTime > 0 {
			slept = ip.hybridPollTime / 2
			t.Sleep(slept)
		}
	}
	ret := p.Iopoll(t, req.file, req, spin)
	runtime := ctx.world().Now() - req.iopollStart - slept
	if ctx.iopoll.hybridPollTime > runtime {
		ctx.iopoll.hybridPollTime = runtime
	}
	return ret
}

// doIopoll polls for completions of the requests on the iopoll list,
// spinning on the first unfinished one unless forceNonspin or several
// devices are involved, then posts the CQEs of the finished requests at
// the head of the list, in list order. Called with uringLock held; returns
// the number of CQEs completed or a negated errno.
// Linux: io_uring/rw.c:io_do_iopoll()
func (ctx *Ctx) doIopoll(t *sim.Thread, forceNonspin bool) int {
	ip := &ctx.iopoll
	spin := !ip.multiQueue && !forceNonspin
	for _, req := range ip.list {
		if req.iopollCompleted.Load() {
			break
		}
		ret := ctx.iopollPoll(t, req, spin)
		if ret < 0 {
			return ret
		}
		if ret > 0 {
			spin = false
		}
		if req.iopollCompleted.Load() {
			break
		}
	}
	n := 0
	for n < len(ip.list) && ip.list[n].iopollCompleted.Load() {
		if req := ip.list[n]; req.flags&(REQ_F_BUFFER_SELECTED|REQ_F_BUFFER_RING) != 0 {
			req.cqe.flags = putKbufs(req, int(req.cqe.res), nil, 1) // io_put_kbuf
		}
		n++
	}
	if n == 0 {
		return 0
	}
	st := &ctx.submitState
	if ctx.k.warnOn(st.complFirst != nil, "io_do_iopoll: completion batch not empty") {
		return 0
	}
	for _, req := range ip.list[:n] {
		ctx.reqCompleteDefer(req)
	}
	clear(ip.list[:n])
	ip.list = append(ip.list[:0], ip.list[n:]...)
	ip.pending.Store(int32(len(ip.list)))
	if w := ctx.world(); w.Tracing() {
		w.Emit(t, "io_do_iopoll", sim.U("ctx", ctx.ID), sim.I("nr_events", int64(n)))
	}
	ctx.submitFlushCompletions(t)
	return n
}

// iopollCheck is GETEVENTS on an IOPOLL ring without SQPOLL: poll until
// minEvents CQEs were completed (any already in the CQ ring end it at
// once), running task work while nothing is on the iopoll list. Called
// with uringLock held.
// Linux: io_uring/io_uring.c:io_iopoll_check()
func (ctx *Ctx) iopollCheck(task *Task, minEvents int) int {
	t := task.Thread
	minEvents = min(minEvents, int(ctx.cqEntries))
	if ctx.flags&rings.IORING_SETUP_DEFER_TASKRUN != 0 && ctx.submitterTask != task {
		return -EEXIST // io_allowed_run_tw
	}
	if check := ctx.checkCQ.Load(); check != 0 {
		if check&ioCheckCQOverflow != 0 {
			ctx.cqringOverflowFlush(t, false) // uringLock is held
		}
		if check&ioCheckCQDropped != 0 {
			return -EBADR
		}
	}
	if ctx.cqringEvents() != 0 {
		return 0
	}
	nrEvents := 0
	for {
		ip := &ctx.iopoll
		if len(ip.list) == 0 || task.taskWorkPending() || ctx.localWorkPending() {
			tail := ctx.cachedCQTail
			if ctx.localWorkPending() {
				ctx.runLocalWorkLocked(task, minEvents, max(IO_LOCAL_TW_DEFAULT_MAX, minEvents))
			}
			if task.taskWorkPending() || len(ip.list) == 0 {
				ctx.uringLock.Unlock(t)
				task.runTaskWork(t)
				ctx.uringLock.Lock(t)
			}
			// Some requests do not go through the iopoll list.
			if tail != ctx.cachedCQTail || len(ip.list) == 0 {
				break
			}
		}
		ret := ctx.doIopoll(t, minEvents == 0)
		if ret < 0 {
			return ret
		}
		if t.SignalPending() {
			return -EINTR
		}
		nrEvents += ret
		if nrEvents >= minEvents {
			break
		}
		if ret == 0 {
			// need_resched: let the io-wq worker that holds the request
			// we wait for get the CPU (and uringLock), and let a moment of
			// virtual time pass so that nothing spins with the clock
			// stopped.
			ctx.uringLock.Unlock(t)
			t.Sleep(time.Microsecond)
			ctx.uringLock.Lock(t)
		}
	}
	return 0
}

// iopollTryReapEvents reaps every polled request, for ring exit.
// Linux: io_uring/io_uring.c:io_iopoll_try_reap_events()
func (ctx *Ctx) iopollTryReapEvents(t *sim.Thread) {
	for len(ctx.iopoll.list) != 0 {
		if ctx.doIopoll(t, false) < 0 {
			return
		}
	}
}

// iopollInit sets the ring's IOPOLL state at setup.
func (ctx *Ctx) iopollInit() {
	ctx.iopoll.hybridPollTime = math.MaxInt64
	ctx.syscallIopoll = ctx.flags&rings.IORING_SETUP_IOPOLL != 0 && ctx.flags&rings.IORING_SETUP_SQPOLL == 0
}
