package kernel_test

import (
	"testing"
	"unsafe"

	"github.com/uringsim/uringsim/uring"
)

func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }

// simRing starts a simulated machine and a ring on it, both closed when the
// test ends.
func simRing(t *testing.T, cfg uring.SimConfig, entries uint32, p *uring.Params) (*uring.Machine, *uring.Ring) {
	t.Helper()
	m := uring.NewSimMachine(cfg)
	r, err := uring.New(m.Backend(), entries, p)
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		m.Close()
	})
	return m, r
}
