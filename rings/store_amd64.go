//go:build amd64 && !race

package rings

// StoreRelease is smp_store_release() of a 32-bit ring word (cq.tail written
// by the kernel, sq.tail written by the application, ...). On amd64 (TSO) a
// release store is a plain MOV behind a compiler barrier, as in
// arch/x86/include/asm/barrier.h; an assembly function is both, where
// sync/atomic's store is a sequentially consistent XCHG. Under the race
// detector store_other.go's atomic store is used instead, so the detector
// sees the happens-before edge the store publishes.
//
// Linux: arch/x86/include/asm/barrier.h:__smp_store_release()
//
//go:noescape
func StoreRelease(p *uint32, v uint32)

// WriteOnce is WRITE_ONCE() of a shared 32-bit word (sq_dropped,
// cq_overflow, ...): one untorn store the compiler may not elide or move.
//
// Linux: include/asm-generic/rwonce.h:WRITE_ONCE()
//
//go:noescape
func WriteOnce(p *uint32, v uint32)
