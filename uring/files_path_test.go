package uring

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// pathCtx is what a path-op case prepares its SQE with: the base
// directory's descriptor and names placed in user memory of the backend.
type pathCtx struct {
	base  int32
	slots []int32 // descriptors kept open by the property test
	mem   []byte
	off   int
	ps    PathSys
	fs    FileSys
}

// str places s, NUL-terminated, in user memory and returns its address.
func (c *pathCtx) str(s string) uint64 {
	c.off = (c.off + 7) &^ 7
	copy(c.mem[c.off:], s)
	c.mem[c.off+len(s)] = 0
	a := addrOf(c.mem[c.off:])
	c.off += len(s) + 1
	return a
}

// how places a struct open_how (size bytes, zero past the known fields
// unless junk is set) in user memory.
func (c *pathCtx) how(flags, mode, resolve uint64, size int, junk bool) uint64 {
	c.off = (c.off + 7) &^ 7
	b := c.mem[c.off : c.off+size]
	clear(b)
	binary.LittleEndian.PutUint64(b[0:], flags)
	binary.LittleEndian.PutUint64(b[8:], mode)
	binary.LittleEndian.PutUint64(b[16:], resolve)
	if junk && size > 24 {
		b[size-1] = 1
	}
	a := addrOf(b)
	c.off += size
	return a
}

// buf reserves n zeroed bytes of user memory.
func (c *pathCtx) buf(n int) (uint64, []byte) {
	c.off = (c.off + 7) &^ 7
	b := c.mem[c.off : c.off+n]
	clear(b)
	c.off += n
	return addrOf(b), b
}

// pathTree is the tree every case starts from, inside a fresh base
// directory:
//
//	file          regular, "hello"
//	dir/          directory
//	dir/sub/      directory
//	dir/f2        regular, empty
//	empty/        empty directory
//	link    -> file
//	dirlink -> dir
//	dangling -> nope
//	loop1 -> loop2, loop2 -> loop1
//	abs -> /
//	up -> ..
func pathTree(t *testing.T, ps PathSys, fs FileSys) {
	t.Helper()
	b := ps.Base()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	fd, err := ps.Openat(b, "file", unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	must(err)
	_, err = fs.Write(fd, []byte("hello"))
	must(err)
	must(fs.Close(fd))
	must(ps.Mkdirat(b, "dir", 0o755))
	must(ps.Mkdirat(b, "dir/sub", 0o755))
	fd, err = ps.Openat(b, "dir/f2", unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	must(err)
	must(fs.Close(fd))
	must(ps.Mkdirat(b, "empty", 0o777))
	for _, l := range [][2]string{{"file", "link"}, {"dir", "dirlink"}, {"nope", "dangling"},
		{"loop2", "loop1"}, {"loop1", "loop2"}, {"/", "abs"}, {"..", "up"}} {
		must(ps.Symlinkat(l[0], b, l[1]))
	}
}

// describe is what the tests compare of a name after an op: its type,
// permission bits, link count and size, or the errno of looking it up.
func describe(ps PathSys, name string) string {
	st, err := ps.Statx(ps.Base(), name, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_BASIC_STATS)
	if err != nil {
		return fmt.Sprintf("%s:%v", name, errnoOfErr(err))
	}
	kind := map[uint16]string{unix.S_IFREG: "reg", unix.S_IFDIR: "dir", unix.S_IFLNK: "lnk", unix.S_IFCHR: "chr"}[st.Mode&unix.S_IFMT]
	s := fmt.Sprintf("%s:%s:%o:n%d:s%d", name, kind, st.Mode&0o7777, st.Nlink, st.Size)
	if kind == "lnk" {
		body, _ := ps.Readlinkat(ps.Base(), name)
		s += "->" + body
	}
	return s
}

// pathCase is one path op: its SQE, the names whose state to report
// afterwards, and whether a non-negative result is a descriptor (which
// differs between backends and is reported as "fd").
type pathCase struct {
	name  string
	prep  func(sqe *rings.SQE, c *pathCtx)
	after []string
	fd    bool
	// link: queue a NOP linked after the op (IOSQE_IO_LINK) to see whether
	// the op's result breaks the link.
	link bool
	// report, if set, adds to the result after a successful op.
	report func() string
}

type pathResult struct {
	Case  string
	Res   string
	After []string
}

// runPathCases runs each case on a fresh tree in its own base directory
// and returns what happened.
func runPathCases(t *testing.T, be Backend, cases []pathCase) []pathResult {
	t.Helper()
	fs, err := Files(be)
	if err != nil {
		t.Fatal(err)
	}
	r := mustNew(t, be, 8, nil)
	defer r.Close()
	mem, err := be.Alloc(64 * 1024)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Free(mem)
	var out []pathResult
	for _, pc := range cases {
		ps, err := Paths(be)
		if err != nil {
			t.Fatalf("%s: Paths: %v", be.Name(), err)
		}
		pathTree(t, ps, fs)
		c := &pathCtx{base: int32(ps.Base()), mem: mem, ps: ps, fs: fs}
		sqe := r.GetSQE()
		pc.prep(sqe, c)
		sqe.UserData = 1
		n := 1
		if pc.link {
			sqe.Flags |= rings.IOSQE_IO_LINK
			PrepNop(r.GetSQE())
			n = 2
		}
		if _, err := r.Submit(); err != nil {
			t.Fatalf("%s: %s: Submit: %v", be.Name(), pc.name, err)
		}
		cqes := reapAll(t, r, n)
		res := fmt.Sprint(cqes[0].Res)
		if cqes[0].Res < 0 {
			res = unix.Errno(-cqes[0].Res).Error()
		} else if pc.fd {
			res = "fd"
			_ = fs.Close(int(cqes[0].Res))
		}
		if pc.link {
			res += fmt.Sprintf(" / nop %d", cqes[1].Res)
		}
		pr := pathResult{Case: pc.name, Res: res}
		if pc.report != nil && cqes[0].Res >= 0 {
			pr.After = append(pr.After, pc.report())
		}
		for _, a := range pc.after {
			pr.After = append(pr.After, describe(ps, a))
		}
		out = append(out, pr)
		_ = ps.Close()
	}
	checkTmpfs(t, be)
	return out
}

// checkTmpfs verifies the simulator's namespace invariants (nothing on
// the host).
func checkTmpfs(t testing.TB, be Backend) {
	t.Helper()
	if b, ok := be.(*simBackend); ok {
		if err := b.task.Proc.K.Tmpfs().Check(b.task.Thread); err != nil {
			t.Fatalf("tmpfs invariant: %v", err)
		}
	}
}

// pathDifferential runs the cases on the simulator variants and the host
// and compares, reporting each differing case by name.
func pathDifferential(t *testing.T, cases []pathCase) {
	t.Helper()
	var first []pathResult
	for i, v := range simVariants {
		got := onSim(t, v.cfg, func(t *testing.T, be Backend) []pathResult { return runPathCases(t, be, cases) })
		if i == 0 {
			first = got
			continue
		}
		comparePathResults(t, v.name, simVariants[0].name, got, first)
	}
	if t.Failed() {
		return
	}
	if !HostAvailable() {
		t.Skipf("host io_uring unavailable")
	}
	be, _ := HostBackend()
	host := runPathCases(t, be, cases)
	if testing.Verbose() {
		for _, r := range host {
			t.Logf("host: %s: %s %v", r.Case, r.Res, r.After)
		}
	}
	comparePathResults(t, "simulator", "host kernel", first, host)
}

func comparePathResults(t *testing.T, gotName, wantName string, got, want []pathResult) {
	t.Helper()
	for i := range max(len(got), len(want)) {
		var g, w pathResult
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: %s and %s differ:\n %-11s %s %v\n %-11s %s %v", w.Case, gotName, wantName, gotName, g.Res, g.After, wantName, w.Res, w.After)
		}
	}
}

func prepOpenat(sqe *rings.SQE, dfd int32, path uint64, flags uint32, mode uint32) {
	PrepRW(sqe, rings.IORING_OP_OPENAT, dfd, path, mode, 0)
	sqe.OpFlags = flags
}

func openCase(name, path string, flags uint32, mode uint32, after ...string) pathCase {
	return pathCase{name: name, fd: true, after: after, prep: func(sqe *rings.SQE, c *pathCtx) {
		prepOpenat(sqe, c.base, c.str(path), flags|unix.O_CLOEXEC, mode)
	}}
}

func TestPathOpenat(t *testing.T) {
	long := strings.Repeat("x", 256)
	cases := []pathCase{
		openCase("read file", "file", unix.O_RDONLY, 0),
		openCase("missing", "nope", unix.O_RDONLY, 0),
		openCase("missing dir component", "nope/file", unix.O_RDONLY, 0),
		openCase("file as dir", "file/x", unix.O_RDONLY, 0),
		openCase("file trailing slash", "file/", unix.O_RDONLY, 0),
		openCase("dir rdonly", "dir", unix.O_RDONLY, 0),
		openCase("dir wronly", "dir", unix.O_WRONLY, 0),
		openCase("dir rdonly trunc", "dir", unix.O_RDONLY|unix.O_TRUNC, 0),
		openCase("O_DIRECTORY on file", "file", unix.O_DIRECTORY, 0),
		openCase("O_DIRECTORY on dirlink", "dirlink", unix.O_DIRECTORY, 0),
		openCase("create", "new", unix.O_CREAT|unix.O_RDWR, 0o666, "new"),
		openCase("create mode 7777", "new", unix.O_CREAT|unix.O_RDWR, 0o7777, "new"),
		openCase("create excl existing", "file", unix.O_CREAT|unix.O_EXCL|unix.O_RDWR, 0o600),
		openCase("create existing", "file", unix.O_CREAT|unix.O_RDWR, 0o600, "file"),
		openCase("create dir", "dir", unix.O_CREAT|unix.O_RDONLY, 0o600),
		openCase("create trailing slash", "new/", unix.O_CREAT|unix.O_RDWR, 0o600, "new"),
		openCase("create in missing dir", "nope/new", unix.O_CREAT|unix.O_RDWR, 0o600),
		openCase("create through dangling", "dangling", unix.O_CREAT|unix.O_RDWR, 0o640, "nope"),
		openCase("create excl dangling", "dangling", unix.O_CREAT|unix.O_EXCL|unix.O_RDWR, 0o640, "nope"),
		openCase("create directory|creat", "new", unix.O_CREAT|unix.O_DIRECTORY|unix.O_RDWR, 0o600, "new"),
		openCase("trunc", "file", unix.O_TRUNC|unix.O_WRONLY, 0, "file"),
		openCase("trunc rdonly", "file", unix.O_TRUNC|unix.O_RDONLY, 0, "file"),
		openCase("follow link", "link", unix.O_RDONLY, 0),
		openCase("nofollow link", "link", unix.O_RDONLY|unix.O_NOFOLLOW, 0),
		openCase("nofollow dir link dir", "dirlink", unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_DIRECTORY, 0),
		openCase("path nofollow link", "link", unix.O_PATH|unix.O_NOFOLLOW, 0),
		openCase("path file", "file", unix.O_PATH, 0),
		openCase("path dir on file", "file", unix.O_PATH|unix.O_DIRECTORY, 0),
		openCase("loop", "loop1", unix.O_RDONLY, 0),
		openCase("loop path nofollow", "loop1", unix.O_PATH|unix.O_NOFOLLOW, 0),
		openCase("dangling", "dangling", unix.O_RDONLY, 0),
		openCase("through dirlink", "dirlink/f2", unix.O_RDONLY, 0),
		openCase("dot", ".", unix.O_RDONLY, 0),
		openCase("dotdot dir", "dir/..", unix.O_RDONLY|unix.O_DIRECTORY, 0),
		openCase("up link", "up", unix.O_RDONLY|unix.O_DIRECTORY, 0),
		openCase("name too long", long, unix.O_RDONLY, 0),
		openCase("create name too long", long, unix.O_CREAT|unix.O_RDWR, 0o600),
		openCase("name 255", strings.Repeat("y", 255), unix.O_CREAT|unix.O_RDWR, 0o600),
		openCase("path too long", strings.Repeat("a/", 2048), unix.O_RDONLY, 0),
		openCase("empty", "", unix.O_RDONLY, 0),
		openCase("tmpfile", "dir", unix.O_TMPFILE|unix.O_RDWR, 0o600, "dir"),
		openCase("tmpfile rdonly", "dir", unix.O_TMPFILE|unix.O_RDONLY, 0o600),
		openCase("tmpfile on file", "file", unix.O_TMPFILE|unix.O_RDWR, 0o600),
		openCase("unknown flags ignored", "file", unix.O_RDONLY|0x10000000, 0),
		{name: "bad dirfd", fd: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			prepOpenat(sqe, 999, c.str("file"), unix.O_RDONLY, 0)
		}},
		{name: "bad dirfd absolute", fd: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			prepOpenat(sqe, 999, c.str("/"), unix.O_RDONLY, 0)
		}},
		{name: "fixed file flag", fd: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			prepOpenat(sqe, c.base, c.str("file"), unix.O_RDONLY, 0)
			sqe.Flags |= rings.IOSQE_FIXED_FILE
		}},
		{name: "buf_index", fd: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			prepOpenat(sqe, c.base, c.str("file"), unix.O_RDONLY, 0)
			sqe.BufIndex = 1
		}},
		{name: "bad name address", fd: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			prepOpenat(sqe, c.base, 8, unix.O_RDONLY, 0)
		}},
		{name: "direct no table", fd: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			prepOpenat(sqe, c.base, c.str("file"), unix.O_RDONLY, 0)
			sqe.SpliceFdIn = 1
		}},
		{name: "direct alloc no table", fd: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			prepOpenat(sqe, c.base, c.str("file"), unix.O_RDONLY, 0)
			sqe.SpliceFdIn = -1
		}},
		{name: "direct cloexec", fd: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			prepOpenat(sqe, c.base, c.str("file"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
			sqe.SpliceFdIn = 1
		}},
		{name: "direct create no table", fd: true, after: []string{"new"}, prep: func(sqe *rings.SQE, c *pathCtx) {
			prepOpenat(sqe, c.base, c.str("new"), unix.O_RDWR|unix.O_CREAT, 0o600)
			sqe.SpliceFdIn = 1
		}},
		{name: "dirfd is a file", fd: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			fd, err := c.ps.Openat(int(c.base), "file", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				panic(err)
			}
			prepOpenat(sqe, int32(fd), c.str("x"), unix.O_RDONLY, 0)
		}},
	}
	pathDifferential(t, cases)
}

func prepOpenat2(sqe *rings.SQE, c *pathCtx, dfd int32, path string, flags, mode, resolve uint64, size int, junk bool) {
	PrepRW(sqe, rings.IORING_OP_OPENAT2, dfd, c.str(path), uint32(size), 0)
	sqe.SetAddr2(c.how(flags, mode, resolve, max(size, 24), junk))
}

func open2Case(name, path string, flags, mode, resolve uint64, after ...string) pathCase {
	return pathCase{name: name, fd: true, after: after, prep: func(sqe *rings.SQE, c *pathCtx) {
		prepOpenat2(sqe, c, c.base, path, flags|unix.O_CLOEXEC, mode, resolve, 24, false)
	}}
}

func TestPathOpenat2(t *testing.T) {
	const (
		noXdev   = 0x01
		noMagic  = 0x02
		noSyms   = 0x04
		beneath  = 0x08
		inRoot   = 0x10
		cached   = 0x20
		tmpfileX = 0x400000
	)
	cases := []pathCase{
		open2Case("plain", "file", unix.O_RDONLY, 0, 0),
		open2Case("unknown flag", "file", unix.O_RDONLY|1<<40, 0, 0),
		open2Case("unknown flag bit 28", "file", unix.O_RDONLY|0x10000000, 0, 0),
		open2Case("mode without create", "file", unix.O_RDONLY, 0o600, 0),
		open2Case("bad mode", "new", unix.O_RDWR|unix.O_CREAT, 0o10000, 0),
		open2Case("create", "new", unix.O_RDWR|unix.O_CREAT, 0o755, 0, "new"),
		open2Case("directory|creat", "new", unix.O_RDWR|unix.O_CREAT|unix.O_DIRECTORY, 0o600, 0),
		open2Case("tmpfile without directory", "dir", unix.O_RDWR|tmpfileX, 0o600, 0),
		open2Case("path with rdwr", "file", unix.O_PATH|unix.O_RDWR, 0, 0),
		open2Case("path with cloexec", "file", unix.O_PATH, 0, 0),
		open2Case("unknown resolve", "file", unix.O_RDONLY, 0, 0x40),
		open2Case("beneath and in_root", "file", unix.O_RDONLY, 0, beneath|inRoot),
		open2Case("no symlinks", "link", unix.O_RDONLY, 0, noSyms),
		open2Case("no symlinks nofollow path", "link", unix.O_PATH|unix.O_NOFOLLOW, 0, noSyms),
		open2Case("no symlinks intermediate", "dirlink/f2", unix.O_RDONLY, 0, noSyms),
		open2Case("no symlinks plain", "dir/f2", unix.O_RDONLY, 0, noSyms),
		open2Case("beneath plain", "dir/f2", unix.O_RDONLY, 0, beneath),
		open2Case("beneath dotdot", "dir/../file", unix.O_RDONLY, 0, beneath),
		open2Case("beneath escape", "../", unix.O_RDONLY, 0, beneath),
		open2Case("beneath escape deep", "dir/../..", unix.O_RDONLY, 0, beneath),
		open2Case("beneath absolute", "/", unix.O_RDONLY, 0, beneath),
		open2Case("beneath abs link", "abs", unix.O_RDONLY, 0, beneath),
		open2Case("beneath up link", "up", unix.O_RDONLY, 0, beneath),
		open2Case("in_root escape", "../file", unix.O_RDONLY, 0, inRoot),
		open2Case("in_root absolute", "/file", unix.O_RDONLY, 0, inRoot),
		open2Case("in_root abs link", "abs/dir/f2", unix.O_RDONLY, 0, inRoot),
		open2Case("in_root up link", "up/file", unix.O_RDONLY, 0, inRoot),
		open2Case("no_xdev", "dir/f2", unix.O_RDONLY, 0, noXdev),
		open2Case("no_magiclinks", "link", unix.O_RDONLY, 0, noMagic),
		open2Case("cached existing", "file", unix.O_RDONLY, 0, cached),
		open2Case("cached missing", "nope", unix.O_RDONLY, 0, cached),
		open2Case("cached create", "new", unix.O_RDWR|unix.O_CREAT, 0o600, cached),
		open2Case("cached trunc", "file", unix.O_RDWR|unix.O_TRUNC, 0, cached),
		{name: "size 23", fd: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			prepOpenat2(sqe, c, c.base, "file", unix.O_RDONLY, 0, 0, 23, false)
		}},
		{name: "size 32 zero tail", fd: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			prepOpenat2(sqe, c, c.base, "file", unix.O_RDONLY, 0, 0, 32, false)
		}},
		{name: "size 32 junk tail", fd: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			prepOpenat2(sqe, c, c.base, "file", unix.O_RDONLY, 0, 0, 32, true)
		}},
		{name: "size 8192 zero tail", fd: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			prepOpenat2(sqe, c, c.base, "file", unix.O_RDONLY, 0, 0, 8192, false)
		}},
		{name: "bad how address", fd: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_OPENAT2, c.base, c.str("file"), 24, 0)
			sqe.SetAddr2(8)
		}},
	}
	pathDifferential(t, cases)
}

func TestPathClose(t *testing.T) {
	cases := []pathCase{
		{name: "close fd", prep: func(sqe *rings.SQE, c *pathCtx) {
			fd, _ := c.ps.Openat(int(c.base), "file", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			PrepRW(sqe, rings.IORING_OP_CLOSE, int32(fd), 0, 0, 0)
		}},
		{name: "close bad fd", prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_CLOSE, 999, 0, 0, 0)
		}},
		{name: "close off", prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_CLOSE, 999, 0, 0, 1)
		}},
		{name: "close addr", prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_CLOSE, 999, 1, 0, 0)
		}},
		{name: "close len", prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_CLOSE, 999, 0, 1, 0)
		}},
		{name: "close rw_flags", prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_CLOSE, 999, 0, 0, 0)
			sqe.OpFlags = 1
		}},
		{name: "close buf_index", prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_CLOSE, 999, 0, 0, 0)
			sqe.BufIndex = 1
		}},
		{name: "close fixed flag", prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_CLOSE, 0, 0, 0, 0)
			sqe.Flags |= rings.IOSQE_FIXED_FILE
		}},
		{name: "close slot and fd", prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_CLOSE, 3, 0, 0, 0)
			sqe.SpliceFdIn = 1
		}},
		{name: "close slot no table", prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_CLOSE, 0, 0, 0, 0)
			sqe.SpliceFdIn = 1
		}},
		{name: "close twice", link: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			fd, _ := c.ps.Openat(int(c.base), "file", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			_ = c.fs.Close(fd)
			PrepRW(sqe, rings.IORING_OP_CLOSE, int32(fd), 0, 0, 0)
		}},
	}
	pathDifferential(t, cases)
}

// TestPathCloseRing: IORING_OP_CLOSE refuses an io_uring descriptor.
func TestPathCloseRing(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []int32 {
		r := mustNew(t, be, 4, nil)
		defer r.Close()
		r2 := mustNew(t, be, 4, nil)
		defer r2.Close()
		sqe := r.GetSQE()
		PrepRW(sqe, rings.IORING_OP_CLOSE, int32(r2.FD()), 0, 0, 0)
		if _, err := r.Submit(); err != nil {
			t.Fatal(err)
		}
		c := reapAll(t, r, 1)
		return []int32{c[0].Res}
	})
}

func prepStatx(sqe *rings.SQE, dfd int32, path uint64, flags, mask uint32, buf uint64) {
	PrepRW(sqe, rings.IORING_OP_STATX, dfd, path, mask, buf)
	sqe.OpFlags = flags
}

// statxCase stats path and reports the fields that do not depend on the
// machine (type, mode, nlink, size, blocks, mask, attributes).
func statxCase(name, path string, flags, mask uint32) pathCase {
	var buf []byte
	return pathCase{name: name,
		prep: func(sqe *rings.SQE, c *pathCtx) {
			var a uint64
			a, buf = c.buf(256)
			prepStatx(sqe, c.base, c.str(path), flags, mask, a)
		},
		report: func() string {
			var s unix.Statx_t
			copy(statxBytes(&s), buf)
			return fmt.Sprintf("mask=%#x mode=%o nlink=%d size=%d blocks=%d blksize=%d attr=%#x amask=%#x uid=%d gid=%d",
				s.Mask, s.Mode, s.Nlink, s.Size, s.Blocks, s.Blksize, s.Attributes, s.Attributes_mask, s.Uid, s.Gid)
		}}
}

func TestPathStatx(t *testing.T) {
	all := uint32(unix.STATX_ALL | unix.STATX_MNT_ID)
	cases := []pathCase{
		statxCase("file", "file", 0, all),
		statxCase("missing", "nope", 0, all),
		statxCase("reserved mask", "file", 0, 0x80000000),
		statxCase("sync type both", "file", unix.AT_STATX_FORCE_SYNC|unix.AT_STATX_DONT_SYNC, all),
		statxCase("bad flag", "file", unix.AT_SYMLINK_FOLLOW, all),
		statxCase("removedir flag", "file", unix.AT_REMOVEDIR, all),
		statxCase("empty no flag", "", 0, all),
		statxCase("empty path", "", unix.AT_EMPTY_PATH, all),
		statxCase("link follow", "link", 0, all),
		statxCase("link nofollow", "link", unix.AT_SYMLINK_NOFOLLOW, all),
		statxCase("dangling", "dangling", 0, all),
		statxCase("loop", "loop1", 0, all),
		statxCase("loop nofollow", "loop1", unix.AT_SYMLINK_NOFOLLOW, all),
		statxCase("file slash", "file/", 0, all),
		statxCase("dir", "dir", 0, all),
		statxCase("mask 0", "file", 0, 0),
		statxCase("mask btime", "file", 0, unix.STATX_BTIME),
		statxCase("mask unique", "file", 0, unix.STATX_BASIC_STATS|unix.STATX_MNT_ID_UNIQUE),
		{name: "bad buffer", prep: func(sqe *rings.SQE, c *pathCtx) {
			prepStatx(sqe, c.base, c.str("file"), 0, all, 8)
		}},
		{name: "bad buffer missing file", prep: func(sqe *rings.SQE, c *pathCtx) {
			prepStatx(sqe, c.base, c.str("nope"), 0, all, 8)
		}},
		{name: "splice_fd_in", prep: func(sqe *rings.SQE, c *pathCtx) {
			a, _ := c.buf(256)
			prepStatx(sqe, c.base, c.str("file"), 0, all, a)
			sqe.SpliceFdIn = 1
		}},
	}
	pathDifferential(t, cases)
}

func TestPathMkdirUnlink(t *testing.T) {
	mk := func(name, path string, mode uint32, after ...string) pathCase {
		return pathCase{name: name, after: after, prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_MKDIRAT, c.base, c.str(path), mode, 0)
		}}
	}
	un := func(name, path string, flags uint32, after ...string) pathCase {
		return pathCase{name: name, after: after, prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_UNLINKAT, c.base, c.str(path), 0, 0)
			sqe.OpFlags = flags
		}}
	}
	cases := []pathCase{
		mk("mkdir", "new", 0o777, "new", "."),
		mk("mkdir mode bits", "new", 0o17777, "new"),
		mk("mkdir trailing slash", "new/", 0o700, "new"),
		mk("mkdir existing", "dir", 0o700),
		mk("mkdir existing file", "file", 0o700),
		mk("mkdir over dangling", "dangling", 0o700),
		mk("mkdir dot", ".", 0o700),
		mk("mkdir dotdot", "dir/..", 0o700),
		mk("mkdir missing parent", "nope/new", 0o700),
		mk("mkdir under file", "file/new", 0o700),
		mk("mkdir via dirlink", "dirlink/new", 0o700, "dir/new", "dir"),
		mk("mkdir long name", strings.Repeat("z", 256), 0o700),
		{name: "mkdir off", prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_MKDIRAT, c.base, c.str("new"), 0o700, 1)
		}},
		{name: "mkdir rw_flags", prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_MKDIRAT, c.base, c.str("new"), 0o700, 0)
			sqe.OpFlags = 1
		}},
		{name: "mkdir fixed", prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_MKDIRAT, c.base, c.str("new"), 0o700, 0)
			sqe.Flags |= rings.IOSQE_FIXED_FILE
		}},
		{name: "mkdir empty name", prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_MKDIRAT, c.base, c.str(""), 0o700, 0)
		}},
		{name: "mkdir existing linked", link: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_MKDIRAT, c.base, c.str("dir"), 0o700, 0)
		}},
		un("unlink file", "file", 0, "file", "link", "."),
		un("unlink link", "link", 0, "link", "file"),
		un("unlink dir", "dir", 0, "dir"),
		un("unlink missing", "nope", 0),
		un("unlink file slash", "file/", 0, "file"),
		un("unlink dir slash", "dir/", 0),
		un("unlink dot", ".", 0),
		un("unlink dirlink slash", "dirlink/", 0),
		un("rmdir empty", "empty", unix.AT_REMOVEDIR, "empty", "."),
		un("rmdir empty slash", "empty/", unix.AT_REMOVEDIR, "empty"),
		un("rmdir nonempty", "dir", unix.AT_REMOVEDIR, "dir"),
		un("rmdir file", "file", unix.AT_REMOVEDIR),
		un("rmdir dirlink", "dirlink", unix.AT_REMOVEDIR),
		un("rmdir dot", ".", unix.AT_REMOVEDIR),
		un("rmdir dotdot", "dir/..", unix.AT_REMOVEDIR),
		un("rmdir missing", "nope", unix.AT_REMOVEDIR),
		un("unlink bad flags", "file", 0x100),
		{name: "unlink len", prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_UNLINKAT, c.base, c.str("file"), 1, 0)
		}},
		{name: "unlink missing linked", link: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_UNLINKAT, c.base, c.str("nope"), 0, 0)
		}},
	}
	pathDifferential(t, cases)
}

func TestPathSymlinkLink(t *testing.T) {
	sym := func(name, target, path string, after ...string) pathCase {
		return pathCase{name: name, after: after, prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_SYMLINKAT, c.base, c.str(target), 0, 0)
			sqe.SetAddr2(c.str(path))
		}}
	}
	ln := func(name, old, nw string, flags uint32, after ...string) pathCase {
		return pathCase{name: name, after: after, prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_LINKAT, c.base, c.str(old), uint32(c.base), 0)
			sqe.SetAddr2(c.str(nw))
			sqe.OpFlags = flags
		}}
	}
	cases := []pathCase{
		sym("symlink", "file", "new", "new"),
		sym("symlink long body", strings.Repeat("b", 200), "new", "new"),
		sym("symlink existing", "file", "dir"),
		sym("symlink slash", "file", "new/"),
		sym("symlink empty target", "", "new"),
		sym("symlink into missing", "file", "nope/new"),
		{name: "symlink len", prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_SYMLINKAT, c.base, c.str("file"), 1, 0)
			sqe.SetAddr2(c.str("new"))
		}},
		ln("link", "file", "new", 0, "new", "file"),
		ln("link existing", "file", "dir/f2", 0),
		ln("link dir", "dir", "new", 0),
		ln("link symlink nofollow", "link", "new", 0, "new", "link"),
		ln("link symlink follow", "link", "new", unix.AT_SYMLINK_FOLLOW, "new", "file"),
		ln("link dangling follow", "dangling", "new", unix.AT_SYMLINK_FOLLOW, "new"),
		ln("link bad flags", "file", "new", 0x100),
		ln("link missing", "nope", "new", 0),
		ln("link empty no flag", "", "new", 0),
		ln("link new slash", "file", "new/", 0),
	}
	pathDifferential(t, cases)
}

func TestPathRename(t *testing.T) {
	rn := func(name, old, nw string, flags uint32, after ...string) pathCase {
		return pathCase{name: name, after: after, prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_RENAMEAT, c.base, c.str(old), uint32(c.base), 0)
			sqe.SetAddr2(c.str(nw))
			sqe.OpFlags = flags
		}}
	}
	const (
		noreplace = unix.RENAME_NOREPLACE
		exchange  = unix.RENAME_EXCHANGE
		whiteout  = unix.RENAME_WHITEOUT
	)
	cases := []pathCase{
		rn("rename file", "file", "new", 0, "file", "new"),
		rn("rename over file", "file", "dir/f2", 0, "file", "dir/f2"),
		rn("rename over dir", "file", "dir", 0),
		rn("rename dir over file", "empty", "file", 0),
		rn("rename dir over empty", "dir", "empty", 0, "dir", "empty", "."),
		rn("rename dir over nonempty", "empty", "dir", 0, "empty"),
		rn("rename into own subdir", "dir", "dir/sub/x", 0),
		rn("rename over ancestor", "dir/sub", "dir", 0),
		rn("rename sub over ancestor parent", "dir/sub/..", "x", 0),
		rn("rename missing", "nope", "new", 0),
		rn("rename to missing dir", "file", "nope/new", 0),
		rn("rename same", "file", "file", 0, "file"),
		rn("rename hardlink same inode", "file", "file", noreplace),
		rn("rename noreplace", "file", "dir/f2", noreplace),
		rn("rename noreplace free", "file", "new", noreplace, "new"),
		rn("rename exchange", "file", "dir", exchange, "file", "dir", "file/f2"),
		rn("rename exchange missing", "file", "new", exchange),
		rn("rename exchange noreplace", "file", "dir", exchange|noreplace),
		rn("rename whiteout", "file", "new", whiteout, "file", "new"),
		rn("rename whiteout exchange", "file", "dir", whiteout|exchange),
		rn("rename bad flags", "file", "new", 8),
		rn("rename file slash", "file/", "new", 0),
		rn("rename to slash", "file", "new/", 0),
		rn("rename dir slash", "empty/", "new/", 0, "new"),
		rn("rename dot", ".", "new", 0),
		rn("rename to dot", "file", ".", 0),
		rn("rename to dot noreplace", "file", ".", noreplace),
		rn("rename symlink", "link", "new", 0, "new"),
		{name: "rename splice_fd_in", prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_RENAMEAT, c.base, c.str("file"), uint32(c.base), 0)
			sqe.SetAddr2(c.str("new"))
			sqe.SpliceFdIn = 1
		}},
	}
	pathDifferential(t, cases)
}
