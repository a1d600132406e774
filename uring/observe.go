package uring

// Observer watches what a program does with a ring, for checkers of the
// ring's invariants (package ringcheck): the SQEs it publishes, each
// io_uring_enter, the CQEs it consumes. Its methods run on the program's
// thread inside the Ring's calls; they may read the ring (View, SQEs) with
// plain loads but must not call the Ring's methods or yield to the
// simulator, so that watching a ring does not change a run's schedule.
type Observer interface {
	// SQEsPublished: SQEs [from, to) (SQ indices; SQEs().SQE(i) reads
	// them) are about to be published by a store of the SQ tail.
	SQEsPublished(r *Ring, from, to uint32)
	// Entered: an io_uring_enter returned.
	Entered(r *Ring)
	// CQEsConsumed: CQ slots [head, head+n) are about to be released by
	// a store of the CQ head.
	CQEsConsumed(r *Ring, head, n uint32)
}

// SetObserver makes o watch r (nil: none).
func (r *Ring) SetObserver(o Observer) { r.obs = o }
