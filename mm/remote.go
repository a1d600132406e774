package mm

import (
	"bytes"
	"sort"
	"unsafe"

	"github.com/google/btree"
	"golang.org/x/sys/unix"
)

// NewRemote returns an address space that is another host process's
// memory (uringsim exec): user pointers mean that process's addresses.
//
// The kernel side keeps its one interface — Lookup, Slice, CopyFromUser,
// CopyToUser — so ops need not know. A mapping is a readable run of the
// process's VMAs (/proc/PID/maps, adjacent VMAs merged), and its Mem is a
// local shadow of that run: address space reserved with MAP_NORESERVE
// and filled page by page from the process (process_vm_readv) the first
// time Slice touches a page. Every page touched is kept, with a pristine
// copy, for good: Refresh (at each kernel entry, the process stopped in
// the system call) reads again those the process may have written (all
// of them where the host lacks soft-dirty tracking: softdirty.go), so
// views the kernel holds across calls (a registered buffer, a
// user-provided buffer ring) see what the program wrote meanwhile; Sync
// (before the process resumes) writes back the bytes the kernel changed
// (process_vm_writev), and no others. This is exact while
// the process is stopped whenever the kernel side touches its memory — the
// exec supervisor runs the simulated kernel only inside a system call; of
// a multi-threaded program, only the calling thread is stopped.
//
// Differs from Linux: a write by the kernel to memory the program mapped
// read-only is dropped at Sync instead of failing with -EFAULT; kernel
// accesses between the program's system calls are not modelled.
func NewRemote(pid int) (*AddressSpace, error) {
	maps, err := openMaps(pid)
	if err != nil {
		return nil, err
	}
	as := New()
	as.remote = &remote{pid: pid, maps: maps, pages: btree.NewG(mmDegree, pageLess), dirty: newSoftDirty(pid)}
	if err := as.remote.readMaps(); err != nil {
		as.remote.release()
		return nil, err
	}
	return as, nil
}

// remote is the state of an address space backed by another process.
type remote struct {
	pid    int
	maps   *procMaps  // its /proc/PID/maps
	runs   []*Mapping // readable runs of VMAs, by address
	vmas   []vma      // readMaps's buffer
	arenas [][]byte   // every shadow ever reserved, unmapped at Release
	pages  *btree.BTreeG[*shadowPage]
	dirty  dirtyLog  // which pages the process wrote, or nil: all may have
	wb     writeBack // Sync's buffers

	// Stats for the supervisor's summary.
	PagesRead, PagesWritten, WritesDropped int64
}

// shadowPage is one page of the process mirrored locally.
type shadowPage struct {
	local    uintptr // address of the page in its shadow (the key)
	addr     uint64  // the process's address of the page
	mem      []byte  // the shadow page
	pristine []byte  // what the process held at the last read or write-back
	reread   bool    // a write-back was refused: read again at Refresh
}

func pageLess(a, b *shadowPage) bool { return a.local < b.local }

// Remote reports whether the address space is another process's memory.
func (as *AddressSpace) Remote() bool { return as.remote != nil }

// readMaps re-reads the process's VMAs and rebuilds the runs, keeping the
// shadow of a run whose bounds did not change.
func (r *remote) readMaps() error {
	vmas, err := r.maps.readable(r.vmas[:0])
	if err != nil {
		return err
	}
	r.vmas = vmas
	if len(vmas) == len(r.runs) {
		same := true
		for i, v := range vmas {
			if r.runs[i].Addr != v.start || r.runs[i].End() != v.end {
				same = false
				break
			}
		}
		if same {
			return nil
		}
	}
	old := r.runs
	r.runs = r.runs[:0:0]
	for _, v := range vmas {
		i := sort.Search(len(old), func(i int) bool { return old[i].Addr >= v.start })
		if i < len(old) && old[i].Addr == v.start && old[i].End() == v.end {
			r.runs = append(r.runs, old[i])
			continue
		}
		r.runs = append(r.runs, &Mapping{Addr: v.start, Name: "remote", remoteLen: v.end - v.start})
	}
	return nil
}

// shadow returns m's shadow memory, reserving it on first use.
func (r *remote) shadow(m *Mapping) int {
	if m.Mem != nil {
		return 0
	}
	mem, err := unix.Mmap(-1, 0, int(m.remoteLen), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return -EFAULT
	}
	r.arenas = append(r.arenas, mem)
	m.Mem = mem
	return 0
}

// find is the run holding addr, or nil.
func (r *remote) find(addr uint64) *Mapping {
	i := sort.Search(len(r.runs), func(i int) bool { return r.runs[i].End() > addr })
	if i < len(r.runs) && r.runs[i].Addr <= addr {
		return r.runs[i]
	}
	return nil
}

// slice is Slice on the process's memory: the shadow of [addr, addr+n),
// every page of it read from the process if not yet held.
func (r *remote) slice(addr, n uint64) ([]byte, int) {
	m := r.find(addr)
	if m == nil || addr+n < addr || addr+n > m.End() {
		return nil, -EFAULT
	}
	if errno := r.shadow(m); errno != 0 {
		return nil, errno
	}
	first := addr &^ (PageSize - 1)
	last := (addr + n + PageSize - 1) &^ (PageSize - 1)
	var missing []*shadowPage
	for a := first; a < last; a += PageSize {
		off := a - m.Addr
		pg := m.Mem[off : off+PageSize : off+PageSize]
		key := &shadowPage{local: uintptr(unsafe.Pointer(&pg[0]))}
		if _, ok := r.pages.Get(key); ok {
			continue
		}
		key.addr, key.mem = a, pg
		missing = append(missing, key)
	}
	if len(missing) > 0 {
		if r.read(missing) != len(missing) {
			return nil, -EFAULT
		}
		for _, p := range missing {
			p.pristine = append([]byte(nil), p.mem...)
			r.pages.ReplaceOrInsert(p)
		}
	}
	off := addr - m.Addr
	return m.Mem[off : off+n : off+n], 0
}

// read fills the shadow of pages from the process and returns how many
// leading pages were read whole.
func (r *remote) read(pages []*shadowPage) int {
	done := 0
	for done < len(pages) {
		batch := pages[done:min(len(pages), done+512)]
		local := make([]unix.Iovec, len(batch))
		rem := make([]unix.RemoteIovec, len(batch))
		for i, p := range batch {
			local[i].Base = &p.mem[0]
			local[i].SetLen(PageSize)
			rem[i] = unix.RemoteIovec{Base: uintptr(p.addr), Len: PageSize}
		}
		n, err := unix.ProcessVMReadv(r.pid, local, rem, 0)
		whole := max(n, 0) / PageSize
		done += whole
		r.PagesRead += int64(whole)
		if err != nil || whole < len(batch) {
			return done
		}
	}
	return done
}

// Refresh brings the shadow up to date with the process: call it when
// the process has stopped in a system call and before the kernel side
// runs. It re-reads the process's VMAs, and every page the kernel side
// holds that the process may have written since it was last read — with
// soft-dirty tracking (softdirty.go), the pages /proc/PID/pagemap marks;
// without it, all of them. Pages the process no longer maps keep their
// last contents and are forgotten.
func (as *AddressSpace) Refresh() error {
	r := as.remote
	if r == nil {
		return nil
	}
	if err := r.readMaps(); err != nil {
		return err
	}
	var all []*shadowPage
	r.pages.Ascend(func(p *shadowPage) bool { all = append(all, p); return true })
	stale := r.stale(all)
	for len(stale) > 0 {
		n := r.read(stale)
		for _, p := range stale[:n] {
			copy(p.pristine, p.mem)
			p.reread = false
		}
		if n < len(stale) {
			r.pages.Delete(stale[n])
			n++
		}
		stale = stale[n:]
	}
	return nil
}

// Sync writes back to the process what the kernel side changed since the
// last Refresh or Sync — only the bytes that differ from what was read
// (the runs where a page's shadow differs from its pristine copy), in as
// few process_vm_writev calls as the runs need (IOV_MAX a call): a byte
// the kernel side did not change is never written, so what another thread
// of the program stored on the same page meanwhile survives. Call it
// before the process resumes.
func (as *AddressSpace) Sync() {
	r := as.remote
	if r == nil {
		return
	}
	w := &r.wb
	w.pages, w.failed = w.pages[:0], w.failed[:0]
	r.pages.Ascend(func(p *shadowPage) bool {
		if bytes.Equal(p.mem, p.pristine) {
			return true
		}
		owner := int32(len(w.pages))
		w.pages = append(w.pages, p)
		w.failed = append(w.failed, false)
		diffRuns(p.mem, p.pristine, func(off, n int) {
			if len(w.local) == iovMax {
				r.flush()
			}
			iov := unix.Iovec{Base: &p.mem[off]}
			iov.SetLen(n)
			w.local = append(w.local, iov)
			w.remote = append(w.remote, unix.RemoteIovec{Base: uintptr(p.addr) + uintptr(off), Len: n})
			w.owner = append(w.owner, owner)
		})
		return true
	})
	r.flush()
	for k, p := range w.pages {
		if w.failed[k] {
			r.WritesDropped++ // read-only or gone: see NewRemote
			p.reread = true   // the process still holds what it held
		} else {
			r.PagesWritten++
		}
		copy(p.pristine, p.mem)
	}
}

// iovMax is IOV_MAX: the most iovecs one process_vm_writev takes.
const iovMax = 1024

// writeBack is Sync's work: the changed pages, whether a write-back of
// each was refused, and the runs not yet written, each with the index of
// its page. Its slices are kept from one Sync to the next.
type writeBack struct {
	pages  []*shadowPage
	failed []bool
	local  []unix.Iovec
	remote []unix.RemoteIovec
	owner  []int32
}

// flush writes the pending runs to the process. A run the process
// refuses (memory it mapped read-only, or no longer maps) is dropped and
// its page marked failed; the writes go on past it.
// Linux: mm/process_vm_access.c:process_vm_rw_core() stops at the first
// page it cannot copy and returns the bytes copied before it (an error
// only when there are none).
func (r *remote) flush() {
	w := &r.wb
	for i := 0; i < len(w.local); {
		n, err := unix.ProcessVMWritev(r.pid, w.local[i:], w.remote[i:], 0)
		if err != nil {
			n = 0
		}
		for i < len(w.local) && n >= int(w.local[i].Len) {
			n -= int(w.local[i].Len)
			i++
		}
		if i < len(w.local) {
			w.failed[w.owner[i]] = true // not written, or not whole
			i++
		}
	}
	w.local, w.remote, w.owner = w.local[:0], w.remote[:0], w.owner[:0]
}

// diffRuns calls fn, in order, for each maximal run of bytes where a and
// b differ; a and b are of one length, a multiple of 8, and 8-aligned.
func diffRuns(a, b []byte, fn func(off, n int)) {
	wa := unsafe.Slice((*uint64)(unsafe.Pointer(&a[0])), len(a)/8)
	wb := unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), len(b)/8)
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	start := -1 // the first byte of the run under way, or -1
	for i, x := range wa {
		x ^= wb[i]
		switch {
		case x == 0: // no byte differs
			if start >= 0 {
				fn(start, 8*i-start)
				start = -1
			}
		case (x-ones)&^x&highs == 0: // every byte differs
			if start < 0 {
				start = 8 * i
			}
		default:
			for j := range 8 { // little-endian: byte j is bits 8j..8j+7
				switch {
				case x>>(8*j)&0xff == 0 && start >= 0:
					fn(start, 8*i+j-start)
					start = -1
				case x>>(8*j)&0xff != 0 && start < 0:
					start = 8*i + j
				}
			}
		}
	}
	if start >= 0 {
		fn(start, len(a)-start)
	}
}

// RemoteStats reports the pages read from and written to the process, and
// the write-backs it refused.
func (as *AddressSpace) RemoteStats() (read, written, dropped int64) {
	if r := as.remote; r != nil {
		return r.PagesRead, r.PagesWritten, r.WritesDropped
	}
	return 0, 0, 0
}

// release unmaps every shadow.
func (r *remote) release() {
	for _, a := range r.arenas {
		_ = unix.Munmap(a)
	}
	r.arenas, r.runs = nil, nil
	r.pages.Clear(false)
	r.stopTracking()
	if r.maps != nil {
		r.maps.f.Close()
		r.maps = nil
	}
}
