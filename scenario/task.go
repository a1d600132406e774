package scenario

import (
	"fmt"
	"runtime"
)

// taskState is a `task NAME` of a host run: a goroutine locked to its own
// OS thread (a thread of this process, which is what io_uring calls a
// task), running the commands prefixed with @NAME one at a time while the
// main task waits.
type taskState struct {
	name string
	work chan func()
	done chan struct{}
}

// tasksSupported reports whether `task` and @TASK can run on this run's
// backend.
func (x *runner) tasksSupported() *failure {
	if x.opt.Backend == BackendKernel {
		return nil
	}
	// The simulator would need a Backend whose system calls are made by
	// another kernel.Task (a second sim thread of the same process); uring
	// does not offer one yet.
	return skipf("tasks not supported yet (on the simulator)")
}

func (x *runner) newTask(line int, name string) *failure {
	if f := x.tasksSupported(); f != nil {
		return f
	}
	ts := &taskState{name: name, work: make(chan func()), done: make(chan struct{})}
	go func() {
		// Never unlocked: the thread ends with the task.
		runtime.LockOSThread()
		for f := range ts.work {
			f()
			ts.done <- struct{}{}
		}
	}()
	if x.tasks == nil {
		x.tasks = map[string]*taskState{}
	}
	x.tasks[name] = ts
	x.taskOrder = append(x.taskOrder, name)
	return nil
}

// onTask runs f on the task and waits for it; a panic there becomes a
// failure.
func (ts *taskState) run(line int, f func() *failure) (res *failure) {
	ts.work <- func() {
		defer func() {
			if p := recover(); p != nil {
				res = failf(line, "panic on task %s: %v", ts.name, p)
			}
		}()
		res = f()
	}
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
	prev := x.curTask
	x.curTask = c.Task
	defer func() { x.curTask = prev }()
	return ts.run(c.Line, func() *failure { return x.exec(c) })
}

// stopTasks closes the rings each task created on that task (so the OS
// thread that New locked is the one that unlocks) and ends the tasks.
func (x *runner) stopTasks() {
	for _, name := range x.taskOrder {
		ts := x.tasks[name]
		_ = ts.run(0, func() *failure {
			for _, rn := range x.ringOrder {
				rs := x.rings[rn]
				if rs.task == name && !rs.closed {
					rs.closed = true
					if err := rs.r.Close(); err != nil {
						return failf(0, "%v", fmt.Sprint(err))
					}
				}
			}
			return nil
		})
		close(ts.work)
	}
}
