package uring

import (
	"reflect"
	"testing"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// traceOf runs a small NOP program (links, task work, an overflow, a
// timeout) on a deterministic machine and returns its trace.
func traceOf(t *testing.T, seed uint64) []sim.Event {
	rec := &sim.Recorder{}
	m := NewSimMachine(SimConfig{Seed: seed, Sink: rec})
	defer m.Close()
	r := mustNew(t, m.Backend(), 4, &Params{Flags: rings.IORING_SETUP_CQSIZE, CQEntries: 4})
	defer r.Close()
	for i := range 3 {
		sqe := r.GetSQE()
		PrepNop(sqe)
		sqe.UserData = uint64(i)
		if i == 0 {
			sqe.Flags = rings.IOSQE_IO_LINK
			sqe.OpFlags = rings.IORING_NOP_TW
		}
	}
	submitNops(t, r, 10, 11, 12, 13, 14)
	for range 8 {
		cqe, err := r.WaitCQE()
		if err != nil {
			t.Fatal(err)
		}
		r.CQESeen(cqe)
	}
	if _, err := r.WaitCQETimeout(1000); err == nil {
		t.Fatal("no timeout")
	}
	return rec.Events
}

// TestSimDeterministicTrace: one seed, one trace, every time.
func TestSimDeterministicTrace(t *testing.T) {
	a, b := traceOf(t, 3), traceOf(t, 3)
	if len(a) == 0 {
		t.Fatal("empty trace")
	}
	if !reflect.DeepEqual(a, b) {
		for i := range min(len(a), len(b)) {
			if !reflect.DeepEqual(a[i], b[i]) {
				t.Fatalf("traces differ at event %d of %d/%d:\n %+v\n %+v", i, len(a), len(b), a[i], b[i])
			}
		}
		t.Fatalf("traces differ in length: %d vs %d", len(a), len(b))
	}
}
