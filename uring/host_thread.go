package uring

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
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

// GoLockedThread runs fn on a new goroutine locked to an OS thread of its
// own, not the process's main thread, so that the thread exits when fn
// returns (Go ends a thread whose goroutine returns locked to it, but keeps
// the main thread). The returned channel gets the thread's id as fn
// returns; WaitThreadGone then waits for its exit.
func GoLockedThread(fn func()) <-chan int {
	tid := make(chan int, 1)
	var start func(locked chan<- struct{})
	start = func(locked chan<- struct{}) {
		runtime.LockOSThread() // never unlocked: the thread ends with fn
		if unix.Gettid() == unix.Getpid() {
			// On the main thread: hold it until a goroutine on
			// another thread has locked that one, then let it go.
			next := make(chan struct{})
			go start(next)
			<-next
			runtime.UnlockOSThread()
			close(locked)
			return
		}
		close(locked)
		fn()
		tid <- unix.Gettid()
	}
	locked := make(chan struct{})
	go start(locked)
	<-locked
	return tid
}
