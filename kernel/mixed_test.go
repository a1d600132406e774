package kernel_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/uring"
)

// mixedRun runs one program mixing every issue path — inline NOPs, a link
// chain writing then reading a file (io-wq for the write), a pipe read
// that waits for another task's write (poll arming), an IOSQE_ASYNC NOP
// (io-wq), a read of slow storage (-EIOCBQUEUED), a drained NOP — on a
// ring whose kind depends on the seed (plain, SQPOLL, DEFER_TASKRUN), and
// returns each user_data's result, or an error describing what went
// wrong.
func mixedRun(seed uint64, mode sim.Mode) (map[uint64]int32, error) {
	m := uring.NewSimMachine(uring.SimConfig{Seed: seed, Mode: mode, MaxSteps: 2_000_000})
	defer m.Close()
	flags := []uint32{0, rings.IORING_SETUP_SQPOLL,
		rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_DEFER_TASKRUN}[seed%3]
	r, err := uring.New(m.Backend(), 16, &uring.Params{Flags: flags, SQThreadIdle: 1})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	task := m.Task()
	buf, err := m.Backend().Alloc(4096)
	if err != nil {
		return nil, err
	}
	base := uint64(uintptrOf(buf))
	copy(buf, "0123456789")
	rfd, wfd, errno := kernel.Pipe2(task, 0)
	if errno != 0 {
		return nil, fmt.Errorf("pipe2: %d", errno)
	}
	file := kernel.OpenTmpfile(task, nil)
	slow := kernel.OpenSlowFile(task, []byte("slow storage"), 300*time.Microsecond)

	add := func(ud uint64, f func(*rings.SQE)) {
		sqe := r.GetSQE()
		f(sqe)
		sqe.UserData = ud
	}
	add(1, func(s *rings.SQE) { uring.PrepNop(s) })
	add(2, func(s *rings.SQE) {
		uring.PrepWrite(s, int32(file), base, 10, 0)
		s.Flags = rings.IOSQE_IO_LINK
	})
	add(3, func(s *rings.SQE) { uring.PrepRead(s, int32(file), base+100, 10, 0) })
	add(4, func(s *rings.SQE) { uring.PrepRead(s, int32(rfd), base+200, 5, 0) })
	add(5, func(s *rings.SQE) {
		uring.PrepNop(s)
		s.Flags = rings.IOSQE_ASYNC
	})
	add(6, func(s *rings.SQE) { uring.PrepRead(s, int32(slow), base+300, 4, 5) })
	if _, err := r.Submit(); err != nil {
		return nil, fmt.Errorf("submit: %v", err)
	}
	// Another task writes into the pipe after a seed-dependent delay,
	// while the main task goes on.
	copy(buf[400:], "hello")
	var wret atomic.Int64
	m.World().Go(m.World().Main(), "writer", func(t *sim.Thread) {
		t.Sleep(time.Duration(m.World().Rand(t)%500) * time.Microsecond)
		wret.Store(int64(kernel.Write(m.Process().NewTask(t), wfd, base+400, 5)))
	})
	add(7, func(s *rings.SQE) {
		uring.PrepNop(s)
		s.Flags = rings.IOSQE_IO_DRAIN
	})
	if _, err := r.Submit(); err != nil {
		return nil, fmt.Errorf("submit: %v", err)
	}
	got := map[uint64]int32{}
	for len(got) < 7 {
		cqe, err := r.WaitCQETimeout(time.Second)
		if err != nil {
			return got, fmt.Errorf("waiting for CQE %d of 7: %v (deadlock: %v)", len(got)+1, err, m.World().Deadlock())
		}
		if _, dup := got[cqe.UserData]; dup {
			return got, fmt.Errorf("two CQEs for user_data %d", cqe.UserData)
		}
		got[cqe.UserData] = cqe.Res
		r.CQESeen(cqe)
	}
	if cqe, err := r.WaitCQETimeout(10 * time.Millisecond); err == nil {
		return got, fmt.Errorf("extra CQE %+v", *cqe)
	}
	if string(buf[100:110]) != "0123456789" || string(buf[200:205]) != "hello" || string(buf[300:304]) != "stor" {
		return got, fmt.Errorf("data %q %q %q", buf[100:110], buf[200:205], buf[300:304])
	}
	if n := wret.Load(); n != 5 {
		return got, fmt.Errorf("pipe write returned %d", n)
	}
	if d := m.World().Deadlock(); d != nil {
		return got, fmt.Errorf("deadlock: %v", d)
	}
	return got, nil
}

var mixedWant = map[uint64]int32{1: 0, 2: 10, 3: 10, 4: 5, 5: 0, 6: 4, 7: 0}

func checkMixed(t *testing.T, seed uint64, mode sim.Mode) {
	t.Helper()
	got, err := mixedRun(seed, mode)
	if err != nil {
		t.Fatalf("seed %d (%v): %v; CQEs %v", seed, mode, err, got)
	}
	for ud, res := range mixedWant {
		if got[ud] != res {
			t.Fatalf("seed %d (%v): user_data %d res %d, want %d (all: %v)", seed, mode, ud, got[ud], res, got)
		}
	}
}

// TestMixedSeeds: 1,000 seeds of the mixed program under the
// deterministic scheduler complete every request exactly once, with the
// expected results and no deadlock.
func TestMixedSeeds(t *testing.T) {
	n := uint64(1000)
	if testing.Short() {
		n = 100
	}
	for seed := uint64(0); seed < n; seed++ {
		checkMixed(t, seed, sim.Deterministic)
	}
}

// TestMixedConcurrent: the same program on real goroutines (run it with
// -race).
func TestMixedConcurrent(t *testing.T) {
	for seed := uint64(0); seed < 30; seed++ {
		checkMixed(t, seed, sim.Concurrent)
	}
}
