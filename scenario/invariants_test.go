package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/uringsim/uringsim/uring"
)

// TestInvariantScenarios: each testdata/invariants/BUG_what.scn passes on
// both backends with the museum switch BUG off, and with it on fails on
// some seed by a violated global invariant, while passing its own
// expectations (it passes with SkipInvariants): the invariant, not an
// expectation, catches the bug.
func TestInvariantScenarios(t *testing.T) {
	dir := filepath.Join("..", "testdata", "invariants")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		name := strings.TrimSuffix(e.Name(), ".scn")
		t.Run(name, func(t *testing.T) {
			sc, err := ParseFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			bug, _, _ := strings.Cut(name, "_")
			bugs, err := uring.ParseBugs(bug)
			if err != nil {
				t.Fatalf("%s: the file name starts with no museum switch: %v", e.Name(), err)
			}
			if r := Run(sc, RunOptions{Backend: BackendKernel}); r.Status == Fail {
				t.Fatalf("host: %s", r.String())
			}
			found := false
			for seed := uint64(1); seed <= 50; seed++ {
				if r := Run(sc, RunOptions{Seed: seed, SeedSet: true}); r.Status != Pass {
					t.Fatalf("switch off, seed %d: %s", seed, r.String())
				}
				r := Run(sc, RunOptions{Seed: seed, SeedSet: true, Bugs: bugs})
				if r.Status == Pass {
					continue
				}
				if !strings.Contains(r.Reason, "invariant violated") {
					t.Fatalf("switch on, seed %d: not an invariant: %s", seed, r.String())
				}
				if r2 := Run(sc, RunOptions{Seed: seed, SeedSet: true, Bugs: bugs, SkipInvariants: true}); r2.Status != Pass {
					t.Fatalf("switch on, seed %d, invariants off: an expectation fails too: %s", seed, r2.String())
				}
				found = true
			}
			if !found {
				t.Fatalf("switch %s on: no seed of 50 violated an invariant", bug)
			}
		})
	}
}

// TestInvariantsAtEnd: a request still in flight when a scenario ends is
// not a lost CQE: the kernel's count of its requests holds it
// (ringcheck.TestWatchLost shows the count catching a lost one).
func TestInvariantsAtEnd(t *testing.T) {
	const prog = `
ring r entries=4
pipe p
mem b size=64
sqe r nop ud=1
sqe r read fd=p.r addr=b len=1 ud=2
submit r expect=2
cqe r ud=1 res=0
`
	sc, err := Parse("end", []byte(prog))
	if err != nil {
		t.Fatal(err)
	}
	// The read is still in flight at the end: the kernel holds it.
	for _, be := range []string{BackendSim, BackendKernel} {
		if r := Run(sc, RunOptions{Backend: be}); r.Status == Fail {
			t.Fatalf("%s: %s", be, r.String())
		}
	}
}
