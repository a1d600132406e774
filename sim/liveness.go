package sim

// Liveness: a deterministic world about to idle (no thread runnable) asks
// a quiescence check, set by the kernel that runs in it, whether some
// thread should have been woken: work is waiting that nothing will run
// (a lost wakeup). The world then stops as for a deadlock that cannot be
// interrupted: the main thread panics with the report, whose Facts say
// what the check found and what else the kernel holds.

// KindLostWakeup: no thread runnable, but the quiescence check found work
// that a sleeping thread should have been woken for.
const KindLostWakeup = "lost-wakeup"

// QuiescenceCheck looks at a world in which no thread is runnable and
// returns what makes the state a lost wakeup (nil: none); it is asked
// each time the world would idle, so it should cost little when it finds
// nothing. Facts describes the kernel's state for a report (in-flight
// requests, queued work). Both run on the thread that just stopped,
// between two threads' steps: they must not pass a yield point, block or
// wake anyone (read state only: LList.Peek, Thread.Asleep, atomics).
type QuiescenceCheck struct {
	Lost  func() []string
	Facts func() []string
}

// SetQuiescenceCheck installs the world's check (deterministic mode; the
// zero value removes it). Deadlock and livelock reports carry its facts
// too. After the first lost wakeup it is not asked again (the run is
// ending).
func (w *World) SetQuiescenceCheck(c QuiescenceCheck) {
	w.quiesce = nil
	if c.Lost != nil || c.Facts != nil {
		w.quiesce = &c
	}
}

// lostWakeup runs the quiescence check when no thread is runnable; on a
// lost wakeup it records a report, makes it the fatal panic of the main
// thread and returns true.
func (w *World) lostWakeup() bool {
	if w.quiesce.Lost == nil || w.lostSeen || w.shut || w.fatal != nil {
		return false
	}
	lost := w.quiesce.Lost()
	if len(lost) == 0 {
		return false
	}
	w.lostSeen = true
	rep := w.report(KindLostWakeup)
	rep.Lost = lost
	w.deadlocks = append(w.deadlocks, rep)
	if w.sink != nil {
		w.Emit(w.cur, "sim_"+KindLostWakeup, I("threads", int64(len(rep.Threads))), S("lost", lost[0]))
	}
	w.fatal, w.fatalDone = rep, false
	return true
}

// facts returns the quiescence check's facts for a report.
func (w *World) facts() []string {
	if w.quiesce == nil || w.quiesce.Facts == nil || !w.det {
		return nil
	}
	return w.quiesce.Facts()
}

// Asleep reports whether t is blocked in Schedule (deterministic mode):
// not running, not runnable, not dead.
func (t *Thread) Asleep() bool { return t.blocked && !t.inRunq && !t.dead }

// Peek returns the list's newest node without taking it (no yield point):
// for reports, not for consumers.
func (l *LList) Peek() *LLNode {
	if n := l.first.Load(); n != llistClosed {
		return n
	}
	return nil
}
