package uringtest_test

import (
	"testing"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/uring"
	"github.com/uringsim/uringsim/uringtest"
)

// asyncThenInline is the code under test: it submits an IOSQE_ASYNC NOP
// (ud=1, run by an io-wq worker) and a plain NOP (ud=2, completed inline)
// together and returns the user_data in the order the CQEs came.
func asyncThenInline(w *uringtest.World) ([]uint64, error) {
	r, err := w.NewRing(8, nil) // watched: its invariants are checked
	if err != nil {
		return nil, err
	}
	sqe := r.GetSQE()
	uring.PrepNop(sqe)
	sqe.UserData, sqe.Flags = 1, rings.IOSQE_ASYNC
	sqe = r.GetSQE()
	uring.PrepNop(sqe)
	sqe.UserData = 2
	if _, err := r.SubmitAndWait(2); err != nil {
		return nil, err
	}
	var order []uint64
	for range 2 {
		cqe, err := r.WaitCQE()
		if err != nil {
			return nil, err
		}
		order = append(order, cqe.UserData)
		r.CQESeen(cqe)
	}
	return order, nil
}

// A test runs its own io_uring code under 500 schedules. The code must
// not assume which NOP completes first: under some schedules the io-wq
// worker posts before the inline NOP is issued. Had it assumed an order,
// the failing seed's subtest would log the go test line that replays it
// (TestExploreFindsOrderAssumption shows one).
func ExampleRun() {
	var t *testing.T // the test's own, in func TestNops(t *testing.T)
	uringtest.Run(t, uringtest.Options{Seeds: 500}, func(t *testing.T, w *uringtest.World) {
		order, err := asyncThenInline(w)
		if err != nil {
			t.Fatal(err)
		}
		if len(order) != 2 || order[0] == order[1] {
			t.Fatalf("CQEs %v", order)
		}
	})
}
