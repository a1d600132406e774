package uring

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// TestSimTask: a second task of the simulated process makes its own
// system calls: it may not submit to a SINGLE_ISSUER ring the main task
// owns (-EEXIST), while the owner may, and it may use a ring of its own.
func TestSimTask(t *testing.T) {
	m := NewSimMachine(SimConfig{Seed: 1})
	defer m.Close()
	r := mustNew(t, m.Backend(), 4, &Params{Flags: rings.IORING_SETUP_SINGLE_ISSUER})
	defer r.Close()
	PrepNop(r.GetSQE())
	t2 := m.NewTask("t2")
	defer t2.Stop()
	var err error
	t2.Run(func() { _, err = r.Submit() })
	if !errors.Is(err, unix.EEXIST) {
		t.Fatalf("submit from another task: %v, want EEXIST", err)
	}
	if n, err := r.Submit(); n != 1 || err != nil {
		t.Fatalf("submit from the owner: %d, %v", n, err)
	}
	var own *Ring
	t2.Run(func() {
		own = mustNew(t, m.Backend(), 4, &Params{Flags: rings.IORING_SETUP_SINGLE_ISSUER})
		PrepNop(own.GetSQE())
		_, err = own.SubmitAndWait(1)
	})
	if err != nil {
		t.Fatalf("task's own ring: %v", err)
	}
	PrepNop(own.GetSQE())
	if _, err := own.Submit(); !errors.Is(err, unix.EEXIST) {
		t.Fatalf("main submitting to t2's ring: %v, want EEXIST", err)
	}
	t2.Run(func() { own.Close() })
}
