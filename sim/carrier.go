package sim

import (
	"iter"
	"sync"
)

// carrier is the coroutine (iter.Pull) that carries a deterministic-mode
// thread other than main. A carrier of a world without Config.Carriers
// carries one thread and ends with it. A pooled one, once its thread has
// ended and it has parked, goes back to its pool and carries the next
// thread it is given, of any world: that saves each thread the
// coroutine's creation (iter.Pull's goroutine, closures and coro) and the
// growth of its stack to kernel depth (growStack's copy), a fifth of a
// small world's instructions.
type carrier struct {
	resume func() (struct{}, bool)
	stop   func()
	park   func(struct{}) bool
	t      *Thread // the thread it carries; nil while free
	pool   *Carriers
}

// Carriers is a pool of thread carriers shared by the worlds that name it
// in Config.Carriers, one after another or at the same time (it is safe
// for concurrent use). A sweep that builds world after world on the same
// goroutines (explore, uringtest) keeps one; it decides nothing in a run,
// which is the same with or without it. Its free carriers are parked
// goroutines that Shutdown does not end: Close ends them.
type Carriers struct {
	mu    sync.Mutex
	free  []*carrier
	max   int
	mains []chan func() // idle goroutines of Go, each waiting on its channel
}

// NewCarriers returns a pool that keeps at most max free carriers
// (max <= 0: 256); a thread that ends while the pool is full ends its
// carrier too.
func NewCarriers(max int) *Carriers {
	if max <= 0 {
		max = 256
	}
	return &Carriers{max: max}
}

// Idle returns the number of free carriers in the pool (not counting the
// idle goroutines of Go).
func (p *Carriers) Idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.free)
}

// Close ends the pool's free carriers and idle goroutines; those in use
// end with their threads or functions. The pool stays usable.
func (p *Carriers) Close() {
	p.mu.Lock()
	free, mains := p.free, p.mains
	p.free, p.mains = nil, nil
	p.mu.Unlock()
	for _, c := range free {
		c.stop()
	}
	for _, ch := range mains {
		close(ch)
	}
}

// Go runs fn on a goroutine of the pool: an idle one if there is one,
// else a new one, which stays in the pool when fn returns (while it holds
// fewer than max idle goroutines). A world's main thread is the goroutine
// that calls NewWorld; a sweep that makes each world on a goroutine of its
// own (for a watchdog) makes it here, and the goroutine's stack, grown to
// kernel depth by the first world, serves the next one. Go does not wait
// for fn.
func (p *Carriers) Go(fn func()) {
	p.mu.Lock()
	if n := len(p.mains); n > 0 {
		ch := p.mains[n-1]
		p.mains[n-1] = nil
		p.mains = p.mains[:n-1]
		p.mu.Unlock()
		ch <- fn
		return
	}
	p.mu.Unlock()
	ch := make(chan func(), 1)
	ch <- fn
	go p.serve(ch)
}

// serve is a goroutine of Go: it runs the functions sent on ch until the
// pool is full when it would go back, or Close closes ch.
func (p *Carriers) serve(ch chan func()) {
	for fn := range ch {
		fn()
		p.mu.Lock()
		if len(p.mains) >= p.max {
			p.mu.Unlock()
			return
		}
		p.mains = append(p.mains, ch)
		p.mu.Unlock()
	}
}

// get returns a carrier for t: a free one of the pool, else a new one.
func (p *Carriers) get(t *Thread) *carrier {
	var c *carrier
	if p != nil {
		p.mu.Lock()
		if n := len(p.free); n > 0 {
			c = p.free[n-1]
			p.free[n-1] = nil
			p.free = p.free[:n-1]
		}
		p.mu.Unlock()
	}
	if c == nil {
		c = newCarrier(p)
	}
	c.t = t
	return c
}

// newCarrier makes a carrier of pool p (nil: none). Its coroutine first
// runs when its first thread is first resumed (World.drive), grows its
// stack once, and then carries thread after thread: after each it parks,
// and drive hands it back to the pool (release); stop ends it there.
func newCarrier(p *Carriers) *carrier {
	c := &carrier{pool: p}
	c.resume, c.stop = iter.Pull(func(park func(struct{}) bool) {
		c.park = park
		growStack(0)
		for {
			c.t.carryDet()
			if c.pool == nil || !park(struct{}{}) {
				return
			}
		}
	})
	return c
}

// release hands back the carrier of t, a thread that has ended and whose
// carrier has parked (or returned) after it: to the pool, or, without one
// or when it is full, to its end.
func (c *carrier) release() {
	c.t = nil
	p := c.pool
	if p == nil {
		return
	}
	p.mu.Lock()
	if len(p.free) < p.max {
		p.free = append(p.free, c)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	c.stop()
}
