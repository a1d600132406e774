package sim_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/uringsim/uringsim/sim"
)

// TestSchedHooks: a thread's sleep hooks run once around each real sleep,
// not for a Schedule that does not sleep, in both modes.
func TestSchedHooks(t *testing.T) {
	for _, mode := range []sim.Mode{sim.Deterministic, sim.Concurrent} {
		w := sim.NewWorld(sim.Config{Seed: 1, Mode: mode})
		main := w.Main()
		var sleeps, runs atomic.Int32
		var q sim.WaitQueueHead
		var done sim.Completion
		var ready atomic.Bool
		w.Go(main, "worker", func(th *sim.Thread) {
			th.SetSchedHooks(&sim.SchedHooks{
				Sleeping: func(*sim.Thread) { sleeps.Add(1) },
				Running:  func(*sim.Thread) { runs.Add(1) },
			})
			th.Schedule() // running: no sleep, no hooks
			var e sim.WaitQueueEntry
			for {
				q.PrepareToWait(th, &e, sim.TaskUninterruptible)
				if ready.Load() {
					break
				}
				th.Schedule()
			}
			q.FinishWait(th, &e)
			done.Complete(th)
		})
		// Wake the worker only once it has gone to sleep.
		for sleeps.Load() == 0 {
			main.Sleep(time.Microsecond)
		}
		ready.Store(true)
		q.WakeUpAll(main, 0)
		done.Wait(main)
		if s, r := sleeps.Load(), runs.Load(); s != 1 || r != 1 {
			t.Errorf("%v: hooks ran %d/%d times, want 1/1", mode, s, r)
		}
		w.Shutdown()
	}
}
