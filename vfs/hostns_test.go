package vfs_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// nsCase drives one Namespace from a directory: the tmpfs's root (its
// cwd) or a host directory's descriptor.
type nsCase struct {
	t  *testing.T
	th *sim.Thread
	ns vfs.Namespace
	at vfs.At
}

func (c *nsCase) open(path string, flags, mode uint32) (*vfs.File, int) {
	how := vfs.BuildOpenHow(flags, mode)
	var op vfs.OpenFlags
	if err := vfs.BuildOpenFlags(&how, &op); err != 0 {
		return nil, err
	}
	return c.ns.Open(c.th, c.at, path, &op, 1)
}

// do runs "op arg…" (the commands of nsEnv.do) through the Namespace
// interface and returns its errno.
func (c *nsCase) do(cmd string) int {
	f, arg, flag := words(cmd)
	closed := func(fl *vfs.File, err int) int {
		if fl != nil {
			fl.Put(c.th)
		}
		return err
	}
	switch f[0] {
	case "mkdir":
		return c.ns.Mkdir(c.th, c.at, arg(1), 0o755)
	case "symlink":
		return c.ns.Symlink(c.th, arg(1), c.at, arg(2))
	case "unlink":
		return c.ns.Unlink(c.th, c.at, arg(1), false)
	case "rmdir":
		return c.ns.Unlink(c.th, c.at, arg(1), true)
	case "link":
		return c.ns.Link(c.th, c.at, arg(1), c.at, arg(2), flag(3))
	case "rename":
		return c.ns.Rename(c.th, c.at, arg(1), c.at, arg(2), flag(3))
	case "create":
		return closed(c.open(arg(1), unix.O_CREAT|unix.O_RDWR, 0o644))
	case "open":
		return closed(c.open(arg(1), flag(2), 0))
	case "lookup":
		_, err := c.ns.Statx(c.th, c.at, arg(1), 0, vfs.STATX_BASIC_STATS)
		return err
	case "readlink":
		_, err := c.ns.Readlink(c.th, c.at, arg(1))
		return err
	}
	c.t.Fatalf("bad command %q", cmd)
	return 0
}

// stat is path's link count and type (not following a last symlink), or
// -errno.
func (c *nsCase) stat(path string) string {
	st, err := c.ns.Statx(c.th, c.at, path, unix.AT_SYMLINK_NOFOLLOW, vfs.STATX_BASIC_STATS)
	if err != 0 {
		return fmt.Sprint(err)
	}
	return fmt.Sprintf("nlink=%d type=%o size=%d", st.Nlink, uint32(st.Mode)&vfs.S_IFMT, st.Size)
}

// hostDirCase is a HostNamespace walking from a new directory on the
// host's tmpfs (/dev/shm, so sizes and link counts are tmpfs's too).
func hostDirCase(t *testing.T, th *sim.Thread) *nsCase {
	base := "/dev/shm"
	if st, err := os.Stat(base); err != nil || !st.IsDir() {
		base = ""
	}
	dir, err := os.MkdirTemp(base, "uringsim-hostns-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	df, err := vfs.NewHostFile(fd, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { df.Put(th) })
	return &nsCase{t: t, th: th, ns: vfs.NewHostNamespace(os.Getpid(), nil), at: vfs.At{File: func() *vfs.File { return df.Get() }}}
}

// TestHostNamespaceMatchesTmpfs runs the same operations on the
// simulator's tmpfs and, through HostNamespace, on a host directory: the
// errnos, link counts, types and sizes agree.
func TestHostNamespaceMatchesTmpfs(t *testing.T) {
	if _, err := os.Stat("/dev/shm"); err != nil {
		t.Skip("no /dev/shm on this host: the host's file system is not a tmpfs to compare with")
	}
	O := func(f int) string { return fmt.Sprint(f) }
	tests := []struct {
		setup []string
		cmd   string
		stat  []string
	}{
		{cmd: "mkdir a", stat: []string{"a"}},
		{setup: []string{"mkdir a"}, cmd: "mkdir a"},
		{cmd: "mkdir a/b"},
		{cmd: "mkdir " + strings.Repeat("n", 256)},
		{setup: []string{"mkdir a", "mkdir a/b"}, cmd: "rmdir a", stat: []string{"a", "a/b"}},
		{setup: []string{"mkdir a", "mkdir a/b"}, cmd: "rmdir a/b", stat: []string{"a", "a/b"}},
		{setup: []string{"mkdir a"}, cmd: "rmdir a/.", stat: []string{"a"}},
		{setup: []string{"mkdir a"}, cmd: "unlink a"},
		{setup: []string{"create f", "link f g 0"}, cmd: "unlink f", stat: []string{"f", "g"}},
		{setup: []string{"create f"}, cmd: "link f g 0", stat: []string{"f", "g"}},
		{setup: []string{"mkdir a"}, cmd: "link a b 0"},
		{setup: []string{"create f", "symlink f l"}, cmd: "link l m 0", stat: []string{"m", "f"}},
		{setup: []string{"create f", "symlink f l"}, cmd: fmt.Sprintf("link l m %d", vfs.LOOKUP_FOLLOW), stat: []string{"m", "f"}},
		{setup: chain(40), cmd: "open l40 0"},
		{setup: chain(41), cmd: "open l41 0"},
		{setup: []string{"symlink s s"}, cmd: "lookup s/x"},
		{setup: []string{"mkdir a", "mkdir a/b"}, cmd: "rename a a/b/c 0"},
		{setup: []string{"mkdir a", "mkdir a/b", "mkdir a/b/c"}, cmd: "rename a/b/c a 0"},
		{setup: []string{"mkdir a", "mkdir b", "mkdir a/c"}, cmd: "rename a/c b/c 0", stat: []string{"a", "b", "b/c"}},
		{setup: []string{"mkdir a", "mkdir b", "mkdir a/d", "create b/f"}, cmd: "rename a/d b/f 2", stat: []string{"a", "b", "b/f", "a/d"}},
		{setup: []string{"create f", "create g"}, cmd: "rename f g 1", stat: []string{"f", "g"}},
		{setup: []string{"create f"}, cmd: "open f/ 0"},
		{setup: []string{"create f", "symlink f l"}, cmd: "open l " + O(unix.O_NOFOLLOW)},
		{setup: []string{"create f"}, cmd: "open f " + O(unix.O_CREAT|unix.O_EXCL)},
		{setup: []string{"mkdir a"}, cmd: "open a " + O(unix.O_WRONLY)},
		{setup: []string{"mkdir a"}, cmd: "open a " + O(unix.O_DIRECT)},
		{setup: []string{"create f"}, cmd: "open f " + O(unix.O_DIRECTORY)},
		{setup: []string{"mkdir a"}, cmd: "open a " + O(unix.O_TMPFILE|unix.O_RDWR)},
		{setup: []string{"symlink target l"}, cmd: "readlink l", stat: []string{"l"}},
		{setup: []string{"create f"}, cmd: "readlink f"},
		{cmd: "lookup missing"},
	}
	for _, tc := range tests {
		t.Run(tc.cmd, func(t *testing.T) {
			w := sim.NewWorld(sim.Config{Seed: 1})
			t.Cleanup(w.Shutdown)
			th := w.Main()
			e := newNS(t)
			tm := &nsCase{t: t, th: e.th, ns: e.fs.Namespace(), at: vfs.At{Cwd: true}}
			host := hostDirCase(t, th)
			for _, c := range tc.setup {
				if a, b := tm.do(c), host.do(c); a != 0 || b != 0 {
					t.Fatalf("setup %q: tmpfs %d, host %d", c, a, b)
				}
			}
			if a, b := tm.do(tc.cmd), host.do(tc.cmd); a != b {
				t.Errorf("%.60s: tmpfs %d, host %d", tc.cmd, a, b)
			}
			for _, p := range tc.stat {
				if a, b := tm.stat(p), host.stat(p); a != b {
					t.Errorf("%s: tmpfs %s, host %s", p, a, b)
				}
			}
		})
	}
}

// TestHostNamespaceStart: a relative name starts at the process's cwd
// (AT_FDCWD) or its dirfd, an absolute one at the root whatever the
// dirfd; a bad dirfd is -EBADF, a simulated file -ENOTDIR (AT_EMPTY_PATH
// stats it); /proc/self is the process's own /proc directory; an O_PATH
// open is a HostFile without I/O, and ClearNonblock reaches the host
// descriptor.
func TestHostNamespaceStart(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	t.Cleanup(w.Shutdown)
	th := w.Main()
	ns := vfs.NewHostNamespace(os.Getpid(), nil)
	cwd := vfs.At{Cwd: true}
	bad := vfs.At{File: func() *vfs.File { return nil }}
	null := vfs.NewNull(9, 0)
	simFile := vfs.At{File: func() *vfs.File { return null.Get() }}

	if st, err := ns.Statx(th, cwd, "hostns_test.go", 0, vfs.STATX_BASIC_STATS); err != 0 || uint32(st.Mode)&vfs.S_IFMT != vfs.S_IFREG {
		t.Errorf("statx of a file in the cwd: %d mode %o", err, st.Mode)
	}
	if _, err := ns.Statx(th, bad, "hostns_test.go", 0, vfs.STATX_BASIC_STATS); err != -int(unix.EBADF) {
		t.Errorf("relative name, bad dirfd: %d", err)
	}
	if _, err := ns.Statx(th, bad, "/proc", 0, vfs.STATX_BASIC_STATS); err != 0 {
		t.Errorf("absolute name, bad dirfd: %d", err)
	}
	if _, err := ns.Statx(th, simFile, "x", 0, vfs.STATX_BASIC_STATS); err != -int(unix.ENOTDIR) {
		t.Errorf("relative name, simulated dirfd: %d", err)
	}
	if st, err := ns.Statx(th, simFile, "", unix.AT_EMPTY_PATH, vfs.STATX_BASIC_STATS); err != 0 || st.Ino != 9 {
		t.Errorf("AT_EMPTY_PATH of a simulated file: %d ino %d", err, st.Ino)
	}
	if null.Refs() != 1 {
		t.Errorf("the dirfd's file has %d references after the walks, want 1", null.Refs())
	}

	// pid 1's /proc/self/comm is pid 1's comm.
	want, err := os.ReadFile("/proc/1/comm")
	if err != nil {
		t.Skipf("no /proc/1/comm: %v", err)
	}
	c := &nsCase{t: t, th: th, ns: vfs.NewHostNamespace(1, nil), at: bad}
	f, errno := c.open("/proc/self/comm", unix.O_RDONLY, 0)
	if errno != 0 {
		t.Fatalf("open /proc/self/comm: %d", errno)
	}
	buf := make([]byte, 64)
	pos := int64(0)
	if n := vfs.Read(th, f, buf, &pos, false); string(buf[:max(n, 0)]) != string(want) {
		t.Errorf("/proc/self/comm for pid 1: %q, want %q", buf[:max(n, 0)], want)
	}
	f.Put(th)

	c.ns, c.at = ns, cwd
	p, errno := c.open(".", unix.O_PATH, 0)
	if errno != 0 || p.FMode != vfs.FMODE_PATH {
		t.Fatalf("O_PATH open: %d fmode %#x", errno, p.FMode)
	}
	p.Put(th)
	f, errno = c.open("hostns_test.go", unix.O_RDONLY|unix.O_NONBLOCK, 0)
	if errno != 0 {
		t.Fatal(errno)
	}
	vfs.ClearNonblock(f)
	if fl, _ := unix.FcntlInt(uintptr(vfs.HostFileOf(f).Fd), unix.F_GETFL, 0); fl&unix.O_NONBLOCK != 0 || f.Flags&unix.O_NONBLOCK != 0 {
		t.Errorf("after ClearNonblock: host flags %#x, file flags %#x", fl, f.Flags)
	}
	f.Put(th)
}
