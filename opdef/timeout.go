package opdef

import (
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// Linux: io_uring/timeout.c:io_timeout_prep()
func timeoutPrep(req *kernel.Req, sqe *rings.SQE) int { return kernel.TimeoutPrep(req, sqe, false) }

// Linux: io_uring/timeout.c:io_link_timeout_prep()
func linkTimeoutPrep(req *kernel.Req, sqe *rings.SQE) int {
	return kernel.TimeoutPrep(req, sqe, true)
}

// Linux: io_uring/timeout.c:io_timeout()
func timeout(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	return kernel.Timeout(t, req, issueFlags)
}

// Linux: io_uring/opdef.c:io_no_issue()
func linkTimeout(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	return kernel.LinkTimeoutIssue(t, req, issueFlags)
}

// Linux: io_uring/timeout.c:io_timeout_remove_prep()
func timeoutRemovePrep(req *kernel.Req, sqe *rings.SQE) int {
	return kernel.TimeoutRemovePrep(req, sqe)
}

// Linux: io_uring/timeout.c:io_timeout_remove()
func timeoutRemove(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	return kernel.TimeoutRemove(t, req, issueFlags)
}
