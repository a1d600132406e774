package ringcheck

import (
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/uring"
)

// Watch starts a stream for r, named name, fed by r itself
// (uring.Observer): the SQEs r publishes, the SQ head after each enter,
// the CQEs r consumes with the CQ head and tail. It replaces any
// observer r had.
func (c *Checker) Watch(name string, r *uring.Ring) *Stream {
	s := c.Stream(name, r.FD(), r.CQEntries())
	w := &watcher{s: s, sqpoll: r.Flags()&rings.IORING_SETUP_SQPOLL != 0, mixed: r.Flags()&rings.IORING_SETUP_CQE_MIXED != 0}
	r.SetObserver(w)
	s.ring = r
	return s
}

// End ends a watched stream on the simulator (Finish with what the
// kernel holds for the ring: requests in flight, CQEs in its overflow
// list, CQEs in the CQ not consumed, CQEs it dropped). It does nothing for
// a ring on the host, or closed, where the kernel's count is not known.
// It does not yield: call it from the program's thread of a deterministic
// machine, between two ring operations.
func (s *Stream) End() {
	if s.ring == nil {
		return
	}
	reqs, overflow, ok := s.ring.SimInFlight()
	if !ok {
		return
	}
	v := s.ring.View()
	s.SQHead(rings.LoadAcquire(v.SQHead()), false)
	unread := rings.LoadAcquire(v.CQTail()) - rings.ReadOnce(v.CQHead())
	dropped := rings.ReadOnce(v.CQOverflow())
	s.Finish(reqs + overflow + int(unread) + int(dropped))
}

// watcher feeds a Stream from a Ring, with plain loads only.
type watcher struct {
	s      *Stream
	sqpoll bool
	mixed  bool
	buf    []rings.SQE
}

func (w *watcher) SQEsPublished(r *uring.Ring, from, to uint32) {
	w.sqHead(r)
	w.buf = w.buf[:0]
	sqes := r.SQEs()
	for i := from; i != to; i++ {
		w.buf = append(w.buf, *sqes.SQE(i))
	}
	w.s.Publish(from, w.buf)
}

func (w *watcher) Entered(r *uring.Ring) { w.sqHead(r) }

// sqHead records the SQ head: without SQPOLL only an enter moves it, so
// each value ends the kernel's chain; an SQPOLL thread may have read on.
func (w *watcher) sqHead(r *uring.Ring) {
	v := r.View()
	w.s.SQHead(rings.LoadAcquire(v.SQHead()), !w.sqpoll)
}

func (w *watcher) CQEsConsumed(r *uring.Ring, head, n uint32) {
	if w.sqpoll {
		w.sqHead(r)
	}
	v := r.View()
	tail := rings.LoadAcquire(v.CQTail())
	w.s.SetCQEntries(r.CQEntries())
	w.s.CQ(head, tail)
	for i := uint32(0); i < n; i++ {
		cqe := *v.CQE(head + i)
		if w.mixed && cqe.Flags&rings.IORING_CQE_F_32 != 0 {
			i++
		}
		w.s.CQE(cqe)
	}
	w.s.CQ(head+n, tail)
}
