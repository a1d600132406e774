package sim

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// TaskState is a thread's scheduling state, as the kernel's
// task_struct.__state.
type TaskState int32

const (
	// TaskRunning (TASK_RUNNING): running or runnable.
	TaskRunning TaskState = iota
	// TaskInterruptible (TASK_INTERRUPTIBLE): sleeping; a pending signal
	// ends the sleep.
	TaskInterruptible
	// TaskUninterruptible (TASK_UNINTERRUPTIBLE): sleeping; only a wakeup
	// ends the sleep.
	TaskUninterruptible
	// TaskDead (TASK_DEAD): the thread has exited. Never passed to SetState.
	TaskDead
)

// String returns the kernel's name for the state, e.g. "TASK_INTERRUPTIBLE".
func (s TaskState) String() string {
	switch s {
	case TaskRunning:
		return "TASK_RUNNING"
	case TaskInterruptible:
		return "TASK_INTERRUPTIBLE"
	case TaskUninterruptible:
		return "TASK_UNINTERRUPTIBLE"
	case TaskDead:
		return "TASK_DEAD"
	}
	return fmt.Sprintf("TaskState(%d)", int32(s))
}

// MaxTimeout passed to ScheduleTimeout means "no timeout"
// (MAX_SCHEDULE_TIMEOUT).
const MaxTimeout = time.Duration(1<<63 - 1)

// Thread is a sim thread: the model of a task_struct. The user program's
// thread (World.Main), io-wq workers, the SQPOLL thread, device and timer
// contexts are all Threads. Every sim operation takes the calling thread
// explicitly, as kernel code uses current.
type Thread struct {
	w *World
	// fuel is the number of yield points this thread may pass on the fast
	// path, a decrement and nothing else: > 0 only while it is the
	// running thread of a deterministic world, nobody else is runnable and
	// the step limit is far (World.fueled). It lives here, beside w, so a
	// yield point is one load less than through the world.
	fuel int64
	id   int
	name string
	fn   func(*Thread)
	ch   chan struct{} // concurrent mode: wakeup token

	// Deterministic mode: the coroutine carrying the thread (carrier.go),
	// given when the thread first runs. c.resume runs it until it parks
	// (it switched to another thread) or ends; c.park, called on the
	// coroutine, returns to the resume that ran it.
	c *carrier

	state  TaskState    // deterministic mode
	cstate atomic.Int32 // concurrent mode
	sig    atomic.Bool  // signal pending (set by the world only)
	reason string       // SetWaitReason

	// Deterministic scheduler bookkeeping (sched.go).
	blocked bool // asleep in Schedule: not running, not in the run queue
	inRunq  bool
	dead    bool
	killed  bool // being ended by Shutdown
	idle    bool // hrtimer thread waiting for a due timer

	// Mutex wait (mutex.go): the lock waited for and the waiter list link.
	lockWait       *Mutex
	lockKind       string
	mwNext, mwPrev *Thread
	mwQueued       bool

	cwait      WaitQueueEntry // Completion waits (completion.go)
	sleepTimer *Timer         // ScheduleTimeout

	hooks  *SchedHooks // called around real sleeps (io-wq workers)
	inHook bool

	// TaskFlags are per-task bits the layers above keep in the thread as
	// Linux keeps them in task_struct (vfs.TaskInEventfd is
	// current->in_eventfd). Only the thread itself reads or writes them.
	TaskFlags uint32
	// Frame is the thread's slot for what a layer above keeps in a
	// kernel stack frame but cannot keep in a Go one without a heap
	// allocation per call (a value passed through an interface escapes):
	// io_uring's io_poll_table. Only the thread itself uses it, and one
	// call at a time (the call sets it up on entry).
	Frame any
}

// SchedHooks are called when the thread really goes to sleep in Schedule
// and when it runs again, as the scheduler calls io_wq_worker_sleeping and
// io_wq_worker_running for an io-wq worker (PF_IO_WORKER), so the pool can
// start another worker while one blocks. A hook may take locks; a sleep
// inside a hook does not call the hooks again.
// Linux: kernel/sched/core.c:sched_submit_work(), sched_update_worker()
type SchedHooks struct {
	Sleeping func(t *Thread)
	Running  func(t *Thread)
}

// SetSchedHooks installs (or, with nil, removes) the thread's sleep hooks.
// Only the thread itself may call it.
func (t *Thread) SetSchedHooks(h *SchedHooks) { t.hooks = h }

// sleepHook runs the Sleeping hook before a real sleep; it reports whether
// the Running hook is owed afterwards.
func (t *Thread) sleepHook() bool {
	if t.hooks == nil || t.inHook {
		return false
	}
	t.inHook = true
	t.hooks.Sleeping(t)
	t.inHook = false
	return true
}

// runHook runs the Running hook after a sleep that ran the Sleeping hook.
func (t *Thread) runHook() {
	t.inHook = true
	t.hooks.Running(t)
	t.inHook = false
}

// Name returns the thread's name (its comm).
func (t *Thread) Name() string { return t.name }

// ID returns the thread's id (its pid): 0 is the hrtimer thread, 1 the main
// thread, then threads in the order Go created them.
func (t *Thread) ID() int { return t.id }

// World returns the world the thread lives in.
func (t *Thread) World() *World { return t.w }

// String returns "name[id]".
func (t *Thread) String() string {
	if t == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%s[%d]", t.name, t.id)
}

// State returns the thread's task state.
func (t *Thread) State() TaskState {
	if t.w.det {
		return t.state
	}
	return TaskState(t.cstate.Load())
}

// Yield is an explicit preemption point (cond_resched). In deterministic
// mode the scheduler may switch to another runnable thread here; when no
// other thread is runnable it costs a few loads and records nothing. In
// concurrent mode it does nothing except unwind a thread that Shutdown (or
// another thread's panic) is ending; it does not call runtime.Gosched.
func (t *Thread) Yield() {
	if t.fuel > 0 { // deterministic, nobody else runnable, step limit far
		t.fuel--
		return
	}
	t.yield()
}

// YieldFast is Yield's fast path alone (the same test), for a caller that must stay small
// enough to be inlined: it passes the yield point and reports true when
// the point cannot switch threads (deterministic, nobody else runnable,
// step limit far: a fuel decrement), and does nothing and reports false
// when the caller must call Yield.
func (t *Thread) YieldFast() bool {
	if t.fuel > 0 {
		t.fuel--
		return true
	}
	return false
}

// yield is Yield off the fast path.
func (t *Thread) yield() {
	w := t.w
	if w.det {
		w.yieldSlow(t)
		return
	}
	if w.dying.Load() {
		t.dyingConc()
	}
}

// SetState sets the calling thread's task state (set_current_state). Use
// TaskInterruptible or TaskUninterruptible before checking the wait
// condition and calling Schedule, and TaskRunning after the wait loop.
// Not a yield point.
func (t *Thread) SetState(s TaskState) {
	if t.w.det && uint32(s) <= uint32(TaskUninterruptible) {
		t.state = s
		return
	}
	t.setStateSlow(s)
}

func (t *Thread) setStateSlow(s TaskState) {
	if uint32(s) > uint32(TaskUninterruptible) {
		panic(fmt.Sprintf("sim: SetState(%v)", s))
	}
	if t.w.det {
		t.state = s
		return
	}
	t.cstate.Store(int32(s))
}

// Schedule gives up the CPU (schedule()). If the thread's state is
// TaskRunning it is only a preemption point. Otherwise the thread sleeps
// until a WakeUp sets it running again; if that wakeup came between
// SetState and Schedule, Schedule returns at once, so no wakeup is lost.
// An interruptible sleep also ends (without sleeping at all if the signal
// is already pending) when SignalPending becomes true; the state is then
// TaskRunning again, as in the kernel.
func (t *Thread) Schedule() {
	w := t.w
	if !w.det {
		// Only real sleeps run the hooks; lock waits call scheduleConc
		// directly (a spinlock never schedules in Linux).
		if TaskState(t.cstate.Load()) != TaskRunning && t.sleepHook() {
			defer t.runHook()
		}
		t.scheduleConc()
		return
	}
	switch t.state {
	case TaskRunning:
		t.Yield()
		return
	case TaskInterruptible:
		if t.sig.Load() {
			t.state = TaskRunning
			t.Yield()
			return
		}
	}
	hooked := t.sleepHook()
	if t.state != TaskRunning { // a hook's own lock wait may have woken us
		w.block(t)
	}
	if hooked {
		t.runHook()
	}
}

// ScheduleTimeout is Schedule with a timeout d on the world's clock
// (schedule_hrtimeout): a Timer wakes the thread after d unless something
// woke it first. It returns true if the sleep timed out (the timer fired).
// d <= 0 returns true at once with the state set to TaskRunning; d ==
// MaxTimeout never times out. After Shutdown no timer fires any more: a
// deterministic world advances its clock by d and returns true.
func (t *Thread) ScheduleTimeout(d time.Duration) bool {
	w := t.w
	s := t.State()
	switch {
	case s == TaskRunning:
		t.Schedule()
		return false
	case d <= 0:
		t.SetState(TaskRunning)
		t.Yield()
		return true
	case d == MaxTimeout:
		t.Schedule()
		return false
	case s == TaskInterruptible && t.sig.Load():
		t.SetState(TaskRunning)
		t.Yield()
		return false
	case w.shutDown():
		if w.det {
			w.clock = addClamp(w.clock, d)
		}
		t.SetState(TaskRunning)
		return true
	}
	tm := t.sleepTimer
	if tm == nil {
		tm = w.newTimer(func(ht *Thread) { t.WakeUp(ht) })
		t.sleepTimer = tm
	}
	w.startTimer(t, tm, d)
	t.Schedule()
	if tm.Stop(t) {
		return false
	}
	if !w.det {
		// hrtimer_cancel: let a running wakeup callback finish so it
		// cannot hit this thread's next sleep.
		for tm.running() {
			runtime.Gosched()
		}
	}
	return true
}

// Sleep sleeps uninterruptibly for at least d on the world's clock
// (msleep/usleep_range), however often the thread is woken meanwhile.
func (t *Thread) Sleep(d time.Duration) {
	w := t.w
	end := addClamp(w.Now(), d)
	for {
		left := end - w.Now()
		if left <= 0 || (!w.det && w.shutDown()) {
			t.SetState(TaskRunning)
			return
		}
		t.SetState(TaskUninterruptible)
		t.ScheduleTimeout(left)
	}
}

// WakeUp wakes t (wake_up_process(t)) on behalf of waker, the calling
// thread: if t sleeps (or is about to: its state is not TaskRunning) its
// state becomes TaskRunning and it becomes runnable. It returns false if t
// was already running or is dead. In deterministic mode a successful
// wakeup is a yield point of the waker (the woken thread may preempt it).
// waker may be nil only when the caller is outside any sim thread.
func (t *Thread) WakeUp(waker *Thread) bool {
	w := t.w
	if w.det {
		if !w.wakeDet(t) {
			return false
		}
		if w.sink != nil {
			w.Emit(waker, "sched_wakeup", S("comm", t.name), I("pid", int64(t.id)))
		}
		if waker != nil {
			waker.Yield()
		}
		return true
	}
	if !t.wakeConc() {
		return false
	}
	if w.sink != nil {
		w.Emit(waker, "sched_wakeup", S("comm", t.name), I("pid", int64(t.id)))
	}
	return true
}

// SignalPending reports whether the world interrupted this thread
// (signal_pending(current)): after a detected deadlock or livelock (the
// main thread, when it slept interruptibly) and after Shutdown (every
// thread). Interruptible kernel waits must then return (-EINTR).
func (t *Thread) SignalPending() bool { return t.sig.Load() }

// Signal makes a signal pending for t on behalf of waker, the calling
// thread (signal_wake_up): an interruptible sleep of t ends (an
// uninterruptible one goes on), and SignalPending reports it until
// ClearSignal.
// Linux: kernel/signal.c:signal_wake_up_state()
func (t *Thread) Signal(waker *Thread) {
	t.sig.Store(true)
	if t.State() == TaskInterruptible {
		t.WakeUp(waker)
	}
}

// ClearSignal clears the thread's pending signal (as delivering it to user
// space does). A main thread that handled a deadlock report and wants to
// carry on calls it; after Shutdown the signal stays meaningful.
func (t *Thread) ClearSignal() { t.sig.Store(false) }

// SetWaitReason records free text describing what the thread waits for
// ("io_cqring_wait min=1"), shown in deadlock reports. It stays until the
// next call. Waits inside Mutex and SpinLock report their own reason.
func (t *Thread) SetWaitReason(s string) { t.reason = s }

// WaitReason returns the text last set by SetWaitReason.
func (t *Thread) WaitReason() string { return t.reason }

// ThreadPanic is the value re-panicked on the main thread's goroutine when
// another sim thread panics.
type ThreadPanic struct {
	Thread string // name of the thread that panicked
	ID     int    // its id
	Value  any    // the value it panicked with
	Stack  []byte // its goroutine's stack at the panic
}

// Error describes the panic, with the thread's stack.
func (p *ThreadPanic) Error() string {
	return fmt.Sprintf("sim: panic in thread %s[%d]: %v\n\n%s", p.Thread, p.ID, p.Value, p.Stack)
}

// Unwrap returns the panic value if it is an error (so errors.As finds a
// *ReplayDivergence or *DeadlockReport inside).
func (p *ThreadPanic) Unwrap() error {
	if e, ok := p.Value.(error); ok {
		return e
	}
	return nil
}

// stackReserve is the stack a thread's coroutine grows to before the
// thread runs: kernel call chains are deep, and growing a goroutine's
// stack step by step copies and adjusts every frame on it each time
// (stack copying was a quarter of the instructions of a small world).
// Growing once, while the stack is a few frames deep, costs nearly
// nothing.
const stackReserve = 14 << 10

// growStack makes the calling goroutine's stack at least stackReserve
// bytes: its frame is that large, so the runtime grows the stack at its
// entry, to fit it at once. The index only keeps the frame from being
// optimised away.
//
//go:noinline
func growStack(i int) byte {
	var b [stackReserve]byte
	b[uint(i)%stackReserve] = 1
	return b[uint(i+1)%stackReserve]
}

// errKilled unwinds a deterministic-mode thread that Shutdown is ending:
// a panic, recovered by carryDet (runtime.Goexit would leave iter.Pull's
// coroutine by ending the driving goroutine too).
var errKilled = &struct{ msg string }{"sim: thread ended by Shutdown"}

// carryDet is the body of a deterministic-mode thread's coroutine.
func (t *Thread) carryDet() {
	normal := false
	defer func() {
		var p *ThreadPanic
		if !normal {
			if r := recover(); r != nil && r != any(errKilled) {
				p = &ThreadPanic{Thread: t.name, ID: t.id, Value: r, Stack: debug.Stack()}
			}
		}
		t.w.exitDet(t, p)
	}()
	if !t.killed {
		t.fn(t)
	}
	normal = true
}

// carryConc is the goroutine of a concurrent-mode thread.
func (t *Thread) carryConc() {
	w := t.w
	normal := false
	defer func() {
		var p *ThreadPanic
		if !normal {
			if r := recover(); r != nil {
				p = &ThreadPanic{Thread: t.name, ID: t.id, Value: r, Stack: debug.Stack()}
			}
		}
		t.cstate.Store(int32(TaskDead))
		w.unregister(t)
		if p != nil {
			w.cfatal.CompareAndSwap(nil, p)
			w.closeDone()
		}
		if w.sink != nil && !w.dying.Load() {
			w.Emit(t, "sched_process_exit")
		}
		w.wg.Done()
	}()
	if !w.dying.Load() {
		t.fn(t)
	}
	normal = true
}

// scheduleConc is Schedule in concurrent mode.
func (t *Thread) scheduleConc() {
	w := t.w
	for {
		s := TaskState(t.cstate.Load())
		if s == TaskRunning {
			return
		}
		if s == TaskInterruptible && t.sig.Load() {
			t.cstate.CompareAndSwap(int32(s), int32(TaskRunning))
			continue
		}
		select {
		case <-t.ch:
		case <-w.done:
			t.dyingConc()
			if s != TaskInterruptible {
				panic(fmt.Sprintf("sim: %v sleeps uninterruptibly after Shutdown; nothing can wake it", t))
			}
		}
	}
}

// dyingConc handles a concurrent world that is shutting down or died of a
// thread panic: other threads unwind; the main thread re-raises the panic
// or, after Shutdown, carries on with its signal pending.
func (t *Thread) dyingConc() {
	w := t.w
	if t != w.main {
		runtime.Goexit()
	}
	w.raiseFatalConc()
	t.sig.Store(true)
}

// raiseFatalConc re-panics a thread's panic on the main thread, once.
func (w *World) raiseFatalConc() {
	if p := w.cfatal.Load(); p != nil && w.cfatalDone.CompareAndSwap(false, true) {
		panic(p)
	}
}

// wakeConc is WakeUp's state transition in concurrent mode.
func (t *Thread) wakeConc() bool {
	for {
		s := t.cstate.Load()
		if s == int32(TaskRunning) || s == int32(TaskDead) {
			return false
		}
		if t.cstate.CompareAndSwap(s, int32(TaskRunning)) {
			select {
			case t.ch <- struct{}{}:
			default:
			}
			return true
		}
	}
}
