package vfs

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
)

// Fsync is the host's fsync(2) (fdatasync(2) with datasync) of the host
// descriptor, its errno the host's (-EINVAL for a pipe or a socket); the
// range is the whole file, as vfs_fsync_range is for most file systems.
// Linux: fs/sync.c:vfs_fsync_range()
func (hostFileOps) Fsync(t *sim.Thread, f *File, start, end int64, datasync bool) int {
	h := f.Private.(*HostFile)
	var err error
	if datasync {
		err = unix.Fdatasync(h.Fd)
	} else {
		err = unix.Fsync(h.Fd)
	}
	if err != nil {
		return errnoOf(err)
	}
	return 0
}

// hostFallocate and hostSyncFileRange make the call on a host file's
// descriptor: the host file system's checks and errno, not the
// simulated ones (whose tmpfs has no fallocate flags of its own to say).
func hostFallocate(h *HostFile, mode int32, off, length int64) int {
	if err := unix.Fallocate(h.Fd, uint32(mode), off, length); err != nil {
		return errnoOf(err)
	}
	return 0
}

func hostSyncFileRange(h *HostFile, off, nbytes int64, flags uint32) int {
	if err := unix.SyncFileRange(h.Fd, off, nbytes, int(flags)); err != nil {
		return errnoOf(err)
	}
	return 0
}
