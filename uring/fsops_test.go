package uring

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// Differential tests of the file ops that always go to io-wq: FSYNC,
// SYNC_FILE_RANGE, FALLOCATE, FTRUNCATE, FADVISE, MADVISE, SPLICE and TEE.
// Each case submits one SQE and waits for its CQE, then the test compares
// the results and the files' contents with the host kernel's. Host
// temporary files are put on tmpfs (/dev/shm) like the simulator's, since
// fallocate's modes depend on the file system.

// useTmpfs makes the host's TempFile create its files on tmpfs.
func useTmpfs(t *testing.T) {
	var st unix.Statfs_t
	if unix.Statfs("/dev/shm", &st) == nil && st.Type == unix.TMPFS_MAGIC {
		t.Setenv("TMPDIR", "/dev/shm")
	}
}

// fsEnv is one backend's ring, files and scratch memory for these tests.
type fsEnv struct {
	t   *testing.T
	be  Backend
	r   *Ring
	fs  FileSys
	buf []byte // scratch user memory for reading files back
	out []string
}

func newFsEnv(t *testing.T, be Backend) *fsEnv {
	t.Helper()
	fs, err := Files(be)
	if err != nil {
		t.Fatal(err)
	}
	buf, err := be.Alloc(1 << 16)
	if err != nil {
		t.Fatal(err)
	}
	e := &fsEnv{t: t, be: be, r: mustNew(t, be, 8, nil), fs: fs, buf: buf}
	t.Cleanup(func() {
		e.r.Close()
		be.Free(buf)
	})
	return e
}

// do submits one SQE prepared by prep and returns its CQE's result.
func (e *fsEnv) do(prep func(sqe *rings.SQE)) int32 {
	e.t.Helper()
	sqe := e.r.GetSQE()
	if sqe == nil {
		e.t.Fatalf("%s: no SQE", e.be.Name())
	}
	prep(sqe)
	sqe.UserData = 42
	if _, err := e.r.Submit(); err != nil {
		e.t.Fatalf("%s: Submit: %v", e.be.Name(), err)
	}
	cqe, err := e.r.WaitCQE()
	if err != nil {
		e.t.Fatalf("%s: WaitCQE: %v", e.be.Name(), err)
	}
	res := cqe.Res
	if cqe.UserData != 42 {
		e.t.Errorf("%s: CQE user_data %d", e.be.Name(), cqe.UserData)
	}
	e.r.CQESeen(cqe)
	return res
}

// check runs one case, records its result and compares it with want.
func (e *fsEnv) check(name string, want int32, prep func(sqe *rings.SQE)) {
	e.t.Helper()
	got := e.do(prep)
	if got != want {
		e.t.Errorf("%s: %s: res %s, want %s", e.be.Name(), name, resName(got), resName(want))
	}
	e.out = append(e.out, fmt.Sprintf("%s: %s", name, resName(got)))
}

// note records a line of observed state.
func (e *fsEnv) note(format string, args ...any) {
	e.out = append(e.out, fmt.Sprintf(format, args...))
}

func resName(res int32) string {
	if res < 0 {
		return "-" + unix.ErrnoName(unix.Errno(-res))
	}
	return fmt.Sprint(res)
}

// contents reads the whole of a regular file (up to 64 KiB) with an
// IORING_OP_READ at offset 0, leaving its position alone.
func (e *fsEnv) contents(fd int) string {
	e.t.Helper()
	res := e.do(func(sqe *rings.SQE) { PrepRead(sqe, int32(fd), addrOf(e.buf), uint32(len(e.buf)), 0) })
	if res < 0 {
		e.t.Fatalf("%s: read back: %s", e.be.Name(), resName(res))
	}
	return string(e.buf[:res])
}

// readPipe reads what a pipe holds (it must hold something or be closed).
func (e *fsEnv) readPipe(fd int) string {
	e.t.Helper()
	b := make([]byte, 1<<17)
	n, err := e.fs.Read(fd, b)
	if err != nil {
		return "error " + err.Error()
	}
	return string(b[:n])
}

func (e *fsEnv) tempFile(data string, size int64) int {
	e.t.Helper()
	fd, err := e.fs.TempFile([]byte(data), size)
	if err != nil {
		e.t.Fatal(err)
	}
	return fd
}

func (e *fsEnv) pipe() (int, int) {
	e.t.Helper()
	r, w, err := e.fs.Pipe()
	if err != nil {
		e.t.Fatal(err)
	}
	return r, w
}

func (e *fsEnv) eventfd() int {
	e.t.Helper()
	fd, err := e.fs.Eventfd(0)
	if err != nil {
		e.t.Fatal(err)
	}
	return fd
}

func (e *fsEnv) write(fd int, s string) {
	e.t.Helper()
	if n, err := e.fs.Write(fd, []byte(s)); err != nil || n != len(s) {
		e.t.Fatalf("%s: write %q: %d, %v", e.be.Name(), s, n, err)
	}
}

const (
	eINVAL     = -int32(unix.EINVAL)
	eBADF      = -int32(unix.EBADF)
	eSPIPE     = -int32(unix.ESPIPE)
	eOPNOTSUPP = -int32(unix.EOPNOTSUPP)
	eNODEV     = -int32(unix.ENODEV)
	eFBIG      = -int32(unix.EFBIG)
	eAGAIN     = -int32(unix.EAGAIN)
	eNOMEM     = -int32(unix.ENOMEM)
)

func TestFsyncAndSyncFileRange(t *testing.T) {
	useTmpfs(t)
	differential(t, func(t *testing.T, be Backend) []string {
		e := newFsEnv(t, be)
		tmp := e.tempFile("0123456789", 0)
		pr, pw := e.pipe()
		efd := e.eventfd()
		fsync := func(fd int32, flags uint32, off uint64, n uint32) func(*rings.SQE) {
			return func(sqe *rings.SQE) {
				PrepRW(sqe, rings.IORING_OP_FSYNC, fd, 0, n, off)
				sqe.OpFlags = flags
			}
		}
		e.check("fsync", 0, fsync(int32(tmp), 0, 0, 0))
		e.check("fdatasync", 0, fsync(int32(tmp), rings.IORING_FSYNC_DATASYNC, 0, 0))
		e.check("fsync range", 0, fsync(int32(tmp), 0, 100, 10))
		e.check("fsync negative offset", eINVAL, fsync(int32(tmp), 0, math.MaxUint64-5, 1))
		e.check("fsync end overflows", 0, fsync(int32(tmp), 0, math.MaxInt64, 10))
		e.check("fsync bad flags", eINVAL, fsync(int32(tmp), 2, 0, 0))
		e.check("fsync addr", eINVAL, func(sqe *rings.SQE) { fsync(int32(tmp), 0, 0, 0)(sqe); sqe.Addr = 1 })
		e.check("fsync buf_index", eINVAL, func(sqe *rings.SQE) { fsync(int32(tmp), 0, 0, 0)(sqe); sqe.BufIndex = 1 })
		e.check("fsync splice_fd_in", eINVAL, func(sqe *rings.SQE) { fsync(int32(tmp), 0, 0, 0)(sqe); sqe.SpliceFdIn = 1 })
		e.check("fsync pipe", eINVAL, fsync(int32(pr), 0, 0, 0))
		e.check("fsync eventfd", eINVAL, fsync(int32(efd), 0, 0, 0))
		e.check("fsync ring", eINVAL, fsync(int32(e.r.FD()), 0, 0, 0))
		e.check("fsync bad fd", eBADF, fsync(9999, 0, 0, 0))
		e.check("fsync IOSQE_ASYNC", 0, func(sqe *rings.SQE) { fsync(int32(tmp), 0, 0, 0)(sqe); sqe.Flags = rings.IOSQE_ASYNC })

		sfr := func(fd int32, flags uint32, off uint64, n uint32) func(*rings.SQE) {
			return func(sqe *rings.SQE) {
				PrepRW(sqe, rings.IORING_OP_SYNC_FILE_RANGE, fd, 0, n, off)
				sqe.OpFlags = flags
			}
		}
		e.check("sfr", 0, sfr(int32(tmp), 0, 0, 0))
		e.check("sfr write", 0, sfr(int32(tmp), 2, 4096, 4096))
		e.check("sfr all flags", 0, sfr(int32(tmp), 7, 0, 10))
		e.check("sfr bad flags", eINVAL, sfr(int32(tmp), 8, 0, 0))
		e.check("sfr negative offset", eINVAL, sfr(int32(tmp), 0, math.MaxUint64, 0))
		e.check("sfr end overflows", eINVAL, sfr(int32(tmp), 0, math.MaxInt64, 10))
		e.check("sfr addr", eINVAL, func(sqe *rings.SQE) { sfr(int32(tmp), 0, 0, 0)(sqe); sqe.Addr = 1 })
		e.check("sfr buf_index", eINVAL, func(sqe *rings.SQE) { sfr(int32(tmp), 0, 0, 0)(sqe); sqe.BufIndex = 1 })
		e.check("sfr splice_fd_in", eINVAL, func(sqe *rings.SQE) { sfr(int32(tmp), 0, 0, 0)(sqe); sqe.SpliceFdIn = 3 })
		e.check("sfr pipe read end", eSPIPE, sfr(int32(pr), 0, 0, 0))
		e.check("sfr pipe write end", eSPIPE, sfr(int32(pw), 0, 0, 0))
		e.check("sfr eventfd", eSPIPE, sfr(int32(efd), 0, 0, 0))
		e.check("sfr pipe bad flags", eINVAL, sfr(int32(pr), 8, 0, 0))
		e.check("sfr bad fd", eBADF, sfr(-1, 0, 0, 0))
		e.note("contents %q", e.contents(tmp))
		return e.out
	})
}

func TestFallocate(t *testing.T) {
	useTmpfs(t)
	differential(t, func(t *testing.T, be Backend) []string {
		e := newFsEnv(t, be)
		tmp := e.tempFile("0123456789abcdef", 0)
		pr, pw := e.pipe()
		efd := e.eventfd()
		// io_uring's FALLOCATE: offset in off, length in addr, mode in len.
		falloc := func(fd int32, mode uint32, off, n uint64) func(*rings.SQE) {
			return func(sqe *rings.SQE) { PrepRW(sqe, rings.IORING_OP_FALLOCATE, fd, n, mode, off) }
		}
		e.check("punch hole", 0, falloc(int32(tmp), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 2, 3))
		e.note("after punch %q", e.contents(tmp))
		e.check("allocate", 0, falloc(int32(tmp), 0, 0, 100))
		e.note("size after allocate %d", len(e.contents(tmp)))
		e.check("allocate keep size", 0, falloc(int32(tmp), unix.FALLOC_FL_KEEP_SIZE, 200, 100))
		e.note("size after keep size %d", len(e.contents(tmp)))
		e.check("allocate past end", 0, falloc(int32(tmp), 0, 5000, 10))
		c := e.contents(tmp)
		e.note("size after past end %d, zeros %v", len(c), c[16:] == string(make([]byte, len(c)-16)))
		e.check("punch hole across pages", 0, falloc(int32(tmp), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 10, 5000))
		c = e.contents(tmp)
		e.note("after punch %q size %d", c[:16], len(c))
		e.check("punch without keep size", eOPNOTSUPP, falloc(int32(tmp), unix.FALLOC_FL_PUNCH_HOLE, 0, 1))
		e.check("zero range", eOPNOTSUPP, falloc(int32(tmp), unix.FALLOC_FL_ZERO_RANGE, 0, 1))
		e.check("collapse keep size", eOPNOTSUPP, falloc(int32(tmp), unix.FALLOC_FL_COLLAPSE_RANGE|unix.FALLOC_FL_KEEP_SIZE, 0, 4096))
		e.check("unknown mode bit", eOPNOTSUPP, falloc(int32(tmp), 0x100, 0, 1))
		e.check("unshare range", eOPNOTSUPP, falloc(int32(tmp), unix.FALLOC_FL_UNSHARE_RANGE, 0, 1))
		e.check("write zeroes", eOPNOTSUPP, falloc(int32(tmp), 0x80, 0, 1))
		e.check("insert range", eOPNOTSUPP, falloc(int32(tmp), unix.FALLOC_FL_INSERT_RANGE, 0, 4096))
		e.check("no hide stale", eOPNOTSUPP, falloc(int32(tmp), unix.FALLOC_FL_NO_HIDE_STALE, 0, 1))
		e.check("mode -1", eOPNOTSUPP, falloc(int32(tmp), math.MaxUint32, 0, 1))
		e.check("two modes", eOPNOTSUPP, falloc(int32(tmp), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_ZERO_RANGE, 0, 1))
		e.check("zero length", eINVAL, falloc(int32(tmp), 0, 0, 0))
		e.check("negative length", eINVAL, falloc(int32(tmp), 0, 0, math.MaxUint64))
		e.check("negative offset", eINVAL, falloc(int32(tmp), 0, math.MaxUint64, 1))
		e.check("offset+len overflows", eFBIG, falloc(int32(tmp), 0, math.MaxInt64-10, 100))
		e.check("pipe write end", eSPIPE, falloc(int32(pw), 0, 0, 1))
		e.check("pipe read end", eBADF, falloc(int32(pr), 0, 0, 1))
		e.check("eventfd", eNODEV, falloc(int32(efd), 0, 0, 1))
		e.check("bad mode before bad fd kind", eOPNOTSUPP, falloc(int32(pr), 0x100, 0, 1))
		e.check("bad fd", eBADF, falloc(9999, 0, 0, 1))
		e.check("rw_flags", eINVAL, func(sqe *rings.SQE) { falloc(int32(tmp), 0, 0, 1)(sqe); sqe.OpFlags = 1 })
		e.check("buf_index", eINVAL, func(sqe *rings.SQE) { falloc(int32(tmp), 0, 0, 1)(sqe); sqe.BufIndex = 1 })
		e.check("splice_fd_in", eINVAL, func(sqe *rings.SQE) { falloc(int32(tmp), 0, 0, 1)(sqe); sqe.SpliceFdIn = 1 })
		return e.out
	})
}

func TestFtruncate(t *testing.T) {
	useTmpfs(t)
	differential(t, func(t *testing.T, be Backend) []string {
		e := newFsEnv(t, be)
		tmp := e.tempFile("0123456789", 0)
		pr, pw := e.pipe()
		efd := e.eventfd()
		ftrunc := func(fd int32, length uint64) func(*rings.SQE) {
			return func(sqe *rings.SQE) { PrepRW(sqe, rings.IORING_OP_FTRUNCATE, fd, 0, 0, length) }
		}
		e.check("shrink", 0, ftrunc(int32(tmp), 4))
		e.note("after shrink %q", e.contents(tmp))
		e.check("grow", 0, ftrunc(int32(tmp), 8192))
		c := e.contents(tmp)
		e.note("after grow %q size %d", c[:8], len(c))
		e.check("beyond 2 GiB", 0, ftrunc(int32(tmp), 3<<30))
		e.check("back to 6", 0, ftrunc(int32(tmp), 6))
		e.note("after back %q", e.contents(tmp))
		e.check("negative", eINVAL, ftrunc(int32(tmp), math.MaxUint64))
		e.check("pipe read end", eINVAL, ftrunc(int32(pr), 0))
		e.check("pipe write end", eINVAL, ftrunc(int32(pw), 0))
		e.check("eventfd", eINVAL, ftrunc(int32(efd), 0))
		e.check("bad fd", eBADF, ftrunc(9999, 0))
		e.check("len", eINVAL, func(sqe *rings.SQE) { ftrunc(int32(tmp), 0)(sqe); sqe.Len = 1 })
		e.check("addr", eINVAL, func(sqe *rings.SQE) { ftrunc(int32(tmp), 0)(sqe); sqe.Addr = 1 })
		e.check("rw_flags", eINVAL, func(sqe *rings.SQE) { ftrunc(int32(tmp), 0)(sqe); sqe.OpFlags = 1 })
		e.check("buf_index", eINVAL, func(sqe *rings.SQE) { ftrunc(int32(tmp), 0)(sqe); sqe.BufIndex = 1 })
		e.check("splice_fd_in", eINVAL, func(sqe *rings.SQE) { ftrunc(int32(tmp), 0)(sqe); sqe.SpliceFdIn = 1 })
		e.check("addr3", eINVAL, func(sqe *rings.SQE) { ftrunc(int32(tmp), 0)(sqe); sqe.Addr3 = 1 })
		e.note("final %q", e.contents(tmp))
		return e.out
	})
}

func TestFadvise(t *testing.T) {
	useTmpfs(t)
	differential(t, func(t *testing.T, be Backend) []string {
		e := newFsEnv(t, be)
		tmp := e.tempFile("0123456789", 0)
		pr, _ := e.pipe()
		efd := e.eventfd()
		fadv := func(fd int32, advice uint32, off uint64, n uint32) func(*rings.SQE) {
			return func(sqe *rings.SQE) {
				PrepRW(sqe, rings.IORING_OP_FADVISE, fd, 0, n, off)
				sqe.OpFlags = advice
			}
		}
		for advice := uint32(0); advice <= 5; advice++ {
			e.check(fmt.Sprintf("advice %d", advice), 0, fadv(int32(tmp), advice, 0, 0))
		}
		e.check("advice 6", eINVAL, fadv(int32(tmp), 6, 0, 0))
		e.check("advice -1", eINVAL, fadv(int32(tmp), math.MaxUint32, 0, 0))
		e.check("willneed far", 0, fadv(int32(tmp), unix.FADV_WILLNEED, 1<<40, 100))
		e.check("dontneed negative offset", 0, fadv(int32(tmp), unix.FADV_DONTNEED, math.MaxUint64-4095, 4096))
		e.check("pipe", eSPIPE, fadv(int32(pr), 0, 0, 0))
		e.check("pipe bad advice", eSPIPE, fadv(int32(pr), 99, 0, 0))
		e.check("eventfd", 0, fadv(int32(efd), unix.FADV_SEQUENTIAL, 0, 0))
		e.check("eventfd bad advice", eINVAL, fadv(int32(efd), 99, 0, 0))
		e.check("bad fd", eBADF, fadv(9999, 0, 0, 0))
		e.check("64-bit length in addr", 0, func(sqe *rings.SQE) { fadv(int32(tmp), 0, 0, 0)(sqe); sqe.Addr = 1 << 40 })
		e.check("negative 64-bit length", eINVAL, func(sqe *rings.SQE) { fadv(int32(tmp), 0, 0, 10)(sqe); sqe.Addr = math.MaxUint64 })
		e.check("negative 64-bit length on pipe", eSPIPE, func(sqe *rings.SQE) { fadv(int32(pr), 0, 0, 10)(sqe); sqe.Addr = math.MaxUint64 })
		e.check("buf_index", eINVAL, func(sqe *rings.SQE) { fadv(int32(tmp), 0, 0, 0)(sqe); sqe.BufIndex = 1 })
		e.check("splice_fd_in", eINVAL, func(sqe *rings.SQE) { fadv(int32(tmp), 0, 0, 0)(sqe); sqe.SpliceFdIn = 1 })
		return e.out
	})
}

func TestMadvise(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []string {
		e := newFsEnv(t, be)
		const page = 4096
		mem, err := be.Alloc(3 * page)
		if err != nil {
			t.Fatal(err)
		}
		defer be.Free(mem)
		for i := range mem {
			mem[i] = byte(i/page + 1)
		}
		madv := func(addr uint64, n uint32, advice uint32) func(*rings.SQE) {
			return func(sqe *rings.SQE) {
				PrepRW(sqe, rings.IORING_OP_MADVISE, -1, addr, n, 0)
				sqe.OpFlags = advice
			}
		}
		base := addrOf(mem)
		e.check("willneed", 0, madv(base, 3*page, unix.MADV_WILLNEED))
		e.check("dontneed middle page", 0, madv(base+page, page, unix.MADV_DONTNEED))
		e.note("pages %d %d %d", mem[0], mem[page+7], mem[2*page+9])
		e.check("dontneed partial length rounds up", 0, madv(base+2*page, 1, unix.MADV_DONTNEED))
		e.note("pages %d %d %d", mem[0], mem[page+7], mem[2*page+9])
		e.check("unaligned", eINVAL, madv(base+1, page, unix.MADV_DONTNEED))
		e.check("bad advice", eINVAL, madv(base, page, 999))
		e.check("bad advice unaligned", eINVAL, madv(base+1, page, 999))
		e.check("zero length", 0, madv(base, 0, unix.MADV_DONTNEED))
		e.check("zero length unmapped", 0, madv(0x1000, 0, unix.MADV_DONTNEED))
		e.check("normal", 0, madv(base, 3*page, unix.MADV_NORMAL))
		mem[2*page] = 9
		e.check("64-bit length in off", 0, func(sqe *rings.SQE) { madv(base+2*page, 0, unix.MADV_DONTNEED)(sqe); sqe.Off = page })
		e.note("page 2 %d", mem[2*page])
		e.check("length in off wins", 0, func(sqe *rings.SQE) { madv(base, 1<<30, unix.MADV_NORMAL)(sqe); sqe.Off = page })
		e.check("huge length wraps", eINVAL, func(sqe *rings.SQE) { madv(base, 0, unix.MADV_NORMAL)(sqe); sqe.Off = math.MaxUint64 - 10 })
		e.check("huge length", eNOMEM, func(sqe *rings.SQE) { madv(base, 0, unix.MADV_NORMAL)(sqe); sqe.Off = 1 << 46 })
		e.check("buf_index", eINVAL, func(sqe *rings.SQE) { madv(base, page, 0)(sqe); sqe.BufIndex = 1 })
		e.check("splice_fd_in", eINVAL, func(sqe *rings.SQE) { madv(base, page, 0)(sqe); sqe.SpliceFdIn = 1 })
		gone, err := be.Alloc(page)
		if err != nil {
			t.Fatal(err)
		}
		gaddr := addrOf(gone)
		be.Free(gone)
		e.check("unmapped", eNOMEM, madv(gaddr, page, unix.MADV_DONTNEED))
		e.check("unmapped bad advice", eINVAL, madv(gaddr, page, 999))
		return e.out
	})
}

func TestSplice(t *testing.T) {
	useTmpfs(t)
	differential(t, func(t *testing.T, be Backend) []string {
		e := newFsEnv(t, be)
		tmp := e.tempFile("hello, world", 0)
		p1r, p1w := e.pipe()
		p2r, p2w := e.pipe()
		efd := e.eventfd()
		none := uint64(math.MaxUint64) // -1: no offset
		// io_uring's SPLICE: output fd in fd, input in splice_fd_in,
		// off_in in splice_off_in (addr), off_out in off.
		splice := func(in int32, offIn uint64, out int32, offOut uint64, n uint32, flags uint32) func(*rings.SQE) {
			return func(sqe *rings.SQE) {
				PrepRW(sqe, rings.IORING_OP_SPLICE, out, offIn, n, offOut)
				sqe.SpliceFdIn = in
				sqe.OpFlags = flags
			}
		}
		e.check("file@0 to pipe", 5, splice(int32(tmp), 0, int32(p1w), none, 5, 0))
		e.note("pipe holds %q", e.readPipe(p1r))
		e.check("file at its position to pipe", 12, splice(int32(tmp), none, int32(p1w), none, 100, 0))
		e.check("file at end", 0, splice(int32(tmp), none, int32(p1w), none, 100, 0))
		e.check("file past end", 0, splice(int32(tmp), 1000, int32(p1w), none, 100, 0))
		e.note("pipe holds %q", e.readPipe(p1r))
		e.write(p1w, "abcdef")
		e.check("pipe to file@20", 3, splice(int32(p1r), none, int32(tmp), 20, 3, 0))
		e.write(p1w, "XY")
		e.check("pipe to file at its position", 5, splice(int32(p1r), none, int32(tmp), none, 100, 0))
		e.note("file %q", e.contents(tmp))
		e.write(p1w, "pipe-to-pipe")
		e.check("pipe to pipe partial", 4, splice(int32(p1r), none, int32(p2w), none, 4, 0))
		e.check("pipe to pipe rest", 8, splice(int32(p1r), none, int32(p2w), none, 100, 0))
		e.write(p2w, "+more")
		e.note("pipe 2 holds %q", e.readPipe(p2r))
		e.check("empty pipe nonblock", eAGAIN, splice(int32(p1r), none, int32(p2w), none, 10, unix.SPLICE_F_NONBLOCK))
		e.check("empty pipe to file nonblock", eAGAIN, splice(int32(p1r), none, int32(tmp), none, 10, unix.SPLICE_F_NONBLOCK))
		e.check("same pipe", eINVAL, splice(int32(p1r), none, int32(p1w), none, 10, 0))
		e.check("offset on input pipe", eSPIPE, splice(int32(p1r), 0, int32(p2w), none, 10, 0))
		e.check("offset on output pipe", eSPIPE, splice(int32(tmp), 0, int32(p2w), 0, 10, 0))
		e.check("offset on output pipe from pipe", eSPIPE, splice(int32(p1r), none, int32(p2w), 0, 10, 0))
		e.check("no pipe", eINVAL, splice(int32(tmp), 0, int32(tmp), 0, 10, 0))
		e.check("input not readable", eBADF, splice(int32(p1w), none, int32(p2w), none, 10, 0))
		e.check("output not writable", eBADF, splice(int32(tmp), 0, int32(p1r), none, 10, 0))
		e.check("bad input fd", eBADF, splice(9999, none, int32(p2w), none, 10, 0))
		e.check("bad output fd", eBADF, splice(int32(tmp), 0, 9999, none, 10, 0))
		e.check("fixed input without table", eBADF, splice(0, none, int32(p2w), none, 10, rings.SPLICE_F_FD_IN_FIXED))
		e.check("zero length", 0, splice(int32(tmp), 0, int32(tmp), 0, 0, 0))
		e.check("bad flags", eINVAL, splice(int32(tmp), 0, int32(p1w), none, 10, 0x10))
		e.check("eventfd to pipe", eINVAL, splice(int32(efd), none, int32(p1w), none, 10, 0))
		e.write(p1w, "data")
		e.check("pipe to eventfd", eINVAL, splice(int32(p1r), none, int32(efd), none, 10, 0))
		e.check("negative file offset", eINVAL, splice(int32(tmp), uint64(math.MaxUint64-1), int32(p2w), none, 10, 0))
		e.note("pipe holds %q", e.readPipe(p1r))

		// A full output pipe: -EAGAIN with SPLICE_F_NONBLOCK.
		e.write(p2w, string(bytes.Repeat([]byte{'z'}, 16*4096)))
		e.check("full pipe nonblock", eAGAIN, splice(int32(tmp), 0, int32(p2w), none, 10, unix.SPLICE_F_NONBLOCK))
		e.note("drained %d", len(e.readPipe(p2r)))

		// Splicing a large file fills at most the pipe's free slots.
		big := e.tempFile(string(bytes.Repeat([]byte("0123456789abcdef"), 8192)), 0) // 128 KiB
		e.check("big file to pipe", 65536-100, splice(int32(big), 100, int32(p2w), none, 200000, 0))
		got := e.readPipe(p2r)
		e.note("big: %d bytes, starts %q", len(got), got[:20])

		// A pipe whose writer is gone splices 0 bytes.
		p3r, p3w := e.pipe()
		e.fs.Close(p3w)
		e.check("pipe at EOF to file", 0, splice(int32(p3r), none, int32(tmp), 0, 10, 0))
		e.check("pipe at EOF to pipe", 0, splice(int32(p3r), none, int32(p2w), none, 10, 0))
		e.fs.Close(p2r)
		e.check("file to pipe without reader", -int32(unix.EPIPE), splice(int32(tmp), 0, int32(p2w), none, 10, 0))
		e.note("file %q", e.contents(tmp))
		return e.out
	})
}

func TestTee(t *testing.T) {
	useTmpfs(t)
	differential(t, func(t *testing.T, be Backend) []string {
		e := newFsEnv(t, be)
		tmp := e.tempFile("file", 0)
		p1r, p1w := e.pipe()
		p2r, p2w := e.pipe()
		tee := func(in, out int32, n uint32, flags uint32) func(*rings.SQE) {
			return func(sqe *rings.SQE) {
				PrepRW(sqe, rings.IORING_OP_TEE, out, 0, n, 0)
				sqe.SpliceFdIn = in
				sqe.OpFlags = flags
			}
		}
		e.write(p1w, "teedata")
		e.check("tee", 7, tee(int32(p1r), int32(p2w), 100, 0))
		e.check("tee part", 3, tee(int32(p1r), int32(p2w), 3, 0))
		e.note("copy %q", e.readPipe(p2r))
		e.write(p1w, "+appended")
		e.note("source %q", e.readPipe(p1r))
		e.check("empty nonblock", eAGAIN, tee(int32(p1r), int32(p2w), 10, unix.SPLICE_F_NONBLOCK))
		e.check("same pipe", eINVAL, tee(int32(p1r), int32(p1w), 10, 0))
		e.check("file input", eINVAL, tee(int32(tmp), int32(p2w), 10, 0))
		e.check("file output", eINVAL, tee(int32(p1r), int32(tmp), 10, 0))
		e.check("input not readable", eBADF, tee(int32(p1w), int32(p2w), 10, 0))
		e.check("output not writable", eBADF, tee(int32(p1r), int32(p2r), 10, 0))
		e.check("bad input fd", eBADF, tee(9999, int32(p2w), 10, 0))
		e.check("fixed input without table", eBADF, tee(0, int32(p2w), 10, rings.SPLICE_F_FD_IN_FIXED))
		e.check("zero length", 0, tee(int32(tmp), int32(tmp), 0, 0))
		e.check("off", eINVAL, func(sqe *rings.SQE) { tee(int32(p1r), int32(p2w), 10, 0)(sqe); sqe.Off = 1 })
		e.check("splice_off_in", eINVAL, func(sqe *rings.SQE) { tee(int32(p1r), int32(p2w), 10, 0)(sqe); sqe.Addr = 1 })
		e.check("bad flags", eINVAL, tee(int32(p1r), int32(p2w), 10, 0x100))

		// Tee shares pages: reading and rewriting the source must not
		// change the copy.
		e.write(p1w, "shared")
		e.check("tee shared", 6, tee(int32(p1r), int32(p2w), 6, 0))
		e.note("source %q", e.readPipe(p1r))
		e.write(p1w, "OVERWRITE")
		e.note("copy %q", e.readPipe(p2r))
		e.note("source %q", e.readPipe(p1r))

		p3r, p3w := e.pipe()
		e.fs.Close(p3w)
		e.check("input at EOF", 0, tee(int32(p3r), int32(p2w), 10, 0))
		return e.out
	})
}

// TestFsOpsLinks: which failures break a link. SPLICE and TEE fail the
// link on any result other than the full length, FADVISE on an error; the
// sync ops, FALLOCATE, FTRUNCATE and MADVISE post their error without
// failing the link.
func TestFsOpsLinks(t *testing.T) {
	useTmpfs(t)
	differential(t, func(t *testing.T, be Backend) []string {
		e := newFsEnv(t, be)
		tmp := e.tempFile("0123456789", 0)
		pr, pw := e.pipe()
		p2r, p2w := e.pipe()
		var out []string
		link := func(name string, prep func(sqe *rings.SQE)) {
			sqe := e.r.GetSQE()
			prep(sqe)
			sqe.UserData = 1
			sqe.Flags |= rings.IOSQE_IO_LINK
			sqe = e.r.GetSQE()
			PrepNop(sqe)
			sqe.UserData = 2
			if _, err := e.r.Submit(); err != nil {
				t.Fatal(err)
			}
			got := reapAll(t, e.r, 2)
			out = append(out, fmt.Sprintf("%s: %v", name, got))
		}
		link("fsync pipe", func(sqe *rings.SQE) { PrepRW(sqe, rings.IORING_OP_FSYNC, int32(pr), 0, 0, 0) })
		link("sfr pipe", func(sqe *rings.SQE) { PrepRW(sqe, rings.IORING_OP_SYNC_FILE_RANGE, int32(pr), 0, 0, 0) })
		link("fallocate pipe", func(sqe *rings.SQE) { PrepRW(sqe, rings.IORING_OP_FALLOCATE, int32(pw), 1, 0, 0) })
		link("ftruncate pipe", func(sqe *rings.SQE) { PrepRW(sqe, rings.IORING_OP_FTRUNCATE, int32(pw), 0, 0, 0) })
		link("fadvise pipe", func(sqe *rings.SQE) { PrepRW(sqe, rings.IORING_OP_FADVISE, int32(pr), 0, 0, 0) })
		link("fadvise pipe willneed", func(sqe *rings.SQE) {
			PrepRW(sqe, rings.IORING_OP_FADVISE, int32(pr), 0, 0, 0)
			sqe.OpFlags = unix.FADV_WILLNEED
		})
		link("madvise unaligned", func(sqe *rings.SQE) {
			PrepRW(sqe, rings.IORING_OP_MADVISE, -1, addrOf(e.buf)+1, 4096, 0)
			sqe.OpFlags = unix.MADV_NORMAL
		})
		link("fsync ok", func(sqe *rings.SQE) { PrepRW(sqe, rings.IORING_OP_FSYNC, int32(tmp), 0, 0, 0) })
		link("splice short", func(sqe *rings.SQE) {
			PrepRW(sqe, rings.IORING_OP_SPLICE, int32(pw), 0, 100, math.MaxUint64)
			sqe.SpliceFdIn = int32(tmp)
		})
		link("splice full", func(sqe *rings.SQE) {
			PrepRW(sqe, rings.IORING_OP_SPLICE, int32(pw), 0, 10, math.MaxUint64)
			sqe.SpliceFdIn = int32(tmp)
		})
		link("tee short", func(sqe *rings.SQE) {
			PrepRW(sqe, rings.IORING_OP_TEE, int32(p2w), 0, 100, 0)
			sqe.SpliceFdIn = int32(pr)
		})
		link("splice zero", func(sqe *rings.SQE) {
			PrepRW(sqe, rings.IORING_OP_SPLICE, int32(pw), 0, 0, math.MaxUint64)
			sqe.SpliceFdIn = int32(tmp)
		})
		link("splice bad input", func(sqe *rings.SQE) {
			PrepRW(sqe, rings.IORING_OP_SPLICE, int32(pw), 0, 0, math.MaxUint64)
			sqe.SpliceFdIn = 9999
		})
		out = append(out, "pipe "+e.readPipe(pr), "copy "+e.readPipe(p2r))
		return out
	})
}

// TestSpliceBlocking: a splice or tee from an empty pipe waits in io-wq
// until data arrives (or the writer goes); one into a full pipe waits for
// room.
func TestSpliceBlocking(t *testing.T) {
	useTmpfs(t)
	differential(t, func(t *testing.T, be Backend) []string {
		e := newFsEnv(t, be)
		tmp := e.tempFile("", 0)
		p1r, p1w := e.pipe()
		p2r, p2w := e.pipe()
		var out []string
		submit := func(ud uint64, prep func(sqe *rings.SQE)) {
			sqe := e.r.GetSQE()
			prep(sqe)
			sqe.UserData = ud
			if _, err := e.r.Submit(); err != nil {
				t.Fatal(err)
			}
		}
		splice := func(in, out int32, offOut uint64, n uint32) func(*rings.SQE) {
			return func(sqe *rings.SQE) {
				PrepRW(sqe, rings.IORING_OP_SPLICE, out, math.MaxUint64, n, offOut)
				sqe.SpliceFdIn = in
			}
		}
		submit(1, splice(int32(p1r), int32(p2w), math.MaxUint64, 100))
		e.fs.Sleep(10e6)
		out = append(out, fmt.Sprintf("ready before write: %d", e.r.CQReady()))
		e.write(p1w, "wake up")
		out = append(out, fmt.Sprint(reapAll(t, e.r, 1)))
		out = append(out, "moved "+e.readPipe(p2r))

		submit(2, splice(int32(p1r), int32(tmp), 0, 100))
		e.fs.Sleep(10e6)
		e.write(p1w, "to the file")
		out = append(out, fmt.Sprint(reapAll(t, e.r, 1)))
		out = append(out, "file "+e.contents(tmp))

		submit(3, func(sqe *rings.SQE) {
			PrepRW(sqe, rings.IORING_OP_TEE, int32(p2w), 0, 100, 0)
			sqe.SpliceFdIn = int32(p1r)
		})
		e.fs.Sleep(10e6)
		e.write(p1w, "teed")
		out = append(out, fmt.Sprint(reapAll(t, e.r, 1)))
		out = append(out, "copy "+e.readPipe(p2r), "source "+e.readPipe(p1r))

		// A full output pipe: the splice waits for a reader.
		e.write(p2w, string(bytes.Repeat([]byte{'z'}, 16*4096)))
		e.write(p1w, "after full")
		submit(4, splice(int32(p1r), int32(p2w), math.MaxUint64, 100))
		e.fs.Sleep(10e6)
		out = append(out, fmt.Sprintf("ready while full: %d", e.r.CQReady()))
		out = append(out, fmt.Sprintf("drained %d", len(e.readPipe(p2r))))
		out = append(out, fmt.Sprint(reapAll(t, e.r, 1)))
		out = append(out, "moved "+e.readPipe(p2r))

		// The writer goes away: the waiting splice ends with 0.
		submit(5, splice(int32(p1r), int32(p2w), math.MaxUint64, 100))
		e.fs.Sleep(10e6)
		e.fs.Close(p1w)
		out = append(out, fmt.Sprint(reapAll(t, e.r, 1)))
		return out
	})
}

// TestSpliceSlots: how spliced data occupies pipe slots. A splice from a
// file puts each piece in a buffer of its own that later writes cannot
// extend; a whole buffer moved from pipe to pipe keeps its mergeability,
// a partial one (and a tee's copy) does not; an O_NONBLOCK end makes the
// op nonblocking without SPLICE_F_NONBLOCK.
func TestSpliceSlots(t *testing.T) {
	useTmpfs(t)
	differential(t, func(t *testing.T, be Backend) []string {
		e := newFsEnv(t, be)
		tmp := e.tempFile("0123456789", 0)
		p1r, p1w := e.pipe()
		p2r, p2w := e.pipe()
		setNonblock(t, e.fs, p1w)
		setNonblock(t, e.fs, p2w)
		page := make([]byte, 4096)
		// freeSlots fills the pipe page by page, counts the pages that
		// fitted and drains it.
		freeSlots := func(w, r int) int {
			n := 0
			for {
				if _, err := e.fs.Write(w, page); err != nil {
					break
				}
				n++
			}
			return n
		}
		splice := func(in int32, offIn uint64, out int32, n uint32) func(*rings.SQE) {
			return func(sqe *rings.SQE) {
				PrepRW(sqe, rings.IORING_OP_SPLICE, out, offIn, n, math.MaxUint64)
				sqe.SpliceFdIn = in
			}
		}
		for i := 0; i < 3; i++ {
			e.check("one byte from the file", 1, splice(int32(tmp), uint64(i), int32(p1w), 1))
		}
		e.write(p1w, "x")
		e.note("free slots after 3 splices and a write: %d", freeSlots(p1w, p1r))
		e.note("pipe %q", e.readPipe(p1r))

		e.write(p1w, "ab")
		e.check("whole buffer to pipe 2", 2, splice(int32(p1r), math.MaxUint64, int32(p2w), 100))
		e.write(p2w, "c")
		e.note("free slots after a moved buffer and a write: %d", freeSlots(p2w, p2r))
		e.note("pipe 2 %d bytes", len(e.readPipe(p2r)))

		e.write(p1w, "abcd")
		e.check("partial buffer to pipe 2", 2, splice(int32(p1r), math.MaxUint64, int32(p2w), 2))
		e.write(p2w, "e")
		e.write(p1w, "f")
		e.note("free slots in 2 after a partial move: %d", freeSlots(p2w, p2r))
		e.note("free slots in 1: %d", freeSlots(p1w, p1r))
		got2 := e.readPipe(p2r)
		got1 := e.readPipe(p1r)
		e.note("pipe 2 starts %q, pipe 1 starts %q", got2[:3], got1[:3])

		e.write(p1w, "tee")
		e.check("tee", 3, func(sqe *rings.SQE) {
			PrepRW(sqe, rings.IORING_OP_TEE, int32(p2w), 0, 10, 0)
			sqe.SpliceFdIn = int32(p1r)
		})
		e.write(p2w, "!")
		e.write(p1w, "?")
		e.note("free slots in 2 after a tee: %d", freeSlots(p2w, p2r))
		got2 = e.readPipe(p2r)
		got1 = e.readPipe(p1r)
		e.note("pipe 2 starts %q, pipe 1 starts %q", got2[:4], got1[:4])

		// O_NONBLOCK on the output pipe's file: an empty input gives
		// -EAGAIN; so does a full output for a file splice.
		e.check("nonblocking output, empty input", eAGAIN, splice(int32(p1r), math.MaxUint64, int32(p2w), 10))
		freeSlots(p2w, p2r)
		e.check("nonblocking full output", eAGAIN, splice(int32(tmp), 0, int32(p2w), 10))
		e.note("drained %d", len(e.readPipe(p2r)))
		return e.out
	})
}

// TestFsOpsOpenModes: the access mode and O_APPEND of the file decide
// -EBADF and -EINVAL: a read-only file cannot be truncated (-EINVAL) or
// allocated (-EBADF) or spliced into; a write-only one cannot be spliced
// from; an O_APPEND file cannot be spliced into.
func TestFsOpsOpenModes(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []string {
		e := newFsEnv(t, be)
		ps, err := Paths(be)
		if err != nil {
			t.Fatal(err)
		}
		defer ps.Close()
		rw, err := ps.Openat(ps.Base(), "f", unix.O_CREAT|unix.O_RDWR|unix.O_CLOEXEC, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		e.write(rw, "0123456789")
		open := func(flags int) int32 {
			fd, err := ps.Openat(ps.Base(), "f", flags|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			return int32(fd)
		}
		ro, wo, ap := open(unix.O_RDONLY), open(unix.O_WRONLY), open(unix.O_WRONLY|unix.O_APPEND)
		pr, pw := e.pipe()
		op := func(opcode uint8, fd int32, addr uint64, n uint32, off uint64) func(*rings.SQE) {
			return func(sqe *rings.SQE) { PrepRW(sqe, opcode, fd, addr, n, off) }
		}
		splice := func(in int32, offIn uint64, out int32, offOut uint64, n uint32) func(*rings.SQE) {
			return func(sqe *rings.SQE) {
				PrepRW(sqe, rings.IORING_OP_SPLICE, out, offIn, n, offOut)
				sqe.SpliceFdIn = in
			}
		}
		none := uint64(math.MaxUint64)
		e.check("ftruncate read-only", eINVAL, op(rings.IORING_OP_FTRUNCATE, ro, 0, 0, 5))
		e.check("fallocate read-only", eBADF, op(rings.IORING_OP_FALLOCATE, ro, 1, 0, 0))
		e.check("fsync read-only", 0, op(rings.IORING_OP_FSYNC, ro, 0, 0, 0))
		e.check("sfr read-only", 0, op(rings.IORING_OP_SYNC_FILE_RANGE, ro, 0, 0, 0))
		e.check("fadvise write-only", 0, op(rings.IORING_OP_FADVISE, wo, 0, 0, 0))
		e.check("fallocate append", 0, op(rings.IORING_OP_FALLOCATE, ap, 4096, 0, 0))
		e.check("ftruncate write-only", 0, op(rings.IORING_OP_FTRUNCATE, wo, 0, 0, 12))
		e.check("splice read-only to pipe", 12, splice(ro, 0, int32(pw), none, 100))
		e.note("pipe %q", e.readPipe(pr))
		e.write(pw, "abc")
		e.check("splice pipe to read-only", eBADF, splice(int32(pr), none, ro, 0, 3))
		e.check("splice write-only to pipe", eBADF, splice(wo, 0, int32(pw), none, 3))
		e.check("splice pipe to append", eINVAL, splice(int32(pr), none, ap, none, 3))
		e.check("splice pipe to append at offset", eINVAL, splice(int32(pr), none, ap, 0, 3))
		e.check("splice pipe to write-only", 3, splice(int32(pr), none, wo, 2, 3))
		e.note("file %q", e.contents(int(ro)))

		opath := open(unix.O_PATH)
		e.check("splice from O_PATH", eBADF, splice(opath, 0, int32(pw), none, 3))
		e.check("tee from O_PATH", eBADF, func(sqe *rings.SQE) {
			PrepRW(sqe, rings.IORING_OP_TEE, int32(pw), 0, 3, 0)
			sqe.SpliceFdIn = opath
		})

		dir := int32(ps.Base())
		e.check("fsync directory", 0, op(rings.IORING_OP_FSYNC, dir, 0, 0, 0))
		e.check("sfr directory", 0, op(rings.IORING_OP_SYNC_FILE_RANGE, dir, 0, 0, 0))
		e.check("fallocate directory", eBADF, op(rings.IORING_OP_FALLOCATE, dir, 1, 0, 0))
		e.check("ftruncate directory", eINVAL, op(rings.IORING_OP_FTRUNCATE, dir, 0, 0, 0))
		e.check("fadvise directory", 0, op(rings.IORING_OP_FADVISE, dir, 0, 0, 0))
		e.check("splice directory to pipe", eINVAL, splice(dir, 0, int32(pw), none, 10))
		return e.out
	})
}

// TestFsOpsOPath: io_uring resolves sqe->fd with fget(), which does not
// return an O_PATH file, so every file op on one fails with -EBADF.
func TestFsOpsOPath(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []string {
		e := newFsEnv(t, be)
		ps, err := Paths(be)
		if err != nil {
			t.Fatal(err)
		}
		defer ps.Close()
		fd, err := ps.Openat(ps.Base(), "f", unix.O_CREAT|unix.O_RDWR|unix.O_CLOEXEC, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		e.fs.Close(fd)
		opath, err := ps.Openat(ps.Base(), "f", unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range []uint8{rings.IORING_OP_FSYNC, rings.IORING_OP_SYNC_FILE_RANGE, rings.IORING_OP_FADVISE, rings.IORING_OP_FTRUNCATE,
			rings.IORING_OP_READ, rings.IORING_OP_WRITE, rings.IORING_OP_FALLOCATE, rings.IORING_OP_POLL_ADD} {
			e.check(rings.OpName(op)+" on O_PATH", eBADF, func(sqe *rings.SQE) { PrepRW(sqe, op, int32(opath), 0, 0, 0) })
		}
		return e.out
	})
}

// TestSpliceCloseWhileBlocked: closing the ring while a splice waits in
// io-wq for data cancels it; the close returns.
func TestSpliceCloseWhileBlocked(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) string {
		fs, err := Files(be)
		if err != nil {
			t.Fatal(err)
		}
		r := mustNew(t, be, 8, nil)
		pr, pw, _ := fs.Pipe()
		p2r, p2w, _ := fs.Pipe()
		defer func() {
			for _, fd := range []int{pr, pw, p2r, p2w} {
				fs.Close(fd)
			}
		}()
		sqe := r.GetSQE()
		PrepRW(sqe, rings.IORING_OP_SPLICE, int32(p2w), math.MaxUint64, 10, math.MaxUint64)
		sqe.SpliceFdIn = int32(pr)
		if _, err := r.Submit(); err != nil {
			t.Fatal(err)
		}
		fs.Sleep(10e6)
		return fmt.Sprint(errnoOfErr(r.Close()))
	})
}
