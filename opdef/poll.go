package opdef

import (
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// pollData is IORING_OP_POLL_ADD's state (struct io_poll's events).
type pollData struct{ events uint32 }

// pollUpdateData is IORING_OP_POLL_REMOVE's state (struct io_poll_update).
type pollUpdateData struct {
	oldUserData    uint64
	newUserData    uint64
	events         uint32
	updateEvents   bool
	updateUserData bool
}

// pollAddPrep: sqe->len holds the flags (only IORING_POLL_ADD_MULTI;
// IORING_POLL_ADD_LEVEL is refused here), poll32_events the events.
// Linux: io_uring/poll.c:io_poll_add_prep()
func pollAddPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.BufIndex != 0 || sqe.Off != 0 || sqe.Addr != 0 {
		return -kernel.EINVAL
	}
	flags := sqe.Len
	if flags&^rings.IORING_POLL_ADD_MULTI != 0 {
		return -kernel.EINVAL
	}
	if flags&rings.IORING_POLL_ADD_MULTI != 0 && kernel.ReqFlags(req)&kernel.REQ_F_CQE_SKIP != 0 {
		return -kernel.EINVAL
	}
	kernel.Cmd[pollData](req).events = kernel.PollParseEvents(sqe.OpFlags, flags)
	return 0
}

// Linux: io_uring/poll.c:io_poll_add()
func pollAdd(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	return kernel.PollAdd(t, req, kernel.Cmd[pollData](req).events, issueFlags)
}

// pollRemovePrep: addr is the target's user_data; len holds
// IORING_POLL_UPDATE_EVENTS / IORING_POLL_UPDATE_USER_DATA (and MULTI for
// the new events); off the new user_data.
// Linux: io_uring/poll.c:io_poll_remove_prep()
func pollRemovePrep(req *kernel.Req, sqe *rings.SQE) int {
	upd := kernel.Cmd[pollUpdateData](req)
	if sqe.BufIndex != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	flags := sqe.Len
	if flags&^(rings.IORING_POLL_UPDATE_EVENTS|rings.IORING_POLL_UPDATE_USER_DATA|rings.IORING_POLL_ADD_MULTI) != 0 {
		return -kernel.EINVAL
	}
	// MULTI is meaningless without an update.
	if flags == rings.IORING_POLL_ADD_MULTI {
		return -kernel.EINVAL
	}
	upd.oldUserData = sqe.Addr
	upd.updateEvents = flags&rings.IORING_POLL_UPDATE_EVENTS != 0
	upd.updateUserData = flags&rings.IORING_POLL_UPDATE_USER_DATA != 0
	upd.newUserData = sqe.Off
	if !upd.updateUserData && upd.newUserData != 0 {
		return -kernel.EINVAL
	}
	if upd.updateEvents {
		upd.events = kernel.PollParseEvents(sqe.OpFlags, flags)
	} else if sqe.OpFlags != 0 {
		return -kernel.EINVAL
	}
	return 0
}

// Linux: io_uring/poll.c:io_poll_remove()
func pollRemove(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	upd := kernel.Cmd[pollUpdateData](req)
	return kernel.PollRemove(t, req, upd.oldUserData, upd.updateEvents, upd.events, upd.updateUserData, upd.newUserData, issueFlags)
}
