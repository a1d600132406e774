package uring

import (
	"testing"

	"github.com/uringsim/uringsim/rings"
)

// TestPollArmZeroAllocsSim: arming a POLL_ADD on a request taken from the
// ring's cache, waking it and reaping it allocates nothing in steady state
// (the poll table the arming call fills lives in the cached async poll).
// The pipe write that wakes the polls and the read that empties it are
// plain system calls whose own allocations (user memory lookup) are
// measured alone and subtracted.
func TestPollArmZeroAllocsSim(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters allocate")
	}
	m := NewSimMachine(SimConfig{Seed: 1, NoChoiceLog: true})
	defer m.Close()
	be := m.Backend()
	fs, pr, pw, closePipe := openPipe(t, be)
	defer closePipe()
	r := mustNew(t, be, 32, nil)
	defer r.Close()
	one, buf := []byte{1}, make([]byte, 1)
	const n = 16
	wake := func() {
		if _, err := fs.Write(pw, one); err != nil {
			t.Fatal(err)
		}
	}
	drain := func() {
		if _, err := fs.Read(pr, buf); err != nil {
			t.Fatal(err)
		}
	}
	round := func() {
		for range n {
			PrepPollAdd(r.GetSQE(), int32(pr), rings.POLLIN)
		}
		if got, err := r.Submit(); got != n || err != nil {
			t.Fatalf("Submit = %d, %v", got, err)
		}
		wake()
		for range n {
			cqe, err := r.WaitCQE()
			if err != nil || cqe.Res&rings.POLLIN == 0 {
				t.Fatalf("WaitCQE = %+v, %v", cqe, err)
			}
			r.CQESeen(cqe)
		}
		drain()
	}
	round() // warm up: the requests and their async polls are allocated once
	syscalls := testing.AllocsPerRun(100, func() { wake(); drain() })
	if a := testing.AllocsPerRun(100, round); a != syscalls {
		t.Errorf("%v allocs per round of %d polls, want %v (the write and read alone)", a, n, syscalls)
	}
}
