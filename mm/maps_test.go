package mm

import (
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestMaps: the readable runs of this process leave out an unreadable
// mapping, and the next read sees a page of it made readable, alone.
func TestMaps(t *testing.T) {
	m, err := openMaps(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	defer m.f.Close()
	mem, err := unix.Mmap(-1, 0, 3*PageSize, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	addr := uint64(uintptr(unsafe.Pointer(&mem[0])))
	holds := func(vmas []vma, a uint64) bool {
		for _, v := range vmas {
			if v.start <= a && a < v.end {
				return true
			}
		}
		return false
	}
	vmas, err := m.readable(nil)
	if err != nil || holds(vmas, addr+PageSize) {
		t.Fatalf("PROT_NONE page in the runs %x (%v)", vmas, err)
	}
	if err := unix.Mprotect(mem[PageSize:2*PageSize], unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	vmas, err = m.readable(vmas[:0])
	if err != nil || !holds(vmas, addr+PageSize) || holds(vmas, addr) || holds(vmas, addr+2*PageSize) {
		t.Fatalf("runs %x (%v) around %#x: want only the middle page", vmas, err, addr)
	}
}

func BenchmarkMaps(b *testing.B) {
	m, _ := openMaps(os.Getpid())
	defer m.f.Close()
	var v []vma
	for b.Loop() {
		v, _ = m.readable(v[:0])
	}
	b.ReportMetric(float64(len(v)), "runs")
}
