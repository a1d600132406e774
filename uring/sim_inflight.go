package uring

import "github.com/uringsim/uringsim/kernel"

// SimInFlight reports what the simulated kernel still holds for r that
// will complete to its CQ: requests allocated and not freed, and CQEs in
// its overflow list (kernel.RingInFlight). ok is false on the host and for
// a ring without a file descriptor. It does not yield: call it from the
// program's thread of a deterministic machine, where nothing runs beside.
func (r *Ring) SimInFlight() (reqs, overflow int, ok bool) {
	if r.sim == nil || r.fd < 0 || r.closed {
		return 0, 0, false
	}
	return kernel.RingInFlight(r.sim.task, r.fd)
}
