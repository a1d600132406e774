package sqpoll_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/sqpoll"
)

// ring is a minimal Ring: an SQ of n entries whose SQEs are just counted.
type ring struct {
	head, tail, flags uint32
	cached            uint32
	uringLock         sim.Mutex
	sqWait            sim.WaitQueueHead
}

func (r *ring) RingID() uint64 { return 1 }
func (r *ring) SQEntriesPending(t *sim.Thread) uint32 {
	t.Yield()
	return rings.LoadAcquire(&r.tail) - r.cached
}
func (r *ring) SQPollSubmit(t *sim.Thread, n uint32) int {
	r.uringLock.Lock(t)
	r.cached += n
	rings.StoreRelease(&r.head, r.cached)
	r.uringLock.Unlock(t)
	return int(n)
}
func (r *ring) IOPollPending() bool                 { return false }
func (r *ring) SQFlags() *uint32                    { return &r.flags }
func (r *ring) SQThreadIdle() time.Duration         { return 10 * time.Microsecond }
func (r *ring) SQFull(t *sim.Thread) bool           { return r.tail-rings.LoadAcquire(&r.head) == 8 }
func (r *ring) SQWait() *sim.WaitQueueHead          { return &r.sqWait }
func (task) RunTaskWork(*sim.Thread, uint32) uint32 { return 0 }
func (task) TaskWorkPending(*sim.Thread) bool       { return false }
func (task) CancelAll(*sim.Thread)                  {}

type task struct{}

// ioEvents prints the io_* trace events only.
type ioEvents struct{}

func (ioEvents) Event(e *sim.Event) {
	if !strings.HasPrefix(e.Name, "io_") {
		return
	}
	fmt.Printf("%7v %-10s %s", e.Time, e.ThreadName, e.Name)
	for _, f := range e.Fields {
		fmt.Printf(" %s=%d", f.Key, f.Int)
	}
	fmt.Println()
}

// The user publishes SQEs the way liburing does under SQPOLL: store the
// tail, full barrier, read sq_flags, and enter with IORING_ENTER_SQ_WAKEUP
// only if the thread asked for it.
func Example() {
	w := sim.NewWorld(sim.Config{Seed: 1, Sink: ioEvents{}})
	defer w.Shutdown()
	m := w.Main()
	r := &ring{}

	sqd := sqpoll.New(sqpoll.Config{})
	sqd.AddRing(m, r, false)
	sqd.Start(m, 100, 100, func(*sim.Thread) sqpoll.Task { return task{} })

	submit := func(n uint32) {
		rings.StoreRelease(&r.tail, r.tail+n)
		m.Yield() // io_uring_smp_mb()
		if rings.ReadOnce(&r.flags)&rings.IORING_SQ_NEED_WAKEUP != 0 {
			fmt.Printf("%7v enter(IORING_ENTER_SQ_WAKEUP)\n", w.Now())
			sqd.Wake(m)
		}
	}
	m.Sleep(time.Microsecond)
	submit(2) // the thread sleeps: wake it
	m.Sleep(5 * time.Microsecond)
	submit(3) // the thread still spins (polls at 2, 4, 8µs): no enter
	m.Sleep(50 * time.Microsecond)
	sqd.RemoveRing(m, r)
	fmt.Println("submitted", r.cached)
	// Output:
	//      0s main       io_sq_thread_park park_pending=1
	//      0s main       io_sq_thread_unpark park_pending=0
	//      0s iou-sqp-100 io_sq_thread_idle rings=1
	//     1µs enter(IORING_ENTER_SQ_WAKEUP)
	//     1µs iou-sqp-100 io_sq_thread_wake
	//     1µs iou-sqp-100 io_uring_sqpoll_submit ctx=1 to_submit=2 submitted=2
	//     8µs iou-sqp-100 io_uring_sqpoll_submit ctx=1 to_submit=3 submitted=3
	//    18µs iou-sqp-100 io_sq_thread_idle rings=1
	//    56µs main       io_sq_thread_park park_pending=1
	//    56µs main       io_sq_thread_unpark park_pending=0
	//    56µs iou-sqp-100 io_sq_thread_wake
	// submitted 5
}
