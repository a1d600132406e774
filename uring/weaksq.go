package uring

import (
	"errors"
	"unsafe"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// Weak memory on the user side (SetWeakSQ).
//
// The user task's plain stores to the SQ ring, its SQEs and a tail
// published without release ordering, do not reach the memory kernel
// threads read at once: they sit in a store buffer and drain one at a
// time, in an order the seed chooses (a recorded choice), at the task's
// scheduling points on the ring (or stay buffered, the seed's choice too); a release store drains every earlier store before
// it lands (FlushSQ: io_uring_smp_store_release of sq.tail, as liburing
// does) and a full barrier or a system call drains them all. So a program
// that publishes the tail with a plain store (FlushSQRelaxed) lets the
// SQPOLL thread see the new tail before the SQE it covers, and read the
// slot's stale contents, under some seed: what a weakly ordered CPU
// (arm64, POWER) may do and x86 (TSO) does not.
//
// The model is the SQE as one store: GetSQE hands out the slot in the
// program's private copy of the SQE array, which drains whole; SQEs()
// reads that copy (the program's own loads see its stores). An SQE128
// ring is not supported.

// weakSQ is the store buffer.
type weakSQ struct {
	words  []uint64      // the program's copy of the SQE array (8-byte aligned)
	shadow rings.SQEView // the same as SQE slots: what the task wrote
	pend   []weakStore   // buffered stores, oldest first
	t      *sim.Thread   // the task
	w      *sim.World
	// plainTail: FlushSQ stores an SQPOLL ring's tail plainly (museum
	// switch LiburingSQPollPlainTail, liburing e9209a3c6053).
	plainTail bool
}

// weakStore is one buffered store: an SQE slot (copied from its shadow)
// or the tail.
type weakStore struct {
	slot uint32
	tail bool
	val  uint32
}

// SetWeakSQ turns the weak-memory SQ mode on (simulator rings of 64-byte
// SQEs, before any SQE is handed out).
func (r *Ring) SetWeakSQ() error {
	if r.sim == nil {
		return errors.New("uring: the weak-memory SQ mode is the simulator's")
	}
	if r.layout.SQESize == rings.SQE128Size {
		return errors.New("uring: the weak-memory SQ mode does not model SQE128 rings")
	}
	t := r.sim.task.Thread
	ws := &weakSQ{words: make([]uint64, (r.layout.SQEsSize+7)/8), t: t, w: t.World()}
	view, err := rings.NewSQEView(unsafe.Slice((*byte)(unsafe.Pointer(&ws.words[0])), len(ws.words)*8), r.layout)
	if err != nil {
		return err
	}
	ws.shadow = view
	ws.plainTail = r.sqpoll && r.sim.task.Proc.K.Bugs.LiburingSQPollPlainTail
	r.weak = ws
	r.fast = nil // every yield point may drain a buffered store
	return nil
}

// weakGetSQE hands out slot tail's private copy, cleared, and buffers its
// store.
func (r *Ring) weakGetSQE(tail uint32) *rings.SQE {
	ws := r.weak
	sqe := ws.shadow.SQE(tail)
	*sqe = rings.SQE{}
	ws.pend = append(ws.pend, weakStore{slot: tail})
	return sqe
}

// FlushSQRelaxed is FlushSQ publishing the tail with a plain store
// (WRITE_ONCE without smp_store_release), the bug liburing's
// io_uring_smp_store_release avoids: in the weak-memory mode the tail
// may become visible before the SQEs it covers. Elsewhere it is FlushSQ.
func (r *Ring) FlushSQRelaxed() uint32 {
	if r.weak == nil {
		return r.FlushSQ()
	}
	tail := r.sqeTail
	if r.sqeHead != tail {
		if r.obs != nil {
			r.obs.SQEsPublished(r, r.sqeHead, tail)
		}
		r.sqeHead = tail
		r.weak.storeTailPlain(tail)
	}
	r.yield()
	return tail - rings.ReadOnce(r.sqHead)
}

// storeTailPlain buffers a plain store of the tail (WRITE_ONCE): it may
// drain before the SQE stores buffered ahead of it.
func (ws *weakSQ) storeTailPlain(tail uint32) {
	ws.pend = append(ws.pend, weakStore{tail: true, val: tail})
}

// weakDrainOne lets one buffered store reach memory, or none: the seed
// chooses among the buffered stores in order (option 0, the oldest, is
// the in-order drain of the schedule without deviations) and, last,
// keeping them all buffered for now. force: one must drain.
func (r *Ring) weakDrainOne(force bool) {
	ws := r.weak
	n := len(ws.pend)
	if !force {
		n++
	}
	i := ws.w.Choose(ws.t, sim.ChooseValue, n)
	if i == len(ws.pend) {
		return
	}
	s := ws.pend[i]
	ws.pend = append(ws.pend[:i], ws.pend[i+1:]...)
	if ws.w.Tracing() {
		// Not a kernel event: the program's store reaching memory.
		if s.tail {
			ws.w.Emit(ws.t, "user_store_visible", sim.S("store", "sq.tail"), sim.U("value", uint64(s.val)), sim.I("buffered", int64(len(ws.pend))))
		} else {
			ws.w.Emit(ws.t, "user_store_visible", sim.S("store", "sqe"), sim.U("index", uint64(s.slot)),
				sim.X("user_data", ws.shadow.SQE(s.slot).UserData), sim.I("buffered", int64(len(ws.pend))))
		}
	}
	if s.tail {
		rings.StoreRelease(r.sqTail, s.val)
		return
	}
	*r.sqes.SQE(s.slot) = *ws.shadow.SQE(s.slot)
}

// weakDrain drains every buffered store, one at a time in the seed's
// order with a scheduling point after each: a full barrier, a system call,
// or the stores before a release.
func (r *Ring) weakDrain() {
	for r.weak != nil && len(r.weak.pend) > 0 {
		r.weakDrainOne(true)
		r.weak.t.Yield()
	}
}
