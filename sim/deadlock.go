package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kinds of DeadlockReport.
const (
	// KindDeadlock: no thread runnable and no timer pending.
	KindDeadlock = "deadlock"
	// KindLivelock: Config.MaxSteps yield points passed.
	KindLivelock = "livelock"
)

// DeadlockReport describes a stuck deterministic world: when it was
// detected and what every thread was doing.
//
// What happens next: if the main thread sleeps interruptibly, its signal is
// set and it is woken (the kernel wait returns -EINTR and the caller reads
// World.Deadlock); otherwise the main thread panics with the report, which
// is then a simulator or kernel-model bug. A lost wakeup (liveness.go)
// always ends in that panic.
type DeadlockReport struct {
	Kind    string        // KindDeadlock, KindLivelock or KindLostWakeup
	Time    time.Duration // the world's clock
	Steps   int64         // yield points passed
	Threads []ThreadInfo  // every live thread by id (the idle hrtimer thread left out)
	// Lost (KindLostWakeup) says what should have been woken; Facts are
	// the kernel's state (World.SetQuiescenceCheck), one line each.
	Lost  []string
	Facts []string
}

// ThreadInfo is one thread's line in a DeadlockReport.
type ThreadInfo struct {
	ID         int
	Name       string
	State      TaskState
	Sched      string // "running", "runnable" or "sleeping"
	WaitReason string // SetWaitReason text, or the lock being waited for
}

// report builds a report of the world now.
func (w *World) report(kind string) *DeadlockReport {
	r := &DeadlockReport{Kind: kind, Time: w.clock, Steps: w.stepCount(), Facts: w.facts()}
	for _, t := range w.threads {
		if t.dead || (t == w.hrt && t.idle && t.blocked) {
			continue
		}
		ti := ThreadInfo{ID: t.id, Name: t.name, State: t.state, WaitReason: t.reason}
		switch {
		case t == w.cur && !t.blocked:
			ti.Sched = "running"
		case t.inRunq:
			ti.Sched = "runnable"
		default:
			ti.Sched = "sleeping"
		}
		if m := t.lockWait; m != nil {
			ti.WaitReason = fmt.Sprintf("%s (owner %v)", t.lockKind, m.downer)
		}
		r.Threads = append(r.Threads, ti)
	}
	slices.SortFunc(r.Threads, func(a, b ThreadInfo) int { return a.ID - b.ID })
	return r
}

// String renders the report, one line per thread:
//
//	sim: deadlock at 1.500us after 42 steps: no runnable thread, no pending timer
//	  main[1]        TASK_INTERRUPTIBLE    sleeping  io_cqring_wait min=1
//	  worker[2]      TASK_UNINTERRUPTIBLE  sleeping  mutex_lock (owner other[3])
func (r *DeadlockReport) String() string {
	var b strings.Builder
	what := "no runnable thread, no pending timer"
	switch r.Kind {
	case KindLivelock:
		what = "step limit (Config.MaxSteps) reached"
	case KindLostWakeup:
		what = "no runnable thread"
		if len(r.Lost) > 0 {
			what += ", but " + r.Lost[0]
		}
	}
	fmt.Fprintf(&b, "sim: %s at %s after %d steps: %s\n", r.Kind, string(appendTime(nil, r.Time)), r.Steps, what)
	for _, t := range r.Threads {
		line := fmt.Sprintf("  %-14s %-21s %-9s %s", fmt.Sprintf("%s[%d]", t.Name, t.ID), t.State, t.Sched, t.WaitReason)
		b.WriteString(strings.TrimRight(line, " "))
		b.WriteByte('\n')
	}
	for _, l := range r.Lost[min(1, len(r.Lost)):] {
		fmt.Fprintf(&b, "  lost: %s\n", l)
	}
	for _, f := range r.Facts {
		fmt.Fprintf(&b, "  %s\n", f)
	}
	return b.String()
}

// Error makes the report an error (it is the panic value when the main
// thread cannot be interrupted).
func (r *DeadlockReport) Error() string { return r.String() }
