package exec

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/sim"
)

// progThread is one thread of the program as the simulator sees it: a
// simulated user task of its own (its own io_uring task context, what
// SINGLE_ISSUER, task work and DEFER_TASKRUN key on), whose sim thread
// serves the notified calls the host thread makes, one at a time. While
// the host thread runs in user space the task waits in user space
// (kernel.Task.WaitUser), so task work queued for it with TWA_SIGNAL runs
// at once, as on an idle or running Linux thread; when the host thread
// calls exit(2) the task exits (kernel.Task.Exit, as do_exit does).
type progThread struct {
	tid  uint32
	task *kernel.Task
	n    *seccompNotif // the call the host thread is stopped in; nil in user space
	// next is a call the host thread made while n was still being served:
	// a signal interrupted n in the host (its handler ran, and the call
	// was restarted or failed with EINTR), so the task was signalled to
	// leave n, and serves next after it.
	next *seccompNotif
}

// thread is the progThread of tid, started at its first notified call.
// Only the main thread calls it.
func (s *supervisor) thread(tid uint32) *progThread {
	if pt := s.threads[tid]; pt != nil {
		return pt
	}
	pt := &progThread{tid: tid}
	w := s.m.World()
	var ready sim.Completion // pt.task is set
	th := w.Go(w.Main(), s.threadName(tid), func(t *sim.Thread) {
		if cs, ok := s.cfg.Sink.(*sim.ChromeSink); ok {
			// Before the thread's first event of its own.
			cs.SetProcess(t.ID(), programTracePid, s.progName+" (program)")
		}
		ready.Wait(t)
		s.serveThread(pt)
	})
	pt.task = s.m.Process().NewTask(th)
	ready.Complete(w.Main())
	s.threads[tid] = pt
	return pt
}

// programTracePid is the Chrome trace's process of the program's threads
// (pid 1 holds the kernel's and the supervisor's).
const programTracePid = 2

// threadName names a program thread's sim thread after its comm
// (/proc/PID/task/TID/comm: the program's name unless the thread was
// renamed), not its TID, which the host assigns anew each run: the trace
// of a run is then a function of the run.
func (s *supervisor) threadName(tid uint32) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.pid) + "/task/" + strconv.Itoa(int(tid)) + "/comm")
	name := strings.TrimSpace(string(b))
	if err != nil || name == "" {
		name = "thread"
	}
	s.nthreads++
	if int(tid) != s.pid {
		name += "-" + strconv.Itoa(s.nthreads) // the leader keeps the bare comm
	}
	return name
}

// serveThread is the body of a program thread's sim thread: it waits in
// user space for the host thread's next notified call, serves it as that
// task and answers it, until the thread exits or the run ends.
func (s *supervisor) serveThread(pt *progThread) {
	t := pt.task.Thread
	for {
		if !pt.task.WaitUser("user space (tid "+strconv.Itoa(int(pt.tid))+")", func() bool { return pt.n != nil }) {
			return // Shutdown, or the run failed
		}
		n := pt.n
		exit := n.Data.Nr == unix.SYS_EXIT
		var resp seccompNotifResp
		if exit {
			pt.task.Exit() // do_exit; the host thread goes on to its own
			resp = cont
		} else {
			resp = s.serve(pt.task, n)
		}
		if rep := s.m.World().Deadlock(); rep != nil && s.failure == nil {
			s.failure = fmt.Errorf("the simulated kernel is deadlocked (the program waits for what cannot come):\n%v", rep)
		}
		pt.n = nil
		s.inCall--
		if s.failure != nil {
			s.mainThread().WakeUp(t)
			return // the program is killed in the call, unanswered
		}
		if pt.next != nil {
			// n was interrupted (its answer finds it gone); the
			// signal was delivered with its handler in the host.
			t.ClearSignal()
			pt.n, pt.next = pt.next, nil
			s.inCall++
		}
		if s.inCall == 0 {
			// The last thread in the simulated kernel leaves it: the
			// main thread answers when it next runs, and then stops the
			// world until the next notification. Answered here, the
			// program would run in the host while io-wq workers, task
			// work and the poller went on for as many steps as the
			// scheduler gave them before the main thread ran: what they
			// saw of the program's memory and descriptors, and what it
			// saw of their CQEs, would be the host's timing. What the
			// call wrote to the program's memory goes back then too.
			s.answers = append(s.answers, answer{n, resp})
			s.mainThread().WakeUp(t)
		} else {
			s.as.Sync()        // what the call wrote to the program's memory
			s.respond(n, resp) // the world runs on for the others anyway
		}
		if exit {
			delete(s.threads, pt.tid)
			delete(s.ours, pt.tid)
		}
		if exit {
			return
		}
	}
}

// answer is a served call's response, sent by the main thread when the
// world stops (supervisor.answerAll).
type answer struct {
	n    *seccompNotif
	resp seccompNotifResp
}

// answerAll sends the answers of the calls served since the world last
// stopped. The main thread calls it just before it waits in the host
// for the next notification, with no other sim thread running: from the
// answer on, the program runs and the simulated world does not.
func (s *supervisor) answerAll() {
	if len(s.answers) == 0 {
		return
	}
	// What the calls answered here wrote to the program's memory, and
	// what the kernel side wrote after them (an io-wq read's data, a
	// CQE's buffer), goes back now, while the program is
	// still stopped: written back at the next entry instead, it would
	// reach the program late and overwrite what the program wrote to
	// those bytes meanwhile (its stack, when the buffer was a local of a
	// function that returned).
	s.as.Sync()
	s.still = true
	for _, a := range s.answers {
		s.respond(a.n, a.resp)
	}
	s.answers = s.answers[:0]
}

// mainThread is the world's main thread: the supervisor's.
func (s *supervisor) mainThread() *sim.Thread { return s.m.World().Main() }

// respond answers notification n.
func (s *supervisor) respond(n *seccompNotif, resp seccompNotifResp) {
	resp.ID = n.ID
	if err := sendResp(s.listener, &resp); err != nil && err != unix.ENOENT && s.failure == nil {
		s.failure = fmt.Errorf("SECCOMP_IOCTL_NOTIF_SEND: %v", err)
	}
}
