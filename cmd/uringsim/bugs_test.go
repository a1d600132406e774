package main

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/uringsim/uringsim/scenario"
	"github.com/uringsim/uringsim/uring"
)

// TestBugsLists: `uringsim bugs` prints every switch with its fix, the
// versions affected and the mechanism, and every name parses.
func TestBugsLists(t *testing.T) {
	status, out, errs := cli("bugs")
	if status != 0 {
		t.Fatalf("status %d, stderr %s", status, errs)
	}
	m := uring.Museum()
	if len(m) < 12 {
		t.Fatalf("museum has %d switches", len(m))
	}
	for _, b := range m {
		if !strings.Contains(out, b.Name+"\n  fixed by: "+b.Fix+"\n  affected: "+b.Affected+"\n") {
			t.Errorf("bugs output lacks %s's header:\n%s", b.Name, out)
		}
		if b.Mechanism == "" || !strings.Contains(out, strings.Fields(b.Mechanism)[0]) {
			t.Errorf("%s: no mechanism", b.Name)
		}
		bugs, err := uring.ParseBugs(strings.ToLower(b.Name))
		if err != nil || !b.On(&bugs) || bugs.String() != b.Name {
			t.Errorf("ParseBugs(%s) = %+v, %v", b.Name, bugs, err)
		}
	}
	all := make([]string, len(m))
	for i, b := range m {
		all[i] = b.Name
	}
	bugs, err := uring.ParseBugs(strings.Join(all, ","))
	if err != nil || bugs.String() != strings.Join(all, ",") {
		t.Errorf("all switches: %q, %v", bugs.String(), err)
	}
}

// TestRunBugUnknown: an unknown --bug name is a usage error.
func TestRunBugUnknown(t *testing.T) {
	status, _, errs := cli("run", "--bug=NoSuchBug", "../../testdata/scenarios/tw_lost_notification.scn")
	if status != 2 || !strings.Contains(errs, "NoSuchBug") {
		t.Fatalf("status %d, stderr %s", status, errs)
	}
}

// TestRunBugBringsBackLostNotification: with UserWaitIgnoresTWASignal the
// regression scenario fails again on some seed (the lost notification
// leaves the linked NOP unrun), the same seed passes without it, and `run
// --bug` on the command line sees the same failure.
func TestRunBugBringsBackLostNotification(t *testing.T) {
	const file = "../../testdata/scenarios/tw_lost_notification.scn"
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse(file, src)
	if err != nil {
		t.Fatal(err)
	}
	bugs := uring.Bugs{UserWaitIgnoresTWASignal: true}
	const budget = 4000
	for seed := uint64(1); seed <= budget; seed++ {
		r := scenario.Run(sc, scenario.RunOptions{Seed: seed, SeedSet: true, Bugs: bugs})
		if r.Status != scenario.Fail {
			continue
		}
		if !strings.Contains(r.Reason, "ud=10") {
			t.Errorf("seed %d: the failure does not concern the linked NOP: %s", seed, r.Reason)
		}
		if r2 := scenario.Run(sc, scenario.RunOptions{Seed: seed, SeedSet: true}); r2.Status != scenario.Pass {
			t.Errorf("seed %d without the bug: %s", seed, r2.String())
		}
		s := strconv.FormatUint(seed, 10)
		if status, out, _ := cli("run", "--seed="+s, "--bug=UserWaitIgnoresTWASignal", file); status != 1 || !strings.Contains(out, "FAIL tw_lost_notification") {
			t.Errorf("run --bug --seed=%s: status %d\n%s", s, status, out)
		}
		return
	}
	t.Fatalf("UserWaitIgnoresTWASignal: no failure in %d seeds", budget)
}
