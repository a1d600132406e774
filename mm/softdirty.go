package mm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dirtyLog tells which of the process's pages it may have written since
// the log was last cleared.
type dirtyLog interface {
	// written sets dirty[i] for each page at addrs[i] that may have
	// changed since the last clear (or ever, before the first).
	written(addrs []uint64, dirty []bool) error
	// clear starts a new interval.
	clear() error
	close()
}

// Pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst).
const (
	pmSoftDirty = 1 << 55 // written since the last clear_refs "4"
	pmFile      = 1 << 61 // a page-cache or shared-anonymous page
	pmSwap      = 1 << 62
	pmPresent   = 1 << 63
)

// softDirty is soft-dirty tracking of another process: clear_refs "4"
// write-protects its page tables and clears every soft-dirty bit, and a
// store to a page after that — by the process, by the host kernel for it
// (its read(2)), or by a process_vm_writev — sets the bit again, which
// /proc/PID/pagemap shows.
// Linux: fs/proc/task_mmu.c:clear_refs_write(), pagemap_read()
type softDirty struct {
	pagemap, clearRefs, stat *os.File
	buf                      []byte
}

// newSoftDirty opens pid's pagemap and clear_refs, or returns nil where
// the host does not track soft-dirty pages (CONFIG_MEM_SOFT_DIRTY), or
// they cannot be opened.
func newSoftDirty(pid int) dirtyLog {
	if !softDirtyWorks() {
		return nil
	}
	dir := "/proc/" + strconv.Itoa(pid) + "/"
	pm, err := os.Open(dir + "pagemap")
	if err != nil {
		return nil
	}
	cr, err := os.OpenFile(dir+"clear_refs", os.O_WRONLY, 0)
	if err != nil {
		pm.Close()
		return nil
	}
	st, err := os.Open(dir + "stat")
	if err != nil {
		pm.Close()
		cr.Close()
		return nil
	}
	return &softDirty{pagemap: pm, clearRefs: cr, stat: st}
}

// softDirtyWorks tries soft-dirty tracking on a page of this process: a
// page written, cleared, then written again must show the bit set only
// after the second write. A kernel without CONFIG_MEM_SOFT_DIRTY accepts
// the clear and never sets the bit.
func softDirtyWorks() bool {
	mem, err := unix.Mmap(-1, 0, PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return false
	}
	defer unix.Munmap(mem)
	pm, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return false
	}
	defer pm.Close()
	entry := func() uint64 {
		var b [8]byte
		if _, err := pm.ReadAt(b[:], int64(uintptr(unsafe.Pointer(&mem[0]))/PageSize*8)); err != nil {
			return 0
		}
		return binary.LittleEndian.Uint64(b[:])
	}
	mem[0] = 1
	if os.WriteFile("/proc/self/clear_refs", []byte("4"), 0) != nil || entry()&pmSoftDirty != 0 {
		return false
	}
	mem[0] = 2
	return entry()&(pmSoftDirty|pmPresent) == pmSoftDirty|pmPresent
}

// written reads the pagemap entries of addrs, a run of consecutive pages
// at a time. A page may have changed if it is soft-dirty, if it is
// neither present nor swapped (unmapped, zapped by MADV_DONTNEED, a file
// page reclaimed: what comes back is not what was read), or if it is a
// file or shared page, which other processes and write(2) change
// without touching this process's page tables.
//
// Of a process with more than one thread, every page may have changed:
// the log is read, then cleared (stale), and a store another thread makes
// between the two would be lost from both intervals. With one thread,
// stopped in the system call being served, nothing can store (nor start
// a thread that would), so the log is exact.
func (s *softDirty) written(addrs []uint64, dirty []bool) error {
	if n, err := numThreads(s.stat); err != nil || n != 1 {
		for i := range dirty {
			dirty[i] = true
		}
		return nil
	}
	for i := 0; i < len(addrs); {
		j := i + 1
		for j < len(addrs) && addrs[j] == addrs[j-1]+PageSize {
			j++
		}
		n := 8 * (j - i)
		if cap(s.buf) < n {
			s.buf = make([]byte, n)
		}
		b := s.buf[:n]
		if _, err := s.pagemap.ReadAt(b, int64(addrs[i]/PageSize*8)); err != nil {
			// The process's execve replaced the mm the file holds
			// (pagemap_open()).
			if err := reopen(&s.pagemap); err != nil {
				return err
			}
			if _, err := s.pagemap.ReadAt(b, int64(addrs[i]/PageSize*8)); err != nil {
				return err
			}
		}
		for k := i; k < j; k++ {
			e := binary.LittleEndian.Uint64(b[8*(k-i):])
			dirty[k] = e&(pmSoftDirty|pmFile) != 0 || e&(pmPresent|pmSwap) == 0
		}
		i = j
	}
	return nil
}

func (s *softDirty) clear() error {
	_, err := s.clearRefs.Write([]byte("4"))
	return err
}

func (s *softDirty) close() {
	s.pagemap.Close()
	s.clearRefs.Close()
	s.stat.Close()
}

// numThreads reads num_threads, the 20th field of /proc/PID/stat (the
// fields after the command name, which is in parentheses and may hold
// any byte, count from its closing one).
// Linux: fs/proc/array.c:do_task_stat()
func numThreads(stat *os.File) (int, error) {
	var buf [512]byte
	n, err := stat.ReadAt(buf[:], 0)
	if n == 0 {
		return 0, err
	}
	return parseNumThreads(buf[:n])
}

// parseNumThreads is numThreads on the file's text.
func parseNumThreads(b []byte) (int, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("mm: /proc/PID/stat: no command name")
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3, the state
	if len(f) < 18 {
		return 0, errors.New("mm: /proc/PID/stat: too few fields")
	}
	return strconv.Atoi(string(f[17]))
}

// stale returns the pages of all (the pages held) to read again at
// Refresh, and starts the dirty log's next interval: the pages the log
// says the process may have written since the last Refresh, and those
// whose write-back it refused; without a log, every page. The log is
// read, then cleared, then the pages read: a store before the log is
// read is seen, one after the clear is in the next interval. Of a
// multi-threaded program, whose other threads may store between the
// log's read and its clear, every page is read (softDirty.written).
func (r *remote) stale(all []*shadowPage) []*shadowPage {
	if r.dirty == nil {
		return all
	}
	addrs := make([]uint64, len(all))
	for i, p := range all {
		addrs[i] = p.addr
	}
	dirty := make([]bool, len(all))
	if err := r.dirty.written(addrs, dirty); err != nil {
		for i := range dirty {
			dirty[i] = true
		}
	}
	if err := r.dirty.clear(); err != nil {
		r.stopTracking()
		return all
	}
	var stale []*shadowPage
	for i, p := range all {
		if dirty[i] || p.reread {
			stale = append(stale, p)
		}
	}
	return stale
}

// stopTracking gives up the dirty log: from now on Refresh reads every
// page held again.
func (r *remote) stopTracking() {
	if r.dirty != nil {
		r.dirty.close()
		r.dirty = nil
	}
}

// SoftDirty reports whether Refresh uses soft-dirty tracking: it re-reads
// only the pages the process wrote while the process has one thread, and
// every page held otherwise (softDirty.written).
func (as *AddressSpace) SoftDirty() bool { return as.remote != nil && as.remote.dirty != nil }
