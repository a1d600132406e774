package sim

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// Mutex is a sleeping lock (struct mutex). The zero value is unlocked.
//
// Deterministic mode: Lock is a yield point before it tries the lock; a
// contended Lock sleeps (TaskUninterruptible) in a FIFO queue; Unlock hands
// the lock directly to the first waiter, wakes it, and is then a yield
// point. Locking a mutex the thread already holds panics (it would
// deadlock), as does unlocking one it does not hold.
//
// Concurrent mode: a futex-style lock (an atomic word for the uncontended
// path, a waiter list and the thread-state protocol for the contended
// one), so a waiter blocked when the world shuts down can be unwound.
type Mutex struct {
	downer       *Thread // deterministic mode owner
	whead, wtail *Thread // waiters, FIFO (mwNext/mwPrev links)

	cstate atomic.Int32 // concurrent: 0 unlocked, 1 locked, 2 locked and maybe waiters
	cowner atomic.Pointer[Thread]
	inner  sync.Mutex // concurrent: guards the waiter list
}

const (
	kindMutex = "mutex_lock"
	kindSpin  = "spin_lock"
)

// Lock acquires the mutex for t (mutex_lock), sleeping uninterruptibly
// while another thread holds it.
//
// The uncontended deterministic path is written here, small enough to be
// inlined: with fuel left, the yield point before the attempt cannot
// switch threads (nobody else is runnable), so it is the fuel decrement,
// and a free mutex is taken. Anything else goes to lock.
func (m *Mutex) Lock(t *Thread) {
	if t.fuel > 0 && m.downer == nil {
		t.fuel--
		m.downer = t
		return
	}
	m.lockMutex(t)
}

//go:noinline
func (m *Mutex) lockMutex(t *Thread) { m.lock(t, kindMutex) }

// Unlock releases the mutex (mutex_unlock). t must hold it.
//
// With fuel left and no waiter to hand the mutex to, it is the release and
// the fuel decrement of the yield point after it, inlined; anything else
// (which includes an unlock by a non-owner, which panics) goes to unlock.
func (m *Mutex) Unlock(t *Thread) {
	if t.fuel > 0 && m.downer == t && m.whead == nil {
		m.downer = nil
		t.fuel--
		return
	}
	m.unlock(t)
}

// TryLock acquires the mutex if it is free (mutex_trylock) and reports
// whether it did. In deterministic mode it is a yield point.
func (m *Mutex) TryLock(t *Thread) bool { return m.tryLock(t) }

// Held reports whether some thread holds the mutex (mutex_is_locked).
func (m *Mutex) Held() bool { return m.downer != nil || m.cstate.Load() != 0 }

// HeldBy reports whether t holds the mutex (lockdep_assert_held(m) is
// HeldBy(current)).
func (m *Mutex) HeldBy(t *Thread) bool {
	if t.w.det {
		return m.downer == t
	}
	return m.cowner.Load() == t
}

// Owner returns the thread holding the mutex, or nil.
func (m *Mutex) Owner() *Thread {
	if m.downer != nil {
		return m.downer
	}
	return m.cowner.Load()
}

func (m *Mutex) lock(t *Thread, kind string) {
	w := t.w
	if w.det {
		t.Yield()
		if m.downer == nil {
			m.downer = t
			return
		}
		m.lockSlowDet(t, kind)
		return
	}
	if m.cstate.CompareAndSwap(0, 1) {
		m.cowner.Store(t)
		return
	}
	m.lockSlowConc(t, kind)
}

func (m *Mutex) lockSlowDet(t *Thread, kind string) {
	if m.downer == t {
		panic(fmt.Sprintf("sim: %s: %v takes a lock it already holds (self-deadlock)", kind, t))
	}
	m.enqueue(t)
	t.lockWait, t.lockKind = m, kind
	for m.downer != t { // the unlocker hands the lock over; other wakeups are spurious
		t.state = TaskUninterruptible
		t.w.block(t)
	}
	t.lockWait = nil
}

func (m *Mutex) lockSlowConc(t *Thread, kind string) {
	if m.cowner.Load() == t {
		panic(fmt.Sprintf("sim: %s: %v takes a lock it already holds (self-deadlock)", kind, t))
	}
	for {
		if m.cstate.Swap(2) == 0 {
			m.cowner.Store(t)
			return
		}
		m.inner.Lock()
		if m.cstate.Load() != 2 {
			m.inner.Unlock()
			continue
		}
		m.enqueue(t)
		t.cstate.Store(int32(TaskUninterruptible))
		m.inner.Unlock()
		t.scheduleConc()
		m.inner.Lock()
		if t.mwQueued { // woken by someone else: leave the queue and retry
			m.dequeue(t)
		}
		m.inner.Unlock()
	}
}

func (m *Mutex) unlock(t *Thread) {
	w := t.w
	if w.det {
		if m.downer != t {
			panic(fmt.Sprintf("sim: unlock by %v of a lock held by %v", t, m.downer))
		}
		m.downer = nil
		for next := m.whead; next != nil; next = m.whead {
			m.dequeue(next)
			if !next.dead { // a waiter ended by Shutdown is skipped
				m.downer = next
				w.wakeDet(next)
				break
			}
		}
		t.Yield()
		return
	}
	if m.cowner.Load() != t {
		panic(fmt.Sprintf("sim: unlock by %v of a lock held by %v", t, m.cowner.Load()))
	}
	m.cowner.Store(nil)
	if m.cstate.Add(-1) == 0 {
		return
	}
	m.cstate.Store(0)
	m.inner.Lock()
	var next *Thread
	for next = m.whead; next != nil; next = m.whead {
		m.dequeue(next)
		if TaskState(next.cstate.Load()) != TaskDead {
			break
		}
	}
	m.inner.Unlock()
	if next != nil {
		next.wakeConc()
	}
}

func (m *Mutex) tryLock(t *Thread) bool {
	w := t.w
	if w.det {
		t.Yield()
		if m.downer == nil {
			m.downer = t
			return true
		}
		return false
	}
	if m.cstate.CompareAndSwap(0, 1) {
		m.cowner.Store(t)
		return true
	}
	return false
}

func (m *Mutex) enqueue(t *Thread) {
	t.mwQueued = true
	t.mwNext = nil
	t.mwPrev = m.wtail
	if m.wtail != nil {
		m.wtail.mwNext = t
	} else {
		m.whead = t
	}
	m.wtail = t
}

func (m *Mutex) dequeue(t *Thread) {
	if t.mwPrev != nil {
		t.mwPrev.mwNext = t.mwNext
	} else {
		m.whead = t.mwNext
	}
	if t.mwNext != nil {
		t.mwNext.mwPrev = t.mwPrev
	} else {
		m.wtail = t.mwPrev
	}
	t.mwNext, t.mwPrev, t.mwQueued = nil, nil, false
}

// SpinLock is a raw spinlock (spinlock_t / raw_spinlock_t). The zero value
// is unlocked. Code holding it must not sleep, as in the kernel; the
// simulator models it exactly like Mutex (a yield point, FIFO hand-off in
// deterministic mode, a sleeping wait when contended), which is what a
// spinning waiter looks like from the outside. Deadlock reports show its
// waiters as "spin_lock".
type SpinLock Mutex

// Lock acquires the lock (spin_lock).
//
// Its fast path is Mutex.Lock's, written out so it is inlined.
func (s *SpinLock) Lock(t *Thread) {
	if t.fuel > 0 && s.downer == nil {
		t.fuel--
		s.downer = t
		return
	}
	s.lockSpin(t)
}

//go:noinline
func (s *SpinLock) lockSpin(t *Thread) { (*Mutex)(s).lock(t, kindSpin) }

// Unlock releases the lock (spin_unlock).
func (s *SpinLock) Unlock(t *Thread) { (*Mutex)(s).Unlock(t) }

// TryLock acquires the lock if free (spin_trylock).
func (s *SpinLock) TryLock(t *Thread) bool { return (*Mutex)(s).tryLock(t) }

// Held reports whether some thread holds the lock (spin_is_locked).
func (s *SpinLock) Held() bool { return (*Mutex)(s).Held() }

// HeldBy reports whether t holds the lock (lockdep_assert_held).
func (s *SpinLock) HeldBy(t *Thread) bool { return (*Mutex)(s).HeldBy(t) }

// Owner returns the thread holding the lock, or nil.
func (s *SpinLock) Owner() *Thread { return (*Mutex)(s).Owner() }
