package sim

import "runtime"

// CondResched is cond_resched() for a thread that spins on a lock or a
// condition another thread must make true: a preemption point (Yield) that
// in concurrent mode also lets other goroutines run, so a parked thread
// woken by the release gets to take the lock before the spinner does
// again. Kernel-side code calls this, never runtime.Gosched.
// Linux: include/linux/sched.h:cond_resched()
func (t *Thread) CondResched() {
	t.Yield()
	if !t.w.det {
		runtime.Gosched()
	}
}
