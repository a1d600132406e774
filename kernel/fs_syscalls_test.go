package kernel_test

import (
	"bytes"
	"encoding/binary"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/opdef"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// fsEnv is one simulated process with a page of user memory.
type fsEnv struct {
	t    *testing.T
	w    *sim.World
	k    *kernel.Kernel
	p    *kernel.Process
	task *kernel.Task
	mem  []byte
}

func newFSEnv(t *testing.T, cfg sim.Config) *fsEnv {
	t.Helper()
	w := sim.NewWorld(cfg)
	k := kernel.New(w, &opdef.Table)
	p := k.NewProcess(w.Main())
	m, errno := p.MM.Mmap(1<<17, "test")
	if errno != 0 {
		t.Fatalf("mmap: %d", errno)
	}
	e := &fsEnv{t: t, w: w, k: k, p: p, task: p.NewTask(w.Main()), mem: m.Mem}
	t.Cleanup(func() {
		w.Shutdown()
		p.MM.Release()
	})
	return e
}

func (e *fsEnv) addr(off int) uint64 { return uint64(uintptr(unsafe.Pointer(&e.mem[off]))) }

// write writes b (copied to user memory at offset 0) to fd.
func (e *fsEnv) write(fd int, b []byte) int {
	copy(e.mem, b)
	return kernel.Write(e.task, fd, e.addr(0), uint64(len(b)))
}

// read reads up to n bytes from fd (into user memory at offset 1<<16).
func (e *fsEnv) read(fd int, n int) ([]byte, int) {
	ret := kernel.Read(e.task, fd, e.addr(1<<16), uint64(n))
	if ret < 0 {
		return nil, ret
	}
	return bytes.Clone(e.mem[1<<16 : 1<<16+ret]), ret
}

func (e *fsEnv) pipe(flags uint32) (int, int) {
	e.t.Helper()
	r, w, errno := kernel.Pipe2(e.task, flags)
	if errno != 0 {
		e.t.Fatalf("pipe2: %d", errno)
	}
	return r, w
}

func want(t *testing.T, what string, got, exp int) {
	t.Helper()
	if got != exp {
		t.Errorf("%s = %d, want %d", what, got, exp)
	}
}

func TestPipeBasics(t *testing.T) {
	e := newFSEnv(t, sim.Config{Seed: 1})
	r, w := e.pipe(unix.O_NONBLOCK)
	want(t, "read fd", r, 3) // after stdin, stdout, stderr
	want(t, "write fd", w, 4)
	want(t, "write", e.write(w, []byte("hello")), 5)
	got, n := e.read(r, 100)
	if n != 5 || string(got) != "hello" {
		t.Fatalf("read = %q, %d", got, n)
	}
	_, n = e.read(r, 10)
	want(t, "read empty nonblocking", n, -kernel.EAGAIN)
	_, n = e.read(w, 10)
	want(t, "read of write end", n, -kernel.EBADF)
	want(t, "write of read end", e.write(r, []byte("x")), -kernel.EBADF)
	want(t, "read 0 bytes", kernel.Read(e.task, r, 0, 0), 0)
	want(t, "read to unmapped", kernel.Read(e.task, r, 4096, 1), -kernel.EFAULT)
	want(t, "lseek", int(kernel.Lseek(e.task, r, 0, unix.SEEK_CUR)), -int(unix.ESPIPE))
	want(t, "fsync", kernel.Fsync(e.task, r, false), -kernel.EINVAL)
	want(t, "ftruncate", kernel.Ftruncate(e.task, w, 0), -kernel.EINVAL)
	want(t, "shutdown", kernel.Shutdown(e.task, r, unix.SHUT_RD), -int(unix.ENOTSOCK))
	want(t, "shutdown bad fd", kernel.Shutdown(e.task, 99, unix.SHUT_RD), -kernel.EBADF)
	want(t, "read bad fd", kernel.Read(e.task, 99, e.addr(0), 1), -kernel.EBADF)

	// EOF once the writer is gone, EPIPE once the reader is.
	want(t, "write", e.write(w, []byte("ab")), 2)
	want(t, "close w", kernel.Close(e.task, w), 0)
	_, n = e.read(r, 10)
	want(t, "read after writer close", n, 2)
	_, n = e.read(r, 10)
	want(t, "read at EOF", n, 0)
	r2, w2 := e.pipe(0)
	want(t, "close r", kernel.Close(e.task, r2), 0)
	want(t, "write without reader", e.write(w2, []byte("x")), -int(unix.EPIPE))

	_, _, errno := kernel.Pipe2(e.task, unix.O_RDWR|unix.O_APPEND)
	want(t, "pipe2 bad flags", errno, -kernel.EINVAL)
}

func TestPipeCloexec(t *testing.T) {
	e := newFSEnv(t, sim.Config{})
	r, w := e.pipe(unix.O_CLOEXEC)
	for _, fd := range []int{r, w} {
		ce, errno := e.p.Files.CloseOnExec(e.task.Thread, fd)
		if !ce || errno != 0 {
			t.Errorf("fd %d: close-on-exec %v %d", fd, ce, errno)
		}
	}
	f := e.p.Files.Get(e.task.Thread, r)
	defer f.Put(e.task.Thread)
	if f.Flags != unix.O_RDONLY {
		t.Errorf("read end f_flags %#o", f.Flags)
	}
}

// TestPipeCapacity checks the 16-page ring with Linux's merging of small
// writes: the same numbers as the host kernel gives.
func TestPipeCapacity(t *testing.T) {
	e := newFSEnv(t, sim.Config{})
	r, w := e.pipe(unix.O_NONBLOCK)
	big := bytes.Repeat([]byte("y"), 100000)
	want(t, "big write", e.write(w, big), 65536)
	want(t, "write to full", e.write(w, []byte("y")), -kernel.EAGAIN)
	_, n := e.read(r, 10)
	want(t, "read 10", n, 10)
	want(t, "write with a partly read first page", e.write(w, []byte("y")), -kernel.EAGAIN)
	_, n = e.read(r, 4096)
	want(t, "read 4096", n, 4096)
	want(t, "write 1", e.write(w, []byte("y")), 1)
	want(t, "write 5000 merges 904", e.write(w, big[:5000]), 904)

	// 1-byte writes merge into one page each until 64 KiB.
	r, w = e.pipe(unix.O_NONBLOCK)
	total := 0
	for e.write(w, []byte("z")) == 1 {
		total++
	}
	want(t, "1-byte writes", total, 65536)
	p := vfs.PipeOf(e.p.Files.Get(e.task.Thread, r))
	want(t, "FIONREAD", p.Len(e.task.Thread), 65536)
}

func TestPipePacketMode(t *testing.T) {
	e := newFSEnv(t, sim.Config{})
	r, w := e.pipe(unix.O_NONBLOCK | unix.O_DIRECT)
	want(t, "write", e.write(w, []byte("abc")), 3)
	want(t, "write", e.write(w, []byte("defg")), 4)
	got, n := e.read(r, 100)
	if n != 3 || string(got) != "abc" {
		t.Errorf("first packet %q", got)
	}
	got, n = e.read(r, 2)
	if n != 2 || string(got) != "de" {
		t.Errorf("second packet, truncated: %q", got)
	}
	_, n = e.read(r, 100)
	want(t, "rest of a packet is dropped", n, -kernel.EAGAIN)
}

func u64(v uint64) []byte { return binary.NativeEndian.AppendUint64(nil, v) }

func TestEventfd(t *testing.T) {
	e := newFSEnv(t, sim.Config{})
	fd := kernel.Eventfd2(e.task, 3, vfs.EFD_NONBLOCK)
	if fd < 0 {
		t.Fatalf("eventfd2: %d", fd)
	}
	got, n := e.read(fd, 8)
	if n != 8 || binary.NativeEndian.Uint64(got) != 3 {
		t.Fatalf("read %x %d", got, n)
	}
	_, n = e.read(fd, 8)
	want(t, "read at 0", n, -kernel.EAGAIN)
	_, n = e.read(fd, 4)
	want(t, "4-byte read", n, -kernel.EINVAL)
	want(t, "4-byte write", e.write(fd, []byte{1, 0, 0, 0}), -kernel.EINVAL)
	want(t, "16-byte write", e.write(fd, append(u64(1), u64(1)...)), -kernel.EINVAL)
	want(t, "write ULLONG_MAX", e.write(fd, u64(1<<64-1)), -kernel.EINVAL)
	want(t, "write 5", e.write(fd, u64(5)), 8)
	want(t, "write 2", e.write(fd, u64(2)), 8)
	got, n = e.read(fd, 16)
	if n != 8 || binary.NativeEndian.Uint64(got) != 7 {
		t.Fatalf("16-byte read %x %d", got, n)
	}
	want(t, "write max-1", e.write(fd, u64(1<<64-2)), 8)
	want(t, "overflowing write", e.write(fd, u64(1)), -kernel.EAGAIN)
	want(t, "lseek", int(kernel.Lseek(e.task, fd, 5, unix.SEEK_SET)), 0)
	want(t, "fsync", kernel.Fsync(e.task, fd, false), -kernel.EINVAL)

	sem := kernel.Eventfd2(e.task, 2, vfs.EFD_SEMAPHORE|vfs.EFD_NONBLOCK|vfs.EFD_CLOEXEC)
	for i, exp := range []int{8, 8, -kernel.EAGAIN} {
		got, n := e.read(sem, 8)
		if n != exp || (n == 8 && binary.NativeEndian.Uint64(got) != 1) {
			t.Errorf("semaphore read %d: %x %d", i, got, n)
		}
	}
	want(t, "bad flags", kernel.Eventfd2(e.task, 0, unix.O_RDWR), -kernel.EINVAL)
}

func TestEventfdPoll(t *testing.T) {
	e := newFSEnv(t, sim.Config{})
	fd := kernel.Eventfd2(e.task, 0, vfs.EFD_NONBLOCK)
	th := e.task.Thread
	f := e.p.Files.Get(th, fd)
	defer f.Put(th)
	var keys []uint32
	var entry sim.WaitQueueEntry
	entry.Func = func(_ *sim.Thread, _ *sim.WaitQueueEntry, key uint32) int {
		keys = append(keys, key)
		return 0
	}
	pt := vfs.PollTable{Qproc: func(t *sim.Thread, _ *vfs.File, q *sim.WaitQueueHead, _ *vfs.PollTable) {
		q.Add(t, &entry)
	}}
	if m := vfs.Poll(th, f, &pt); m != rings.EPOLLOUT {
		t.Errorf("mask at 0: %#x", m)
	}
	e.write(fd, u64(1))
	if m := vfs.Poll(th, f, nil); m != rings.EPOLLIN|rings.EPOLLOUT {
		t.Errorf("mask at 1: %#x", m)
	}
	e.read(fd, 8)
	if len(keys) != 2 || keys[0] != rings.EPOLLIN || keys[1] != rings.EPOLLOUT {
		t.Errorf("wakeup keys %#x", keys)
	}
}

func TestPipePollWakeups(t *testing.T) {
	e := newFSEnv(t, sim.Config{})
	r, w := e.pipe(unix.O_NONBLOCK)
	th := e.task.Thread
	rf := e.p.Files.Get(th, r)
	defer rf.Put(th)
	var keys []uint32
	var entry sim.WaitQueueEntry
	entry.Func = func(_ *sim.Thread, _ *sim.WaitQueueEntry, key uint32) int {
		keys = append(keys, key)
		return 0
	}
	pt := vfs.PollTable{Qproc: func(t *sim.Thread, _ *vfs.File, q *sim.WaitQueueHead, _ *vfs.PollTable) {
		q.Add(t, &entry)
	}}
	if m := vfs.Poll(th, rf, &pt); m != 0 {
		t.Errorf("empty pipe read end mask %#x", m)
	}
	e.write(w, []byte("x"))
	if m := vfs.Poll(th, rf, nil); m != rings.EPOLLIN|rings.EPOLLRDNORM {
		t.Errorf("mask with data %#x", m)
	}
	kernel.Close(e.task, w)
	if m := vfs.Poll(th, rf, nil); m != rings.EPOLLIN|rings.EPOLLRDNORM|rings.EPOLLHUP {
		t.Errorf("mask after writer close %#x", m)
	}
	if len(keys) != 2 || keys[0] != rings.EPOLLIN|rings.EPOLLRDNORM || keys[1] != 0 {
		t.Errorf("wakeup keys %#x", keys)
	}
}

func TestTmpfile(t *testing.T) {
	e := newFSEnv(t, sim.Config{})
	fd := kernel.OpenTmpfile(e.task, []byte("hello world"))
	got, n := e.read(fd, 5)
	if n != 5 || string(got) != "hello" {
		t.Fatalf("read %q %d", got, n)
	}
	got, _ = e.read(fd, 100)
	if string(got) != " world" {
		t.Fatalf("second read %q", got)
	}
	_, n = e.read(fd, 100)
	want(t, "read at EOF", n, 0)
	want(t, "write extends", e.write(fd, []byte("!!")), 2)
	want(t, "lseek end", int(kernel.Lseek(e.task, fd, 0, unix.SEEK_END)), 13)
	want(t, "lseek set", int(kernel.Lseek(e.task, fd, 6, unix.SEEK_SET)), 6)
	want(t, "lseek negative", int(kernel.Lseek(e.task, fd, -1, unix.SEEK_SET)), -kernel.EINVAL)
	want(t, "lseek whence", int(kernel.Lseek(e.task, fd, 0, 9)), -kernel.EINVAL)
	got, _ = e.read(fd, 100)
	if string(got) != "world!!" {
		t.Fatalf("read after seek %q", got)
	}
	want(t, "ftruncate grow", kernel.Ftruncate(e.task, fd, 10000), 0)
	want(t, "seek", int(kernel.Lseek(e.task, fd, 9990, unix.SEEK_SET)), 9990)
	got, n = e.read(fd, 100)
	if n != 10 || !bytes.Equal(got, make([]byte, 10)) {
		t.Fatalf("hole %x %d", got, n)
	}
	want(t, "ftruncate shrink", kernel.Ftruncate(e.task, fd, 3), 0)
	want(t, "ftruncate grow again", kernel.Ftruncate(e.task, fd, 8), 0)
	kernel.Lseek(e.task, fd, 0, unix.SEEK_SET)
	got, _ = e.read(fd, 100)
	if !bytes.Equal(got, []byte("hel\x00\x00\x00\x00\x00")) {
		t.Fatalf("after shrink and grow %q", got)
	}
	want(t, "ftruncate negative", kernel.Ftruncate(e.task, fd, -1), -kernel.EINVAL)
	want(t, "fsync", kernel.Fsync(e.task, fd, false), 0)
	want(t, "shutdown", kernel.Shutdown(e.task, fd, 0), -int(unix.ENOTSOCK))
}

// TestPipeBlockingReadWakes: a reader thread blocks on an empty pipe and
// is woken by the main thread's write; the same seed gives the same trace.
func TestPipeBlockingReadWakes(t *testing.T) {
	run := func(seed uint64) []sim.Event {
		rec := &sim.Recorder{}
		e := newFSEnv(t, sim.Config{Seed: seed, Sink: rec})
		r, w := e.pipe(0)
		var got []byte
		var ret int
		rt := e.w.Go(e.task.Thread, "reader", func(th *sim.Thread) {
			task := e.p.NewTask(th)
			ret = kernel.Read(task, r, e.addr(1<<16), 100)
			if ret > 0 {
				got = bytes.Clone(e.mem[1<<16 : 1<<16+ret])
			}
		})
		e.task.Thread.Sleep(1000) // let the reader block
		if rt.State() != sim.TaskInterruptible {
			t.Errorf("reader state %v, want asleep", rt.State())
		}
		want(t, "write", e.write(w, []byte("ping")), 4)
		for rt.State() != sim.TaskDead {
			e.task.Thread.Sleep(1000)
		}
		if ret != 4 || string(got) != "ping" {
			t.Errorf("reader got %q %d", got, ret)
		}
		if d := e.w.Deadlock(); d != nil {
			t.Errorf("deadlock: %v", d)
		}
		return rec.Events
	}
	a, b := run(7), run(7)
	if len(a) != len(b) {
		t.Fatalf("traces differ in length: %d vs %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Thread != b[i].Thread || a[i].Time != b[i].Time {
			t.Fatalf("traces differ at %d: %+v vs %+v", i, a[i], b[i])
		}
	}
}

// TestPipeDeadlock: the main thread alone blocks reading an empty pipe;
// the world reports the deadlock and the read fails with EINTR.
func TestPipeDeadlock(t *testing.T) {
	e := newFSEnv(t, sim.Config{})
	r, _ := e.pipe(0)
	_, n := e.read(r, 10)
	want(t, "blocking read alone", n, -kernel.EINTR)
	if e.w.Deadlock() == nil {
		t.Fatal("no deadlock reported")
	}
	e.task.Thread.ClearSignal()
	fd := kernel.Eventfd2(e.task, 0, 0)
	_, n = e.read(fd, 8)
	want(t, "blocking eventfd read alone", n, -kernel.EINTR)
	if len(e.w.Deadlocks()) != 2 {
		t.Fatalf("%d deadlocks reported, want 2", len(e.w.Deadlocks()))
	}
}

// TestPipeBlockingWriter: a writer blocked on a full pipe is woken by a
// reader, and a writer blocked when the last reader goes gets what it
// wrote so far.
func TestPipeBlockingWriter(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		e := newFSEnv(t, sim.Config{Seed: seed})
		r, w := e.pipe(0)
		var ret int
		wt := e.w.Go(e.task.Thread, "writer", func(th *sim.Thread) {
			ret = kernel.Write(e.p.NewTask(th), w, e.addr(0), 70000)
		})
		total := 0
		for total < 70000 {
			_, n := e.read(r, 4096)
			if n <= 0 {
				t.Fatalf("seed %d: read %d after %d", seed, n, total)
			}
			total += n
		}
		for wt.State() != sim.TaskDead {
			e.task.Thread.Sleep(1000)
		}
		want(t, "blocked writer", ret, 70000)
	}
}

func TestEventfdBlocking(t *testing.T) {
	e := newFSEnv(t, sim.Config{Seed: 3})
	fd := kernel.Eventfd2(e.task, 0, 0)
	var got uint64
	rt := e.w.Go(e.task.Thread, "reader", func(th *sim.Thread) {
		buf := make([]byte, 8)
		task := e.p.NewTask(th)
		if n := kernel.Read(task, fd, e.addr(1<<16), 8); n == 8 {
			copy(buf, e.mem[1<<16:])
			got = binary.NativeEndian.Uint64(buf)
		}
	})
	e.task.Thread.Sleep(1000)
	want(t, "write", e.write(fd, u64(42)), 8)
	for rt.State() != sim.TaskDead {
		e.task.Thread.Sleep(1000)
	}
	if got != 42 {
		t.Errorf("blocked reader got %d", got)
	}
}

// TestFcntl: descriptor and status flags, as the host kernel reports them.
func TestFcntl(t *testing.T) {
	e := newFSEnv(t, sim.Config{})
	r, w := e.pipe(unix.O_CLOEXEC)
	want(t, "F_GETFD", kernel.Fcntl(e.task, r, unix.F_GETFD, 0), unix.FD_CLOEXEC)
	want(t, "F_SETFD", kernel.Fcntl(e.task, r, unix.F_SETFD, 0), 0)
	want(t, "F_GETFD after", kernel.Fcntl(e.task, r, unix.F_GETFD, 0), 0)
	want(t, "F_GETFL read end", kernel.Fcntl(e.task, r, unix.F_GETFL, 0), unix.O_RDONLY)
	want(t, "F_GETFL write end", kernel.Fcntl(e.task, w, unix.F_GETFL, 0), unix.O_WRONLY)
	want(t, "F_SETFL O_DIRECT on a pipe", kernel.Fcntl(e.task, w, unix.F_SETFL, unix.O_DIRECT), 0)
	want(t, "F_GETFL", kernel.Fcntl(e.task, w, unix.F_GETFL, 0), unix.O_WRONLY|unix.O_DIRECT)
	want(t, "F_SETFL keeps the access mode", kernel.Fcntl(e.task, r, unix.F_SETFL, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CREAT), 0)
	want(t, "F_GETFL", kernel.Fcntl(e.task, r, unix.F_GETFL, 0), unix.O_NONBLOCK)
	_, n := e.read(r, 1)
	want(t, "read now nonblocking", n, -kernel.EAGAIN)
	efd := kernel.Eventfd2(e.task, 0, 0)
	want(t, "eventfd F_GETFL", kernel.Fcntl(e.task, efd, unix.F_GETFL, 0), unix.O_RDWR)
	want(t, "O_DIRECT on an eventfd", kernel.Fcntl(e.task, efd, unix.F_SETFL, unix.O_DIRECT), -kernel.EINVAL)
	want(t, "unknown command", kernel.Fcntl(e.task, efd, 9999, 0), -kernel.EINVAL)
	want(t, "bad fd", kernel.Fcntl(e.task, 99, unix.F_GETFL, 0), -kernel.EBADF)
	tmp := kernel.OpenTmpfile(e.task, nil)
	want(t, "tmpfile F_GETFL", kernel.Fcntl(e.task, tmp, unix.F_GETFL, 0), unix.O_TMPFILE|int(vfs.O_LARGEFILE)|unix.O_RDWR)
}

// TestPipeConcurrent moves a megabyte through a pipe between two threads
// of a concurrent-mode world (run it with -race).
func TestPipeConcurrent(t *testing.T) {
	e := newFSEnv(t, sim.Config{Mode: sim.Concurrent})
	r, w := e.pipe(0)
	const total = 1 << 20
	var wrote int
	done := make(chan struct{})
	e.w.Go(e.task.Thread, "writer", func(th *sim.Thread) {
		defer close(done)
		task := e.p.NewTask(th)
		for wrote < total {
			n := kernel.Write(task, w, e.addr(0), 10000)
			if n <= 0 {
				t.Errorf("write: %d", n)
				return
			}
			wrote += n
		}
		kernel.Close(task, w)
	})
	got := 0
	for {
		_, n := e.read(r, 7000)
		if n < 0 {
			t.Fatalf("read: %d after %d", n, got)
		}
		if n == 0 {
			break
		}
		got += n
	}
	<-done
	if got != wrote || got < total {
		t.Fatalf("read %d, wrote %d", got, wrote)
	}
}

// TestPipeWriteInterrupted: a blocking write bigger than the pipe, alone in
// the world, is interrupted by the deadlock report after filling the pipe
// and returns what it wrote, as Linux does on a signal; a second one gets
// EINTR.
func TestPipeWriteInterrupted(t *testing.T) {
	e := newFSEnv(t, sim.Config{})
	_, w := e.pipe(0)
	want(t, "write 70000 alone", kernel.Write(e.task, w, e.addr(0), 70000), 65536)
	if e.w.Deadlock() == nil {
		t.Fatal("no deadlock reported")
	}
	e.task.Thread.ClearSignal()
	want(t, "write to a full pipe alone", kernel.Write(e.task, w, e.addr(0), 1), -kernel.EINTR)
}
