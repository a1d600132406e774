package sim_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/uringsim/uringsim/sim"
)

// busyWorld starts threads blocked in every way a thread can be: on a
// mutex, in a wait queue, on a completion, in a timed sleep, runnable, and
// never started.
func busyWorld(w *sim.World) {
	m := w.Main()
	var mu sim.Mutex
	var q sim.WaitQueueHead
	var c sim.Completion
	mu.Lock(m)
	w.Go(m, "mutex-waiter", func(t *sim.Thread) { mu.Lock(t) })
	w.Go(m, "wq-waiter", func(t *sim.Thread) {
		var e sim.WaitQueueEntry
		q.PrepareToWait(t, &e, sim.TaskUninterruptible)
		t.Schedule()
		q.FinishWait(t, &e)
	})
	w.Go(m, "completion-waiter", func(t *sim.Thread) {
		defer mu.Lock(t) // deferred sim calls run while unwinding
		c.Wait(t)
	})
	w.Go(m, "sleeper", func(t *sim.Thread) {
		t.SetState(sim.TaskUninterruptible)
		t.ScheduleTimeout(time.Hour)
	})
	w.Go(m, "spinner", func(t *sim.Thread) {
		for {
			t.Yield()
		}
	})
	w.AfterFunc(m, time.Minute, func(t *sim.Thread) { panic("timer fired after Shutdown") })
	for range 100 {
		m.Yield()
	}
	// With the all-zero strategy this thread never gets to run.
	w.Go(m, "maybe-never-started", func(t *sim.Thread) {
		t.SetState(sim.TaskUninterruptible)
		t.Schedule()
	})
	mu.Unlock(m)
}

func TestShutdownNoLeak(t *testing.T) {
	for _, mode := range []sim.Mode{sim.Deterministic, sim.Concurrent} {
		t.Run(mode.String(), func(t *testing.T) {
			before := settle(runtime.NumGoroutine())
			for seed := range uint64(10) {
				w := sim.NewWorld(sim.Config{Seed: seed, Mode: mode, Strategy: maybePickLast(mode, seed)})
				busyWorld(w)
				w.Shutdown()
				w.Shutdown() // idempotent
				m := w.Main()
				if !m.SignalPending() {
					t.Fatal("main has no signal after Shutdown")
				}
				// The main thread can still use the world.
				var mu sim.Mutex
				mu.Lock(m)
				mu.Unlock(m)
				m.SetState(sim.TaskInterruptible)
				m.Schedule()
				if th := w.Go(m, "late", func(*sim.Thread) { panic("late thread ran") }); th.State() != sim.TaskDead {
					t.Fatal("thread started after Shutdown")
				}
			}
			if after := settle(before); after > before {
				t.Fatalf("goroutines: %d before, %d after\n%s", before, after, stacks())
			}
		})
	}
}

// maybePickLast varies the deterministic strategy: random, always the
// newest runnable thread, or never preempt.
func maybePickLast(mode sim.Mode, seed uint64) sim.Strategy {
	if mode != sim.Deterministic {
		return nil
	}
	switch seed % 3 {
	case 1:
		return pickLast{}
	case 2:
		return sim.Replay(nil, nil)
	}
	return nil
}
