package sim_test

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/uringsim/uringsim/sim"
)

// sleep sleeps t for d on the world's clock.
func sleep(t *sim.Thread, d time.Duration) {
	t.SetState(sim.TaskUninterruptible)
	t.ScheduleTimeout(d)
}

// contention is the determinism scenario: four workers contend on a mutex,
// push to an llist and wake a consumer through a wait queue, sleep random
// virtual times, and a timer fires in the middle.
func contention(w *sim.World) {
	main := w.Main()
	var (
		mu      sim.Mutex
		wq      sim.WaitQueueHead
		ll      sim.LList
		done    sim.Completion
		counter int
	)
	const workers, rounds = 4, 3
	for i := range workers {
		w.Go(main, fmt.Sprintf("worker-%d", i), func(t *sim.Thread) {
			for j := range rounds {
				mu.Lock(t)
				counter++
				w.Emit(t, "critical", sim.I("counter", int64(counter)), sim.I("req", int64(i)))
				t.Yield()
				mu.Unlock(t)
				ll.Add(t, &sim.LLNode{Item: i*10 + j})
				if wq.HasSleeper(t) {
					wq.WakeUp(t, 1)
				}
				sleep(t, time.Duration(1+w.RandN(t, 5))*time.Microsecond)
			}
			done.Complete(t)
		})
	}
	w.Go(main, "consumer", func(t *sim.Thread) {
		var e sim.WaitQueueEntry
		for got := 0; got < workers*rounds; {
			wq.PrepareToWait(t, &e, sim.TaskInterruptible)
			if ll.Empty() {
				t.SetWaitReason("consumer: llist empty")
				t.Schedule()
			}
			wq.FinishWait(t, &e)
			for n := sim.Reverse(ll.DelAll(t)); n != nil; n = n.Next {
				got++
				w.Emit(t, "consume", sim.I("item", int64(n.Item.(int))))
			}
		}
		done.Complete(t)
	})
	w.AfterFunc(main, 3*time.Microsecond, func(t *sim.Thread) { w.Emit(t, "tick") })
	for range workers + 1 {
		done.Wait(main)
	}
	w.Emit(main, "end", sim.I("counter", int64(counter)))
}

// runText runs scenario in a deterministic world and returns its text
// trace and decision log.
func runText(t testing.TB, cfg sim.Config, scenario func(*sim.World)) (string, []sim.Choice) {
	t.Helper()
	var buf bytes.Buffer
	cfg.Sink = sim.NewTextSink(&buf)
	w := sim.NewWorld(cfg)
	defer w.Shutdown()
	scenario(w)
	if d := w.Deadlock(); d != nil {
		t.Fatalf("unexpected deadlock:\n%v", d)
	}
	return buf.String(), w.Choices()
}

// catch runs f and returns what it panicked with.
func catch(f func()) (r any) {
	defer func() { r = recover() }()
	f()
	return nil
}

// asError turns a panic value into an error (nil if it is not one).
func asError(r any) error {
	err, _ := r.(error)
	return err
}

// isDivergence reports whether r is (or wraps) a *sim.ReplayDivergence.
func isDivergence(r any) (*sim.ReplayDivergence, bool) {
	var d *sim.ReplayDivergence
	ok := errors.As(asError(r), &d)
	return d, ok
}

// settle waits, up to 5 s, for the goroutine count to fall to at most n:
// an ended goroutine leaves the count only when the runtime has run its
// exit, which under -race on a loaded machine can take longer than a
// few milliseconds (seen: TestCarriersGo, one failure in make test).
// A leak stays, so a longer wait only delays its report.
func settle(n int) int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		g := runtime.NumGoroutine()
		if g <= n || time.Now().After(deadline) {
			return g
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// stacks is every goroutine's stack, for a failure that counts them.
func stacks() []byte {
	buf := make([]byte, 1<<16)
	return buf[:runtime.Stack(buf, true)]
}
