package vfs_test

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

func world(t *testing.T) *sim.Thread {
	w := sim.NewWorld(sim.Config{Seed: 1})
	t.Cleanup(w.Shutdown)
	return w.Main()
}

// TestNowait: with nonblock (IOCB_NOWAIT) a read or write that would
// block is -EAGAIN even on a blocking file, as io_uring's first attempt
// needs.
func TestNowait(t *testing.T) {
	th := world(t)
	r, w, errno := vfs.NewPipe(1, 2, 0)
	if errno != 0 {
		t.Fatal(errno)
	}
	buf := make([]byte, 8)
	if n := vfs.Read(th, r, buf, nil, true); n != -int(unix.EAGAIN) {
		t.Errorf("nowait read of an empty pipe: %d", n)
	}
	big := make([]byte, 1<<17)
	if n := vfs.Write(th, w, big, nil, true); n != 1<<16 {
		t.Errorf("nowait write into an empty pipe: %d", n)
	}
	if n := vfs.Write(th, w, big, nil, true); n != -int(unix.EAGAIN) {
		t.Errorf("nowait write into a full pipe: %d", n)
	}
	for _, f := range []*vfs.File{r, w} {
		if f.FMode&(vfs.FMODE_NOWAIT|vfs.FMODE_STREAM) != vfs.FMODE_NOWAIT|vfs.FMODE_STREAM || f.FMode&vfs.FMODE_LSEEK != 0 {
			t.Errorf("pipe f_mode %#x", f.FMode)
		}
	}
	if vfs.Llseek(th, r, 0, unix.SEEK_SET) != -int64(unix.ESPIPE) {
		t.Error("pipe is seekable")
	}

	e, _ := vfs.NewEventfd(3, 0, 0)
	if n := vfs.Read(th, e, buf, &e.Pos, true); n != -int(unix.EAGAIN) {
		t.Errorf("nowait eventfd read at 0: %d", n)
	}
	binary.NativeEndian.PutUint64(buf, 1<<64-2)
	if n := vfs.Write(th, e, buf, &e.Pos, true); n != 8 {
		t.Errorf("eventfd write: %d", n)
	}
	binary.NativeEndian.PutUint64(buf, 1)
	if n := vfs.Write(th, e, buf, &e.Pos, true); n != -int(unix.EAGAIN) {
		t.Errorf("nowait overflowing eventfd write: %d", n)
	}
	ctx, errno := vfs.EventfdCtxFileget(e)
	if errno != 0 || ctx.Count() != 1<<64-2 {
		t.Fatalf("eventfd ctx %v %d", ctx, errno)
	}
	if m := vfs.Poll(th, e, nil); m != rings.EPOLLIN {
		t.Errorf("eventfd at ULLONG_MAX-1: mask %#x", m)
	}
	ctx.SignalMask(th, 0)
	if m := vfs.Poll(th, e, nil); m != rings.EPOLLIN|rings.EPOLLERR {
		t.Errorf("eventfd at ULLONG_MAX: mask %#x", m)
	}
	if _, errno := vfs.EventfdCtxFileget(r); errno != -int(unix.EINVAL) {
		t.Errorf("EventfdCtxFileget of a pipe: %d", errno)
	}
	if _, errno := vfs.NewEventfd(4, 0, 1<<20); errno != -int(unix.EINVAL) {
		t.Errorf("eventfd with bad flags: %d", errno)
	}
}

// TestTmpfile checks positional I/O, O_APPEND, sparse extension and the
// regular-file poll mask (DEFAULT_POLLMASK, no poll operation).
func TestTmpfile(t *testing.T) {
	th := world(t)
	f := vfs.NewTmpfile(1, unix.O_RDWR|unix.O_APPEND, []byte("abc"))
	if vfs.CanPoll(f) || vfs.Poll(th, f, nil) != vfs.DEFAULT_POLLMASK {
		t.Error("a tmpfs file has a poll operation")
	}
	pos := int64(1 << 40)
	if n := vfs.Write(th, f, []byte("de"), &pos, false); n != 2 || pos != 5 {
		t.Errorf("O_APPEND write: %d at %d", n, pos)
	}
	g := vfs.NewTmpfile(2, unix.O_RDWR, nil)
	pos = 1 << 40
	if n := vfs.Write(th, g, []byte("x"), &pos, false); n != 1 {
		t.Errorf("far write: %d", n)
	}
	sz := g.Op.(vfs.Sizer).Size(g)
	if sz != 1<<40+1 {
		t.Errorf("size %d", sz)
	}
	buf := []byte{9, 9, 9}
	pos = 1<<40 - 2
	if n := vfs.Read(th, g, buf, &pos, false); n != 3 || buf[0] != 0 || buf[1] != 0 || buf[2] != 'x' {
		t.Errorf("read across the hole: %d %q", n, buf)
	}
	pos = -1
	if n := vfs.Read(th, g, buf, &pos, false); n != -int(unix.EINVAL) {
		t.Errorf("read at -1: %d", n)
	}
	ro := vfs.NewTmpfile(3, unix.O_RDONLY, nil)
	if n := vfs.Write(th, ro, buf, &ro.Pos, false); n != -int(unix.EBADF) {
		t.Errorf("write to O_RDONLY: %d", n)
	}
}
