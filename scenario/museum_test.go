package scenario

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/uringsim/uringsim/uring"
)

// museumFull makes TestMuseum use every switch's whole seed budget (make
// museum); without it the sweeps are cut short to keep make test fast.
var museumFull = flag.Bool("museum.full", false, "TestMuseum: sweep each museum switch's full seed budget")

// Seeds of TestMuseum without -museum.full: the switch-off sweep, and the
// cap on the search for a failing seed with the switch on.
const (
	museumQuickOff = 20
	museumQuickOn  = 500
)

// museumElsewhere are the switches whose symptom no scenario reaches yet,
// each with the package test that checks it in both directions instead
// (none now: IOWQCheckOutsideLock's scenario punts buffered writes, work
// without IO_WQ_WORK_CONCURRENT, where IOSQE_ASYNC work skipped the
// nr_running check and never reached the window).
var museumElsewhere = map[string]string{}

// TestMuseum checks every switch of the bug museum in both directions on
// its scenario, testdata/museum/NAME.scn: with the switch off the scenario
// passes on every seed of the budget (and at least 1,000); with it on some seed of the budget
// fails, and the failure shows the historical symptom (BugInfo.Symptom).
// The same seed passes with the switch off, so the switch, not the seed,
// makes the failure.
func TestMuseum(t *testing.T) {
	dir := filepath.Join("..", "testdata", "museum")
	museum := uring.Museum()
	names := map[string]bool{}
	for _, b := range museum {
		if museumElsewhere[b.Name] == "" {
			names[b.Name+".scn"] = true
		}
	}
	for name := range museumElsewhere {
		if _, err := uring.ParseBugs(name); err != nil {
			t.Errorf("museumElsewhere: %v", err)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !names[e.Name()] {
			t.Errorf("%s: no museum switch of that name", e.Name())
		}
	}
	for _, b := range museum {
		if museumElsewhere[b.Name] != "" {
			continue
		}
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			sc, err := ParseFile(filepath.Join(dir, b.Name+".scn"))
			if err != nil {
				t.Fatal(err)
			}
			if b.Budget < 1 || b.Budget > 10_000 || b.Symptom == "" {
				t.Fatalf("budget %d, symptom %q: a switch needs a budget of 1 to 10,000 seeds and a symptom", b.Budget, b.Symptom)
			}
			var bugs uring.Bugs
			b.Set(&bugs)
			// Off, every seed of the budget passes, and at least the
			// first thousand (a deterministic switch's budget is 1).
			off, on := max(b.Budget, 1000), b.Budget
			if !*museumFull {
				off, on = min(off, museumQuickOff), min(on, museumQuickOn)
			}
			for seed := uint64(1); seed <= uint64(off); seed++ {
				if r := Run(sc, RunOptions{Seed: seed, SeedSet: true}); r.Status != Pass {
					t.Fatalf("switch off, seed %d: %s", seed, r.String())
				}
			}
			for seed := uint64(1); seed <= uint64(on); seed++ {
				r := Run(sc, RunOptions{Seed: seed, SeedSet: true, Bugs: bugs})
				if r.Status == Pass {
					continue
				}
				if r.Status != Fail || !strings.Contains(r.Reason, b.Symptom) {
					t.Fatalf("switch on, seed %d: not the symptom %q: %s", seed, b.Symptom, r.String())
				}
				if r2 := Run(sc, RunOptions{Seed: seed, SeedSet: true}); r2.Status != Pass {
					t.Fatalf("switch off, seed %d: %s", seed, r2.String())
				}
				t.Logf("found at seed %d of %d", seed, b.Budget)
				return
			}
			if on < b.Budget {
				t.Fatalf("switch on: no failure in the first %d seeds of %d (make museum sweeps them all)", on, b.Budget)
			}
			t.Fatalf("switch on: no failure in %d seeds", b.Budget)
		})
	}
}
