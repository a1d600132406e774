package sim_test

import (
	"sync/atomic"
	"testing"

	"github.com/uringsim/uringsim/sim"
)

// TestSchedHooks: a thread's sleep hooks run once around each real sleep,
// not for a Schedule that does not sleep, in both modes.
func TestSchedHooks(t *testing.T) {
	for _, mode := range []sim.Mode{sim.Deterministic, sim.Concurrent} {
		w := sim.NewWorld(sim.Config{Seed: 1, Mode: mode})
		main := w.Main()
		var sleeps, runs int
		var q sim.WaitQueueHead
		var done sim.Completion
		var ready atomic.Bool
		w.Go(main, "worker", func(th *sim.Thread) {
			th.SetSchedHooks(&sim.SchedHooks{
				Sleeping: func(*sim.Thread) { sleeps++ },
				Running:  func(*sim.Thread) { runs++ },
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
		main.Sleep(1000)
		ready.Store(true)
		q.WakeUpAll(main, 0)
		done.Wait(main)
		if sleeps != 1 || runs != 1 {
			t.Errorf("%v: hooks ran %d/%d times, want 1/1", mode, sleeps, runs)
		}
		w.Shutdown()
	}
}
