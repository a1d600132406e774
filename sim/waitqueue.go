package sim

import (
	"fmt"
	"sync/atomic"
)

// WaitQueueHead is a wait queue (struct wait_queue_head): a list of
// WaitQueueEntry guarded by its own SpinLock. The zero value is an empty
// queue. Wakeups call each entry's wake function, so a queue serves both
// sleeping threads (the default function wakes e.Thread) and callbacks
// such as io_uring's io_poll_wake.
type WaitQueueHead struct {
	lock       SpinLock
	head, tail *WaitQueueEntry
	// n is the number of entries queued, for the lockless Active and
	// HasSleeper. Accessed atomically: a plain int32 with sync/atomic's
	// functions, which the inliner counts as one node where atomic.Int32's
	// methods cost more, so HasSleeper fits the inline budget.
	n int32
}

// WaitQueueEntry is an entry of a wait queue (struct wait_queue_entry).
// The zero value is usable; it must not be copied while queued.
type WaitQueueEntry struct {
	// Func is the wake function, called by a wakeup with the queue's lock
	// held: t is the waking thread, key the wakeup key (a poll mask).
	// It returns nonzero if it counts as having woken something: an
	// exclusive entry returning nonzero uses up one of the wakeup's
	// exclusive slots; a negative return stops the wakeup. Nil means
	// DefaultWakeFunction.
	Func func(t *Thread, e *WaitQueueEntry, key uint32) int
	// Thread is the thread the default wake function wakes (the entry's
	// private). PrepareToWait sets it to the caller when nil.
	Thread *Thread
	// Private is free for the owner (e.g. the io_kiocb of a poll entry).
	Private any

	next, prev *WaitQueueEntry
	q          *WaitQueueHead
	// The two flags share the last word: the entry fits a cache line.
	exclusive bool
	queued    atomic.Bool
}

// Queued reports whether the entry is on a queue, without taking the lock
// (!list_empty_careful(&e->entry)).
func (e *WaitQueueEntry) Queued() bool { return e.queued.Load() }

// Exclusive reports whether the entry was queued exclusive.
func (e *WaitQueueEntry) Exclusive() bool { return e.exclusive }

// DefaultWakeFunction wakes e.Thread (default_wake_function): it returns 1
// if the thread was woken, 0 if it was already running. The entry stays
// queued.
func DefaultWakeFunction(t *Thread, e *WaitQueueEntry, key uint32) int {
	if e.Thread == nil {
		panic("sim: wait queue entry without a thread and with the default wake function")
	}
	if e.Thread.WakeUp(t) {
		return 1
	}
	return 0
}

// AutoremoveWakeFunction is DefaultWakeFunction that also takes the entry
// off its queue when it woke the thread (autoremove_wake_function, what
// DEFINE_WAIT uses).
func AutoremoveWakeFunction(t *Thread, e *WaitQueueEntry, key uint32) int {
	ret := DefaultWakeFunction(t, e, key)
	if ret != 0 && e.q != nil {
		e.q.unlink(e)
	}
	return ret
}

// Lock takes the queue's lock (spin_lock(&wq_head->lock)), for callers
// that manipulate entries with the *Locked methods.
func (q *WaitQueueHead) Lock(t *Thread) { q.lock.Lock(t) }

// Unlock releases the queue's lock.
func (q *WaitQueueHead) Unlock(t *Thread) { q.lock.Unlock(t) }

// Add queues e non-exclusive at the head (add_wait_queue).
func (q *WaitQueueHead) Add(t *Thread, e *WaitQueueEntry) {
	q.lock.Lock(t)
	q.AddLocked(e)
	q.lock.Unlock(t)
}

// AddExclusive queues e exclusive at the tail (add_wait_queue_exclusive).
func (q *WaitQueueHead) AddExclusive(t *Thread, e *WaitQueueEntry) {
	q.lock.Lock(t)
	q.AddExclusiveLocked(e)
	q.lock.Unlock(t)
}

// Remove takes e off the queue if it is queued (remove_wait_queue).
func (q *WaitQueueHead) Remove(t *Thread, e *WaitQueueEntry) {
	q.lock.Lock(t)
	q.RemoveLocked(e)
	q.lock.Unlock(t)
}

// AddLocked is Add with the queue's lock already held (__add_wait_queue).
func (q *WaitQueueHead) AddLocked(e *WaitQueueEntry) {
	e.exclusive = false
	q.linkHead(e)
}

// AddExclusiveLocked is AddExclusive with the queue's lock held
// (__add_wait_queue_entry_tail with WQ_FLAG_EXCLUSIVE).
func (q *WaitQueueHead) AddExclusiveLocked(e *WaitQueueEntry) {
	e.exclusive = true
	q.linkTail(e)
}

// RemoveLocked takes e off the queue, if queued, with the queue's lock held
// (list_del_init(&e->entry)); wake functions use it to dequeue their own
// entry.
func (q *WaitQueueHead) RemoveLocked(e *WaitQueueEntry) {
	if e.q == nil {
		return
	}
	if e.q != q {
		panic("sim: RemoveLocked of an entry queued on another wait queue")
	}
	q.unlink(e)
}

// PrepareToWait queues e non-exclusive at the head if it is not queued
// yet, and sets t's state (prepare_to_wait). e.Thread defaults to t. Use it
// in the kernel's wait loop:
//
//	for {
//		q.PrepareToWait(t, &e, sim.TaskInterruptible)
//		if cond() || t.SignalPending() { break }
//		t.Schedule()
//	}
//	q.FinishWait(t, &e)
//
// With several sleepers, a non-exclusive entry is woken by every wakeup;
// see PrepareToWaitExclusive for the wake-one variant.
func (q *WaitQueueHead) PrepareToWait(t *Thread, e *WaitQueueEntry, state TaskState) {
	q.prepare(t, e, state, false)
}

// PrepareToWaitExclusive is PrepareToWait for an exclusive waiter
// (prepare_to_wait_exclusive, as io_cqring_wait uses on ctx->cq_wait): the
// entry is queued at the tail with the exclusive flag, so a WakeUp (wake
// one) stops after the first exclusive entry whose wake function returned
// nonzero, while WakeUpAll still calls every entry.
func (q *WaitQueueHead) PrepareToWaitExclusive(t *Thread, e *WaitQueueEntry, state TaskState) {
	q.prepare(t, e, state, true)
}

func (q *WaitQueueHead) prepare(t *Thread, e *WaitQueueEntry, state TaskState, exclusive bool) {
	if e.Thread == nil {
		e.Thread = t
	}
	q.lock.Lock(t)
	if e.q == nil {
		e.exclusive = exclusive
		if exclusive {
			q.linkTail(e)
		} else {
			q.linkHead(e)
		}
	}
	t.SetState(state)
	q.lock.Unlock(t)
}

// FinishWait ends a wait started by PrepareToWait (finish_wait): t's state
// becomes TaskRunning and e leaves the queue if a wakeup did not already
// remove it.
func (q *WaitQueueHead) FinishWait(t *Thread, e *WaitQueueEntry) {
	t.SetState(TaskRunning)
	if e.queued.Load() {
		q.lock.Lock(t)
		q.RemoveLocked(e)
		q.lock.Unlock(t)
	}
}

// WakeUp wakes the queue (__wake_up(q, TASK_NORMAL, 1, key)): it calls the
// wake function of each entry from the head, with the queue's lock held,
// and stops after the first exclusive entry that returned nonzero.
// Non-exclusive entries before it are all called.
func (q *WaitQueueHead) WakeUp(t *Thread, key uint32) { q.WakeUpNr(t, 1, key) }

// WakeUpAll calls every entry's wake function (__wake_up(q, TASK_NORMAL, 0,
// key), as io_uring's __io_wq_wake does).
func (q *WaitQueueHead) WakeUpAll(t *Thread, key uint32) { q.WakeUpNr(t, 0, key) }

// WakeUpNr is __wake_up with nr exclusive wakeups (0: no limit).
func (q *WaitQueueHead) WakeUpNr(t *Thread, nr int, key uint32) {
	q.lock.Lock(t)
	q.WakeUpLocked(t, nr, key)
	q.lock.Unlock(t)
}

// WakeUpLocked is WakeUpNr with the queue's lock already held
// (__wake_up_locked_key).
func (q *WaitQueueHead) WakeUpLocked(t *Thread, nr int, key uint32) {
	for e := q.head; e != nil; {
		next := e.next // the wake function may dequeue e
		f := e.Func
		if f == nil {
			f = DefaultWakeFunction
		}
		ret := f(t, e, key)
		if ret < 0 {
			break
		}
		if ret != 0 && e.exclusive {
			nr--
			if nr == 0 {
				break
			}
		}
		e = next
	}
}

// HasSleeper reports whether the queue has entries (wq_has_sleeper: a full
// barrier, then the lockless check). In deterministic mode it is a yield
// point, so the race between this check and a concurrent PrepareToWait is
// explored.
func (q *WaitQueueHead) HasSleeper(t *Thread) bool {
	t.Yield()
	return atomic.LoadInt32(&q.n) > 0
}

// Active reports whether the queue has entries without a yield point
// (waitqueue_active), for hot paths.
func (q *WaitQueueHead) Active() bool { return atomic.LoadInt32(&q.n) > 0 }

// Len returns the number of queued entries (lockless).
func (q *WaitQueueHead) Len() int { return int(atomic.LoadInt32(&q.n)) }

func (q *WaitQueueHead) linkHead(e *WaitQueueEntry) {
	q.checkFree(e)
	e.q, e.prev, e.next = q, nil, q.head
	if q.head != nil {
		q.head.prev = e
	} else {
		q.tail = e
	}
	q.head = e
	e.queued.Store(true)
	atomic.AddInt32(&q.n, 1)
}

func (q *WaitQueueHead) linkTail(e *WaitQueueEntry) {
	q.checkFree(e)
	e.q, e.next, e.prev = q, nil, q.tail
	if q.tail != nil {
		q.tail.next = e
	} else {
		q.head = e
	}
	q.tail = e
	e.queued.Store(true)
	atomic.AddInt32(&q.n, 1)
}

func (q *WaitQueueHead) checkFree(e *WaitQueueEntry) {
	if e.q != nil {
		panic(fmt.Sprintf("sim: wait queue entry queued twice (thread %v)", e.Thread))
	}
}

func (q *WaitQueueHead) unlink(e *WaitQueueEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		q.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		q.tail = e.prev
	}
	e.q, e.next, e.prev = nil, nil, nil
	e.queued.Store(false)
	atomic.AddInt32(&q.n, -1)
}
