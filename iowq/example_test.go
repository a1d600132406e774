package iowq_test

import (
	"fmt"
	"time"

	"github.com/uringsim/uringsim/iowq"
	"github.com/uringsim/uringsim/sim"
)

// Two writes hashed to one file run one after the other, a third to
// another file runs beside them on a second worker (the first blocks, so
// io_wq_worker_sleeping starts another).
func Example() {
	w := sim.NewWorld(sim.Config{Seed: 1})
	defer w.Shutdown()
	m := w.Main()
	var done sim.Completion
	wq := iowq.Create(m, iowq.BoundedWorkers(8, 2), iowq.Data{
		Task: "100",
		DoWork: func(t *sim.Thread, work *iowq.Work) {
			t.Sleep(10 * time.Microsecond) // blocking I/O
			fmt.Printf("%v: %s done on %s\n", w.Now(), work.Item, t.Name())
			done.Complete(t)
		},
		FreeWork: func(t *sim.Thread, work *iowq.Work) *iowq.Work { return nil },
	})
	works := []*iowq.Work{{Item: "write A#1"}, {Item: "write A#2"}, {Item: "write B#1"}}
	iowq.HashWork(works[0], 0xA)
	iowq.HashWork(works[1], 0xA)
	iowq.HashWork(works[2], 0xB)
	for _, work := range works {
		wq.Enqueue(m, work)
	}
	for range works {
		done.Wait(m)
	}
	fmt.Println("workers:", wq.Stats().Acct[iowq.IO_WQ_ACCT_BOUND].Workers)
	wq.ExitStart(m)
	wq.PutAndExit(m)
	fmt.Println("after exit:", len(wq.Workers()))
	// Output:
	// 10µs: write A#1 done on iou-wrk-100
	// 10µs: write B#1 done on iou-wrk-100
	// 20µs: write A#2 done on iou-wrk-100
	// workers: 2
	// after exit: 0
}
