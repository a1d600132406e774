package sim

import (
	"time"
)

// Timer is an hrtimer: a callback that runs on the world's hrtimer thread
// (the model of hrtimer softirq context) when the clock reaches its
// expiry. Timers are kept in a B-tree ordered by (expiry, arming sequence).
// In deterministic mode, when several timers are due at the same instant
// the scheduler chooses which fires first (a ChooseTimerTie choice), and
// the hrtimer thread passes a yield point after each callback, so the
// order of a timer callback and a thread woken at the same instant is a
// scheduler choice too (CP8).
type Timer struct {
	w     *World
	id    int64 // stable, for traces
	when  time.Duration
	seq   uint64
	fn    func(t *Thread)
	state timerState
}

type timerState uint8

const (
	timerIdle    timerState = iota // not armed (never, fired or stopped)
	timerPending                   // in w.timers
	timerRunning                   // callback running
)

func timerLess(a, b *Timer) bool {
	if a.when != b.when {
		return a.when < b.when
	}
	return a.seq < b.seq
}

// AfterFunc arms a timer that calls fn on the hrtimer thread once d has
// passed on the world's clock (hrtimer_start with HRTIMER_MODE_REL). fn
// receives the hrtimer thread as its calling thread; like a real hrtimer
// callback it should not sleep (it may take a SpinLock and wake threads).
// d <= 0 makes the timer due at once. Not a yield point. After Shutdown
// the returned timer never fires.
func (w *World) AfterFunc(t *Thread, d time.Duration, fn func(t *Thread)) *Timer {
	tm := w.newTimer(fn)
	if !w.shutDown() {
		w.startTimer(t, tm, d)
	}
	return tm
}

func (w *World) newTimer(fn func(*Thread)) *Timer {
	tm := &Timer{w: w, fn: fn}
	if w.det {
		w.timerIDs++
		tm.id = w.timerIDs
	} else {
		w.timerMu.Lock()
		w.timerIDs++
		tm.id = w.timerIDs
		w.timerMu.Unlock()
	}
	return tm
}

// startTimer (re)arms tm to fire d from now.
func (w *World) startTimer(t *Thread, tm *Timer, d time.Duration) {
	if d < 0 {
		d = 0
	}
	if w.det {
		if tm.state == timerPending {
			w.timers.Delete(tm)
		}
		tm.when = addClamp(w.clock, d)
		w.timerSeq++
		tm.seq = w.timerSeq
		tm.state = timerPending
		w.timers.ReplaceOrInsert(tm)
		if w.sink != nil {
			w.Emit(t, "hrtimer_start", I("timer", tm.id), I("expires", int64(tm.when)))
		}
		if d == 0 && w.hrt.idle {
			w.wakeDet(w.hrt)
		}
		return
	}
	w.timerMu.Lock()
	if tm.state == timerPending {
		w.timers.Delete(tm)
	}
	tm.when = addClamp(w.Now(), d)
	w.timerSeq++
	tm.seq = w.timerSeq
	tm.state = timerPending
	w.timers.ReplaceOrInsert(tm)
	first, _ := w.timers.Min()
	w.timerMu.Unlock()
	if w.sink != nil {
		w.Emit(t, "hrtimer_start", I("timer", tm.id), I("expires", int64(tm.when)))
	}
	if first == tm {
		select {
		case w.timerKick <- struct{}{}:
		default:
		}
	}
}

// Stop cancels the timer (hrtimer_try_to_cancel): it returns true if the
// timer was pending and now will not run, false if it was not armed, has
// fired, or its callback is running right now. Not a yield point.
func (tm *Timer) Stop(t *Thread) bool {
	w := tm.w
	if !w.det {
		w.timerMu.Lock()
		defer w.timerMu.Unlock()
	}
	if tm.state != timerPending {
		return false
	}
	w.timers.Delete(tm)
	tm.state = timerIdle
	if w.sink != nil {
		w.Emit(t, "hrtimer_cancel", I("timer", tm.id))
	}
	return true
}

// Reset re-arms the timer to fire d from now (hrtimer_start on an existing
// timer), whether or not it was pending; it returns whether it was
// pending. A callback that is running keeps running. Not a yield point.
func (tm *Timer) Reset(t *Thread, d time.Duration) bool {
	w := tm.w
	if w.shutDown() {
		return tm.Stop(t)
	}
	was := tm.Pending()
	w.startTimer(t, tm, d)
	return was
}

// Pending reports whether the timer is armed and has not fired yet
// (hrtimer_is_queued).
func (tm *Timer) Pending() bool {
	w := tm.w
	if !w.det {
		w.timerMu.Lock()
		defer w.timerMu.Unlock()
	}
	return tm.state == timerPending
}

// running reports whether the callback is running.
func (tm *Timer) running() bool {
	w := tm.w
	if !w.det {
		w.timerMu.Lock()
		defer w.timerMu.Unlock()
	}
	return tm.state == timerRunning
}

// hrtimerLoop is the body of the hrtimer thread.
func (w *World) hrtimerLoop(h *Thread) {
	if w.det {
		w.hrtimerDet(h)
	} else {
		w.hrtimerConc(h)
	}
}

// hrtimerDet runs due timers one at a time, yielding after each, then
// sleeps until the scheduler advances the clock (advanceClock) or a timer
// is armed due at once.
func (w *World) hrtimerDet(h *Thread) {
	for {
		for {
			tm := w.nextDue()
			if tm == nil {
				break
			}
			w.timers.Delete(tm)
			tm.state = timerRunning
			if w.sink != nil {
				w.Emit(h, "hrtimer_expire_entry", I("timer", tm.id), I("now", int64(w.clock)))
			}
			tm.fn(h)
			if tm.state == timerRunning { // not re-armed by the callback
				tm.state = timerIdle
			}
			h.Yield()
		}
		h.idle = true
		h.state = TaskInterruptible
		h.Schedule()
		h.idle = false
	}
}

// nextDue returns the timer to fire now, or nil: the earliest one if it is
// due, or, when several share the earliest expiry, the one the strategy
// picks (ChooseTimerTie; option i is the i-th armed).
func (w *World) nextDue() *Timer {
	first, ok := w.timers.Min()
	if !ok || first.when > w.clock {
		return nil
	}
	n := 0
	w.timers.Ascend(func(tm *Timer) bool {
		if tm.when != first.when {
			return false
		}
		n++
		return true
	})
	if n == 1 {
		return first
	}
	pick := w.Choose(w.hrt, ChooseTimerTie, n)
	var chosen *Timer
	i := 0
	w.timers.Ascend(func(tm *Timer) bool {
		if i == pick {
			chosen = tm
			return false
		}
		i++
		return true
	})
	return chosen
}

// hrtimerConc runs timers on real time until the world dies.
func (w *World) hrtimerConc(h *Thread) {
	rt := time.NewTimer(time.Hour)
	rt.Stop()
	defer rt.Stop()
	for {
		w.timerMu.Lock()
		var due *Timer
		wait := time.Duration(-1)
		if first, ok := w.timers.Min(); ok {
			if now := w.Now(); first.when <= now {
				due = first
				w.timers.Delete(first)
				first.state = timerRunning
			} else {
				wait = first.when - now
			}
		}
		w.timerMu.Unlock()
		if due != nil {
			if w.sink != nil {
				w.Emit(h, "hrtimer_expire_entry", I("timer", due.id), I("now", int64(w.Now())))
			}
			due.fn(h)
			w.timerMu.Lock()
			if due.state == timerRunning {
				due.state = timerIdle
			}
			w.timerMu.Unlock()
			continue
		}
		if wait >= 0 {
			rt.Reset(wait)
		}
		select {
		case <-rt.C:
		case <-w.timerKick:
		case <-w.done:
			return
		}
		rt.Stop()
	}
}
