package kernel_test

import (
	"strings"
	"testing"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/uring"
)

// TestIOWQPath: an IOSQE_ASYNC NOP goes to the submitting task's io-wq
// (io_uring_queue_async_work), a worker thread picks it up
// (io_worker_handle_work) and posts its CQE itself (io_uring_complete on
// the worker).
func TestIOWQPath(t *testing.T) {
	var rec sim.Recorder
	_, r := simRing(t, uring.SimConfig{Seed: 6, Sink: &rec}, 4, nil)
	sqe := r.GetSQE()
	uring.PrepNop(sqe)
	sqe.Flags = rings.IOSQE_ASYNC
	sqe.UserData = 3
	if _, err := r.SubmitAndWait(1); err != nil {
		t.Fatal(err)
	}
	cqe, err := r.PeekCQE()
	if err != nil || cqe.UserData != 3 || cqe.Res != 0 {
		t.Fatalf("cqe %+v, %v", cqe, err)
	}
	var seq []string
	for _, e := range rec.Events {
		switch e.Name {
		case "io_uring_queue_async_work", "io_worker_handle_work", "io_uring_complete":
			who := "task"
			if strings.HasPrefix(e.ThreadName, "iou-wrk-") {
				who = "worker"
			}
			seq = append(seq, e.Name+"@"+who)
		}
	}
	want := "io_uring_queue_async_work@task io_worker_handle_work@worker io_uring_complete@worker"
	if got := strings.Join(seq, " "); got != want {
		t.Fatalf("events %q, want %q", got, want)
	}
}
