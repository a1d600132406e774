package kernel

import (
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// ioPollUnmask are the events a POLL_ADD always reports on top of what it
// asked for.
// Linux: io_uring/poll.c:IO_POLL_UNMASK
const ioPollUnmask = rings.EPOLLERR | rings.EPOLLHUP | rings.EPOLLNVAL | rings.EPOLLRDHUP

// PollParseEvents turns sqe->poll32_events and the POLL_ADD flags into the
// events word: one-shot unless IORING_POLL_ADD_MULTI, edge-triggered
// unless IORING_POLL_ADD_LEVEL.
// Linux: io_uring/poll.c:io_poll_parse_events()
func PollParseEvents(events, flags uint32) uint32 {
	if flags&rings.IORING_POLL_ADD_MULTI == 0 {
		events |= rings.EPOLLONESHOT
	}
	if flags&rings.IORING_POLL_ADD_LEVEL == 0 {
		events |= rings.EPOLLET
	}
	return events&0xffff | ioPollUnmask | events&(rings.EPOLLEXCLUSIVE|rings.EPOLLONESHOT|rings.EPOLLET)
}

// PollAdd arms a user-visible poll (IORING_OP_POLL_ADD) with the parsed
// events: a file ready now completes inline with the mask, otherwise the
// request waits on the file's queue and completes (or, multishot, posts
// CQEs with IORING_CQE_F_MORE) from task_work.
// Linux: io_uring/poll.c:io_poll_add()
func PollAdd(t *sim.Thread, req *Req, events uint32, issueFlags uint32) int {
	ctx := req.ctx
	if req.apoll == nil {
		req.apoll = &asyncPoll{}
	} else {
		req.apoll.doublePoll = nil
	}
	id, userData, opcode := req.ID, req.cqe.userData, req.opcode
	ret, resultMask := ctx.armPollHandlerInner(t, req, events, issueFlags)
	if ret > 0 {
		req.cqe.res, req.cqe.flags = int32(resultMask), 0
		return IOU_COMPLETE
	}
	if ret == 0 {
		if w := ctx.world(); w.Tracing() {
			w.Emit(t, "io_uring_poll_arm", sim.U("ctx", ctx.ID), sim.U("req", id), sim.X("user_data", userData),
				sim.S("opcode", rings.OpName(opcode)), sim.X("mask", uint64(events)), sim.X("events", uint64(events)))
		}
		return IOU_ISSUE_SKIP_COMPLETE
	}
	if ctx.k.Bugs.PollAddNoFail {
		// Before "io_uring: fail links when poll fails": the arming
		// error is posted as the request's result, not as a failure.
		req.cqe.res, req.cqe.flags = int32(ret), 0
		return IOU_COMPLETE
	}
	return ret
}

// pollRemoveAll cancels the ring's armed polls of tctx (every one with a
// nil tctx and cancelAll: ring teardown), walking the cancel table bucket
// by bucket, and reports whether it found any.
// Linux: io_uring/poll.c:io_poll_remove_all(), io_poll_remove_all_table()
func (ctx *Ctx) pollRemoveAll(t *sim.Thread, tctx *Tctx, cancelAll bool) bool {
	found := false
	ctx.cancelTable.each(func(req *Req) {
		if !matchTaskSafe(t, req, tctx, cancelAll) {
			return
		}
		found = true
		if ctx.pollDisarm(t, req) != 0 {
			ctx.pollDelHash(req) // its owner runs: it completes on its own
			return
		}
		reqSetFail(req)
		req.cqe.res, req.cqe.flags = int32(-ECANCELED), 0
		req.twFunc = reqTaskComplete
		reqTaskWorkAdd(t, req, 0)
	})
	return found
}

// pollFind finds a polled request by user_data, the newest of its hash
// bucket first; pollOnly skips internally polled requests (POLL_REMOVE
// finds only POLL_ADDs).
// Linux: io_uring/poll.c:io_poll_find()
func (ctx *Ctx) pollFind(userData uint64, pollOnly bool) *Req {
	if !pollOnly {
		return ctx.cancelTable.find(userData, nil)
	}
	return ctx.cancelTable.find(userData, func(r *Req) bool { return r.opcode == rings.IORING_OP_POLL_ADD })
}

// pollDisarm takes a polled request away from its wakeups, if its owner
// is not already running.
// Linux: io_uring/poll.c:io_poll_disarm()
func (ctx *Ctx) pollDisarm(t *sim.Thread, req *Req) int {
	if req == nil {
		return -ENOENT
	}
	if !pollGetOwnership(req) {
		return -EALREADY
	}
	pollRemoveEntries(t, req)
	ctx.pollDelHash(req)
	return 0
}

// PollRemove cancels or updates the POLL_ADD whose user_data is old
// (IORING_OP_POLL_REMOVE): an update re-arms it with new events and/or a
// new user_data; otherwise it completes with -ECANCELED.
// Linux: io_uring/poll.c:io_poll_remove()
func PollRemove(t *sim.Thread, req *Req, old uint64, updateEvents bool, events uint32, updateUserData bool, newUserData uint64, issueFlags uint32) int {
	ctx := req.ctx
	preq := ctx.pollFind(old, true)
	if ret := ctx.pollDisarm(t, preq); ret != 0 {
		reqSetFail(req)
		return ret
	}
	if !ctx.k.warnOn(preq.opcode != rings.IORING_OP_POLL_ADD, "POLL_REMOVE found a non-POLL_ADD request") &&
		(updateEvents || updateUserData) {
		// Only the event bits change; the behaviour flags stay.
		e := preq.apoll.poll.events
		if updateEvents {
			e = e&^0xffff | events&0xffff | ioPollUnmask
		}
		if updateUserData {
			preq.cqe.userData = newUserData
		}
		if r := PollAdd(t, preq, e, issueFlags&^IO_URING_F_UNLOCKED); r == IOU_ISSUE_SKIP_COMPLETE {
			req.cqe.res, req.cqe.flags = 0, 0
			return IOU_COMPLETE
		} else if r == IOU_COMPLETE {
			// Ready at once: the updated poll completes with its mask.
			preq.twFunc = reqTaskComplete
			reqTaskWorkAdd(t, preq, 0)
			req.cqe.res, req.cqe.flags = 0, 0
			return IOU_COMPLETE
		}
	}
	reqSetFail(preq)
	preq.cqe.res, preq.cqe.flags = int32(-ECANCELED), 0
	preq.twFunc = reqTaskComplete
	reqTaskWorkAdd(t, preq, 0)
	req.cqe.res, req.cqe.flags = 0, 0
	return IOU_COMPLETE
}
