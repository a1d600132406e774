package kernel_test

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/uring"
)

// TestPollArmedPipeRead: a READ of an empty pipe cannot complete inline;
// the kernel arms a poll on the pipe, and the writer's wakeup queues
// task_work that reissues the read (IORING_FEAT_FAST_POLL). The trace
// shows io_uring_poll_arm, then io_uring_task_add, then io_uring_complete.
func TestPollArmedPipeRead(t *testing.T) {
	var rec sim.Recorder
	m, r := simRing(t, uring.SimConfig{Seed: 3, Sink: &rec}, 4, nil)
	task := m.Task()
	rfd, wfd, errno := kernel.Pipe2(task, 0)
	if errno != 0 {
		t.Fatalf("pipe2: %d", errno)
	}
	buf, err := m.Backend().Alloc(4096)
	if err != nil {
		t.Fatal(err)
	}
	sqe := r.GetSQE()
	uring.PrepRead(sqe, int32(rfd), uint64(uintptrOf(buf)), 64, 0)
	sqe.UserData = 9
	if n, err := r.Submit(); n != 1 || err != nil {
		t.Fatalf("submit = %d, %v", n, err)
	}
	if _, err := r.PeekCQE(); err == nil {
		t.Fatal("a read of an empty pipe completed inline")
	}
	copy(buf[2048:], "hello")
	if n := kernel.Write(task, wfd, uint64(uintptrOf(buf))+2048, 5); n != 5 {
		t.Fatalf("write = %d", n)
	}
	cqe, err := r.WaitCQE()
	if err != nil {
		t.Fatal(err)
	}
	if cqe.UserData != 9 || cqe.Res != 5 || string(buf[:5]) != "hello" {
		t.Fatalf("cqe %+v, buf %q", *cqe, buf[:5])
	}
	r.CQESeen(cqe)
	var names []string
	for _, e := range rec.Events {
		if strings.HasPrefix(e.Name, "io_uring_poll_arm") || e.Name == "io_uring_task_add" || e.Name == "io_uring_complete" {
			names = append(names, e.Name)
		}
	}
	if got := strings.Join(names, " "); got != "io_uring_poll_arm io_uring_task_add io_uring_complete" {
		t.Fatalf("events %q", got)
	}
}

// TestEventfdRegistered: a registered eventfd counts CQE postings, not
// CQEs, and stays quiet with IORING_CQ_EVENTFD_DISABLED.
func TestEventfdRegistered(t *testing.T) {
	m, r := simRing(t, uring.SimConfig{Seed: 1}, 8, nil)
	task := m.Task()
	efd := kernel.Eventfd2(task, 0, unix.EFD_NONBLOCK)
	arg, _ := m.Backend().Alloc(4096)
	arg[0] = byte(efd)
	if _, err := r.Register(rings.IORING_REGISTER_EVENTFD, uint64(uintptrOf(arg)), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Register(rings.IORING_REGISTER_EVENTFD, uint64(uintptrOf(arg)), 1); err == nil {
		t.Fatal("second eventfd registration succeeded")
	}
	submit := func(n int) {
		for i := 0; i < n; i++ {
			uring.PrepNop(r.GetSQE())
		}
		if _, err := r.SubmitAndWait(uint32(n)); err != nil {
			t.Fatal(err)
		}
		r.CQAdvance(uint32(n))
	}
	readCount := func() uint64 {
		if n := kernel.Read(task, efd, uint64(uintptrOf(arg))+8, 8); n != 8 {
			return 0
		}
		var v uint64
		for i := 7; i >= 0; i-- {
			v = v<<8 | uint64(arg[8+i])
		}
		return v
	}
	submit(3) // one batch: one signal
	if c := readCount(); c != 1 {
		t.Fatalf("eventfd count after one batch = %d, want 1", c)
	}
	rings.AtomicOr(r.View().CQFlags(), rings.IORING_CQ_EVENTFD_DISABLED)
	submit(2)
	if c := kernel.Read(task, efd, uint64(uintptrOf(arg))+8, 8); c != -kernel.EAGAIN {
		t.Fatalf("eventfd signalled while disabled: read = %d", c)
	}
}

// TestPollAddRemove: a one-shot POLL_ADD on an empty pipe completes with
// POLLIN when data arrives; a second is cancelled by POLL_REMOVE, which
// completes with 0 before the cancelled poll's -ECANCELED.
func TestPollAddRemove(t *testing.T) {
	m, r := simRing(t, uring.SimConfig{Seed: 5}, 8, nil)
	task := m.Task()
	rfd, wfd, _ := kernel.Pipe2(task, 0)
	buf, _ := m.Backend().Alloc(4096)
	sqe := r.GetSQE()
	uring.PrepRW(sqe, rings.IORING_OP_POLL_ADD, int32(rfd), 0, 0, 0)
	sqe.OpFlags = rings.POLLIN
	sqe.UserData = 1
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.PeekCQE(); err == nil {
		t.Fatal("poll on an empty pipe completed at once")
	}
	kernel.Write(task, wfd, uint64(uintptrOf(buf)), 1)
	cqe, err := r.WaitCQE()
	if err != nil || cqe.UserData != 1 || uint32(cqe.Res)&rings.POLLIN == 0 || cqe.Flags != 0 {
		t.Fatalf("cqe %+v, %v", cqe, err)
	}
	r.CQESeen(cqe)
	kernel.Read(task, rfd, uint64(uintptrOf(buf)), 1)

	sqe = r.GetSQE()
	uring.PrepRW(sqe, rings.IORING_OP_POLL_ADD, int32(rfd), 0, 0, 0)
	sqe.OpFlags = rings.POLLIN
	sqe.UserData = 2
	sqe = r.GetSQE()
	uring.PrepRW(sqe, rings.IORING_OP_POLL_REMOVE, -1, 2, 0, 0)
	sqe.UserData = 3
	if _, err := r.SubmitAndWait(2); err != nil {
		t.Fatal(err)
	}
	var got [][2]int64
	r.ForEachCQE(func(c *rings.CQE) { got = append(got, [2]int64{int64(c.UserData), int64(c.Res)}) })
	want := [][2]int64{{3, 0}, {2, -int64(unix.ECANCELED)}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("CQEs %v, want %v", got, want)
	}
}

// TestSlowFileIOCBQueued: a read of slow storage is queued (-EIOCBQUEUED),
// completes from the device's timer context exactly one latency later on
// the virtual clock, and reaches the CQ through task_work.
func TestSlowFileIOCBQueued(t *testing.T) {
	var rec sim.Recorder
	m, r := simRing(t, uring.SimConfig{Seed: 2, Sink: &rec}, 4, nil)
	task := m.Task()
	fd := kernel.OpenSlowFile(task, []byte("slow bytes"), 250*time.Microsecond)
	buf, _ := m.Backend().Alloc(4096)
	sqe := r.GetSQE()
	uring.PrepRead(sqe, int32(fd), uint64(uintptrOf(buf)), 4, 5)
	sqe.UserData = 7
	start := m.World().Now()
	if _, err := r.SubmitAndWait(1); err != nil {
		t.Fatal(err)
	}
	cqe, err := r.PeekCQE()
	if err != nil || cqe.UserData != 7 || cqe.Res != 4 || string(buf[:4]) != "byte" {
		t.Fatalf("cqe %+v, %v, buf %q", cqe, err, buf[:4])
	}
	if d := m.World().Now() - start; d != 250*time.Microsecond {
		t.Fatalf("completed after %v, want 250µs", d)
	}
	var seq []string
	for _, e := range rec.Events {
		switch e.Name {
		case "io_complete_rw":
			seq = append(seq, e.Name+"@"+e.ThreadName)
		case "io_uring_task_add", "io_uring_complete":
			seq = append(seq, e.Name)
		}
	}
	if got := strings.Join(seq, " "); got != "io_complete_rw@hrtimer io_uring_task_add io_uring_complete" {
		t.Fatalf("events %q", got)
	}
}
