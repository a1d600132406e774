package uring

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// sqeSpec is one NOP-shaped SQE of a matrix case.
type sqeSpec struct {
	flags    uint8  // IOSQE_*
	nopFlags uint32 // IORING_NOP_*
	length   uint32 // injected result with IORING_NOP_INJECT_RESULT
	fd       int32
	opcode   uint8
	bufIndex uint16
}

func (s sqeSpec) String() string {
	var b strings.Builder
	if s.opcode != 0 {
		fmt.Fprintf(&b, "op%d", s.opcode)
	} else {
		b.WriteString("nop")
	}
	if s.flags != 0 {
		fmt.Fprintf(&b, "/f%#x", s.flags)
	}
	if s.nopFlags != 0 {
		fmt.Fprintf(&b, "/n%#x", s.nopFlags)
	}
	if s.nopFlags&rings.IORING_NOP_INJECT_RESULT != 0 {
		fmt.Fprintf(&b, "=%d", int32(s.length))
	}
	return b.String()
}

// negEIO is -EIO as sqe->len carries it.
const negEIO = uint32(1<<32 - int(unix.EIO))

var (
	link          = sqeSpec{flags: rings.IOSQE_IO_LINK}
	hardlink      = sqeSpec{flags: rings.IOSQE_IO_HARDLINK}
	plain         = sqeSpec{}
	fail          = sqeSpec{nopFlags: rings.IORING_NOP_INJECT_RESULT, length: negEIO}
	failLink      = sqeSpec{flags: rings.IOSQE_IO_LINK, nopFlags: rings.IORING_NOP_INJECT_RESULT, length: negEIO}
	skip          = sqeSpec{flags: rings.IOSQE_CQE_SKIP_SUCCESS}
	skipLink      = sqeSpec{flags: rings.IOSQE_CQE_SKIP_SUCCESS | rings.IOSQE_IO_LINK}
	skipFail      = sqeSpec{flags: rings.IOSQE_CQE_SKIP_SUCCESS, nopFlags: rings.IORING_NOP_INJECT_RESULT, length: negEIO}
	drain         = sqeSpec{flags: rings.IOSQE_IO_DRAIN}
	tw            = sqeSpec{nopFlags: rings.IORING_NOP_TW}
	twLink        = sqeSpec{flags: rings.IOSQE_IO_LINK, nopFlags: rings.IORING_NOP_TW}
	badOp         = sqeSpec{opcode: rings.IORING_OP_LAST}
	badOpLink     = sqeSpec{opcode: rings.IORING_OP_LAST, flags: rings.IOSQE_IO_LINK}
	badFlag       = sqeSpec{flags: 1 << 7}
	nopFileBad    = sqeSpec{nopFlags: rings.IORING_NOP_FILE, fd: 9999}
	nopFixedFile  = sqeSpec{nopFlags: rings.IORING_NOP_FIXED_FILE, fd: 0}
	nopFixedBuf   = sqeSpec{nopFlags: rings.IORING_NOP_FIXED_BUFFER}
	fixedFileFlag = sqeSpec{flags: rings.IOSQE_FIXED_FILE}
)

// matrixCases: racy marks cases whose io_uring_enter leaves work on the
// host's io-wq (an open link at the end of a batch goes through
// io_queue_iowq, a drained one through the defer list), so how many CQEs
// are ready when it returns and sq_flags depend on timing; only the submit
// counts and the CQE stream are compared for them.
var matrixCases = []struct {
	name string
	sqes []sqeSpec
	racy bool
}{
	{name: "link ok", sqes: []sqeSpec{link, link, plain}},
	{name: "link fail head", sqes: []sqeSpec{failLink, link, plain, plain}},
	{name: "link fail middle", sqes: []sqeSpec{link, failLink, link, plain, plain}},
	{name: "link fail tail", sqes: []sqeSpec{link, fail, plain}},
	{name: "hardlink fail", sqes: []sqeSpec{{flags: rings.IOSQE_IO_HARDLINK, nopFlags: rings.IORING_NOP_INJECT_RESULT, length: 0xfffffffb}, hardlink, plain}},
	{name: "link open at batch end", sqes: []sqeSpec{plain, link, link}, racy: true},
	{name: "two chains", sqes: []sqeSpec{failLink, plain, failLink, link, plain}},
	{name: "skip success", sqes: []sqeSpec{skip, plain, skip, skipFail, plain}},
	{name: "skip in link", sqes: []sqeSpec{skipLink, skipLink, plain}},
	{name: "skip in failing link", sqes: []sqeSpec{skipLink, {flags: rings.IOSQE_CQE_SKIP_SUCCESS | rings.IOSQE_IO_LINK, nopFlags: rings.IORING_NOP_INJECT_RESULT, length: 0xfffffffb}, skip, plain}},
	{name: "drain", sqes: []sqeSpec{plain, tw, drain, plain}, racy: true},
	{name: "drain first", sqes: []sqeSpec{drain, plain, plain}, racy: true},
	{name: "drain then more", sqes: []sqeSpec{plain, drain, plain, plain}, racy: true},
	{name: "drain in link", sqes: []sqeSpec{link, drain, plain}, racy: true},
	{name: "task work order", sqes: []sqeSpec{tw, plain, tw, plain}},
	{name: "task work link", sqes: []sqeSpec{twLink, twLink, tw, plain}},
	{name: "bad opcode mid batch", sqes: []sqeSpec{plain, badOp, plain}},
	{name: "bad opcode in link", sqes: []sqeSpec{link, badOpLink, plain, plain}},
	{name: "bad opcode ends link", sqes: []sqeSpec{link, link, badOp, plain}},
	{name: "bad flag in link", sqes: []sqeSpec{link, {flags: 1<<7 | rings.IOSQE_IO_LINK}, plain}},
	{name: "bad flag", sqes: []sqeSpec{badFlag, plain}},
	{name: "nop file bad fd", sqes: []sqeSpec{nopFileBad, plain}},
	{name: "nop fixed file", sqes: []sqeSpec{nopFixedFile, plain}},
	{name: "nop fixed buffer", sqes: []sqeSpec{nopFixedBuf, plain}},
	{name: "fixed file flag on nop", sqes: []sqeSpec{fixedFileFlag, plain}},
}

var matrixRings = []uint32{
	0,
	rings.IORING_SETUP_SUBMIT_ALL,
	rings.IORING_SETUP_COOP_TASKRUN | rings.IORING_SETUP_TASKRUN_FLAG,
	rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_DEFER_TASKRUN,
	rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_DEFER_TASKRUN | rings.IORING_SETUP_TASKRUN_FLAG | rings.IORING_SETUP_SUBMIT_ALL,
}

// matrixResult is everything TestNopMatrix observes of one case.
type matrixResult struct {
	Submits      []int
	SubmitErr    unix.Errno
	ReadyAfter   uint32
	SQFlagsAfter uint32
	CQEs         []cqeRec
	WaitErr      unix.Errno
}

// TestNopMatrix: batches of NOPs with links, hard links, CQE skipping,
// drains, task-work completion and invalid SQEs give the same submit
// counts, sq flags and CQE stream on the simulator and on the host.
func TestNopMatrix(t *testing.T) {
	for _, rf := range matrixRings {
		for _, c := range matrixCases {
			t.Run(fmt.Sprintf("%s/%s", rings.FlagNames(rings.FamilySetupFlags, uint64(rf)), c.name), func(t *testing.T) {
				differential(t, func(t *testing.T, be Backend) matrixResult {
					res := runMatrixCase(t, be, rf, c.sqes, c.racy)
					if c.racy {
						// Work left to io-wq completes in whatever order the
						// host's workers finish: only the drain barrier and
						// link order are defined, so check those, then
						// compare the CQEs as a set.
						res.ReadyAfter, res.SQFlagsAfter = 0, 0
						checkOrderConstraints(t, be.Name(), c.sqes, res.CQEs)
						sort.Slice(res.CQEs, func(i, j int) bool { return res.CQEs[i].UserData < res.CQEs[j].UserData })
					}
					return res
				})
			})
		}
	}
}

func runMatrixCase(t *testing.T, be Backend, ringFlags uint32, specs []sqeSpec, racy bool) matrixResult {
	r := mustNew(t, be, 16, &Params{Flags: ringFlags})
	defer r.Close()
	for i, s := range specs {
		sqe := r.GetSQE()
		PrepRW(sqe, s.opcode, -1, 0, s.length, 0)
		if s.nopFlags&(rings.IORING_NOP_FILE|rings.IORING_NOP_FIXED_FILE) != 0 {
			sqe.Fd = s.fd
		}
		sqe.Flags = s.flags
		sqe.OpFlags = s.nopFlags
		sqe.BufIndex = s.bufIndex
		sqe.UserData = uint64(i + 1)
	}
	var res matrixResult
	total := 0
	for total < len(specs) {
		n, err := r.Submit()
		if err != nil {
			res.SubmitErr = errnoOfErr(err)
			break
		}
		res.Submits = append(res.Submits, n)
		if n == 0 {
			break
		}
		total += n
	}
	res.ReadyAfter = r.CQReady()
	res.SQFlagsAfter = r.SQFlags()
	// Work left to the host's io-wq may need a new worker thread, late on
	// a loaded machine: a racy case (where every submitted SQE posts a
	// CQE) waits for all of them, then like the others a short while for
	// any extra (on the simulator the wait is virtual and free).
	for {
		wait := 5 * time.Millisecond
		if racy && len(res.CQEs) < total {
			wait = 10 * time.Second
		}
		cqe, err := r.WaitCQETimeout(wait)
		if err != nil {
			res.WaitErr = errnoOfErr(err)
			break
		}
		res.CQEs = append(res.CQEs, rec(cqe))
		r.CQESeen(cqe)
	}
	return res
}

// checkOrderConstraints checks the CQE orderings the kernel does define:
// every request before a drain request completes before it, every request
// after it completes after it, and the members of one link complete in
// order (ud is the SQE's position + 1).
func checkOrderConstraints(t *testing.T, backend string, specs []sqeSpec, cqes []cqeRec) {
	t.Helper()
	pos := map[uint64]int{}
	for i, c := range cqes {
		pos[c.UserData] = i
	}
	before := func(a, b uint64) {
		pa, oka := pos[a]
		pb, okb := pos[b]
		if oka && okb && pa > pb {
			t.Errorf("%s: CQE %d came after CQE %d: %v", backend, a, b, cqes)
		}
	}
	for i, s := range specs {
		ud := uint64(i + 1)
		if s.flags&rings.IOSQE_IO_DRAIN != 0 {
			for j := range specs {
				if j < i {
					before(uint64(j+1), ud)
				} else if j > i {
					before(ud, uint64(j+1))
				}
			}
		}
		if s.flags&(rings.IOSQE_IO_LINK|rings.IOSQE_IO_HARDLINK) != 0 && i+1 < len(specs) {
			before(ud, ud+1)
		}
	}
}
