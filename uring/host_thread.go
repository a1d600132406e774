package uring

import (
	"fmt"
	"os"
	"time"
)

// WaitThreadGone waits until the thread tid of this process has exited
// (its /proc/self/task entry is gone), for at most timeout: after a
// goroutine locked to its OS thread returns, Go ends the thread, and that
// thread's exit (do_exit) is what a test of task exit on the host waits
// for.
func WaitThreadGone(tid int, timeout time.Duration) error {
	task := fmt.Sprintf("/proc/self/task/%d", tid)
	for deadline := time.Now().Add(timeout); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(task); err != nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("thread %d did not exit within %v", tid, timeout)
		}
	}
}
