package kernel_test

import (
	"testing"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/uring"
)

// TestRingExitCancelsDrained: a request held behind a drain when its ring
// is closed fails with -ECANCELED (io_cancel_defer_files from the exit
// work's io_uring_try_cancel_requests), as the poll holding the drain
// does; it is not issued once the drain clears (it once failed -EFAULT
// then, from a task_work that found the ring dying).
// Linux: io_uring/io_uring.c:io_ring_exit_work(), io_cancel_defer_files()
func TestRingExitCancelsDrained(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rec := &sim.Recorder{}
		m := uring.NewSimMachine(uring.SimConfig{Seed: seed, Sink: rec})
		fs, err := uring.Files(m.Backend())
		if err != nil {
			t.Fatal(err)
		}
		pr, pw, err := fs.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r, err := uring.New(m.Backend(), 4, nil)
		if err != nil {
			t.Fatal(err)
		}
		sqe := r.GetSQE()
		uring.PrepPollAdd(sqe, int32(pr), rings.POLLIN)
		sqe.UserData = 1
		sqe = r.GetSQE()
		uring.PrepNop(sqe)
		sqe.UserData, sqe.Flags = 2, rings.IOSQE_IO_DRAIN
		if n, err := r.Submit(); n != 2 || err != nil {
			t.Fatalf("submit: %d, %v", n, err)
		}
		r.Close()
		_ = fs.Close(pw)
		_ = fs.Close(pr)
		m.Close()
		res := map[int64]int64{}
		for _, ev := range rec.Events {
			if ev.Name != "io_uring_complete" {
				continue
			}
			res[ev.Field("user_data").Int] = ev.Field("res").Int
		}
		if res[1] != -125 || res[2] != -125 || len(res) != 2 {
			t.Fatalf("seed %d: completions %v, want both user_data 1 and 2 -ECANCELED (-125)", seed, res)
		}
	}
}
