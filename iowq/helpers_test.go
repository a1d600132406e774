package iowq

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uringsim/uringsim/sim"
)

// item is a test request carried in Work.Item.
type item struct {
	id      uint64
	work    Work
	linked  *item         // FreeWork returns it once
	block   time.Duration // DoWork sleeps this long (with the sleeping hooks)
	hashKey int           // -1: not hashed
	ran     int           // DoWork calls without IO_WQ_WORK_CANCEL
	cancel  int           // DoWork calls with IO_WQ_WORK_CANCEL
	thread  int           // worker that ran it
	freed   int
}

// env is one world with one io-wq and bookkeeping of what ran where.
type env struct {
	tb   testing.TB
	w    *sim.World
	m    *sim.Thread
	wq   *WQ
	rec  *sim.Recorder
	done sim.Completion
	mu   sim.SpinLock // guards the counters below (concurrent mode)

	running    int                           // DoWork calls in progress (normal runs)
	maxRunning int                           // highest running seen
	hashRun    map[int]int                   // per hash key: normal runs in progress
	hashOver   int                           // times a key ran twice at once
	order      []uint64                      // ids in the order their normal run started
	seen       []*sim.Thread                 // worker threads that ran work
	onRun      func(t *sim.Thread, it *item) // extra hook at the start of a normal run
}

type envConfig struct {
	seed    uint64
	mode    sim.Mode
	bounded uint32
	trace   bool
	data    Data
	steps   int64
	strat   sim.Strategy
}

func newEnv(tb testing.TB, c envConfig) *env {
	tb.Helper()
	e := &env{tb: tb, hashRun: map[int]int{}}
	cfg := sim.Config{Seed: c.seed, Mode: c.mode, MaxSteps: c.steps, Strategy: c.strat}
	if c.trace {
		e.rec = &sim.Recorder{}
		cfg.Sink = e.rec
	}
	e.w = sim.NewWorld(cfg)
	e.m = e.w.Main()
	d := c.data
	d.Task = "1"
	d.DoWork = e.doWork
	d.FreeWork = e.freeWork
	if c.bounded == 0 {
		c.bounded = 4
	}
	e.wq = Create(e.m, c.bounded, d)
	return e
}

// block sleeps t for d inside DoWork, telling the io-wq it blocks.
func (e *env) block(t *sim.Thread, d time.Duration) {
	e.wq.WorkerSleeping(t)
	t.Sleep(d)
	e.wq.WorkerRunning(t)
}

func (e *env) doWork(t *sim.Thread, w *Work) {
	it := w.Item.(*item)
	if w.Flags.Load()&IO_WQ_WORK_CANCEL != 0 && it.ran == 0 {
		// io_wq_submit_work: a cancelled request completes -ECANCELED
		it.cancel++
		e.done.Complete(t)
		return
	}
	it.ran++
	it.thread = t.ID()
	e.mu.Lock(t)
	if !slices.Contains(e.seen, t) {
		e.seen = append(e.seen, t)
	}
	e.order = append(e.order, it.id)
	e.running++
	e.maxRunning = max(e.maxRunning, e.running)
	if it.hashKey >= 0 {
		e.hashRun[it.hashKey]++
		if e.hashRun[it.hashKey] > 1 {
			e.hashOver++
		}
	}
	e.mu.Unlock(t)
	if e.onRun != nil {
		e.onRun(t, it)
	}
	if it.block > 0 {
		if it.id%2 == 0 {
			e.block(t, it.block) // explicit io_wq_worker_sleeping/running
		} else {
			t.Sleep(it.block) // the worker's sched hooks report it
		}
	}
	e.mu.Lock(t)
	if it.hashKey >= 0 {
		e.hashRun[it.hashKey]--
	}
	e.running--
	e.mu.Unlock(t)
	e.done.Complete(t)
}

func (e *env) freeWork(t *sim.Thread, w *Work) *Work {
	it := w.Item.(*item)
	it.freed++
	if l := it.linked; l != nil {
		it.linked = nil
		if w.Flags.Load()&IO_WQ_WORK_CANCEL != 0 {
			// a failed link fails its successors
			l.work.Flags.Or(IO_WQ_WORK_CANCEL)
		}
		return &l.work
	}
	return nil
}

// newItem makes a work item; key >= 0 hashes it.
func newItem(id uint64, block time.Duration, key int, flags uint32) *item {
	it := &item{id: id, block: block, hashKey: key}
	it.work.Item = it
	it.work.ID = id
	it.work.Flags.Store(flags)
	if key >= 0 {
		HashWork(&it.work, uint64(key)*4096+1)
	}
	return it
}

// waitAll waits until n items completed (ran or cancelled).
func (e *env) waitAll(n int) {
	e.tb.Helper()
	limit := 1000 * WORKER_IDLE_TIMEOUT
	if !e.w.Deterministic() {
		limit = 20 * time.Second
	}
	for i := range n {
		if !e.done.WaitTimeout(e.m, limit) {
			e.tb.Fatalf("work lost: %d of %d items done after %v; stats %+v", i, n, limit, e.wq.Stats())
		}
	}
}

// finish exits the io-wq and checks that no worker thread is left.
func (e *env) finish() {
	e.tb.Helper()
	e.wq.ExitStart(e.m)
	before := e.w.Now()
	e.wq.PutAndExit(e.m)
	e.checkExited(before)
}

// checkExited checks, right after PutAndExit, that it was quick (workers
// were kicked, not left to time out) and that no worker thread is alive.
func (e *env) checkExited(before time.Duration) {
	e.tb.Helper()
	if d := e.w.Now() - before; d >= time.Second {
		e.tb.Errorf("PutAndExit took %v", d)
	}
	if ws := e.wq.Workers(); len(ws) != 0 {
		e.tb.Errorf("workers left after PutAndExit: %v", ws)
	}
	if s := e.wq.Stats(); s.Acct[0].Running != 0 || s.Acct[1].Running != 0 || s.Acct[0].Queued != 0 || s.Acct[1].Queued != 0 {
		e.tb.Errorf("after PutAndExit: %+v", s)
	}
	for _, th := range e.seen {
		if th.State() != sim.TaskDead {
			e.tb.Errorf("worker thread %v still alive (%v) after PutAndExit", th, th.State())
		}
	}
	if e.rec != nil {
		if left := liveWorkers(e.rec); len(left) != 0 {
			e.tb.Errorf("worker threads forked and never exited: %v", left)
		}
	}
	if d := e.w.Deadlock(); d != nil {
		e.tb.Errorf("deadlock:\n%v", d)
	}
}

// liveWorkers returns the pids of iou-wrk threads forked and not exited,
// from the trace.
func liveWorkers(r *sim.Recorder) []int64 {
	live := map[int64]bool{}
	var order []int64
	for _, ev := range r.Events {
		switch ev.Name {
		case "sched_process_fork":
			comm, pid := ev.Field("child_comm").Str, ev.Field("child_pid").Int
			if strings.HasPrefix(comm, "iou-wrk-") {
				live[pid] = true
				order = append(order, pid)
			}
		case "sched_process_exit":
			delete(live, int64(ev.Thread))
		}
	}
	var left []int64
	for _, p := range order {
		if live[p] {
			left = append(left, p)
		}
	}
	return left
}

// count returns how many events named name the trace holds.
func count(r *sim.Recorder, name string) int {
	n := 0
	for _, ev := range r.Events {
		if ev.Name == name {
			n++
		}
	}
	return n
}

// traceText renders a recorded trace for comparison and failure output.
func traceText(r *sim.Recorder) string {
	var b strings.Builder
	for _, ev := range r.Events {
		fmt.Fprintf(&b, "%d %d %s %s", ev.Time, ev.Thread, ev.ThreadName, ev.Name)
		for _, f := range ev.Fields {
			if f.IsStr {
				fmt.Fprintf(&b, " %s=%s", f.Key, f.Str)
			} else {
				fmt.Fprintf(&b, " %s=%d", f.Key, f.Int)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
