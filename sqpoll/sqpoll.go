package sqpoll

import (
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// IORING_SQPOLL_CAP_ENTRIES_VALUE is how many SQEs the thread submits from
// one ring per round when more than one ring is attached (fairness).
//
// Linux: io_uring/sqpoll.c:IORING_SQPOLL_CAP_ENTRIES_VALUE
const IORING_SQPOLL_CAP_ENTRIES_VALUE = 8

// IORING_TW_CAP_ENTRIES_VALUE is how many task-work items the thread runs
// per round.
//
// Linux: io_uring/sqpoll.c:IORING_TW_CAP_ENTRIES_VALUE
const IORING_TW_CAP_ENTRIES_VALUE = 8

// Bits of io_sq_data.state.
//
// Linux: io_uring/sqpoll.c:IO_SQ_THREAD_SHOULD_STOP
const (
	IO_SQ_THREAD_SHOULD_STOP = 0
	IO_SQ_THREAD_SHOULD_PARK = 1
)

// Ring is what the SQ thread needs of an attached ring (struct
// io_ring_ctx); *kernel.Ctx implements it. Methods taking t are called on
// the SQ thread (or, for SQFull, the thread in io_uring_enter).
type Ring interface {
	// RingID is the ring's stable identity for traces (ctx->ID; never an
	// address).
	RingID() uint64
	// SQEntriesPending is io_sqring_entries(): smp_load_acquire of the SQ
	// tail minus the kernel's cached SQ head. Called without uring_lock and
	// possibly in TASK_INTERRUPTIBLE: it must not sleep. In deterministic
	// mode it should be a yield point, as every ring-word access is.
	SQEntriesPending(t *sim.Thread) uint32
	// SQPollSubmit is the locked part of __io_sq_thread(): take
	// uring_lock, run io_do_iopoll(ctx, true) if the iopoll list is not
	// empty, io_submit_sqes(ctx, toSubmit) if toSubmit > 0 and the ring's
	// refs are not dying and it is not IORING_SETUP_R_DISABLED, drop
	// uring_lock, and return what io_submit_sqes returned (0 if it did
	// not run). Called with the Data lock held.
	SQPollSubmit(t *sim.Thread, toSubmit uint32) int
	// IOPollPending is !wq_list_empty(&ctx->iopoll_list): always false on
	// a ring without IORING_SETUP_IOPOLL. Read without uring_lock, so it
	// must be safe to call concurrently (an atomic).
	IOPollPending() bool
	// SQFlags is &ctx->rings->sq_flags, the shared word the thread sets and
	// clears IORING_SQ_NEED_WAKEUP in (rings.AtomicOr, rings.AtomicAndNot).
	SQFlags() *uint32
	// SQThreadIdle is ctx->sq_thread_idle (see IdleFromParams).
	SQThreadIdle() time.Duration
	// SQFull is io_sqring_full(): the SQ ring has no free entry. Must not
	// sleep (it runs in TASK_INTERRUPTIBLE).
	SQFull(t *sim.Thread) bool
	// SQWait is &ctx->sqo_sq_wait, where IORING_ENTER_SQ_WAIT sleeps until
	// the SQ thread consumed entries.
	SQWait() *sim.WaitQueueHead
}

// Task is the SQ thread's own io_uring_task (current->io_uring of the SQ
// thread): the kernel allocates it in the alloc function passed to Start.
// Its methods are called on the SQ thread with the Data lock held.
type Task interface {
	// RunTaskWork is io_sq_tw(&retry_list, max): run up to max items of the
	// thread's io_uring task work, the ones left over (retry_list) from the
	// previous call first, and return how many ran. The retry list lives
	// in the Task. max is math.MaxUint32 for "all" (io_run_task_work()).
	RunTaskWork(t *sim.Thread, max uint32) uint32
	// TaskWorkPending is io_sq_tw_pending(retry_list): a retry list or a
	// non-empty tctx->task_list. Called in TASK_INTERRUPTIBLE: it must not
	// sleep.
	TaskWorkPending(t *sim.Thread) bool
	// CancelAll is io_uring_cancel_generic(true, sqd), run once as the
	// thread exits: cancel every request of the thread's rings (Data.Rings)
	// and wait for them.
	CancelAll(t *sim.Thread)
}

// Bugs are museum switches: each re-introduces one fixed kernel bug. The
// zero value is Linux 6.18.
type Bugs struct {
	// SQPollNoFence (bug museum M9; fixed by 649bb75d19c9 "io_uring: fix
	// memory ordering when SQPOLL thread goes to sleep", 5.18): without the
	// full barrier between setting IORING_SQ_NEED_WAKEUP and re-reading the
	// SQ tail, the load can be satisfied before the store is visible to the
	// application. The switch performs the re-check's load before the
	// store, so an entry published in between, by an application that then
	// saw NEED_WAKEUP clear, is left in the ring with the thread asleep.
	SQPollNoFence bool
	// NoTaskWorkWake (bug museum A2; fixed by 78f9b61bd8e5 "io_uring: wake
	// SQPOLL task when task_work is added to an empty queue", 6.9):
	// NotifyTaskWork does not wake the thread, so task work queued while it
	// sleeps waits for an unrelated wakeup.
	NoTaskWorkWake bool
}

// Default poll intervals of Config.
const (
	DefaultPollMin = time.Microsecond
	DefaultPollMax = time.Millisecond
)

// Config configures a Data.
type Config struct {
	// Bugs switches museum bugs on.
	Bugs Bugs
	// PollMin and PollMax bound the virtual-time polls that replace the
	// busy spin before the idle deadline (see the package doc): the first
	// poll after work lasts PollMin, each next one twice as long up to
	// PollMax. Zero means DefaultPollMin / DefaultPollMax.
	PollMin, PollMax time.Duration
}

// Data is an io_sq_data: one SQ thread and the rings it serves. Create it
// with New, share it with Attach.
//
// Linux: io_uring/sqpoll.h:struct io_sq_data
type Data struct {
	cfg Config

	refs        atomic.Int32 // refs
	parkPending atomic.Int32 // park_pending
	lock        sim.Mutex    // lock

	ringList []Ring // ctx_list, newest first (list_add); under lock

	thread atomic.Pointer[sim.Thread] // thread (sqpoll_task_locked)
	wait   sim.WaitQueueHead          // wait: the thread sleeps here

	sqThreadIdle atomic.Int64 // sq_thread_idle (written under lock)
	taskPID      atomic.Int64 // task_pid
	taskTGID     atomic.Int64 // task_tgid
	workTime     atomic.Int64 // work_time, virtual nanoseconds

	state  atomic.Uint32  // state: IO_SQ_THREAD_SHOULD_STOP/_PARK bits
	exited sim.Completion // exited

	created atomic.Bool    // Start was called
	started sim.Completion // wake_up_new_task: the thread may run
	task    Task           // the thread's io_uring_task; set before started
	taskp   atomic.Pointer[taskHolder]

	// notify is the thread's TIF_NOTIFY_SIGNAL (__set_notify_signal).
	notify atomic.Bool

	// recheckHits counts the times the re-check after setting NEED_WAKEUP
	// found SQ entries and kept the thread awake (for tests).
	recheckHits atomic.Int64
}

// New allocates an io_sq_data holding one reference, with no ring and no
// thread yet.
//
// Linux: io_uring/sqpoll.c:io_get_sq_data()
func New(cfg Config) *Data {
	if cfg.PollMin <= 0 {
		cfg.PollMin = DefaultPollMin
	}
	if cfg.PollMax <= 0 {
		cfg.PollMax = DefaultPollMax
	}
	cfg.PollMax = max(cfg.PollMax, cfg.PollMin)
	sqd := &Data{cfg: cfg}
	sqd.refs.Store(1)
	return sqd
}

// IdleFromParams converts io_uring_params.sq_thread_idle (milliseconds)
// into ctx->sq_thread_idle: zero means one second (HZ jiffies).
//
// Linux: io_uring/sqpoll.c:io_sq_offload_create()
func IdleFromParams(ms uint32) time.Duration {
	if ms == 0 {
		return time.Second
	}
	return time.Duration(ms) * time.Millisecond
}

// Attach takes a reference on sqd for a ring created with
// IORING_SETUP_ATTACH_WQ by a task of thread group tgid. It fails with
// -EPERM if the SQ thread belongs to another thread group (the caller then
// creates a new Data, as Linux falls through). The kernel does the wq_fd
// lookup (-ENXIO, -EINVAL) before.
//
// Linux: io_uring/sqpoll.c:io_attach_sq_data()
func (sqd *Data) Attach(tgid int) (*Data, int) {
	if sqd.taskTGID.Load() != int64(tgid) {
		return nil, -int(unix.EPERM)
	}
	sqd.refs.Add(1)
	return sqd, 0
}

// Put drops a reference; the last one stops the thread.
//
// Linux: io_uring/sqpoll.c:io_put_sq_data()
func (sqd *Data) Put(t *sim.Thread) {
	if sqd.refs.Add(-1) == 0 {
		if sqd.parkPending.Load() != 0 {
			panic("sqpoll: last reference dropped with a park pending")
		}
		sqd.Stop(t)
	}
}

// AddRing attaches r with the thread parked, and recomputes
// sq_thread_idle as the maximum over the attached rings. attached says sqd
// came from Attach: attaching to a thread that already exited fails with
// -ENXIO, and the caller must then RemoveRing (as Linux's error path calls
// io_sq_thread_finish).
//
// Linux: io_uring/sqpoll.c:io_sq_offload_create()
func (sqd *Data) AddRing(t *sim.Thread, r Ring, attached bool) int {
	sqd.Park(t)
	sqd.ringList = slices.Insert(sqd.ringList, 0, r)
	sqd.updateThreadIdle()
	ret := 0
	if attached && sqd.thread.Load() == nil {
		ret = -int(unix.ENXIO)
	}
	sqd.Unpark(t)
	return ret
}

// RemoveRing detaches r with the thread parked, recomputes
// sq_thread_idle and drops r's reference (Put): when it was the last, the
// thread is stopped and has exited when RemoveRing returns.
//
// Linux: io_uring/sqpoll.c:io_sq_thread_finish()
func (sqd *Data) RemoveRing(t *sim.Thread, r Ring) {
	sqd.Park(t)
	if i := slices.Index(sqd.ringList, r); i >= 0 {
		sqd.ringList = slices.Delete(sqd.ringList, i, i+1)
	}
	sqd.updateThreadIdle()
	sqd.Unpark(t)
	sqd.Put(t)
}

// Linux: io_uring/sqpoll.c:io_sqd_update_thread_idle()
func (sqd *Data) updateThreadIdle() {
	var idle time.Duration
	for _, r := range sqd.ringList {
		idle = max(idle, r.SQThreadIdle())
	}
	sqd.sqThreadIdle.Store(int64(idle))
}

// Start creates the SQ thread, named "iou-sqp-<pid>", on behalf of parent,
// the task of process pid and thread group tgid setting the ring up. alloc
// runs on parent and returns the new thread's io_uring_task (nil if that
// failed: the thread then exits at once, and the caller undoes the setup
// with RemoveRing). The thread runs only after alloc returned. Start is
// called once, after the first AddRing. This is the tail of
// io_sq_offload_create: create_io_thread, io_uring_alloc_task_context,
// wake_up_new_task. SQ_AFF has no effect (the simulator has no CPUs).
//
// Linux: io_uring/sqpoll.c:io_sq_offload_create()
func (sqd *Data) Start(parent *sim.Thread, pid, tgid int, alloc func(sq *sim.Thread) Task) *sim.Thread {
	if sqd.created.Swap(true) {
		panic("sqpoll: Start called twice")
	}
	sqd.taskPID.Store(int64(pid))
	sqd.taskTGID.Store(int64(tgid))
	w := parent.World()
	th := w.Go(parent, fmt.Sprintf("iou-sqp-%d", pid), sqd.run)
	if th.State() == sim.TaskDead { // the world is shut down: nothing runs
		sqd.exited.Complete(parent)
		return nil
	}
	sqd.thread.Store(th)
	sqd.task = alloc(th)
	if sqd.task != nil {
		sqd.taskp.Store(&taskHolder{sqd.task})
	}
	sqd.started.Complete(parent)
	return th
}

type taskHolder struct{ task Task }

// Thread returns the SQ thread, or nil before Start and once it exited
// (sqpoll_task_locked; the kernel's io_uring_enter fails with -EOWNERDEAD
// on an SQPOLL ring whose thread is gone).
//
// Linux: io_uring/sqpoll.h:sqpoll_task_locked()
func (sqd *Data) Thread() *sim.Thread { return sqd.thread.Load() }

// Task returns the SQ thread's io_uring_task (what Start's alloc
// returned), for kernel paths that reach it through the sqd
// (sqd->thread->io_uring); nil before Start.
func (sqd *Data) Task() Task {
	if h := sqd.taskp.Load(); h != nil {
		return h.task
	}
	return nil
}

// TaskPID is sqd->task_pid: the creating task's pid until the thread runs,
// then the thread's own (its sim thread ID), as fdinfo's SqThread shows.
func (sqd *Data) TaskPID() int { return int(sqd.taskPID.Load()) }

// TaskTGID is sqd->task_tgid, the thread group the SQ thread belongs to.
func (sqd *Data) TaskTGID() int { return int(sqd.taskTGID.Load()) }

// SQThreadIdle is sqd->sq_thread_idle: the largest sq_thread_idle of the
// attached rings.
func (sqd *Data) SQThreadIdle() time.Duration { return time.Duration(sqd.sqThreadIdle.Load()) }

// WorkTime is sqd->work_time: the time the thread spent in rounds that
// found work, as fdinfo's SqWorkTime reports it.
// Differs from Linux: virtual time, not CPU time.
func (sqd *Data) WorkTime() time.Duration { return time.Duration(sqd.workTime.Load()) }

// Rings returns the attached rings, newest first (the order the thread
// serves them). Call it with the Data lock held (on the SQ thread, or
// between Park and Unpark).
func (sqd *Data) Rings() []Ring { return slices.Clone(sqd.ringList) }

// Lock takes the Data lock (mutex_lock(&sqd->lock)), for kernel paths that
// need the thread held without parking it (io_register_iowq_max_workers).
// Lock order: the Data lock before any ring's uring_lock.
func (sqd *Data) Lock(t *sim.Thread) { sqd.lock.Lock(t) }

// Unlock releases the Data lock.
func (sqd *Data) Unlock(t *sim.Thread) { sqd.lock.Unlock(t) }

// Park stops the thread at its next safe point and returns with the Data
// lock held: the thread is then outside any ring's submission and cannot
// run until Unpark. Parks nest (park_pending counts them). Not callable
// from the SQ thread.
//
// Linux: io_uring/sqpoll.c:io_sq_thread_park()
func (sqd *Data) Park(t *sim.Thread) {
	if sqd.thread.Load() == t {
		panic("sqpoll: the SQ thread parks itself")
	}
	sqd.parkPending.Add(1)
	sqd.state.Or(1 << IO_SQ_THREAD_SHOULD_PARK)
	sqd.lock.Lock(t)
	if th := sqd.thread.Load(); th != nil {
		th.WakeUp(t)
	}
	if w := t.World(); w.Tracing() {
		w.Emit(t, "io_sq_thread_park", sim.I("park_pending", int64(sqd.parkPending.Load())))
	}
}

// Unpark undoes Park and releases the Data lock. The PARK bit stays set
// while another Park is pending.
//
// Linux: io_uring/sqpoll.c:io_sq_thread_unpark()
func (sqd *Data) Unpark(t *sim.Thread) {
	if sqd.thread.Load() == t {
		panic("sqpoll: the SQ thread unparks itself")
	}
	// Not a conditional clear: it would race with parkers incrementing
	// park_pending and setting the bit.
	sqd.state.And(^uint32(1 << IO_SQ_THREAD_SHOULD_PARK))
	pending := sqd.parkPending.Add(-1)
	if pending != 0 {
		sqd.state.Or(1 << IO_SQ_THREAD_SHOULD_PARK)
	}
	if w := t.World(); w.Tracing() {
		w.Emit(t, "io_sq_thread_unpark", sim.I("park_pending", int64(pending)))
	}
	sqd.lock.Unlock(t)
}

// Stop tells the thread to exit and waits until it has. Put calls it when
// the last reference goes; a Data whose thread was never started returns
// at once.
//
// Linux: io_uring/sqpoll.c:io_sq_thread_stop()
func (sqd *Data) Stop(t *sim.Thread) {
	if sqd.thread.Load() == t {
		panic("sqpoll: the SQ thread stops itself")
	}
	if sqd.state.Or(1<<IO_SQ_THREAD_SHOULD_STOP)&(1<<IO_SQ_THREAD_SHOULD_STOP) != 0 {
		panic("sqpoll: Stop called twice")
	}
	sqd.lock.Lock(t)
	if th := sqd.thread.Load(); th != nil {
		th.WakeUp(t)
	}
	sqd.lock.Unlock(t)
	if sqd.created.Load() {
		sqd.exited.Wait(t)
	}
}

// Wake wakes a sleeping SQ thread: io_uring_enter with
// IORING_ENTER_SQ_WAKEUP (wake_up(&sqd->wait)).
//
// Linux: io_uring/io_uring.c:SYSCALL_DEFINE6(io_uring_enter)
func (sqd *Data) Wake(t *sim.Thread) { sqd.wait.WakeUp(t, 0) }

// NotifyTaskWork tells the SQ thread that task work was queued on its
// (empty) task list: __set_notify_signal(tctx->task) in
// io_req_normal_work_add on an SQPOLL ring. It sets the thread's
// TIF_NOTIFY_SIGNAL, which keeps it from going to sleep, and wakes it if
// the flag was clear.
//
// Linux: io_uring/io_uring.c:io_req_normal_work_add()
func (sqd *Data) NotifyTaskWork(t *sim.Thread) {
	th := sqd.thread.Load()
	if th == nil || sqd.cfg.Bugs.NoTaskWorkWake {
		return
	}
	if !sqd.notify.Swap(true) {
		th.WakeUp(t)
	}
}

// WaitSQ sleeps until r's SQ ring has a free entry or a signal is pending:
// io_uring_enter with IORING_ENTER_SQ_WAIT on an SQPOLL ring. The SQ
// thread wakes r.SQWait() after consuming entries.
//
// Linux: io_uring/sqpoll.c:io_sqpoll_wait_sq()
func WaitSQ(t *sim.Thread, r Ring) {
	q := r.SQWait()
	wait := sim.WaitQueueEntry{Func: sim.AutoremoveWakeFunction}
	t.SetWaitReason("io_sqpoll_wait_sq")
	for {
		if !r.SQFull(t) {
			break
		}
		q.PrepareToWait(t, &wait, sim.TaskInterruptible)
		if !r.SQFull(t) {
			break
		}
		t.Schedule()
		if t.SignalPending() {
			break
		}
	}
	q.FinishWait(t, &wait)
}

// Linux: io_uring/sqpoll.c:io_sqd_events_pending()
func (sqd *Data) eventsPending() bool { return sqd.state.Load() != 0 }

func (sqd *Data) stateBit(bit uint) bool { return sqd.state.Load()&(1<<bit) != 0 }

// signalPending is signal_pending(current) on the SQ thread: a signal
// from the world (Shutdown, the only fatal signal there is) or
// TIF_NOTIFY_SIGNAL.
func (sqd *Data) signalPending(t *sim.Thread) bool {
	return sqd.notify.Load() || t.SignalPending()
}

// getSignal is get_signal() on the SQ thread: it consumes
// TIF_NOTIFY_SIGNAL and reports a fatal signal.
func (sqd *Data) getSignal(t *sim.Thread) bool {
	sqd.notify.Store(false)
	return t.SignalPending()
}

// schedule is schedule() in TASK_INTERRUPTIBLE: it does not sleep while
// a signal, TIF_NOTIFY_SIGNAL included, is pending.
func (sqd *Data) schedule(t *sim.Thread) {
	if sqd.notify.Load() {
		t.SetState(sim.TaskRunning)
		return
	}
	t.Schedule()
}

// Linux: io_uring/sqpoll.c:io_sqd_handle_event()
func (sqd *Data) handleEvent(t *sim.Thread) bool {
	didSig := false
	if sqd.stateBit(IO_SQ_THREAD_SHOULD_PARK) || sqd.signalPending(t) {
		sqd.lock.Unlock(t)
		if sqd.signalPending(t) {
			didSig = sqd.getSignal(t)
		}
		condResched(t)
		sqd.lock.Lock(t)
	}
	return didSig || sqd.stateBit(IO_SQ_THREAD_SHOULD_STOP)
}

// condResched is cond_resched(): a preemption point. In concurrent mode it
// also lets other goroutines run, so that a parker woken by the Data
// lock's release gets to take it before the spinning thread does again.
func condResched(t *sim.Thread) { t.CondResched() }

// sqTime is struct io_sq_time: the work-time accounting of one round.
type sqTime struct {
	started bool
	at      time.Duration
}

// Linux: io_uring/sqpoll.c:io_sq_start_worktime()
func (ist *sqTime) start(w *sim.World) {
	if !ist.started {
		ist.started = true
		ist.at = w.Now()
	}
}

// Linux: io_uring/sqpoll.c:io_sq_update_worktime()
func (sqd *Data) updateWorktime(w *sim.World, ist *sqTime) {
	if ist.started {
		ist.started = false
		sqd.workTime.Add(int64(w.Now() - ist.at))
	}
}

// submitRing is one ring's share of a round.
//
// Linux: io_uring/sqpoll.c:__io_sq_thread()
func (sqd *Data) submitRing(t *sim.Thread, r Ring, capEntries bool, ist *sqTime) int {
	toSubmit := r.SQEntriesPending(t)
	// If we're handling multiple rings, cap submit size for fairness.
	if capEntries && toSubmit > IORING_SQPOLL_CAP_ENTRIES_VALUE {
		toSubmit = IORING_SQPOLL_CAP_ENTRIES_VALUE
	}
	ret := 0
	if toSubmit != 0 || r.IOPollPending() {
		w := t.World()
		ist.start(w)
		ret = r.SQPollSubmit(t, toSubmit)
		if toSubmit != 0 && w.Tracing() {
			w.Emit(t, "io_uring_sqpoll_submit", sim.U("ctx", r.RingID()),
				sim.U("to_submit", uint64(toSubmit)), sim.I("submitted", int64(ret)))
		}
		if q := r.SQWait(); toSubmit != 0 && q.HasSleeper(t) {
			q.WakeUp(t, 0)
		}
	}
	return ret
}

// flagAndRecheck sets IORING_SQ_NEED_WAKEUP on r and reports whether the
// thread must stay awake after all: IOPOLL requests in flight, or SQ
// entries published before the application could see the flag.
//
// Linux: io_uring/sqpoll.c:io_sq_thread()
func (sqd *Data) flagAndRecheck(t *sim.Thread, r Ring) bool {
	flags := r.SQFlags()
	if sqd.cfg.Bugs.SQPollNoFence {
		// M9: the tail load passes the flag store still sitting in the
		// store buffer.
		pending := r.SQEntriesPending(t)
		t.Yield()
		rings.AtomicOr(flags, rings.IORING_SQ_NEED_WAKEUP)
		return r.IOPollPending() || pending != 0
	}
	rings.AtomicOr(flags, rings.IORING_SQ_NEED_WAKEUP)
	if r.IOPollPending() {
		return true
	}
	// Ensure the store of the wakeup flag is not reordered with the load
	// of the SQ tail (smp_mb__after_atomic; a yield point here).
	t.Yield()
	if r.SQEntriesPending(t) != 0 {
		sqd.recheckHits.Add(1)
		return true
	}
	return false
}

// pollIdle is the deterministic mode's stand-in for spinning until the
// idle deadline: sleep for d on sqd.wait with the Data lock dropped. A
// wakeup (Wake, Park, Stop, NotifyTaskWork) ends it early.
//
// Differs from Linux: the thread busy-polls there (and does in concurrent
// mode); on the virtual clock a busy thread would stop time, so it polls
// at intervals instead.
func (sqd *Data) pollIdle(t *sim.Thread, wait *sim.WaitQueueEntry, d time.Duration) {
	sqd.wait.PrepareToWait(t, wait, sim.TaskInterruptible)
	if !sqd.eventsPending() && !sqd.signalPending(t) && !sqd.task.TaskWorkPending(t) {
		sqd.lock.Unlock(t)
		t.ScheduleTimeout(d)
		sqd.lock.Lock(t)
	}
	sqd.wait.FinishWait(t, wait)
}

// run is the SQ thread.
//
// Linux: io_uring/sqpoll.c:io_sq_thread()
func (sqd *Data) run(t *sim.Thread) {
	sqd.started.Wait(t)
	// Offload context creation failed: just exit.
	if sqd.task == nil {
		sqd.lock.Lock(t)
		sqd.thread.Store(nil)
		sqd.lock.Unlock(t)
		sqd.exited.Complete(t)
		return
	}
	// Reset to our pid, for fdinfo.
	sqd.taskPID.Store(int64(t.ID()))

	w := t.World()
	wait := sim.WaitQueueEntry{Func: sim.AutoremoveWakeFunction}
	var timeout time.Duration
	poll := sqd.cfg.PollMin
	t.SetWaitReason("io_sq_thread")

	sqd.lock.Lock(t)
	for {
		sqtSpin := false
		if sqd.eventsPending() || sqd.signalPending(t) {
			if sqd.handleEvent(t) {
				break
			}
			timeout = w.Now() + sqd.SQThreadIdle()
		}

		capEntries := len(sqd.ringList) != 1
		var ist sqTime
		busy := false // work done this round, not just polling
		for _, r := range sqd.ringList {
			ret := sqd.submitRing(t, r, capEntries, &ist)
			busy = busy || ret > 0
			if !sqtSpin && (ret > 0 || r.IOPollPending()) {
				sqtSpin = true
			}
		}
		if sqd.task.RunTaskWork(t, IORING_TW_CAP_ENTRIES_VALUE) > 0 {
			sqtSpin, busy = true, true
		}
		sqd.updateWorktime(w, &ist)

		// Differs from Linux: time_after(jiffies, timeout) becomes
		// now >= timeout, so the thread goes to sleep at exactly
		// last work + sq_thread_idle.
		if now := w.Now(); sqtSpin || now < timeout {
			if sqtSpin {
				timeout = now + sqd.SQThreadIdle()
				poll = sqd.cfg.PollMin
			}
			switch {
			case sqtSpin && !busy && w.Deterministic():
				// Only polling IOPOLL requests: a spin must let
				// virtual time pass for the device to finish them.
				sqd.pollIdle(t, &wait, sqd.cfg.PollMin)
			case sqtSpin || !w.Deterministic():
				condResched(t) // spin on
			default:
				sqd.pollIdle(t, &wait, min(poll, timeout-now))
				poll = min(2*poll, sqd.cfg.PollMax)
			}
			continue
		}

		sqd.wait.PrepareToWait(t, &wait, sim.TaskInterruptible)
		if !sqd.eventsPending() && !sqd.task.TaskWorkPending(t) {
			needsSched := true
			for _, r := range sqd.ringList {
				if sqd.flagAndRecheck(t, r) {
					needsSched = false
					break
				}
			}
			if needsSched {
				if w.Tracing() {
					w.Emit(t, "io_sq_thread_idle", sim.I("rings", int64(len(sqd.ringList))))
				}
				sqd.lock.Unlock(t)
				sqd.schedule(t)
				sqd.lock.Lock(t)
				if w.Tracing() {
					w.Emit(t, "io_sq_thread_wake")
				}
			}
			for _, r := range sqd.ringList {
				rings.AtomicAndNot(r.SQFlags(), rings.IORING_SQ_NEED_WAKEUP)
			}
		}
		sqd.wait.FinishWait(t, &wait)
		timeout = w.Now() + sqd.SQThreadIdle()
		poll = sqd.cfg.PollMin
	}

	if sqd.task.TaskWorkPending(t) {
		sqd.task.RunTaskWork(t, math.MaxUint32)
	}
	sqd.task.CancelAll(t)
	sqd.thread.Store(nil)
	for _, r := range sqd.ringList {
		rings.AtomicOr(r.SQFlags(), rings.IORING_SQ_NEED_WAKEUP)
	}
	// io_run_task_work()
	sqd.notify.Store(false)
	sqd.task.RunTaskWork(t, math.MaxUint32)
	sqd.lock.Unlock(t)
	sqd.exited.Complete(t)
}
