package uring

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/uringsim/uringsim/rings"
	"golang.org/x/sys/unix"
)

// thpLimitPages is the RLIMIT_MEMLOCK of the huge-page accounting test,
// in pages: room for two huge folios (2 × 512 pages) and a little more.
const thpLimitPages = 1100

// thpScript registers buffers in memory backed by transparent huge pages
// and shows, through the -ENOMEM boundary of thpLimitPages, what
// io_buffer_account_pin charges: a huge folio whole however little of it
// a buffer covers; once per call while it stays the last one charged
// (last_hpage), again when another folio came between; once per ring
// when the table already holds it, so that replacing the buffer that was
// charged leaves the folio pinned uncharged. A block gets its huge folio
// when it is first faulted in under MADV_HUGEPAGE and keeps it after
// MADV_NOHUGEPAGE; one faulted in before the advice stays base pages.
// MAP_HUGETLB fails with no hugetlbfs pages reserved. I/O through a
// buffer coalesced from huge folios reads and writes across their
// boundary.
// Linux: io_uring/rsrc.c:io_buffer_account_pin(), headpage_already_acct(), io_check_coalesce_buffer()
func thpScript(t *testing.T, be Backend) []string {
	l := newRsrcLog(t, be)
	defer l.r.Close()
	r := l.r
	const page = 4096
	const hp = 2 << 20
	madvise := func(what string, mem []byte, advice int) {
		PrepMadvise64(r.GetSQE(), addrOf(mem), uint64(len(mem)), advice)
		if _, err := r.SubmitAndWait(1); err != nil {
			t.Fatalf("%s: %s: submit: %v", be.Name(), what, err)
		}
		cqe, err := r.WaitCQE()
		if err != nil {
			t.Fatalf("%s: %s: wait: %v", be.Name(), what, err)
		}
		l.add("%s: res=%d", what, cqe.Res)
		r.CQESeen(cqe)
	}
	// blocks returns the first whole huge-page block of an 8 MiB mapping
	// and a function naming page i of block b.
	blocks := func(mem []byte) func(b, i int) Iovec {
		off := (addrOf(mem)+hp-1)&^(hp-1) - addrOf(mem)
		return func(b, i int) Iovec {
			o := off + uint64(b)*hp + uint64(i)*page
			return IovecOf(mem[o : o+page])
		}
	}
	plain := l.mem(1000 * page)
	pl := func(n int) Iovec { return IovecOf(plain[:n*page]) }

	x := l.mem(8 << 20)
	madvise("MADV_HUGEPAGE", x, unix.MADV_HUGEPAGE)
	H := blocks(x)
	l.call("one page of a huge folio", r.RegisterBuffers([]Iovec{H(0, 0)}))
	l.call("unregister", r.UnregisterBuffers())
	l.call("two folios", r.RegisterBuffers([]Iovec{H(0, 0), H(1, 0)}))
	l.call("unregister", r.UnregisterBuffers())
	l.call("folio, folio, the first again", r.RegisterBuffers([]Iovec{H(0, 0), H(1, 0), H(0, 1)}))
	l.call("folio, the same, another", r.RegisterBuffers([]Iovec{H(0, 0), H(0, 1), H(1, 0)}))
	l.call("unregister", r.UnregisterBuffers())
	l.call("folio, base pages, the same folio", r.RegisterBuffers([]Iovec{H(0, 0), pl(60), H(0, 2)}))
	l.call("unregister", r.UnregisterBuffers())
	l.call("two folios and 100 pages", r.RegisterBuffers([]Iovec{H(0, 0), H(1, 0), pl(100)}))
	l.call("two folios and 40 pages", r.RegisterBuffers([]Iovec{H(0, 0), H(1, 0), pl(40)}))
	l.call("unregister", r.UnregisterBuffers())

	l.call("folio and two sparse slots", r.RegisterBuffers([]Iovec{H(0, 0), {}, {}}))
	n, err := r.RegisterBuffersUpdateTag(1, []Iovec{H(1, 0)}, nil)
	l.calln("update: the second folio", n, err)
	n, err = r.RegisterBuffersUpdateTag(2, []Iovec{H(0, 5)}, nil)
	l.calln("update: the first folio again (in the table)", n, err)
	n, err = r.RegisterBuffersUpdateTag(0, []Iovec{H(0, 7)}, nil)
	l.calln("update: replace the charged buffer of the first folio", n, err)
	n, err = r.RegisterBuffersUpdateTag(0, []Iovec{pl(500)}, nil)
	l.calln("update: 500 pages with both folios pinned", n, err)
	l.call("unregister", r.UnregisterBuffers())
	l.call("1000 pages after all", r.RegisterBuffers([]Iovec{pl(1000)}))
	l.call("unregister", r.UnregisterBuffers())

	// Faulted in before MADV_HUGEPAGE: base pages.
	y := l.mem(8 << 20)
	Y := blocks(y)
	l.call("unadvised page", r.RegisterBuffers([]Iovec{Y(0, 0)}))
	l.call("unregister", r.UnregisterBuffers())
	// Its block is not registered again after the madvise: khugepaged may
	// collapse it into a huge folio at any moment from then on (the host
	// did, once in 22 runs under load), so what it is then is the host's timing.
	madvise("MADV_HUGEPAGE after the fault", y, unix.MADV_HUGEPAGE)
	l.call("an untouched block (a huge folio), and 1000 pages", r.RegisterBuffers([]Iovec{Y(1, 0), pl(1000)}))

	// MADV_NOHUGEPAGE keeps the folios already there.
	z := l.mem(8 << 20)
	Z := blocks(z)
	madvise("MADV_HUGEPAGE", z, unix.MADV_HUGEPAGE)
	l.call("a huge folio", r.RegisterBuffers([]Iovec{Z(0, 0)}))
	l.call("unregister", r.UnregisterBuffers())
	madvise("MADV_NOHUGEPAGE", z, unix.MADV_NOHUGEPAGE)
	l.call("its block after MADV_NOHUGEPAGE, and 600 pages", r.RegisterBuffers([]Iovec{Z(0, 3), pl(600)}))
	l.call("an untouched block (base pages), and 1000 pages", r.RegisterBuffers([]Iovec{Z(1, 0), pl(1000)}))
	l.call("unregister", r.UnregisterBuffers())

	// I/O across two folios of a coalesced buffer.
	span := x[H(0, 0).Base-addrOf(x):][:2*hp]
	for i := range span {
		span[i] = byte(i / page)
	}
	l.call("two whole folios", r.RegisterBuffers([]Iovec{IovecOf(span)}))
	fd := l.tempFile(nil)
	cross := addrOf(span) + hp - 3*page - 100
	l.op("write_fixed across the folio boundary", func(sqe *rings.SQE) { PrepWriteFixed(sqe, int32(fd), cross, 6*page, 0, 0) })
	want := string(span[hp-3*page-100 : hp+3*page-100])
	l.op("read_fixed back at a later offset", func(sqe *rings.SQE) {
		PrepReadFixed(sqe, int32(fd), addrOf(span)+hp+page, 6*page, 0, 0)
	})
	l.add("read back equal: %v", string(span[hp+page:hp+7*page]) == want)
	l.call("unregister", r.UnregisterBuffers())

	_, err = l.fs.Mmap(hp, unix.MAP_HUGETLB)
	l.add("MAP_HUGETLB: %v", errnoOfErr(err))
	return l.log
}

// TestRegisteredBufferHugePages runs thpScript on the simulator with
// MemlockLimit set and on the host kernel from a thread without
// CAP_IPC_LOCK under the same RLIMIT_MEMLOCK, and compares. The host
// part needs THP in madvise (or always) mode with PMD-sized folios.
func TestRegisteredBufferHugePages(t *testing.T) {
	first := onSimVariants(t, func(c *SimConfig) { c.MemlockLimit = thpLimitPages * 4096 }, thpScript)
	if t.Failed() {
		return
	}
	if !thpMadvise() {
		t.Skip("the host has no PMD-sized transparent huge pages in madvise mode")
	}
	be := hostOrSkip(t)
	var host []string
	withoutIPCLock(t, thpLimitPages*4096, func() {
		memlockSettle(t, be, thpLimitPages-10)
		host = thpScript(t, be)
	})
	if !reflect.DeepEqual(host, first) {
		t.Errorf("simulator and host kernel differ:\n sim  %q\n host %q", first, host)
	}
}

// thpMadvise reports whether the host gives PMD-sized transparent huge
// pages to memory under MADV_HUGEPAGE.
func thpMadvise() bool {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || strings.Contains(string(b), "[never]") {
		return false
	}
	b, err = os.ReadFile("/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/enabled")
	return err != nil || !strings.Contains(string(b), "[never]")
}
