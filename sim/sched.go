package sim

import (
	"fmt"
	"slices"
	"time"
)

// The deterministic scheduler.
//
// Exactly one thread runs: w.cur. Every other live thread is in one of
// these places, its coroutine parked (the main thread: its goroutine in
// drive):
//
//   - the run queue w.runq (t.inRunq): runnable, oldest first;
//   - asleep (t.blocked): in Schedule with a non-running state, waiting
//     for WakeUp (the idle hrtimer thread is one of them, t.idle);
//   - never yet started (its goroutine waits for its first handoff; it is
//     in the run queue like any runnable thread);
//   - frozen: it handed the CPU to the main thread to re-raise a fatal
//     panic and waits for Shutdown.
//
// A switch sets w.cur and parks the running thread. Every thread but main
// is a coroutine (iter.Pull) resumed by the main thread's goroutine, in
// drive, which runs w.cur until w.cur is main again: a switch between two
// coroutines is two coroutine switches and no trip through the Go
// scheduler. A dying thread sets w.cur and returns. The coroutine
// switches carry the happens-before edges that make the plain fields
// below race-free.
//
// Choice numbering. At a yield point the options are [cur, runq...] (option
// 0 keeps the current thread running); when the current thread blocks or
// exits they are [runq...] (option 0 is the thread runnable the longest).
// So an all-zero decision log is the cooperative FIFO schedule, and a
// log shrinker that zeroes picks removes preemptions.

// yieldSlow is Yield when another thread is runnable or the step limit is
// reached.
func (w *World) yieldSlow(t *Thread) {
	w.syncSteps()
	w.steps++
	if w.cur != t {
		panic(fmt.Sprintf("sim: %v passed a yield point while %v is the running thread (sim calls must be made by the running thread, on its goroutine)", t, w.cur))
	}
	if w.shut {
		return
	}
	if w.steps >= w.stepLimit {
		w.stepLimit = addClampInt(w.steps, w.cfg.MaxSteps)
		if !w.stuck(KindLivelock) {
			w.switchTo(t, w.prepareFatal(), w.clock)
			return
		}
	}
	n := len(w.runq)
	if n == 0 {
		// Alone: the next yields take the fast path until someone else
		// becomes runnable (enqueue) or the step limit is near.
		t.fuel = w.stepLimit - w.steps
		w.granted, w.fueled = t.fuel, t
		return
	}
	pick := w.chooseThread(t, n+1)
	if pick == 0 {
		return
	}
	next := w.takeRunq(pick - 1)
	w.enqueue(t)
	w.switchTo(t, next, w.clock)
}

// enqueue appends t to the run queue. The fast path of Yield is off while
// the queue is not empty.
func (w *World) enqueue(t *Thread) {
	w.syncSteps()
	t.inRunq = true
	w.runq = append(w.runq, t)
}

// syncSteps folds the yields taken on the fast path into w.steps and turns
// the fast path off.
func (w *World) syncSteps() {
	if h := w.fueled; h != nil {
		w.steps += w.granted - h.fuel
		h.fuel, w.granted, w.fueled = 0, 0, nil
	}
}

// stepCount returns the number of yield points passed.
func (w *World) stepCount() int64 {
	if h := w.fueled; h != nil {
		return w.steps + w.granted - h.fuel
	}
	return w.steps
}

// block puts the running thread t (whose state is not TaskRunning) to
// sleep until wakeDet makes it runnable and the scheduler picks it.
func (w *World) block(t *Thread) {
	if w.cur != t {
		panic(fmt.Sprintf("sim: %v blocks while %v is the running thread", t, w.cur))
	}
	if t.killed {
		panic(errKilled)
	}
	t.blocked = true
	at := w.clock
	w.switchTo(t, w.pickNext(), at)
}

// pickNext chooses the thread to run when the running one stops (it
// blocked or exited): a runnable thread if there is one; else it advances
// the clock to the earliest timer and runs the hrtimer thread; else the
// world is deadlocked: the main thread, if asleep interruptibly, gets a
// signal and runs; otherwise the main thread is returned with w.fatal set.
func (w *World) pickNext() *Thread {
	for {
		if n := len(w.runq); n > 0 {
			i := 0
			if n > 1 {
				i = w.chooseThread(nil, n)
			}
			return w.takeRunq(i)
		}
		if w.idleWake(false) {
			continue
		}
		if w.quiesce != nil && w.lostWakeup() {
			return w.prepareFatal()
		}
		if w.advanceClock() || w.idleWake(true) {
			continue
		}
		if w.stuck(KindDeadlock) {
			continue
		}
		return w.prepareFatal()
	}
}

// switchTo hands the CPU from the running thread from to thread to and
// waits until from is scheduled again. On return from runs; if Shutdown is
// ending it, it unwinds; if it is the main thread and a fatal panic is
// pending, it panics. at is the clock when from stopped (before an idle
// jump of the clock), for the sched_switch event.
func (w *World) switchTo(from, to *Thread, at time.Duration) {
	if from != to {
		if w.sink != nil {
			w.traceSwitch(from, to, at)
		}
		w.cur = to
		if from == w.main {
			w.drive()
		} else {
			from.c.park(struct{}{})
		}
	}
	if from.killed {
		panic(errKilled)
	}
	if from == w.main && w.fatal != nil && !w.fatalDone {
		w.fatalDone = true
		panic(w.fatal)
	}
}

// drive runs on the main thread's goroutine while another thread is
// w.cur: it resumes w.cur's coroutine until that parks or ends, and again
// for whichever thread it made w.cur, until the main thread is w.cur.
func (w *World) drive() {
	for t := w.cur; t != w.main; t = w.cur {
		if t.dead {
			panic(fmt.Sprintf("sim: %v is the running thread but has exited", t))
		}
		if t.c == nil {
			t.c = w.cfg.Carriers.get(t)
		}
		t.c.resume()
		if t.dead {
			t.c.release()
			t.c = nil
		}
	}
}

// traceSwitch emits sched_switch on the thread giving up the CPU, stamped
// at, the time it stopped running.
func (w *World) traceSwitch(from, to *Thread, at time.Duration) {
	st := from.state.String()
	if from.dead {
		st = TaskDead.String()
	}
	w.sink.Event(&Event{Time: at, Thread: from.id, ThreadName: from.name, Name: "sched_switch",
		Fields: []Field{S("prev_state", st), S("next_comm", to.name), I("next_pid", int64(to.id))}})
}

// wakeDet is the state transition of WakeUp: t becomes TaskRunning and, if
// it was asleep, runnable (appended to the run queue). No yield.
func (w *World) wakeDet(t *Thread) bool {
	if t.state == TaskRunning || t.state == TaskDead {
		return false
	}
	t.state = TaskRunning
	if t.blocked {
		t.blocked = false
		w.enqueue(t)
	}
	return true
}

// exitDet ends thread t, the running thread, on its own goroutine: fn
// returned, it unwound for Shutdown, or it panicked (p != nil). It hands
// the CPU on and lets the goroutine return.
func (w *World) exitDet(t *Thread, p *ThreadPanic) {
	t.dead = true
	t.state = TaskDead
	t.blocked = false
	w.unregister(t)
	if p != nil && (w.fatal == nil || w.fatalDone) {
		w.fatal = p
		w.fatalDone = false
	}
	if w.shut {
		w.cur = w.reaper
		return
	}
	if w.sink != nil {
		w.Emit(t, "sched_process_exit")
	}
	at := w.clock
	var next *Thread
	if p != nil {
		next = w.prepareFatal()
	} else {
		next = w.pickNext()
	}
	if w.sink != nil {
		w.traceSwitch(t, next, at)
	}
	w.cur = next // the carrier parks or returns; drive runs next
}

// prepareFatal makes the main thread the next to run so that it re-raises
// w.fatal, and returns it.
func (w *World) prepareFatal() *Thread {
	m := w.main
	if m.inRunq {
		w.takeRunq(slices.Index(w.runq, m))
	}
	m.blocked = false
	m.state = TaskRunning
	return m
}

// stuck handles a deadlock (nothing runnable, no timer pending) or a
// livelock (MaxSteps exceeded): it records a report; if the main thread is
// asleep interruptibly it gets a signal and is woken, and stuck returns
// true; otherwise w.fatal is set to the report and stuck returns false.
func (w *World) stuck(kind string) bool {
	rep := w.report(kind)
	w.deadlocks = append(w.deadlocks, rep)
	if w.sink != nil {
		w.Emit(w.cur, "sim_"+kind, I("threads", int64(len(rep.Threads))))
	}
	m := w.main
	if m.blocked && m.state == TaskInterruptible && !m.sig.Load() {
		m.sig.Store(true)
		w.wakeDet(m)
		return true
	}
	if w.fatal == nil || w.fatalDone {
		w.fatal = rep
		w.fatalDone = false
	}
	return false
}

// advanceClock runs due timers when nothing else can run: if the hrtimer
// thread is idle and a timer is pending, the clock jumps to the earliest
// expiry (if in the future) and the hrtimer thread is woken.
func (w *World) advanceClock() bool {
	h := w.hrt
	if !h.idle || !h.blocked {
		return false
	}
	tm, ok := w.timers.Min()
	if !ok {
		return false
	}
	if tm.when > w.clock {
		w.clock = tm.when
	}
	return w.wakeDet(h)
}

// chooseThread asks the strategy for one of n options. With cur != nil the
// options are [cur, runq...], else [runq...].
func (w *World) chooseThread(cur *Thread, n int) int {
	var pick int
	if w.tstrategy != nil {
		ids := w.idbuf[:0]
		if cur != nil {
			ids = append(ids, cur.id)
		}
		for _, t := range w.runq {
			ids = append(ids, t.id)
		}
		w.idbuf = ids
		pick = w.tstrategy.ChooseThread(ids)
		checkPick(ChooseThread, n, pick)
	} else {
		pick = w.strategy.Choose(ChooseThread, n)
		checkPick(ChooseThread, n, pick)
	}
	if w.record {
		w.choices = append(w.choices, Choice{Kind: ChooseThread, N: n, Pick: pick})
	}
	return pick
}

// takeRunq removes and returns runq[i], keeping the order of the others.
func (w *World) takeRunq(i int) *Thread {
	t := w.runq[i]
	w.runq = slices.Delete(w.runq, i, i+1)
	t.inRunq = false
	return t
}

// clearRunq empties the run queue (Shutdown).
func (w *World) clearRunq() {
	for _, t := range w.runq {
		t.inRunq = false
	}
	clear(w.runq)
	w.runq = w.runq[:0]
}

// addClampInt returns a+b, saturating at MaxInt64 (b >= 0).
func addClampInt(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return 1<<63 - 1
}
