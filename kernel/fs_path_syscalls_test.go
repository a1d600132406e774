package kernel_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/sim"
)

// str puts s NUL-terminated at offset off of the env's user memory.
func (e *fsEnv) str(off int, s string) uint64 {
	copy(e.mem[off:], s)
	e.mem[off+len(s)] = 0
	return e.addr(off)
}

// TestPathSyscalls: the plain path system calls on the kernel's tmpfs,
// relative to AT_FDCWD (the root) and to a directory descriptor.
func TestPathSyscalls(t *testing.T) {
	e := newFSEnv(t, sim.Config{Seed: 1})
	task := e.task
	const cwd = kernel.AT_FDCWD
	if ret := kernel.Mkdirat(task, cwd, e.str(0, "d"), 0o777); ret != 0 {
		t.Fatalf("mkdirat: %d", ret)
	}
	dfd := kernel.Openat(task, cwd, e.str(0, "/d"), unix.O_DIRECTORY|unix.O_RDONLY, 0)
	if dfd < 0 {
		t.Fatalf("open dir: %d", dfd)
	}
	fd := kernel.Openat(task, int32(dfd), e.str(0, "f"), unix.O_CREAT|unix.O_RDWR, 0o666)
	if fd < 0 {
		t.Fatalf("create: %d", fd)
	}
	if n := e.write(fd, []byte("data")); n != 4 {
		t.Fatalf("write: %d", n)
	}
	if ret := kernel.Symlinkat(task, e.str(0, "d/f"), cwd, e.str(100, "l")); ret != 0 {
		t.Fatalf("symlinkat: %d", ret)
	}
	// statx through the symlink from the root.
	buf := e.addr(1 << 12)
	if ret := kernel.Statx(task, cwd, e.str(0, "l"), 0, unix.STATX_BASIC_STATS, buf); ret != 0 {
		t.Fatalf("statx: %d", ret)
	}
	st := e.mem[1<<12 : 1<<12+256]
	if mode, size := binary.LittleEndian.Uint16(st[28:]), binary.LittleEndian.Uint64(st[40:]); mode != unix.S_IFREG|0o644 || size != 4 {
		t.Errorf("statx: mode %o size %d", mode, size)
	}
	if n := kernel.Readlinkat(task, cwd, e.str(0, "l"), buf, 2); n != 2 || string(e.mem[1<<12:1<<12+2]) != "d/" {
		t.Errorf("readlinkat truncated: %d %q", n, e.mem[1<<12:1<<12+n])
	}
	if n := kernel.Readlinkat(task, cwd, e.str(0, "d"), buf, 100); n != -int(unix.EINVAL) {
		t.Errorf("readlinkat of a directory: %d", n)
	}
	if ret := kernel.Renameat2(task, int32(dfd), e.str(0, "f"), cwd, e.str(100, "g"), 0); ret != 0 {
		t.Errorf("renameat2: %d", ret)
	}
	if ret := kernel.Linkat(task, cwd, e.str(0, "g"), int32(dfd), e.str(100, "f"), 0); ret != 0 {
		t.Errorf("linkat: %d", ret)
	}
	if ret := kernel.Unlinkat(task, cwd, e.str(0, "d"), unix.AT_REMOVEDIR); ret != -int(unix.ENOTEMPTY) {
		t.Errorf("rmdir non-empty: %d", ret)
	}
	if ret := kernel.Unlinkat(task, cwd, e.str(0, "d"), 1); ret != -int(unix.EINVAL) {
		t.Errorf("unlinkat bad flags: %d", ret)
	}
	// The file written through fd is the one the new names lead to.
	fd2 := kernel.Openat(task, int32(dfd), e.str(0, "f"), unix.O_RDONLY, 0)
	if got, n := e.read(fd2, 16); string(got) != "data" {
		t.Errorf("read via the hard link: %q %d", got, n)
	}
}

// TestGetname: names up to PATH_MAX-1 bytes, then -ENAMETOOLONG; an
// empty name is -ENOENT; an unmapped one -EFAULT.
func TestGetname(t *testing.T) {
	e := newFSEnv(t, sim.Config{Seed: 1})
	long := strings.Repeat("/", 4095)
	if ret := kernel.Mkdirat(e.task, kernel.AT_FDCWD, e.str(0, long), 0); ret != -int(unix.EEXIST) {
		t.Errorf("4095-byte name: %d, want -EEXIST (it is the root)", ret)
	}
	if ret := kernel.Mkdirat(e.task, kernel.AT_FDCWD, e.str(0, long+"/"), 0); ret != -int(unix.ENAMETOOLONG) {
		t.Errorf("4096-byte name: %d", ret)
	}
	if ret := kernel.Mkdirat(e.task, kernel.AT_FDCWD, e.str(0, ""), 0); ret != -int(unix.ENOENT) {
		t.Errorf("empty name: %d", ret)
	}
	if ret := kernel.Mkdirat(e.task, kernel.AT_FDCWD, 16, 0); ret != -int(unix.EFAULT) {
		t.Errorf("unmapped name: %d", ret)
	}
	// A name running into the end of the mapping faults.
	end := len(e.mem) - 3
	copy(e.mem[end:], "abc")
	if ret := kernel.Mkdirat(e.task, kernel.AT_FDCWD, e.addr(end), 0); ret != -int(unix.EFAULT) {
		t.Errorf("unterminated name at the end of the mapping: %d", ret)
	}
}

// TestOpenat2Size: struct open_how sizes as openat2(2) checks them.
func TestOpenat2Size(t *testing.T) {
	e := newFSEnv(t, sim.Config{Seed: 1})
	how := e.addr(1 << 13)
	clear(e.mem[1<<13 : 1<<13+8192])
	name := e.str(0, "/")
	flags := uint64(unix.O_DIRECTORY)
	binary.LittleEndian.PutUint64(e.mem[1<<13:], flags)
	for _, tc := range []struct {
		size uint64
		junk bool
		want int
	}{
		{23, false, -int(unix.EINVAL)},
		{24, false, 0},
		{4096, false, 0},
		{4097, false, -int(unix.E2BIG)},
		{64, true, -int(unix.E2BIG)},
	} {
		if tc.junk {
			e.mem[1<<13+tc.size-1] = 1
		}
		ret := kernel.Openat2(e.task, kernel.AT_FDCWD, name, how, tc.size)
		if tc.junk {
			e.mem[1<<13+tc.size-1] = 0
		}
		if ret >= 0 {
			kernel.Close(e.task, ret)
			ret = 0
		}
		if ret != tc.want {
			t.Errorf("size %d junk %v: %d, want %d", tc.size, tc.junk, ret, tc.want)
		}
	}
}

// TestOpenEMFILE: an open that finds the descriptor table full fails with
// -EMFILE before it creates anything, through the syscall and the ring.
func TestOpenEMFILE(t *testing.T) {
	e := newFSEnv(t, sim.Config{Seed: 1})
	task := e.task
	root := e.str(0, "/")
	for {
		fd := kernel.Openat(task, kernel.AT_FDCWD, root, unix.O_PATH, 0)
		if fd == -int(unix.EMFILE) {
			break
		}
		if fd < 0 {
			t.Fatalf("openat: %d", fd)
		}
	}
	if ret := kernel.Openat(task, kernel.AT_FDCWD, e.str(0, "x"), unix.O_CREAT|unix.O_RDWR, 0o600); ret != -int(unix.EMFILE) {
		t.Fatalf("create with a full table: %d", ret)
	}
	if ret := kernel.Statx(task, kernel.AT_FDCWD, e.str(0, "x"), 0, 0, e.addr(1<<12)); ret != -int(unix.ENOENT) {
		t.Errorf("the failed create left a file: statx %d", ret)
	}
}
