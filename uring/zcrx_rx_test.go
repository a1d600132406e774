package uring

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

var zcrxSeeds = flag.Int("zcrx.seeds", 300, "seeds the zero-copy receive sweeps run")

// tcpPair connects a TCP client to a listener on be and returns the
// client's and the accepted socket's descriptors (closed at cleanup).
func tcpPair(t *testing.T, be Backend) (client, server int) {
	t.Helper()
	fs, err := Files(be)
	if err != nil {
		t.Fatal(err)
	}
	lfd, port, err := fs.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close(lfd)
	cfd, err := fs.Socket()
	if err != nil {
		t.Fatal(err)
	}
	r := mustNew(t, be, 4, nil)
	defer r.Close()
	mem, err := be.Alloc(4096)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Free(mem)
	copy(mem, SockaddrInet4([4]byte{127, 0, 0, 1}, port))
	PrepConnect(r.GetSQE(), int32(cfd), addrOf(mem), 16)
	PrepAccept(r.GetSQE(), int32(lfd), 0, 0, unix.SOCK_CLOEXEC)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	got := reapAll(t, r, 2)
	sfd := -1
	for _, c := range got {
		if c.Res < 0 {
			t.Fatalf("connect/accept: %+v", got)
		}
		if c.Res > 0 {
			sfd = int(c.Res)
		}
	}
	t.Cleanup(func() { fs.Close(cfd); fs.Close(sfd) })
	return cfd, sfd
}

// zcrxRx is one zero-copy receive on a simulated machine: the ring, the
// ifq, a TCP connection, and what the program holds.
type zcrxRx struct {
	t              *testing.T
	m              *Machine
	be             Backend
	fs             FileSys
	r              *Ring
	z              *zcrxSetup
	client, server int
	got            []byte
	held           []rings.ZcrxRqe // buffers received and not given back yet
}

func newZcrxRx(t *testing.T, cfg SimConfig, ringFlags uint32, pages, rqEntries uint32) *zcrxRx {
	t.Helper()
	m := NewSimMachine(cfg)
	t.Cleanup(m.Close)
	be := m.Backend()
	fs, err := Files(be)
	if err != nil {
		t.Fatal(err)
	}
	r := mustNew(t, be, 32, &Params{Flags: ringFlags})
	t.Cleanup(func() { r.Close() })
	z, err := registerZcrx(t, be, r, 0, rqEntries, pages)
	if err != nil {
		t.Fatal(err)
	}
	x := &zcrxRx{t: t, m: m, be: be, fs: fs, r: r, z: z}
	x.client, x.server = tcpPair(t, be)
	return x
}

// arm submits a multishot RECV_ZC of n bytes (0: unlimited) with user
// data ud.
func (x *zcrxRx) arm(ud uint64, n uint32) {
	sqe := x.r.GetSQE()
	PrepRecvZC(sqe, int32(x.server), x.z.reg.ZcrxID, n, rings.IORING_RECV_MULTISHOT)
	sqe.UserData = ud
	if _, err := x.r.Submit(); err != nil {
		x.t.Fatal(err)
	}
}

// send writes b on the client.
func (x *zcrxRx) send(b []byte) {
	if n, err := x.fs.Write(x.client, b); err != nil || n != len(b) {
		x.t.Fatalf("write %d: %d, %v", len(b), n, err)
	}
}

// next waits for the next CQE; a data CQE's bytes are appended to got
// and its buffer held. It returns the CQE's result and flags.
func (x *zcrxRx) next() (int32, uint32) {
	x.t.Helper()
	cqe, err := x.r.WaitCQE()
	if err != nil {
		x.t.Fatalf("WaitCQE: %v", err)
	}
	res, flags := cqe.Res, cqe.Flags
	zc := ZcrxCqe(cqe)
	x.r.CQESeen(cqe)
	if flags&rings.IORING_CQE_F_MORE != 0 {
		if res <= 0 || res > 4096 || zc.Pad != 0 || zc.Off&rings.IORING_ZCRX_AREA_MASK != 0 {
			x.t.Fatalf("data CQE res=%d off=%#x pad=%d", res, zc.Off, zc.Pad)
		}
		off := zc.Off &^ rings.IORING_ZCRX_AREA_MASK
		if off%4096+uint64(res) > 4096 || off+uint64(res) > uint64(len(x.z.mem)) {
			x.t.Fatalf("data CQE res=%d at %#x crosses its buffer", res, off)
		}
		x.got = append(x.got, x.z.mem[off:off+uint64(res)]...)
		x.held = append(x.held, rings.ZcrxRqe{Off: zc.Off | x.z.area.RqAreaToken, Len: uint32(res)})
	} else if zc != (rings.ZcrxCqe{}) {
		x.t.Fatalf("final CQE res=%d with io_uring_zcrx_cqe %+v", res, zc)
	}
	return res, flags
}

// giveBack returns the first n held buffers through the refill queue.
func (x *zcrxRx) giveBack(n int) {
	for _, e := range x.held[:n] {
		if !x.z.rq.Add(e.Off, e.Len) {
			x.t.Fatalf("refill queue full with %d queued", x.z.rq.Queued())
		}
	}
	x.held = x.held[n:]
	x.z.rq.Advance()
}

// TestRecvZCSeeds sends random chunks through a small area while the
// program gives buffers back late and at random, so the NIC runs out of
// buffers and holds data until the refill queue brings some back. On
// every seed (with and without NIC latency): each byte arrives once, in
// order, every data CQE is a 32-byte one inside one buffer of the area
// with F_MORE, the end of stream is a final 0 without F_MORE, and
// afterwards every buffer is back (a second connection receives a whole
// area's worth without giving any back).
func TestRecvZCSeeds(t *testing.T) {
	n := *zcrxSeeds
	held, nobuf := 0, 0
	for seed := 1; seed <= n; seed++ {
		cfg := SimConfig{Seed: uint64(seed)}
		if seed%3 == 0 {
			cfg.Net = NetConfig{Latency: 20 * time.Microsecond, Jitter: 200 * time.Microsecond}
		}
		dry, nb := recvZCRandom(t, cfg)
		if dry {
			held++
		}
		if nb {
			nobuf++
		}
	}
	t.Logf("%d of %d seeds ran the area dry, %d held data on the NIC for want of a buffer", held, n, nobuf)
	if nobuf == 0 {
		t.Errorf("no seed held data on the NIC: the sweep misses the retransmission path")
	}
	if held == 0 || held == n {
		t.Errorf("%d of %d seeds ran the area dry: the sweep misses a path", held, n)
	}
}

// TestRecvZCConcurrent runs the random exchange on real goroutines
// (the concurrent mode), for the race detector.
func TestRecvZCConcurrent(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		recvZCRandom(t, SimConfig{Seed: seed, Mode: sim.Concurrent})
	}
}

// recvZCRandom runs one seed; it reports whether the program held the
// whole area and whether the NIC held data for want of a buffer.
func recvZCRandom(t *testing.T, cfg SimConfig) (bool, bool) {
	const pages = 4
	x := newZcrxRx(t, cfg, zcrxRingFlags, pages, 16)
	rnd := rand.New(rand.NewPCG(cfg.Seed, 0x7a637278))
	total := 1 + rnd.IntN(12*4096)
	want := make([]byte, total)
	for i := range want {
		want[i] = byte(rnd.Uint32())
	}
	x.arm(1, 0)
	sent := 0
	dry := false
	for {
		if sent < total {
			n := min(total-sent, 1+rnd.IntN(6000))
			x.send(want[sent : sent+n])
			sent += n
			if sent == total {
				if err := x.fs.Shutdown(x.client, unix.SHUT_WR); err != nil {
					t.Fatal(err)
				}
			}
		}
		if len(x.held) == pages {
			dry = true
		}
		// Give some back now; all before waiting when none is left.
		k := rnd.IntN(len(x.held) + 1)
		if len(x.held) == pages {
			k = max(k, 1)
		}
		x.giveBack(k)
		res, flags := x.next()
		if flags&rings.IORING_CQE_F_MORE == 0 {
			if res != 0 || sent != total {
				t.Fatalf("seed %d: final CQE res=%d flags=%#x after %d of %d bytes sent", cfg.Seed, res, flags, sent, total)
			}
			break
		}
	}
	if !bytes.Equal(x.got, want) {
		t.Fatalf("seed %d: received %d bytes, sent %d (equal prefix %d)", cfg.Seed, len(x.got), total, commonPrefix(x.got, want))
	}
	nobuf := x.m.NetStats().RxNoBuffer > 0
	x.giveBack(len(x.held))
	// Every buffer is free again: a second connection gets a whole
	// area without any given back.
	x.client, x.server = tcpPair(t, x.be)
	x.got = nil
	full := bytes.Repeat([]byte{0x5a}, pages*4096)
	x.arm(2, uint32(len(full)))
	x.send(full)
	for {
		res, flags := x.next()
		if flags&rings.IORING_CQE_F_MORE == 0 {
			if res != 0 {
				t.Fatalf("seed %d: second connection ended with %d", cfg.Seed, res)
			}
			break
		}
	}
	if !bytes.Equal(x.got, full) {
		t.Fatalf("seed %d: second connection got %d bytes of %d", cfg.Seed, len(x.got), len(full))
	}
	return dry, nobuf
}

func commonPrefix(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}
