package scenario

import (
	"io"
	"strconv"
	"strings"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/uring"
)

// reap takes the next CQE off the ring, waiting up to opt.CQEWait (virtual
// time on the simulator, where a deadlock also ends the wait), prints it and
// records it. ok is false when none came.
//
// On an IORING_SETUP_IOPOLL ring the kernel does not sleep for the
// timeout: GETEVENTS polls and returns at once when nothing is on the
// iopoll list yet (a request still in io-wq), so — as a liburing program
// on such a ring must — the wait is retried in small steps until the
// bound.
func (x *runner) reap(rs *ringState) (CQE, bool) {
	wait := x.opt.CQEWait
	if rs.r.Flags()&rings.IORING_SETUP_IOPOLL != 0 && x.files != nil {
		const steps = 1000
		for range steps {
			if cqe, err := rs.r.WaitCQETimeout(wait / steps); err == nil && cqe != nil {
				return x.take(rs, cqe), true
			}
			x.files.sleep(wait / steps)
		}
		return CQE{}, false
	}
	// A wait may end early with nothing to reap: io_should_wake counts a
	// fired timeout (cq_timeouts) before the timeout's task_work posts its
	// CQE, so io_cqring_wait returns 0 with the CQ empty. A liburing
	// program waits again; so does the runner, once.
	for range 2 {
		if cqe, err := rs.r.WaitCQETimeout(wait); err == nil && cqe != nil {
			return x.take(rs, cqe), true
		}
	}
	return CQE{}, false
}

// take copies cqe, marks it seen, prints and records it.
func (x *runner) take(rs *ringState, cqe *rings.CQE) CQE {
	c := CQE{UD: cqe.UserData, Res: cqe.Res, Flags: cqe.Flags}
	if rs.r.CQESize() == rings.CQE32Size ||
		rs.r.Flags()&rings.IORING_SETUP_CQE_MIXED != 0 && cqe.Flags&rings.IORING_CQE_F_32 != 0 {
		c.Big = uring.BigCQE(cqe).BigCQE
	}
	rs.r.CQESeen(cqe)
	line := FormatCQE(rs.name, c)
	if x.out != io.Discard {
		x.printf("%s", line)
	}
	x.res.CQEs = append(x.res.CQEs, line)
	return c
}

// fill makes at least n CQEs pending on rs, reaping as needed; it returns
// false when fewer came.
func (x *runner) fill(rs *ringState, n int) bool {
	for len(rs.pending) < n {
		c, ok := x.reap(rs)
		if !ok {
			return false
		}
		rs.pending = append(rs.pending, c)
	}
	return true
}

func (x *runner) consume(rs *ringState, n int) { rs.pending = rs.pending[n:] }

func fmtCQEs(ring string, cs []CQE) string {
	if len(cs) == 0 {
		return "no CQE"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = FormatCQE(ring, c)
	}
	return strings.Join(parts, "; ")
}

func (x *runner) cqe(line int, c *CQEExpect) *failure {
	rs, f := x.ringOf(line, c.Ring)
	if f != nil {
		return f
	}
	if !x.fill(rs, 1) {
		return failf(line, "expected %s, got no CQE", c)
	}
	got := rs.pending[0]
	if !c.Match(got) {
		return failf(line, "expected %s, got %s", c, FormatCQE(rs.name, got))
	}
	x.consume(rs, 1)
	return nil
}

func (x *runner) unordered(line int, u *UnorderedBlock) *failure {
	rs, f := x.ringOf(line, u.Ring)
	if f != nil {
		return f
	}
	n := len(u.CQEs)
	full := x.fill(rs, n)
	got := rs.pending[:min(n, len(rs.pending))]
	if !full || !matchSet(u.CQEs, got) {
		return failf(line, "expected unordered {%s}, got %s", expectList(u.CQEs), fmtCQEs(rs.name, got))
	}
	x.consume(rs, n)
	return nil
}

func expectList(es []*CQEExpect) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.fields()
	}
	return strings.Join(parts, "; ")
}

// matchSet reports whether every CQE of got can be matched to a distinct
// expectation of exps (len(got) <= len(exps)): a small bipartite matching
// by backtracking.
func matchSet(exps []*CQEExpect, got []CQE) bool {
	if len(got) > len(exps) {
		return false
	}
	used := make([]bool, len(exps))
	var try func(i int) bool
	try = func(i int) bool {
		if i == len(got) {
			return true
		}
		for j, e := range exps {
			if !used[j] && e.Match(got[i]) {
				used[j] = true
				if try(i + 1) {
					return true
				}
				used[j] = false
			}
		}
		return false
	}
	return try(0)
}

// altLen is the number of CQEs an either alternative consumes.
func altLen(a *Alternative) int {
	n := 0
	for _, it := range a.Items {
		switch it := it.(type) {
		case *CQEExpect:
			n++
		case *UnorderedBlock:
			n += len(it.CQEs)
		}
	}
	return n
}

// altPrefix reports whether got (a prefix of the CQE stream, no longer than
// the alternative) is consistent with alternative a.
func altPrefix(a *Alternative, got []CQE) bool {
	p := 0
	for _, it := range a.Items {
		if p >= len(got) {
			return true
		}
		switch it := it.(type) {
		case *CQEExpect:
			if !it.Match(got[p]) {
				return false
			}
			p++
		case *UnorderedBlock:
			end := min(p+len(it.CQEs), len(got))
			if !matchSet(it.CQEs, got[p:end]) {
				return false
			}
			p = end
		}
	}
	return p >= len(got)
}

// either reaps CQEs one at a time until an alternative matches all of
// them exactly (the first such, in file order), or no alternative can
// match any more.
func (x *runner) either(line int, e *EitherBlock) *failure {
	rs, f := x.ringOf(line, e.Ring)
	if f != nil {
		return f
	}
	for n := 0; ; n++ {
		if n > 0 && !x.fill(rs, n) {
			break
		}
		got := rs.pending[:n]
		viable := false
		for i := range e.Alts {
			a := &e.Alts[i]
			l := altLen(a)
			if l < n || !altPrefix(a, got) {
				continue
			}
			if l == n {
				x.consume(rs, n)
				x.res.Either = append(x.res.Either, i+1)
				x.printf("either %s: alternative %d (line %d) matched", e.Ring, i+1, a.Line)
				return nil
			}
			viable = true
		}
		if !viable {
			break
		}
	}
	lines := make([]string, len(e.Alts))
	for i, a := range e.Alts {
		lines[i] = strconv.Itoa(a.Line)
	}
	return failf(line, "expected one of the alternatives (lines %s), got %s",
		strings.Join(lines, ", "), fmtCQEs(rs.name, rs.pending))
}

// nocqe lets the system settle (a bounded wait for a CQE: virtual time on
// the simulator, real time on the host; it also flushes overflowed CQEs
// and runs deferred task work) and checks that the CQ is empty.
func (x *runner) nocqe(line int, c *NocqeCmd) *failure {
	rs, f := x.ringOf(line, c.Ring)
	if f != nil {
		return f
	}
	if len(rs.pending) > 0 {
		return failf(line, "expected no CQE, got %s", fmtCQEs(rs.name, rs.pending))
	}
	cqe, err := rs.r.WaitCQETimeout(x.opt.Settle)
	if err == nil && cqe != nil {
		got := x.take(rs, cqe)
		return failf(line, "expected no CQE, got %s", FormatCQE(rs.name, got))
	}
	return nil
}
