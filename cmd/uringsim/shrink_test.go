package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/uringsim/uringsim/scenario"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/uring"
)

// TestShrinkTapeModel: on a model program whose failure needs two
// deviations among choices 10..20 (any pick), shrinking a random failing
// tape finds the smallest: picks of 1 at choices 10 and 11 and nothing
// else, and shrinking that gives it back.
func TestShrinkTapeModel(t *testing.T) {
	const n = 60
	run := func(cand []sim.Choice) ([]sim.Choice, bool) {
		// The program makes n choices of 3 options whatever happens.
		g := &guide{picks: cand}
		got := make([]sim.Choice, n)
		hits := 0
		for i := range got {
			got[i] = sim.Choice{Kind: sim.ChooseThread, N: 3, Pick: g.Choose(sim.ChooseThread, 3)}
			if i >= 10 && i <= 20 && got[i].Pick != 0 {
				hits++
			}
		}
		return got, hits >= 2
	}
	rng := sim.RandomWalk(7)
	orig := make([]sim.Choice, n)
	for i := range orig {
		orig[i] = sim.Choice{Kind: sim.ChooseThread, N: 3, Pick: rng.Choose(sim.ChooseThread, 3)}
	}
	if _, ok := run(orig); !ok {
		t.Fatal("the random tape does not fail; pick another seed")
	}
	res := shrinkTape(orig, run, 10_000)
	want := make([]sim.Choice, 12)
	for i := range want {
		want[i] = sim.Choice{Kind: sim.ChooseThread, N: 3}
	}
	want[10].Pick, want[11].Pick = 1, 1
	if !res.complete || !reflect.DeepEqual(res.choices, want) {
		t.Fatalf("shrunk to %v (complete %v), want %v", res.choices, res.complete, want)
	}
	again := shrinkTape(res.choices, run, 10_000)
	if !reflect.DeepEqual(again.choices, res.choices) {
		t.Errorf("shrinking again gives %v", again.choices)
	}
	if cut := shrinkTape(orig, run, 3); cut.complete || deviations(cut.choices) > deviations(orig) {
		t.Errorf("a budget of 3 runs: %+v", cut)
	}
}

// TestReasonClass: two orders of the same CQEs are one failure, a missing
// CQE and a wrong one are two.
func TestReasonClass(t *testing.T) {
	a := reasonClass("expected unordered {ud=1 res=0; ud=2 res=0}, got cqe r ud=2 res=0 flags=0; cqe r ud=1 res=5 flags=0")
	b := reasonClass("expected unordered {ud=1 res=0; ud=2 res=0}, got cqe r ud=1 res=0 flags=0")
	c := reasonClass("expected unordered {ud=1 res=0; ud=2 res=0}, got no CQE")
	if a != b || a == c {
		t.Errorf("classes %q, %q, %q", a, b, c)
	}
	if reasonClass("simulator deadlock at 1.500us after 42 steps") != reasonClass("simulator deadlock at 2.000us after 7 steps") {
		t.Error("a deadlock's time and steps make another class")
	}
}

// TestShrinkMuseum: for two museum switches, the first failing seed's
// run shrinks (replay --shrink) to a tape that still fails the same way,
// is no longer and deviates no more than the run, replays byte-identically
// (trace and output), and shrinks to itself; the narrated trace names the
// preemptions in kernel events.
func TestShrinkMuseum(t *testing.T) {
	for _, c := range []struct {
		bug   string
		event string // a kernel event the narration must show
	}{
		{"UserWaitIgnoresTWASignal", "io_uring_task_add"},
		{"SQPollNoFence", "io_sq_thread_idle"},
	} {
		t.Run(c.bug, func(t *testing.T) {
			file := filepath.Join("..", "..", "testdata", "museum", c.bug+".scn")
			sc, err := scenario.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			bugs, err := uring.ParseBugs(c.bug)
			if err != nil {
				t.Fatal(err)
			}
			var orig scenario.Result
			var seed uint64
			for seed = 1; seed <= 3000; seed++ {
				if orig = scenario.Run(sc, scenario.RunOptions{Seed: seed, SeedSet: true, Bugs: bugs}); orig.Status == scenario.Fail {
					break
				}
			}
			want, ok := classOf(orig)
			if !ok {
				t.Fatalf("no failing seed in 3000")
			}
			dir := t.TempDir()
			tp, tp2 := filepath.Join(dir, "a.tape"), filepath.Join(dir, "b.tape")
			seedArg := "--seed=" + strconv.FormatUint(seed, 10)
			st, out, stderr := cli("replay", "--shrink", seedArg, "--bug="+c.bug, "--tape-out="+tp, file)
			if st != 1 || !strings.Contains(out, "preemption") || !strings.Contains(out, c.event) || !strings.Contains(out, ">> choice") {
				t.Fatalf("replay --shrink: status %d\n%s\n%s", st, out, stderr)
			}
			shrunk, err := readTape(tp)
			if err != nil {
				t.Fatal(err)
			}
			if !shrunk.thenDefault || shrunk.seed != seed || shrunk.bugs != bugs {
				t.Errorf("tape header %+v", shrunk)
			}
			if len(shrunk.choices) > len(orig.Choices) || deviations(shrunk.choices) > deviations(orig.Choices) || deviations(shrunk.choices) == 0 {
				t.Errorf("shrunk %d choices, %d deviations; the run had %d, %d",
					len(shrunk.choices), deviations(shrunk.choices), len(orig.Choices), deviations(orig.Choices))
			}
			// The tape fails the same way, and replays identically.
			ta, tb := filepath.Join(dir, "ta"), filepath.Join(dir, "tb")
			st1, out1, _ := cli("replay", "--tape="+tp, "--trace-out="+ta, file)
			st2, out2, _ := cli("replay", "--tape="+tp, "--trace-out="+tb, file)
			bytesA, _ := os.ReadFile(ta)
			bytesB, _ := os.ReadFile(tb)
			if st1 != 1 || st2 != 1 || out1 != out2 || len(bytesA) == 0 || string(bytesA) != string(bytesB) {
				t.Errorf("two replays of the tape: status %d, %d\n%s\n%s", st1, st2, out1, out2)
			}
			r := scenario.Run(sc, scenario.RunOptions{Seed: seed, SeedSet: true, Bugs: bugs, Strategy: shrunk.strategy()})
			if got, ok := classOf(r); !ok || got != want || !strings.Contains(out1, r.String()) {
				t.Errorf("the tape replays to %s, the run failed with %s", r.String(), orig.String())
			}
			// Stable: shrinking the shrunk tape gives it back.
			if st, out, stderr := cli("replay", "--shrink", "--tape="+tp, "--tape-out="+tp2, file); st != 1 {
				t.Fatalf("shrinking again: status %d\n%s\n%s", st, out, stderr)
			}
			a, _ := os.ReadFile(tp)
			b, _ := os.ReadFile(tp2)
			if string(a) != string(b) {
				t.Errorf("shrinking twice differs:\n%s\n---\n%s", a, b)
			}
		})
	}
}

// TestShrinkUsage: --shrink is replay's, needs a seed or tape and one
// scenario; a passing run has nothing to shrink.
func TestShrinkUsage(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--shrink", "--seed=1", nopScn},
		{"replay", "--shrink", nopScn},
		{"replay", "--shrink", "--seed=1", "../../testdata/museum"},
	} {
		if st, _, stderr := cli(args...); st != 2 || !strings.Contains(stderr, "uringsim") {
			t.Errorf("%v: status %d, stderr %q", args, st, stderr)
		}
	}
	tp := filepath.Join(t.TempDir(), "t")
	if st, out, _ := cli("replay", "--shrink", "--seed=1", "--tape-out="+tp, nopScn); st != 0 || !strings.Contains(out, "nothing to shrink") {
		t.Errorf("a passing run: status %d\n%s", st, out)
	}
	if _, err := os.Stat(tp); err == nil {
		t.Error("a passing run wrote a tape")
	}
}
