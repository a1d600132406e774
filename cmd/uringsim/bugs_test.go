package main

import (
	"os"
	"path/filepath"
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
// leaves the linked NOP unrun, which the liveness check reports as a lost
// wakeup naming the idle task t2 and the NOP, user_data 0xa, among its
// queued task_work), the same seed passes without it, and `run
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
		if !lostLinkedNOP(r.Reason) {
			t.Errorf("seed %d: the failure is not the lost wakeup of the linked NOP on t2: %s", seed, r.Reason)
		}
		if r2 := scenario.Run(sc, scenario.RunOptions{Seed: seed, SeedSet: true}); r2.Status != scenario.Pass {
			t.Errorf("seed %d without the bug: %s", seed, r2.String())
		}
		s := strconv.FormatUint(seed, 10)
		if status, out, _ := cli("run", "--seed="+s, "--bug=UserWaitIgnoresTWASignal", file); status != 1 || !strings.Contains(out, "FAIL tw_lost_notification") {
			t.Errorf("run --bug --seed=%s: status %d\n%s", s, status, out)
		}
		// replay shows the whole report: every thread's state and wait
		// reason, and the kernel's facts.
		status, out, _ := cli("replay", "--seed="+s, "--bug=UserWaitIgnoresTWASignal", "--trace-out="+filepath.Join(t.TempDir(), "tr"), file)
		for _, want := range []string{"t2[2]          TASK_INTERRUPTIBLE    sleeping  futex_wait", "main[1]", "ring ctx=2: ",
			"task t2[2]: task_work queued: tctx_task_work for ", "io-wq of t2[2]: bound workers="} {
			if status != 1 || !lostLinkedNOP(out) || !strings.Contains(out, want) {
				t.Errorf("replay --seed=%s: status %d, want %q in\n%s", s, status, want, out)
				break
			}
		}
		return
	}
	t.Fatalf("UserWaitIgnoresTWASignal: no failure in %d seeds", budget)
}

// lostLinkedNOP reports whether a failure is the lost wakeup of
// tw_lost_notification: task t2 sleeps with the linked NOP ud=10 among
// its queued task_work.
func lostLinkedNOP(reason string) bool {
	return strings.Contains(reason, "simulator lost-wakeup") && strings.Contains(reason, "task t2[2] sleeps TASK_INTERRUPTIBLE") &&
		strings.Contains(reason, "user_data=0xa IORING_OP_NOP") && strings.Contains(reason, "TWA_SIGNAL")
}
