package kernel_test

import (
	"bytes"
	"testing"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/uring"
)

// traceOf runs a program that exercises inline completion, a failing link,
// task_work completion, DEFER_TASKRUN and CQ overflow with its flush, and
// returns the text trace.
func traceOf(t *testing.T, seed uint64) []byte {
	var buf bytes.Buffer
	m := uring.NewSimMachine(uring.SimConfig{Seed: seed, Sink: sim.NewTextSink(&buf)})
	defer m.Close()
	for _, flags := range []uint32{rings.IORING_SETUP_CQSIZE,
		rings.IORING_SETUP_CQSIZE | rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_DEFER_TASKRUN} {
		r, err := uring.New(m.Backend(), 4, &uring.Params{Flags: flags, CQEntries: 4})
		if err != nil {
			t.Fatal(err)
		}
		for i := uint64(1); i <= 6; i++ {
			sqe := r.GetSQE()
			if sqe == nil {
				if _, err := r.Submit(); err != nil {
					t.Fatal(err)
				}
				sqe = r.GetSQE()
			}
			switch i {
			case 2:
				uring.PrepNopResult(sqe, -22)
				sqe.Flags = rings.IOSQE_IO_LINK
			case 4:
				uring.PrepNop(sqe)
				sqe.OpFlags = rings.IORING_NOP_TW
			default:
				uring.PrepNop(sqe)
			}
			sqe.UserData = i
		}
		if _, err := r.SubmitAndWait(1); err != nil {
			t.Fatal(err)
		}
		for n := 0; n < 6; {
			c, err := r.WaitCQETimeout(0)
			if err != nil {
				t.Fatalf("after %d CQEs: %v", n, err)
			}
			r.CQESeen(c)
			n++
		}
		r.Close()
	}
	return buf.Bytes()
}

// TestTraceDeterminism: the same seed gives a byte-identical trace.
func TestTraceDeterminism(t *testing.T) {
	a, b := traceOf(t, 7), traceOf(t, 7)
	if len(a) == 0 {
		t.Fatal("empty trace")
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("traces differ:\n%s\n---\n%s", a, b)
	}
	for _, ev := range []string{"io_uring_create", "io_uring_submit_req", "io_uring_complete",
		"io_uring_cqe_overflow", "io_uring_fail_link", "io_uring_task_add", "io_uring_local_work_run"} {
		if !bytes.Contains(a, []byte(ev)) {
			t.Errorf("trace has no %s event", ev)
		}
	}
}
