package uring

import (
	"fmt"
	"testing"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// nopRound submits batch NOPs, waits for them and reaps them: the steady
// state of a NOP benchmark.
func nopRound(tb testing.TB, r *Ring, batch int) {
	for i := range batch {
		sqe := r.GetSQE()
		PrepNop(sqe)
		sqe.UserData = uint64(i)
	}
	if n, err := r.SubmitAndWait(uint32(batch)); n != batch || err != nil {
		tb.Fatalf("SubmitAndWait(%d) = %d, %v", batch, n, err)
	}
	for range batch {
		cqe, err := r.PeekCQE()
		if err != nil || cqe.Res != 0 {
			tb.Fatalf("PeekCQE = %v, %v", cqe, err)
		}
		r.CQESeen(cqe)
	}
}

// nopRoundForEach is nopRound reaping with ForEachCQE.
func nopRoundForEach(tb testing.TB, r *Ring, batch int) {
	for i := range batch {
		sqe := r.GetSQE()
		PrepNop(sqe)
		sqe.UserData = uint64(i)
	}
	if _, err := r.Submit(); err != nil {
		tb.Fatal(err)
	}
	seen := 0
	for seen < batch {
		cqe, err := r.WaitCQE()
		if err != nil {
			tb.Fatal(err)
		}
		_ = cqe
		seen += r.ForEachCQE(func(cqe *rings.CQE) {
			if cqe.Res != 0 {
				tb.Errorf("res %d", cqe.Res)
			}
		})
	}
}

func checkZeroAllocs(t *testing.T, be Backend, flags uint32) {
	t.Helper()
	r := mustNew(t, be, 32, &Params{Flags: flags})
	defer r.Close()
	for _, batch := range []int{1, 32} {
		nopRound(t, r, batch) // warm up (task context, request cache)
		if a := testing.AllocsPerRun(200, func() { nopRound(t, r, batch) }); a != 0 {
			t.Errorf("%s flags %#x batch %d: %v allocs per round, want 0", be.Name(), flags, batch, a)
		}
		nopRoundForEach(t, r, batch)
		if a := testing.AllocsPerRun(200, func() { nopRoundForEach(t, r, batch) }); a != 0 {
			t.Errorf("%s flags %#x batch %d (ForEachCQE): %v allocs per round, want 0", be.Name(), flags, batch, a)
		}
	}
}

var allocFlags = []uint32{0, rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_DEFER_TASKRUN}

// TestNopZeroAllocsSim: the NOP submit/reap path, user side and simulated
// kernel together, allocates nothing in steady state.
func TestNopZeroAllocsSim(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters allocate")
	}
	for _, mode := range []sim.Mode{sim.Deterministic, sim.Concurrent} {
		for _, flags := range allocFlags {
			m := NewSimMachine(SimConfig{Seed: 1, Mode: mode, NoChoiceLog: true})
			checkZeroAllocs(t, m.Backend(), flags)
			m.Close()
		}
	}
}

// TestNopZeroAllocsHost: the user side allocates nothing on the host either.
func TestNopZeroAllocsHost(t *testing.T) {
	be := hostOrSkip(t)
	for _, flags := range allocFlags {
		checkZeroAllocs(t, be, flags)
	}
}

func benchNop(b *testing.B, be Backend) {
	for _, batch := range []int{1, 32} {
		b.Run(fmt.Sprint("batch=", batch), func(b *testing.B) {
			r := mustNew(b, be, 32, nil)
			defer r.Close()
			nopRound(b, r, batch)
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; done += batch {
				nopRound(b, r, min(batch, b.N-done))
			}
		})
	}
}

// BenchmarkNopSim: ns per NOP (submit + complete + reap) on the simulator
// in deterministic mode.
func BenchmarkNopSim(b *testing.B) {
	m := NewSimMachine(SimConfig{Seed: 1, NoChoiceLog: true})
	defer m.Close()
	benchNop(b, m.Backend())
}

// BenchmarkNopSimConcurrent: the same in concurrent mode.
func BenchmarkNopSimConcurrent(b *testing.B) {
	m := NewSimMachine(SimConfig{Seed: 1, Mode: sim.Concurrent})
	defer m.Close()
	benchNop(b, m.Backend())
}

// BenchmarkNopHost: ns per NOP on the host kernel's io_uring.
func BenchmarkNopHost(b *testing.B) {
	benchNop(b, hostOrSkip(b))
}
