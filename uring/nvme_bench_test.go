package uring

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// randReadRound keeps qd 4 KiB direct reads at pseudo-random block offsets
// in flight until n have completed.
func randReadRound(b *testing.B, r *Ring, fd int32, buf []byte, blocks uint64, qd, n int) {
	x := uint64(88172645463325252)
	next := func() uint64 { // xorshift: the same offsets on both backends
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return x % blocks
	}
	submitted, done := 0, 0
	for done < n {
		for submitted-done < qd && submitted < n {
			sqe := r.GetSQE()
			slot := uint64(submitted % qd)
			PrepRead(sqe, fd, addrOf(buf)+slot*4096, 4096, next()*4096)
			submitted++
		}
		if _, err := r.SubmitAndWait(1); err != nil {
			b.Fatal(err)
		}
		done += r.ForEachCQE(func(cqe *rings.CQE) {
			if cqe.Res != 4096 {
				b.Fatalf("read: res %d", cqe.Res)
			}
		})
	}
}

// BenchmarkNVMeRandRead4K: 4 KiB random direct reads at queue depth 1
// and 32, on the simulated NVMe device and, on the host, on a tmpfs file
// opened O_DIRECT (the nearest device every machine has: tmpfs takes
// O_DIRECT and serves the reads from memory, so the host figure is
// io_uring's own cost). ns/op is per read.
func BenchmarkNVMeRandRead4K(b *testing.B) {
	const blocks = 4096 // 16 MiB
	for _, qd := range []int{1, 32} {
		b.Run(fmt.Sprintf("qd=%d/sim", qd), func(b *testing.B) {
			m := NewSimMachine(SimConfig{Seed: 1, NoChoiceLog: true})
			defer m.Close()
			d, err := m.NewNVMe(NVMeConfig{Capacity: blocks, QueueDepth: 32})
			if err != nil {
				b.Fatal(err)
			}
			r, err := New(m.Backend(), 64, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			buf, _ := m.Backend().Alloc(uint64(qd) * 4096)
			b.ResetTimer()
			randReadRound(b, r, int32(d.Block), buf, blocks, qd, b.N)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
		})
		b.Run(fmt.Sprintf("qd=%d/host-tmpfs", qd), func(b *testing.B) {
			be := hostOrSkip(b)
			f, err := os.CreateTemp("/dev/shm", "uringsim-bench-*")
			if err != nil {
				b.Skipf("no /dev/shm: %v", err)
			}
			defer os.Remove(f.Name())
			if err := f.Truncate(blocks * 4096); err != nil {
				b.Fatal(err)
			}
			f.Close()
			fd, err := unix.Open(f.Name(), unix.O_RDWR|unix.O_DIRECT, 0)
			if err != nil {
				b.Skipf("tmpfs refuses O_DIRECT here: %v", err)
			}
			defer unix.Close(fd)
			r, err := New(be, 64, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			buf, _ := be.Alloc(uint64(qd) * 4096)
			defer be.Free(buf)
			b.ResetTimer()
			randReadRound(b, r, int32(fd), buf, blocks, qd, b.N)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
		})
	}
}
