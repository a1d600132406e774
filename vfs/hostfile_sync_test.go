package vfs_test

import (
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/vfs"
)

// TestHostFileSync: fsync, sync_file_range and fallocate of a host file
// reach the host file (hostRegFileOps) (a regular file preallocates;
// a pipe's read end is -ESPIPE for sync_file_range, -EBADF for fallocate
// and -EINVAL for fsync).
func TestHostFileSync(t *testing.T) {
	th := world(t)
	fd, err := unix.Open(filepath.Join(t.TempDir(), "f"), unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f, err := vfs.NewHostFile(fd, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Put(th)
	if r := vfs.Fsync(th, f, 0, -1, false); r != 0 {
		t.Errorf("fsync: %d", r)
	}
	if r := vfs.Fsync(th, f, 0, -1, true); r != 0 {
		t.Errorf("fdatasync: %d", r)
	}
	if r := vfs.SyncFileRange(th, f, 0, 0, vfs.SYNC_FILE_RANGE_WRITE); r != 0 {
		t.Errorf("sync_file_range: %d", r)
	}
	if r := vfs.SyncFileRange(th, f, -1, 0, 0); r != -int(unix.EINVAL) {
		t.Errorf("sync_file_range at -1: %d", r)
	}
	if r := vfs.Fallocate(th, f, 0, 0, 8192); r != 0 {
		t.Errorf("fallocate: %d", r)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Size != 8192 {
		t.Errorf("size after fallocate: %d %v", st.Size, err)
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[1])
	pf, err := vfs.NewHostFile(p[0], 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Put(th)
	if r := vfs.SyncFileRange(th, pf, 0, 0, 0); r != -int(unix.ESPIPE) {
		t.Errorf("sync_file_range of a pipe: %d", r)
	}
	if r := vfs.Fallocate(th, pf, 0, 0, 4096); r != -int(unix.EBADF) { // not open for writing: checked first
		t.Errorf("fallocate of a pipe's read end: %d", r)
	}
	if r := vfs.Fsync(th, pf, 0, -1, false); r != -int(unix.EINVAL) {
		t.Errorf("fsync of a pipe: %d", r)
	}
}
