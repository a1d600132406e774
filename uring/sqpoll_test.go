package uring

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// enterRecorder is a Backend that records the flags of every Enter.
type enterRecorder struct {
	Backend
	flags []uint32
}

func (e *enterRecorder) Enter(fd int, toSubmit, minComplete, flags uint32, argp, argsz uint64) (int, error) {
	e.flags = append(e.flags, flags)
	return e.Backend.Enter(fd, toSubmit, minComplete, flags, argp, argsz)
}

// TestSQPollWakeupHost: with an SQPOLL ring Submit enters the kernel only to
// wake a sleeping SQ thread (IORING_SQ_NEED_WAKEUP → IORING_ENTER_SQ_WAKEUP),
// and the SQ thread submits the NOPs either way. Host only: the simulator
// has no SQ thread yet.
func TestSQPollWakeupHost(t *testing.T) {
	be := &enterRecorder{Backend: hostOrSkip(t)}
	r, err := New(be, 8, &Params{Flags: rings.IORING_SETUP_SQPOLL, SQThreadIdle: 1})
	if err != nil {
		t.Skipf("host refuses SQPOLL: %v", err)
	}
	defer r.Close()
	woke := false
	for round := range 5 {
		// Let the SQ thread go idle (1 ms) and set NEED_WAKEUP.
		deadline := time.Now().Add(2 * time.Second)
		for r.SQFlags()&rings.IORING_SQ_NEED_WAKEUP == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		be.flags = be.flags[:0]
		sleeping := r.SQFlags()&rings.IORING_SQ_NEED_WAKEUP != 0
		submitNops(t, r, uint64(round))
		if sleeping {
			if len(be.flags) != 1 || be.flags[0]&rings.IORING_ENTER_SQ_WAKEUP == 0 {
				t.Errorf("round %d: SQ thread asleep, Submit entered with %#x", round, be.flags)
			}
			woke = true
		}
		cqe, err := r.WaitCQETimeout(5 * time.Second)
		if err != nil || cqe.UserData != uint64(round) {
			t.Fatalf("round %d: %v, %v", round, cqe, err)
		}
		r.CQESeen(cqe)
	}
	if !woke {
		t.Errorf("the SQ thread never set IORING_SQ_NEED_WAKEUP within 2s of an idle time of 1ms")
	}
}

// TestSimDeadlockEINTR: waiting for a CQE that can never come deadlocks the
// deterministic world; the wait returns EINTR and the world reports it.
func TestSimDeadlockEINTR(t *testing.T) {
	m := NewSimMachine(SimConfig{Seed: 1})
	defer m.Close()
	r := mustNew(t, m.Backend(), 4, nil)
	defer r.Close()
	cqe, err := r.WaitCQE()
	if cqe != nil || err != unix.EINTR {
		t.Fatalf("WaitCQE with nothing in flight = %v, %v; want EINTR", cqe, err)
	}
	if m.World().Deadlock() == nil {
		t.Error("no deadlock report")
	}
}

// TestSQPollSim: on the simulator a new SQ thread sleeps at once (Submit
// wakes it), then submits published SQEs with no enter at all while busy,
// goes to sleep with IORING_SQ_NEED_WAKEUP set
// exactly sq_thread_idle after its last work (virtual time), and Submit
// then wakes it with IORING_ENTER_SQ_WAKEUP.
func TestSQPollSim(t *testing.T) {
	m := NewSimMachine(SimConfig{Seed: 4})
	defer m.Close()
	be := &enterRecorder{Backend: m.Backend()}
	r, err := New(be, 8, &Params{Flags: rings.IORING_SETUP_SQPOLL, SQThreadIdle: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w := m.World()
	submitNops(t, r, 1)
	cqe, err := r.WaitCQETimeout(time.Second)
	if err != nil || cqe.UserData != 1 {
		t.Fatalf("cqe %v, %v", cqe, err)
	}
	r.CQESeen(cqe)
	// Busy: entries published while the thread works need no enter.
	be.flags = be.flags[:0]
	submitNops(t, r, 3)
	if len(be.flags) != 0 {
		t.Fatalf("Submit entered (%#x) while the SQ thread was awake", be.flags)
	}
	cqe, err = r.WaitCQETimeout(time.Second)
	if err != nil || cqe.UserData != 3 {
		t.Fatalf("cqe %v, %v", cqe, err)
	}
	r.CQESeen(cqe)
	// Idle: the thread sets NEED_WAKEUP and sleeps.
	m.Task().Thread.Sleep(10 * time.Millisecond)
	if r.SQFlags()&rings.IORING_SQ_NEED_WAKEUP == 0 {
		t.Fatalf("SQ thread still awake at %v", w.Now())
	}
	be.flags = be.flags[:0]
	submitNops(t, r, 2)
	if len(be.flags) != 1 || be.flags[0]&rings.IORING_ENTER_SQ_WAKEUP == 0 {
		t.Fatalf("Submit to a sleeping SQ thread entered with %#x", be.flags)
	}
	cqe, err = r.WaitCQETimeout(time.Second)
	if err != nil || cqe.UserData != 2 {
		t.Fatalf("cqe %v, %v", cqe, err)
	}
	r.CQESeen(cqe)
}

// eventLog records who emitted which trace event.
type eventLog struct{ ev []string }

func (l *eventLog) Event(e *sim.Event) { l.ev = append(l.ev, e.ThreadName+" "+e.Name) }

// TestSQPollPollOnOwnRing is liburing's sqpoll-exit-hang: a poll on the
// ring's own descriptor holds the last reference to the ring once the
// program has closed it, and the SQ thread, completing the poll, drops that
// reference in its completion flush, under uring_lock. The ring's release
// must not run there (fput defers it to the SQ thread's task_work) and must
// run: the ring's timeouts, polls and SQ thread are torn down.
func TestSQPollPollOnOwnRing(t *testing.T) {
	bySQThread := 0
	for seed := uint64(1); seed <= 100; seed++ {
		log := &eventLog{}
		m := NewSimMachine(SimConfig{Seed: seed, Sink: log})
		r, err := New(m.Backend(), 4, &Params{Flags: rings.IORING_SETUP_SQPOLL, SQThreadIdle: 1000})
		if err != nil {
			t.Fatal(err)
		}
		PrepPollAdd(r.GetSQE(), int32(r.FD()), unix.POLLIN)
		if _, err := r.Submit(); err != nil {
			t.Fatal(err)
		}
		m.Task().Thread.Sleep(time.Millisecond)
		if c, _ := r.PeekCQE(); c != nil {
			t.Fatalf("seed %d: the poll of an empty ring completed: %+v", seed, *c)
		}
		PrepNop(r.GetSQE()) // the awake SQ thread takes it: no enter
		r.FlushSQ()
		closed := len(log.ev)
		r.Close()
		m.Task().Thread.Sleep(10 * time.Millisecond)
		if d := m.World().Deadlocks(); len(d) != 0 {
			t.Fatalf("seed %d: %v", seed, d[0])
		}
		released := ""
		for _, e := range log.ev[closed:] {
			if strings.HasSuffix(e, " io_sq_thread_park") {
				released = e
			}
		}
		if released == "" {
			t.Fatalf("seed %d: the ring was never released; trace after close:\n%s", seed, strings.Join(log.ev[closed:], "\n"))
		}
		if strings.HasPrefix(released, "kworker/u:iou_exit") {
			bySQThread++ // handed on by the SQ thread's task_work
		}
		m.Close()
	}
	t.Logf("the SQ thread dropped the last reference on %d of 100 seeds", bySQThread)
	if bySQThread == 0 {
		t.Fatal("no seed had the SQ thread drop the last reference")
	}
}
