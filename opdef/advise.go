package opdef

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// adviseData is the per-request state of FADVISE and MADVISE (struct
// io_fadvise, struct io_madvise: the same shape).
type adviseData struct {
	off    uint64 // the file offset, or the user address
	len    uint64
	advice uint32
}

// fadviseForceAsync: every advice but NORMAL, RANDOM and SEQUENTIAL may
// block (readahead, writeback), so those requests go to io-wq.
// Linux: io_uring/advise.c:io_fadvise_force_async()
func fadviseForceAsync(advice uint32) bool {
	switch advice {
	case vfs.POSIX_FADV_NORMAL, vfs.POSIX_FADV_RANDOM, vfs.POSIX_FADV_SEQUENTIAL:
		return false
	}
	return true
}

// fadvisePrep reads an FADVISE: offset in off, the advice in
// fadvise_advice, the length in addr (64 bits, io_uring_prep_fadvise64)
// or, when that is 0, in len.
// Linux: io_uring/advise.c:io_fadvise_prep()
func fadvisePrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.BufIndex != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	fa := kernel.Cmd[adviseData](req)
	fa.off = sqe.Off
	fa.len = sqe.Addr
	if fa.len == 0 {
		fa.len = uint64(sqe.Len)
	}
	fa.advice = sqe.OpFlags
	if fadviseForceAsync(fa.advice) {
		kernel.ReqAddFlags(req, kernel.REQ_F_FORCE_ASYNC)
	}
	return 0
}

// fadvise is vfs_fadvise; a failure breaks the link.
// Linux: io_uring/advise.c:io_fadvise()
func fadvise(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	fa := kernel.Cmd[adviseData](req)
	ret := vfs.Fadvise(t, kernel.ReqFile(req), int64(fa.off), int64(fa.len), int32(fa.advice))
	if ret < 0 {
		kernel.ReqSetFail(req)
	}
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}

// madvisePrep reads a MADVISE: address in addr, the advice in
// fadvise_advice, the length in off (64 bits, io_uring_prep_madvise64) or,
// when that is 0, in len. Forced to io-wq.
// Linux: io_uring/advise.c:io_madvise_prep()
func madvisePrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.BufIndex != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	ma := kernel.Cmd[adviseData](req)
	ma.off = sqe.Addr
	ma.len = sqe.Off
	if ma.len == 0 {
		ma.len = uint64(sqe.Len)
	}
	ma.advice = sqe.OpFlags
	kernel.ReqAddFlags(req, kernel.REQ_F_FORCE_ASYNC)
	return 0
}

// madvise is do_madvise on the submitting task's address space.
// Linux: io_uring/advise.c:io_madvise()
func madvise(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	ma := kernel.Cmd[adviseData](req)
	ret := doMadvise(kernel.ReqMM(req), ma.off, ma.len, int32(ma.advice))
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}

// madvBehaviorValid lists the advice values Linux 6.18 accepts (with KSM,
// transparent huge pages and memory-failure support configured).
// Linux: mm/madvise.c:madvise_behavior_valid()
func madvBehaviorValid(advice int32) bool {
	switch advice {
	case unix.MADV_DOFORK, unix.MADV_DONTFORK, unix.MADV_NORMAL, unix.MADV_SEQUENTIAL,
		unix.MADV_RANDOM, unix.MADV_REMOVE, unix.MADV_WILLNEED, unix.MADV_DONTNEED,
		24 /* MADV_DONTNEED_LOCKED */, unix.MADV_FREE, unix.MADV_COLD, unix.MADV_PAGEOUT,
		22 /* MADV_POPULATE_READ */, 23, /* MADV_POPULATE_WRITE */
		unix.MADV_MERGEABLE, unix.MADV_UNMERGEABLE,
		unix.MADV_HUGEPAGE, unix.MADV_NOHUGEPAGE, 25, /* MADV_COLLAPSE */
		unix.MADV_DONTDUMP, unix.MADV_DODUMP, unix.MADV_WIPEONFORK, unix.MADV_KEEPONFORK,
		madvGuardInstall, madvGuardRemove,
		madvSoftOffline, unix.MADV_HWPOISON:
		return true
	}
	return false
}

const (
	madvSoftOffline  = 101
	madvGuardInstall = 102
	madvGuardRemove  = 103
)

// doMadvise validates the advice and range as Linux does (-EINVAL for an
// unknown advice, an unaligned start or a wrapping range; nothing to do for
// an empty one), then applies the advice to each mapping the range
// touches. The simulator's mappings are real anonymous memory at the same
// addresses, so each piece is handed to the host's madvise(2): its effect
// (MADV_DONTNEED zeroing the pages, MADV_WILLNEED, ...) and its error are
// the real ones. A gap in the range gives -ENOMEM after the mapped parts
// were advised. MADV_HUGEPAGE and MADV_NOHUGEPAGE also set the simulated
// mapping's huge-page advice (mm/thp.go), which decides the folios that
// registered buffers pin.
// Differs from Linux: MADV_HWPOISON and MADV_SOFT_OFFLINE fail with -EPERM
// (the simulated task has no CAP_SYS_ADMIN); MADV_GUARD_INSTALL succeeds
// without installing guard pages; advice on a ring's own mapping is
// accepted and ignored; MADV_COLLAPSE does not change the simulated folios
// (docs/divergences.md).
// Linux: mm/madvise.c:do_madvise(), madvise_should_skip(), madvise_walk_vmas()
func doMadvise(as *mm.AddressSpace, start, lenIn uint64, advice int32) int {
	if !madvBehaviorValid(advice) || start%mm.PageSize != 0 {
		return -kernel.EINVAL
	}
	length := (lenIn + mm.PageSize - 1) &^ (mm.PageSize - 1)
	if lenIn != 0 && length == 0 {
		return -kernel.EINVAL
	}
	end := start + length
	if end < start {
		return -kernel.EINVAL
	}
	if end == start {
		return 0
	}
	if advice == unix.MADV_HWPOISON || advice == madvSoftOffline {
		return -int(unix.EPERM)
	}
	unmapped := 0
	cur := start
	for _, m := range as.Mappings() {
		if m.End() <= cur {
			continue
		}
		if m.Addr >= end {
			break
		}
		if m.Addr > cur {
			unmapped = -int(unix.ENOMEM)
			cur = m.Addr
		}
		hi := min(end, m.End())
		if advice != madvGuardInstall && m.Name != "io_uring" {
			if err := unix.Madvise(m.Mem[cur-m.Addr:hi-m.Addr], int(advice)); err != nil {
				if e, ok := err.(unix.Errno); ok {
					return -int(e)
				}
				return -kernel.EINVAL
			}
			if advice == unix.MADV_HUGEPAGE || advice == unix.MADV_NOHUGEPAGE {
				as.AdviseHuge(cur, hi, advice == unix.MADV_HUGEPAGE)
			}
		}
		cur = hi
		if cur >= end {
			break
		}
	}
	if cur < end {
		return -int(unix.ENOMEM)
	}
	return unmapped
}
