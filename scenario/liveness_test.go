package scenario

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/uringsim/uringsim/uring"
)

// reportThread is one thread's line of a deadlock or lost-wakeup report:
// name[id], task state, run state, wait reason.
var reportThread = regexp.MustCompile(`(?m)^\s+(\S+\[\d+\])\s+(TASK_\w+)\s+(\w+)\s+(\S.*)$`)

// TestLivenessIOWQLostWakeup: the liveness check's io-wq rule ("io-wq work
// is queued with no worker") fires on a real lost wakeup. With
// IOWQCheckOutsideLock on, some seed of the museum scenario leaves a
// buffered write queued on io-wq while the one bound worker sleeps idle on
// the free list and the program sleeps in io_cqring_wait: the run fails at
// once (virtual time 0, not after the worker's 5 s idle timeout) with a
// lost-wakeup report that names the io-wq, lists every thread with its
// state and wait reason, and states the io-wq's counts and the queued
// request. The same seed passes with the switch off.
func TestLivenessIOWQLostWakeup(t *testing.T) {
	sc, err := ParseFile(filepath.Join("..", "testdata", "museum", "IOWQCheckOutsideLock.scn"))
	if err != nil {
		t.Fatal(err)
	}
	bugs := uring.Bugs{}
	bugs.IOWQ.IOWQCheckOutsideLock = true
	for seed := uint64(1); seed <= 1000; seed++ {
		r := Run(sc, RunOptions{Seed: seed, SeedSet: true, Bugs: bugs})
		if r.Status == Pass {
			continue
		}
		for _, want := range []string{
			"simulator lost-wakeup at 0.000us",
			"no runnable thread, but io-wq of main[1]: 1 bound work item(s) queued, runnable, while 1 free worker(s) sleep and none runs: io_wq_activate_free_worker should have woken one",
		} {
			if r.Status != Fail || !strings.Contains(r.Reason, want) {
				t.Fatalf("seed %d: want %q in the failure, got %s", seed, want, r.String())
			}
		}
		threads := map[string][]string{}
		for _, m := range reportThread.FindAllStringSubmatch(r.Detail, -1) {
			threads[m[1]] = m[2:]
		}
		wantThreads := map[string][]string{
			"main[1]":      {"TASK_INTERRUPTIBLE", "sleeping", "io_cqring_wait"},
			"iou-wrk-1[2]": {"TASK_INTERRUPTIBLE", "sleeping", "io_wq_worker idle"},
		}
		if len(threads) != len(wantThreads) {
			t.Errorf("seed %d: report lists threads %v, want %v:\n%s", seed, threads, wantThreads, r.Detail)
		}
		for name, want := range wantThreads {
			if got := threads[name]; strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("seed %d: thread %s: got %q, want %q:\n%s", seed, name, got, want, r.Detail)
			}
		}
		for _, want := range []string{
			"io-wq of main[1]: bound workers=1 running=0 free=1 queued=1 stalled=false",
			"io-wq bound work: ctx=1 req=",
			" IORING_OP_WRITE",
			"ring ctx=1: 1 live request(s)",
		} {
			if !strings.Contains(r.Detail, want) {
				t.Errorf("seed %d: want %q in the report's facts:\n%s", seed, want, r.Detail)
			}
		}
		if r2 := Run(sc, RunOptions{Seed: seed, SeedSet: true}); r2.Status != Pass {
			t.Errorf("seed %d with the switch off: %s", seed, r2.String())
		}
		t.Logf("seed %d:\n%s\n%s", seed, r.Reason, r.Detail)
		return
	}
	t.Fatal("IOWQCheckOutsideLock: no lost wakeup in 1000 seeds")
}
