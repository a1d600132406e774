package kernel

import (
	"encoding/binary"
	"sync/atomic"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// IoFutex is the request state of IORING_OP_FUTEX_WAIT, FUTEX_WAKE and
// FUTEX_WAITV (struct io_futex), filled by their preps: the word (or the
// futex_waitv array) at Uaddr, the value and bitset mask, the futex core
// flags, and for WAITV the count of the vector.
// Linux: io_uring/futex.c:struct io_futex
type IoFutex struct {
	Uaddr    uint64
	Val      uint64
	Mask     uint64
	Flags    uint32 // FLAGS_*, from futex2_to_flags
	Nr       uint32
	owned    atomic.Uint32 // futexv_owned: bit 0 claims the completion
	unqueued bool          // futexv_unqueued
}

// futexData is a FUTEX_WAIT's queued waiter (struct io_futex_data).
// Linux: io_uring/futex.c:struct io_futex_data
type futexData struct {
	q   FutexQ
	req *Req
}

// futexVector is one word of a FUTEX_WAITV (struct futex_vector: the
// user's futex_waitv and its waiter).
// Linux: kernel/futex/futex.h:struct futex_vector
type futexVector struct {
	val   uint64
	uaddr uint64
	flags uint32
	q     FutexQ
}

// futexWaitvSize is sizeof(struct futex_waitv): u64 val, u64 uaddr,
// u32 flags, u32 __reserved.
const futexWaitvSize = 24

// FutexvPrep reads the nr futex_waitv entries at uaddr into the request
// (futex_parse_waitv): -EFAULT when they cannot be read, -EINVAL for an
// unknown flag, a nonzero __reserved, an unsupported size or a value that
// does not fit the word.
// Linux: io_uring/futex.c:io_futexv_prep(), kernel/futex/syscalls.c:futex_parse_waitv()
func FutexvPrep(req *Req, uaddr uint64, nr uint32) int {
	iof := Cmd[IoFutex](req)
	iof.Uaddr, iof.Nr = uaddr, nr
	if nr == 0 || nr > FUTEX_WAITV_MAX {
		return -EINVAL
	}
	vs := make([]futexVector, nr)
	var aux [futexWaitvSize]byte
	as := req.task.Proc.MM
	for i := range vs {
		if as.CopyFromUser(aux[:], uaddr+uint64(i)*futexWaitvSize) != 0 {
			return -EFAULT
		}
		val := binary.LittleEndian.Uint64(aux[0:])
		flags2 := binary.LittleEndian.Uint32(aux[16:])
		if flags2&^FUTEX2_VALID_MASK != 0 || binary.LittleEndian.Uint32(aux[20:]) != 0 {
			return -EINVAL
		}
		flags := Futex2ToFlags(flags2)
		if !FutexFlagsValid(flags) || !FutexValidateInput(flags, val) {
			return -EINVAL
		}
		v := &vs[i]
		v.val, v.uaddr, v.flags = val, binary.LittleEndian.Uint64(aux[8:]), flags
		v.q = FutexQ{Bitset: FUTEX_BITSET_MATCH_ANY, Wake: futexWakevFn, Private: req}
	}
	trackInflight(req) // so that the task's exit cancels it
	iof.owned.Store(0)
	iof.unqueued = false
	req.flags |= REQ_F_ASYNC_DATA
	req.asyncData = vs
	return 0
}

// futexvClaim takes the right to complete a FUTEX_WAITV: the first of a
// wakeup and a cancel wins.
// Linux: io_uring/futex.c:io_futexv_claim()
func futexvClaim(iof *IoFutex) bool {
	return iof.owned.Load()&1 == 0 && iof.owned.Swap(1)&1 == 0
}

// futexWakeFn is a FUTEX_WAIT's q->wake: the waiter leaves the chain and
// the request completes with 0 from task_work.
// Linux: io_uring/futex.c:io_futex_wake_fn()
func futexWakeFn(t *sim.Thread, q *FutexQ) {
	req := q.Private.(*futexData).req
	q.wakeMark()
	req.cqe.res, req.cqe.flags = 0, 0
	req.twFunc = futexComplete
	reqTaskWorkAdd(t, req, 0)
}

// futexWakevFn is the q->wake of each word of a FUTEX_WAITV: the first
// word woken claims the request, which completes with that word's index
// (found by futexv_complete's unqueue) from task_work; a word woken after
// that stays queued until then.
// Linux: io_uring/futex.c:io_futex_wakev_fn()
func futexWakevFn(t *sim.Thread, q *FutexQ) {
	req := q.Private.(*Req)
	if !futexvClaim(Cmd[IoFutex](req)) {
		return
	}
	q.wakeMark()
	req.cqe.res, req.cqe.flags = 0, 0
	req.twFunc = futexvComplete
	reqTaskWorkAdd(t, req, 0)
}

// futexCompleteCommon takes req off the ring's futex list and completes
// it (with uringLock held, in task_work).
// Linux: io_uring/futex.c:__io_futex_complete()
func futexCompleteCommon(t *sim.Thread, req *Req) {
	req.asyncData = nil
	req.ctx.futexListDel(req)
	reqTaskComplete(t, req)
}

// futexComplete is the task_work of a woken or cancelled FUTEX_WAIT.
// Linux: io_uring/futex.c:io_futex_complete()
func futexComplete(t *sim.Thread, req *Req) { futexCompleteCommon(t, req) }

// futexvComplete is the task_work of a FUTEX_WAITV: every word still
// queued is taken off; the result is the index of the last word a wakeup
// had already taken off (futex_unqueue_multiple), or what the waker or
// canceller set.
// Linux: io_uring/futex.c:io_futexv_complete()
func futexvComplete(t *sim.Thread, req *Req) {
	iof := Cmd[IoFutex](req)
	if !iof.unqueued {
		vs, _ := req.asyncData.([]futexVector)
		if res := req.ctx.k.futexUnqueueMultiple(t, vs); res != -1 {
			req.cqe.res, req.cqe.flags = int32(res), 0
		}
	}
	req.flags &^= REQ_F_ASYNC_DATA
	futexCompleteCommon(t, req)
}

// futexUnqueueMultiple takes every waiter of vs off its chain and returns
// the index of the last one that was already off (woken), or -1.
// Linux: kernel/futex/waitwake.c:futex_unqueue_multiple()
func (k *Kernel) futexUnqueueMultiple(t *sim.Thread, vs []futexVector) int {
	ret := -1
	for i := range vs {
		if !k.FutexUnqueue(t, &vs[i].q) {
			ret = i
		}
	}
	return ret
}

// FutexWaitIssue is IORING_OP_FUTEX_WAIT: with the word holding the
// value, the request waits on the futex hash (the same one the futex(2)
// system call uses) and completes with 0 when woken; -EAGAIN when the
// word holds something else, -EINVAL for a zero mask, -EFAULT for an
// unreadable word.
// Linux: io_uring/futex.c:io_futex_wait()
func FutexWaitIssue(t *sim.Thread, req *Req, issueFlags uint32) int {
	iof := Cmd[IoFutex](req)
	ctx := req.ctx
	if iof.Mask == 0 {
		reqSetFail(req)
		req.cqe.res, req.cqe.flags = int32(-EINVAL), 0
		return IOU_COMPLETE
	}
	ctx.ringSubmitLock(t, issueFlags)
	ifd := &futexData{req: req}
	ifd.q = FutexQ{Bitset: uint32(iof.Mask), Wake: futexWakeFn, Private: ifd}
	req.asyncData = ifd
	// On the list before the waiter can be woken: the wakeup's task_work
	// takes it off (under uringLock, which is held here).
	ctx.futexList = append(ctx.futexList, req)
	ret := ctx.k.FutexQueue(t, req.task.Proc, iof.Uaddr, iof.Flags, uint64(uint32(iof.Val)), &ifd.q)
	if ret == 0 {
		ctx.ringSubmitUnlock(t, issueFlags)
		return IOU_ISSUE_SKIP_COMPLETE
	}
	ctx.futexListDel(req)
	ctx.ringSubmitUnlock(t, issueFlags)
	req.asyncData = nil
	reqSetFail(req)
	req.cqe.res, req.cqe.flags = int32(ret), 0
	return IOU_COMPLETE
}

// FutexWaitvIssue is IORING_OP_FUTEX_WAITV: every word is checked and
// queued; the request completes with the index of the word woken. A word
// that holds another value fails it with -EAGAIN (-EFAULT for an
// unreadable one), its other words taken off again.
// Differs from Linux: the words are checked and queued under one lock
// (the single futex hash lock), so no wakeup can come between two of them
// and futex_wait_multiple_setup's "woken while setting up" result (1) does
// not occur.
// Linux: io_uring/futex.c:io_futexv_wait(), kernel/futex/waitwake.c:futex_wait_multiple_setup()
func FutexWaitvIssue(t *sim.Thread, req *Req, issueFlags uint32) int {
	ctx := req.ctx
	vs, _ := req.asyncData.([]futexVector)
	ctx.ringSubmitLock(t, issueFlags)
	ret := ctx.k.futexQueueMultiple(t, req.task.Proc, vs)
	if ret < 0 {
		ctx.ringSubmitUnlock(t, issueFlags)
		reqSetFail(req)
		req.cqe.res, req.cqe.flags = int32(ret), 0
		req.asyncData = nil
		req.flags &^= REQ_F_ASYNC_DATA
		return IOU_COMPLETE
	}
	ctx.futexList = append(ctx.futexList, req)
	ctx.ringSubmitUnlock(t, issueFlags)
	return IOU_ISSUE_SKIP_COMPLETE
}

// FutexWakeIssue is IORING_OP_FUTEX_WAKE: futex_wake with FLAGS_STRICT
// (asking for 0 wakes none) of up to Val waiters whose bitset meets Mask;
// the result is how many were woken.
// Linux: io_uring/futex.c:io_futex_wake()
func FutexWakeIssue(t *sim.Thread, req *Req, issueFlags uint32) int {
	iof := Cmd[IoFutex](req)
	ret := req.ctx.k.FutexWake(t, req.task.Proc, iof.Uaddr, FLAGS_STRICT|iof.Flags, int(int32(uint32(iof.Val))), uint32(iof.Mask))
	if ret < 0 {
		reqSetFail(req)
	}
	req.cqe.res, req.cqe.flags = int32(ret), 0
	return IOU_COMPLETE
}

// futexListDel takes req off the ring's futex list (hlist_del_init of
// req->hash_node); a request not on it is left alone.
func (ctx *Ctx) futexListDel(req *Req) {
	for i, r := range ctx.futexList {
		if r == req {
			ctx.futexList = append(ctx.futexList[:i:i], ctx.futexList[i+1:]...)
			return
		}
	}
}

// futexCancelReq cancels one futex request unless a wakeup got there
// first: its task_work completes it with -ECANCELED.
// Linux: io_uring/futex.c:__io_futex_cancel()
func (ctx *Ctx) futexCancelReq(t *sim.Thread, req *Req) bool {
	if req.opcode == rings.IORING_OP_FUTEX_WAIT {
		ifd, _ := req.asyncData.(*futexData)
		if ifd == nil || !ctx.k.FutexUnqueue(t, &ifd.q) {
			return false
		}
		req.twFunc = futexComplete
	} else {
		if !futexvClaim(Cmd[IoFutex](req)) {
			return false
		}
		req.twFunc = futexvComplete
	}
	ctx.futexListDel(req)
	req.cqe.res, req.cqe.flags = int32(-ECANCELED), 0
	reqTaskWorkAdd(t, req, 0)
	return true
}

// futexCancel cancels the futex waits cd matches, newest first (the list
// is an hlist with new requests at its head): the number cancelled, or
// -ENOENT.
// Linux: io_uring/futex.c:io_futex_cancel(), io_uring/cancel.c:io_cancel_remove()
func (ctx *Ctx) futexCancel(t *sim.Thread, cd *cancelData, issueFlags uint32) int {
	ctx.ringSubmitLock(t, issueFlags)
	defer ctx.ringSubmitUnlock(t, issueFlags)
	nr := 0
	for i := len(ctx.futexList) - 1; i >= 0; i-- {
		if i >= len(ctx.futexList) {
			continue
		}
		req := ctx.futexList[i]
		if !cancelReqMatch(req, cd) {
			continue
		}
		if ctx.futexCancelReq(t, req) {
			nr++
		}
		if cd.flags&rings.IORING_ASYNC_CANCEL_ALL == 0 {
			break
		}
	}
	if nr == 0 {
		return -ENOENT
	}
	return nr
}

// futexRemoveAll cancels the ring's futex waits of tctx (every one with a
// nil tctx and cancelAll: ring teardown), with uringLock held.
// Linux: io_uring/futex.c:io_futex_remove_all(), io_uring/cancel.c:io_cancel_remove_all()
func (ctx *Ctx) futexRemoveAll(t *sim.Thread, tctx *Tctx, cancelAll bool) bool {
	found := false
	for i := len(ctx.futexList) - 1; i >= 0; i-- {
		if i >= len(ctx.futexList) {
			continue
		}
		req := ctx.futexList[i]
		if !matchTaskSafe(t, req, tctx, cancelAll) {
			continue
		}
		ctx.futexListDel(req)
		ctx.futexCancelReq(t, req)
		found = true
	}
	return found
}
