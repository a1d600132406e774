package kernel

import (
	"fmt"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// IssueDef is the hot half of an opcode's definition (struct io_issue_def).
// A nil Prep marks an opcode the simulator does not implement: it fails
// with -EOPNOTSUPP like io_eopnotsupp_prep and the probe reports it
// unsupported.
// Linux: io_uring/opdef.h:struct io_issue_def
type IssueDef struct {
	NeedsFile         bool // needs_file: resolve sqe->fd before issue
	PlugFlag          bool // plug
	Ioprio            bool // ioprio: sqe->ioprio is meaningful
	Iopoll            bool // iopoll: allowed on IORING_SETUP_IOPOLL rings
	IopollQueue       bool
	BufferSelect      bool // buffer_select: IOSQE_BUFFER_SELECT allowed
	HashRegFile       bool
	UnboundNonregFile bool
	Pollin, Pollout   bool
	PollExclusive     bool
	AuditSkip         bool
	Vectored          bool
	AsyncSize         int

	Prep  func(req *Req, sqe *rings.SQE) int
	Issue func(t *sim.Thread, req *Req, issueFlags uint32) int
}

// ColdDef is the cold half (struct io_cold_def).
// Linux: io_uring/opdef.h:struct io_cold_def
type ColdDef struct {
	Name string
	// Cleanup releases what the op holds while REQ_F_NEED_CLEANUP is
	// set; it runs when the request is freed (io_clean_op).
	Cleanup func(t *sim.Thread, req *Req)
	Fail    func(req *Req)
}

// OpTable is the whole opcode table: io_issue_defs and io_cold_defs.
type OpTable struct {
	Issue [rings.IORING_OP_LAST]IssueDef
	Cold  [rings.IORING_OP_LAST]ColdDef
	// SyncMsgRing is io_uring_sync_msg_ring, which msg_ring.c gives
	// register.c: it sends the IORING_OP_MSG_RING message sqe describes
	// from outside any ring (IORING_REGISTER_SEND_MSG_RING). nil: -EINVAL.
	SyncMsgRing func(task *Task, sqe *rings.SQE) int
}

// Supported reports whether op is implemented (io_uring_op_supported).
// Linux: io_uring/opdef.c:io_uring_op_supported()
func (t *OpTable) Supported(op uint8) bool {
	return int(op) < len(t.Issue) && t.Issue[op].Prep != nil
}

// check verifies the table as io_uring_optable_init does: every opcode has
// a name, and an implemented one has an issue handler.
// Linux: io_uring/opdef.c:io_uring_optable_init()
func (t *OpTable) check() {
	for op := range t.Issue {
		if t.Cold[op].Name == "" {
			panic(fmt.Sprintf("kernel: opcode %d has no name", op))
		}
		if t.Issue[op].Prep != nil && t.Issue[op].Issue == nil {
			panic(fmt.Sprintf("kernel: opcode %s has prep but no issue", t.Cold[op].Name))
		}
	}
}

// Name is the op's name as the kernel spells it ("NOP", "READV"), or
// "INVALID" past the last opcode.
// Linux: io_uring/opdef.c:io_uring_get_opcode()
func (t *OpTable) Name(op uint8) string {
	if int(op) >= len(t.Cold) {
		return "INVALID"
	}
	return t.Cold[op].Name
}
