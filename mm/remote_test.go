package mm

import (
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
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
