// Package sim is the world the simulated kernel runs in: threads (the
// kernel's task_structs), the scheduler that decides which of them runs,
// a clock and hrtimers, wait queues, sleeping and spinning locks, lockless
// lists (llist), completions, seeded randomness and the trace sink.
//
// It is the only package of uringsim allowed to start goroutines, use the
// sync package or read the real time; everything above it (kernel, iowq,
// sqpoll, devices, the user program) runs as sim threads and blocks only
// through sim.
//
// # Two modes, one API
//
// Every operation takes the calling thread explicitly, as the kernel code
// it models takes current implicitly. The same calls run in two modes:
//
//   - Deterministic (the default). Goroutines are only carriers: exactly one
//     sim thread runs at a time. Every thread but the main one is a
//     coroutine (iter.Pull), resumed by the main thread's goroutine: a
//     switch is a coroutine switch, never a trip through the Go scheduler.
//     The main thread's goroutine must therefore stay on one OS thread if
//     it is locked to one (the runtime's rule for coroutines).
//     At every yield point (Thread.Yield, Mutex.Lock/Unlock, LList
//     operations, WaitQueueHead.HasSleeper, a successful WakeUp, Go, a
//     blocking wait) the scheduler picks the next thread among the runnable
//     ones with a Strategy, and records the pick in the decision log when
//     there was more than one option. When only the calling thread is
//     runnable a yield point costs a few loads: no switch, no
//     random number, no allocation, nothing recorded. Time is virtual: it
//     moves only when no thread is runnable, jumping to the earliest pending
//     Timer. When nothing is runnable and no timer is pending the world is
//     deadlocked (see World.Deadlock). A run is a function of (program,
//     Config.Seed, Config.Strategy), so it can be replayed from its log.
//
//   - Concurrent. Every sim thread is a real goroutine, locks are real,
//     the clock is real elapsed time since NewWorld. Yield points do not
//     switch anything (Thread.Yield only checks for Shutdown; it does not
//     call runtime.Gosched, the Go scheduler preempts on its own).
//     Deadlocks are not detected. Use it for throughput and under -race.
//
// # Threads and the task-state protocol
//
// World.Main is the thread carried by the goroutine that called NewWorld
// (the user program). World.Go starts every other thread. Sleeping follows
// the kernel protocol exactly:
//
//	t.SetState(sim.TaskInterruptible)   // set_current_state()
//	if cond() { ... }                   // check after publishing the state
//	t.Schedule()                        // returns at once if woken meanwhile
//	t.SetState(sim.TaskRunning)         // __set_current_state(TASK_RUNNING)
//
// and a waker makes cond true and calls t.WakeUp(waker), so no wakeup is
// lost between SetState and Schedule. Interruptible sleeps end when the
// world interrupts the thread (Thread.SignalPending): on a detected
// deadlock (main thread only) or on Shutdown.
//
// # Panics
//
// A panic in a sim thread other than the main thread is recovered on that
// thread's goroutine and re-raised on the main thread's goroutine as a
// *ThreadPanic naming the thread (deterministic mode: at once, the main
// thread resumes only to panic; concurrent mode: at the main thread's next
// blocking call or at Shutdown).
//
// # Rules this package keeps
//
// No init, no global mutable state, no decision taken from map iteration
// order, no goroutine that Shutdown does not end (but the free carriers a
// Config.Carriers pool keeps for the next world, which its Close ends).
package sim
