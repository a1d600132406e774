package mm

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
	"pgregory.net/rapid"
)

// TestRemoteSelf uses this very process as the remote one: reads see its
// memory, writes reach it only at Sync, a change it makes is seen after
// Refresh, and an unmapped address is -EFAULT.
func TestRemoteSelf(t *testing.T) {
	mem, err := unix.Mmap(-1, 0, 2*PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	copy(mem[PageSize-2:], "hello")
	addr := uint64(uintptr(unsafe.Pointer(&mem[0])))
	as, err := NewRemote(os.Getpid())
	if err != nil {
		t.Skipf("process_vm_readv on self: %v", err)
	}
	defer as.Release()
	got := make([]byte, 5)
	if errno := as.CopyFromUser(got, addr+PageSize-2); errno != 0 || string(got) != "hello" {
		t.Fatalf("read across a page boundary: %q errno %d", got, errno)
	}
	if errno := as.CopyToUser(addr+PageSize-2, []byte("HE")); errno != 0 {
		t.Fatalf("write: errno %d", errno)
	}
	if string(mem[PageSize-2:PageSize+3]) != "hello" {
		t.Fatalf("write reached the process before Sync: %q", mem[PageSize-2:PageSize+3])
	}
	as.Sync()
	if string(mem[PageSize-2:PageSize+3]) != "HEllo" {
		t.Fatalf("after Sync: %q", mem[PageSize-2:PageSize+3])
	}
	mem[PageSize] = 'X'
	if err := as.Refresh(); err != nil {
		t.Fatal(err)
	}
	b, errno := as.Slice(addr+PageSize, 1)
	if errno != 0 || b[0] != 'X' {
		t.Fatalf("after Refresh: %q errno %d", b, errno)
	}
	if _, errno := as.Slice(8, 1); errno != -EFAULT {
		t.Fatalf("page 0: errno %d, want -EFAULT", errno)
	}
	if m := as.Lookup(addr); m == nil || m.Addr > addr || m.End() < addr+2*PageSize {
		t.Fatalf("Lookup(%#x) = %+v", addr, m)
	}
}

// selfRemote maps pages of this process's memory and returns them with
// an address space that is this process as the remote one.
func selfRemote(t *testing.T, pages int) ([]byte, uint64, *AddressSpace) {
	t.Helper()
	mem, err := unix.Mmap(-1, 0, pages*PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(mem) })
	as, err := NewRemote(os.Getpid())
	if err != nil {
		t.Skipf("process_vm_readv on self: %v", err)
	}
	t.Cleanup(as.Release)
	return mem, uint64(uintptr(unsafe.Pointer(&mem[0]))), as
}

// TestSyncWritesOnlyChangedBytes: the kernel side changes one byte of a
// page and the program (another thread, not stopped) another between
// Refresh and Sync; after Sync both changes are there — the write-back
// carries the kernel's byte only, not the page's stale rest.
func TestSyncWritesOnlyChangedBytes(t *testing.T) {
	mem, addr, as := selfRemote(t, 1)
	copy(mem, "ab")
	if err := as.Refresh(); err != nil {
		t.Fatal(err)
	}
	if errno := as.CopyToUser(addr, []byte("K")); errno != 0 {
		t.Fatalf("CopyToUser: errno %d", errno)
	}
	mem[1] = 'P' // the program's store, which the shadow has not seen
	as.Sync()
	if got := string(mem[:2]); got != "KP" {
		t.Fatalf("after Sync: %q, want \"KP\" (the kernel's byte and the program's)", got)
	}
	if _, w, d := as.RemoteStats(); w != 1 || d != 0 {
		t.Fatalf("pages written %d, refused %d; want 1, 0", w, d)
	}
}

// TestSyncManyRuns: more changed runs than one process_vm_writev takes
// (IOV_MAX), every other byte of two pages, all arrive and nothing
// between them is written; a run on a page the program made read-only is
// refused without stopping the runs after it, and that page is read
// again at the next Refresh.
func TestSyncManyRuns(t *testing.T) {
	mem, addr, as := selfRemote(t, 4)
	b, errno := as.Slice(addr, 4*PageSize)
	if errno != 0 {
		t.Fatalf("Slice: errno %d", errno)
	}
	for i := 0; i < 2*PageSize; i += 2 {
		b[i] = 1
	}
	b[2*PageSize] = 2 // the page made read-only
	b[3*PageSize] = 3
	for i := 1; i < 2*PageSize; i += 2 {
		mem[i] = 9 // the program's, between the kernel's bytes
	}
	if err := unix.Mprotect(mem[2*PageSize:3*PageSize], unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	as.Sync()
	for i := 0; i < 2*PageSize; i++ {
		if want := byte(1 + 8*(i%2)); mem[i] != want {
			t.Fatalf("byte %d: %d, want %d", i, mem[i], want)
		}
	}
	if mem[2*PageSize] != 0 || mem[3*PageSize] != 3 {
		t.Fatalf("read-only page %d, page after it %d; want 0, 3", mem[2*PageSize], mem[3*PageSize])
	}
	if _, w, d := as.RemoteStats(); w != 3 || d != 1 {
		t.Fatalf("pages written %d, refused %d; want 3, 1", w, d)
	}
	as.remote.dirty = &fakeDirty{} // nothing written: only the refused page is stale
	r0, _, _ := as.RemoteStats()
	if err := as.Refresh(); err != nil {
		t.Fatal(err)
	}
	if r, _, _ := as.RemoteStats(); r-r0 != 1 || b[2*PageSize] != 0 {
		t.Fatalf("Refresh read %d pages, read-only page %d; want 1, 0", r-r0, b[2*PageSize])
	}
}

// fakeDirty is a dirty log that says which pages were written.
type fakeDirty struct {
	pages  map[uint64]bool
	clears int
}

func (f *fakeDirty) written(addrs []uint64, dirty []bool) error {
	for i, a := range addrs {
		dirty[i] = f.pages[a]
	}
	return nil
}
func (f *fakeDirty) clear() error { f.clears++; f.pages = nil; return nil }
func (f *fakeDirty) close()       {}

// TestRefreshReadsDirtyPages: with a dirty log, Refresh reads again the
// pages the log says the program wrote and no others, and clears the log;
// without one (soft-dirty unsupported), every page held.
func TestRefreshReadsDirtyPages(t *testing.T) {
	mem, addr, as := selfRemote(t, 2)
	log := &fakeDirty{}
	as.remote.dirty = log
	if _, errno := as.Slice(addr, 2*PageSize); errno != 0 {
		t.Fatalf("Slice: errno %d", errno)
	}
	mem[0], mem[PageSize] = 'a', 'b'
	log.pages = map[uint64]bool{addr + PageSize: true} // the log saw only the second
	r0, _, _ := as.RemoteStats()
	if err := as.Refresh(); err != nil {
		t.Fatal(err)
	}
	b, _ := as.Slice(addr, 2*PageSize)
	if r, _, _ := as.RemoteStats(); r-r0 != 1 || b[0] != 0 || b[PageSize] != 'b' || log.clears != 1 {
		t.Fatalf("read %d pages, shadow %q %q, %d clears; want 1, \"\\x00\" \"b\", 1", r-r0, b[0], b[PageSize], log.clears)
	}
	as.remote.stopTracking()
	if as.SoftDirty() {
		t.Fatal("SoftDirty after stopTracking")
	}
	if err := as.Refresh(); err != nil {
		t.Fatal(err)
	}
	if r, _, _ := as.RemoteStats(); r-r0 != 3 || b[0] != 'a' {
		t.Fatalf("without a log: read %d pages in all, shadow %q; want 3, \"a\"", r-r0, b[0])
	}
}

// TestSoftDirty is TestRefreshReadsDirtyPages with the host's soft-dirty
// tracking: a page the program did not write since the last Refresh is
// not read again, one it wrote is.
func TestSoftDirty(t *testing.T) {
	if !softDirtyWorks() {
		t.Skip("the host kernel does not track soft-dirty pages (CONFIG_MEM_SOFT_DIRTY)")
	}
	mem, addr, as := selfRemote(t, 2)
	if !as.SoftDirty() {
		t.Fatal("soft-dirty works on this host, but NewRemote does not use it")
	}
	// This process has many threads, for which every page is read: let
	// the log believe it has one.
	sd := as.remote.dirty.(*softDirty)
	sd.stat.Close()
	sd.stat = statFile(t, "1 (uringsim) S"+strings.Repeat(" 0", 16)+" 1 0")
	if _, errno := as.Slice(addr, 2*PageSize); errno != 0 {
		t.Fatalf("Slice: errno %d", errno)
	}
	if err := as.Refresh(); err != nil { // reads both: never cleared before
		t.Fatal(err)
	}
	mem[PageSize] = 'b'
	r0, _, _ := as.RemoteStats()
	if err := as.Refresh(); err != nil {
		t.Fatal(err)
	}
	b, _ := as.Slice(addr+PageSize, 1)
	if r, _, _ := as.RemoteStats(); r-r0 != 1 || b[0] != 'b' {
		t.Fatalf("read %d pages, shadow %q; want 1, \"b\"", r-r0, b[0])
	}
}

// statFile is a file holding text, standing for a /proc/PID file.
func statFile(t *testing.T, text string) *os.File {
	name := filepath.Join(t.TempDir(), "stat")
	if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestNumThreads: num_threads is the 20th field of /proc/PID/stat,
// counted from the command name's last ')', which the name may contain.
func TestNumThreads(t *testing.T) {
	f := statFile(t, "42 (a) b (c) S"+strings.Repeat(" 7", 16)+" 3 0 0")
	if n, err := numThreads(f); err != nil || n != 3 {
		t.Fatalf("numThreads = %d, %v; want 3", n, err)
	}
	for _, bad := range []string{"42 a S 1 2", "42 (a) S 1 2 3"} {
		if n, err := numThreads(statFile(t, bad)); err == nil {
			t.Fatalf("numThreads(%q) = %d, want an error", bad, n)
		}
	}
	self, err := os.Open("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	defer self.Close()
	// A Go test binary runs more than one thread (sysmon, at least).
	if n, err := numThreads(self); err != nil || n < 2 {
		t.Fatalf("numThreads(/proc/self/stat) = %d, %v; want >= 2", n, err)
	}
}

// TestSoftDirtyManyThreads: with one thread, the log is the pagemap's
// soft-dirty bits; with more, it says every page may have been written
// (another thread may store between the log's read and its clear).
func TestSoftDirtyManyThreads(t *testing.T) {
	// A pagemap of four pages: page 1 present and soft-dirty, page 3
	// present and clean.
	var entries [4 * 8]byte
	binary.LittleEndian.PutUint64(entries[8:], pmPresent|pmSoftDirty)
	binary.LittleEndian.PutUint64(entries[24:], pmPresent)
	for _, c := range []struct {
		threads string
		want    []bool
	}{{"1", []bool{true, false}}, {"2", []bool{true, true}}} {
		s := &softDirty{
			stat:    statFile(t, "1 (p) S"+strings.Repeat(" 0", 16)+" "+c.threads+" 0"),
			pagemap: statFile(t, string(entries[:])),
		}
		dirty := make([]bool, 2)
		if err := s.written([]uint64{PageSize, 3 * PageSize}, dirty); err != nil || !slices.Equal(dirty, c.want) {
			t.Fatalf("%s threads: dirty %v, %v; want %v", c.threads, dirty, err, c.want)
		}
	}
}

// TestDiffRuns: the runs are the maximal runs of differing bytes.
func TestDiffRuns(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := 8 * rapid.IntRange(1, 64).Draw(t, "words")
		a := make([]byte, n)
		b := make([]byte, n)
		for i := range n {
			a[i] = byte(rapid.IntRange(0, 2).Draw(t, "a"))
			b[i] = byte(rapid.IntRange(0, 2).Draw(t, "b"))
		}
		var want [][2]int
		for i := 0; i < n; {
			if a[i] == b[i] {
				i++
				continue
			}
			j := i
			for j < n && a[j] != b[j] {
				j++
			}
			want = append(want, [2]int{i, j - i})
			i = j
		}
		var got [][2]int
		diffRuns(a, b, func(off, n int) { got = append(got, [2]int{off, n}) })
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("runs %v, want %v", got, want)
		}
	})
}
