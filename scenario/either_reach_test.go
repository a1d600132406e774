package scenario

import (
	"path/filepath"
	"testing"
)

// raceScenarios are corpus scenarios whose either blocks are races the
// kernel may resolve either way (link timeout vs completion, timeout vs
// count completion, cancel vs completion, …), with the strategy that
// explores them: every alternative must be one the simulator can reach,
// not only allowed.
//
// link_timeout_race needs PCT: in 2,000 seeds the random walk reaches its
// alternatives 1 (the timer wins) and 3 (the timer fires, the read
// completes before the timeout's task_work cancels it: -ENOENT) but never
// 2 (the read's task work runs and disarms the timer before the hrtimer
// thread, woken at the same instant, fires it) nor 4 (the read's disarm
// runs while the timer callback does). Both need the woken task to win a
// long run of scheduling choices, which the uniform random walk does not
// do and PCT's priorities (one change point) do, as do two deviations from
// the schedule without preemptions (delay:2), and a single preemption
// with the other choices free (preempt:1).
// pbuf_commit_early is not a race on the simulator: its second alternative
// is for a loaded host, where an io-wq worker may not run within the
// scenario's wall-clock sleep; in virtual time it always has.
var raceScenarios = []struct{ name, strategy string }{
	{"link_open_end", "random"},
	{"link_timeout_race", "pct:2"},
	{"link_timeout_race", "delay:2"},
	{"link_timeout_race", "preempt:1"},
	{"futex_cancel_race", "random"},
}

// raceSeeds is how many seeds TestEitherAlternativesReached runs each of
// raceScenarios under.
const raceSeeds = 2000

// TestEitherAlternativesReached runs each race scenario under raceSeeds
// seeds: every run passes (each outcome is an alternative the scenario
// allows), and each alternative of each either block matches in at least
// one run, so an alternative the simulator cannot produce shows up as a
// failure instead of as dead text in the scenario.
func TestEitherAlternativesReached(t *testing.T) {
	for _, rs := range raceScenarios {
		name := rs.name
		t.Run(name+"/"+rs.strategy, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "scenarios", name+".scn")
			sc, err := ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var blocks []*EitherBlock
			var lines []int
			for _, c := range sc.Cmds {
				if e, ok := c.Cmd.(*EitherBlock); ok {
					blocks = append(blocks, e)
					lines = append(lines, c.Line)
				}
			}
			if len(blocks) == 0 {
				t.Fatalf("%s has no top-level either block", name)
			}
			seen := make([]map[int]uint64, len(blocks)) // alternative → first seed
			for i := range seen {
				seen[i] = map[int]uint64{}
			}
			spec, err := ParseStrategy(rs.strategy)
			if err != nil {
				t.Fatal(err)
			}
			spec = spec.Resolve(sc, RunOptions{})
			for seed := uint64(1); seed <= raceSeeds; seed++ {
				r := Run(sc, RunOptions{Seed: seed, SeedSet: true, Strategy: spec.New(seed)})
				if r.Status != Pass {
					t.Fatalf("seed=%d: %s\nreplay: go run ./cmd/uringsim replay --seed=%d --strategy=%v %s", seed, r.String(), seed, spec, filepath.Join("testdata", "scenarios", name+".scn"))
				}
				if len(r.Either) != len(blocks) {
					t.Fatalf("seed=%d: %d either blocks ran, the file has %d at top level", seed, len(r.Either), len(blocks))
				}
				for i, alt := range r.Either {
					if _, ok := seen[i][alt]; !ok {
						seen[i][alt] = seed
					}
				}
			}
			for i, b := range blocks {
				for alt := 1; alt <= len(b.Alts); alt++ {
					if s, ok := seen[i][alt]; ok {
						t.Logf("either at line %d: alternative %d (line %d) first at seed %d", lines[i], alt, b.Alts[alt-1].Line, s)
						continue
					}
					t.Errorf("either at line %d: alternative %d (line %d) never matched in %d seeds (seen: %v)",
						lines[i], alt, b.Alts[alt-1].Line, raceSeeds, seen[i])
				}
			}
		})
	}
}
