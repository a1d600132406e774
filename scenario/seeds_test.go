package scenario

import (
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Seeds of TestCorpusSeeds: make test sweeps the default; make nightly
// passes a larger -corpus.seeds (and may move -corpus.seed0 to cover new
// ground each night).
var (
	corpusSeeds = flag.Int("corpus.seeds", 200, "TestCorpusSeeds: seeds per scenario")
	corpusSeed0 = flag.Uint64("corpus.seed0", 1, "TestCorpusSeeds: first seed")
)

// maxSeedFailures is how many failing seeds of one scenario are reported
// before its sweep stops.
const maxSeedFailures = 3

// replayCommand is the one-line command that reruns sc with seed from the
// repository root.
func replayCommand(sc *Scenario, seed uint64) string {
	p := filepath.ToSlash(sc.Path)
	if i := strings.Index(p, "testdata/scenarios/"); i >= 0 {
		p = p[i:]
	}
	return fmt.Sprintf("go run ./cmd/uringsim run --seed=%d %s", seed, p)
}

// TestCorpusSeeds runs every scenario of the corpus on the deterministic
// simulator under many seeds: each seed is one schedule of the sim threads
// (SQ thread, io-wq workers, the tasks), so an expectation that only one
// interleaving satisfies fails here, deterministically, naming the seed,
// instead of flaking in concurrent mode or on the host. Scenarios run in
// parallel, one seed sweep each.
func TestCorpusSeeds(t *testing.T) {
	scs, bugs := corpusBugs(t)
	n := uint64(*corpusSeeds)
	if testing.Short() {
		n = min(n, 20)
	}
	for _, sc := range scs {
		if _, known := bugs[sc.Name]; known {
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			failures := 0
			for seed := *corpusSeed0; seed < *corpusSeed0+n; seed++ {
				r := Run(sc, RunOptions{Seed: seed, SeedSet: true})
				if r.Status == Fail {
					t.Errorf("seed=%d: %s\n    replay: %s", seed, r.String(), replayCommand(sc, seed))
					if failures++; failures == maxSeedFailures {
						t.Errorf("%s: stopped after %d failing seeds", sc.Name, failures)
						return
					}
				}
			}
		})
	}
}
