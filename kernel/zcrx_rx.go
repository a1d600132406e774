package kernel

import (
	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// The zero-copy receive data path: the ifq as its receive queue's memory
// provider (the page pool allocates from the refill queue, then the
// freelist), buffer references, and the scrub at ring exit.

// ppAllocCacheRefill is PP_ALLOC_CACHE_REFILL, how many buffers one
// refill moves into the page pool's cache.
const ppAllocCacheRefill = 64

// AllocNetmem gives the receive queue a buffer: from the page pool's
// cache, else refilled from the refill queue, else from the freelist.
// Linux: io_uring/zcrx.c:io_pp_zc_alloc_netmems()
func (ifq *ZcrxIfq) AllocNetmem(t *sim.Thread) *vfs.NetIov {
	ifq.lock.Lock(t)
	defer ifq.lock.Unlock(t)
	if ifq.closed {
		return nil
	}
	if len(ifq.ppCache) == 0 {
		ifq.ringRefill()
	}
	if len(ifq.ppCache) == 0 {
		ifq.refillSlow()
	}
	n := len(ifq.ppCache)
	if n == 0 {
		return nil
	}
	i := ifq.ppCache[n-1]
	ifq.ppCache = ifq.ppCache[:n-1]
	a := ifq.area
	a.ppRefs[i] = 1
	return &a.niovs[i]
}

// ringRefill consumes the refill queue: each entry names a buffer by
// offset (area id in the top bits); one with a pad set, another area, an
// offset past the area or a buffer the program does not hold is skipped.
// A buffer whose last reference that was goes into the page pool's cache
// (or, if the copy fallback gave it out, back to the freelist). ifq.lock
// is held.
// Linux: io_uring/zcrx.c:io_zcrx_ring_refill()
func (ifq *ZcrxIfq) ringRefill() {
	a := ifq.area
	mask := ifq.rqEntries - 1
	entries := min(rings.LoadAcquire(ifq.rqTail)-ifq.cachedRqHead, ifq.rqEntries)
	entries = min(entries, uint32(ppAllocCacheRefill-len(ifq.ppCache)))
	if entries == 0 {
		return
	}
	for ; entries > 0; entries-- {
		rqe := &ifq.rqes[ifq.cachedRqHead&mask]
		ifq.cachedRqHead++
		off := rings.ReadOnce64(&rqe.Off)
		areaIdx := off >> rings.IORING_ZCRX_AREA_SHIFT
		niovIdx := (off &^ rings.IORING_ZCRX_AREA_MASK) / mm.PageSize
		if rings.ReadOnce(&rqe.Pad) != 0 || areaIdx != 0 {
			continue
		}
		if niovIdx >= uint64(len(a.niovs)) {
			continue
		}
		if !a.putUserRef(uint32(niovIdx)) {
			continue
		}
		if !a.ppUnrefAndTest(uint32(niovIdx)) {
			continue
		}
		ifq.returnNiovLocked(uint32(niovIdx))
	}
	rings.StoreRelease(ifq.rqHead, ifq.cachedRqHead)
}

// refillSlow moves free buffers into the page pool's cache. ifq.lock is
// held.
// Linux: io_uring/zcrx.c:io_zcrx_refill_slow()
func (ifq *ZcrxIfq) refillSlow() {
	a := ifq.area
	for len(a.freelist) > 0 && len(ifq.ppCache) < ppAllocCacheRefill {
		i := a.freelist[len(a.freelist)-1]
		a.freelist = a.freelist[:len(a.freelist)-1]
		a.fromPool[i] = true
		ifq.ppCache = append(ifq.ppCache, i)
	}
}

// returnNiovLocked puts a buffer nobody references back: into the page
// pool's cache when the pool gave it out and still exists, else onto the
// freelist. ifq.lock is held.
// Linux: io_uring/zcrx.c:io_zcrx_return_niov(), io_pp_zc_release_netmem()
func (ifq *ZcrxIfq) returnNiovLocked(i uint32) {
	a := ifq.area
	if a.fromPool[i] && !ifq.closed {
		ifq.ppCache = append(ifq.ppCache, i)
		return
	}
	a.fromPool[i] = false
	a.freelist = append(a.freelist, i)
}

// PutNetmem drops a page pool reference (an skb holding the buffer was
// freed).
// Linux: net/core/page_pool.c:page_pool_put_unrefed_netmem()
func (ifq *ZcrxIfq) PutNetmem(t *sim.Thread, niov *vfs.NetIov) {
	ifq.lock.Lock(t)
	defer ifq.lock.Unlock(t)
	if ifq.area.ppUnrefAndTest(niov.Index) {
		ifq.returnNiovLocked(niov.Index)
	}
}

// putUserRef drops one user reference, false if there is none.
// Linux: io_uring/zcrx.c:io_zcrx_put_niov_uref()
func (a *zcrxArea) putUserRef(i uint32) bool {
	if a.userRefs[i] == 0 {
		return false
	}
	a.userRefs[i]--
	return true
}

// ppUnrefAndTest drops a page pool reference and reports whether it was
// the last.
// Linux: include/net/page_pool/helpers.h:page_pool_unref_and_test()
func (a *zcrxArea) ppUnrefAndTest(i uint32) bool {
	if a.ppRefs[i] == 0 {
		return true
	}
	a.ppRefs[i]--
	return a.ppRefs[i] == 0
}

// scrub takes back every buffer the program still holds (ring exit).
// Linux: io_uring/zcrx.c:io_zcrx_scrub()
func (ifq *ZcrxIfq) scrub(t *sim.Thread) {
	a := ifq.area
	if a == nil {
		return
	}
	ifq.lock.Lock(t)
	defer ifq.lock.Unlock(t)
	for i := range a.niovs {
		nr := a.userRefs[i]
		if nr == 0 {
			continue
		}
		a.userRefs[i] = 0
		if a.ppRefs[i] <= nr {
			a.ppRefs[i] = 0
			ifq.returnNiovLocked(uint32(i))
		} else {
			a.ppRefs[i] -= nr
		}
	}
}
