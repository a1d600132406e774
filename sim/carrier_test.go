package sim_test

import (
	"runtime"
	"testing"

	"github.com/uringsim/uringsim/sim"
)

// TestCarriersSameTrace runs the contention scenario and busyWorld (every
// way of being ended by Shutdown) with and without a carrier pool, world
// after world: the traces and decision logs are the same, the pool fills
// with the carriers of ended threads, and Close ends them.
func TestCarriersSameTrace(t *testing.T) {
	before := settle(runtime.NumGoroutine())
	pool := sim.NewCarriers(0)
	for seed := range uint64(20) {
		plain, plog := runText(t, sim.Config{Seed: seed}, contention)
		pooled, qlog := runText(t, sim.Config{Seed: seed, Carriers: pool}, contention)
		if plain != pooled || len(plog) != len(qlog) {
			t.Fatalf("seed %d: the trace differs with a carrier pool", seed)
		}
		busy := func(cfg sim.Config) string {
			tr, _ := runText(t, cfg, func(w *sim.World) { busyWorld(w) })
			return tr
		}
		if a, b := busy(sim.Config{Seed: seed}), busy(sim.Config{Seed: seed, Carriers: pool}); a != b {
			t.Fatalf("seed %d: busyWorld's trace differs with a carrier pool", seed)
		}
	}
	// contention has 6 threads (hrtimer, four workers, the consumer), busyWorld 7.
	if n := pool.Idle(); n < 7 {
		t.Fatalf("pool has %d free carriers after 40 worlds, want at least 7", n)
	}
	pool.Close()
	if n := pool.Idle(); n != 0 {
		t.Fatalf("pool has %d free carriers after Close", n)
	}
	if after := settle(before); after > before {
		t.Fatalf("goroutines: %d before, %d after Close\n%s", before, after, stacks())
	}
}

// TestCarriersFull: a pool that is full ends the carrier of a thread that
// ends, so it never keeps more than its bound.
func TestCarriersFull(t *testing.T) {
	pool := sim.NewCarriers(2)
	defer pool.Close()
	for seed := range uint64(3) {
		runText(t, sim.Config{Seed: seed, Carriers: pool}, contention)
	}
	if n := pool.Idle(); n != 2 {
		t.Fatalf("pool of 2 has %d free carriers", n)
	}
}

// TestCarriersAfterPanic: a thread's panic reaches the main thread as
// ever, and its carrier carries the next world's threads.
func TestCarriersAfterPanic(t *testing.T) {
	pool := sim.NewCarriers(0)
	defer pool.Close()
	for range 3 {
		w := sim.NewWorld(sim.Config{Seed: 1, Carriers: pool})
		r := catch(func() {
			w.Go(w.Main(), "boom", func(*sim.Thread) { panic("boom") })
			w.Main().Yield()
			for {
				w.Main().Yield()
			}
		})
		if p, ok := r.(*sim.ThreadPanic); !ok || p.Value != "boom" {
			t.Fatalf("got %v, want the thread's panic", r)
		}
		w.Shutdown()
		// boom's carrier, which then carried the hrtimer thread
		// through Shutdown, and the next world's threads.
		if n := pool.Idle(); n != 1 {
			t.Fatalf("pool has %d free carriers, want 1", n)
		}
	}
}

// TestCarriersGo: Go runs functions on goroutines it keeps for the next
// call (at most max of them idle), and Close ends them.
func TestCarriersGo(t *testing.T) {
	before := settle(runtime.NumGoroutine())
	pool := sim.NewCarriers(2)
	done := make(chan int)
	for i := range 3 {
		pool.Go(func() { done <- i })
	}
	sum := 0
	for range 3 {
		sum += <-done
	}
	if sum != 3 {
		t.Fatalf("sum %d, want 3", sum)
	}
	for i := range 10 { // one after another: one goroutine serves them all
		pool.Go(func() { done <- i })
		<-done
	}
	if after := settle(before + 2); after > before+2 {
		t.Fatalf("goroutines: %d before, %d with the pool idle (max 2)\n%s", before, after, stacks())
	}
	pool.Close()
	if after := settle(before); after > before {
		t.Fatalf("goroutines: %d before, %d after Close\n%s", before, after, stacks())
	}
}
