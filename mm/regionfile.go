package mm

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// MoveToFile puts the region's pages into the file fd at byte offset off
// (a memfd, for uringsim exec) and maps that part of the file MAP_SHARED
// over the region's own address, contents kept: the region stays where
// it is for the kernel side, and another process that maps fd at off
// sees and changes the very same pages. The file must be at least
// off+len(r.Mem) bytes long. User-provided regions are refused.
func (r *Region) MoveToFile(fd int, off int64) error {
	if r.user {
		return unix.EINVAL
	}
	if _, err := unix.Pwrite(fd, r.Mem, off); err != nil {
		return err
	}
	r.filed = true
	_, err := unix.MmapPtr(fd, off, unsafe.Pointer(&r.Mem[0]), uintptr(len(r.Mem)),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_FIXED)
	return err
}
