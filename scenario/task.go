package scenario

import (
	"fmt"
	"time"

	"github.com/uringsim/uringsim/uring"
)

// taskState is a `task NAME`: on the host a goroutine locked to its own
// OS thread (a thread of this process, which is what io_uring calls a
// task); on the simulator another task of the simulated process. It runs
// the commands prefixed with @NAME one at a time while the main task
// waits.
type taskState struct {
	name   string
	work   chan func()
	done   chan struct{}
	tid    <-chan int     // the host thread's id, sent when it ends
	sim    *uring.SimTask // the simulator's task, nil on the host
	exited bool           // `exit NAME` ended it
}

func (x *runner) newTask(line int, name string) *failure {
	ts := &taskState{name: name, work: make(chan func()), done: make(chan struct{})}
	if x.tasks == nil {
		x.tasks = map[string]*taskState{}
	}
	x.tasks[name] = ts
	x.taskOrder = append(x.taskOrder, name)
	if x.m != nil {
		ts.sim = x.m.NewTask(name)
		return nil
	}
	// The thread ends with the task.
	ts.tid = uring.GoLockedThread(func() {
		for f := range ts.work {
			f()
			ts.done <- struct{}{}
		}
	})
	return nil
}

// onTask runs f on the task and waits for it; a panic there becomes a
// failure.
func (ts *taskState) run(line int, f func() *failure) (res *failure) {
	g := func() {
		defer func() {
			if p := recover(); p != nil {
				res = failf(line, "panic on task %s: %v", ts.name, p)
			}
		}()
		res = f()
	}
	if ts.sim != nil {
		ts.sim.Run(g)
		return res
	}
	ts.work <- g
	<-ts.done
	return res
}

// execOn runs c on its task (or the main task).
func (x *runner) execOn(c *Command) *failure {
	if c.Task == "" {
		return x.exec(c)
	}
	ts, ok := x.tasks[c.Task]
	if !ok {
		return failf(c.Line, "task %s was not created", c.Task)
	}
	if ts.exited {
		return failf(c.Line, "task %s has exited", c.Task)
	}
	prev := x.curTask
	x.curTask = c.Task
	defer func() { x.curTask = prev }()
	return ts.run(c.Line, func() *failure { return x.exec(c) })
}

// exitTask is `exit NAME`: the task's thread returns, which on Linux is
// do_exit (its requests in flight stay so, but for those on io_uring files
// and futex waits, which it cancels; see kernel.Task.Exit), and the
// main task waits until it is gone. The rings it created stay open (they
// belong to the process) and are closed by the main task at the end.
func (x *runner) exitTask(line int, name string) *failure {
	ts := x.tasks[name]
	if ts == nil || ts.exited {
		return failf(line, "task %s is not running", name)
	}
	ts.exited = true
	if ts.sim != nil {
		ts.sim.Stop()
		return nil
	}
	close(ts.work)
	if err := uring.WaitThreadGone(<-ts.tid, 10*time.Second); err != nil {
		return failf(line, "task %s: %v", name, err)
	}
	return nil
}

// closeTaskRings closes the open rings the task created.
func (x *runner) closeTaskRings(name string) *failure {
	for _, rn := range x.ringOrder {
		rs := x.rings[rn]
		if rs.task == name && !rs.closed {
			if err := x.closeRing(rs); err != nil {
				return failf(0, "%v", fmt.Sprint(err))
			}
		}
	}
	return nil
}

// stopTasks closes the rings each task created on that task (so the OS
// thread that New locked is the one that unlocks; an exited task's on the
// main task) and ends the tasks.
func (x *runner) stopTasks() {
	for _, name := range x.taskOrder {
		ts := x.tasks[name]
		if ts.exited {
			_ = x.closeTaskRings(name)
			continue
		}
		_ = ts.run(0, func() *failure { return x.closeTaskRings(name) })
		if ts.sim != nil {
			ts.sim.Stop()
		} else {
			close(ts.work)
		}
	}
}
