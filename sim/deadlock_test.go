package sim_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uringsim/uringsim/sim"
)

func TestDeadlockMainInterrupted(t *testing.T) {
	for _, tc := range []struct {
		name    string
		threads func(w *sim.World) // two threads that wait on each other
		want    []string           // substrings of the report
	}{
		{
			name: "task state",
			threads: func(w *sim.World) {
				for _, n := range []string{"alpha", "beta"} {
					w.Go(w.Main(), n, func(t *sim.Thread) {
						t.SetWaitReason("waiting for the other one")
						t.SetState(sim.TaskInterruptible)
						t.Schedule()
					})
				}
			},
			want: []string{"alpha[2]", "beta[3]", "TASK_INTERRUPTIBLE", "waiting for the other one"},
		},
		{
			name: "mutex ABBA",
			threads: func(w *sim.World) {
				var m1, m2 sim.Mutex
				var c1, c2 sim.Completion
				w.Go(w.Main(), "alpha", func(t *sim.Thread) {
					m1.Lock(t)
					c1.Complete(t)
					c2.Wait(t)
					m2.Lock(t)
				})
				w.Go(w.Main(), "beta", func(t *sim.Thread) {
					m2.Lock(t)
					c2.Complete(t)
					c1.Wait(t)
					m1.Lock(t)
				})
			},
			want: []string{"alpha[2]", "beta[3]", "TASK_UNINTERRUPTIBLE", "mutex_lock (owner beta[3])", "mutex_lock (owner alpha[2])"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range uint64(20) {
				w := sim.NewWorld(sim.Config{Seed: seed})
				m := w.Main()
				tc.threads(w)
				var never sim.Completion
				m.SetWaitReason("main waits for nothing")
				if never.WaitInterruptible(m) {
					t.Fatal("completed")
				}
				if !m.SignalPending() {
					t.Fatal("no signal pending after the deadlock")
				}
				d := w.Deadlock()
				if d == nil {
					t.Fatal("no report")
				}
				s := d.String()
				for _, sub := range append(tc.want, "deadlock", "main[1]", "main waits for nothing") {
					if !strings.Contains(s, sub) {
						t.Fatalf("seed %d: report lacks %q:\n%s", seed, sub, s)
					}
				}
				if strings.Contains(s, "hrtimer") {
					t.Fatalf("idle hrtimer thread in report:\n%s", s)
				}
				if len(d.Threads) != 3 {
					t.Fatalf("%d threads in report", len(d.Threads))
				}
				w.Shutdown()
			}
		})
	}
}

func TestDeadlockMainUninterruptiblePanics(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	defer w.Shutdown()
	m := w.Main()
	w.Go(m, "sleeper", func(t *sim.Thread) {
		t.SetState(sim.TaskUninterruptible)
		t.Schedule()
	})
	r := catch(func() {
		var never sim.Completion
		never.Wait(m)
	})
	var d *sim.DeadlockReport
	if !errors.As(asError(r), &d) {
		t.Fatalf("want a *DeadlockReport panic, got %v", r)
	}
	if d.Kind != sim.KindDeadlock || !strings.Contains(d.String(), "sleeper[2]") {
		t.Fatalf("report:\n%v", d)
	}
}

func TestDeadlockDetectedOnOtherThread(t *testing.T) {
	// The last thread to block is not main; main sleeps uninterruptibly:
	// the panic is raised on main's goroutine.
	w := sim.NewWorld(sim.Config{Seed: 1, Strategy: sim.Replay(nil, nil)})
	defer w.Shutdown()
	m := w.Main()
	var c sim.Completion
	w.Go(m, "last", func(t *sim.Thread) {
		t.SetState(sim.TaskUninterruptible)
		t.Schedule()
	})
	r := catch(func() { c.Wait(m) })
	var d *sim.DeadlockReport
	if !errors.As(asError(r), &d) {
		t.Fatalf("got %v", r)
	}
}

func TestTimerPreventsDeadlock(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	defer w.Shutdown()
	m := w.Main()
	var c sim.Completion
	w.AfterFunc(m, time.Hour, func(t *sim.Thread) { c.Complete(t) })
	c.Wait(m)
	if w.Deadlock() != nil || w.Now() != time.Hour {
		t.Fatalf("deadlock %v now %v", w.Deadlock(), w.Now())
	}
}

func TestLivelock(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 1, MaxSteps: 1000})
	defer w.Shutdown()
	m := w.Main()
	// Two threads wake each other forever; main sleeps interruptibly.
	var a, b *sim.Thread
	spin := func(other **sim.Thread) func(t *sim.Thread) {
		return func(t *sim.Thread) {
			for !t.SignalPending() {
				if *other != nil {
					(*other).WakeUp(t)
				}
				t.Yield()
			}
		}
	}
	a = w.Go(m, "ping", spin(&b))
	b = w.Go(m, "pong", spin(&a))
	var never sim.Completion
	if never.WaitInterruptible(m) {
		t.Fatal("completed")
	}
	d := w.Deadlock()
	if d == nil || d.Kind != sim.KindLivelock || !strings.Contains(d.String(), "ping[2]") {
		t.Fatalf("report: %v", d)
	}
	// Main spinning alone past the limit panics.
	w2 := sim.NewWorld(sim.Config{MaxSteps: 100})
	defer w2.Shutdown()
	r := catch(func() {
		for {
			w2.Main().Yield()
		}
	})
	var d2 *sim.DeadlockReport
	if !errors.As(asError(r), &d2) || d2.Kind != sim.KindLivelock {
		t.Fatalf("got %v", r)
	}
}

func TestClearSignalAndCarryOn(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	defer w.Shutdown()
	m := w.Main()
	var c sim.Completion
	if c.WaitInterruptible(m) {
		t.Fatal("completed")
	}
	m.ClearSignal()
	w.Go(m, "late", func(t *sim.Thread) { c.Complete(t) })
	if !c.WaitInterruptible(m) {
		t.Fatal("interrupted again")
	}
	if len(w.Deadlocks()) != 1 {
		t.Fatalf("%d reports", len(w.Deadlocks()))
	}
}
