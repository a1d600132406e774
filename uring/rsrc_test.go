package uring

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// rsrcLog drives one ring through the registration helpers and records
// every call's outcome and every CQE in order, so the two backends can be
// compared line by line.
type rsrcLog struct {
	t   *testing.T
	r   *Ring
	be  Backend
	fs  FileSys
	log []string
}

func newRsrcLog(t *testing.T, be Backend) *rsrcLog {
	r := mustNew(t, be, 16, nil)
	fs, err := Files(be)
	if err != nil {
		t.Fatal(err)
	}
	return &rsrcLog{t: t, r: r, be: be, fs: fs}
}

func (l *rsrcLog) add(format string, a ...any) { l.log = append(l.log, fmt.Sprintf(format, a...)) }

// call records a registration's error.
func (l *rsrcLog) call(what string, err error) { l.add("%s: %v", what, errnoOfErr(err)) }

// calln records a registration that returns a count.
func (l *rsrcLog) calln(what string, n int, err error) {
	l.add("%s: n=%d %v", what, n, errnoOfErr(err))
}

// drain records every CQE already posted (tag CQEs after a registration).
func (l *rsrcLog) drain() {
	for {
		cqe, err := l.r.PeekCQE()
		if err != nil {
			return
		}
		l.add("cqe %v", rec(cqe))
		l.r.CQESeen(cqe)
	}
}

// drainUntil records CQEs until one with user_data ud has come: a tag CQE
// is posted when the last holder of its node lets go, which a request
// freed on another thread (concurrent mode) may do after its own CQE.
func (l *rsrcLog) drainUntil(ud uint64) {
	for {
		cqe, err := l.r.WaitCQETimeout(5 * time.Second)
		if err != nil {
			l.t.Fatalf("%s: waiting for the CQE of user_data %d: %v", l.be.Name(), ud, err)
		}
		c := rec(cqe)
		l.add("cqe %v", c)
		l.r.CQESeen(cqe)
		if c.UserData == ud {
			return
		}
	}
}

// op prepares, submits and waits for one request, recording its CQE
// and then any other posted (tag) CQE; it returns the request's result.
func (l *rsrcLog) op(what string, prep func(sqe *rings.SQE)) int32 {
	sqe := l.r.GetSQE()
	prep(sqe)
	sqe.UserData = 1000
	if _, err := l.r.Submit(); err != nil {
		l.t.Fatalf("%s: %s: Submit: %v", l.be.Name(), what, err)
	}
	cqe, err := l.r.WaitCQE()
	if err != nil {
		l.t.Fatalf("%s: %s: WaitCQE: %v", l.be.Name(), what, err)
	}
	c := rec(cqe)
	l.r.CQESeen(cqe)
	res := c.Res
	if c.UserData == 1000 && strings.HasPrefix(what, "fixed_fd_install") && res >= 0 {
		c.Res = 0 // descriptor numbers differ between backends
	}
	l.add("%s: cqe %v", what, c)
	l.drain()
	return res
}

// fdinfoBufs records the UserBufs section of the ring's fdinfo, with
// buffer addresses replaced by their names.
func (l *rsrcLog) fdinfoBufs(names map[uint64]string) {
	text, err := l.fs.Fdinfo(l.r.FD())
	if err != nil {
		l.t.Fatalf("%s: fdinfo: %v", l.be.Name(), err)
	}
	_, sect, ok := strings.Cut(text, "UserBufs:")
	if !ok {
		l.t.Fatalf("%s: fdinfo has no UserBufs:\n%s", l.be.Name(), text)
	}
	sect, _, _ = strings.Cut(sect, "PollList:")
	for a, n := range names {
		sect = strings.ReplaceAll(sect, fmt.Sprintf("0x%x/", a), n+"/")
	}
	l.add("fdinfo UserBufs:%s", sect)
}

// tempFile is a temporary file holding data; the caller closes it.
func (l *rsrcLog) tempFile(data []byte) int {
	fd, err := l.fs.TempFile(data, 0)
	if err != nil {
		l.t.Fatalf("%s: TempFile: %v", l.be.Name(), err)
	}
	return fd
}

func (l *rsrcLog) mem(n uint64) []byte {
	b, err := l.be.Alloc(n)
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { _ = l.be.Free(b) })
	return b[:n]
}

// rsrcFilesScript exercises the fixed file helpers: sparse, tagged and
// plain registration, both update calls, the alloc range, FILES_UPDATE
// with IORING_FILE_INDEX_ALLOC, FIXED_FD_INSTALL, OPENAT and CLOSE with
// direct descriptors, and the tags posted on replace and unregister.
func rsrcFilesScript(t *testing.T, be Backend) []string {
	l := newRsrcLog(t, be)
	defer l.r.Close()
	r, fs := l.r, l.fs
	pr, pw, err := fs.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close(pr)
	defer fs.Close(pw)
	tf := l.tempFile([]byte("fixed file data"))
	defer l.fs.Close(tf)
	buf := l.mem(64)

	l.call("sparse", r.RegisterFilesSparse(4))
	l.call("register busy", r.RegisterFiles([]int32{int32(tf)}))
	l.call("unregister", r.UnregisterFiles())
	l.call("unregister none", r.UnregisterFiles())
	l.call("files empty", r.RegisterFiles(nil))
	l.call("tag on sparse", r.RegisterFilesTags([]int32{int32(tf), -1}, []uint64{1, 2}))
	l.call("tags", r.RegisterFilesTags([]int32{int32(tf), -1, int32(pr), -1}, []uint64{7, 0, 9, 0}))
	l.op("read slot0", func(sqe *rings.SQE) {
		PrepRead(sqe, 0, addrOf(buf), 5, 0)
		sqe.Flags = rings.IOSQE_FIXED_FILE
	})
	l.add("data %q", buf[:5])
	l.op("read sparse slot1", func(sqe *rings.SQE) {
		PrepRead(sqe, 1, addrOf(buf), 5, 0)
		sqe.Flags = rings.IOSQE_FIXED_FILE
	})
	n, err := r.RegisterFilesUpdate(1, []int32{int32(pw)})
	l.calln("update slot1", n, err)
	n, err = r.RegisterFilesUpdate(3, []int32{-1, -1})
	l.calln("update past end", n, err)
	n, err = r.RegisterFilesUpdate(0, []int32{rings.IORING_REGISTER_FILES_SKIP, rings.IORING_REGISTER_FILES_SKIP})
	l.calln("update skip", n, err)
	copy(buf, "piped")
	l.op("write slot1", func(sqe *rings.SQE) {
		PrepWrite(sqe, 1, addrOf(buf), 5, 0)
		sqe.Flags = rings.IOSQE_FIXED_FILE
	})
	clear(buf)
	l.op("read slot2", func(sqe *rings.SQE) {
		PrepRead(sqe, 2, addrOf(buf), 5, 0)
		sqe.Flags = rings.IOSQE_FIXED_FILE
	})
	l.add("data %q", buf[:5])
	n, err = r.RegisterFilesUpdateTag(0, []int32{int32(pw)}, []uint64{11})
	l.calln("update_tag slot0", n, err) // posts tag 7
	n, err = r.RegisterFilesUpdateTag(1, []int32{-1}, []uint64{12})
	l.calln("update_tag tag on removal", n, err)
	l.drainUntil(7)

	l.call("alloc range", r.RegisterFileAllocRange(3, 1))
	l.call("alloc range past end", r.RegisterFileAllocRange(3, 2))
	fds := l.mem(8)
	*(*int32)(unsafe.Pointer(&fds[0])) = int32(tf)
	l.op("files_update alloc", func(sqe *rings.SQE) {
		PrepFilesUpdate(sqe, addrOf(fds), 1, int32(-1))
	})
	l.add("alloc slot %d", *(*int32)(unsafe.Pointer(&fds[0])))
	l.op("files_update alloc full", func(sqe *rings.SQE) {
		PrepFilesUpdate(sqe, addrOf(fds), 1, int32(-1))
	})
	*(*int32)(unsafe.Pointer(&fds[0])) = -1
	l.op("files_update clear slot1", func(sqe *rings.SQE) { PrepFilesUpdate(sqe, addrOf(fds), 1, 1) })

	fd := l.op("fixed_fd_install", func(sqe *rings.SQE) { PrepFixedFdInstall(sqe, 3, 0) })
	if fd >= 0 {
		clear(buf)
		n, err := fs.Read(int(fd), buf[:5])
		l.add("read installed: %d %v %q", n, errnoOfErr(err), buf[:n])
		l.call("close installed", fs.Close(int(fd)))
	}
	l.op("fixed_fd_install sparse", func(sqe *rings.SQE) { PrepFixedFdInstall(sqe, 1, 0) })
	l.op("fixed_fd_install bad flags", func(sqe *rings.SQE) { PrepFixedFdInstall(sqe, 3, 2) })

	ps, err := Paths(be)
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	pf, err := ps.Openat(ps.Base(), "direct", unix.O_CREAT|unix.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Write(pf, []byte("opened direct")); err != nil {
		t.Fatal(err)
	}
	fs.Close(pf)
	name := l.mem(16)
	copy(name, "direct\x00")
	l.op("openat_direct slot1", func(sqe *rings.SQE) {
		PrepOpenatDirect(sqe, int32(ps.Base()), addrOf(name), unix.O_RDONLY, 0, 1)
	})
	l.op("openat_direct out of range", func(sqe *rings.SQE) {
		PrepOpenatDirect(sqe, int32(ps.Base()), addrOf(name), unix.O_RDONLY, 0, 7)
	})
	clear(buf)
	l.op("read direct", func(sqe *rings.SQE) {
		PrepRead(sqe, 1, addrOf(buf), 6, 0)
		sqe.Flags = rings.IOSQE_FIXED_FILE
	})
	l.add("data %q", buf[:6])
	l.op("close_direct slot1", func(sqe *rings.SQE) { PrepCloseDirect(sqe, 1) })
	l.op("close_direct again", func(sqe *rings.SQE) { PrepCloseDirect(sqe, 1) })
	l.op("openat_direct alloc range full", func(sqe *rings.SQE) {
		PrepOpenatDirect(sqe, int32(ps.Base()), addrOf(name), unix.O_RDONLY, 0, rings.IORING_FILE_INDEX_ALLOC)
	})
	l.call("unregister tagged", r.UnregisterFiles()) // tags 11 and 9, last slot first
	l.drainUntil(9)
	l.drain()
	return l.log
}

func TestRsrcFilesHelpers(t *testing.T) { differential(t, rsrcFilesScript) }

// rsrcBuffersScript exercises the registered-buffer helpers and the four
// fixed transfers through them.
func rsrcBuffersScript(t *testing.T, be Backend) []string {
	l := newRsrcLog(t, be)
	defer l.r.Close()
	r := l.r
	tf := l.tempFile(nil)
	defer l.fs.Close(tf)
	b0, b1 := l.mem(4096), l.mem(4096)
	copy(b0, "registered buffer zero")

	l.call("sparse", r.RegisterBuffersSparse(2))
	l.call("register busy", r.RegisterBuffers([]Iovec{IovecOf(b0)}))
	l.call("unregister", r.UnregisterBuffers())
	l.call("unregister none", r.UnregisterBuffers())
	l.call("register unmapped", r.RegisterBuffers([]Iovec{{Base: 4096, Len: 4096}}))
	l.call("register", r.RegisterBuffers([]Iovec{IovecOf(b0), IovecOf(b1)}))
	l.op("write_fixed", func(sqe *rings.SQE) { PrepWriteFixed(sqe, int32(tf), addrOf(b0), 22, 0, 0) })
	l.op("read_fixed", func(sqe *rings.SQE) { PrepReadFixed(sqe, int32(tf), addrOf(b1)+100, 10, 11, 1) })
	l.add("data %q", b1[100:110])
	l.op("read_fixed outside", func(sqe *rings.SQE) { PrepReadFixed(sqe, int32(tf), addrOf(b1)+4090, 10, 0, 1) })
	l.op("read_fixed wrong buffer", func(sqe *rings.SQE) { PrepReadFixed(sqe, int32(tf), addrOf(b1), 10, 0, 0) })
	l.op("read_fixed no slot", func(sqe *rings.SQE) { PrepReadFixed(sqe, int32(tf), addrOf(b1), 10, 0, 5) })

	iovs := l.mem(64)
	v := (*[4]Iovec)(unsafe.Pointer(&iovs[0]))
	v[0] = Iovec{Base: addrOf(b1) + 200, Len: 4}
	v[1] = Iovec{Base: addrOf(b1) + 300, Len: 6}
	l.op("readv_fixed", func(sqe *rings.SQE) { PrepReadvFixed(sqe, int32(tf), addrOf(iovs), 2, 0, 0, 1) })
	l.add("data %q %q", b1[200:204], b1[300:306])
	v[0] = Iovec{Base: addrOf(b1) + 300, Len: 6}
	v[1] = Iovec{Base: addrOf(b1) + 200, Len: 4}
	l.op("writev_fixed", func(sqe *rings.SQE) { PrepWritevFixed(sqe, int32(tf), addrOf(iovs), 2, 100, 0, 1) })
	clear(b0[:16])
	l.op("read back", func(sqe *rings.SQE) { PrepReadFixed(sqe, int32(tf), addrOf(b0), 10, 100, 0) })
	l.add("data %q", b0[:10])
	l.call("unregister", r.UnregisterBuffers())

	l.call("tags", r.RegisterBuffersTags([]Iovec{IovecOf(b0), {}}, []uint64{5, 0}))
	l.fdinfoBufs(map[uint64]string{addrOf(b0): "b0", addrOf(b1): "b1"})
	n, err := r.RegisterBuffersUpdateTag(1, []Iovec{IovecOf(b1)}, []uint64{6})
	l.calln("update_tag slot1", n, err)
	n, err = r.RegisterBuffersUpdateTag(0, []Iovec{IovecOf(b1)}, []uint64{8})
	l.calln("update_tag slot0", n, err) // posts tag 5
	n, err = r.RegisterBuffersUpdateTag(1, []Iovec{{}}, []uint64{0})
	l.calln("update_tag clear slot1", n, err) // posts tag 6
	n, err = r.RegisterBuffersUpdateTag(2, []Iovec{IovecOf(b1)}, nil)
	l.calln("update_tag past end", n, err)
	l.fdinfoBufs(map[uint64]string{addrOf(b0): "b0", addrOf(b1): "b1"})
	l.call("unregister tagged", r.UnregisterBuffers()) // posts tag 8
	l.fdinfoBufs(nil)
	l.drain()
	return l.log
}

func TestRsrcBuffersHelpers(t *testing.T) { differential(t, rsrcBuffersScript) }

// rsrcSparseBufferTagScript: a tag on a sparse (zero) buffer slot is
// -EINVAL, at registration (the whole table is refused and no tag of the
// slots registered before it is posted) and at update (the slot keeps
// its buffer and the update reports what was done before it).
// Linux: io_uring/rsrc.c:io_sqe_buffers_register(), __io_sqe_buffers_update()
func rsrcSparseBufferTagScript(t *testing.T, be Backend) []string {
	l := newRsrcLog(t, be)
	defer l.r.Close()
	r := l.r
	b0, b1 := l.mem(4096), l.mem(4096)
	want := func(what string, err error, e unix.Errno) {
		l.call(what, err)
		if errnoOfErr(err) != e {
			t.Errorf("%s: %s: %v, want %v", be.Name(), what, errnoOfErr(err), e)
		}
	}
	wantN := func(what string, n int, err error, wn int, e unix.Errno) {
		l.calln(what, n, err)
		if n != wn || errnoOfErr(err) != e {
			t.Errorf("%s: %s: n=%d %v, want n=%d %v", be.Name(), what, n, errnoOfErr(err), wn, e)
		}
	}
	want("register tag on sparse", r.RegisterBuffersTags([]Iovec{IovecOf(b0), {}}, []uint64{1, 2}), unix.EINVAL)
	want("unregister after refusal", r.UnregisterBuffers(), unix.ENXIO)
	want("register only sparse tagged", r.RegisterBuffersTags([]Iovec{{}}, []uint64{3}), unix.EINVAL)
	want("register sparse untagged", r.RegisterBuffersTags([]Iovec{IovecOf(b0), {}}, []uint64{4, 0}), 0)
	n, err := r.RegisterBuffersUpdateTag(1, []Iovec{{}}, []uint64{5})
	wantN("update tag on sparse", n, err, -1, unix.EINVAL)
	n, err = r.RegisterBuffersUpdateTag(0, []Iovec{IovecOf(b1), {}}, []uint64{6, 7})
	wantN("update then tag on sparse", n, err, 1, 0) // slot 0 replaced: tag 4 posted
	l.drain()
	// Slot 1 is still empty, slot 0 holds b1.
	tf := l.tempFile([]byte("x"))
	defer l.fs.Close(tf)
	if res := l.op("read_fixed slot1", func(sqe *rings.SQE) { PrepReadFixed(sqe, int32(tf), addrOf(b0), 1, 0, 1) }); res != -int32(unix.EFAULT) {
		t.Errorf("%s: read from the empty slot: %d, want -EFAULT", be.Name(), res)
	}
	want("unregister", r.UnregisterBuffers(), 0) // tag 6
	l.drain()
	var tags []string
	for _, s := range l.log {
		if len(s) > 4 && s[:4] == "cqe " {
			tags = append(tags, s)
		}
	}
	if len(tags) != 2 || tags[0] != "cqe {ud=4 res=0 flags=0x0}" || tags[1] != "cqe {ud=6 res=0 flags=0x0}" {
		t.Errorf("%s: tag CQEs %q, want ud=4 then ud=6", be.Name(), tags)
	}
	return l.log
}

func TestRsrcSparseBufferTag(t *testing.T) { differential(t, rsrcSparseBufferTagScript) }

// rsrcCloneScript exercises IORING_REGISTER_CLONE_BUFFERS: its refusals
// (no source table, a busy destination, bad flags or ranges, not a ring),
// ranges with offsets, DST_REPLACE (the replaced buffers' tags are
// posted), and I/O through a cloned buffer after the source let go.
// Linux: io_uring/rsrc.c:io_register_clone_buffers(), io_clone_buffers()
func rsrcCloneScript(t *testing.T, be Backend) []string {
	l := newRsrcLog(t, be)
	defer l.r.Close()
	src := l.r
	dst := mustNew(t, be, 8, nil)
	defer dst.Close()
	tf := l.tempFile([]byte("cloned buffer data"))
	defer l.fs.Close(tf)
	b0, b1, b2 := l.mem(4096), l.mem(4096), l.mem(4096)
	names := map[uint64]string{addrOf(b0): "b0", addrOf(b1): "b1", addrOf(b2): "b2"}
	fdinfo := func(r *Ring, what string) {
		saved := l.r
		l.r = r
		l.add("%s:", what)
		l.fdinfoBufs(names)
		l.r = saved
	}
	drain := func(r *Ring, what string) {
		for {
			cqe, err := r.PeekCQE()
			if err != nil {
				return
			}
			l.add("%s cqe %v", what, rec(cqe))
			r.CQESeen(cqe)
		}
	}
	l.call("clone from no table", dst.CloneBuffers(src))
	l.call("register src", src.RegisterBuffersTags([]Iovec{IovecOf(b0), IovecOf(b1)}, []uint64{1, 2}))
	l.call("clone from itself", src.CloneBuffersOffset(src, 0, 0, 0, rings.IORING_REGISTER_DST_REPLACE))
	drain(src, "src")
	fdinfo(src, "src after self clone")
	l.call("clone bad flags", dst.CloneBuffersOffset(src, 0, 0, 0, 1<<2))
	l.call("clone nr past end", dst.CloneBuffersOffset(src, 0, 0, 3, 0))
	l.call("clone src range past end", dst.CloneBuffersOffset(src, 0, 1, 2, 0))
	l.call("clone offsets without nr", dst.CloneBuffersOffset(src, 1, 0, 0, 0))
	_, err := registerStruct(dst, rings.IORING_REGISTER_CLONE_BUFFERS, &rings.CloneBuffers{SrcFd: uint32(tf)}, 1)
	l.call("clone from a file", err)
	_, err = registerStruct(dst, rings.IORING_REGISTER_CLONE_BUFFERS, &rings.CloneBuffers{SrcFd: uint32(src.FD()), Pad: [3]uint32{0, 1, 0}}, 1)
	l.call("clone pad", err)
	_, err = registerStruct(dst, rings.IORING_REGISTER_CLONE_BUFFERS, &rings.CloneBuffers{SrcFd: uint32(src.FD())}, 2)
	l.call("clone nr_args 2", err)
	l.call("clone 1 at 2 from 1", dst.CloneBuffersOffset(src, 2, 1, 1, 0))
	fdinfo(dst, "dst")
	l.call("clone busy", dst.CloneBuffers(src))
	l.call("register dst own", dst.RegisterBuffers([]Iovec{IovecOf(b2)}))
	l.call("dst replace all", dst.CloneBuffersOffset(src, 0, 0, 0, rings.IORING_REGISTER_DST_REPLACE))
	fdinfo(dst, "dst replaced")
	l.call("unregister dst", dst.UnregisterBuffers())
	l.call("register dst tagged", dst.RegisterBuffersTags([]Iovec{IovecOf(b2), IovecOf(b2), IovecOf(b2)}, []uint64{7, 8, 9}))
	l.call("dst replace middle", dst.CloneBuffersOffset(src, 1, 0, 1, rings.IORING_REGISTER_DST_REPLACE))
	drain(dst, "dst")
	fdinfo(dst, "dst middle replaced")
	l.call("unregister src", src.UnregisterBuffers())
	drain(src, "src")
	sqe := dst.GetSQE()
	PrepReadFixed(sqe, int32(tf), addrOf(b0), 6, 0, 1)
	sqe.UserData = 50
	if _, err := dst.Submit(); err != nil {
		t.Fatal(err)
	}
	cqe, err := dst.WaitCQE()
	if err != nil {
		t.Fatal(err)
	}
	l.add("read through the clone: %v %q", rec(cqe), b0[:6])
	dst.CQESeen(cqe)
	l.call("unregister dst", dst.UnregisterBuffers())
	drain(dst, "dst")
	drain(src, "src")
	return l.log
}

func TestRsrcCloneBuffers(t *testing.T) { differential(t, rsrcCloneScript) }

// rsrcFilesEdgeScript probes fixed-file edges: a ring in the table, an
// update past the end or overflowing, FILES_UPDATE (op) with
// IORING_FILE_INDEX_ALLOC and a bad descriptor midway (the slots done
// before it are written back), FIXED_FD_INSTALL's close-on-exec flag, the
// alloc range's reserved field, a direct descriptor into a ring without a
// table.
// Linux: io_uring/rsrc.c:io_sqe_files_register(), __io_register_rsrc_update(),
// io_files_update_with_index_alloc(); filetable.c; openclose.c:io_install_fixed_fd()
func rsrcFilesEdgeScript(t *testing.T, be Backend) []string {
	l := newRsrcLog(t, be)
	defer l.r.Close()
	r, fs := l.r, l.fs
	tf := l.tempFile([]byte("edge"))
	defer l.fs.Close(tf)
	other := mustNew(t, be, 4, nil)
	defer other.Close()
	l.call("register a ring", r.RegisterFiles([]int32{int32(other.FD())}))
	l.call("register a closed fd", r.RegisterFiles([]int32{int32(tf), 999}))
	l.call("register sparse 0", r.RegisterFilesSparse(0))
	n, err := r.RegisterFilesUpdate(0, []int32{int32(tf)})
	l.calln("update without a table", n, err)
	l.call("register sparse 4", r.RegisterFilesSparse(4))
	n, err = r.RegisterFilesUpdate(0, []int32{int32(other.FD())})
	l.calln("update with a ring", n, err)
	n, err = r.RegisterFilesUpdate(1, []int32{int32(tf), 999, int32(tf)})
	l.calln("update with a bad fd second", n, err)
	n, err = r.RegisterFilesUpdate(0xffffffff, []int32{int32(tf), int32(tf)})
	l.calln("update offset overflow", n, err)
	_, err = registerStruct(r, rings.IORING_REGISTER_FILE_ALLOC_RANGE, &rings.FileIndexRange{Off: 0, Len: 4, Resv: 1}, 0)
	l.call("alloc range resv", err)
	_, err = registerStruct(r, rings.IORING_REGISTER_FILE_ALLOC_RANGE, &rings.FileIndexRange{Off: 0xffffffff, Len: 2}, 0)
	l.call("alloc range overflow", err)

	fds := l.mem(16)
	arr := (*[4]int32)(unsafe.Pointer(&fds[0]))
	*arr = [4]int32{int32(tf), int32(tf), 999, int32(tf)}
	l.op("files_update alloc bad third", func(sqe *rings.SQE) {
		PrepFilesUpdate(sqe, addrOf(fds), 4, int32(-1))
	})
	l.add("written back %v", arr[:3]) // arr[3] is still a descriptor number
	*arr = [4]int32{-1, -1, -1, -1}
	l.op("files_update alloc sparse entries", func(sqe *rings.SQE) {
		PrepFilesUpdate(sqe, addrOf(fds), 1, int32(-1))
	})
	l.op("files_update zero nr", func(sqe *rings.SQE) { PrepFilesUpdate(sqe, addrOf(fds), 0, 0) })
	l.op("files_update with rw_flags", func(sqe *rings.SQE) {
		PrepFilesUpdate(sqe, addrOf(fds), 1, 0)
		sqe.OpFlags = 1
	})
	l.op("files_update fixed file flag", func(sqe *rings.SQE) {
		PrepFilesUpdate(sqe, addrOf(fds), 1, 0)
		sqe.Flags = rings.IOSQE_FIXED_FILE
	})
	for _, fl := range []uint32{0, rings.IORING_FIXED_FD_NO_CLOEXEC} {
		var fd int32
		fd = l.op(fmt.Sprintf("fixed_fd_install flags=%d", fl), func(sqe *rings.SQE) { PrepFixedFdInstall(sqe, 1, fl) })
		if fd >= 0 {
			info, err := fs.Fdinfo(int(fd))
			flags, _, _ := strings.Cut(strings.SplitN(info, "flags:\t", 2)[1], "\n")
			l.add("  installed fd flags %s %v", flags, errnoOfErr(err))
			fs.Close(int(fd))
		}
	}
	l.op("fixed_fd_install without the fixed flag", func(sqe *rings.SQE) {
		PrepFixedFdInstall(sqe, 1, 0)
		sqe.Flags = 0
	})
	l.op("close_direct with fd set", func(sqe *rings.SQE) {
		PrepCloseDirect(sqe, 0)
		sqe.Fd = int32(tf)
	})
	l.op("close_direct past the end", func(sqe *rings.SQE) { PrepCloseDirect(sqe, 9) })
	l.call("unregister", r.UnregisterFiles())
	name := l.mem(16)
	copy(name, "/\x00")
	l.op("openat_direct without a table", func(sqe *rings.SQE) {
		PrepOpenatDirect(sqe, -100, addrOf(name), unix.O_RDONLY|unix.O_DIRECTORY, 0, 0)
	})
	l.op("openat_direct alloc without a table", func(sqe *rings.SQE) {
		PrepOpenatDirect(sqe, -100, addrOf(name), unix.O_RDONLY|unix.O_DIRECTORY, 0, rings.IORING_FILE_INDEX_ALLOC)
	})
	l.op("fixed_fd_install without a table", func(sqe *rings.SQE) { PrepFixedFdInstall(sqe, 0, 0) })
	return l.log
}

func TestRsrcFilesEdges(t *testing.T) { differential(t, rsrcFilesEdgeScript) }

// rsrcBuffersEdgeScript probes registered-buffer edges: empty, huge and
// wrapping iovecs (an unmapped one is in rsrcBuffersScript: what lies past
// an allocation differs between the backends), too many buffers, the same memory twice,
// reserved fields of the update, fixed transfers at the buffer's edges,
// a buffer index past the table and the vectored forms' limits.
// Linux: io_uring/rsrc.c:io_validate_user_buf_range(), io_sqe_buffer_register(),
// io_register_rsrc_update(), io_import_fixed(), io_import_reg_vec()
func rsrcBuffersEdgeScript(t *testing.T, be Backend) []string {
	l := newRsrcLog(t, be)
	defer l.r.Close()
	r := l.r
	tf := l.tempFile(make([]byte, 8192))
	defer l.fs.Close(tf)
	b := l.mem(8192)
	base := addrOf(b)
	for _, c := range []struct {
		what string
		iov  Iovec
	}{
		{"zero length", Iovec{Base: base, Len: 0}},
		{"null base with a length", Iovec{Base: 0, Len: 4096}},
		{"over 1 GiB", Iovec{Base: base, Len: 1<<30 + 1}},
		{"wrapping", Iovec{Base: ^uint64(0) - 100, Len: 4096}},
		{"unaligned inside", Iovec{Base: base + 100, Len: 5000}},
	} {
		err := r.RegisterBuffers([]Iovec{c.iov})
		l.call("register "+c.what, err)
		if err == nil {
			l.call("  unregister", r.UnregisterBuffers())
		}
	}
	l.call("register 16385 sparse", r.RegisterBuffersSparse(16385))
	l.call("register 16384 sparse", r.RegisterBuffersSparse(16384))
	l.call("unregister", r.UnregisterBuffers())
	l.call("register the same memory twice", r.RegisterBuffers([]Iovec{IovecOf(b), IovecOf(b[:4096])}))
	_, err := registerStruct(r, rings.IORING_REGISTER_BUFFERS_UPDATE,
		&rings.RsrcUpdate2{Offset: 0, Data: 0, Nr: 1, Resv: 1}, uint32(unsafe.Sizeof(rings.RsrcUpdate2{})))
	l.call("update resv", err)
	_, err = registerStruct(r, rings.IORING_REGISTER_BUFFERS_UPDATE,
		&rings.RsrcUpdate2{Offset: 0, Nr: 1}, uint32(unsafe.Sizeof(rings.RsrcUpdate2{}))-8)
	l.call("update short struct", err)
	n, err := r.RegisterBuffersUpdateTag(0xffffffff, []Iovec{{}, {}}, nil)
	l.calln("update offset overflow", n, err)
	_, err = registerStruct(r, rings.IORING_REGISTER_BUFFERS2,
		&rings.RsrcRegister{Nr: 1, Flags: rings.IORING_RSRC_REGISTER_SPARSE, Data: base}, uint32(unsafe.Sizeof(rings.RsrcRegister{})))
	l.call("register2 sparse with data", err)
	_, err = registerStruct(r, rings.IORING_REGISTER_BUFFERS2,
		&rings.RsrcRegister{Nr: 1, Flags: 2}, uint32(unsafe.Sizeof(rings.RsrcRegister{})))
	l.call("register2 unknown flag", err)

	l.op("write_fixed last byte", func(sqe *rings.SQE) { PrepWriteFixed(sqe, int32(tf), base+8191, 1, 0, 0) })
	l.op("write_fixed one past", func(sqe *rings.SQE) { PrepWriteFixed(sqe, int32(tf), base+8191, 2, 0, 0) })
	l.op("write_fixed before start", func(sqe *rings.SQE) { PrepWriteFixed(sqe, int32(tf), base-1, 2, 0, 0) })
	l.op("write_fixed second buffer past its end", func(sqe *rings.SQE) { PrepWriteFixed(sqe, int32(tf), base+4000, 200, 0, 1) })
	l.op("read_fixed index past table", func(sqe *rings.SQE) { PrepReadFixed(sqe, int32(tf), base, 1, 0, 2) })
	l.op("read_fixed index 65535", func(sqe *rings.SQE) { PrepReadFixed(sqe, int32(tf), base, 1, 0, 65535) })
	l.op("read_fixed into a pipe fd", func(sqe *rings.SQE) { PrepReadFixed(sqe, -1, base, 1, 0, 0) })
	iovs := l.mem(16 * 1025)
	v := unsafe.Slice((*Iovec)(unsafe.Pointer(&iovs[0])), 1025)
	for i := range v {
		v[i] = Iovec{Base: base + uint64(i), Len: 1}
	}
	l.op("readv_fixed 1024 vecs", func(sqe *rings.SQE) { PrepReadvFixed(sqe, int32(tf), addrOf(iovs), 1024, 0, 0, 0) })
	l.op("readv_fixed 1025 vecs", func(sqe *rings.SQE) { PrepReadvFixed(sqe, int32(tf), addrOf(iovs), 1025, 0, 0, 0) })
	l.op("readv_fixed 0 vecs", func(sqe *rings.SQE) { PrepReadvFixed(sqe, int32(tf), addrOf(iovs), 0, 0, 0, 0) })
	v[0] = Iovec{Base: base + 8000, Len: 500}
	l.op("writev_fixed vec past the end", func(sqe *rings.SQE) { PrepWritevFixed(sqe, int32(tf), addrOf(iovs), 1, 0, 0, 0) })
	v[0] = Iovec{Base: base, Len: ^uint64(0)}
	l.op("writev_fixed negative length", func(sqe *rings.SQE) { PrepWritevFixed(sqe, int32(tf), addrOf(iovs), 1, 0, 0, 0) })
	l.op("readv_fixed bad iovec address", func(sqe *rings.SQE) { PrepReadvFixed(sqe, int32(tf), 8, 1, 0, 0, 0) })
	l.call("unregister", r.UnregisterBuffers())
	return l.log
}

func TestRsrcBuffersEdges(t *testing.T) { differential(t, rsrcBuffersEdgeScript) }

// rsrcExitScript closes rings whose tables hold the only references to
// pipe ends, one with a read still waiting on the fixed file: the ring's
// teardown cancels the read and drops the file, so the pipe loses its
// reader (a write fails with EPIPE). On
// the host the teardown is deferred work, so the program polls for it.
// Linux: io_uring/io_uring.c:io_ring_exit_work(), io_ring_ctx_free(); rsrc.c:io_free_file_tables()
func rsrcExitScript(t *testing.T, be Backend) []string {
	l := newRsrcLog(t, be)
	defer l.r.Close()
	fs := l.fs
	for _, pending := range []bool{false, true} {
		r := mustNew(t, be, 4, nil)
		pr, pw, err := fs.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		l.call("register the read end", r.RegisterFiles([]int32{int32(pr)}))
		l.call("close our read end", fs.Close(pr))
		buf := l.mem(16)
		if pending {
			sqe := r.GetSQE()
			PrepRead(sqe, 0, addrOf(buf), 4, 0)
			sqe.Flags = rings.IOSQE_FIXED_FILE
			if _, err := r.Submit(); err != nil {
				t.Fatal(err)
			}
		}
		n, err := fs.Write(pw, []byte("x"))
		l.add("write with the ring alive: %d %v", n, errnoOfErr(err))
		if pending {
			// The waiting read took the byte.
			cqe, err := r.WaitCQE()
			if err != nil {
				t.Fatal(err)
			}
			l.add("read: %v", rec(cqe))
			r.CQESeen(cqe)
			sqe := r.GetSQE()
			PrepRead(sqe, 0, addrOf(buf), 4, 0)
			sqe.Flags = rings.IOSQE_FIXED_FILE
			if _, err := r.Submit(); err != nil {
				t.Fatal(err)
			}
		}
		l.call("close the ring", r.Close())
		var werr error
		for range 200 {
			_, werr = fs.Write(pw, []byte("y"))
			if werr != nil {
				break
			}
			fs.Sleep(5 * time.Millisecond)
		}
		l.add("write after the ring closed, pending=%v: %v", pending, errnoOfErr(werr))
		if errnoOfErr(werr) != unix.EPIPE {
			t.Errorf("%s: the ring's teardown did not drop the pipe's read end (pending=%v): %v", be.Name(), pending, werr)
		}
		fs.Close(pw)
	}
	return l.log
}

func TestRsrcRingExitDropsFiles(t *testing.T) { differential(t, rsrcExitScript) }
