package uring

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
	"pgregory.net/rapid"

	"github.com/uringsim/uringsim/rings"
)

// pathOpGen is one generated path op: an SQE preparer and a description.
type pathOpGen struct {
	desc   string
	fd     bool
	keep   bool // a descriptor result is kept in the next slot
	prep   func(sqe *rings.SQE, c *pathCtx)
	report func() string // after a successful op
}

// genName draws a relative name of 1–3 components over a small alphabet
// so that ops collide, with ".." only below the base (textual depth > 0)
// and sometimes a trailing slash. Symlink bodies never contain "." or
// "..", so no name resolves above the base directory.
func genName(t *rapid.T, label string) string {
	n := []int{1, 1, 1, 1, 1, 2, 2, 2, 3}[rapid.IntRange(0, 8).Draw(t, label+"-len")]
	var parts []string
	depth := 0
	for i := range n {
		c := rapid.SampledFrom([]string{"a", "b", "c", "l", "a", "b", "l", ".", ".."}).Draw(t, fmt.Sprintf("%s-%d", label, i))
		if c == ".." && depth == 0 {
			c = "a"
		}
		switch c {
		case ".":
		case "..":
			depth--
		default:
			depth++
		}
		parts = append(parts, c)
	}
	s := strings.Join(parts, "/")
	if rapid.IntRange(0, 5).Draw(t, label+"-slash") == 0 {
		s += "/"
	}
	return s
}

// genDfd draws the directory descriptor of an op: mostly the base, else
// one of the descriptors kept open by earlier "keep" opens (slot i; the
// base when there is no such slot).
func genDfd(t *rapid.T, label string) int {
	if rapid.IntRange(0, 2).Draw(t, label) != 0 {
		return -1
	}
	return rapid.IntRange(0, 3).Draw(t, label+"-slot")
}

// dfd resolves a slot drawn by genDfd.
func (c *pathCtx) dfd(slot int) int32 {
	if slot >= 0 && slot < len(c.slots) {
		return c.slots[slot]
	}
	return c.base
}

func genTarget(t *rapid.T) string {
	n := rapid.IntRange(1, 2).Draw(t, "target-len")
	var parts []string
	for i := range n {
		parts = append(parts, rapid.SampledFrom([]string{"a", "b", "c", "l"}).Draw(t, fmt.Sprintf("target-%d", i)))
	}
	return strings.Join(parts, "/")
}

func genPathOp(t *rapid.T) pathOpGen {
	switch rapid.IntRange(0, 11).Draw(t, "op") {
	case 10:
		// Keep a descriptor open for later ops: a directory (O_PATH or
		// O_DIRECTORY), a file, or an O_TMPFILE.
		p := genName(t, "keep")
		fl := uint32(rapid.SampledFrom([]int{unix.O_PATH, unix.O_RDONLY | unix.O_DIRECTORY, unix.O_RDONLY,
			unix.O_TMPFILE | unix.O_RDWR, unix.O_TMPFILE | unix.O_RDWR | unix.O_EXCL, unix.O_PATH | unix.O_NOFOLLOW}).Draw(t, "keepflags"))
		d := genDfd(t, "keep-dfd")
		return pathOpGen{desc: fmt.Sprintf("keep %d:%s %#o", d, p, fl), fd: true, keep: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			prepOpenat(sqe, c.dfd(d), c.str(p), fl|unix.O_CLOEXEC, 0o600)
		}}
	case 11:
		// linkat(AT_EMPTY_PATH) of a kept descriptor, or statx of one.
		d, n := genDfd(t, "empty-dfd"), genName(t, "empty-new")
		if rapid.Bool().Draw(t, "empty-statx") {
			var buf []byte
			return pathOpGen{desc: fmt.Sprintf("statx-empty %d", d), prep: func(sqe *rings.SQE, c *pathCtx) {
				var a uint64
				a, buf = c.buf(256)
				PrepStatx(sqe, c.dfd(d), c.str(""), unix.AT_EMPTY_PATH, unix.STATX_BASIC_STATS, a)
			}, report: func() string {
				var st unix.Statx_t
				copy(statxBytes(&st), buf)
				return fmt.Sprintf("mode=%o nlink=%d size=%d", st.Mode, st.Nlink, st.Size)
			}}
		}
		return pathOpGen{desc: fmt.Sprintf("link-empty %d %s", d, n), prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepLinkat(sqe, c.dfd(d), c.str(""), c.base, c.str(n), unix.AT_EMPTY_PATH)
		}}
	case 9:
		p := genName(t, "statx")
		fl := uint32(rapid.SampledFrom([]int{0, unix.AT_SYMLINK_NOFOLLOW}).Draw(t, "sflags"))
		var buf []byte
		return pathOpGen{desc: fmt.Sprintf("statx %s %#x", p, fl), prep: func(sqe *rings.SQE, c *pathCtx) {
			var a uint64
			a, buf = c.buf(256)
			PrepStatx(sqe, c.base, c.str(p), fl, unix.STATX_BASIC_STATS, a)
		}, report: func() string {
			var st unix.Statx_t
			copy(statxBytes(&st), buf)
			return fmt.Sprintf("mode=%o nlink=%d size=%d", st.Mode, st.Nlink, st.Size)
		}}
	case 0:
		p, d := genName(t, "mkdir"), genDfd(t, "mkdir-dfd")
		return pathOpGen{desc: fmt.Sprintf("mkdir %d:%s", d, p), prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_MKDIRAT, c.dfd(d), c.str(p), 0o755, 0)
		}}
	case 1, 2:
		p := genName(t, "open")
		fl := uint32(rapid.SampledFrom([]int{unix.O_RDONLY, unix.O_WRONLY, unix.O_RDWR}).Draw(t, "acc"))
		for _, f := range []int{unix.O_CREAT, unix.O_EXCL, unix.O_TRUNC, unix.O_DIRECTORY, unix.O_NOFOLLOW, unix.O_PATH, unix.O_APPEND} {
			if rapid.IntRange(0, 3).Draw(t, fmt.Sprintf("flag-%#x", f)) == 0 {
				fl |= uint32(f)
			}
		}
		if rapid.IntRange(0, 15).Draw(t, "tmpfile") == 0 {
			fl = unix.O_TMPFILE | unix.O_RDWR
		}
		d := genDfd(t, "open-dfd")
		return pathOpGen{desc: fmt.Sprintf("open %d:%s %#o", d, p, fl), fd: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			prepOpenat(sqe, c.dfd(d), c.str(p), fl|unix.O_CLOEXEC, 0o644)
		}}
	case 3:
		p := genName(t, "unlink")
		fl := uint32(rapid.SampledFrom([]int{0, unix.AT_REMOVEDIR}).Draw(t, "rmdir"))
		d := genDfd(t, "unlink-dfd")
		return pathOpGen{desc: fmt.Sprintf("unlink %d:%s %#x", d, p, fl), prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_UNLINKAT, c.dfd(d), c.str(p), 0, 0)
			sqe.OpFlags = fl
		}}
	case 4:
		tg, p := genTarget(t), genName(t, "symlink")
		return pathOpGen{desc: "symlink " + tg + " " + p, prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_SYMLINKAT, c.base, c.str(tg), 0, 0)
			sqe.SetAddr2(c.str(p))
		}}
	case 5:
		o, n := genName(t, "link-old"), genName(t, "link-new")
		fl := uint32(rapid.SampledFrom([]int{0, unix.AT_SYMLINK_FOLLOW}).Draw(t, "follow"))
		return pathOpGen{desc: fmt.Sprintf("link %s %s %#x", o, n, fl), prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_LINKAT, c.base, c.str(o), uint32(c.base), 0)
			sqe.SetAddr2(c.str(n))
			sqe.OpFlags = fl
		}}
	case 6, 7:
		o, n := genName(t, "rename-old"), genName(t, "rename-new")
		fl := uint32(rapid.SampledFrom([]int{0, 0, unix.RENAME_NOREPLACE, unix.RENAME_EXCHANGE, unix.RENAME_WHITEOUT}).Draw(t, "rflags"))
		d1, d2 := genDfd(t, "rename-dfd1"), genDfd(t, "rename-dfd2")
		return pathOpGen{desc: fmt.Sprintf("rename %d:%s %d:%s %#x", d1, o, d2, n, fl), prep: func(sqe *rings.SQE, c *pathCtx) {
			PrepRW(sqe, rings.IORING_OP_RENAMEAT, c.dfd(d1), c.str(o), uint32(c.dfd(d2)), 0)
			sqe.SetAddr2(c.str(n))
			sqe.OpFlags = fl
		}}
	default:
		p := genName(t, "open2")
		// No RESOLVE_CACHED: through a symlink the host's answer depends
		// on whether its clock ticked (see TestPathMore).
		res := uint64(rapid.SampledFrom([]int{0, 0x04, 0x08, 0x10}).Draw(t, "resolve"))
		return pathOpGen{desc: fmt.Sprintf("openat2 %s resolve=%#x", p, res), fd: true, prep: func(sqe *rings.SQE, c *pathCtx) {
			prepOpenat2(sqe, c, c.base, p, unix.O_RDONLY|unix.O_CLOEXEC, 0, res, 24, false)
		}}
	}
}

// pathSnapshot describes every name of up to two components over the
// alphabet.
func pathSnapshot(ps PathSys) []string {
	var out []string
	names := []string{"a", "b", "c", "l"}
	for _, x := range names {
		out = append(out, describe(ps, x))
		for _, y := range names {
			out = append(out, describe(ps, x+"/"+y))
		}
	}
	return out
}

// runPathOps runs ops one submission each on be in a fresh base
// directory and returns each result and the final snapshot.
func runPathOps(t testing.TB, be Backend, ops []pathOpGen) []string {
	fs, err := Files(be)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := Paths(be)
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	r := mustNew(t, be, 4, nil)
	defer r.Close()
	mem, err := be.Alloc(16 * 1024)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Free(mem)
	c := &pathCtx{base: int32(ps.Base()), mem: mem, ps: ps, fs: fs}
	// Start from a directory a, a file b and a symlink l -> a.
	if err := ps.Mkdirat(ps.Base(), "a", 0o755); err != nil {
		t.Fatal(err)
	}
	if fd, err := ps.Openat(ps.Base(), "b", unix.O_CREAT|unix.O_RDWR|unix.O_CLOEXEC, 0o644); err != nil {
		t.Fatal(err)
	} else {
		fs.Close(fd)
	}
	if err := ps.Symlinkat("a", ps.Base(), "l"); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, op := range ops {
		c.off = 0
		sqe := r.GetSQE()
		op.prep(sqe, c)
		if _, err := r.Submit(); err != nil {
			t.Fatalf("%s: Submit: %v", be.Name(), err)
		}
		res := reapAll(t, r, 1)[0].Res
		s := fmt.Sprint(res)
		if res < 0 {
			s = unix.Errno(-res).Error()
		} else if op.fd {
			s = "fd"
			if op.keep && len(c.slots) < 4 {
				c.slots = append(c.slots, res)
			} else {
				_ = fs.Close(int(res))
			}
		}
		if res >= 0 && op.report != nil {
			s += " " + op.report()
		}
		out = append(out, op.desc+": "+s)
	}
	for _, fd := range c.slots {
		_ = fs.Close(int(fd))
	}
	checkTmpfs(t, be)
	return append(out, pathSnapshot(ps)...)
}

// TestPathOpsProperty: random sequences of path ops give the same
// results and leave the same tree on the simulator as on the host.
func TestPathOpsProperty(t *testing.T) {
	host, err := HostBackend()
	if err != nil {
		t.Skipf("host io_uring unavailable: %v", err)
	}
	rapid.Check(t, func(rt *rapid.T) {
		ops := rapid.SliceOfN(rapid.Custom(genPathOp), 1, 12).Draw(rt, "ops")
		m := NewSimMachine(SimConfig{Seed: 1})
		sim := runPathOps(t, m.Backend(), ops)
		m.Close()
		want := runPathOps(t, host, ops)
		for i := range max(len(sim), len(want)) {
			var s, w string
			if i < len(sim) {
				s = sim[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if s != w {
				rt.Fatalf("step %d differs:\n sim  %s\n host %s", i, s, w)
			}
		}
	})
}
