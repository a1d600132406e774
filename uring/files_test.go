package uring

import (
	"encoding/binary"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/sim"
)

// filesDifferential runs f with the FileSys of every simulator variant and
// of the host kernel (files need no io_uring, so the host part always
// runs) and fails when any result differs from the first simulator's.
func filesDifferential[T any](t *testing.T, f func(t *testing.T, fs FileSys) T) {
	t.Helper()
	var first T
	for i, v := range simVariants {
		m := NewSimMachine(v.cfg)
		fs, err := Files(m.Backend())
		if err != nil {
			m.Close()
			t.Fatalf("%s: Files: %v", v.name, err)
		}
		got := f(t, fs)
		m.Close()
		if i == 0 {
			first = got
			continue
		}
		if !reflect.DeepEqual(got, first) {
			t.Errorf("%s differs from %s:\n got  %+v\n want %+v", v.name, simVariants[0].name, got, first)
		}
	}
	fs, err := Files(hostBackend{})
	if err != nil {
		t.Fatalf("host: Files: %v", err)
	}
	if host := f(t, fs); !reflect.DeepEqual(host, first) {
		t.Errorf("simulator and host kernel differ:\n sim  %+v\n host %+v", first, host)
	}
}

// step is one call's outcome as the tests compare it.
type step struct {
	What string
	N    int
	Err  unix.Errno
	Data string
}

func mustPipe(t *testing.T, fs FileSys) (int, int) {
	t.Helper()
	r, w, err := fs.Pipe()
	if err != nil {
		t.Fatalf("Pipe: %v", err)
	}
	return r, w
}

func setNonblock(t *testing.T, fs FileSys, fd int) {
	t.Helper()
	// FileSys has no fcntl: call it on each backend directly.
	switch fs := fs.(type) {
	case hostFiles:
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	case *simFiles:
		fl := kernel.Fcntl(fs.be.task, fd, unix.F_GETFL, 0)
		if ret := kernel.Fcntl(fs.be.task, fd, unix.F_SETFL, uint64(fl|unix.O_NONBLOCK)); fl < 0 || ret < 0 {
			t.Fatalf("fcntl: %d %d", fl, ret)
		}
	}
}

func TestFilesPipe(t *testing.T) {
	filesDifferential(t, func(t *testing.T, fs FileSys) []step {
		var out []step
		r, w := mustPipe(t, fs)
		setNonblock(t, fs, r)
		setNonblock(t, fs, w)
		buf := make([]byte, 100)
		rd := func(what string) {
			n, err := fs.Read(r, buf)
			s := step{What: what, N: n, Err: errnoOfErr(err)}
			if n > 0 {
				s.Data = string(buf[:n])
			}
			out = append(out, s)
		}
		wr := func(what string, fd int, b []byte) {
			n, err := fs.Write(fd, b)
			out = append(out, step{What: what, N: n, Err: errnoOfErr(err)})
		}
		wr("write", w, []byte("hello"))
		wr("write", w, []byte(", world"))
		rd("read")
		rd("read empty")
		big := make([]byte, 100000)
		wr("write 100000", w, big)
		wr("write to full", w, []byte("x"))
		n, err := fs.Read(r, make([]byte, 70000))
		out = append(out, step{What: "drain", N: n, Err: errnoOfErr(err)})
		wr("write after drain", w, []byte("tail"))
		out = append(out, step{What: "close w", Err: errnoOfErr(fs.Close(w))})
		rd("read rest")
		rd("read at EOF")
		out = append(out, step{What: "close r", Err: errnoOfErr(fs.Close(r))})

		r, w = mustPipe(t, fs)
		out = append(out, step{What: "close r", Err: errnoOfErr(fs.Close(r))})
		wr("write without reader", w, []byte("x")) // EPIPE; Go ignores SIGPIPE on such fds
		out = append(out, step{What: "shutdown", Err: errnoOfErr(fs.Shutdown(w, unix.SHUT_WR))})
		out = append(out, step{What: "close w", Err: errnoOfErr(fs.Close(w))})
		out = append(out, step{What: "close again", Err: errnoOfErr(fs.Close(w))})
		return out
	})
}

func TestFilesEventfd(t *testing.T) {
	filesDifferential(t, func(t *testing.T, fs FileSys) []step {
		var out []step
		fd, err := fs.Eventfd(5)
		if err != nil {
			t.Fatalf("Eventfd: %v", err)
		}
		rd := func(what string, n int) {
			b := make([]byte, n)
			got, err := fs.Read(fd, b)
			s := step{What: what, N: got, Err: errnoOfErr(err)}
			if got == 8 {
				s.Data = string(binary.NativeEndian.AppendUint64(nil, binary.NativeEndian.Uint64(b)))
			}
			out = append(out, s)
		}
		wr := func(what string, b []byte) {
			n, err := fs.Write(fd, b)
			out = append(out, step{What: what, N: n, Err: errnoOfErr(err)})
		}
		u64 := func(v uint64) []byte { return binary.NativeEndian.AppendUint64(nil, v) }
		rd("read initval", 8)
		rd("4-byte read", 4)
		wr("4-byte write", []byte{1, 2, 3, 4})
		wr("16-byte write", append(u64(1), u64(2)...))
		wr("write ULLONG_MAX", u64(1<<64-1))
		wr("write 3", u64(3))
		wr("write 4", u64(4))
		rd("16-byte read", 16)
		out = append(out, step{What: "shutdown", Err: errnoOfErr(fs.Shutdown(fd, unix.SHUT_RDWR))})
		out = append(out, step{What: "close", Err: errnoOfErr(fs.Close(fd))})
		return out
	})
}

func TestFilesTempFile(t *testing.T) {
	filesDifferential(t, func(t *testing.T, fs FileSys) []step {
		var out []step
		fd, err := fs.TempFile([]byte("0123456789"), 16)
		if err != nil {
			t.Fatalf("TempFile: %v", err)
		}
		for _, n := range []int{4, 100, 100} {
			b := make([]byte, n)
			got, err := fs.Read(fd, b)
			s := step{What: "read", N: got, Err: errnoOfErr(err)}
			if got > 0 {
				s.Data = string(b[:got])
			}
			out = append(out, s)
		}
		n, err := fs.Write(fd, []byte("tail"))
		out = append(out, step{What: "append at position", N: n, Err: errnoOfErr(err)})
		out = append(out, step{What: "close", Err: errnoOfErr(fs.Close(fd))})

		fd, err = fs.TempFile(nil, 0)
		if err != nil {
			t.Fatalf("TempFile: %v", err)
		}
		n, err = fs.Read(fd, make([]byte, 8))
		out = append(out, step{What: "read empty file", N: n, Err: errnoOfErr(err)})
		fs.Close(fd)
		return out
	})
}

// TestFilesFdinfoRing: the fdinfo of a ring names its SQ mask on both
// backends; a bad descriptor is EBADF.
func TestFilesFdinfoRing(t *testing.T) {
	check := func(t *testing.T, be Backend) {
		fs, err := Files(be)
		if err != nil {
			t.Fatal(err)
		}
		r := mustNew(t, be, 4, nil)
		defer r.Close()
		text, err := fs.Fdinfo(r.FD())
		if err != nil || !strings.Contains(text, "SqMask:\t0x3") {
			t.Errorf("%s: fdinfo %q, %v", be.Name(), text, err)
		}
		if _, err := fs.Fdinfo(1000); err != unix.EBADF {
			t.Errorf("%s: fdinfo of a bad fd: %v", be.Name(), err)
		}
	}
	for _, v := range simVariants {
		onSim(t, v.cfg, func(t *testing.T, be Backend) struct{} { check(t, be); return struct{}{} })
	}
	check(t, hostOrSkip(t))
}

// TestFilesAllocMemory: memory from Alloc is used in place on the
// simulator, any other slice goes through a scratch buffer; both work.
func TestFilesAllocMemory(t *testing.T) {
	m := NewSimMachine(SimConfig{Seed: 1})
	defer m.Close()
	be := m.Backend()
	fs, _ := Files(be)
	r, w := mustPipe(t, fs)
	mem, err := be.Alloc(4096)
	if err != nil {
		t.Fatal(err)
	}
	copy(mem, "from user memory")
	if n, err := fs.Write(w, mem[:16]); n != 16 || err != nil {
		t.Fatalf("write from Alloc'd memory: %d %v", n, err)
	}
	clear(mem)
	if n, err := fs.Read(r, mem[100:200]); n != 16 || err != nil || string(mem[100:116]) != "from user memory" {
		t.Fatalf("read into Alloc'd memory: %d %v %q", n, err, mem[100:116])
	}
	if n, err := fs.Write(w, make([]byte, 20000)); n != 20000 || err != nil {
		t.Fatalf("big write from a Go slice: %d %v", n, err)
	}
	if n, err := fs.Read(r, make([]byte, 30000)); n != 20000 || err != nil {
		t.Fatalf("big read into a Go slice: %d %v", n, err)
	}
}

// TestFilesSimSockets: the simulator's socketpair, listen and socket make
// netdev sockets that behave as the host's do (TestFilesHostSockets), and a
// connect lands on the listener's accept queue.
func TestFilesSimSockets(t *testing.T) {
	m := NewSimMachine(SimConfig{})
	defer m.Close()
	fs, _ := Files(m.Backend())
	checkSockets(t, fs, func(s int, port uint16) error {
		if ret := kernel.Connect(m.Task(), s, SockaddrInet4(loopback4, port)); ret < 0 {
			return unix.Errno(-ret)
		}
		return nil
	})
	l, port, err := fs.Listen()
	if err != nil {
		t.Fatal(err)
	}
	c, _ := fs.Socket()
	if ret := kernel.Connect(m.Task(), c, SockaddrInet4(loopback4, port)); ret != 0 {
		t.Fatalf("connect: %d", ret)
	}
	a := kernel.Accept4(m.Task(), l, 0)
	if a < 0 {
		t.Fatalf("accept: %d", a)
	}
	if n, err := fs.Write(c, []byte("ping")); n != 4 || err != nil {
		t.Fatalf("write: %d %v", n, err)
	}
	buf := make([]byte, 8)
	if n, err := fs.Read(a, buf); n != 4 || err != nil || string(buf[:4]) != "ping" {
		t.Fatalf("read: %d %v %q", n, err, buf[:n])
	}
	if n, err := fs.Read(a, buf); n != -1 || err != unix.EINTR {
		t.Fatalf("blocking read of an empty socket with nothing else to run (a deadlock) = %d %v", n, err)
	}
}

func TestFilesHostSockets(t *testing.T) {
	fs, _ := Files(hostBackend{})
	checkSockets(t, fs, func(s int, port uint16) error {
		return unix.Connect(s, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: int(port)})
	})
}

// checkSockets runs the socket checks on a FileSys; connect connects a
// socket to a loopback port.
func checkSockets(t *testing.T, fs FileSys, connect func(s int, port uint16) error) {
	a, b, err := fs.Socketpair(unix.SOCK_STREAM)
	if err != nil {
		t.Fatalf("Socketpair: %v", err)
	}
	defer fs.Close(a)
	defer fs.Close(b)
	if n, err := fs.Write(a, []byte("hi")); n != 2 || err != nil {
		t.Fatalf("write: %d %v", n, err)
	}
	buf := make([]byte, 8)
	if n, err := fs.Read(b, buf); n != 2 || err != nil || string(buf[:2]) != "hi" {
		t.Fatalf("read: %d %v", n, err)
	}
	if err := fs.Shutdown(a, unix.SHUT_WR); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if n, err := fs.Read(b, buf); n != 0 || err != nil {
		t.Fatalf("read after shutdown: %d %v", n, err)
	}
	l, port, err := fs.Listen()
	if err != nil || port == 0 {
		t.Fatalf("Listen: %d %d %v", l, port, err)
	}
	defer fs.Close(l)
	s, err := fs.Socket()
	if err != nil {
		t.Fatalf("Socket: %v", err)
	}
	defer fs.Close(s)
	if err := connect(s, port); err != nil {
		t.Fatalf("connect: %v", err)
	}
}

// TestFilesSimDeadlock: a blocking read of an empty pipe by the main thread,
// with nothing else able to run, fails with EINTR and the world reports the
// deadlock.
func TestFilesSimDeadlock(t *testing.T) {
	m := NewSimMachine(SimConfig{Seed: 1})
	defer m.Close()
	fs, _ := Files(m.Backend())
	r, _ := mustPipe(t, fs)
	n, err := fs.Read(r, make([]byte, 10))
	if n != -1 || err != unix.EINTR {
		t.Fatalf("read = %d, %v; want EINTR", n, err)
	}
	if m.World().Deadlock() == nil {
		t.Fatal("no deadlock reported")
	}
}

// TestFilesSimWriterWakesReader: the main thread blocks reading an empty
// pipe until a second sim thread writes into it; one seed gives one trace.
func TestFilesSimWriterWakesReader(t *testing.T) {
	run := func(seed uint64) ([]string, string) {
		rec := &sim.Recorder{}
		m := NewSimMachine(SimConfig{Seed: seed, Sink: rec})
		defer m.Close()
		fs, _ := Files(m.Backend())
		r, w := mustPipe(t, fs)
		p := m.Process()
		m.World().Go(m.World().Main(), "writer", func(th *sim.Thread) {
			task := p.NewTask(th)
			th.Sleep(5 * time.Microsecond)
			mem, errno := p.MM.Mmap(4096, "writer")
			if errno != 0 {
				panic(errno)
			}
			copy(mem.Mem, "wake up")
			writeSyscall(task, w, mem.Mem[:7])
		})
		buf := make([]byte, 64)
		n, err := fs.Read(r, buf)
		if err != nil || string(buf[:max(n, 0)]) != "wake up" {
			t.Fatalf("seed %d: read = %d, %v, %q", seed, n, err, buf[:max(n, 0)])
		}
		if d := m.World().Deadlock(); d != nil {
			t.Fatalf("seed %d: deadlock %v", seed, d)
		}
		var trace []string
		for _, e := range rec.Events {
			trace = append(trace, e.Time.String()+" "+e.ThreadName+" "+e.Name)
		}
		return trace, string(buf[:n])
	}
	for seed := uint64(1); seed <= 5; seed++ {
		a, _ := run(seed)
		b, _ := run(seed)
		if !slices.Equal(a, b) {
			t.Fatalf("seed %d: traces differ:\n%v\n%v", seed, a, b)
		}
		if len(a) == 0 {
			t.Fatalf("seed %d: empty trace", seed)
		}
	}
}

func TestFilesUnknownBackend(t *testing.T) {
	if _, err := Files(nil); !errors.Is(err, unix.EINVAL) {
		t.Errorf("Files(nil): %v", err)
	}
}

// writeSyscall is write(2) by another task of the machine's process.
func writeSyscall(task *kernel.Task, fd int, b []byte) int {
	return kernel.Write(task, fd, addrOf(b), uint64(len(b)))
}

func TestFilesSleep(t *testing.T) {
	m := NewSimMachine(SimConfig{})
	defer m.Close()
	fs, _ := Files(m.Backend())
	before := m.World().Now()
	fs.Sleep(time.Second)
	if got := m.World().Now() - before; got < time.Second {
		t.Errorf("virtual clock advanced %v, want >= 1s", got)
	}
}
