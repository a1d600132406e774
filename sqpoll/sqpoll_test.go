package sqpoll

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

const us = time.Microsecond

func ids(from, n uint64) []uint64 {
	var out []uint64
	for i := range n {
		out = append(out, from+i)
	}
	return out
}

// The thread picks up entries published while it spins, with no enter.
func TestSubmitsWithoutEnter(t *testing.T) {
	rec := &sim.Recorder{}
	e := newEnv(t, sim.Config{Seed: 1, Sink: rec}, Config{})
	m := e.m
	r := e.ring(1, 8, 100*us)
	e.start(r)

	for i := range uint64(3) {
		if !r.submit(m, 1+i) {
			t.Fatal("SQ full")
		}
	}
	if !e.waitUntil("first batch", func() bool { return r.nsub.Load() == 3 }) {
		t.Fatalf("first batch not submitted: %v", e.w.Deadlock())
	}
	wakes := r.wakes.Load()
	m.Sleep(10 * us) // inside the idle window: the thread is awake
	if rings.ReadOnce(&r.flags)&rings.IORING_SQ_NEED_WAKEUP != 0 {
		t.Fatal("NEED_WAKEUP set inside the idle window")
	}
	for i := range uint64(3) {
		if !r.publish(m, 4+i) { // no wakeup at all
			t.Fatal("SQ full")
		}
	}
	if !e.waitUntil("second batch", func() bool { return r.nsub.Load() == 6 }) {
		t.Fatalf("entries published in the idle window not submitted: %v", e.w.Deadlock())
	}
	if r.wakes.Load() != wakes {
		t.Fatal("unexpected wakeup")
	}
	if got := r.submittedIDs(m); !slices.Equal(got, ids(1, 6)) {
		t.Fatalf("submitted %v", got)
	}
	if len(e.events(rec, "io_uring_sqpoll_submit")) == 0 {
		t.Fatal("no io_uring_sqpoll_submit event")
	}
}

// After sq_thread_idle without work the thread sets NEED_WAKEUP and sleeps
// at exactly that virtual instant; a Wake clears the flag; entries
// published and announced per liburing are submitted again.
func TestIdleExactInstantAndWake(t *testing.T) {
	const idle = 100 * us
	rec := &sim.Recorder{}
	e := newEnv(t, sim.Config{Seed: 7, Sink: rec}, Config{})
	m := e.m
	r := e.ring(1, 8, idle)
	e.start(r)

	m.Sleep(5 * us)
	// A fresh thread with nothing to do sleeps at once (timeout = 0).
	if rings.ReadOnce(&r.flags)&rings.IORING_SQ_NEED_WAKEUP == 0 {
		t.Fatal("NEED_WAKEUP clear on an idle thread")
	}
	r.submit(m, 1)
	if !e.waitUntil("submit 1", func() bool { return r.nsub.Load() == 1 }) {
		t.Fatal(e.w.Deadlock())
	}
	if r.wakes.Load() != 1 {
		t.Fatalf("wakes = %d, want 1", r.wakes.Load())
	}
	m.Sleep(200 * us) // to 205us: asleep since 105us
	if rings.ReadOnce(&r.flags)&rings.IORING_SQ_NEED_WAKEUP == 0 {
		t.Fatal("NEED_WAKEUP clear after the idle time")
	}
	// A bare Wake: the thread wakes, clears the flag, spins, sleeps again.
	e.sqd.Wake(m)
	m.Sleep(1 * us)
	if rings.ReadOnce(&r.flags)&rings.IORING_SQ_NEED_WAKEUP != 0 {
		t.Fatal("NEED_WAKEUP still set after Wake")
	}
	m.Sleep(200 * us) // to 406us: asleep since 305us
	r.submit(m, 2)
	if !e.waitUntil("submit 2", func() bool { return r.nsub.Load() == 2 }) {
		t.Fatal(e.w.Deadlock())
	}

	var idles, wakes []time.Duration
	for _, ev := range e.events(rec, "io_sq_thread_idle") {
		idles = append(idles, ev.Time)
	}
	for _, ev := range e.events(rec, "io_sq_thread_wake") {
		wakes = append(wakes, ev.Time)
	}
	if want := []time.Duration{0, 5*us + idle, 205*us + idle}; !slices.Equal(idles, want) {
		t.Fatalf("io_sq_thread_idle at %v, want %v", idles, want)
	}
	if want := []time.Duration{5 * us, 205 * us, 406 * us}; !slices.Equal(wakes, want) {
		t.Fatalf("io_sq_thread_wake at %v, want %v", wakes, want)
	}
	if got := e.sqd.WorkTime(); got != 0 {
		t.Fatalf("work time %v: submitting takes no virtual time", got)
	}
}

// A parked thread submits nothing until unparked.
func TestParkBlocksSubmission(t *testing.T) {
	for seed := range uint64(20) {
		rec := &sim.Recorder{}
		e := newEnv(t, sim.Config{Seed: seed, Sink: rec}, Config{})
		m := e.m
		r := e.ring(1, 8, 50*us)
		e.start(r)
		r.submit(m, 1)
		e.sqd.Park(m)
		n := r.nsub.Load()
		r.submit(m, 2)
		r.submit(m, 3)
		m.Sleep(100 * us)
		if got := r.nsub.Load(); got != n {
			t.Fatalf("seed %d: %d submitted while parked", seed, got-n)
		}
		e.sqd.Unpark(m)
		if !e.waitUntil("after unpark", func() bool { return r.nsub.Load() == 3 }) {
			t.Fatalf("seed %d: not submitted after unpark: %v", seed, e.w.Deadlock())
		}
		if len(e.events(rec, "io_sq_thread_park")) != 2 || len(e.events(rec, "io_sq_thread_unpark")) != 2 {
			t.Fatalf("seed %d: park/unpark events missing", seed) // AddRing parks too
		}
		e.w.Shutdown()
	}
}

// Park in concurrent mode, against a thread that really spins.
func TestParkConcurrent(t *testing.T) {
	for seed := range uint64(5) {
		e := newEnv(t, sim.Config{Seed: seed, Mode: sim.Concurrent}, Config{})
		m := e.m
		r := e.ring(1, 8, 50*time.Millisecond)
		e.start(r)
		r.submit(m, 1)
		if !e.waitUntil("first", func() bool { return r.nsub.Load() == 1 }) {
			t.Fatal("not submitted")
		}
		e.sqd.Park(m) // the thread spins in its idle window
		r.submit(m, 2)
		m.Sleep(2 * time.Millisecond)
		if got := r.nsub.Load(); got != 1 {
			t.Fatalf("seed %d: submitted while parked", seed)
		}
		e.sqd.Unpark(m)
		if !e.waitUntil("after unpark", func() bool { return r.nsub.Load() == 2 }) {
			t.Fatalf("seed %d: not submitted after unpark", seed)
		}
		e.sqd.RemoveRing(m, r)
		e.w.Shutdown()
	}
}

// Two parkers nest: the thread stays parked until both unparked.
func TestNestedPark(t *testing.T) {
	e := newEnv(t, sim.Config{Seed: 3}, Config{})
	m := e.m
	r := e.ring(1, 8, 50*us)
	e.start(r)
	e.sqd.Park(m)
	unparked := false
	e.w.Go(m, "parker", func(p *sim.Thread) {
		e.sqd.Park(p) // waits for main's Unpark
		p.Sleep(20 * us)
		unparked = true
		e.sqd.Unpark(p)
	})
	r.publish(m, 1)
	e.sqd.Wake(m)
	e.sqd.Unpark(m)
	if !e.waitUntil("submit", func() bool { return r.nsub.Load() == 1 }) {
		t.Fatal(e.w.Deadlock())
	}
	if !unparked {
		t.Fatal("submitted while the second parker held the thread")
	}
}

// Two rings share one thread; with more than one ring each gets at most
// IORING_SQPOLL_CAP_ENTRIES_VALUE per round, so both are served.
func TestTwoRingsShareThreadFairly(t *testing.T) {
	e := newEnv(t, sim.Config{Seed: 5}, Config{})
	m := e.m
	a := e.ring(1, 32, 100*us)
	b := e.ring(2, 32, 300*us)
	e.start(a, b)
	if got := e.sqd.SQThreadIdle(); got != 300*us {
		t.Fatalf("sq_thread_idle %v, want the max 300us", got)
	}
	if e.sqd.Task() != Task(e.task) {
		t.Fatal("Task() is not the allocated task")
	}
	if got := e.sqd.Rings(); len(got) != 2 || got[0] != Ring(b) {
		t.Fatalf("rings %v: want the newest first", got)
	}
	e.sqd.Park(m)
	for i := range uint64(20) {
		a.publish(m, 100+i)
	}
	for i := range uint64(5) {
		b.publish(m, 200+i)
	}
	e.sqd.Unpark(m)
	e.sqd.Wake(m)
	if !e.waitUntil("both rings", func() bool { return a.nsub.Load() == 20 && b.nsub.Load() == 5 }) {
		t.Fatal(e.w.Deadlock())
	}
	if !slices.Equal(a.batches, []uint32{8, 8, 4}) || !slices.Equal(b.batches, []uint32{5}) {
		t.Fatalf("batches a=%v b=%v, want [8 8 4] and [5]", a.batches, b.batches)
	}
	if !slices.Equal(a.submittedIDs(m), ids(100, 20)) || !slices.Equal(b.submittedIDs(m), ids(200, 5)) {
		t.Fatal("wrong ids")
	}

	// With one ring left the cap is off.
	e.sqd.RemoveRing(m, b)
	if got := e.sqd.SQThreadIdle(); got != 100*us {
		t.Fatalf("sq_thread_idle %v after removing b, want 100us", got)
	}
	e.sqd.Park(m)
	for i := range uint64(20) {
		a.publish(m, 300+i)
	}
	e.sqd.Unpark(m)
	e.sqd.Wake(m)
	if !e.waitUntil("one ring", func() bool { return a.nsub.Load() == 40 }) {
		t.Fatal(e.w.Deadlock())
	}
	if got := a.batches[3:]; !slices.Equal(got, []uint32{20}) {
		t.Fatalf("batches %v with one ring, want [20]", got)
	}
}

// Removing the last ring stops the thread; it cancels its requests and
// leaves NEED_WAKEUP set; attaching to it afterwards fails.
func TestRemoveLastRingEndsThread(t *testing.T) {
	for _, mode := range []sim.Mode{sim.Deterministic, sim.Concurrent} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, sim.Config{Seed: 11, Mode: mode}, Config{})
			m := e.m
			a := e.ring(1, 8, 20*us)
			b := e.ring(2, 8, 20*us)
			e.start(a, b)
			th := e.th
			a.submit(m, 1)
			b.submit(m, 2)
			if !e.waitUntil("submit", func() bool { return a.nsub.Load() == 1 && b.nsub.Load() == 1 }) {
				t.Fatal("not submitted")
			}
			e.sqd.RemoveRing(m, a)
			if e.sqd.Thread() == nil || th.State() == sim.TaskDead {
				t.Fatal("thread gone with a ring left")
			}
			// Another ring attaches (the thread is alive) and leaves again.
			c := e.ring(3, 8, 20*us)
			if _, ret := e.sqd.Attach(m.ID()); ret != 0 {
				t.Fatal(ret)
			}
			if ret := e.sqd.AddRing(m, c, true); ret != 0 {
				t.Fatal(ret)
			}
			e.sqd.RemoveRing(m, c)
			// The last one.
			e.sqd.RemoveRing(m, b)
			if e.sqd.Thread() != nil {
				t.Fatal("Thread() not nil after the last ring left")
			}
			for range 1000 {
				if th.State() == sim.TaskDead {
					break
				}
				m.Sleep(us)
			}
			if th.State() != sim.TaskDead {
				t.Fatalf("SQ thread still %v", th.State())
			}
			if got := e.task.canceled.Load(); got != 1 {
				t.Fatalf("CancelAll ran %d times", got)
			}
		})
	}
}

// Attach checks the thread group; attaching to an exited thread is -ENXIO.
func TestAttachErrors(t *testing.T) {
	e := newEnv(t, sim.Config{Seed: 2}, Config{})
	m := e.m
	a := e.ring(1, 8, 20*us)
	e.start(a)
	if sqd, ret := e.sqd.Attach(m.ID() + 100); ret != -1 || sqd != nil { // -EPERM
		t.Fatalf("Attach from another tgid: %v %d", sqd, ret)
	}
	sqd, ret := e.sqd.Attach(m.ID())
	if ret != 0 {
		t.Fatal(ret)
	}
	// The thread dies (e.g. a fatal signal): emulate with Stop while the
	// attacher still holds its reference.
	e.sqd.Stop(m)
	b := e.ring(2, 8, 20*us)
	if ret := sqd.AddRing(m, b, true); ret != -6 { // -ENXIO
		t.Fatalf("AddRing to a dead thread: %d, want -ENXIO", ret)
	}
}

// IORING_ENTER_SQ_WAIT returns once the thread made room.
func TestWaitSQ(t *testing.T) {
	for seed := range uint64(20) {
		e := newEnv(t, sim.Config{Seed: seed}, Config{})
		m := e.m
		r := e.ring(1, 4, 50*us)
		e.start(r)
		e.sqd.Park(m)
		for i := range uint64(4) {
			if !r.publish(m, i) {
				t.Fatal("full too early")
			}
		}
		if r.publish(m, 9) {
			t.Fatal("a 4-entry SQ took 5")
		}
		var returned time.Duration = -1
		e.w.Go(m, "waiter", func(wt *sim.Thread) {
			WaitSQ(wt, r)
			returned = e.w.Now()
			e.ev.WakeUpAll(wt, 0)
		})
		m.Sleep(30 * us)
		if returned >= 0 {
			t.Fatalf("seed %d: WaitSQ returned with the SQ full", seed)
		}
		e.sqd.Unpark(m)
		e.sqd.Wake(m)
		if !e.waitUntil("waiter", func() bool { return returned >= 0 }) {
			t.Fatalf("seed %d: WaitSQ never returned: %v", seed, e.w.Deadlock())
		}
		if returned != 30*us || r.SQFull(m) {
			t.Fatalf("seed %d: returned at %v", seed, returned)
		}
		e.w.Shutdown()
	}
}

// IOPOLL requests in flight keep the thread reaping instead of sleeping.
func TestIOPollKeepsThreadAwake(t *testing.T) {
	rec := &sim.Recorder{}
	e := newEnv(t, sim.Config{Seed: 4, Sink: rec}, Config{})
	m := e.m
	r := e.ring(1, 8, 10*us)
	e.start(r)
	e.sqd.Park(m)
	r.iopoll.Store(50)
	r.publish(m, 1)
	e.sqd.Unpark(m)
	e.sqd.Wake(m)
	if !e.waitUntil("reaped", func() bool { return r.iopoll.Load() == 0 && r.nsub.Load() == 1 }) {
		t.Fatal(e.w.Deadlock())
	}
	m.Sleep(100 * us)
	idles := e.events(rec, "io_sq_thread_idle")
	if last := idles[len(idles)-1].Time; last < 10*us {
		t.Fatalf("slept at %v while reaping", last)
	}
}

// Task work queued for a sleeping thread wakes it (A2 fixed).
func TestTaskWorkWakesThread(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoTaskWorkWake=%v", bug), func(t *testing.T) {
			e := newEnv(t, sim.Config{Seed: 9}, Config{Bugs: Bugs{NoTaskWorkWake: bug}})
			m := e.m
			r := e.ring(1, 8, 10*us)
			e.start(r)
			m.Sleep(50 * us) // the thread is asleep with NEED_WAKEUP
			ran := false
			e.w.Go(m, "irq", func(it *sim.Thread) { // a device completion
				it.Sleep(5 * us)
				e.task.add(it, func(*sim.Thread) { ran = true })
			})
			ok := e.waitUntil("task work", func() bool { return ran })
			if bug {
				if ok || e.w.Deadlock() == nil {
					t.Fatal("NoTaskWorkWake: task work ran anyway")
				}
				return
			}
			if !ok {
				t.Fatal(e.w.Deadlock())
			}
		})
	}
}

// Task work queued at random moments around the thread's idle deadline
// always runs: TIF_NOTIFY_SIGNAL is set before the wakeup and checked
// after the thread announced its sleep, so none is lost.
func TestTaskWorkNoLostWakeup(t *testing.T) {
	const idle, n = 4 * us, 16
	for seed := range uint64(300) {
		e := newEnv(t, sim.Config{Seed: seed}, Config{})
		m := e.m
		r := e.ring(1, 8, idle)
		e.start(r)
		ran := 0
		e.w.Go(m, "irq", func(it *sim.Thread) {
			delays := []time.Duration{0, us, 3 * us, idle, idle, idle, idle, idle + us}
			for range n {
				if d := delays[e.w.RandN(it, len(delays))]; d > 0 {
					it.Sleep(d)
				}
				for range e.w.RandN(it, 16) {
					it.Yield()
				}
				e.task.add(it, func(*sim.Thread) { ran++ })
			}
		})
		if !e.waitUntil("task work", func() bool { return ran == n }) {
			t.Fatalf("seed %d: %d/%d task work items ran: %v", seed, ran, n, e.w.Deadlock())
		}
		e.sqd.RemoveRing(m, r)
		e.w.Shutdown()
	}
}

// liburingRun is one run of the liburing protocol against an idling SQ
// thread: the user publishes n entries at random moments around the idle
// deadline (waiting for room with SQ_WAIT when full), then waits for all
// to be submitted. It returns the submitted ids and whether the run
// finished (false: the world deadlocked or timed out).
func liburingRun(t *testing.T, wcfg sim.Config, cfg Config, n int) ([]uint64, bool, *env) {
	const idle = 4 * us
	e := newEnv(t, wcfg, cfg)
	m := e.m
	r := e.ring(1, 8, idle)
	e.start(r)
	delays := []time.Duration{0, us, 3 * us, idle, idle, idle, idle, idle + us} // polls at +1us, +3us; the deadline at +idle
	for i := range n {
		if d := delays[e.w.RandN(m, len(delays))]; d > 0 {
			m.Sleep(d)
		}
		// A little work of random length after waking, so the publication
		// lands anywhere in the thread's way to sleep when both woke at
		// the same instant (the idle deadline).
		for range e.w.RandN(m, 16) {
			m.Yield()
		}
		for !r.submit(m, uint64(i)) {
			WaitSQ(m, r) // IORING_ENTER_SQ_WAIT
			if m.SignalPending() {
				return r.submittedIDs(m), false, e
			}
		}
	}
	ok := e.waitUntil("all submitted", func() bool { return r.nsub.Load() == uint32(n) })
	got := r.submittedIDs(m)
	if ok {
		e.sqd.RemoveRing(m, r)
	}
	return got, ok, e
}

// Every entry published per liburing's protocol gets submitted, whatever
// the interleaving with the thread going to sleep.
func TestLiburingProtocolNoLostWakeup(t *testing.T) {
	const n = 24
	seeds := 500
	if testing.Short() {
		seeds = 100
	}
	var hits, wakes int64
	for seed := range uint64(seeds) {
		got, ok, e := liburingRun(t, sim.Config{Seed: seed}, Config{}, n)
		if !ok {
			t.Fatalf("seed %d: stalled with %d/%d submitted: %v", seed, len(got), n, e.w.Deadlock())
		}
		if !slices.Equal(got, ids(0, n)) {
			t.Fatalf("seed %d: submitted %v", seed, got)
		}
		hits += e.sqd.recheckHits.Load()
		wakes += int64(e.r.wakes.Load())
		e.w.Shutdown()
	}
	// The runs must reach both sides of the race: the thread's re-check
	// catching an entry published after it set NEED_WAKEUP, and the user
	// seeing the flag and waking it.
	if hits == 0 || wakes == 0 {
		t.Fatalf("re-check hits %d, user wakeups %d: the race was never exercised", hits, wakes)
	}
	t.Logf("%d seeds: re-check kept the thread awake %d times; %d user wakeups", seeds, hits, wakes)
}

// The M9 museum switch loses a wakeup on some seed: the thread's tail
// load passes its NEED_WAKEUP store, the user's barrier-ordered flag load
// sees the flag clear, and the entry sits in the ring.
func TestMuseumM9SQPollNoFence(t *testing.T) {
	const n = 24
	for seed := range uint64(5000) {
		got, ok, e := liburingRun(t, sim.Config{Seed: seed}, Config{Bugs: Bugs{SQPollNoFence: true}}, n)
		if ok {
			e.w.Shutdown()
			continue
		}
		r := e.r
		if rings.LoadAcquire(&r.tail) == rings.LoadAcquire(&r.head) ||
			rings.ReadOnce(&r.flags)&rings.IORING_SQ_NEED_WAKEUP == 0 ||
			e.th.State() != sim.TaskInterruptible {
			t.Fatalf("seed %d: stalled, but not as M9: %v", seed, e.w.Deadlock())
		}
		t.Logf("seed %d: M9 stall with %d/%d submitted, entries pending and NEED_WAKEUP set:\n%v",
			seed, len(got), n, e.w.Deadlock())
		e.w.Shutdown()
		// The same seed with the barrier submits everything.
		if got, ok, e := liburingRun(t, sim.Config{Seed: seed}, Config{}, n); !ok || len(got) != n {
			t.Fatalf("seed %d without the bug: ok=%v, %d submitted", seed, ok, len(got))
		} else {
			e.w.Shutdown()
		}
		return
	}
	t.Fatal("SQPollNoFence never lost a wakeup in 5000 seeds")
}

func traceText(rec *sim.Recorder) string {
	var b strings.Builder
	for _, ev := range rec.Events {
		fmt.Fprintf(&b, "%d %d %s %s", ev.Time, ev.Thread, ev.ThreadName, ev.Name)
		for _, f := range ev.Fields {
			fmt.Fprintf(&b, " %+v", f)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Same seed, same trace, byte for byte.
func TestTraceDeterminism(t *testing.T) {
	for seed := range uint64(5) {
		var texts [2]string
		for i := range texts {
			rec := &sim.Recorder{}
			_, ok, e := liburingRun(t, sim.Config{Seed: seed, Sink: rec}, Config{}, 16)
			if !ok {
				t.Fatalf("seed %d: stalled", seed)
			}
			e.w.Shutdown()
			texts[i] = traceText(rec)
			if !strings.Contains(texts[i], "io_uring_sqpoll_submit") {
				t.Fatal("trace lacks the sqpoll events")
			}
			if strings.Contains(texts[i], "0xc0") {
				t.Fatal("address-like value in the trace")
			}
		}
		if texts[0] != texts[1] {
			t.Fatalf("seed %d: traces differ", seed)
		}
	}
}

// The same protocol with real goroutines and real time (run with -race).
func TestConcurrentMode(t *testing.T) {
	for seed := range uint64(10) {
		got, ok, e := liburingRun(t, sim.Config{Seed: seed, Mode: sim.Concurrent}, Config{}, 64)
		if !ok || !slices.Equal(got, ids(0, 64)) {
			t.Fatalf("seed %d: ok=%v submitted %v", seed, ok, got)
		}
		e.w.Shutdown()
	}
}

// IdleFromParams: zero means one second.
func TestIdleFromParams(t *testing.T) {
	if IdleFromParams(0) != time.Second || IdleFromParams(250) != 250*time.Millisecond {
		t.Fatal("IdleFromParams")
	}
}
