package sim_test

import (
	"testing"

	"github.com/uringsim/uringsim/sim"
)

// runningSwitches counts the switches away from a thread still
// TASK_RUNNING: only a preemption makes one (a blocking thread has another
// state, an exiting one is dead).
func runningSwitches(events []sim.Event) int {
	n := 0
	for _, e := range events {
		if e.Name != "sched_switch" {
			continue
		}
		for _, f := range e.Fields {
			if f.Key == "prev_state" && f.Str == sim.TaskRunning.String() {
				n++
			}
		}
	}
	return n
}

// TestPreemptionBounded: on the contention workload no run switches away
// from a running thread more than K times (none for K=0, though its free
// choices still vary the interleaving), some runs use their budget, a
// seed gives the same run twice, and the seeds reach many interleavings.
func TestPreemptionBounded(t *testing.T) {
	probe := sim.PreemptionBounded(1, 0, 1)
	runText(t, sim.Config{Seed: 5, Strategy: probe}, contention)
	points := sim.PreemptionPoints(probe)
	if points < 5 {
		t.Fatalf("a run without preemptions met %d preemption points", points)
	}
	if sim.PreemptionPoints(sim.RandomWalk(1)) != -1 {
		t.Fatal("PreemptionPoints of the random walk")
	}
	seen := map[string]bool{}
	used := map[int]bool{}
	for seed := uint64(1); seed <= 60; seed++ {
		for _, k := range []int{0, 1, 2, 3} {
			rec := &sim.Recorder{}
			w := sim.NewWorld(sim.Config{Seed: 5, Strategy: sim.PreemptionBounded(seed, k, points), Sink: rec})
			contention(w)
			w.Shutdown()
			n := runningSwitches(rec.Events)
			if n > k {
				t.Fatalf("seed %d k=%d: %d preemptions", seed, k, n)
			}
			if n == k {
				used[k] = true
			}
			tr, _ := runText(t, sim.Config{Seed: 5, Strategy: sim.PreemptionBounded(seed, k, points)}, contention)
			tr2, _ := runText(t, sim.Config{Seed: 5, Strategy: sim.PreemptionBounded(seed, k, points)}, contention)
			if tr != tr2 {
				t.Fatalf("seed %d k=%d: not deterministic", seed, k)
			}
			seen[tr] = true
		}
	}
	if len(seen) < 20 || !used[1] || !used[2] {
		t.Fatalf("%d interleavings; budgets used in full: %v", len(seen), used)
	}
}

// TestPreemptionAtYield: Go is a yield point of its caller; the budget
// spent at the first preemption point makes a new thread run before main
// goes on, and without budget main goes on (FIFO), whatever the seed.
func TestPreemptionAtYield(t *testing.T) {
	first := func(s sim.Strategy) string {
		rec := &sim.Recorder{}
		w := sim.NewWorld(sim.Config{Seed: 1, Strategy: s, Sink: rec})
		defer w.Shutdown()
		main := w.Main()
		var done sim.Completion
		for _, name := range []string{"x", "y"} {
			w.Go(main, name, func(t *sim.Thread) {
				w.Emit(t, name)
				done.Complete(t)
			})
		}
		w.Emit(main, "main")
		done.Wait(main)
		done.Wait(main)
		for _, e := range rec.Events {
			if e.Name == "x" || e.Name == "y" || e.Name == "main" {
				return e.Name
			}
		}
		return ""
	}
	for seed := uint64(1); seed <= 20; seed++ {
		if got := first(sim.PreemptionBounded(seed, 1, 1)); got != "x" {
			t.Fatalf("seed %d: preempted at the first Go, %s ran first", seed, got)
		}
		if got := first(sim.PreemptionBounded(seed, 0, 1)); got != "main" {
			t.Fatalf("seed %d: preempt:0 preempted (%s ran first)", seed, got)
		}
	}
}
