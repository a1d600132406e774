package sim

import (
	"math"
	"sync/atomic"
	"time"
)

// Completion is a one-shot or counting event (struct completion): Complete
// lets one waiter through, CompleteAll lets every present and future
// waiter through. The zero value is not completed.
type Completion struct {
	done atomic.Uint32 // written with q's lock held
	q    WaitQueueHead
}

const completeAll = math.MaxUint32

// Complete signals the completion once (complete): one waiter, present or
// future, returns.
func (c *Completion) Complete(t *Thread) {
	c.q.lock.Lock(t)
	if d := c.done.Load(); d != completeAll {
		c.done.Store(d + 1)
	}
	c.wakeFirstLocked(t)
	c.q.lock.Unlock(t)
}

// CompleteAll signals the completion for good (complete_all): every
// waiter returns, now and until Reinit.
func (c *Completion) CompleteAll(t *Thread) {
	c.q.lock.Lock(t)
	c.done.Store(completeAll)
	for c.q.head != nil {
		c.wakeFirstLocked(t)
	}
	c.q.lock.Unlock(t)
}

// wakeFirstLocked takes the first waiter off the queue and wakes it
// (swake_up_locked).
func (c *Completion) wakeFirstLocked(t *Thread) {
	if e := c.q.head; e != nil {
		c.q.unlink(e)
		e.Thread.WakeUp(t)
	}
}

// Done reports whether a Wait would return at once (completion_done).
func (c *Completion) Done() bool { return c.done.Load() != 0 }

// Reinit makes the completion not completed again (reinit_completion). The
// caller ensures nobody waits or completes concurrently.
func (c *Completion) Reinit() { c.done.Store(0) }

// Wait sleeps uninterruptibly until the completion is signalled
// (wait_for_completion) and consumes one Complete.
func (c *Completion) Wait(t *Thread) { c.wait(t, TaskUninterruptible, -1) }

// WaitTimeout is Wait with a timeout on the world's clock
// (wait_for_completion_timeout). It returns true if the completion was
// signalled and false if the wait timed out — the kernel's nonzero/zero.
func (c *Completion) WaitTimeout(t *Thread, d time.Duration) bool {
	if d < 0 {
		d = 0
	}
	return c.wait(t, TaskUninterruptible, d)
}

// WaitInterruptible is Wait in an interruptible sleep
// (wait_for_completion_interruptible). It returns true if the completion
// was signalled and false if the thread's signal ended the wait
// (-ERESTARTSYS).
func (c *Completion) WaitInterruptible(t *Thread) bool {
	return c.wait(t, TaskInterruptible, -1)
}

// wait is do_wait_for_common; timeout < 0 means none.
func (c *Completion) wait(t *Thread, state TaskState, timeout time.Duration) bool {
	w := t.w
	q := &c.q
	q.lock.Lock(t)
	if c.done.Load() == 0 {
		e := &t.cwait
		e.Func, e.Thread, e.Private = nil, t, nil
		var deadline time.Duration
		if timeout >= 0 {
			deadline = addClamp(w.Now(), timeout)
		}
		for {
			if e.q == nil {
				q.AddExclusiveLocked(e)
			}
			if state == TaskInterruptible && t.sig.Load() {
				q.RemoveLocked(e)
				q.lock.Unlock(t)
				return false
			}
			t.SetState(state)
			q.lock.Unlock(t)
			timedOut := false
			if timeout >= 0 {
				timedOut = t.ScheduleTimeout(deadline - w.Now())
			} else {
				t.Schedule()
			}
			q.lock.Lock(t)
			if c.done.Load() != 0 {
				break
			}
			if timedOut {
				t.SetState(TaskRunning)
				q.RemoveLocked(e)
				q.lock.Unlock(t)
				return false
			}
		}
		t.SetState(TaskRunning)
		q.RemoveLocked(e)
	}
	if d := c.done.Load(); d != completeAll {
		c.done.Store(d - 1)
	}
	q.lock.Unlock(t)
	return true
}
