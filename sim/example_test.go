package sim_test

import (
	"fmt"
	"os"
	"time"

	"github.com/uringsim/uringsim/sim"
)

// A kernel-style wait loop: the main thread waits on a wait queue for a
// condition that a worker thread sets after sleeping 5µs of virtual time.
func Example() {
	w := sim.NewWorld(sim.Config{Seed: 1, Sink: sim.NewTextSink(os.Stdout)})
	defer w.Shutdown()
	m := w.Main()

	var q sim.WaitQueueHead
	ready := false
	w.Go(m, "worker", func(t *sim.Thread) {
		t.SetState(sim.TaskUninterruptible)
		t.ScheduleTimeout(5 * time.Microsecond)
		ready = true
		w.Emit(t, "ready")
		q.WakeUpAll(t, 0)
	})

	var e sim.WaitQueueEntry
	m.SetWaitReason("waiting for ready")
	for {
		q.PrepareToWait(m, &e, sim.TaskInterruptible)
		if ready || m.SignalPending() {
			break
		}
		m.Schedule()
	}
	q.FinishWait(m, &e)
	fmt.Println("ready at", w.Now())
	// Output:
	//     0.000us  main        sched_process_fork    child_comm=worker child_pid=2
	//     0.000us  main        sched_switch          prev_state=TASK_RUNNING next_comm=worker next_pid=2
	//     0.000us  worker      hrtimer_start         timer=1 expires=5000
	//     0.000us  worker      sched_switch          prev_state=TASK_UNINTERRUPTIBLE next_comm=main next_pid=1
	//     0.000us  main        sched_switch          prev_state=TASK_INTERRUPTIBLE next_comm=hrtimer next_pid=0
	//     5.000us  hrtimer     hrtimer_expire_entry  timer=1 now=5000
	//     5.000us  hrtimer     sched_wakeup          comm=worker pid=2
	//     5.000us  hrtimer     sched_switch          prev_state=TASK_RUNNING next_comm=worker next_pid=2
	//     5.000us  worker      ready
	//     5.000us  worker      sched_switch          prev_state=TASK_RUNNING next_comm=hrtimer next_pid=0
	//     5.000us  hrtimer     sched_switch          prev_state=TASK_INTERRUPTIBLE next_comm=worker next_pid=2
	//     5.000us  worker      sched_wakeup          comm=main pid=1
	//     5.000us  worker      sched_switch          prev_state=TASK_RUNNING next_comm=main next_pid=1
	//     5.000us  main        sched_switch          prev_state=TASK_RUNNING next_comm=worker next_pid=2
	//     5.000us  worker      sched_process_exit
	//     5.000us  worker      sched_switch          prev_state=TASK_DEAD next_comm=main next_pid=1
	// ready at 5µs
}

// Replaying a run's decision log reproduces it; a log that does not match
// the program panics with a *ReplayDivergence.
func ExampleReplay() {
	run := func(s sim.Strategy) (string, []sim.Choice) {
		w := sim.NewWorld(sim.Config{Seed: 42, Strategy: s})
		defer w.Shutdown()
		m := w.Main()
		order := ""
		var done sim.Completion
		for _, name := range []string{"a", "b", "c"} {
			w.Go(m, name, func(t *sim.Thread) {
				t.Yield()
				order += t.Name()
				done.Complete(t)
			})
		}
		for range 3 {
			done.Wait(m)
		}
		return order, w.Choices()
	}
	first, log := run(nil)
	again, _ := run(sim.Replay(log, nil))
	fmt.Println(first == again)
	// Output: true
}
