package uring

import (
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// TestWaitMinTimeout: with min_wait_usec a wait for two CQEs that has one
// returns once the minimum wait has passed, before the second (a timeout
// much later) arrives; without CQEs it goes on to the full timeout, and
// a CQE that arrives after the minimum ends it at once.
func TestWaitMinTimeout(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []cqeRec {
		r := mustNew(t, be, 8, nil)
		defer r.Close()
		mem := mustAlloc(t, be, 4096)
		defer be.Free(mem)
		ts := func(sqe *rings.SQE, d time.Duration, ud uint64) {
			tsp := (*rings.KernelTimespec)(unsafe.Pointer(&mem[0]))
			tsp.TvSec, tsp.TvNsec = int64(d/time.Second), int64(d%time.Second)
			PrepTimeout(sqe, addrOf(mem), 0, 0)
			sqe.UserData = ud
		}
		PrepNop(r.GetSQE())
		ts(r.GetSQE(), 300*time.Millisecond, 2)
		if n, err := r.Submit(); n != 2 || err != nil {
			t.Fatalf("%s: Submit = %d, %v", be.Name(), n, err)
		}
		var out []cqeRec
		if _, err := r.WaitCQEsMinTimeout(2, 2*time.Second, 10*time.Millisecond); err != nil {
			t.Fatalf("%s: wait: %v", be.Name(), err)
		}
		if n := r.CQReady(); n != 1 {
			t.Errorf("%s: %d CQEs after the minimum wait, want 1 (the NOP)", be.Name(), n)
		}
		out = append(out, reapAll(t, r, 1)...)
		// Nothing posted since the wait began: past the minimum the wait
		// goes on until the timeout's CQE.
		if _, err := r.WaitCQEsMinTimeout(2, 2*time.Second, 10*time.Millisecond); err != nil {
			t.Fatalf("%s: second wait: %v", be.Name(), err)
		}
		out = append(out, reapAll(t, r, 1)...)
		// No CQE at all: the timeout (longer than the minimum) ends it.
		_, err := r.WaitCQEsMinTimeout(1, 30*time.Millisecond, 10*time.Millisecond)
		if errnoOfErr(err) != unix.ETIME {
			t.Errorf("%s: empty wait: %v, want ETIME", be.Name(), err)
		}
		return out
	})
}
