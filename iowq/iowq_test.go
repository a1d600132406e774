package iowq

import (
	"testing"
	"time"

	"github.com/uringsim/uringsim/sim"
)

// Work runs on a worker thread, and the linked work FreeWork returns runs
// next on the same worker.
func TestWorkRunsAndLinkedOnSameWorker(t *testing.T) {
	for seed := range uint64(20) {
		e := newEnv(t, envConfig{seed: seed, trace: true})
		a := newItem(1, time.Microsecond, -1, 0)
		b := newItem(2, time.Microsecond, -1, 0)
		c := newItem(3, 0, -1, 0)
		a.linked = b
		b.linked = c
		e.wq.Enqueue(e.m, &a.work)
		e.waitAll(3)
		for _, it := range []*item{a, b, c} {
			if it.ran != 1 || it.cancel != 0 {
				t.Fatalf("seed %d: item %d ran=%d cancel=%d freed=%d", seed, it.id, it.ran, it.cancel, it.freed)
			}
			if !CurrentIsWorker(threadByID(t, e, it.thread)) {
				t.Fatalf("seed %d: item %d ran on thread %d, not a worker", seed, it.id, it.thread)
			}
		}
		if a.thread != b.thread || b.thread != c.thread {
			t.Fatalf("seed %d: linked chain ran on threads %d, %d, %d", seed, a.thread, b.thread, c.thread)
		}
		if n := count(e.rec, "io_wq_enqueue"); n != 1 {
			t.Fatalf("seed %d: %d io_wq_enqueue events, want 1 (links run inline)", seed, n)
		}
		e.finish()
		for _, it := range []*item{a, b, c} {
			if it.freed != 1 {
				t.Fatalf("seed %d: item %d freed %d times", seed, it.id, it.freed)
			}
		}
		e.w.Shutdown()
	}
}

// threadByID finds a worker thread of e by id.
func threadByID(t *testing.T, e *env, id int) *sim.Thread {
	for _, th := range e.wq.Workers() {
		if th.ID() == id {
			return th
		}
	}
	t.Fatalf("no live worker with id %d", id)
	return nil
}

// A hashed linked work is enqueued rather than run inline.
func TestHashedLinkedIsEnqueued(t *testing.T) {
	e := newEnv(t, envConfig{seed: 1, trace: true})
	a := newItem(1, 0, -1, 0)
	b := newItem(2, 0, 7, 0)
	a.linked = b
	e.wq.Enqueue(e.m, &a.work)
	e.waitAll(2)
	if a.ran != 1 || b.ran != 1 {
		t.Fatalf("ran a=%d b=%d", a.ran, b.ran)
	}
	if n := count(e.rec, "io_wq_enqueue"); n != 2 {
		t.Fatalf("%d io_wq_enqueue events, want 2", n)
	}
	e.finish()
	e.w.Shutdown()
}

// Workers are created on demand (one per blocked worker while work is
// queued), and exit after WORKER_IDLE_TIMEOUT idle on the virtual clock,
// except the last one.
func TestWorkerOnDemandAndIdleExit(t *testing.T) {
	for seed := range uint64(20) {
		e := newEnv(t, envConfig{seed: seed, bounded: 4, trace: true})
		if s := e.wq.Stats(); s.Acct[0].Workers != 0 {
			t.Fatalf("workers before any work: %+v", s)
		}
		var items []*item
		for i := range 3 {
			it := newItem(uint64(i+1), 10*time.Microsecond, -1, 0)
			items = append(items, it)
			e.wq.Enqueue(e.m, &it.work)
		}
		e.waitAll(3)
		created := count(e.rec, "io_wq_create_worker")
		if created < 2 || created > 3 {
			t.Fatalf("seed %d: %d workers created for 3 blocking items, want 2..3", seed, created)
		}
		if e.maxRunning < 2 {
			t.Fatalf("seed %d: blocking work never overlapped (max %d)", seed, e.maxRunning)
		}
		idleSince := e.w.Now()
		// Just before the timeout nobody has exited.
		e.m.Sleep(WORKER_IDLE_TIMEOUT - 20*time.Microsecond)
		if n := count(e.rec, "io_wq_worker_exit"); n != 0 {
			t.Fatalf("seed %d: %d workers exited before the idle timeout", seed, n)
		}
		e.m.Sleep(3 * WORKER_IDLE_TIMEOUT)
		s := e.wq.Stats()
		if s.Acct[0].Workers != 1 || len(e.wq.Workers()) != 1 {
			t.Fatalf("seed %d: after idling, stats %+v workers %v, want the last one to stay", seed, s, e.wq.Workers())
		}
		if s.Acct[0].Running != 0 || s.Acct[0].Free != 1 {
			t.Fatalf("seed %d: idle worker accounting %+v", seed, s)
		}
		if st := e.wq.WorkerStates(e.m); len(st) != 1 || !st[0].Free || st[0].Running || st[0].HasWork {
			t.Fatalf("seed %d: idle worker state %+v", seed, st)
		}
		if n := count(e.rec, "io_wq_worker_exit"); n != created-1 {
			t.Fatalf("seed %d: %d idle exits, want %d", seed, n, created-1)
		}
		for _, ev := range e.rec.Events {
			if ev.Name == "io_wq_worker_exit" && ev.Time < idleSince+WORKER_IDLE_TIMEOUT-20*time.Microsecond {
				t.Fatalf("seed %d: worker exited at %v, idle since %v", seed, ev.Time, idleSince)
			}
		}
		// The remaining worker still serves new work.
		it := newItem(9, 0, -1, 0)
		e.wq.Enqueue(e.m, &it.work)
		e.waitAll(1)
		if it.ran != 1 {
			t.Fatalf("seed %d: work after idling did not run", seed)
		}
		e.finish()
		e.w.Shutdown()
	}
}

// Work hashed to one key never runs on two workers at once, while
// different keys run in parallel.
func TestHashedSerialPerKey(t *testing.T) {
	parallel := 0
	for seed := range uint64(50) {
		e := newEnv(t, envConfig{seed: seed, bounded: 4, trace: seed == 0})
		var items []*item
		id := uint64(0)
		for range 6 {
			for key := range 2 {
				id++
				it := newItem(id, time.Duration(1+id%3)*time.Microsecond, key, 0)
				items = append(items, it)
				e.wq.Enqueue(e.m, &it.work)
			}
			e.m.Sleep(time.Duration(e.w.RandN(e.m, 3)) * time.Microsecond)
		}
		e.waitAll(len(items))
		if e.hashOver != 0 {
			t.Fatalf("seed %d: one hash key ran on two workers at once %d times", seed, e.hashOver)
		}
		for _, it := range items {
			if it.ran != 1 {
				t.Fatalf("seed %d: item %d ran %d times", seed, it.id, it.ran)
			}
		}
		// Within a key, order is preserved.
		last := map[int]uint64{}
		for _, id := range e.order {
			k := int(id-1) % 2
			if id < last[k] {
				t.Fatalf("seed %d: key %d ran out of order: %v", seed, k, e.order)
			}
			last[k] = id
		}
		if e.maxRunning >= 2 {
			parallel++
		}
		e.finish()
		e.w.Shutdown()
	}
	if parallel == 0 {
		t.Fatal("two hash keys never ran in parallel")
	}
}

// With bound = 1 work runs strictly one at a time even when it blocks;
// MaxWorkers returns the old maximums and 0 keeps a value.
func TestMaxWorkers(t *testing.T) {
	for seed := range uint64(30) {
		e := newEnv(t, envConfig{seed: seed, bounded: 1, data: Data{NprocLimit: 100}})
		e.onRun = func(*sim.Thread, *item) {
			if s := e.wq.Stats(); s.Acct[0].Workers > 1 {
				t.Errorf("seed %d: %d bound workers with max 1", seed, s.Acct[0].Workers)
			}
		}
		var items []*item
		for i := range 8 {
			it := newItem(uint64(i+1), time.Microsecond, -1, 0)
			items = append(items, it)
			e.wq.Enqueue(e.m, &it.work)
		}
		e.waitAll(len(items))
		if e.maxRunning != 1 {
			t.Fatalf("seed %d: %d items ran at once with bound=1", seed, e.maxRunning)
		}
		for i, it := range items {
			if e.order[i] != it.id {
				t.Fatalf("seed %d: serial order %v", seed, e.order)
			}
		}

		e.onRun = nil
		nc := [2]uint32{0, 0}
		e.wq.MaxWorkers(e.m, &nc)
		if nc != [2]uint32{1, 100} {
			t.Fatalf("MaxWorkers(0,0) = %v, want [1 100]", nc)
		}
		nc = [2]uint32{3, 0}
		e.wq.MaxWorkers(e.m, &nc)
		if nc != [2]uint32{1, 100} {
			t.Fatalf("MaxWorkers(3,0) = %v, want old [1 100]", nc)
		}
		nc = [2]uint32{0, 1000}
		e.wq.MaxWorkers(e.m, &nc)
		if nc != [2]uint32{3, 100} {
			t.Fatalf("MaxWorkers(0,1000) = %v, want old [3 100]", nc)
		}
		nc = [2]uint32{0, 0}
		e.wq.MaxWorkers(e.m, &nc)
		if nc != [2]uint32{3, 100} {
			t.Fatalf("MaxWorkers capped at RLIMIT_NPROC: got %v, want [3 100]", nc)
		}
		// With 3 allowed, blocking work overlaps again.
		e.maxRunning = 0
		for i := range 6 {
			it := newItem(uint64(20+i), 5*time.Microsecond, -1, 0)
			e.wq.Enqueue(e.m, &it.work)
		}
		e.waitAll(6)
		if e.maxRunning < 2 || e.maxRunning > 3 {
			t.Fatalf("seed %d: max 3 workers, %d ran at once", seed, e.maxRunning)
		}
		e.finish()
		e.w.Shutdown()
	}
}

// Unbound work is accounted separately, up to its own maximum.
func TestUnboundAccount(t *testing.T) {
	e := newEnv(t, envConfig{seed: 3, bounded: 1, data: Data{NprocLimit: 2}})
	for i := range 4 {
		it := newItem(uint64(i+1), 5*time.Microsecond, -1, IO_WQ_WORK_UNBOUND)
		e.wq.Enqueue(e.m, &it.work)
	}
	b := newItem(10, 5*time.Microsecond, -1, 0)
	e.wq.Enqueue(e.m, &b.work)
	e.waitAll(5)
	s := e.wq.Stats()
	if s.Acct[IO_WQ_ACCT_UNBOUND].Workers != 2 || s.Acct[IO_WQ_ACCT_BOUND].Workers != 1 {
		t.Fatalf("stats %+v, want 1 bound and 2 unbound workers", s)
	}
	if e.maxRunning != 3 {
		t.Fatalf("max running %d, want 3 (1 bound + 2 unbound)", e.maxRunning)
	}
	e.finish()
	e.w.Shutdown()
}

// Cancelling queued work returns IO_WQ_CANCEL_OK and hands it to the
// cancel path (DoWork with IO_WQ_WORK_CANCEL, on the canceller); it never
// runs. Cancelling running work returns IO_WQ_CANCEL_RUNNING and sets the
// flag; unknown work is IO_WQ_CANCEL_NOTFOUND.
func TestCancel(t *testing.T) {
	for seed := range uint64(20) {
		e := newEnv(t, envConfig{seed: seed, bounded: 1, trace: true})
		a := newItem(1, 50*time.Microsecond, -1, 0)
		b := newItem(2, 0, -1, 0)
		c := newItem(3, 0, -1, 0)
		b.linked = c
		e.wq.Enqueue(e.m, &a.work)
		e.wq.Enqueue(e.m, &b.work)
		e.m.Sleep(10 * time.Microsecond) // a runs (and blocks), b waits: bound=1
		if a.ran != 1 {
			t.Fatalf("seed %d: a not running after 10us", seed)
		}
		if st := e.wq.WorkerStates(e.m); len(st) != 1 || !st[0].HasWork || st[0].Work != 1 || st[0].Free || st[0].Running {
			t.Fatalf("seed %d: worker blocked in a: %+v", seed, st)
		}
		if r := e.wq.Cancel(e.m, func(w *Work) bool { return w == &b.work }, false); r != IO_WQ_CANCEL_OK {
			t.Fatalf("seed %d: cancel queued = %v", seed, r)
		}
		if b.cancel != 1 || b.ran != 0 || c.cancel != 1 || c.ran != 0 {
			t.Fatalf("seed %d: cancelled b ran=%d cancel=%d, linked c ran=%d cancel=%d", seed, b.ran, b.cancel, c.ran, c.cancel)
		}
		if r := e.wq.Cancel(e.m, func(w *Work) bool { return w == &a.work }, false); r != IO_WQ_CANCEL_RUNNING {
			t.Fatalf("seed %d: cancel running = %v", seed, r)
		}
		if a.work.Flags.Load()&IO_WQ_WORK_CANCEL == 0 {
			t.Fatalf("seed %d: running work not flagged", seed)
		}
		if r := e.wq.Cancel(e.m, func(w *Work) bool { return w.ID == 99 }, false); r != IO_WQ_CANCEL_NOTFOUND {
			t.Fatalf("seed %d: cancel unknown = %v", seed, r)
		}
		e.waitAll(3)
		if a.ran != 1 || a.cancel != 0 {
			t.Fatalf("seed %d: running work ran=%d cancel=%d", seed, a.ran, a.cancel)
		}
		// cancel all over queued work of both accounts
		var qs []*item
		blocker := newItem(20, 50*time.Microsecond, -1, 0)
		e.wq.Enqueue(e.m, &blocker.work)
		e.m.Sleep(time.Microsecond)
		for i := range 4 {
			it := newItem(uint64(30+i), 0, i%2, 0)
			qs = append(qs, it)
			e.wq.Enqueue(e.m, &it.work)
		}
		if r := e.wq.Cancel(e.m, func(w *Work) bool { return w.ID >= 30 }, true); r != IO_WQ_CANCEL_OK {
			t.Fatalf("seed %d: cancel all queued = %v", seed, r)
		}
		for _, it := range qs {
			if it.cancel != 1 || it.ran != 0 {
				t.Fatalf("seed %d: item %d ran=%d cancel=%d", seed, it.id, it.ran, it.cancel)
			}
		}
		if s := e.wq.Stats(); s.Acct[0].Queued != 0 {
			t.Fatalf("seed %d: %d queued after cancel all", seed, s.Acct[0].Queued)
		}
		e.waitAll(5)
		e.finish()
		e.w.Shutdown()
	}
}

// Work enqueued after ExitStart, or flagged IO_WQ_WORK_CANCEL, goes to the
// cancel path at once; PutAndExit runs or cancels what is queued and leaves
// no worker thread.
func TestExit(t *testing.T) {
	for seed := range uint64(30) {
		e := newEnv(t, envConfig{seed: seed, bounded: 1, trace: true})
		pre := newItem(1, 0, -1, IO_WQ_WORK_CANCEL)
		e.wq.Enqueue(e.m, &pre.work)
		if pre.cancel != 1 || pre.ran != 0 {
			t.Fatalf("pre-cancelled work ran=%d cancel=%d", pre.ran, pre.cancel)
		}
		var items []*item
		for i := range 6 {
			var fl uint32
			if i%2 == 1 {
				fl = IO_WQ_WORK_UNBOUND
			}
			it := newItem(uint64(10+i), 3*time.Microsecond, -1, fl)
			items = append(items, it)
			e.wq.Enqueue(e.m, &it.work)
		}
		e.m.Sleep(time.Duration(e.w.RandN(e.m, 5)) * time.Microsecond)
		e.wq.ExitStart(e.m)
		late := newItem(50, 0, -1, 0)
		e.wq.Enqueue(e.m, &late.work)
		if late.cancel != 1 || late.ran != 0 {
			t.Fatalf("work after ExitStart ran=%d cancel=%d", late.ran, late.cancel)
		}
		before := e.w.Now()
		e.wq.PutAndExit(e.m)
		e.checkExited(before)
		for _, it := range items {
			if it.ran+it.cancel != 1 {
				t.Fatalf("seed %d: item %d ran=%d cancel=%d", seed, it.id, it.ran, it.cancel)
			}
		}
		if ws := e.wq.Workers(); len(ws) != 0 {
			t.Fatalf("seed %d: workers left %v", seed, ws)
		}
		if left := liveWorkers(e.rec); len(left) != 0 {
			t.Fatalf("seed %d: worker threads left %v", seed, left)
		}
		if d := e.w.Deadlock(); d != nil {
			t.Fatalf("seed %d: %v", seed, d)
		}
		e.w.Shutdown()
	}
}

func TestAffinityAndCurrentIsWorker(t *testing.T) {
	e := newEnv(t, envConfig{seed: 1, data: Data{NrCPUs: 4}})
	if got := e.wq.SetAffinity(e.m, []byte{0x10}); got != -22 {
		t.Fatalf("mask with CPU 4 of 4: %d, want -EINVAL", got)
	}
	if got := e.wq.SetAffinity(e.m, []byte{0x06}); got != 0 {
		t.Fatalf("SetAffinity: %d", got)
	}
	if m := e.wq.Affinity(); len(m) != 1 || m[0] != 0x06 {
		t.Fatalf("affinity %x", m)
	}
	e.wq.SetAffinity(e.m, nil)
	if m := e.wq.Affinity(); m[0] != 0x0f {
		t.Fatalf("reset affinity %x", m)
	}
	if CurrentIsWorker(e.m) {
		t.Fatal("main is not a worker")
	}
	it := newItem(1, 0, -1, 0)
	e.wq.Enqueue(e.m, &it.work)
	e.waitAll(1)
	if len(e.wq.Workers()) != 1 || e.wq.Workers()[0].Name() != "iou-wrk-1" {
		t.Fatalf("worker threads %v", e.wq.Workers())
	}
	e.finish()
	e.w.Shutdown()
}

// A worker whose CPU left the affinity mask exits at its idle timeout even
// when it is the last one.
func TestAffinityExitsLastWorker(t *testing.T) {
	e := newEnv(t, envConfig{seed: 1, data: Data{NrCPUs: 2}})
	it := newItem(1, 0, -1, 0)
	e.wq.Enqueue(e.m, &it.work) // worker on CPU 0
	e.waitAll(1)
	e.wq.SetAffinity(e.m, []byte{0x02})
	e.m.Sleep(3 * WORKER_IDLE_TIMEOUT)
	if n := len(e.wq.Workers()); n != 0 {
		t.Fatalf("%d workers after the mask excluded their CPU", n)
	}
	it2 := newItem(2, 0, -1, 0)
	e.wq.Enqueue(e.m, &it2.work)
	e.waitAll(1)
	if it2.ran != 1 {
		t.Fatal("no worker created after the last one left")
	}
	e.finish()
	e.w.Shutdown()
}

func TestHashBucket(t *testing.T) {
	var w Work
	HashWork(&w, 12345)
	f := w.Flags.Load()
	if f&IO_WQ_WORK_HASHED == 0 || workHash(f) != HashBucket(12345) || HashBucket(12345) >= IO_WQ_NR_HASH_BUCKETS {
		t.Fatalf("flags %#x bucket %d", f, HashBucket(12345))
	}
	if BoundedWorkers(128, 2) != 8 || BoundedWorkers(4, 2) != 4 {
		t.Fatal("BoundedWorkers")
	}
}
