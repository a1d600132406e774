package vfs_test

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/vfs"
)

func newIDs() func() uint64 {
	var id uint64
	return func() uint64 { id++; return id }
}

// hostPair is a host socketpair as two host socket files.
func hostPair(t *testing.T, typ int) (a, b *vfs.File, sa, sb vfs.Socket) {
	th := world(t)
	a, b, errno := vfs.HostNetStack{}.Socketpair(th, unix.AF_UNIX, typ, 0, 0, newIDs())
	if errno != 0 {
		t.Fatalf("socketpair: %d", errno)
	}
	t.Cleanup(func() { a.Put(th); b.Put(th) })
	sa, sb = vfs.SockFromFile(a), vfs.SockFromFile(b)
	if sa == nil || sb == nil {
		t.Fatal("a host socket file has no socket layer")
	}
	return a, b, sa, sb
}

// TestHostSocketStream: a host stream socket sends and receives through
// vfs.Socket with the host's results: what is left queued (msg_inq),
// -EAGAIN when empty with MSG_DONTWAIT, end of stream after shutdown.
func TestHostSocketStream(t *testing.T) {
	th := world(t)
	a, b, sa, sb := hostPair(t, unix.SOCK_STREAM)
	if sa.Family() != unix.AF_UNIX || sa.Type() != unix.SOCK_STREAM || sa.SupportsZC() {
		t.Errorf("family %d type %d zc %v", sa.Family(), sa.Type(), sa.SupportsZC())
	}
	if n := sa.Sendmsg(th, a, &vfs.Msghdr{Iov: [][]byte{[]byte("hel"), []byte("lo!")}}, unix.MSG_DONTWAIT); n != 6 {
		t.Fatalf("send: %d", n)
	}
	buf := make([]byte, 4)
	m := &vfs.Msghdr{Iov: [][]byte{buf}, GetInq: true}
	if n := sb.Recvmsg(th, b, m, unix.MSG_DONTWAIT); n != 4 || string(buf) != "hell" || m.Inq != 2 {
		t.Errorf("recv: %d %q inq %d", n, buf, m.Inq)
	}
	m = &vfs.Msghdr{Iov: [][]byte{buf}, GetInq: true}
	if n := sb.Recvmsg(th, b, m, unix.MSG_DONTWAIT); n != 2 || m.Inq != 0 {
		t.Errorf("recv rest: %d inq %d", n, m.Inq)
	}
	if n := sb.Recvmsg(th, b, &vfs.Msghdr{Iov: [][]byte{buf}}, unix.MSG_DONTWAIT); n != -int(unix.EAGAIN) {
		t.Errorf("recv of an empty socket: %d", n)
	}
	if n := sb.Ioctl(th, b, unix.SIOCOUTQ); n != 0 {
		t.Errorf("SIOCOUTQ: %d", n)
	}
	if r := sa.Shutdown(th, a, unix.SHUT_WR); r != 0 {
		t.Fatalf("shutdown: %d", r)
	}
	if n := sb.Recvmsg(th, b, &vfs.Msghdr{Iov: [][]byte{buf}}, 0); n != 0 {
		t.Errorf("recv after the peer's shutdown: %d", n)
	}
	if r := sa.Shutdown(th, a, 7); r != -int(unix.EINVAL) {
		t.Errorf("shutdown how=7: %d", r)
	}
}

// TestHostSocketDatagram: a cut datagram reports MSG_TRUNC, and with
// MSG_TRUNC its full length; a datagram socket reports no msg_inq.
func TestHostSocketDatagram(t *testing.T) {
	th := world(t)
	a, b, sa, sb := hostPair(t, unix.SOCK_DGRAM)
	for range 2 {
		if n := sa.Sendmsg(th, a, &vfs.Msghdr{Iov: [][]byte{[]byte("0123456789")}}, 0); n != 10 {
			t.Fatalf("send: %d", n)
		}
	}
	buf := make([]byte, 4)
	m := &vfs.Msghdr{Iov: [][]byte{buf}, GetInq: true}
	if n := sb.Recvmsg(th, b, m, 0); n != 4 || m.Flags&unix.MSG_TRUNC == 0 || m.Inq != -1 {
		t.Errorf("recv: %d flags %#x inq %d", n, m.Flags, m.Inq)
	}
	m = &vfs.Msghdr{Iov: [][]byte{buf}}
	if n := sb.Recvmsg(th, b, m, unix.MSG_TRUNC); n != 10 {
		t.Errorf("recv with MSG_TRUNC: %d", n)
	}
}

// TestHostSocketTCP: socket, bind, listen, connect and accept on host
// TCP sockets; the accepted file is a host socket, the peer's address
// comes back, the listener's queue is reported empty.
func TestHostSocketTCP(t *testing.T) {
	th := world(t)
	ns := vfs.HostNetStack{}
	ids := newIDs()
	lf, errno := ns.Socket(th, unix.AF_INET, unix.SOCK_STREAM, 0, 0, ids)
	if errno != 0 {
		t.Fatal(errno)
	}
	defer lf.Put(th)
	ls := vfs.SockFromFile(lf)
	addr := make([]byte, 16)
	binary.LittleEndian.PutUint16(addr, unix.AF_INET)
	copy(addr[4:], []byte{127, 0, 0, 1})
	if r := ls.Bind(th, lf, addr); r != 0 {
		t.Fatalf("bind: %d", r)
	}
	if r := ls.Bind(th, lf, addr[:3]); r != -int(unix.EINVAL) {
		t.Errorf("bind of a short address: %d", r)
	}
	if r := ls.Listen(th, lf, 4); r != 0 {
		t.Fatalf("listen: %d", r)
	}
	if n := ls.Getname(th, lf, addr, false); n != 16 || binary.BigEndian.Uint16(addr[2:]) == 0 {
		t.Fatalf("getsockname: %d %v", n, addr)
	}
	var arg vfs.AcceptArg
	arg.Flags, arg.IsEmpty = unix.O_NONBLOCK, -1
	if _, _, e := ls.Accept(th, lf, &arg, nil); e != -int(unix.EAGAIN) {
		t.Errorf("accept of an empty queue: %d", e)
	}
	cf, errno := ns.Socket(th, unix.AF_INET, unix.SOCK_STREAM, 0, unix.SOCK_NONBLOCK, ids)
	if errno != 0 {
		t.Fatal(errno)
	}
	defer cf.Put(th)
	cs := vfs.SockFromFile(cf)
	if r := cs.Connect(th, cf, addr, true); r != 0 && r != -int(unix.EINPROGRESS) {
		t.Fatalf("connect: %d", r)
	}
	if cf.Flags&unix.O_NONBLOCK == 0 || !cs.SupportsZC() {
		t.Errorf("client flags %#x zc %v", cf.Flags, cs.SupportsZC())
	}
	peer := make([]byte, 128)
	arg = vfs.AcceptArg{FileFlags: unix.SOCK_NONBLOCK, IsEmpty: -1, NewID: 99}
	nf, n, e := ls.Accept(th, lf, &arg, peer)
	if e != 0 {
		t.Fatalf("accept: %d", e)
	}
	defer nf.Put(th)
	if vfs.SockFromFile(nf) == nil || nf.ID != 99 || nf.Flags&unix.O_NONBLOCK == 0 || n != 16 ||
		binary.LittleEndian.Uint16(peer) != unix.AF_INET || arg.IsEmpty != 1 {
		t.Errorf("accepted: sock %v id %d flags %#x peer len %d family %d is_empty %d",
			vfs.SockFromFile(nf) != nil, nf.ID, nf.Flags, n, binary.LittleEndian.Uint16(peer), arg.IsEmpty)
	}
	// A connect that was in progress reports 0 once it is done, then
	// -EISCONN (__inet_stream_connect's SS_CONNECTING, SS_CONNECTED).
	r := cs.Connect(th, cf, addr, true)
	if r == 0 {
		r = cs.Connect(th, cf, addr, true)
	}
	if r != -int(unix.EISCONN) || cs.SockError(th) != 0 {
		t.Errorf("connect again: %d", r)
	}
	val := make([]byte, 4)
	if n := cs.Getsockopt(th, cf, unix.SOL_SOCKET, unix.SO_TYPE, val); n != 4 || binary.NativeEndian.Uint32(val) != unix.SOCK_STREAM {
		t.Errorf("SO_TYPE: %d %v", n, val)
	}
	binary.NativeEndian.PutUint32(val, 1)
	if r := cs.Setsockopt(th, cf, unix.IPPROTO_TCP, unix.TCP_NODELAY, val); r != 0 {
		t.Errorf("TCP_NODELAY: %d", r)
	}
}

// TestHostEventfd: a host eventfd is an eventfd to io_uring, and a
// signal adds 1 to the host's counter.
func TestHostEventfd(t *testing.T) {
	th := world(t)
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	dup, _ := unix.Dup(fd)
	defer unix.Close(fd)
	f, err := vfs.NewHostFile(dup, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Put(th)
	ctx, errno := vfs.EventfdCtxFileget(f)
	if errno != 0 {
		t.Fatalf("eventfd_ctx_fileget: %d", errno)
	}
	ctx.SignalMask(th, 0)
	ctx.SignalMask(th, 0)
	buf := make([]byte, 8)
	if n, err := unix.Read(fd, buf); n != 8 || err != nil || binary.NativeEndian.Uint64(buf) != 2 {
		t.Errorf("counter after two signals: %d %v %d", n, err, binary.NativeEndian.Uint64(buf))
	}
	p, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	unix.Close(p[1])
	sf, err := vfs.NewHostFile(p[0], 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Put(th)
	if _, errno := vfs.EventfdCtxFileget(sf); errno != -int(unix.EINVAL) {
		t.Errorf("a socket as an eventfd: %d", errno)
	}
}

// TestFDTableOutside: a host file takes the number outside gives, closing
// a simulated file there; a simulated file takes the lowest free one.
func TestFDTableOutside(t *testing.T) {
	th := world(t)
	var ft vfs.FDTable
	var asked []bool
	ft.SetOutside(func(f *vfs.File, cloexec bool) int { asked = append(asked, cloexec); return 1 })
	sim1, _ := vfs.NewEventfd(1, 0, 0)
	sim2, _ := vfs.NewEventfd(2, 0, 0)
	if fd := ft.Install(th, sim1); fd != 0 {
		t.Fatalf("simulated file at %d", fd)
	}
	if fd := ft.Install(th, sim2); fd != 1 {
		t.Fatalf("simulated file at %d", fd)
	}
	p, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	unix.Close(p[1])
	hf, err := vfs.NewHostFile(p[0], 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fd := ft.InstallFlags(th, hf, unix.O_CLOEXEC); fd != 1 || len(asked) != 1 || !asked[0] {
		t.Fatalf("host file at %d, outside asked %v", fd, asked)
	}
	if sim2.Refs() != 0 || ft.Peek(1) != hf {
		t.Errorf("the displaced file has %d references", sim2.Refs())
	}
	if c, _ := ft.CloseOnExec(th, 1); !c {
		t.Error("close-on-exec lost")
	}
	ft.CloseAll(th)
}
