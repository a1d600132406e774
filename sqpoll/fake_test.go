package sqpoll

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// fakeRing is a Ring over a slice-backed SQ: the user side writes ids into
// sqes and publishes the tail with a release store; "submitting" records
// the ids in order.
type fakeRing struct {
	e       *env
	id      uint64
	entries uint32
	idle    time.Duration

	head, tail uint32   // shared ring words: sq.head (kernel), sq.tail (user)
	flags      uint32   // sq_flags
	sqes       []uint64 // SQE contents
	utail      uint32   // the user's local tail (liburing's sqe_tail)

	uringLock  sim.Mutex
	cachedHead uint32   // ctx->cached_sq_head, under uringLock
	submitted  []uint64 // under uringLock
	batches    []uint32 // toSubmit of each SQPollSubmit with toSubmit > 0
	nsub       atomic.Uint32
	iopoll     atomic.Int32 // requests on the iopoll list; one reaped per call
	sqWait     sim.WaitQueueHead
	wakes      atomic.Int32  // user-side SQ_WAKEUP enters
	fence      atomic.Uint32 // target of needsWakeup's full barrier
}

func (r *fakeRing) RingID() uint64 { return r.id }

func (r *fakeRing) SQEntriesPending(t *sim.Thread) uint32 {
	t.Yield()
	return rings.LoadAcquire(&r.tail) - r.cachedHead
}

func (r *fakeRing) SQPollSubmit(t *sim.Thread, toSubmit uint32) int {
	r.uringLock.Lock(t)
	if r.iopoll.Load() > 0 {
		r.iopoll.Add(-1)
	}
	if toSubmit > 0 {
		r.batches = append(r.batches, toSubmit)
	}
	for range toSubmit {
		r.submitted = append(r.submitted, r.sqes[r.cachedHead&(r.entries-1)])
		r.cachedHead++
	}
	rings.StoreRelease(&r.head, r.cachedHead)
	r.nsub.Add(toSubmit)
	r.uringLock.Unlock(t)
	r.e.ev.WakeUpAll(t, 0)
	return int(toSubmit)
}

func (r *fakeRing) IOPollPending() bool         { return r.iopoll.Load() > 0 }
func (r *fakeRing) SQFlags() *uint32            { return &r.flags }
func (r *fakeRing) SQThreadIdle() time.Duration { return r.idle }
func (r *fakeRing) SQWait() *sim.WaitQueueHead  { return &r.sqWait }

func (r *fakeRing) SQFull(t *sim.Thread) bool {
	t.Yield()
	return rings.LoadAcquire(&r.tail)-rings.LoadAcquire(&r.head) == r.entries
}

// publish is the user's io_uring_get_sqe + io_uring_submit without the
// enter: write the SQE, release-store the tail. False if the SQ is full.
func (r *fakeRing) publish(t *sim.Thread, id uint64) bool {
	t.Yield()
	if r.utail-rings.LoadAcquire(&r.head) == r.entries {
		return false
	}
	r.sqes[r.utail&(r.entries-1)] = id
	r.utail++
	t.Yield()
	rings.StoreRelease(&r.tail, r.utail)
	return true
}

// needsWakeup is liburing's sq_ring_needs_enter under SQPOLL: a full
// barrier after the tail store, then read the flags. The barrier is a
// locked read-modify-write, as uring.Ring's smpMB: a yield point alone is
// none in concurrent mode, where StoreRelease is a plain MOV on amd64 and
// the tail store could pass the flags load (store buffering), so the
// thread would sleep on an entry it did not see and the user not wake it.
func (r *fakeRing) needsWakeup(t *sim.Thread) bool {
	r.fence.Add(0) // io_uring_smp_mb()
	t.Yield()
	return rings.ReadOnce(&r.flags)&rings.IORING_SQ_NEED_WAKEUP != 0
}

// submit publishes id and wakes the SQ thread if liburing would.
func (r *fakeRing) submit(t *sim.Thread, id uint64) bool {
	if !r.publish(t, id) {
		return false
	}
	if r.needsWakeup(t) {
		r.wakes.Add(1)
		r.e.sqd.Wake(t)
	}
	return true
}

func (r *fakeRing) submittedIDs(t *sim.Thread) []uint64 {
	r.uringLock.Lock(t)
	defer r.uringLock.Unlock(t)
	return append([]uint64(nil), r.submitted...)
}

// fakeTask is the SQ thread's io_uring_task: a list of functions.
type fakeTask struct {
	e        *env
	lock     sim.SpinLock
	list     []func(t *sim.Thread)
	pending  atomic.Int32
	ran      atomic.Int32
	canceled atomic.Int32
}

func (k *fakeTask) add(t *sim.Thread, fn func(t *sim.Thread)) {
	k.lock.Lock(t)
	k.list = append(k.list, fn)
	first := len(k.list) == 1
	k.pending.Add(1)
	k.lock.Unlock(t)
	if first {
		k.e.sqd.NotifyTaskWork(t)
	}
}

func (k *fakeTask) RunTaskWork(t *sim.Thread, max uint32) uint32 {
	k.lock.Lock(t)
	n := min(uint32(len(k.list)), max)
	run := slices.Clone(k.list[:n])
	k.list = k.list[n:]
	k.pending.Add(-int32(n))
	k.lock.Unlock(t)
	for _, fn := range run {
		fn(t)
		k.ran.Add(1)
	}
	if n > 0 {
		k.e.ev.WakeUpAll(t, 0)
	}
	return n
}

func (k *fakeTask) TaskWorkPending(t *sim.Thread) bool { return k.pending.Load() > 0 }
func (k *fakeTask) CancelAll(t *sim.Thread)            { k.canceled.Add(1) }

// env is one world with one io_sq_data.
type env struct {
	t    *testing.T
	w    *sim.World
	m    *sim.Thread
	sqd  *Data
	task *fakeTask
	ev   sim.WaitQueueHead // woken on every submission and task-work run
	th   *sim.Thread
	r    *fakeRing // the first ring started
}

func newEnv(t *testing.T, wcfg sim.Config, cfg Config) *env {
	t.Helper()
	w := sim.NewWorld(wcfg)
	t.Cleanup(w.Shutdown)
	e := &env{t: t, w: w, m: w.Main(), sqd: New(cfg)}
	e.task = &fakeTask{e: e}
	return e
}

func (e *env) ring(id uint64, entries uint32, idle time.Duration) *fakeRing {
	return &fakeRing{e: e, id: id, entries: entries, idle: idle, sqes: make([]uint64, entries)}
}

// start attaches the rings (the first one creates the thread, the others
// attach as IORING_SETUP_ATTACH_WQ would).
func (e *env) start(rs ...*fakeRing) {
	e.t.Helper()
	m := e.m
	for i, r := range rs {
		if i == 0 {
			if ret := e.sqd.AddRing(m, r, false); ret != 0 {
				e.t.Fatalf("AddRing: %d", ret)
			}
			e.r = r
			e.th = e.sqd.Start(m, m.ID(), m.ID(), func(*sim.Thread) Task { return e.task })
			continue
		}
		sqd, ret := e.sqd.Attach(m.ID())
		if ret != 0 || sqd != e.sqd {
			e.t.Fatalf("Attach: %d", ret)
		}
		if ret := sqd.AddRing(m, r, true); ret != 0 {
			e.t.Fatalf("AddRing attached: %d", ret)
		}
	}
}

// waitUntil sleeps the main thread until cond holds; false if the world
// deadlocked (deterministic) or 10 s passed (concurrent).
func (e *env) waitUntil(reason string, cond func() bool) bool {
	m := e.m
	m.SetWaitReason(reason)
	var wq sim.WaitQueueEntry
	deadline := e.w.Now() + 10*time.Second
	ok := true
	for {
		e.ev.PrepareToWait(m, &wq, sim.TaskInterruptible)
		if cond() {
			break
		}
		if m.SignalPending() || e.w.Now() > deadline {
			ok = false
			break
		}
		if e.w.Deterministic() {
			m.Schedule()
		} else {
			m.ScheduleTimeout(time.Millisecond)
		}
	}
	e.ev.FinishWait(m, &wq)
	return ok
}

func (e *env) events(rec *sim.Recorder, name string) []sim.Event {
	var out []sim.Event
	for _, ev := range rec.Events {
		if ev.Name == name {
			out = append(out, ev)
		}
	}
	return out
}
