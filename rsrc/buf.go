package rsrc

import (
	"math/bits"
	"slices"
	"sync/atomic"

	"github.com/uringsim/uringsim/mm"
)

// Directions a registered buffer may be used in (imu->dir): a read
// writes into it (ITER_DEST), a write reads from it (ITER_SOURCE).
// Linux: io_uring/rsrc.h:IO_IMU_DEST, IO_IMU_SOURCE
const (
	ITER_SOURCE   = 0
	ITER_DEST     = 1
	IO_IMU_DEST   = 1 << ITER_DEST
	IO_IMU_SOURCE = 1 << ITER_SOURCE
)

// maxRWCount is MAX_RW_COUNT.
// Linux: include/linux/fs.h:MAX_RW_COUNT
const maxRWCount = 0x7fffffff &^ (mm.PageSize - 1)

// MappedUbuf is a registered user buffer (struct io_mapped_ubuf): the
// user range it was registered as and its pinned memory. The pinned
// views stay valid after the program unmaps the range (the pages stay
// pinned), as in the kernel. A buffer cloned into another ring is shared:
// refs counts the nodes, of any ring, that hold it.
// Linux: io_uring/rsrc.h:struct io_mapped_ubuf
type MappedUbuf struct {
	Ubuf uint64
	Len  uint64
	Dir  uint8

	// segs are the pinned pages, one view per mapping the range
	// crosses, together covering the page-aligned range.
	segs  [][]byte
	start uint64 // user address of segs[0][0] (Ubuf rounded down to a page)

	// NrBvecs is imu->nr_bvecs: one per page, or one per huge folio
	// when the pages were coalesced; FolioShift is imu->folio_shift,
	// the size of each (PAGE_SHIFT, or the folios' shift). folios are
	// the huge folios the buffer pins, which headpage_already_acct
	// finds through the ring's table.
	NrBvecs    int
	FolioShift uint8
	folios     []*mm.Folio

	refs atomic.Int32
	// AcctPages pages are charged to acct (io_account_mem), uncharged
	// when the last holder lets go.
	AcctPages int64
	acct      *mm.AddressSpace
}

// ValidateUserBufRange checks a buffer's address and length before it is
// pinned: at most 1 GiB, not empty, no wrap.
// Linux: io_uring/rsrc.c:io_validate_user_buf_range()
func ValidateUserBufRange(uaddr, ulen uint64) int {
	if ulen > 1<<30 || ulen == 0 {
		return -eFAULT
	}
	acct := (ulen + mm.PageSize - 1) &^ (mm.PageSize - 1)
	if uaddr+acct < uaddr {
		return -eOVERFLOW
	}
	return 0
}

// folioRun is a run of pinned pages: the pages of one huge folio the
// buffer covers (folio set), or consecutive base pages (folio nil).
type folioRun struct {
	folio   *mm.Folio
	nrPages int64
}

// pinPages pins the pages of [uaddr, uaddr+ulen): every page must be
// mapped, else -EFAULT; pinning faults each huge-page block in
// (mm.AddressSpace.FolioAt). It returns views of the page-aligned range,
// one per mapping crossed, and the folios behind it in address order.
// Linux: io_uring/memmap.c:io_pin_pages(), mm/gup.c:pin_user_pages_fast()
func pinPages(as *mm.AddressSpace, uaddr, ulen uint64) (segs [][]byte, start uint64, runs []folioRun, errno int) {
	end := uaddr + ulen
	if end < uaddr || end+mm.PageSize-1 < end {
		return nil, 0, nil, -eOVERFLOW
	}
	start = uaddr &^ (mm.PageSize - 1)
	end = (end + mm.PageSize - 1) &^ (mm.PageSize - 1)
	for a := start; a < end; {
		m := as.Lookup(a)
		if m == nil {
			return nil, 0, nil, -eFAULT
		}
		n := min(end, m.End()) - a
		b, e := as.Slice(a, n)
		if e != 0 {
			return nil, 0, nil, -eFAULT
		}
		segs = append(segs, b)
		a += n
	}
	for a := start; a < end; {
		next := min(end, (a|(mm.HPAGE_PMD_SIZE-1))+1)
		f := as.FolioAt(a)
		n := int64((next - a) / mm.PageSize)
		if f == nil && len(runs) > 0 && runs[len(runs)-1].folio == nil {
			runs[len(runs)-1].nrPages += n
		} else {
			runs = append(runs, folioRun{folio: f, nrPages: n})
		}
		a = next
	}
	return segs, start, runs, 0
}

// checkCoalesceBuffer reports whether the pinned pages can be folded into
// one bio_vec per folio: every page in a huge folio of one size (the
// first folio may start, the last end, part way), and how many bio_vecs
// and what folio shift the buffer then has. A buffer of base pages is
// never coalesced: it keeps one bio_vec per page and PAGE_SHIFT.
// Linux: io_uring/rsrc.c:io_check_coalesce_buffer(), io_coalesce_buffer()
func checkCoalesceBuffer(runs []folioRun) (nrBvecs int, folioShift uint8) {
	pages := int64(0)
	for _, r := range runs {
		pages += r.nrPages
	}
	if pages <= 1 {
		return int(pages), mm.PAGE_SHIFT
	}
	for _, r := range runs {
		if r.folio == nil || r.folio.Size != runs[0].folio.Size {
			return int(pages), mm.PAGE_SHIFT
		}
	}
	return len(runs), uint8(bits.TrailingZeros64(runs[0].folio.Size))
}

// PinAcct is what io_buffer_account_pin remembers across the buffers of
// one registration or update call: the huge folio it charged last
// (last_hpage) and the ring's buffer table (nil while a registration
// builds it, as ctx->buf_table is empty then).
// Linux: io_uring/rsrc.c:io_sqe_buffers_register() (last_hpage)
type PinAcct struct {
	LastHpage *mm.Folio
	Table     *Data
}

// headpageAlreadyAcct reports whether folio f is already charged: by an
// earlier run of this buffer or by a buffer in the table.
// Linux: io_uring/rsrc.c:headpage_already_acct()
func (pa *PinAcct) headpageAlreadyAcct(runs []folioRun, f *mm.Folio) bool {
	for _, r := range runs {
		if r.folio == f {
			return true
		}
	}
	if pa.Table == nil {
		return false
	}
	for _, node := range pa.Table.Nodes {
		if node == nil || node.Buf == nil {
			continue
		}
		if slices.Contains(node.Buf.folios, f) {
			return true
		}
	}
	return false
}

// accountPages counts the pages io_buffer_account_pin charges: each base
// page, and each huge folio whole (all its base pages, however few the
// buffer covers) unless it was charged last, earlier in this buffer or
// by a buffer in the table.
// Linux: io_uring/rsrc.c:io_buffer_account_pin()
func (pa *PinAcct) accountPages(runs []folioRun) int64 {
	n := int64(0)
	for i, r := range runs {
		if r.folio == nil {
			n += r.nrPages
			continue
		}
		if r.folio == pa.LastHpage {
			continue
		}
		pa.LastHpage = r.folio
		if pa.headpageAlreadyAcct(runs[:i], r.folio) {
			continue
		}
		n += r.folio.NrPages()
	}
	return n
}

// RegisterBuffer pins the user buffer [uaddr, uaddr+ulen) and charges
// its pages to acct against limit bytes (RLIMIT_MEMLOCK; 0 unlimited):
// -ENOMEM past the limit, -EFAULT for memory that is not mapped. A huge
// folio is charged whole, once per ring (pa). A zero address with a zero
// length returns (nil, 0): the slot is left empty.
// Linux: io_uring/rsrc.c:io_sqe_buffer_register(), io_buffer_account_pin()
func RegisterBuffer(as *mm.AddressSpace, uaddr, ulen uint64, acct *mm.AddressSpace, limit int64, pa *PinAcct) (*MappedUbuf, int) {
	if uaddr == 0 {
		if ulen != 0 {
			return nil, -eFAULT
		}
		return nil, 0 // remove the buffer without installing a new one
	}
	if ret := ValidateUserBufRange(uaddr, ulen); ret != 0 {
		return nil, ret
	}
	segs, start, runs, errno := pinPages(as, uaddr, ulen)
	if errno != 0 {
		return nil, errno
	}
	imu := &MappedUbuf{Ubuf: uaddr, Len: ulen, Dir: IO_IMU_DEST | IO_IMU_SOURCE, segs: segs, start: start}
	imu.NrBvecs, imu.FolioShift = checkCoalesceBuffer(runs)
	for _, r := range runs {
		if r.folio != nil {
			imu.folios = append(imu.folios, r.folio)
		}
	}
	if acct != nil {
		nrPages := pa.accountPages(runs)
		if nrPages != 0 {
			if ret := acct.Account(nrPages*mm.PageSize, limit); ret != 0 {
				return nil, -eNOMEM
			}
		}
		imu.AcctPages, imu.acct = nrPages, acct
	}
	imu.refs.Store(1)
	return imu, 0
}

// Get takes a reference for another node sharing the buffer (a clone).
// Linux: io_uring/rsrc.c:io_clone_buffers() (refcount_inc(&imu->refs))
func (imu *MappedUbuf) Get() { imu.refs.Add(1) }

// Put drops a node's hold on the buffer; the last one unpins it and
// uncharges its pages.
// Linux: io_uring/rsrc.c:io_buffer_unmap()
func (imu *MappedUbuf) Put() {
	if imu.refs.Add(-1) != 0 {
		return
	}
	if imu.AcctPages != 0 {
		imu.acct.Account(-imu.AcctPages*mm.PageSize, 0)
		imu.AcctPages = 0
	}
	imu.segs = nil
}

// validateFixedRange checks that [addr, addr+n) lies inside the buffer.
// Linux: io_uring/rsrc.c:validate_fixed_range()
func (imu *MappedUbuf) validateFixedRange(addr, n uint64) int {
	end := addr + n
	if end < addr {
		return -eFAULT
	}
	if addr < imu.Ubuf || end > imu.Ubuf+imu.Len {
		return -eFAULT
	}
	if n > maxRWCount {
		return -eFAULT
	}
	return 0
}

// view appends the pinned memory of [addr, addr+n) (inside the buffer)
// to out, one slice per pinned segment it crosses.
func (imu *MappedUbuf) view(out [][]byte, addr, n uint64) [][]byte {
	off := addr - imu.start
	for _, s := range imu.segs {
		if n == 0 {
			break
		}
		if off >= uint64(len(s)) {
			off -= uint64(len(s))
			continue
		}
		k := min(n, uint64(len(s))-off)
		out = append(out, s[off:off+k:off+k])
		n -= k
		off = 0
	}
	return out
}

// ImportFixed maps [addr, addr+n) of the buffer for a transfer in
// direction ddir (ITER_DEST for a read): -EFAULT outside the buffer, past
// MAX_RW_COUNT, or in a direction the buffer does not allow. A zero
// length imports nothing.
// Linux: io_uring/rsrc.c:io_import_fixed()
func (imu *MappedUbuf) ImportFixed(ddir int, addr, n uint64) ([][]byte, int) {
	if ret := imu.validateFixedRange(addr, n); ret != 0 {
		return nil, ret
	}
	if imu.Dir&(1<<ddir) == 0 {
		return nil, -eFAULT
	}
	if n == 0 {
		return nil, 0
	}
	return imu.view(nil, addr, n), 0
}

// Iovec is one struct iovec of a vectored fixed transfer.
type Iovec struct{ Base, Len uint64 }

// ImportVec maps every iovec of a READV_FIXED/WRITEV_FIXED, each an
// address range inside the buffer: -EFAULT for one outside it or of zero
// length, -EOVERFLOW when the lengths wrap, -EINVAL when they add up past
// MAX_RW_COUNT.
// Linux: io_uring/rsrc.c:io_import_reg_vec(), io_vec_fill_bvec()
func (imu *MappedUbuf) ImportVec(ddir int, iov []Iovec) ([][]byte, int, int) {
	if imu.Dir&(1<<ddir) == 0 {
		return nil, 0, -eFAULT
	}
	var out [][]byte
	total := uint64(0)
	for _, v := range iov {
		if ret := imu.validateFixedRange(v.Base, v.Len); ret != 0 {
			return nil, 0, ret
		}
		if v.Len == 0 {
			return nil, 0, -eFAULT
		}
		if total+v.Len < total {
			return nil, 0, -eOVERFLOW
		}
		total += v.Len
		out = imu.view(out, v.Base, v.Len)
	}
	if total > maxRWCount {
		return nil, 0, -eINVAL
	}
	return out, int(total), 0
}
