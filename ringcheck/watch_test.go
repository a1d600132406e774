package ringcheck

import (
	"strings"
	"testing"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/uring"
)

// TestWatchLost: a watched ring whose CQEs are consumed through the Ring
// passes; one whose CQE disappears behind the checker's back (the program
// stores the CQ head itself, as a kernel that lost it would look) is
// caught at the end by the kernel's count of what it holds, and a CQ
// head stored backwards by the tail check.
func TestWatchLost(t *testing.T) {
	for _, tc := range []struct {
		name string
		reap func(r *uring.Ring)
		want string
	}{
		{"reaped", func(r *uring.Ring) {
			for range 3 {
				cqe, err := r.WaitCQE()
				if err != nil {
					t.Fatal(err)
				}
				r.CQESeen(cqe)
			}
		}, ""},
		{"left in the CQ", func(r *uring.Ring) {}, ""},
		{"lost", func(r *uring.Ring) {
			v := r.View()
			rings.StoreRelease(v.CQHead(), rings.LoadAcquire(v.CQTail()))
		}, "3 submitted SQEs have no CQE yet but the kernel holds only 0 completions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := simRing(t)
			c := New()
			s := c.Watch("r", r)
			prepNops(r, 3)
			if n, err := r.Submit(); n != 3 || err != nil {
				t.Fatalf("submit: %d, %v", n, err)
			}
			tc.reap(r)
			s.End()
			err := c.Err()
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestWatchHeadBack: a CQ head stored backwards is seen at the next
// consumption.
func TestWatchHeadBack(t *testing.T) {
	r := simRing(t)
	c := New()
	c.Watch("r", r)
	prepNops(r, 2)
	if _, err := r.SubmitAndWait(2); err != nil {
		t.Fatal(err)
	}
	cqe, _ := r.PeekCQE()
	r.CQESeen(cqe)
	cqe, _ = r.PeekCQE()
	r.CQESeen(cqe)
	v := r.View()
	rings.StoreRelease(v.CQHead(), 0) // the program rewinds the head
	cqe, _ = r.PeekCQE()
	r.CQESeen(cqe)
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), "the CQ head moved back from 2 to 0") {
		t.Fatalf("got %v", err)
	}
}

// simRing is a four-entry ring on a fresh simulated machine, both closed
// when the test ends.
func simRing(t *testing.T) *uring.Ring {
	m := uring.NewSimMachine(uring.SimConfig{Seed: 1})
	t.Cleanup(m.Close)
	r, err := uring.New(m.Backend(), 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// prepNops queues n NOPs with user_data 1..n.
func prepNops(r *uring.Ring, n int) {
	for ud := range uint64(n) {
		sqe := r.GetSQE()
		uring.PrepNop(sqe)
		sqe.UserData = ud + 1
	}
}
