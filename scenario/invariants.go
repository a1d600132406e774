package scenario

import (
	"github.com/uringsim/uringsim/ringcheck"
	"github.com/uringsim/uringsim/sim"
)

// The global invariants. Unless RunOptions.SkipInvariants, every ring a
// scenario creates is watched by a ringcheck stream (its published SQEs,
// the CQEs the runner consumes, the CQ head and tail), on both backends.
// A violation fails the run at the command that showed it, like a wrong
// expectation. A ring the scenario pokes is no longer checked (the kernel
// then reads words the program did not publish), nor one it closes. At
// the end of a run that passed, on the deterministic simulator, every
// open ring must hold in the kernel at least as many completions as it
// has SQEs without a CQE (none lost), and the kernel must have counted no
// invariant violation (WARN_ON_ONCE without -tags invariants).

// watch starts checking rs.
func (x *runner) watch(rs *ringState) {
	if x.opt.SkipInvariants {
		return
	}
	if x.inv == nil {
		x.inv = ringcheck.New()
	}
	rs.check = x.inv.Watch(rs.name, rs.r)
}

// unwatch stops checking rs.
func (x *runner) unwatch(rs *ringState) {
	if rs.check != nil {
		rs.check.Off()
		rs.r.SetObserver(nil)
	}
}

// allowTags lets the ring post a CQE for each resource tag (a non-zero
// tag's CQE comes when its node is freed, io_rsrc_put_tag), which no SQE
// submitted.
func (x *runner) allowTags(rs *ringState, tags []uint64) {
	if rs.check == nil {
		return
	}
	for _, tag := range tags {
		if tag != 0 {
			rs.check.Allow(tag)
		}
	}
}

// invariantFailure is the first violation so far, as a failure.
func (x *runner) invariantFailure() *failure {
	if x.inv == nil {
		return nil
	}
	if err := x.inv.Err(); err != nil {
		return failf(0, "%v", err)
	}
	return nil
}

// finishInvariants checks what only the end of a run shows.
func (x *runner) finishInvariants() *failure {
	if x.opt.SkipInvariants || x.m == nil {
		return nil
	}
	if n := x.m.Kernel().Warnings(); n > 0 {
		return failf(0, "kernel invariant violated (WARN_ON_ONCE) %d times", n)
	}
	if x.opt.Mode != sim.Deterministic {
		return nil // other threads run: the counts would race
	}
	for _, name := range x.ringOrder {
		rs := x.rings[name]
		if rs.check == nil || rs.closed {
			continue
		}
		rs.check.End()
	}
	return x.invariantFailure()
}
