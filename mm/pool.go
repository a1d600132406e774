package mm

import (
	"sync"

	"golang.org/x/sys/unix"
)

// The pool of host mappings. A world of an exploration sweep maps a few
// small rings and buffers and drops them a few hundred microseconds later;
// mmap, munmap and the first touch of every page cost about a third of a
// small world. So mappings of up to poolMaxPages pages are not returned to
// the host: they wait here, process-wide, for the next Mmap or NewRegion of
// the same size, which zeroes them (cheaper than faulting fresh pages in).
// Only an address changes: no decision of the simulator depends on one.

// poolMaxPages is the largest mapping kept, in pages.
const poolMaxPages = 16

// poolMaxPerSize bounds the free mappings kept of each size.
const poolMaxPerSize = 64

var pool struct {
	mu   sync.Mutex
	free [poolMaxPages + 1][][]byte // by size in pages
}

// mapAnon returns n bytes (whole pages) of zeroed anonymous read-write
// memory: from the pool, else from the host.
func mapAnon(n uint64) ([]byte, error) {
	if pages := n / PageSize; pages <= poolMaxPages {
		pool.mu.Lock()
		l := pool.free[pages]
		if k := len(l); k > 0 {
			mem := l[k-1]
			l[k-1] = nil
			pool.free[pages] = l[:k-1]
			pool.mu.Unlock()
			clear(mem)
			return mem, nil
		}
		pool.mu.Unlock()
	}
	return unix.Mmap(-1, 0, int(n), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
}

// unmapAnon gives back memory from mapAnon: to the pool while it has room
// for its size, else to the host.
func unmapAnon(mem []byte) {
	mem = mem[:cap(mem)]
	if pages := uint64(len(mem)) / PageSize; pages <= poolMaxPages {
		pool.mu.Lock()
		if len(pool.free[pages]) < poolMaxPerSize {
			pool.free[pages] = append(pool.free[pages], mem)
			pool.mu.Unlock()
			return
		}
		pool.mu.Unlock()
	}
	_ = unix.Munmap(mem)
}
