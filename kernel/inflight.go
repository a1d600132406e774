package kernel

// RingInFlight reports, for the ring at task's fd, how many requests are
// allocated and not yet freed (in flight, or finished and not yet put)
// and how many CQEs wait in its overflow list: what the kernel still
// holds that will complete to the ring's CQ. ok is false when fd is not a
// ring. It takes no lock and does not yield, so that a checker calling it
// does not change the schedule: call it only from the running thread of a
// deterministic world.
func RingInFlight(task *Task, fd int) (reqs, overflow int, ok bool) {
	f := task.Proc.Files.Peek(fd)
	if f == nil {
		return 0, 0, false
	}
	ctx, isRing := f.Private.(*Ctx)
	if !isRing {
		return 0, 0, false
	}
	return int(ctx.nrReqAllocated), ctx.overflowList.len(), true
}
