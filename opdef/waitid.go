package opdef

import (
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// Linux: io_uring/waitid.c:io_waitid_prep()
func waitidPrep(req *kernel.Req, sqe *rings.SQE) int { return kernel.WaitidPrep(req, sqe) }

// Linux: io_uring/waitid.c:io_waitid()
func waitid(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	return kernel.Waitid(t, req, issueFlags)
}
