//go:build !amd64 || race

package rings

import "sync/atomic"

// StoreRelease is smp_store_release() of a 32-bit ring word (cq.tail written
// by the kernel, sq.tail written by the application, ...). Go's atomic store
// is sequentially consistent, which is at least release.
//
// Linux: include/asm-generic/barrier.h:smp_store_release()
func StoreRelease(p *uint32, v uint32) { atomic.StoreUint32(p, v) }

// WriteOnce is WRITE_ONCE() of a shared 32-bit word (sq_dropped,
// cq_overflow, ...).
//
// Linux: include/asm-generic/rwonce.h:WRITE_ONCE()
func WriteOnce(p *uint32, v uint32) { atomic.StoreUint32(p, v) }
