package mm

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
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
// the system call) reads them all again, so views the kernel holds across
// calls (a registered buffer, a user-provided buffer ring) see what the
// program wrote meanwhile; Sync (before the process resumes) writes back
// the pages the kernel changed (process_vm_writev). This is exact while
// the process is stopped whenever the kernel side touches its memory — the
// exec supervisor runs the simulated kernel only inside a system call; of
// a multi-threaded program, only the calling thread is stopped.
//
// Differs from Linux: a write by the kernel to memory the program mapped
// read-only is dropped at Sync instead of failing with -EFAULT; kernel
// accesses between the program's system calls are not modelled.
func NewRemote(pid int) (*AddressSpace, error) {
	as := New()
	as.remote = &remote{pid: pid, pages: btree.NewG(mmDegree, pageLess)}
	if err := as.remote.readMaps(); err != nil {
		return nil, err
	}
	return as, nil
}

// remote is the state of an address space backed by another process.
type remote struct {
	pid    int
	runs   []*Mapping // readable runs of VMAs, by address
	arenas [][]byte   // every shadow ever reserved, unmapped at Release
	pages  *btree.BTreeG[*shadowPage]

	// Stats for the supervisor's summary.
	PagesRead, PagesWritten, WritesDropped int64
}

// shadowPage is one page of the process mirrored locally.
type shadowPage struct {
	local    uintptr // address of the page in its shadow (the key)
	addr     uint64  // the process's address of the page
	mem      []byte  // the shadow page
	pristine []byte  // what the process held at the last read or write-back
}

func pageLess(a, b *shadowPage) bool { return a.local < b.local }

// Remote reports whether the address space is another process's memory.
func (as *AddressSpace) Remote() bool { return as.remote != nil }

// readMaps re-reads the process's VMAs and rebuilds the runs, keeping the
// shadow of a run whose bounds did not change.
func (r *remote) readMaps() error {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(r.pid) + "/maps")
	if err != nil {
		return err
	}
	type vma struct{ start, end uint64 }
	var vmas []vma
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var start, end uint64
		var perms string
		if _, err := fmt.Sscanf(sc.Text(), "%x-%x %s", &start, &end, &perms); err != nil {
			return fmt.Errorf("mm: /proc/%d/maps: %q: %v", r.pid, sc.Text(), err)
		}
		if len(perms) == 0 || perms[0] != 'r' {
			continue
		}
		if n := len(vmas); n > 0 && vmas[n-1].end == start {
			vmas[n-1].end = end
			continue
		}
		vmas = append(vmas, vma{start, end})
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

// Refresh re-reads the process's VMAs and every page the kernel side
// holds: call it when the process has stopped in a system call and
// before the kernel side runs. Pages the process no longer maps keep
// their last contents and are forgotten.
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
	for len(all) > 0 {
		n := r.read(all)
		for _, p := range all[:n] {
			copy(p.pristine, p.mem)
		}
		if n < len(all) {
			r.pages.Delete(all[n])
			n++
		}
		all = all[n:]
	}
	return nil
}

// Sync writes back to the process every page the kernel side changed
// since the last Refresh or Sync: call it before the process resumes.
func (as *AddressSpace) Sync() {
	r := as.remote
	if r == nil {
		return
	}
	r.pages.Ascend(func(p *shadowPage) bool {
		if bytes.Equal(p.mem, p.pristine) {
			return true
		}
		local := []unix.Iovec{{Base: &p.mem[0]}}
		local[0].SetLen(PageSize)
		rem := []unix.RemoteIovec{{Base: uintptr(p.addr), Len: PageSize}}
		if n, err := unix.ProcessVMWritev(r.pid, local, rem, 0); err != nil || n != PageSize {
			r.WritesDropped++ // read-only or gone: see NewRemote
		} else {
			r.PagesWritten++
		}
		copy(p.pristine, p.mem)
		return true
	})
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
}
