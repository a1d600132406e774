package kernel

import "fmt"

// Warnings is how many kernel invariant violations (WARN_ON_ONCE) this
// kernel has counted; always 0 under -tags invariants, where the first one
// panics instead.
func (k *Kernel) Warnings() int64 { return k.warnings.Load() }

// warnOn is WARN_ON_ONCE: an impossible state. Under -tags invariants (the
// default for make test) it panics; otherwise it is counted, and the kernel
// carries on as Linux does.
// Linux: include/asm-generic/bug.h:WARN_ON_ONCE()
func (k *Kernel) warnOn(cond bool, format string, args ...any) bool {
	if !cond {
		return false
	}
	if invariants {
		panic("uringsim: kernel invariant violated: " + fmt.Sprintf(format, args...))
	}
	k.warnings.Add(1)
	return true
}
