package uring

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
)

// tsTrace is what TestTxTimestamp compares between the backends: every
// CQE (user_data, res, flags; the timestamps themselves differ and are
// checked apart), in order, and the setsockopt/getsockopt results.
type tsTrace struct {
	CQEs []cqeRec
	Opts []int32
}

// tsRing is one ring of TestTxTimestamp with its bookkeeping: the
// timestamps seen must never go back, and a 32-byte CQE carries a
// tv_nsec below a second.
type tsRing struct {
	t    *testing.T
	r    *Ring
	tr   *tsTrace
	last [2]uint64
	ud   uint64
}

func (x *tsRing) submit(prep func(*rings.SQE)) uint64 {
	x.ud++
	sqe := x.r.GetSQE()
	prep(sqe)
	sqe.UserData = x.ud
	if _, err := x.r.Submit(); err != nil {
		x.t.Fatalf("%s: submit: %v", x.r.Backend().Name(), err)
	}
	return x.ud
}

// reap takes n CQEs, checking the timestamps of those that carry one.
func (x *tsRing) reap(n int) []cqeRec {
	x.t.Helper()
	got := reapTS(x.t, x.r, n, &x.last)
	x.tr.CQEs = append(x.tr.CQEs, got...)
	return got
}

// none checks that no CQE comes within a moment (the host posts
// timestamps from the send's own softirq).
func (x *tsRing) none() {
	x.t.Helper()
	if cqe, err := x.r.WaitCQETimeout(50 * time.Millisecond); err == nil {
		x.t.Fatalf("%s: unexpected CQE %v", x.r.Backend().Name(), rec(cqe))
	} else if !errors.Is(err, unix.ETIME) {
		x.t.Fatalf("%s: wait: %v", x.r.Backend().Name(), err)
	}
}

func reapTS(t *testing.T, r *Ring, n int, last *[2]uint64) []cqeRec {
	t.Helper()
	out := make([]cqeRec, 0, n)
	for len(out) < n {
		cqe, err := r.WaitCQETimeout(5 * time.Second)
		if err != nil {
			t.Fatalf("%s: waiting for CQE %d of %d: %v (got %v)", r.Backend().Name(), len(out)+1, n, err, out)
		}
		c := rec(cqe)
		if c.Flags&rings.IORING_CQE_F_MORE != 0 {
			big := BigCQE(cqe).BigCQE
			if big[1] >= uint64(time.Second) || big[0] < last[0] || big[0] == last[0] && big[1] < last[1] {
				t.Errorf("%s: CQE %v: timestamp %d.%09d after %d.%09d", r.Backend().Name(), c, big[0], big[1], last[0], last[1])
			}
			*last = big
		}
		out = append(out, c)
		r.CQESeen(cqe)
	}
	return out
}

const tsOn = unix.SOF_TIMESTAMPING_SOFTWARE | unix.SOF_TIMESTAMPING_OPT_ID | unix.SOF_TIMESTAMPING_OPT_TSONLY

// TestTxTimestamp: SOCKET_URING_OP_TX_TIMESTAMP on the simulator and on
// the host's loopback, as liburing's test/timestamp.c uses it. A TCP
// socket asking for SCHED, SND and ACK timestamps with OPT_ID gets three
// 32-byte CQEs per send (F_MORE, the type above IORING_TIMESTAMP_TYPE_SHIFT,
// the key the sequence number of the send's last byte), to a command
// armed before the sends and to one armed after them; without
// SOF_TIMESTAMPING_OPT_TSONLY (the skb carries the packet) or without
// SOF_TIMESTAMPING_SOFTWARE nothing is posted; without OPT_ID the key is
// 0; UDP counts datagrams and has no ACK; an AF_UNIX socket never gets
// any; a CQE_MIXED ring flags them IORING_CQE_F_32; a ring of 16-byte
// CQEs is -EINVAL; the command ends only when cancelled (-ECANCELED).
// SO_TIMESTAMPING's own errors are checked on the way.
func TestTxTimestamp(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) tsTrace {
		var tr tsTrace
		fs, err := Files(be)
		if err != nil {
			t.Fatal(err)
		}
		mem := mustAlloc(t, be, 4096)
		defer be.Free(mem)
		base := addrOf(mem)
		newRing := func(flags uint32) *tsRing {
			return &tsRing{t: t, r: mustNew(t, be, 16, &Params{Flags: flags}), tr: &tr}
		}
		x := newRing(rings.IORING_SETUP_CQE32)
		defer x.r.Close()
		// setopt sets SO_TIMESTAMPING through the ring and records the result.
		setopt := func(fd int, flags uint32) int32 {
			binary.LittleEndian.PutUint32(mem[64:], flags)
			x.submit(func(s *rings.SQE) {
				PrepCmdSock(s, rings.SOCKET_URING_OP_SETSOCKOPT, int32(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPING, base+64, 4)
			})
			c := reapAll(t, x.r, 1)[0]
			tr.Opts = append(tr.Opts, c.Res)
			return c.Res
		}
		arm := func(x *tsRing, fd int) uint64 {
			return x.submit(func(s *rings.SQE) { PrepCmdSock(s, rings.SOCKET_URING_OP_TX_TIMESTAMP, int32(fd), 0, 0, 0, 0) })
		}
		cancel := func(x *tsRing, ud uint64) {
			x.submit(func(s *rings.SQE) { PrepCancel64(s, ud, 0) })
			// The cancel's 0 and the command's -ECANCELED, in either order.
			x.reap(2)
			if two := tr.CQEs[len(tr.CQEs)-2:]; two[0].UserData != x.ud {
				two[0], two[1] = two[1], two[0]
			}
		}
		send := func(fd, n int) {
			if _, err := fs.Write(fd, make([]byte, n)); err != nil {
				t.Fatalf("%s: write: %v", be.Name(), err)
			}
		}
		drain := func(fd int) {
			buf := make([]byte, 4096)
			if _, err := fs.Read(fd, buf); err != nil {
				t.Fatalf("%s: read: %v", be.Name(), err)
			}
		}

		lfd, port, err := fs.Listen()
		if err != nil {
			t.Fatalf("%s: listen: %v", be.Name(), err)
		}
		defer fs.Close(lfd)
		setopt(lfd, tsOn) // OPT_ID on a listening TCP socket: -EINVAL
		c, err := fs.Socket()
		if err != nil {
			t.Fatal(err)
		}
		defer fs.Close(c)
		setopt(c, tsOn) // nor on one not connected
		copy(mem[0:16], SockaddrInet4([4]byte{127, 0, 0, 1}, port))
		x.submit(func(s *rings.SQE) { PrepConnect(s, int32(c), base, 16) })
		x.submit(func(s *rings.SQE) { PrepAccept(s, int32(lfd), 0, 0, unix.SOCK_CLOEXEC) })
		got := reapAll(t, x.r, 2)
		afd := -1
		for _, g := range got {
			if g.UserData == x.ud {
				afd = int(g.Res)
			}
		}
		if afd < 0 {
			t.Fatalf("%s: connect/accept: %v", be.Name(), got)
		}
		defer fs.Close(afd)
		setopt(c, 1<<30)                                                                  // an unknown flag
		setopt(c, unix.SOF_TIMESTAMPING_OPT_ID_TCP)                                       // OPT_ID_TCP without OPT_ID
		setopt(c, tsOn&^unix.SOF_TIMESTAMPING_OPT_TSONLY|unix.SOF_TIMESTAMPING_OPT_STATS) // STATS without TSONLY
		all := uint32(tsOn | unix.SOF_TIMESTAMPING_TX_SCHED | unix.SOF_TIMESTAMPING_TX_SOFTWARE | unix.SOF_TIMESTAMPING_TX_ACK)
		setopt(c, all)
		x.submit(func(s *rings.SQE) {
			PrepCmdSock(s, rings.SOCKET_URING_OP_GETSOCKOPT, int32(c), unix.SOL_SOCKET, unix.SO_TIMESTAMPING, base+128, 8)
		})
		g := reapAll(t, x.r, 1)[0]
		tr.Opts = append(tr.Opts, g.Res, int32(binary.LittleEndian.Uint32(mem[128:])), int32(binary.LittleEndian.Uint32(mem[132:])))

		// Armed first: each send's three timestamps as it goes.
		ts := arm(x, c)
		for _, n := range []int{10, 10, 5} {
			send(c, n)
			x.reap(3)
		}
		drain(afd)
		cancel(x, ts)
		// Sent first: a command armed later finds them queued.
		send(c, 7)
		ts = arm(x, c)
		x.reap(3)
		// A packet copy (no TSONLY), or no SOFTWARE: nothing is reported.
		setopt(c, all&^unix.SOF_TIMESTAMPING_OPT_TSONLY)
		send(c, 3)
		x.none()
		setopt(c, all&^unix.SOF_TIMESTAMPING_SOFTWARE)
		send(c, 3)
		x.none()
		// SOFTWARE again (without OPT_ID: keys 0): nothing wakes the
		// command until the next send; then the TSONLY stamps queued
		// meanwhile come first (the packet copies never do).
		setopt(c, all&^unix.SOF_TIMESTAMPING_OPT_ID)
		x.none()
		send(c, 4)
		x.reap(6)
		cancel(x, ts)
		drain(afd)

		// A CQE_MIXED ring: the same CQEs flagged IORING_CQE_F_32.
		m := newRing(rings.IORING_SETUP_CQE_MIXED)
		defer m.r.Close()
		setopt(c, tsOn|unix.SOF_TIMESTAMPING_TX_SOFTWARE)
		ts = arm(m, c)
		send(c, 1)
		m.reap(1)
		cancel(m, ts)
		drain(afd)
		// 16-byte CQEs: -EINVAL.
		p := newRing(0)
		defer p.r.Close()
		arm(p, c)
		p.reap(1)

		// UDP: SCHED and SND per datagram, keys counting datagrams.
		x.submit(func(s *rings.SQE) { PrepSocket(s, unix.AF_INET, unix.SOCK_DGRAM, 0, 0) })
		x.submit(func(s *rings.SQE) { PrepSocket(s, unix.AF_INET, unix.SOCK_DGRAM, 0, 0) })
		got = reapAll(t, x.r, 2)
		u, v := int(got[0].Res), int(got[1].Res)
		if u < 0 || v < 0 {
			t.Fatalf("%s: UDP sockets: %v", be.Name(), got)
		}
		defer fs.Close(u)
		defer fs.Close(v)
		copy(mem[256:], SockaddrInet4([4]byte{127, 0, 0, 1}, 0))
		x.submit(func(s *rings.SQE) { PrepBind(s, int32(v), base+256, 16) })
		reapAll(t, x.r, 1)
		sa := make([]byte, 16)
		if err := getsockname(be, v, sa); err != nil {
			t.Fatal(err)
		}
		copy(mem[256:], sa)
		x.submit(func(s *rings.SQE) { PrepConnect(s, int32(u), base+256, 16) })
		reapAll(t, x.r, 1)
		setopt(u, all)
		ts = arm(x, u)
		for range 2 {
			send(u, 8)
			x.reap(2)
		}
		cancel(x, ts)

		// AF_UNIX: armed, never posts.
		a, b, err := fs.Socketpair(unix.SOCK_STREAM)
		if err != nil {
			t.Fatal(err)
		}
		defer fs.Close(a)
		defer fs.Close(b)
		setopt(a, all)
		ts = arm(x, a)
		send(a, 5)
		x.none()
		cancel(x, ts)
		return tr
	})
}

// getsockname writes fd's local address into sa.
func getsockname(be Backend, fd int, sa []byte) error {
	if be.Host() {
		s, err := unix.Getsockname(fd)
		if err != nil {
			return err
		}
		in, ok := s.(*unix.SockaddrInet4)
		if !ok {
			return fmt.Errorf("getsockname: %T", s)
		}
		copy(sa, SockaddrInet4(in.Addr, uint16(in.Port)))
		return nil
	}
	return errnoOf(kernel.Getsockname(be.(*simBackend).task, fd, sa, false))
}
