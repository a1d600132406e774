package vfs

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
)

// Namespace is what a process's path names resolve in: the file system
// behind openat, mkdirat, unlinkat, symlinkat, linkat, renameat2, statx
// and readlinkat, as the kernel's do_* functions see it. A simulated
// kernel's namespace is its tmpfs (Tmpfs.Namespace); under uringsim exec
// it is the host's (HostNamespace), so a program's paths name its own
// files. Errors are negated errnos.
// Linux: fs/namei.c, fs/open.c, fs/stat.c (the do_* entry points)
type Namespace interface {
	// Open is do_filp_open: the file comes back with one reference; id is
	// its identity.
	Open(t *sim.Thread, at At, path string, op *OpenFlags, id uint64) (*File, int)
	// Mkdir is do_mkdirat.
	Mkdir(t *sim.Thread, at At, path string, mode uint32) int
	// Unlink is do_unlinkat, or do_rmdir with rmdir.
	Unlink(t *sim.Thread, at At, path string, rmdir bool) int
	// Symlink is do_symlinkat.
	Symlink(t *sim.Thread, target string, at At, path string) int
	// Link is do_linkat with LOOKUP_FOLLOW and LOOKUP_EMPTY in lookup.
	Link(t *sim.Thread, oldAt At, oldPath string, newAt At, newPath string, lookup uint32) int
	// Rename is do_renameat2.
	Rename(t *sim.Thread, oldAt At, oldPath string, newAt At, newPath string, flags uint32) int
	// Statx is vfs_statx: flags are statx's validated AT_* flags.
	Statx(t *sim.Thread, at At, path string, flags, mask uint32) (unix.Statx_t, int)
	// Readlink is do_readlinkat's lookup: the symlink's body.
	Readlink(t *sim.Thread, at At, path string) (string, int)
}

// At is where a relative path starts: the current directory (Cwd, for
// AT_FDCWD) or a directory descriptor's file, which File fetches with a
// reference (fdget_raw) or returns nil for a bad descriptor. It is asked
// only when the walk needs it: an absolute path never looks at the dirfd.
type At struct {
	Cwd  bool
	File func() *File
}

// Namespace is fs as a Namespace: the current directory is its root.
func (fs *Tmpfs) Namespace() Namespace { return tmpfsNamespace{fs} }

type tmpfsNamespace struct{ fs *Tmpfs }

// start is the walk's start for at: the root (the cwd), or the inode the
// descriptor names (a stand-in on another mount for a file outside the
// namespace); -EBADF for a bad descriptor. path_init's -ENOTDIR for a
// non-directory with a non-empty name is the walk's.
// Linux: fs/namei.c:path_init()
func (ns tmpfsNamespace) start(t *sim.Thread, at At) Start {
	return func() (*Inode, int) {
		if at.Cwd {
			return ns.fs.Root(), 0
		}
		f := at.File()
		if f == nil {
			return nil, -int(unix.EBADF)
		}
		defer f.Put(t)
		return DirOf(f), 0
	}
}

func (ns tmpfsNamespace) Open(t *sim.Thread, at At, path string, op *OpenFlags, id uint64) (*File, int) {
	return ns.fs.Open(t, ns.start(t, at), path, op, id)
}

func (ns tmpfsNamespace) Mkdir(t *sim.Thread, at At, path string, mode uint32) int {
	return ns.fs.Mkdir(t, ns.start(t, at), path, mode)
}

func (ns tmpfsNamespace) Unlink(t *sim.Thread, at At, path string, rmdir bool) int {
	return ns.fs.Unlink(t, ns.start(t, at), path, rmdir)
}

func (ns tmpfsNamespace) Symlink(t *sim.Thread, target string, at At, path string) int {
	return ns.fs.Symlink(t, target, ns.start(t, at), path)
}

func (ns tmpfsNamespace) Link(t *sim.Thread, oldAt At, oldPath string, newAt At, newPath string, lookup uint32) int {
	return ns.fs.Link(t, ns.start(t, oldAt), oldPath, ns.start(t, newAt), newPath, lookup)
}

func (ns tmpfsNamespace) Rename(t *sim.Thread, oldAt At, oldPath string, newAt At, newPath string, flags uint32) int {
	return ns.fs.Rename(t, ns.start(t, oldAt), oldPath, ns.start(t, newAt), newPath, flags)
}

// Statx looks the name up (AT_EMPTY_PATH with an empty name and a dirfd:
// the dirfd's own file, which may be outside the namespace) and fills a
// struct statx.
// Linux: fs/stat.c:vfs_statx(), vfs_statx_path()
func (ns tmpfsNamespace) Statx(t *sim.Thread, at At, path string, flags, mask uint32) (unix.Statx_t, int) {
	if path == "" && flags&unix.AT_EMPTY_PATH != 0 && !at.Cwd {
		f := at.File()
		if f == nil {
			return unix.Statx_t{}, -int(unix.EBADF)
		}
		defer f.Put(t)
		if ino := InodeOf(f); ino != nil {
			return ns.fs.Getattr(t, ino, mask), 0
		}
		return GetattrFile(t, f, mask), 0
	}
	var lookup uint32
	if flags&unix.AT_SYMLINK_NOFOLLOW == 0 {
		lookup |= LOOKUP_FOLLOW
	}
	if flags&unix.AT_EMPTY_PATH != 0 {
		lookup |= LOOKUP_EMPTY
	}
	ino, err := ns.fs.Lookup(t, ns.start(t, at), path, lookup)
	if err != 0 {
		return unix.Statx_t{}, err
	}
	return ns.fs.Getattr(t, ino, mask), 0
}

func (ns tmpfsNamespace) Readlink(t *sim.Thread, at At, path string) (string, int) {
	return ns.fs.Readlink(t, ns.start(t, at), path, LOOKUP_EMPTY)
}
