package kernel

// overflowQueue is the CQ overflow list (ctx->cq_overflow_list): CQEs
// that found the CQ full, oldest first. Linux keeps a list_head and frees
// each entry as it is flushed; here the entries live in a slice consumed
// from a moving head, compacted once the consumed part is the larger half,
// so a flush costs what it moves however long the list is.
type overflowQueue struct {
	q    []overflowCQE
	head int
}

// len is the number of CQEs waiting.
func (o *overflowQueue) len() int { return len(o.q) - o.head }

// push appends a CQE (list_add_tail).
func (o *overflowQueue) push(e overflowCQE) { o.q = append(o.q, e) }

// front is the oldest CQE; the queue must not be empty.
func (o *overflowQueue) front() *overflowCQE { return &o.q[o.head] }

// pop drops the oldest CQE (list_del + kfree). The entries hold no
// pointers, so what is consumed is left as it is, not cleared: with 100k
// CQEs overflowed a clearing write is one more pass over the list.
func (o *overflowQueue) pop() {
	o.head++
	switch {
	case o.head == len(o.q):
		o.q, o.head = o.q[:0], 0
	case o.head >= 64 && o.head*2 >= len(o.q):
		n := copy(o.q, o.q[o.head:])
		o.q, o.head = o.q[:n], 0
	}
}

// all returns the waiting CQEs, oldest first (fdinfo's walk).
func (o *overflowQueue) all() []overflowCQE { return o.q[o.head:] }
