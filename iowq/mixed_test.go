package iowq

import (
	"reflect"
	"testing"
	"time"

	"github.com/uringsim/uringsim/sim"
)

// mixedResult is what one run of the mixed program observed.
type mixedResult struct {
	items    []*item
	slow     int // items that waited at least WORKER_IDLE_TIMEOUT to start
	hashOver int
	deadlock *sim.DeadlockReport
	events   []sim.Event
}

// runMixed runs a seeded program of enqueues (bound, unbound, concurrent,
// hashed, linked), cancels (one or all, queued or running) and max-worker
// changes, waits for every item, then exits the io-wq.
func runMixed(tb testing.TB, seed uint64, mode sim.Mode, trace bool, bugs Bugs) mixedResult {
	return runMixedWith(tb, seed, mode, trace, bugs, nil)
}

// runMixedWith is runMixed under a given scheduling strategy (nil: the
// seed's random walk).
func runMixedWith(tb testing.TB, seed uint64, mode sim.Mode, trace bool, bugs Bugs, strat sim.Strategy) mixedResult {
	tb.Helper()
	r := func(e *env, n int) int { return e.w.RandN(e.m, n) }
	w0 := sim.NewWorld(sim.Config{Seed: seed})
	bounded := uint32(1 + w0.RandN(w0.Main(), 4))
	nproc := uint32(1 + w0.RandN(w0.Main(), 3))
	w0.Shutdown()

	e := newEnv(tb, envConfig{seed: seed, mode: mode, bounded: bounded, trace: trace,
		data: Data{NprocLimit: nproc, Bugs: bugs}, steps: 5_000_000, strat: strat})
	defer e.w.Shutdown()
	unit := time.Microsecond
	if mode == sim.Concurrent {
		unit = 20 * time.Microsecond
	}

	var items []*item
	enq := map[uint64]time.Duration{}
	start := map[uint64]time.Duration{}
	e.onRun = func(t *sim.Thread, it *item) {
		e.mu.Lock(t)
		start[it.id] = e.w.Now()
		e.mu.Unlock(t)
	}
	mk := func(id uint64) *item {
		var fl uint32
		key := -1
		switch r(e, 6) {
		case 0, 1:
			fl |= IO_WQ_WORK_UNBOUND
		case 2:
			fl |= IO_WQ_WORK_CONCURRENT
		}
		if r(e, 3) == 0 && fl&IO_WQ_WORK_UNBOUND == 0 {
			key = r(e, 3) // only bound work is hashed, as in the kernel
		}
		return newItem(id, time.Duration(r(e, 5))*unit, key, fl)
	}
	n := 24
	for i := range n {
		it := mk(uint64(i + 1))
		items = append(items, it)
		if r(e, 5) == 0 {
			l := mk(uint64(100 + i))
			it.linked = l
			items = append(items, l)
		}
		e.mu.Lock(e.m)
		enq[it.id] = e.w.Now()
		e.mu.Unlock(e.m)
		e.wq.Enqueue(e.m, &it.work)
		switch r(e, 8) {
		case 0, 1:
			victim := uint64(1 + r(e, i+1))
			e.wq.Cancel(e.m, func(w *Work) bool { return w.ID == victim }, false)
		case 2:
			lo := uint64(1 + r(e, i+1))
			e.wq.Cancel(e.m, func(w *Work) bool { return w.ID >= lo && w.ID < 100 }, true)
		case 3:
			nc := [2]uint32{uint32(r(e, 4)), uint32(r(e, 3))}
			e.wq.MaxWorkers(e.m, &nc)
		}
		if d := r(e, 3); d > 0 {
			e.m.Sleep(time.Duration(d) * unit)
		}
	}
	e.waitAll(len(items))
	e.wq.ExitStart(e.m)
	before := e.w.Now()
	e.wq.PutAndExit(e.m)
	e.checkExited(before)

	res := mixedResult{items: items, hashOver: e.hashOver, deadlock: e.w.Deadlock()}
	for _, it := range items {
		if s, ok := start[it.id]; ok && s-enq[it.id] >= WORKER_IDLE_TIMEOUT {
			res.slow++
		}
	}
	if e.rec != nil {
		if left := liveWorkers(e.rec); len(left) != 0 {
			tb.Errorf("seed %d: worker threads never exited: %v", seed, left)
		}
		res.events = e.rec.Events
	}
	return res
}

// checkMixed checks that every item ran or was cancelled exactly once.
func checkMixed(tb testing.TB, seed uint64, res mixedResult) {
	tb.Helper()
	if res.deadlock != nil {
		tb.Fatalf("seed %d: deadlock:\n%v", seed, res.deadlock)
	}
	if res.hashOver != 0 {
		tb.Fatalf("seed %d: a hash key ran on two workers at once", seed)
	}
	for _, it := range res.items {
		if it.ran+it.cancel != 1 || it.freed != 1 {
			tb.Fatalf("seed %d: item %d ran=%d cancelled=%d freed=%d", seed, it.id, it.ran, it.cancel, it.freed)
		}
	}
}

// 200 seeds of the mixed program: every item runs or is cancelled exactly
// once, hashed work never overlaps, no deadlock, no thread left.
func TestMixedSeeds(t *testing.T) {
	slow := 0
	for seed := range uint64(200) {
		res := runMixed(t, seed, sim.Deterministic, true, Bugs{})
		checkMixed(t, seed, res)
		slow += res.slow
	}
	t.Logf("items that waited for an idle timeout: %d", slow)
}

// PCT schedules (depth 3) of the mixed program.
func TestMixedPCT(t *testing.T) {
	for seed := range uint64(200) {
		res := runMixedWith(t, seed, sim.Deterministic, false, Bugs{}, sim.PCT(seed, 3, 20000))
		checkMixed(t, seed, res)
	}
}

// The same seed gives a byte-identical trace.
func TestDeterministicTrace(t *testing.T) {
	for seed := range uint64(10) {
		a := runMixed(t, seed, sim.Deterministic, true, Bugs{})
		b := runMixed(t, seed, sim.Deterministic, true, Bugs{})
		if len(a.events) == 0 {
			t.Fatal("no events recorded")
		}
		if !reflect.DeepEqual(a.events, b.events) {
			ta, tb := traceText(&sim.Recorder{Events: a.events}), traceText(&sim.Recorder{Events: b.events})
			t.Fatalf("seed %d: traces differ (%d vs %d events)\n%s\n---\n%s", seed, len(a.events), len(b.events), ta, tb)
		}
	}
	// and different seeds give different runs
	a := runMixed(t, 1, sim.Deterministic, true, Bugs{})
	b := runMixed(t, 2, sim.Deterministic, true, Bugs{})
	if reflect.DeepEqual(a.events, b.events) {
		t.Fatal("seeds 1 and 2 gave the same trace")
	}
}

// Concurrent mode: real goroutines (run under -race).
func TestConcurrentMixed(t *testing.T) {
	for seed := range uint64(8) {
		res := runMixed(t, seed, sim.Concurrent, false, Bugs{})
		checkMixed(t, seed, res)
	}
}
