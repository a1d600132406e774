package vfs

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
)

// HostNamespace is the host's file system as a process's namespace
// (uringsim exec): every path-taking call is made on the host, relative to
// the program's current directory (/proc/PID/cwd, opened for each call
// with a relative name, so a chdir of the program is followed) or to the
// host descriptor behind a dirfd, and gets the host's result and errno. A
// file it opens is a HostFile over the new host descriptor, which the
// process's descriptor table then installs (FDTable.SetOutside).
//
// Differs from Linux: the calls are made by the supervisor, so its
// credentials, umask and root apply (the program's are normally the ones
// it inherited); "/proc/self" and "/proc/thread-self" at the start of a
// name are rewritten to the program's /proc/PID, but a symlink that leads
// there (/dev/fd, /dev/stdin) names the supervisor. A LOOKUP_CACHED open
// (an inline IORING_OP_OPENAT, or RESOLVE_CACHED) is a full open, as if
// every name were in the dentry cache: whether the host's cache holds a
// name is not a function of the run, so no inline open is punted to
// io-wq for it. An open that
// creates its file and then finds the program's table full leaves the
// file created.
type HostNamespace struct {
	pid    int
	poller *HostPoller
}

// NewHostNamespace returns the host's namespace for process pid; files it
// opens are watched by poller (nil: not watched).
func NewHostNamespace(pid int, poller *HostPoller) *HostNamespace {
	return &HostNamespace{pid: pid, poller: poller}
}

// hostDir is a resolved start of a host walk: the host descriptor to pass
// as dirfd, or, for a dirfd that is a simulated file (no host descriptor),
// that file.
type hostDir struct {
	fd      int
	sim     *File
	release func()
}

// name rewrites a name that starts at /proc/self or /proc/thread-self to
// the program's own /proc directory.
func (ns *HostNamespace) name(path string) string {
	for _, p := range [...]struct{ from, to string }{
		{"/proc/self", "/proc/" + strconv.Itoa(ns.pid)},
		{"/proc/thread-self", "/proc/" + strconv.Itoa(ns.pid) + "/task/" + strconv.Itoa(ns.pid)},
	} {
		if rest, ok := strings.CutPrefix(path, p.from); ok && (rest == "" || rest[0] == '/') {
			return p.to + rest
		}
	}
	return path
}

// dir resolves at for a walk of path: an absolute name needs no start;
// the current directory is the program's; a dirfd is the host descriptor
// of its HostFile; -EBADF for a bad descriptor, -ENOTDIR for a simulated
// file named with a non-empty path (path_init).
// Linux: fs/namei.c:path_init()
func (ns *HostNamespace) dir(t *sim.Thread, at At, path string) (hostDir, int) {
	nop := func() {}
	if strings.HasPrefix(path, "/") {
		return hostDir{fd: unix.AT_FDCWD, release: nop}, 0
	}
	if at.Cwd {
		fd, err := unix.Open("/proc/"+strconv.Itoa(ns.pid)+"/cwd", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return hostDir{}, errnoOf(err)
		}
		return hostDir{fd: fd, release: func() { _ = unix.Close(fd) }}, 0
	}
	f := at.File()
	if f == nil {
		return hostDir{}, -int(unix.EBADF)
	}
	if h := HostFileOf(f); h != nil {
		return hostDir{fd: h.Fd, release: func() { f.Put(t) }}, 0
	}
	if path != "" {
		f.Put(t)
		return hostDir{}, -int(unix.ENOTDIR)
	}
	return hostDir{fd: -1, sim: f, release: func() { f.Put(t) }}, 0
}

// hostResolve is the RESOLVE_* set of a walk's lookup flags.
func hostResolve(lookup uint32) uint64 {
	var r uint64
	for _, m := range [...]struct {
		l uint32
		r uint64
	}{
		{LOOKUP_NO_XDEV, RESOLVE_NO_XDEV}, {LOOKUP_NO_MAGICLINKS, RESOLVE_NO_MAGICLINKS},
		{LOOKUP_NO_SYMLINKS, RESOLVE_NO_SYMLINKS}, {LOOKUP_BENEATH, RESOLVE_BENEATH},
		{LOOKUP_IN_ROOT, RESOLVE_IN_ROOT},
	} {
		if lookup&m.l != 0 {
			r |= m.r
		}
	}
	return r
}

// at resolves at for path (rewritten by name) and runs call with the
// start and the name, releasing the start after.
func (ns *HostNamespace) at(t *sim.Thread, at At, path string, call func(d hostDir, path string) int) int {
	path = ns.name(path)
	d, err := ns.dir(t, at, path)
	if err != 0 {
		return err
	}
	defer d.release()
	return call(d, path)
}

// at2 is at for the two names of link and rename.
func (ns *HostNamespace) at2(t *sim.Thread, oldAt At, oldPath string, newAt At, newPath string, call func(od, nd hostDir, oldPath, newPath string) int) int {
	return ns.at(t, oldAt, oldPath, func(od hostDir, oldPath string) int {
		return ns.at(t, newAt, newPath, func(nd hostDir, newPath string) int {
			return call(od, nd, oldPath, newPath)
		})
	})
}

// Open is openat2(2) on the host with the open_how that op was built
// from (O_CLOEXEC on the supervisor's own descriptor; the program's
// close-on-exec flag is the table's): the file is a HostFile, an O_PATH
// one with FMODE_PATH.
// Linux: fs/open.c:do_sys_openat2()
func (ns *HostNamespace) Open(t *sim.Thread, at At, path string, op *OpenFlags, id uint64) (*File, int) {
	var f *File
	err := ns.at(t, at, path, func(d hostDir, path string) int {
		how := unix.OpenHow{Flags: uint64(op.OpenFlag) | unix.O_CLOEXEC, Resolve: hostResolve(op.LookupFlags)}
		if op.LookupFlags&LOOKUP_FOLLOW == 0 {
			how.Flags |= unix.O_NOFOLLOW
		}
		if willCreate(how.Flags) {
			how.Mode = uint64(op.Mode & S_IALLUGO)
		}
		fd, err := unix.Openat2(d.fd, path, &how)
		if err != nil {
			return errnoOf(err)
		}
		if f, err = NewHostFile(fd, id, ns.poller); err != nil {
			_ = unix.Close(fd)
			return errnoOf(err)
		}
		if op.OpenFlag&unix.O_PATH != 0 {
			f.FMode = FMODE_PATH
		}
		return 0
	})
	return f, err
}

// Mkdir is mkdirat(2) on the host.
func (ns *HostNamespace) Mkdir(t *sim.Thread, at At, path string, mode uint32) int {
	return ns.at(t, at, path, func(d hostDir, path string) int { return hostErr(unix.Mkdirat(d.fd, path, mode)) })
}

// Unlink is unlinkat(2) on the host (AT_REMOVEDIR with rmdir).
func (ns *HostNamespace) Unlink(t *sim.Thread, at At, path string, rmdir bool) int {
	flags := 0
	if rmdir {
		flags = unix.AT_REMOVEDIR
	}
	return ns.at(t, at, path, func(d hostDir, path string) int { return hostErr(unix.Unlinkat(d.fd, path, flags)) })
}

// Symlink is symlinkat(2) on the host; the target is not a walk and is
// not rewritten.
func (ns *HostNamespace) Symlink(t *sim.Thread, target string, at At, path string) int {
	return ns.at(t, at, path, func(d hostDir, path string) int { return hostErr(unix.Symlinkat(target, d.fd, path)) })
}

// Link is linkat(2) on the host; a simulated file (AT_EMPTY_PATH of a
// descriptor with no host file) is on another mount: -EXDEV.
func (ns *HostNamespace) Link(t *sim.Thread, oldAt At, oldPath string, newAt At, newPath string, lookup uint32) int {
	var flags int
	if lookup&LOOKUP_FOLLOW != 0 {
		flags |= unix.AT_SYMLINK_FOLLOW
	}
	if lookup&LOOKUP_EMPTY != 0 {
		flags |= unix.AT_EMPTY_PATH
	}
	return ns.at2(t, oldAt, oldPath, newAt, newPath, func(od, nd hostDir, oldPath, newPath string) int {
		if od.sim != nil {
			return -int(unix.EXDEV)
		}
		return hostErr(unix.Linkat(od.fd, oldPath, nd.fd, newPath, flags))
	})
}

// Rename is renameat2(2) on the host.
func (ns *HostNamespace) Rename(t *sim.Thread, oldAt At, oldPath string, newAt At, newPath string, flags uint32) int {
	return ns.at2(t, oldAt, oldPath, newAt, newPath, func(od, nd hostDir, oldPath, newPath string) int {
		return hostErr(unix.Renameat2(od.fd, oldPath, nd.fd, newPath, uint(flags)))
	})
}

// Statx is statx(2) on the host; for AT_EMPTY_PATH of a simulated file,
// the simulated file's attributes (GetattrFile).
func (ns *HostNamespace) Statx(t *sim.Thread, at At, path string, flags, mask uint32) (unix.Statx_t, int) {
	var st unix.Statx_t
	err := ns.at(t, at, path, func(d hostDir, path string) int {
		if d.sim != nil {
			st = GetattrFile(t, d.sim, mask)
			return 0
		}
		return hostErr(unix.Statx(d.fd, path, int(flags), int(mask), &st))
	})
	return st, err
}

// Readlink is readlinkat(2) on the host (the whole body: PATH_MAX bytes
// at most); an empty name of a simulated file is not a symlink: -ENOENT.
func (ns *HostNamespace) Readlink(t *sim.Thread, at At, path string) (string, int) {
	var body string
	err := ns.at(t, at, path, func(d hostDir, path string) int {
		if d.sim != nil {
			return -int(unix.ENOENT)
		}
		buf := make([]byte, PATH_MAX)
		n, err := unix.Readlinkat(d.fd, path, buf)
		if err != nil {
			return errnoOf(err)
		}
		body = string(buf[:n])
		return 0
	})
	return body, err
}

// hostErr is a host call's result as a negated errno.
func hostErr(err error) int {
	if err == nil {
		return 0
	}
	return errnoOf(err)
}

// ClearNonblock clears O_NONBLOCK from a newly opened file's flags (an
// inline open adds it for the lookup): a host file's host descriptor,
// which the program shares, loses it too.
// Linux: io_uring/openclose.c:io_openat2() (file->f_flags &= ~O_NONBLOCK)
func ClearNonblock(f *File) {
	f.Flags &^= unix.O_NONBLOCK
	if h := HostFileOf(f); h != nil {
		if fl, err := unix.FcntlInt(uintptr(h.Fd), unix.F_GETFL, 0); err == nil {
			_, _ = unix.FcntlInt(uintptr(h.Fd), unix.F_SETFL, fl&^unix.O_NONBLOCK)
		}
	}
}
