package vfs_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// nsEnv is a tmpfs and the thread that drives it.
type nsEnv struct {
	t  *testing.T
	th *sim.Thread
	fs *vfs.Tmpfs
}

func newNS(t *testing.T) *nsEnv {
	w := sim.NewWorld(sim.Config{Seed: 1})
	t.Cleanup(w.Shutdown)
	return &nsEnv{t: t, th: w.Main(), fs: vfs.NewTmpfs(func() time.Duration { return 0 }, 1)}
}

func (e *nsEnv) root() vfs.Start {
	return func() (*vfs.Inode, int) { return e.fs.Root(), 0 }
}

func (e *nsEnv) open(path string, flags uint32, mode uint32, resolve uint64) (*vfs.File, int) {
	how := vfs.BuildOpenHow(flags, mode)
	how.Resolve = resolve
	var op vfs.OpenFlags
	if err := vfs.BuildOpenFlags(&how, &op); err != 0 {
		return nil, err
	}
	return e.fs.Open(e.th, e.root(), path, &op, 1)
}

// words splits a command "op arg…" into its words, the i-th word (""
// past the end) and the i-th word as a number.
func words(cmd string) ([]string, func(int) string, func(int) uint32) {
	f := strings.Fields(cmd)
	arg := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	flag := func(i int) uint32 {
		var v uint32
		fmt.Sscan(arg(i), &v)
		return v
	}
	return f, arg, flag
}

// do runs one namespace operation written as "op arg…" and returns its
// errno (0 for success).
func (e *nsEnv) do(cmd string) int {
	f, arg, flag := words(cmd)
	switch f[0] {
	case "mkdir":
		return e.fs.Mkdir(e.th, e.root(), arg(1), 0o755)
	case "symlink":
		return e.fs.Symlink(e.th, arg(1), e.root(), arg(2))
	case "unlink":
		return e.fs.Unlink(e.th, e.root(), arg(1), false)
	case "rmdir":
		return e.fs.Unlink(e.th, e.root(), arg(1), true)
	case "link":
		return e.fs.Link(e.th, e.root(), arg(1), e.root(), arg(2), flag(3))
	case "rename":
		return e.fs.Rename(e.th, e.root(), arg(1), e.root(), arg(2), flag(3))
	case "create":
		_, err := e.open(arg(1), unix.O_CREAT|unix.O_RDWR, 0o644, 0)
		return err
	case "open":
		_, err := e.open(arg(1), flag(2), 0, 0)
		return err
	case "beneath":
		_, err := e.open(arg(1), unix.O_RDONLY, 0, vfs.RESOLVE_BENEATH)
		return err
	case "lookup":
		_, err := e.fs.Lookup(e.th, e.root(), arg(1), vfs.LOOKUP_FOLLOW)
		return err
	}
	e.t.Fatalf("bad command %q", cmd)
	return 0
}

// nlink is the link count of path (not following a last symlink), or -errno.
func (e *nsEnv) nlink(path string) int {
	ino, err := e.fs.Lookup(e.th, e.root(), path, 0)
	if err != 0 {
		return err
	}
	return int(ino.Nlink)
}

func chain(n int) []string {
	var cmds []string
	for i := 1; i <= n; i++ {
		cmds = append(cmds, fmt.Sprintf("symlink l%d l%d", i-1, i))
	}
	return append(cmds, "create l0")
}

func TestNamespace(t *testing.T) {
	E := func(e unix.Errno) int { return -int(e) }
	tests := []struct {
		name  string
		setup []string
		cmd   string
		want  int
		nlink map[string]int
	}{
		{name: "mkdir", cmd: "mkdir a", nlink: map[string]int{"a": 2, "/": 3}},
		{name: "mkdir exists", setup: []string{"mkdir a"}, cmd: "mkdir a", want: E(unix.EEXIST)},
		{name: "mkdir root", cmd: "mkdir /", want: E(unix.EEXIST)},
		{name: "mkdir missing parent", cmd: "mkdir a/b", want: E(unix.ENOENT)},
		{name: "mkdir name 255", cmd: "mkdir " + strings.Repeat("n", 255)},
		{name: "mkdir name 256", cmd: "mkdir " + strings.Repeat("n", 256), want: E(unix.ENAMETOOLONG)},
		{name: "rmdir nonempty", setup: []string{"mkdir a", "mkdir a/b"}, cmd: "rmdir a", want: E(unix.ENOTEMPTY)},
		{name: "rmdir", setup: []string{"mkdir a", "mkdir a/b"}, cmd: "rmdir a/b", nlink: map[string]int{"a": 2}},
		{name: "rmdir root", cmd: "rmdir /", want: E(unix.EBUSY)},
		{name: "unlink dir", setup: []string{"mkdir a"}, cmd: "unlink a", want: E(unix.EISDIR)},
		{name: "unlink file", setup: []string{"create f", "link f g"}, cmd: "unlink f", nlink: map[string]int{"g": 1, "f": E(unix.ENOENT)}},
		{name: "link counts", setup: []string{"create f"}, cmd: "link f g", nlink: map[string]int{"g": 2, "f": 2}},
		{name: "link dir", setup: []string{"mkdir a"}, cmd: "link a b", want: E(unix.EPERM)},
		{name: "chain 40", setup: chain(40), cmd: "open l40 0"},
		{name: "chain 41", setup: chain(41), cmd: "open l41 0", want: E(unix.ELOOP)},
		{name: "self loop", setup: []string{"symlink s s"}, cmd: "lookup s", want: E(unix.ELOOP)},
		{name: "loop in middle", setup: []string{"symlink s s"}, cmd: "lookup s/x", want: E(unix.ELOOP)},
		{name: "long path missing", setup: []string{"mkdir d"}, cmd: "lookup " + strings.Repeat("d/../", 818) + "dddd", want: E(unix.ENOENT)},
		{name: "long path", setup: []string{"mkdir d"}, cmd: "lookup " + strings.Repeat("d/../", 819) + "d", want: 0},
		{name: "rename dir into itself", setup: []string{"mkdir a", "mkdir a/b"}, cmd: "rename a a/b/c 0", want: E(unix.EINVAL)},
		{name: "rename onto ancestor", setup: []string{"mkdir a", "mkdir a/b", "mkdir a/b/c"}, cmd: "rename a/b/c a 0", want: E(unix.ENOTEMPTY)},
		{name: "rename dir moves nlink", setup: []string{"mkdir a", "mkdir b", "mkdir a/c"}, cmd: "rename a/c b/c 0",
			nlink: map[string]int{"a": 2, "b": 3, "b/c": 2}},
		{name: "rename exchange dir and file", setup: []string{"mkdir a", "mkdir b", "mkdir a/d", "create b/f"}, cmd: "rename a/d b/f 2",
			nlink: map[string]int{"a": 2, "b": 3, "b/f": 2, "a/d": 1}},
		{name: "rename whiteout", setup: []string{"create f"}, cmd: "rename f g 4", nlink: map[string]int{"f": 1, "g": 1}},
		{name: "beneath escape", setup: []string{"mkdir a"}, cmd: "beneath a/../..", want: E(unix.EXDEV)},
		{name: "beneath inside", setup: []string{"mkdir a"}, cmd: "beneath a/.."},
		{name: "open trailing slash on file", setup: []string{"create f"}, cmd: "open f/ 0", want: E(unix.ENOTDIR)},
		{name: "open symlink nofollow", setup: []string{"create f", "symlink f l"}, cmd: fmt.Sprintf("open l %d", unix.O_NOFOLLOW), want: E(unix.ELOOP)},
		{name: "whiteout open", setup: []string{"create f", "rename f g 4"}, cmd: "open f 0", want: E(unix.ENXIO)},
		{name: "open file O_DIRECT", setup: []string{"create f"}, cmd: fmt.Sprintf("open f %d", unix.O_DIRECT)},
		{name: "open dir O_DIRECT", setup: []string{"mkdir a"}, cmd: fmt.Sprintf("open a %d", unix.O_DIRECT), want: E(unix.EINVAL)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newNS(t)
			for _, c := range tc.setup {
				if err := e.do(c); err != 0 {
					t.Fatalf("setup %q: %d", c, err)
				}
			}
			if got := e.do(tc.cmd); got != tc.want {
				t.Errorf("%.60s: got %d, want %d", tc.cmd, got, tc.want)
			}
			for p, want := range tc.nlink {
				if got := e.nlink(p); got != want {
					t.Errorf("nlink %s = %d, want %d", p, got, want)
				}
			}
		})
	}
}

// TestOpenTruncAppend: O_TRUNC empties a file, O_APPEND writes at its end,
// through the shmem file the name leads to.
func TestOpenTruncAppend(t *testing.T) {
	e := newNS(t)
	f, err := e.open("f", unix.O_CREAT|unix.O_RDWR, 0o600, 0)
	if err != 0 {
		t.Fatal(err)
	}
	pos := int64(0)
	vfs.Write(e.th, f, []byte("hello"), &pos, false)
	g, _ := e.open("f", unix.O_WRONLY|unix.O_APPEND, 0, 0)
	pos = 0
	vfs.Write(e.th, g, []byte("!"), &pos, false)
	buf := make([]byte, 16)
	pos = 0
	if n := vfs.Read(e.th, f, buf, &pos, false); string(buf[:n]) != "hello!" {
		t.Errorf("after append: %q", buf[:n])
	}
	e.open("f", unix.O_RDONLY|unix.O_TRUNC, 0, 0)
	pos = 0
	if n := vfs.Read(e.th, f, buf, &pos, false); n != 0 {
		t.Errorf("after O_TRUNC read %d bytes", n)
	}
	if ino := vfs.InodeOf(f); ino == nil || ino.Nlink != 1 {
		t.Errorf("InodeOf: %+v", ino)
	}
}

func TestBuildOpenFlags(t *testing.T) {
	tests := []struct {
		how  vfs.OpenHow
		want int
	}{
		{vfs.OpenHow{Flags: unix.O_RDONLY}, 0},
		{vfs.OpenHow{Flags: 1 << 32}, -int(unix.EINVAL)},
		{vfs.OpenHow{Flags: unix.O_RDONLY, Mode: 0o644}, -int(unix.EINVAL)},
		{vfs.OpenHow{Flags: unix.O_CREAT, Mode: 0o10000}, -int(unix.EINVAL)},
		{vfs.OpenHow{Flags: unix.O_CREAT | unix.O_DIRECTORY}, -int(unix.EINVAL)},
		{vfs.OpenHow{Flags: uint64(vfs.O_TMPFILE_) | unix.O_RDWR}, -int(unix.EINVAL)},
		{vfs.OpenHow{Flags: unix.O_TMPFILE | unix.O_RDONLY}, -int(unix.EINVAL)},
		{vfs.OpenHow{Flags: unix.O_TMPFILE | unix.O_RDWR}, 0},
		{vfs.OpenHow{Flags: unix.O_PATH | unix.O_APPEND}, -int(unix.EINVAL)},
		{vfs.OpenHow{Resolve: vfs.RESOLVE_BENEATH | vfs.RESOLVE_IN_ROOT}, -int(unix.EINVAL)},
		{vfs.OpenHow{Resolve: 0x40}, -int(unix.EINVAL)},
		{vfs.OpenHow{Flags: unix.O_CREAT, Resolve: vfs.RESOLVE_CACHED}, -int(unix.EAGAIN)},
		{vfs.OpenHow{Resolve: vfs.RESOLVE_CACHED}, 0},
	}
	for _, tc := range tests {
		var op vfs.OpenFlags
		if got := vfs.BuildOpenFlags(&tc.how, &op); got != tc.want {
			t.Errorf("%+v: got %d, want %d", tc.how, got, tc.want)
		}
	}
}

// TestTimestamps: writes and truncation set mtime and ctime, reads set
// atime by the relatime rule, link and unlink set ctime, all on the
// clock the tmpfs was given.
func TestTimestamps(t *testing.T) {
	w := sim.NewWorld(sim.Config{Seed: 1})
	t.Cleanup(w.Shutdown)
	th := w.Main()
	now := time.Second
	fs := vfs.NewTmpfs(func() time.Duration { return now }, 1)
	root := func() (*vfs.Inode, int) { return fs.Root(), 0 }
	how := vfs.BuildOpenHow(unix.O_CREAT|unix.O_RDWR, 0o644)
	var op vfs.OpenFlags
	vfs.BuildOpenFlags(&how, &op)
	f, err := fs.Open(th, root, "f", &op, 1)
	if err != 0 {
		t.Fatal(err)
	}
	times := func() [3]int64 {
		st := fs.Getattr(th, vfs.InodeOf(f), 0xfff)
		return [3]int64{st.Atime.Sec, st.Mtime.Sec, st.Ctime.Sec}
	}
	check := func(what string, want [3]int64) {
		t.Helper()
		if got := times(); got != want {
			t.Errorf("%s: a/m/ctime %v, want %v", what, got, want)
		}
	}
	check("created", [3]int64{1, 1, 1})
	now = 2 * time.Second
	pos := int64(0)
	vfs.Write(th, f, []byte("x"), &pos, false)
	check("written", [3]int64{1, 2, 2})
	now = 3 * time.Second
	pos = 0
	vfs.Read(th, f, make([]byte, 1), &pos, false)
	check("read", [3]int64{3, 2, 2})
	now = 4 * time.Second
	pos = 0
	vfs.Read(th, f, make([]byte, 1), &pos, false)
	check("read again (relatime)", [3]int64{3, 2, 2})
	now = 5 * time.Second
	fs.Link(th, root, "f", root, "g", 0)
	check("linked", [3]int64{3, 2, 5})
	now = 6 * time.Second
	f.Op.(vfs.Truncater).Truncate(th, f, 0)
	check("truncated", [3]int64{3, 6, 6})
	if err := fs.Check(th); err != nil {
		t.Error(err)
	}
}
