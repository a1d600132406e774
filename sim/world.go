package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/btree"
)

// Mode selects how a World runs its threads.
type Mode int

const (
	// Deterministic runs one sim thread at a time on virtual time; every
	// interleaving decision comes from the Strategy (the default).
	Deterministic Mode = iota
	// Concurrent runs sim threads as ordinary goroutines on real time.
	Concurrent
)

// String returns "deterministic" or "concurrent".
func (m Mode) String() string {
	switch m {
	case Deterministic:
		return "deterministic"
	case Concurrent:
		return "concurrent"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Config configures a World.
type Config struct {
	// Seed seeds World.Rand and, when Strategy is nil, the random walk.
	Seed uint64
	// Mode is Deterministic (zero value) or Concurrent.
	Mode Mode
	// Strategy decides every choice point in deterministic mode (and
	// World.Choose in both modes). Nil means RandomWalk(Seed).
	Strategy Strategy
	// Sink receives trace events. Nil turns tracing off (World.Tracing
	// reports false and World.Emit does nothing).
	Sink Sink
	// MaxSteps bounds the number of yield points a deterministic run may
	// pass; exceeding it is reported as a livelock the same way as a
	// deadlock (see World.Deadlock). Zero means unlimited.
	MaxSteps int64
	// NoChoiceLog turns off recording of the decision log (World.Choices
	// then returns nil). For long benchmark runs whose log is never read.
	NoChoiceLog bool
	// Carriers, if set, is the pool the world takes its threads'
	// coroutines from and gives them back to (deterministic mode; see
	// Carriers). Nil: each thread gets a coroutine of its own.
	Carriers *Carriers
}

// World is one simulated machine: its threads, scheduler, clock, timers,
// randomness and trace sink. Create it with NewWorld, end it with Shutdown.
// Worlds share nothing; run one per goroutine/core for seed sweeps.
type World struct {
	det    bool
	idle   func(block bool) *Thread // SetIdle: events from outside the world
	cfg    Config
	main   *Thread
	hrt    *Thread // the hrtimer thread: runs every Timer callback
	sink   Sink
	record bool

	// Thread registry: the live threads in creation order. regMu guards it
	// in concurrent mode.
	regMu   sync.Mutex
	threads []*Thread
	nextID  int

	// Deterministic scheduler (sched.go). Only the running thread touches
	// these; the coroutine switches order the accesses.
	cur        *Thread
	runq       []*Thread // runnable threads other than cur, oldest first
	fueled     *Thread   // the thread holding fuel (Thread.fuel, > 0 only when det and runq is empty), or nil
	granted    int64     // fuel when last granted
	steps      int64     // yield points passed, except fuel used since granted
	stepLimit  int64
	idbuf      []int
	clock      time.Duration
	fatal      any // panic value to re-raise on the main thread
	fatalDone  bool
	deadlocks  []*DeadlockReport
	quiesce    *QuiescenceCheck // liveness.go
	lostSeen   bool             // a lost wakeup was reported
	shut       bool
	reaper     *Thread
	strategy   Strategy
	tstrategy  ThreadStrategy // strategy, when it wants thread identities
	choices    []Choice
	chooseMu   sync.Mutex // concurrent mode: guards strategy and choices
	rng        rand.PCG
	rngMu      sync.Mutex // concurrent mode: guards rng
	traceMu    sync.Mutex // concurrent mode: serialises Sink calls
	timerMu    sync.Mutex // concurrent mode: guards timers and Timer state
	timers     *btree.BTreeG[*Timer]
	timerSeq   uint64
	timerIDs   int64
	timerKick  chan struct{} // concurrent mode: the earliest timer changed
	start      time.Time     // concurrent mode: the clock's zero
	done       chan struct{} // concurrent mode: closed on Shutdown or fatal panic
	closeOnce  sync.Once
	dying      atomic.Bool // concurrent mode: done is closed
	cshut      atomic.Bool // concurrent mode: Shutdown was called
	wg         sync.WaitGroup
	cfatal     atomic.Pointer[ThreadPanic] // concurrent mode: first thread panic
	cfatalDone atomic.Bool                 // concurrent mode: cfatal was re-raised
}

// NewWorld creates a world whose main thread is the calling goroutine. The
// main thread is running when NewWorld returns. Call Shutdown when done
// (typically deferred) to end every other thread.
func NewWorld(cfg Config) *World {
	w := &World{
		cfg:       cfg,
		det:       cfg.Mode != Concurrent,
		sink:      cfg.Sink,
		record:    !cfg.NoChoiceLog,
		stepLimit: math.MaxInt64,
		rng:       *rand.NewPCG(cfg.Seed, 0x72616e642e53696d), // "rand.Sim"
		timers:    btree.NewG(8, timerLess),
	}
	if cfg.MaxSteps > 0 {
		w.stepLimit = cfg.MaxSteps
	}
	w.strategy = cfg.Strategy
	if w.strategy == nil {
		w.strategy = RandomWalk(cfg.Seed)
	}
	w.tstrategy, _ = w.strategy.(ThreadStrategy)
	if b, ok := w.strategy.(worldBinder); ok {
		b.bindWorld(w)
	}

	// The hrtimer thread is thread 0 (as the idle task is pid 0), main is 1.
	w.hrt = w.newThread("hrtimer", nil)
	w.main = w.newThread("main", nil)
	w.hrt.fn = w.hrtimerLoop
	if w.det {
		growStack(0) // the main thread's goroutine, too: it runs kernel code
		w.cur = w.main
		// The hrtimer thread starts asleep, waiting for a timer; it is
		// not runnable, so it adds no choice until a timer is due.
		w.hrt.state = TaskInterruptible
		w.hrt.blocked = true
		w.hrt.idle = true
	} else {
		w.start = time.Now()
		w.done = make(chan struct{})
		w.timerKick = make(chan struct{}, 1)
		w.wg.Add(1)
		go w.hrt.carryConc()
	}
	return w
}

// newThread allocates a thread and registers it.
func (w *World) newThread(name string, fn func(*Thread)) *Thread {
	if !w.det {
		w.regMu.Lock()
		defer w.regMu.Unlock()
	}
	t := &Thread{w: w, id: w.nextID, name: name, fn: fn}
	if !w.det {
		t.ch = make(chan struct{}, 1)
	}
	w.nextID++
	if t.name == "" {
		t.name = fmt.Sprintf("thread-%d", t.id)
	}
	w.threads = append(w.threads, t)
	return t
}

// unregister removes a dead thread from the registry.
func (w *World) unregister(t *Thread) {
	if !w.det {
		w.regMu.Lock()
		defer w.regMu.Unlock()
	}
	if i := slices.Index(w.threads, t); i >= 0 {
		w.threads = slices.Delete(w.threads, i, i+1)
	}
}

// Main returns the main (user) thread: the one carried by the goroutine
// that called NewWorld.
func (w *World) Main() *Thread { return w.main }

// Deterministic reports whether the world runs in deterministic mode.
func (w *World) Deterministic() bool { return w.det }

// Go starts a sim thread named name running fn, spawned by parent (the
// calling thread, like the kernel's current in kernel_clone). It is the
// only way to start a goroutine in uringsim. In deterministic mode the new
// thread is runnable at once and first runs when the scheduler picks it;
// Go is a yield point of the parent, so that may be immediately. In
// concurrent mode it starts at once. The thread ends when fn returns.
// After Shutdown, Go returns a thread that is already dead and never runs.
func (w *World) Go(parent *Thread, name string, fn func(t *Thread)) *Thread {
	if parent == nil {
		panic("sim: World.Go needs the calling thread as parent")
	}
	if fn == nil {
		panic("sim: World.Go with nil fn")
	}
	if w.shutDown() {
		t := &Thread{w: w, id: -1, name: name, state: TaskDead, dead: true}
		t.cstate.Store(int32(TaskDead))
		return t
	}
	t := w.newThread(name, fn)
	if w.sink != nil {
		w.Emit(parent, "sched_process_fork", S("child_comm", t.name), I("child_pid", int64(t.id)))
	}
	if w.det {
		w.enqueue(t)
		parent.Yield()
		return t
	}
	w.wg.Add(1)
	go t.carryConc()
	return t
}

// shutDown reports whether Shutdown has been called.
func (w *World) shutDown() bool {
	if w.det {
		return w.shut
	}
	return w.cshut.Load()
}

// Steps returns the number of yield points passed so far (deterministic
// mode; 0 in concurrent mode). MaxSteps bounds it.
func (w *World) Steps() int64 {
	if !w.det {
		return 0
	}
	return w.stepCount()
}

// Deadlock returns the report of the first deadlock (or livelock, see
// Config.MaxSteps) detected in this world, or nil. Only deterministic mode
// detects deadlocks.
func (w *World) Deadlock() *DeadlockReport {
	if len(w.deadlocks) == 0 {
		return nil
	}
	return w.deadlocks[0]
}

// Deadlocks returns every deadlock or livelock report of this world, oldest
// first (a main thread that clears its signal with Thread.ClearSignal and
// carries on may meet more than one).
func (w *World) Deadlocks() []*DeadlockReport { return slices.Clone(w.deadlocks) }

// Shutdown ends every thread except the main thread: each blocked or
// runnable thread is woken with its signal pending and unwinds from the
// sim call it is blocked in (deterministic mode: with a panic its carrier
// recovers; concurrent mode: with runtime.Goexit). Its deferred calls run;
// sim operations they make do not switch threads, and a wait that would
// block unwinds again. Pending timers are dropped. When Shutdown returns
// no goroutine of the world is left (a carrier may still be returning, or parked free in Config.Carriers).
// The main thread keeps running with its signal pending: interruptible
// waits return at once, AfterFunc timers never fire, Go starts nothing.
//
// Call it from the main thread's goroutine. Idempotent. If a thread
// panicked while being shut down (or, in concurrent mode, at any time and
// the panic was not yet re-raised), Shutdown re-raises that panic after
// cleaning up.
func (w *World) Shutdown() {
	if w.det {
		w.shutdownDet()
	} else {
		w.shutdownConc()
	}
}

func (w *World) shutdownDet() {
	if w.shut {
		return
	}
	if w.cur != w.main {
		panic(fmt.Sprintf("sim: Shutdown called while %v is running; call it from the main thread's goroutine", w.cur))
	}
	w.shut = true
	w.reaper = w.main
	w.syncSteps()
	w.clearRunq()
	w.timers.Clear(false)
	for _, th := range slices.Clone(w.threads) {
		if th == w.main || th.dead {
			continue
		}
		th.killed = true
		th.sig.Store(true)
		w.cur = th
		w.drive() // th unwinds and hands back to the reaper
		w.clearRunq()
	}
	m := w.main
	w.cur = m
	m.state = TaskRunning
	m.blocked = false
	m.sig.Store(true)
	if w.fatal != nil && !w.fatalDone {
		w.fatalDone = true
		panic(w.fatal)
	}
}

func (w *World) shutdownConc() {
	if !w.cshut.CompareAndSwap(false, true) {
		return
	}
	w.regMu.Lock()
	for _, th := range w.threads {
		th.sig.Store(true)
	}
	w.regMu.Unlock()
	w.closeDone()
	w.wg.Wait()
	w.main.cstate.Store(int32(TaskRunning))
	w.raiseFatalConc()
}

// closeDone interrupts every concurrent-mode thread.
func (w *World) closeDone() {
	w.closeOnce.Do(func() {
		w.dying.Store(true)
		close(w.done)
	})
}
