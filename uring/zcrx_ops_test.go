package uring

import (
	"bytes"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// TestRecvZCNoIfq: without a registered ifq RECV_ZC fails in prep with
// -EINVAL, on a zero-copy-ready ring and on a plain one, as on the host.
func TestRecvZCNoIfq(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []cqeRec {
		var got []cqeRec
		for _, flags := range []uint32{zcrxRingFlags, 0} {
			r := mustNew(t, be, 8, &Params{Flags: flags})
			client, _ := tcpPair(t, be)
			for i, id := range []uint32{0, 1} {
				submitOne(t, r, uint64(i+1), false, func(s *rings.SQE) {
					PrepRecvZC(s, int32(client), id, 0, rings.IORING_RECV_MULTISHOT)
				})
			}
			got = append(got, reapAll(t, r, 2)...)
			r.Close()
		}
		return got
	})
}

// TestRecvZCPrepErrors checks io_recvzc_prep's and io_recvzc's refusals
// with an ifq registered: addr, addr2, addr3, an unknown ifq, msg_flags,
// unknown ioprio bits and a missing IORING_RECV_MULTISHOT are -EINVAL; a
// pipe is -ENOTSOCK; a unix socket is not TCP (-EPROTONOSUPPORT); a
// listener has no data stream (-ENOTCONN).
func TestRecvZCPrepErrors(t *testing.T) {
	x := newZcrxRx(t, SimConfig{Seed: 1}, zcrxRingFlags, 2, 8)
	pr, pw, err := x.fs.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer x.fs.Close(pr)
	defer x.fs.Close(pw)
	ua, ub, err := x.fs.Socketpair(unix.SOCK_STREAM)
	if err != nil {
		t.Fatal(err)
	}
	defer x.fs.Close(ua)
	defer x.fs.Close(ub)
	lfd, _, err := x.fs.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer x.fs.Close(lfd)
	ms := uint16(rings.IORING_RECV_MULTISHOT)
	cases := []struct {
		what string
		prep func(*rings.SQE)
		want int32
	}{
		{"addr", func(s *rings.SQE) { PrepRecvZC(s, int32(x.server), 0, 0, ms); s.Addr = 8 }, -int32(unix.EINVAL)},
		{"addr2", func(s *rings.SQE) { PrepRecvZC(s, int32(x.server), 0, 0, ms); s.Off = 8 }, -int32(unix.EINVAL)},
		{"addr3", func(s *rings.SQE) { PrepRecvZC(s, int32(x.server), 0, 0, ms); s.Addr3 = 8 }, -int32(unix.EINVAL)},
		{"ifq 1", func(s *rings.SQE) { PrepRecvZC(s, int32(x.server), 1, 0, ms) }, -int32(unix.EINVAL)},
		{"msg_flags", func(s *rings.SQE) { PrepRecvZC(s, int32(x.server), 0, 0, ms); s.OpFlags = unix.MSG_DONTWAIT }, -int32(unix.EINVAL)},
		{"ioprio", func(s *rings.SQE) { PrepRecvZC(s, int32(x.server), 0, 0, ms|rings.IORING_RECVSEND_BUNDLE) }, -int32(unix.EINVAL)},
		{"single shot", func(s *rings.SQE) { PrepRecvZC(s, int32(x.server), 0, 100, 0) }, -int32(unix.EINVAL)},
		{"pipe", func(s *rings.SQE) { PrepRecvZC(s, int32(pr), 0, 0, ms) }, -int32(unix.ENOTSOCK)},
		{"unix", func(s *rings.SQE) { PrepRecvZC(s, int32(ua), 0, 0, ms) }, -int32(unix.EPROTONOSUPPORT)},
		{"listener", func(s *rings.SQE) { PrepRecvZC(s, int32(lfd), 0, 0, ms) }, -int32(unix.ENOTCONN)},
	}
	for i, c := range cases {
		submitOne(t, x.r, uint64(i+1), false, c.prep)
		got := reapAll(t, x.r, 1)[0]
		if got.Res != c.want || got.Flags != 0 || got.UserData != uint64(i+1) {
			t.Errorf("%s: %+v, want res %d", c.what, got, c.want)
		}
	}
}

// drain takes CQEs until the final one and returns it.
func (x *zcrxRx) drain() (int32, uint32) {
	for {
		res, flags := x.next()
		if flags&rings.IORING_CQE_F_MORE == 0 {
			return res, flags
		}
	}
}

// trace takes CQEs until the final one and returns each as "res flags",
// calling onData after each data CQE.
func (x *zcrxRx) trace(onData func()) []string {
	var got []string
	for {
		res, flags := x.next()
		got = append(got, fmt.Sprintf("%d %#x", res, flags))
		if flags&rings.IORING_CQE_F_MORE == 0 {
			return got
		}
		onData()
	}
}

// TestRecvZCLen: a length ends the request once that many bytes came,
// with a final 0; the rest waits for the next request.
func TestRecvZCLen(t *testing.T) {
	x := newZcrxRx(t, SimConfig{Seed: 1}, zcrxRingFlags, 8, 16)
	data := make([]byte, 10000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	x.send(data)
	x.arm(1, 5000)
	if res, _ := x.drain(); res != 0 || !bytes.Equal(x.got, data[:5000]) {
		t.Fatalf("len 5000: final %d after %d bytes", res, len(x.got))
	}
	x.giveBack(len(x.held))
	x.arm(2, 0)
	for len(x.got) < len(data) {
		if _, flags := x.next(); flags&rings.IORING_CQE_F_MORE == 0 {
			t.Fatalf("ended after %d bytes", len(x.got))
		}
	}
	if !bytes.Equal(x.got, data) {
		t.Fatal("second request's data differs")
	}
}

// TestRecvZCCopyFallback: data queued before the ifq was bound sits in
// linear skbs and is copied into buffers from the freelist, a CQE each;
// with the freelist empty the request ends -ENOMEM (buffers the program
// gives back wait in the refill queue for the page pool, which the copy
// does not use).
func TestRecvZCCopyFallback(t *testing.T) {
	m := NewSimMachine(SimConfig{Seed: 1})
	defer m.Close()
	be := m.Backend()
	fs, _ := Files(be)
	r := mustNew(t, be, 32, &Params{Flags: zcrxRingFlags})
	defer r.Close()
	client, server := tcpPair(t, be)
	data := bytes.Repeat([]byte("0123456789abcdef"), 600) // 9600 bytes
	if _, err := fs.Write(client, data); err != nil {
		t.Fatal(err)
	}
	z, err := registerZcrx(t, be, r, 0, 16, 2)
	if err != nil {
		t.Fatal(err)
	}
	x := &zcrxRx{t: t, m: m, be: be, fs: fs, r: r, z: z, client: client, server: server}
	x.arm(1, 0)
	got := x.trace(func() {
		if len(x.held) == 2 {
			x.giveBack(2) // not usable by the copy
		}
	})
	want := []string{"4096 0x2", "4096 0x2", fmt.Sprintf("%d 0x0", -int(unix.ENOMEM))}
	if fmt.Sprint(got) != fmt.Sprint(want) || !bytes.Equal(x.got, data[:8192]) {
		t.Fatalf("CQEs %q, want %q; %d bytes", got, want, len(x.got))
	}
}

// TestRecvZCCancel: an armed RECV_ZC is cancelled by user data.
func TestRecvZCCancel(t *testing.T) {
	x := newZcrxRx(t, SimConfig{Seed: 1}, zcrxRingFlags, 2, 8)
	x.arm(7, 0)
	x.send([]byte("hello"))
	if res, flags := x.next(); res != 5 || flags != rings.IORING_CQE_F_MORE || string(x.got) != "hello" {
		t.Fatalf("data CQE %d %#x %q", res, flags, x.got)
	}
	submitOne(t, x.r, 8, false, func(s *rings.SQE) { PrepCancel64(s, 7, 0) })
	got := reapAll(t, x.r, 2)
	want := map[uint64]int32{7: -int32(unix.ECANCELED), 8: 0}
	for _, c := range got {
		if w, ok := want[c.UserData]; !ok || c.Res != w || c.Flags != 0 {
			t.Fatalf("after cancel: %+v", got)
		}
		delete(want, c.UserData)
	}
}

// TestRecvZCReset: the peer's reset ends the request with -ECONNRESET.
func TestRecvZCReset(t *testing.T) {
	x := newZcrxRx(t, SimConfig{Seed: 1}, zcrxRingFlags, 2, 8)
	x.arm(1, 0)
	// The client closes with unread data: a reset.
	if _, err := x.fs.Write(x.server, []byte("unread")); err != nil {
		t.Fatal(err)
	}
	if err := x.fs.Close(x.client); err != nil {
		t.Fatal(err)
	}
	if res, flags := x.next(); res != -int32(unix.ECONNRESET) || flags != 0 {
		t.Fatalf("final %d %#x", res, flags)
	}
}

// TestRecvZCCQFull: with the CQ full a data CQE cannot be posted; the
// request ends -ENOSPC, through the overflow list, after the CQEs that fit.
func TestRecvZCCQFull(t *testing.T) {
	m := NewSimMachine(SimConfig{Seed: 1})
	defer m.Close()
	be := m.Backend()
	fs, _ := Files(be)
	r := mustNew(t, be, 2, &Params{Flags: zcrxRingFlags}) // 4 CQEs
	defer r.Close()
	z, err := registerZcrx(t, be, r, 0, 16, 8)
	if err != nil {
		t.Fatal(err)
	}
	x := &zcrxRx{t: t, m: m, be: be, fs: fs, r: r, z: z}
	x.client, x.server = tcpPair(t, be)
	x.send(make([]byte, 6*4096))
	x.arm(1, 0)
	// The issue filled the CQ and armed a poll, whose task work runs
	// here with the CQ still full.
	if _, err := r.SubmitAndGetEvents(); err != nil {
		t.Fatal(err)
	}
	got := x.trace(func() {})
	want := []string{"4096 0x2", "4096 0x2", "4096 0x2", "4096 0x2", fmt.Sprintf("%d 0x0", -int(unix.ENOSPC))}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("CQEs %q, want %q", got, want)
	}
}

// TestRecvZCMixed: on a CQE_MIXED ring the data CQEs are 32-byte entries
// flagged IORING_CQE_F_32, the final one a 16-byte entry.
func TestRecvZCMixed(t *testing.T) {
	flags := uint32(rings.IORING_SETUP_DEFER_TASKRUN | rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_CQE_MIXED)
	x := newZcrxRx(t, SimConfig{Seed: 1}, flags, 4, 8)
	data := bytes.Repeat([]byte{1, 2, 3}, 3000)
	x.send(data)
	if err := x.fs.Shutdown(x.client, unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	x.arm(1, 0)
	var seen []uint32
	for {
		res, f := x.next()
		seen = append(seen, f)
		if f&rings.IORING_CQE_F_MORE == 0 {
			if res != 0 || f&rings.IORING_CQE_F_32 != 0 {
				t.Fatalf("final %d %#x", res, f)
			}
			break
		}
		if f != rings.IORING_CQE_F_MORE|rings.IORING_CQE_F_32 {
			t.Fatalf("data CQE flags %#x", f)
		}
	}
	if !bytes.Equal(x.got, data) || len(seen) != 4 {
		t.Fatalf("%d bytes in %d CQEs", len(x.got), len(seen))
	}
}

// TestRecvZCRefillSkips: refill entries with a pad set, another area, an
// offset past the area or a buffer the program does not hold are consumed
// and skipped; the good ones bring their buffers back.
func TestRecvZCRefillSkips(t *testing.T) {
	x := newZcrxRx(t, SimConfig{Seed: 1}, zcrxRingFlags, 2, 16)
	x.arm(1, 0)
	x.send(make([]byte, 2*4096))
	x.next()
	x.next()
	good := x.held
	x.held = nil
	x.z.rq.AddRaw(rings.ZcrxRqe{Off: good[0].Off, Len: 4096, Pad: 1})
	x.z.rq.AddRaw(rings.ZcrxRqe{Off: good[0].Off | 1<<rings.IORING_ZCRX_AREA_SHIFT, Len: 4096})
	x.z.rq.AddRaw(rings.ZcrxRqe{Off: 2 * 4096, Len: 4096})
	x.z.rq.AddRaw(good[0])
	x.z.rq.AddRaw(good[0]) // not held any more
	x.z.rq.AddRaw(good[1])
	x.z.rq.Advance()
	data := bytes.Repeat([]byte{9}, 2*4096)
	x.got = nil
	x.send(data)
	x.next()
	x.next()
	if !bytes.Equal(x.got, data) || x.z.rq.Queued() != 0 {
		t.Fatalf("%d bytes; %d refill entries left", len(x.got), x.z.rq.Queued())
	}
	// Only the two good entries came back: nothing else is free.
	x.send([]byte("more"))
	if cqe, err := x.r.PeekCQE(); err == nil {
		t.Fatalf("a CQE with every buffer held: %+v", cqe)
	}
}

// TestRecvZCOtherIfq: data the NIC put in one ifq's buffers cannot be
// read through another ifq (-EFAULT).
func TestRecvZCOtherIfq(t *testing.T) {
	m := NewSimMachine(SimConfig{Seed: 1, Net: NetConfig{RxQueues: 2}})
	defer m.Close()
	be := m.Backend()
	fs, _ := Files(be)
	r := mustNew(t, be, 32, &Params{Flags: zcrxRingFlags})
	defer r.Close()
	z0, err := registerZcrx(t, be, r, 0, 8, 2)
	if err != nil {
		t.Fatal(err)
	}
	z1, err := registerZcrx(t, be, r, 1, 8, 2)
	if err != nil {
		t.Fatal(err)
	}
	client, server := tcpPair(t, be)
	if _, err := fs.Write(client, []byte("data")); err != nil {
		t.Fatal(err)
	}
	try := func(id uint32) int32 {
		submitOne(t, r, uint64(id+1), false, func(s *rings.SQE) { PrepRecvZC(s, int32(server), id, 0, rings.IORING_RECV_MULTISHOT) })
		cqe, err := r.WaitCQE()
		if err != nil {
			t.Fatal(err)
		}
		res, more := cqe.Res, cqe.Flags&rings.IORING_CQE_F_MORE != 0
		r.CQESeen(cqe)
		if more {
			submitOne(t, r, 100, false, func(s *rings.SQE) { PrepCancel64(s, uint64(id+1), 0) })
			reapAll(t, r, 2)
		}
		return res
	}
	// One ifq reads the 4 bytes, the other refuses them.
	res0 := try(z0.reg.ZcrxID)
	var res1 int32
	if res0 == 4 {
		if _, err := fs.Write(client, []byte("data")); err != nil {
			t.Fatal(err)
		}
		res1 = try(z1.reg.ZcrxID)
	} else {
		res1 = try(z1.reg.ZcrxID)
		res0, res1 = res1, res0
	}
	if res0 != 4 || res1 != -int32(unix.EFAULT) {
		t.Fatalf("own ifq %d, other ifq %d", res0, res1)
	}
}

// TestRecvZCRingExit closes a ring with a RECV_ZC armed and buffers held:
// the request goes, the buffers are taken back, the queue is free for
// another ring, and data still queued on the socket stays readable.
func TestRecvZCRingExit(t *testing.T) {
	x := newZcrxRx(t, SimConfig{Seed: 1}, zcrxRingFlags, 4, 8)
	x.arm(1, 0)
	x.send(bytes.Repeat([]byte{7}, 4096))
	x.next()
	x.r.Close()
	x.send([]byte("after"))
	r2 := mustNew(t, x.be, 8, &Params{Flags: zcrxRingFlags})
	defer r2.Close()
	if _, err := registerZcrx(t, x.be, r2, 0, 8, 1); err != nil {
		t.Fatalf("queue after ring exit: %v", err)
	}
	buf := make([]byte, 16)
	n, err := x.fs.Read(x.server, buf)
	if err != nil || string(buf[:n]) != "after" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
}
