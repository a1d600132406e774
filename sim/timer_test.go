package sim_test

import (
	"slices"
	"testing"
	"time"

	"github.com/uringsim/uringsim/sim"
)

func TestScheduleTimeoutVirtual(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	defer w.Shutdown()
	m := w.Main()
	m.SetState(sim.TaskInterruptible)
	if !m.ScheduleTimeout(10 * time.Second) {
		t.Fatal("did not time out")
	}
	if w.Now() != 10*time.Second {
		t.Fatalf("Now() = %v, want 10s", w.Now())
	}
	if m.State() != sim.TaskRunning {
		t.Fatalf("state %v after timeout", m.State())
	}
	// Woken before the timeout: returns false, clock unchanged.
	w.Go(m, "waker", func(t *sim.Thread) { m.WakeUp(t) })
	m.SetState(sim.TaskInterruptible)
	if m.ScheduleTimeout(time.Hour) {
		t.Fatal("timed out although woken")
	}
	if w.Now() != 10*time.Second {
		t.Fatalf("Now() = %v after an early wakeup", w.Now())
	}
	// Edge cases.
	m.SetState(sim.TaskUninterruptible)
	if !m.ScheduleTimeout(0) || m.State() != sim.TaskRunning {
		t.Fatal("zero timeout")
	}
	if m.ScheduleTimeout(time.Second) { // state is running: no sleep
		t.Fatal("running thread timed out")
	}
	if w.Now() != 10*time.Second {
		t.Fatalf("clock moved: %v", w.Now())
	}
}

func TestTimersFireInExpiryOrder(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 2})
	defer w.Shutdown()
	m := w.Main()
	type fired struct {
		name string
		at   time.Duration
	}
	var got []fired
	var done sim.Completion
	arm := func(name string, d time.Duration) *sim.Timer {
		return w.AfterFunc(m, d, func(t *sim.Thread) {
			if t.Name() != "hrtimer" {
				panic("timer callback not on the hrtimer thread: " + t.Name())
			}
			got = append(got, fired{name, w.Now()})
			done.Complete(t)
		})
	}
	arm("c", 3*time.Millisecond)
	arm("a", 1*time.Millisecond)
	stopped := arm("never", 2*time.Millisecond)
	arm("b", 2*time.Millisecond)
	arm("d", 5*time.Millisecond)
	if !stopped.Pending() || !stopped.Stop(m) {
		t.Fatal("Stop of a pending timer failed")
	}
	if stopped.Stop(m) || stopped.Pending() {
		t.Fatal("second Stop succeeded")
	}
	for range 4 {
		done.Wait(m)
	}
	want := []fired{{"a", time.Millisecond}, {"b", 2 * time.Millisecond}, {"c", 3 * time.Millisecond}, {"d", 5 * time.Millisecond}}
	if !slices.Equal(got, want) {
		t.Fatalf("fired %v, want %v", got, want)
	}
	if w.Now() != 5*time.Millisecond {
		t.Fatalf("Now %v", w.Now())
	}
	// A fired timer cannot be stopped; Reset re-arms it.
	tm := arm("e", time.Millisecond)
	done.Wait(m)
	if tm.Stop(m) {
		t.Fatal("Stop after firing returned true")
	}
	if tm.Reset(m, time.Millisecond) {
		t.Fatal("Reset reported a fired timer pending")
	}
	done.Wait(m)
	if w.Now() != 7*time.Millisecond {
		t.Fatalf("Now %v", w.Now())
	}
}

func TestTimerTieIsAChoice(t *testing.T) {
	// Two timers due at the same instant: which fires first is a
	// recorded ChooseTimerTie choice, and both orders occur over seeds.
	orders := map[string]bool{}
	for seed := range uint64(20) {
		w := sim.NewWorld(sim.Config{Seed: seed})
		m := w.Main()
		var order string
		var done sim.Completion
		for _, name := range []string{"x", "y"} {
			w.AfterFunc(m, time.Second, func(t *sim.Thread) { order += name; done.Complete(t) })
		}
		done.Wait(m)
		done.Wait(m)
		orders[order] = true
		if !slices.ContainsFunc(w.Choices(), func(c sim.Choice) bool { return c.Kind == sim.ChooseTimerTie && c.N == 2 }) {
			t.Fatalf("seed %d: no timer-tie choice in %v", seed, w.Choices())
		}
		w.Shutdown()
	}
	if !orders["xy"] || !orders["yx"] {
		t.Fatalf("orders seen: %v", orders)
	}
}

func TestCompletionWaitTimeout(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 4})
	defer w.Shutdown()
	m := w.Main()
	var c sim.Completion
	if c.WaitTimeout(m, 5*time.Millisecond) {
		t.Fatal("completed without Complete")
	}
	if w.Now() != 5*time.Millisecond {
		t.Fatalf("Now %v", w.Now())
	}
	w.AfterFunc(m, time.Millisecond, func(t *sim.Thread) { c.Complete(t) })
	if !c.WaitTimeout(m, time.Second) {
		t.Fatal("timed out although completed")
	}
	if w.Now() != 6*time.Millisecond {
		t.Fatalf("Now %v", w.Now())
	}
	c.CompleteAll(m)
	for range 3 {
		c.Wait(m)
	}
	if !c.Done() {
		t.Fatal("CompleteAll not sticky")
	}
	c.Reinit()
	if c.Done() {
		t.Fatal("Reinit")
	}
}

func TestSleepIgnoresWakeups(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	defer w.Shutdown()
	m := w.Main()
	w.Go(m, "pest", func(t *sim.Thread) {
		for range 5 {
			m.WakeUp(t)
			t.Sleep(time.Millisecond)
		}
	})
	m.Sleep(10 * time.Millisecond)
	if w.Now() != 10*time.Millisecond {
		t.Fatalf("Now %v", w.Now())
	}
}
