package echo

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uringsim/uringsim/uring"
)

// serveLoad runs a Server on be against a load of cfg, both from this
// goroutine, and checks the end state: every connection served and
// closed cleanly, every byte echoed exactly once to the client that sent
// it (the load checks contents and the end of stream), every buffer back
// in the ring.
func serveLoad(t *testing.T, be uring.Backend, scfg Config, cfg loadConfig, idle time.Duration) Stats {
	t.Helper()
	fs, err := uring.Files(be)
	if err != nil {
		t.Fatal(err)
	}
	lfd, port, err := fs.Listen()
	if err != nil {
		t.Fatalf("%s: listen: %v", be.Name(), err)
	}
	defer fs.Close(lfd)
	r, err := uring.New(be, 256, nil)
	if err != nil {
		t.Fatalf("%s: ring: %v", be.Name(), err)
	}
	defer r.Close()
	s, err := New(r, lfd, scfg)
	if err != nil {
		t.Fatalf("%s: server: %v", be.Name(), err)
	}
	l, err := newLoad(be, port, cfg)
	if err != nil {
		t.Fatalf("%s: clients: %v", be.Name(), err)
	}
	defer l.close()
	if err := drive(s, l, idle, 2000); err != nil {
		t.Fatalf("%s: %v", be.Name(), err)
	}
	if err := finish(s, r, idle); err != nil {
		t.Fatalf("%s: stop: %v", be.Name(), err)
	}
	st := s.Stats()
	avail, err := s.BuffersInRing()
	if err != nil {
		t.Fatalf("%s: buffer ring status: %v", be.Name(), err)
	}
	if st.Accepted != cfg.Conns || st.Closed != cfg.Conns || st.Open != 0 || st.CloseErrors != 0 || st.ConnErrors != 0 {
		t.Errorf("%s: %+v: want %d connections accepted and closed cleanly", be.Name(), st, cfg.Conns)
	}
	if st.BytesIn != l.bytes || st.BytesOut != l.bytes {
		t.Errorf("%s: server read %d and wrote %d bytes, clients got %d back", be.Name(), st.BytesIn, st.BytesOut, l.bytes)
	}
	if st.BuffersOut != 0 || avail != int(scfg.Buffers) {
		t.Errorf("%s: %d buffers held, %d of %d in the ring", be.Name(), st.BuffersOut, avail, scfg.Buffers)
	}
	if err := s.Close(); err != nil {
		t.Errorf("%s: close: %v", be.Name(), err)
	}
	return st
}

// thousand is the load of the issue: 1,000 connections, 64 at a time,
// each echoing three messages of up to 3 KiB through 16 buffers of
// 512 bytes, so receives run out of buffers and are armed again.
var thousand = loadConfig{Conns: 1000, Window: 64, Rounds: 3, MinMsg: 1, MaxMsg: 3072, Seed: 1}

var small = Config{Buffers: 16, BufSize: 512}

// TestEchoSim: the server serves 1,000 simulated clients, with delivery
// at once (the default NIC) and with a latency and jitter that make every
// segment land later on the NIC's timer thread.
func TestEchoSim(t *testing.T) {
	for _, tc := range []struct {
		name string
		net  uring.NetConfig
		seed uint64
	}{
		{"loopback", uring.NetConfig{}, 1},
		{"latency", uring.NetConfig{Latency: 20 * time.Microsecond, Jitter: 80 * time.Microsecond}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := uring.NewSimMachine(uring.SimConfig{Seed: tc.seed, Net: tc.net, NoChoiceLog: true})
			defer m.Close()
			cfg := thousand
			cfg.Seed = tc.seed
			st := serveLoad(t, m.Backend(), small, cfg, time.Millisecond)
			if st.NoBufs == 0 || st.Rearms == 0 {
				t.Errorf("no receive ran out of buffers (%+v): the load misses the re-arm path", st)
			}
			t.Logf("%+v", st)
		})
	}
}

// TestEchoHost: the same server and clients on the host kernel's
// io_uring, over its loopback.
func TestEchoHost(t *testing.T) {
	be, err := uring.HostBackend()
	if err != nil {
		t.Skipf("host io_uring unavailable: %v", err)
	}
	st := serveLoad(t, be, small, thousand, time.Millisecond)
	t.Logf("%+v", st)
}

// TestEchoHostNetClients: the server on its own goroutine, blocked in
// Serve as a real program would run it, serves clients on other
// goroutines that use package net over the host's loopback.
func TestEchoHostNetClients(t *testing.T) {
	be, err := uring.HostBackend()
	if err != nil {
		t.Skipf("host io_uring unavailable: %v", err)
	}
	fs, _ := uring.Files(be)
	lfd, port, err := fs.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close(lfd)
	const conns, parallel, rounds = 200, 16, 3
	var clientsDone atomic.Bool
	type result struct {
		st    Stats
		avail int
		err   error
	}
	res := make(chan result, 1)
	go func() {
		var out result
		defer func() { res <- out }()
		r, err := uring.New(be, 256, nil)
		if err != nil {
			out.err = err
			return
		}
		defer r.Close()
		s, err := New(r, lfd, small)
		if err != nil {
			out.err = err
			return
		}
		if out.err = s.Serve(func() bool { return clientsDone.Load() && s.Stats().Open == 0 }); out.err != nil {
			return
		}
		if out.err = s.Stop(); out.err != nil {
			return
		}
		out.st = s.Stats()
		out.avail, out.err = s.BuffersInRing()
		if err := s.Close(); out.err == nil {
			out.err = err
		}
	}()
	var wg sync.WaitGroup
	var echoed atomic.Uint64
	errs := make(chan error, conns)
	ids := make(chan int, conns)
	for i := range conns {
		ids <- i
	}
	close(ids)
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				n, err := netClient(port, id, rounds)
				echoed.Add(n)
				if err != nil {
					errs <- fmt.Errorf("connection %d: %w", id, err)
				}
			}
		}()
	}
	wg.Wait()
	clientsDone.Store(true)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	out := <-res
	if out.err != nil {
		t.Fatal(out.err)
	}
	st := out.st
	if st.Accepted != conns || st.Closed != conns || st.Open != 0 || st.CloseErrors != 0 || st.ConnErrors != 0 {
		t.Errorf("%+v: want %d connections accepted and closed cleanly", st, conns)
	}
	if st.BytesIn != echoed.Load() || st.BytesOut != echoed.Load() {
		t.Errorf("server read %d and wrote %d bytes, clients got %d back", st.BytesIn, st.BytesOut, echoed.Load())
	}
	if st.BuffersOut != 0 || out.avail != int(small.Buffers) {
		t.Errorf("%d buffers held, %d of %d in the ring", st.BuffersOut, out.avail, small.Buffers)
	}
	t.Logf("%+v", st)
}

// netClient is one connection of package net: rounds messages, each read
// back whole, then a half close and the end of stream. It returns the
// bytes echoed back.
func netClient(port uint16, id, rounds int) (uint64, error) {
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return 0, err
	}
	defer c.Close()
	rnd := rand.New(rand.NewPCG(uint64(id), 0x6e6574))
	var echoed uint64
	for round := range rounds {
		msg := make([]byte, 1+rnd.IntN(3072))
		for i := range msg {
			msg[i] = byte(rnd.Uint32())
		}
		copy(msg, fmt.Sprintf("%d.%d:", id, round))
		errc := make(chan error, 1)
		go func() { _, err := c.Write(msg); errc <- err }()
		got := make([]byte, len(msg))
		_, rerr := io.ReadFull(c, got)
		if err := <-errc; err != nil {
			return echoed, err
		}
		if rerr != nil {
			return echoed, rerr
		}
		if !bytes.Equal(got, msg) {
			return echoed, fmt.Errorf("round %d: the echo differs from the message", round)
		}
		echoed += uint64(len(msg))
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return echoed, err
	}
	rest, err := io.ReadAll(c)
	if err != nil {
		return echoed, err
	}
	if len(rest) != 0 {
		return echoed, fmt.Errorf("%d bytes after the last echo", len(rest))
	}
	return echoed, nil
}

var echoSeeds = flag.Int("echo.seeds", 300, "seeds TestEchoSimSeeds sweeps")

// TestEchoSimSeeds: a smaller load under many schedules and latencies,
// half of them delivering at once and half through the NIC's timer.
func TestEchoSimSeeds(t *testing.T) {
	n := *echoSeeds
	if testing.Short() {
		n = 50
	}
	for seed := uint64(1); seed <= uint64(n); seed++ {
		var nc uring.NetConfig
		if seed%2 == 0 {
			nc = uring.NetConfig{Latency: time.Duration(seed%7) * time.Microsecond, Jitter: 50 * time.Microsecond}
		}
		m := uring.NewSimMachine(uring.SimConfig{Seed: seed, Net: nc, NoChoiceLog: true})
		cfg := loadConfig{Conns: 24, Window: 8, Rounds: 2, MinMsg: 1, MaxMsg: 2048, Seed: seed}
		ok := t.Run(fmt.Sprint(seed), func(t *testing.T) {
			serveLoad(t, m.Backend(), Config{Buffers: 4, BufSize: 256}, cfg, time.Millisecond)
		})
		m.Close()
		if !ok {
			break
		}
	}
}
