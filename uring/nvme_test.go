package uring

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// nvmeRig is a simulated machine with an NVMe device and a ring.
type nvmeRig struct {
	m    *Machine
	d    *NVMe
	r    *Ring
	fs   FileSys
	buf  []byte // 64 KiB of user memory
	addr uint64
	big  [2]uint64 // the extra words of the last CQE on a CQE32 ring
}

func newNVMeRig(t *testing.T, seed uint64, ringFlags uint32, cfg NVMeConfig) *nvmeRig {
	t.Helper()
	m := NewSimMachine(SimConfig{Seed: seed})
	t.Cleanup(m.Close)
	d, err := m.NewNVMe(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(m.Backend(), 16, &Params{Flags: ringFlags})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	buf, err := m.Backend().Alloc(64 << 10)
	if err != nil {
		t.Fatal(err)
	}
	fs, _ := Files(m.Backend())
	return &nvmeRig{m: m, d: d, r: r, fs: fs, buf: buf, addr: addrOf(buf)}
}

// do submits one prepared SQE and waits for its CQE.
func (g *nvmeRig) do(t *testing.T, prep func(sqe *rings.SQE)) rings.CQE {
	t.Helper()
	sqe := g.r.GetSQE()
	prep(sqe)
	sqe.UserData = 7
	if _, err := g.r.SubmitAndWait(1); err != nil {
		t.Fatalf("submit: %v", err)
	}
	cqe, err := g.r.WaitCQE()
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	c := *cqe
	if g.r.CQESize() == 32 {
		g.big = BigCQE(cqe).BigCQE
	}
	g.r.CQESeen(cqe)
	return c
}

func TestNVMeDirectIO(t *testing.T) {
	g := newNVMeRig(t, 3, 0, NVMeConfig{Capacity: 64})
	copy(g.buf, bytes.Repeat([]byte("abcd"), 2048)) // 8 KiB
	fd := int32(g.d.Block)
	if c := g.do(t, func(s *rings.SQE) { PrepWrite(s, fd, g.addr, 8192, 4096) }); c.Res != 8192 {
		t.Fatalf("direct write: res %d, want 8192", c.Res)
	}
	clear(g.buf[:8192])
	if c := g.do(t, func(s *rings.SQE) { PrepRead(s, fd, g.addr, 8192, 4096) }); c.Res != 8192 {
		t.Fatalf("direct read: res %d, want 8192", c.Res)
	}
	if !bytes.Equal(g.buf[:8192], bytes.Repeat([]byte("abcd"), 2048)) {
		t.Fatalf("direct read returned other bytes")
	}
	size := uint64(64 * 4096)
	cases := []struct {
		name string
		prep func(*rings.SQE)
		want int32
	}{
		{"misaligned offset", func(s *rings.SQE) { PrepRead(s, fd, g.addr, 4096, 512) }, -int32(unix.EINVAL)},
		{"misaligned length", func(s *rings.SQE) { PrepRead(s, fd, g.addr, 1000, 0) }, -int32(unix.EINVAL)},
		{"misaligned buffer", func(s *rings.SQE) { PrepRead(s, fd, g.addr+2, 4096, 0) }, -int32(unix.EINVAL)},
		{"read at the end", func(s *rings.SQE) { PrepRead(s, fd, g.addr, 4096, size) }, 0},
		{"read across the end", func(s *rings.SQE) { PrepRead(s, fd, g.addr, 8192, size-4096) }, 4096},
		{"write at the end", func(s *rings.SQE) { PrepWrite(s, fd, g.addr, 4096, size) }, -int32(unix.ENOSPC)},
	}
	for _, c := range cases {
		if got := g.do(t, c.prep); got.Res != c.want {
			t.Errorf("%s: res %d, want %d", c.name, got.Res, c.want)
		}
	}
}

// TestNVMeIopoll: on an IOPOLL ring a direct read completes only when the
// submitter polls: virtual time passing brings no CQE, a wait reaps it.
func TestNVMeIopoll(t *testing.T) {
	for _, hybrid := range []bool{false, true} {
		flags := uint32(rings.IORING_SETUP_IOPOLL)
		if hybrid {
			flags |= rings.IORING_SETUP_HYBRID_IOPOLL
		}
		g := newNVMeRig(t, 5, flags, NVMeConfig{Latency: 20 * time.Microsecond})
		for i := range 3 {
			sqe := g.r.GetSQE()
			PrepRead(sqe, int32(g.d.Block), g.addr+uint64(i)*4096, 4096, uint64(i)*4096)
			sqe.UserData = uint64(i)
		}
		if n, err := g.r.Submit(); n != 3 || err != nil {
			t.Fatalf("submit: %d, %v", n, err)
		}
		g.fs.Sleep(time.Millisecond) // far past the device latency
		// (PeekCQE would poll: liburing enters the kernel on an IOPOLL ring.)
		if n := g.r.CQReady(); n != 0 {
			t.Fatalf("hybrid=%v: %d CQEs arrived without polling", hybrid, n)
		}
		seen := map[uint64]bool{}
		for range 3 {
			cqe, err := g.r.WaitCQE()
			if err != nil {
				t.Fatal(err)
			}
			if cqe.Res != 4096 {
				t.Errorf("hybrid=%v: ud %d res %d", hybrid, cqe.UserData, cqe.Res)
			}
			seen[cqe.UserData] = true
			g.r.CQESeen(cqe)
		}
		if len(seen) != 3 {
			t.Errorf("hybrid=%v: CQEs for %v, want 0, 1 and 2", hybrid, seen)
		}
		if st := g.d.Namespace().Stats(); st.PolledDone != 3 || st.Polls == 0 {
			t.Errorf("hybrid=%v: device stats %+v: want 3 polled completions", hybrid, st)
		}
		// A buffered descriptor cannot be polled.
		if c := g.do(t, func(s *rings.SQE) { PrepRead(s, int32(g.d.Buffered), g.addr, 4096, 0) }); c.Res != -int32(unix.EOPNOTSUPP) {
			t.Errorf("hybrid=%v: buffered read on IOPOLL: res %d, want -EOPNOTSUPP", hybrid, c.Res)
		}
	}
}

// passthru prepares an NVMe passthrough SQE on fd.
func passthru(g *nvmeRig, fd int, op uint32, c NVMeUringCmd) func(*rings.SQE) {
	return func(s *rings.SQE) {
		PrepUringCmd(s, op, int32(fd))
		if cmd := g.r.SQECmd(s); len(cmd) >= NVMeUringCmdSize {
			c.Encode(cmd)
		}
	}
}

func TestNVMePassthrough(t *testing.T) {
	for _, iopoll := range []bool{false, true} {
		flags := uint32(rings.IORING_SETUP_SQE128 | rings.IORING_SETUP_CQE32)
		if iopoll {
			flags |= rings.IORING_SETUP_IOPOLL
		}
		g := newNVMeRig(t, 9, flags, NVMeConfig{Capacity: 128, LBASize: 512, Data: []byte("hello, nvme")})
		if !iopoll {
			// Identify Namespace on the controller: NSZE is the capacity.
			c := g.do(t, passthru(g, g.d.Ctrl, NVME_URING_CMD_ADMIN,
				NVMeUringCmd{Opcode: 0x06, NSID: 1, Addr: g.addr, DataLen: 4096, CDW10: 0}))
			if c.Res != 0 || binary.LittleEndian.Uint64(g.buf) != 128 || g.buf[130] != 9 {
				t.Fatalf("identify: res %d, nsze %d, lbads %d", c.Res, binary.LittleEndian.Uint64(g.buf), g.buf[130])
			}
			c = g.do(t, passthru(g, g.d.Ctrl, NVME_URING_CMD_ADMIN, NVMeUringCmd{Opcode: 0x7f}))
			if c.Res != 0x4001 {
				t.Errorf("unknown admin opcode: res %#x, want 0x4001 (invalid opcode, DNR)", c.Res)
			}
		}
		clear(g.buf[:512])
		c := g.do(t, passthru(g, g.d.Char, NVME_URING_CMD_IO,
			NVMeUringCmd{Opcode: 0x02, NSID: 1, Addr: g.addr, DataLen: 512, CDW10: 0, CDW12: 0}))
		if c.Res != 0 || string(g.buf[:11]) != "hello, nvme" {
			t.Fatalf("iopoll=%v: passthrough read: res %d, data %q", iopoll, c.Res, g.buf[:11])
		}
		if c := g.do(t, passthru(g, g.d.Char, NVME_URING_CMD_IO, NVMeUringCmd{Opcode: 0x02, NSID: 2, Addr: g.addr, DataLen: 512})); c.Res != -int32(unix.EINVAL) {
			t.Errorf("iopoll=%v: wrong nsid: res %d, want -EINVAL", iopoll, c.Res)
		}
		if c := g.do(t, passthru(g, g.d.Char, 0x1234, NVMeUringCmd{})); c.Res != -int32(unix.ENOTTY) {
			t.Errorf("iopoll=%v: unknown cmd_op: res %d, want -ENOTTY", iopoll, c.Res)
		}
	}
	// Passthrough needs big SQEs and CQEs.
	g := newNVMeRig(t, 9, 0, NVMeConfig{})
	if c := g.do(t, passthru(g, g.d.Char, NVME_URING_CMD_IO, NVMeUringCmd{})); c.Res != -int32(unix.EOPNOTSUPP) {
		t.Errorf("64-byte SQE: res %d, want -EOPNOTSUPP", c.Res)
	}
}

// TestNVMeCrash: a write flushed before the crash survives it; one never
// flushed may be lost; a FUA write survives.
func TestNVMeCrash(t *testing.T) {
	lost := 0
	for seed := range uint64(40) {
		g := newNVMeRig(t, seed, 0, NVMeConfig{Capacity: 16})
		fd := int32(g.d.Block)
		write := func(off uint64, b byte, flags uint32) {
			for i := range 4096 {
				g.buf[i] = b
			}
			if c := g.do(t, func(s *rings.SQE) { PrepWrite(s, fd, g.addr, 4096, off); s.OpFlags = flags }); c.Res != 4096 {
				t.Fatalf("write: res %d", c.Res)
			}
		}
		write(0, 'A', 0)
		if err := g.d.Flush(); err != nil {
			t.Fatal(err)
		}
		write(4096, 'B', 0)
		write(8192, 'C', unix.RWF_DSYNC)
		g.d.Crash()
		read := func(off uint64) byte {
			if c := g.do(t, func(s *rings.SQE) { PrepRead(s, fd, g.addr, 4096, off) }); c.Res != 4096 {
				t.Fatalf("read: res %d", c.Res)
			}
			return g.buf[0]
		}
		if b := read(0); b != 'A' {
			t.Fatalf("seed %d: flushed write lost: %q", seed, b)
		}
		if b := read(8192); b != 'C' {
			t.Fatalf("seed %d: FUA write lost: %q", seed, b)
		}
		switch b := read(4096); b {
		case 0:
			lost++
		case 'B':
		default:
			t.Fatalf("seed %d: unflushed block reads %q", seed, b)
		}
	}
	if lost == 0 || lost == 40 {
		t.Errorf("an unflushed write was lost under %d of 40 seeds: both outcomes must be reachable", lost)
	}
}

// TestNVMeBuffered: the buffered descriptor goes through the page cache —
// a partial-page write reads the page first, a direct read of a dirty
// range writes it back first, a direct write drops the cached pages, and
// only fsync makes buffered data survive a crash.
func TestNVMeBuffered(t *testing.T) {
	g := newNVMeRig(t, 11, 0, NVMeConfig{Capacity: 16, LBASize: 512, Data: bytes.Repeat([]byte{'o'}, 8192)})
	buf, dir := int32(g.d.Buffered), int32(g.d.Block)
	copy(g.buf, "new")
	if c := g.do(t, func(s *rings.SQE) { PrepWrite(s, buf, g.addr, 3, 100) }); c.Res != 3 {
		t.Fatalf("buffered write: res %d", c.Res)
	}
	// A direct read of the dirty page writes it back first.
	if c := g.do(t, func(s *rings.SQE) { PrepRead(s, dir, g.addr+4096, 512, 0) }); c.Res != 512 {
		t.Fatalf("direct read: res %d", c.Res)
	}
	if got := string(g.buf[4096+99 : 4096+104]); got != "onewo" {
		t.Fatalf("direct read after a buffered write: %q, want \"onewo\"", got)
	}
	// A direct write drops the cached page: a buffered read sees it.
	copy(g.buf[8192:], bytes.Repeat([]byte{'D'}, 512))
	if c := g.do(t, func(s *rings.SQE) { PrepWrite(s, dir, g.addr+8192, 512, 0) }); c.Res != 512 {
		t.Fatalf("direct write: res %d", c.Res)
	}
	if c := g.do(t, func(s *rings.SQE) { PrepRead(s, buf, g.addr+12288, 4, 0) }); c.Res != 4 || string(g.buf[12288:12292]) != "DDDD" {
		t.Fatalf("buffered read after a direct write: res %d %q", c.Res, g.buf[12288:12292])
	}
	// Buffered data is lost by a crash unless fsync'd.
	copy(g.buf, "keep")
	g.do(t, func(s *rings.SQE) { PrepWrite(s, buf, g.addr, 4, 1024) })
	if c := g.do(t, func(s *rings.SQE) { PrepFsync(s, buf, 0) }); c.Res != 0 {
		t.Fatalf("fsync: res %d", c.Res)
	}
	copy(g.buf, "lost")
	g.do(t, func(s *rings.SQE) { PrepWrite(s, buf, g.addr, 4, 2048) })
	g.d.Crash()
	g.do(t, func(s *rings.SQE) { PrepRead(s, dir, g.addr, 4096, 0) })
	if got := string(g.buf[1024:1028]); got != "keep" {
		t.Errorf("fsync'd buffered write after a crash: %q", got)
	}
	if got := string(g.buf[2048:2052]); got != "oooo" {
		t.Errorf("buffered write never written back survived a crash: %q", got)
	}
}
