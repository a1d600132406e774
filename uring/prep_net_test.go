package uring

import (
	"encoding/binary"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// netTrace is what TestPrepNet compares between the backends: the CQEs
// (a normal descriptor's number replaced by whether it was one) and the
// bytes the receives saw.
type netTrace struct {
	CQEs     []cqeRec
	Got      []string
	PeerFam  uint16
	PeerLen  uint32
	Validate bool
}

// TestPrepNet: the liburing-named net helpers fill the SQEs the kernel
// reads. A direct socket (ALLOC) connects to a listener; an accept into
// a normal descriptor writes the peer's address and its length; SEND on
// the direct socket reaches RECV on the accepted one; SIOCINQ counts a
// queued message and SOL_SOCKET GETSOCKOPT SO_TYPE reads SOCK_STREAM;
// SENDMSG/RECVMSG move a message through one iovec; a multishot recvmsg
// into a buffer ring posts the io_uring_recvmsg_out header before the
// payload; SHUTDOWN of the writer ends it without F_MORE.
func TestPrepNet(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) netTrace {
		var tr netTrace
		r := mustNew(t, be, 16, nil)
		defer r.Close()
		fs, err := Files(be)
		if err != nil {
			t.Fatal(err)
		}
		lfd, port, err := fs.Listen()
		if err != nil {
			t.Fatalf("%s: Listen: %v", be.Name(), err)
		}
		defer fs.Close(lfd)
		if err := r.RegisterFilesSparse(4); err != nil {
			t.Fatal(err)
		}
		mem, err := be.Alloc(4096)
		if err != nil {
			t.Fatal(err)
		}
		defer be.Free(mem)
		base := addrOf(mem)
		copy(mem[0:16], SockaddrInet4([4]byte{127, 0, 0, 1}, port))
		binary.LittleEndian.PutUint32(mem[32:], 128) // accept's addrlen
		run := func(n int, prep ...func(*rings.SQE)) []cqeRec {
			for i, p := range prep {
				sqe := r.GetSQE()
				p(sqe)
				sqe.UserData = uint64(len(tr.CQEs) + i + 1)
			}
			if _, err := r.Submit(); err != nil {
				t.Fatalf("%s: Submit: %v", be.Name(), err)
			}
			got := reapAll(t, r, n)
			tr.CQEs = append(tr.CQEs, got...)
			return got
		}
		run(1, func(s *rings.SQE) { PrepSocketDirectAlloc(s, unix.AF_INET, unix.SOCK_STREAM, 0, 0) })
		run(1, func(s *rings.SQE) {
			PrepConnect(s, 0, base, 16)
			s.Flags |= rings.IOSQE_FIXED_FILE
		})
		got := run(1, func(s *rings.SQE) { PrepAccept(s, int32(lfd), base+64, base+32, unix.SOCK_CLOEXEC) })
		afd := int(got[0].Res)
		if afd < 0 {
			t.Fatalf("%s: accept: %v", be.Name(), got)
		}
		defer fs.Close(afd)
		tr.CQEs[len(tr.CQEs)-1].Res = 1 // a descriptor; its number differs
		tr.PeerFam = binary.LittleEndian.Uint16(mem[64:])
		tr.PeerLen = binary.LittleEndian.Uint32(mem[32:])
		copy(mem[256:], "hello")
		run(1, func(s *rings.SQE) {
			PrepSend(s, 0, base+256, 5, 0)
			s.Flags |= rings.IOSQE_FIXED_FILE
		})
		run(2,
			func(s *rings.SQE) { PrepCmdSock(s, rings.SOCKET_URING_OP_SIOCINQ, int32(afd), 0, 0, 0, 0) },
			func(s *rings.SQE) {
				PrepCmdSock(s, rings.SOCKET_URING_OP_GETSOCKOPT, int32(afd), unix.SOL_SOCKET, unix.SO_TYPE, base+512, 4)
			})
		tr.Got = append(tr.Got, string(mem[512:516]))
		run(1, func(s *rings.SQE) { PrepRecv(s, int32(afd), base+1024, 64, 0) })
		tr.Got = append(tr.Got, string(mem[1024:1029]))
		// struct msghdr at 1536 with one iovec at 1600 of "world".
		msg := func(at, iov, buf uint64, n uint64) {
			clear(mem[at : at+56])
			le := binary.LittleEndian
			le.PutUint64(mem[at+16:], base+iov)
			le.PutUint64(mem[at+24:], 1)
			le.PutUint64(mem[iov:], base+buf)
			le.PutUint64(mem[iov+8:], n)
		}
		copy(mem[1700:], "world")
		msg(1536, 1600, 1700, 5)
		msg(1800, 1900, 2000, 64)
		run(1, func(s *rings.SQE) {
			PrepSendmsg(s, 0, base+1536, 0)
			s.Flags |= rings.IOSQE_FIXED_FILE
		})
		run(1, func(s *rings.SQE) { PrepRecvmsg(s, int32(afd), base+1800, 0) })
		tr.Got = append(tr.Got, string(mem[2000:2005]))
		// Multishot recvmsg into a buffer ring of two 128-byte buffers.
		bufs, err := be.Alloc(256)
		if err != nil {
			t.Fatal(err)
		}
		defer be.Free(bufs)
		br, err := r.SetupBufRing(2, 3, 0)
		if err != nil {
			t.Fatalf("%s: SetupBufRing: %v", be.Name(), err)
		}
		for i := range 2 {
			BufRingAdd(br, addrOf(bufs)+uint64(128*i), 128, uint16(i), BufRingMask(2), i)
		}
		BufRingAdvance(br, 2)
		clear(mem[2200:2256])
		sqe := r.GetSQE()
		PrepRecvmsgMultishot(sqe, int32(afd), base+2200, 0)
		sqe.Flags |= rings.IOSQE_BUFFER_SELECT
		sqe.SetBufGroup(3)
		sqe.UserData = 100
		copy(mem[2300:], "again")
		sqe = r.GetSQE()
		PrepSend(sqe, 0, base+2300, 5, 0)
		sqe.Flags |= rings.IOSQE_FIXED_FILE | rings.IOSQE_IO_LINK
		sqe.UserData = 101
		sqe = r.GetSQE()
		PrepShutdown(sqe, 0, unix.SHUT_WR)
		sqe.Flags |= rings.IOSQE_FIXED_FILE
		sqe.UserData = 102
		if _, err := r.Submit(); err != nil {
			t.Fatal(err)
		}
		ms := reapAll(t, r, 4)
		var mshot []cqeRec
		for _, c := range ms {
			if c.UserData == 100 {
				mshot = append(mshot, c)
			}
		}
		if len(mshot) != 2 {
			t.Fatalf("%s: multishot CQEs %v", be.Name(), ms)
		}
		first := mshot[0]
		bid := first.Flags >> rings.IORING_CQE_BUFFER_SHIFT
		b := bufs[128*bid : 128*bid+uint32(first.Res)]
		out, ok := RecvmsgValidate(b, 0, 0)
		tr.Validate = ok && out.Payloadlen == 5 && len(RecvmsgName(b, 0)) == 0
		tr.Got = append(tr.Got, string(RecvmsgPayload(b, 0, 0)))
		// The send, the shutdown on io-wq and the receive's task work
		// may interleave: compare these CQEs by user_data, each one's
		// own in order.
		slices.SortStableFunc(ms, func(a, b cqeRec) int { return int(a.UserData) - int(b.UserData) })
		for _, c := range ms {
			c.Flags &^= rings.IORING_CQE_F_SOCK_NONEMPTY
			tr.CQEs = append(tr.CQEs, c)
		}
		want := []string{"\x01\x00\x00\x00", "hello", "world", "again"}
		if !slices.Equal(tr.Got, want) || !tr.Validate || tr.PeerFam != unix.AF_INET || tr.PeerLen != 16 {
			t.Errorf("%s: %+v, want payloads %q, a valid recvmsg_out, an AF_INET peer of 16 bytes", be.Name(), tr, want)
		}
		return tr
	})
}
