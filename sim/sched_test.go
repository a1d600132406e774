package sim_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/uringsim/uringsim/sim"
)

func TestDeterminismSameSeed(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 42, 1 << 40} {
		a, ca := runText(t, sim.Config{Seed: seed}, contention)
		b, cb := runText(t, sim.Config{Seed: seed}, contention)
		if a != b {
			t.Fatalf("seed %d: traces differ:\n--- first\n%s\n--- second\n%s", seed, a, b)
		}
		if !slices.Equal(ca, cb) {
			t.Fatalf("seed %d: decision logs differ", seed)
		}
		if len(ca) == 0 {
			t.Fatalf("seed %d: no choice recorded", seed)
		}
		if !strings.Contains(a, " end ") || !strings.Contains(a, "counter=12") {
			t.Fatalf("seed %d: scenario did not finish:\n%s", seed, a)
		}
	}
}

func TestDifferentSeedsDiffer(t *testing.T) {
	seen := map[string]bool{}
	for seed := range uint64(10) {
		tr, _ := runText(t, sim.Config{Seed: seed}, contention)
		seen[tr] = true
	}
	if len(seen) < 2 {
		t.Fatalf("10 seeds gave %d distinct interleavings", len(seen))
	}
}

func TestReplay(t *testing.T) {
	want, log := runText(t, sim.Config{Seed: 7}, contention)
	for _, then := range []sim.Strategy{nil, sim.RandomWalk(99)} {
		got, log2 := runText(t, sim.Config{Seed: 7, Strategy: sim.Replay(log, then)}, contention)
		if got != want {
			t.Fatalf("replay gave a different trace:\n--- want\n%s\n--- got\n%s", want, got)
		}
		if !slices.Equal(log, log2) {
			t.Fatalf("replay recorded a different log")
		}
	}
}

func TestReplayDivergence(t *testing.T) {
	_, log := runText(t, sim.Config{Seed: 7}, contention)
	for _, tamper := range []struct {
		name string
		f    func(c *sim.Choice)
	}{
		{"options", func(c *sim.Choice) { c.N++ }},
		{"kind", func(c *sim.Choice) { c.Kind = sim.ChooseValue }},
		{"pick out of range", func(c *sim.Choice) { c.Pick = c.N }},
	} {
		t.Run(tamper.name, func(t *testing.T) {
			for _, idx := range []int{0, len(log) / 2, len(log) - 1} {
				bad := slices.Clone(log)
				tamper.f(&bad[idx])
				w := sim.NewWorld(sim.Config{Seed: 7, Strategy: sim.Replay(bad, nil)})
				r := catch(func() { contention(w) })
				w.Shutdown()
				d, ok := isDivergence(r)
				if !ok {
					t.Fatalf("index %d: want a ReplayDivergence panic, got %v", idx, r)
				}
				if d.Index != idx {
					t.Fatalf("divergence at %d, want %d: %v", d.Index, idx, d)
				}
			}
		})
	}
}

func TestZeroLogIsCooperative(t *testing.T) {
	// An empty log replayed with then=nil picks option 0 everywhere: the
	// current thread keeps running, so the main thread spawns all its
	// threads before any of them runs.
	w := sim.NewWorld(sim.Config{Strategy: sim.Replay(nil, nil)})
	defer w.Shutdown()
	var order []string
	var done sim.Completion
	for _, name := range []string{"a", "b", "c"} {
		w.Go(w.Main(), name, func(t *sim.Thread) {
			order = append(order, t.Name())
			done.Complete(t)
		})
	}
	order = append(order, "main")
	for range 3 {
		done.Wait(w.Main())
	}
	if got := strings.Join(order, ","); got != "main,a,b,c" {
		t.Fatalf("order %s", got)
	}
}

func TestNoLostWakeup(t *testing.T) {
	// The waker may run anywhere between SetState and Schedule (or before
	// SetState); Schedule must return in every interleaving.
	for seed := range uint64(200) {
		w := sim.NewWorld(sim.Config{Seed: seed, MaxSteps: 10000})
		m := w.Main()
		cond := false
		w.Go(m, "waker", func(t *sim.Thread) {
			t.Yield()
			cond = true
			m.WakeUp(t)
		})
		for {
			m.SetState(sim.TaskInterruptible)
			m.Yield() // the waker may run right here
			if cond {
				break
			}
			m.Schedule()
		}
		m.SetState(sim.TaskRunning)
		if d := w.Deadlock(); d != nil {
			t.Fatalf("seed %d: %v", seed, d)
		}
		w.Shutdown()
	}
}

func TestWakeBetweenSetStateAndSchedule(t *testing.T) {
	w := sim.NewWorld(sim.Config{Strategy: pickLast{}})
	defer w.Shutdown()
	m := w.Main()
	m.SetState(sim.TaskInterruptible)
	woke := false
	var done sim.Completion
	w.Go(m, "waker", func(t *sim.Thread) {
		woke = m.WakeUp(t)
		done.Complete(t)
	})
	// Let the waker run while main is still "about to sleep".
	for !done.Done() {
		w.Main().Yield()
		if w.Steps() > 1000 {
			t.Fatal("waker never ran")
		}
	}
	if m.State() != sim.TaskRunning || !woke {
		t.Fatalf("state %v woke %v", m.State(), woke)
	}
	m.Schedule() // must return at once
	if m.WakeUp(m) {
		t.Fatal("WakeUp of a running thread returned true")
	}
}

func TestThreadPanicPropagates(t *testing.T) {
	for _, mode := range []sim.Mode{sim.Deterministic, sim.Concurrent} {
		t.Run(mode.String(), func(t *testing.T) {
			w := sim.NewWorld(sim.Config{Mode: mode})
			m := w.Main()
			r := catch(func() {
				w.Go(m, "crasher", func(t *sim.Thread) { panic("boom") })
				var c sim.Completion
				c.Wait(m) // never completed: the panic must end this wait
			})
			if r == nil {
				r = catch(w.Shutdown)
			} else {
				w.Shutdown()
			}
			p, ok := r.(*sim.ThreadPanic)
			if !ok {
				t.Fatalf("got %T %v", r, r)
			}
			if p.Thread != "crasher" || p.Value != "boom" || !strings.Contains(p.Error(), "crasher") {
				t.Fatalf("bad panic %+v", p)
			}
		})
	}
}

func TestMutexFIFOAndHeld(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 3})
	defer w.Shutdown()
	m := w.Main()
	var mu sim.Mutex
	mu.Lock(m)
	if !mu.Held() || !mu.HeldBy(m) || mu.Owner() != m {
		t.Fatal("Held after Lock")
	}
	if mu.TryLock(m) {
		t.Fatal("TryLock of a held mutex")
	}
	var order []string
	var done sim.Completion
	for _, name := range []string{"a", "b", "c"} {
		w.Go(m, name, func(t *sim.Thread) {
			mu.Lock(t)
			order = append(order, t.Name())
			mu.Unlock(t)
			done.Complete(t)
		})
	}
	// Let all three queue up behind main.
	for range 50 {
		m.Yield()
	}
	mu.Unlock(m)
	for range 3 {
		done.Wait(m)
	}
	if mu.Held() {
		t.Fatal("held at the end")
	}
	if len(order) != 3 {
		t.Fatalf("order %v", order)
	}
	if r := catch(func() { mu.Unlock(m) }); r == nil {
		t.Fatal("unlock of a free mutex did not panic")
	}
	mu.Lock(m)
	if r := catch(func() { mu.Lock(m) }); r == nil {
		t.Fatal("recursive lock did not panic")
	}
	mu.Unlock(m)
}

func TestPCT(t *testing.T) {
	a, _ := runText(t, sim.Config{Seed: 5, Strategy: sim.PCT(5, 3, 200)}, contention)
	b, _ := runText(t, sim.Config{Seed: 5, Strategy: sim.PCT(5, 3, 200)}, contention)
	if a != b {
		t.Fatal("PCT is not deterministic")
	}
	seen := map[string]bool{}
	for seed := range uint64(10) {
		tr, _ := runText(t, sim.Config{Seed: 5, Strategy: sim.PCT(seed, 3, 200)}, contention)
		seen[tr] = true
	}
	if len(seen) < 2 {
		t.Fatal("PCT seeds gave one interleaving")
	}
}

func TestChooseAndRand(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 11})
	defer w.Shutdown()
	m := w.Main()
	if w.Choose(m, sim.ChooseValue, 1) != 0 || len(w.Choices()) != 0 {
		t.Fatal("n=1 recorded a choice")
	}
	for range 100 {
		if v := w.Choose(m, sim.ChooseValue, 7); v < 0 || v >= 7 {
			t.Fatalf("choice %d", v)
		}
	}
	if len(w.Choices()) != 100 {
		t.Fatalf("%d choices", len(w.Choices()))
	}
	w3 := sim.NewWorld(sim.Config{Seed: 11})
	w4 := sim.NewWorld(sim.Config{Seed: 11})
	defer w3.Shutdown()
	defer w4.Shutdown()
	for range 10 {
		if w3.Rand(w3.Main()) != w4.Rand(w4.Main()) {
			t.Fatal("same seed, different Rand")
		}
	}
}

// pickLast always takes the last option: at a yield point, the thread that
// became runnable most recently preempts the running one.
type pickLast struct{}

func (pickLast) Choose(kind sim.ChoiceKind, n int) int { return n - 1 }

func TestSeedSweep(t *testing.T) {
	// Every interleaving of the contention scenario completes, for random
	// walk and PCT alike.
	for seed := range uint64(300) {
		var s sim.Strategy
		if seed%2 == 1 {
			s = sim.PCT(seed, 1+int(seed%4), 300)
		}
		tr, _ := runText(t, sim.Config{Seed: seed, Strategy: s, MaxSteps: 1_000_000}, contention)
		if !strings.Contains(tr, "end                   counter=12") {
			t.Fatalf("seed %d: bad end:\n%s", seed, tr)
		}
	}
}

func TestStepsCountFastPath(t *testing.T) {
	w := sim.NewWorld(sim.Config{})
	defer w.Shutdown()
	m := w.Main()
	before := w.Steps()
	for range 1000 {
		m.Yield()
	}
	if got := w.Steps() - before; got != 1000 {
		t.Fatalf("Steps advanced by %d", got)
	}
}

func TestMisuse(t *testing.T) {
	w := sim.NewWorld(sim.Config{})
	defer w.Shutdown()
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"Go without parent", func() { w.Go(nil, "x", func(*sim.Thread) {}) }},
		{"SetState(TaskDead)", func() { w.Main().SetState(sim.TaskDead) }},
		{"RandN(0)", func() { w.RandN(w.Main(), 0) }},
		{"strategy out of range", func() {
			w2 := sim.NewWorld(sim.Config{Strategy: badStrategy{}})
			defer w2.Shutdown()
			w2.Choose(w2.Main(), sim.ChooseValue, 3)
		}},
	} {
		if catch(tc.f) == nil {
			t.Errorf("%s did not panic", tc.name)
		}
	}
}

type badStrategy struct{}

func (badStrategy) Choose(kind sim.ChoiceKind, n int) int { return n }
