package echo

import (
	"fmt"
	"testing"
	"time"

	"github.com/uringsim/uringsim/uring"
)

// BenchmarkEcho: socket echo round trips through the same Server and
// clients on the simulator and over the host's loopback: conns
// connections each send a 64-byte message and read its echo back, b.N
// round trips in all (the connections' setup included). ns/op is per
// round trip; rt/s is round trips per second.
func BenchmarkEcho(b *testing.B) {
	for _, conns := range []int{1, 16} {
		b.Run(fmt.Sprintf("conns=%d/sim", conns), func(b *testing.B) {
			m := uring.NewSimMachine(uring.SimConfig{Seed: 1, NoChoiceLog: true})
			defer m.Close()
			benchEcho(b, m.Backend(), conns)
		})
		b.Run(fmt.Sprintf("conns=%d/host", conns), func(b *testing.B) {
			be, err := uring.HostBackend()
			if err != nil {
				b.Skipf("host io_uring unavailable: %v", err)
			}
			benchEcho(b, be, conns)
		})
	}
}

func benchEcho(b *testing.B, be uring.Backend, conns int) {
	fs, err := uring.Files(be)
	if err != nil {
		b.Fatal(err)
	}
	lfd, port, err := fs.Listen()
	if err != nil {
		b.Fatal(err)
	}
	defer fs.Close(lfd)
	r, err := uring.New(be, 256, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	s, err := New(r, lfd, Config{})
	if err != nil {
		b.Fatal(err)
	}
	rounds := max(1, (b.N+conns-1)/conns)
	l, err := newLoad(be, port, loadConfig{Conns: conns, Window: conns, Rounds: rounds, MinMsg: 64, MaxMsg: 64, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer l.close()
	b.ResetTimer()
	if err := drive(s, l, time.Millisecond, 1000); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	total := float64(conns * rounds)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/rt")
	b.ReportMetric(total/b.Elapsed().Seconds(), "rt/s")
	if err := finish(s, r, time.Millisecond); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}
