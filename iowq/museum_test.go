package iowq

import (
	"testing"
	"time"
)

// m11Run runs rounds of two back-to-back enqueues on a single bound worker
// (the museum's minimal trigger: bound max = 1, the worker finishing A
// while B is enqueued) and returns the lost wakeups the io-wq counted and
// the virtual time the run took.
func m11Run(tb testing.TB, seed uint64, bugs Bugs) (lost int, took time.Duration) {
	e := newEnv(tb, envConfig{seed: seed, bounded: 1, data: Data{Bugs: bugs}, steps: 1_000_000})
	defer e.w.Shutdown()
	for r := range 10 {
		for i := range 2 {
			it := newItem(uint64(r*2+i+1), 0, -1, 0)
			e.wq.Enqueue(e.m, &it.work)
		}
		e.waitAll(2)
		e.m.Sleep(time.Duration(e.w.RandN(e.m, 2)) * time.Nanosecond)
	}
	lost, took = e.wq.Stats().Acct[IO_WQ_ACCT_BOUND].IdleFound, e.w.Now()
	e.finish()
	return lost, took
}

// M11 (87df7fb922d1, "io-wq: fix wakeup race when adding new work"): with
// the museum switch on, some seed in 1000 loses a wakeup (the work waits,
// unserved, for the worker's idle timeout; without that timer it would
// hang for good); with it off, none does.
func TestMuseumM11IOWQCheckOutsideLock(t *testing.T) {
	const seeds = 1000
	found := -1
	for seed := range uint64(seeds) {
		lost, took := m11Run(t, seed, Bugs{IOWQCheckOutsideLock: true})
		if lost > 0 {
			if took < WORKER_IDLE_TIMEOUT {
				t.Fatalf("seed %d: lost wakeup counted but the run took only %v", seed, took)
			}
			found = int(seed)
			break
		}
	}
	if found < 0 {
		t.Fatalf("M11 switch on: no lost wakeup in %d seeds", seeds)
	}
	t.Logf("M11 found at seed %d", found)
	// The failing seed replays.
	if lost, _ := m11Run(t, uint64(found), Bugs{IOWQCheckOutsideLock: true}); lost == 0 {
		t.Fatalf("seed %d did not reproduce", found)
	}
	for seed := range uint64(seeds) {
		if lost, took := m11Run(t, seed, Bugs{}); lost != 0 || took >= WORKER_IDLE_TIMEOUT {
			t.Fatalf("switch off, seed %d: %d lost wakeups, run took %v", seed, lost, took)
		}
	}
}
