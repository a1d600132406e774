package uring

import (
	"encoding/binary"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// TestPrepSendZC: a zero-copy send over TCP posts its result with
// IORING_CQE_F_MORE, then a notification CQE (same user_data,
// IORING_CQE_F_NOTIF; with IORING_SEND_ZC_REPORT_USAGE its res says the
// data was copied, as it always is over loopback). A failure after prep
// allocated the notification (bad ioprio flags; at issue a socket without
// zero-copy support or no socket at all) still posts both; one before it
// (addr3, IOSQE_CQE_SKIP_SUCCESS) posts a plain error. SENDMSG_ZC and a
// send from io-wq behave the same, and the peer gets every byte.
func TestPrepSendZC(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []cqeRec {
		r := mustNew(t, be, 16, nil)
		defer r.Close()
		fs, pr, pw, closePipe := openPipe(t, be)
		defer closePipe()
		_ = pw
		ua, ub, err := fs.Socketpair(unix.SOCK_STREAM)
		if err != nil {
			t.Fatal(err)
		}
		defer fs.Close(ua)
		defer fs.Close(ub)
		mem := mustAlloc(t, be, 4096)
		defer be.Free(mem)
		base := addrOf(mem)
		copy(mem[256:], "hello")
		out, cfd, afd, done := zcConn(t, be, r, fs, mem)
		defer done()
		ud := uint64(2)
		one := func(n int, prep func(*rings.SQE)) []cqeRec {
			ud++
			got := submitOne(t, r, ud, false, prep)
			got = append(got, reapAll(t, r, n)...)
			out = append(out, got...)
			return got
		}
		send := func(fd int32, zc uint16) func(*rings.SQE) {
			return func(s *rings.SQE) { PrepSendZC(s, fd, base+256, 5, 0, zc) }
		}
		one(2, send(int32(cfd), 0))
		one(2, send(int32(cfd), rings.IORING_SEND_ZC_REPORT_USAGE))
		one(2, send(int32(cfd), 1<<7))
		one(1, func(s *rings.SQE) { send(int32(cfd), 0)(s); s.Addr3 = 1 })
		one(1, func(s *rings.SQE) { send(int32(cfd), 0)(s); s.Flags |= rings.IOSQE_CQE_SKIP_SUCCESS })
		one(2, send(int32(ua), 0))
		one(2, send(int32(pr), 0))
		one(2, func(s *rings.SQE) { send(int32(cfd), 0)(s); s.Flags |= rings.IOSQE_ASYNC })
		// struct msghdr at 512 with one iovec at 600 of the same bytes.
		le := binary.LittleEndian
		le.PutUint64(mem[512+16:], base+600)
		le.PutUint64(mem[512+24:], 1)
		le.PutUint64(mem[600:], base+256)
		le.PutUint64(mem[608:], 5)
		one(2, func(s *rings.SQE) { PrepSendmsgZC(s, int32(cfd), base+512, 0) })
		more, notif := uint32(rings.IORING_CQE_F_MORE), uint32(rings.IORING_CQE_F_NOTIF)
		copied := int32(-1 << 31) // IORING_NOTIF_USAGE_ZC_COPIED
		want := []cqeRec{{1, 0, 0}, {2, 1, 0},
			{3, 5, more}, {3, 0, notif},
			{4, 5, more}, {4, copied, notif},
			{5, -int32(unix.EINVAL), more}, {5, 0, notif},
			{6, -int32(unix.EINVAL), 0},
			{7, -int32(unix.EINVAL), 0},
			{8, -int32(unix.EOPNOTSUPP), more}, {8, 0, notif},
			{9, -int32(unix.ENOTSOCK), more}, {9, 0, notif},
			{10, 5, more}, {10, 0, notif},
			{11, 5, more}, {11, 0, notif},
		}
		if len(out) != len(want) {
			t.Fatalf("%s: CQEs %v, want %v", be.Name(), out, want)
		}
		for i := range want {
			if out[i] != want[i] {
				t.Errorf("%s: CQE %d = %v, want %v", be.Name(), i, out[i], want[i])
			}
		}
		if got := readPeer(t, be, fs, afd, 20); got != "hellohellohellohello" {
			t.Errorf("%s: the peer got %q", be.Name(), got)
		}
		return out
	})
}

// TestPrepSendZCFixed: a SEND_ZC with IORING_RECVSEND_FIXED_BUF sends from
// a registered buffer (its result with IORING_CQE_F_MORE, then the
// notification); a buffer index past the table, a range running past the
// buffer and a ring with no buffer table fail at issue with -EFAULT, still
// posting the notification.
// Liburing: test/send-zerocopy.c (fixed buffers)
func TestPrepSendZCFixed(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []cqeRec {
		r := mustNew(t, be, 16, nil)
		defer r.Close()
		bare := mustNew(t, be, 8, nil)
		defer bare.Close()
		fs, mem := zcFixedBuffer(t, be, r)
		defer be.Free(mem)
		base := addrOf(mem)
		out, cfd, afd, done := zcConn(t, be, r, fs, mem)
		defer done()
		ud := uint64(2)
		one := func(r *Ring, n int, prep func(*rings.SQE)) {
			ud++
			out = append(out, submitOne(t, r, ud, false, prep)...)
			out = append(out, reapAll(t, r, n)...)
		}
		fixed := func(addr uint64, n uint32, idx uint16) func(*rings.SQE) {
			return func(s *rings.SQE) { PrepSendZCFixed(s, int32(cfd), addr, n, 0, 0, idx) }
		}
		one(r, 2, fixed(base+4096, 5, 0))
		one(r, 2, fixed(base+4096+6, 6, 0))
		one(r, 2, fixed(base+4096, 5, 1))
		one(r, 2, fixed(base+8190, 5, 0))
		one(r, 2, fixed(base+4096, 5, 0))
		one(bare, 2, fixed(base+4096, 5, 0))
		more, notif := uint32(rings.IORING_CQE_F_MORE), uint32(rings.IORING_CQE_F_NOTIF)
		efault := -int32(unix.EFAULT)
		want := []cqeRec{{1, 0, 0}, {2, 1, 0},
			{3, 5, more}, {3, 0, notif},
			{4, 6, more}, {4, 0, notif},
			{5, efault, more}, {5, 0, notif},
			{6, efault, more}, {6, 0, notif},
			{7, 5, more}, {7, 0, notif},
			{8, efault, more}, {8, 0, notif},
		}
		if !slices.Equal(out, want) {
			t.Errorf("%s: CQEs %v, want %v", be.Name(), out, want)
		}
		if got := readPeer(t, be, fs, afd, 16); got != "fixedbufferfixed" {
			t.Errorf("%s: the peer got %q", be.Name(), got)
		}
		return out
	})
}

// TestPrepSendmsgZCFixed: a SENDMSG_ZC with IORING_RECVSEND_FIXED_BUF
// sends its iovecs, each a range of the registered buffer, with
// IORING_CQE_F_MORE and the notification; an iovec running past the
// buffer, and a buffer index past the table, fail at issue with -EFAULT,
// still posting the notification.
// Liburing: test/vec-regbuf.c, test/sendzc-bug.c
func TestPrepSendmsgZCFixed(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []cqeRec {
		r := mustNew(t, be, 16, nil)
		defer r.Close()
		fs, mem := zcFixedBuffer(t, be, r)
		defer be.Free(mem)
		base := addrOf(mem)
		out, cfd, afd, done := zcConn(t, be, r, fs, mem)
		defer done()
		// struct msghdr at 64 (msg_iov at +16, msg_iovlen at +24), its
		// iovecs at 128.
		le := binary.LittleEndian
		msg := func(iov ...[2]uint64) uint64 {
			clear(mem[64:256])
			le.PutUint64(mem[64+16:], base+128)
			le.PutUint64(mem[64+24:], uint64(len(iov)))
			for i, v := range iov {
				le.PutUint64(mem[128+16*i:], v[0])
				le.PutUint64(mem[128+16*i+8:], v[1])
			}
			return base + 64
		}
		ud := uint64(2)
		one := func(m uint64, idx uint16) {
			ud++
			out = append(out, submitOne(t, r, ud, false, func(s *rings.SQE) { PrepSendmsgZCFixed(s, int32(cfd), m, 0, idx) })...)
			out = append(out, reapAll(t, r, 2)...)
		}
		one(msg([2]uint64{base + 4096, 5}, [2]uint64{base + 4096 + 6, 6}), 0)
		one(msg([2]uint64{base + 4096, 5}, [2]uint64{base + 8190, 5}), 0)
		one(msg([2]uint64{base + 4096, 5}), 1)
		more, notif := uint32(rings.IORING_CQE_F_MORE), uint32(rings.IORING_CQE_F_NOTIF)
		efault := -int32(unix.EFAULT)
		want := []cqeRec{{1, 0, 0}, {2, 1, 0},
			{3, 11, more}, {3, 0, notif},
			{4, efault, more}, {4, 0, notif},
			{5, efault, more}, {5, 0, notif},
		}
		if !slices.Equal(out, want) {
			t.Errorf("%s: CQEs %v, want %v", be.Name(), out, want)
		}
		if got := readPeer(t, be, fs, afd, 11); got != "fixedbuffer" {
			t.Errorf("%s: the peer got %q", be.Name(), got)
		}
		return out
	})
}

// zcConn connects a TCP socket to a fresh listener through r: the CONNECT
// and ACCEPT CQEs (user_data 1 and 2, the accepted descriptor recorded as
// 1, its number differing between backends) and the client and accepted
// descriptors; the sockaddr goes at mem[0:16]. done closes all three.
func zcConn(t *testing.T, be Backend, r *Ring, fs FileSys, mem []byte) (out []cqeRec, cfd, afd int, done func()) {
	t.Helper()
	lfd, port, err := fs.Listen()
	if err != nil {
		t.Fatalf("%s: Listen: %v", be.Name(), err)
	}
	cfd, err = fs.Socket()
	if err != nil {
		t.Fatal(err)
	}
	base := addrOf(mem)
	copy(mem, SockaddrInet4([4]byte{127, 0, 0, 1}, port))
	out = append(out, submitOne(t, r, 1, false, func(s *rings.SQE) { PrepConnect(s, int32(cfd), base, 16) })...)
	out = append(out, reapAll(t, r, 1)...)
	out = append(out, submitOne(t, r, 2, false, func(s *rings.SQE) { PrepAccept(s, int32(lfd), 0, 0, unix.SOCK_CLOEXEC) })...)
	out = append(out, reapAll(t, r, 1)...)
	afd = int(out[len(out)-1].Res)
	if afd < 0 {
		t.Fatalf("%s: accept: %v", be.Name(), out)
	}
	out[len(out)-1].Res = 1
	return out, cfd, afd, func() { fs.Close(afd); fs.Close(cfd); fs.Close(lfd) }
}

// zcFixedBuffer allocates 8 KiB of user memory and registers its second
// page, which starts "fixed-buffer", as r's buffer 0; the caller frees mem.
func zcFixedBuffer(t *testing.T, be Backend, r *Ring) (fs FileSys, mem []byte) {
	t.Helper()
	fs, err := Files(be)
	if err != nil {
		t.Fatal(err)
	}
	mem = mustAlloc(t, be, 8192)
	copy(mem[4096:], "fixed-buffer")
	if err := r.RegisterBuffers([]Iovec{IovecOf(mem[4096:])}); err != nil {
		be.Free(mem)
		t.Fatalf("%s: RegisterBuffers: %v", be.Name(), err)
	}
	return fs, mem
}

// readPeer reads n bytes from fd.
func readPeer(t *testing.T, be Backend, fs FileSys, fd, n int) string {
	t.Helper()
	got := make([]byte, n)
	for total := 0; total < n; {
		k, err := fs.Read(fd, got[total:])
		if err != nil || k == 0 {
			t.Fatalf("%s: read after %d bytes: %d, %v", be.Name(), total, k, err)
		}
		total += k
	}
	return string(got)
}
