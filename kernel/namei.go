package kernel

import (
	"bytes"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// The path-name half of the file system calls, shared by the plain
// system calls (fs_path_syscalls.go) and the io_uring ops (through
// opapi.go): getname, dirfd resolution, and the do_* functions of
// fs/namei.c, fs/open.c and fs/stat.c on the kernel's tmpfs.

// AT_* flags and the dirfd meaning "the current directory".
// Linux: include/uapi/linux/fcntl.h
const (
	AT_FDCWD            = -100
	AT_SYMLINK_NOFOLLOW = 0x100
	AT_REMOVEDIR        = 0x200
	AT_SYMLINK_FOLLOW   = 0x400
	AT_NO_AUTOMOUNT     = 0x800
	AT_EMPTY_PATH       = 0x1000
	AT_STATX_SYNC_TYPE  = 0x6000
	// STATX__RESERVED is the statx mask bit reserved for extension.
	STATX__RESERVED = 0x80000000
	// STATX_CHANGE_COOKIE is kernel-only; user requests for it are ignored.
	STATX_CHANGE_COOKIE = 0x40000000
)

// Tmpfs is the kernel's root file system, created on first use: a tmpfs
// whose root is every process's root and current directory, stamped with
// the world's virtual clock.
func (k *Kernel) Tmpfs() *vfs.Tmpfs {
	if fs := k.tmpfs.Load(); fs != nil {
		return fs
	}
	w := k.World
	k.tmpfs.CompareAndSwap(nil, vfs.NewTmpfs(w.Now, 1))
	return k.tmpfs.Load()
}

// SetNamespace sets the namespace every process's path names resolve in
// (uringsim exec: the host's). Call it before the kernel runs; without
// it, paths resolve in the kernel's tmpfs.
func (k *Kernel) SetNamespace(ns vfs.Namespace) { k.ns = ns }

// Namespace is the namespace path names resolve in: the one set with
// SetNamespace, else the kernel's tmpfs.
func (k *Kernel) Namespace() vfs.Namespace {
	if k.ns != nil {
		return k.ns
	}
	return k.Tmpfs().Namespace()
}

// getname copies a NUL-terminated path name from user memory: -EFAULT
// for an unmapped byte before the NUL, -ENAMETOOLONG when no NUL comes
// within PATH_MAX bytes, -ENOENT for an empty name unless empty is
// allowed (LOOKUP_EMPTY).
// Linux: fs/namei.c:getname_flags(), lib/strncpy_from_user.c
func getname(as *mm.AddressSpace, addr uint64, empty bool) (string, int) {
	var name []byte
	for len(name) < vfs.PATH_MAX {
		a := addr + uint64(len(name))
		if !accessOK(a, 1) {
			return "", -EFAULT
		}
		m := as.Lookup(a)
		if m == nil {
			return "", -EFAULT
		}
		n := min(m.End()-a, uint64(vfs.PATH_MAX-len(name)))
		b, errno := as.Slice(a, n)
		if errno != 0 {
			return "", -EFAULT
		}
		if i := bytes.IndexByte(b, 0); i >= 0 {
			name = append(name, b[:i]...)
			if len(name) == 0 && !empty {
				return "", -ENOENT
			}
			return string(name), 0
		}
		name = append(name, b...)
	}
	return "", -int(unix.ENAMETOOLONG)
}

// getnameUflags is getname_uflags: AT_EMPTY_PATH allows an empty name.
// Linux: fs/namei.c:getname_uflags()
func getnameUflags(as *mm.AddressSpace, addr uint64, flags uint32) (string, int) {
	return getname(as, addr, flags&AT_EMPTY_PATH != 0)
}

// at returns where a relative walk from dfd begins: the current
// directory for AT_FDCWD, else the descriptor's file (fdget_raw: an
// O_PATH dirfd works), fetched only if the walk needs it.
// Linux: fs/namei.c:path_init()
func (task *Task) at(t *sim.Thread, dfd int32) vfs.At {
	if dfd == AT_FDCWD {
		return vfs.At{Cwd: true}
	}
	return vfs.At{File: func() *vfs.File { return task.Proc.Files.GetRaw(t, int(dfd)) }}
}

// doFilpOpen opens path relative to dfd with the derived open flags.
// Linux: fs/namei.c:do_filp_open()
func doFilpOpen(task *Task, t *sim.Thread, dfd int32, path string, op *vfs.OpenFlags) (*vfs.File, int) {
	k := task.Proc.K
	return k.Namespace().Open(t, task.at(t, dfd), path, op, k.NewFileID())
}

// installFile puts f at the lowest free descriptor (O_CLOEXEC from
// flags), dropping it on -EMFILE.
// Differs from Linux: the descriptor is taken after the open (callers
// check vfs.FDTable.HasFree first), so only a table filled by another
// thread meanwhile makes an open that created its file fail.
// Linux: fs/file.c:get_unused_fd_flags(), fd_install()
func installFile(task *Task, t *sim.Thread, f *vfs.File, flags uint64) int {
	fd := task.Proc.Files.InstallFlags(t, f, uint32(flags))
	if fd < 0 {
		f.Put(t)
	}
	return fd
}

// doSysOpenat2 is do_sys_openat2 with the name already copied in.
// Linux: fs/open.c:do_sys_openat2()
func doSysOpenat2(task *Task, t *sim.Thread, dfd int32, path string, how *vfs.OpenHow) int {
	var op vfs.OpenFlags
	if ret := vfs.BuildOpenFlags(how, &op); ret != 0 {
		return ret
	}
	if !task.Proc.Files.HasFree(t) {
		return -EMFILE
	}
	f, err := doFilpOpen(task, t, dfd, path, &op)
	if err != 0 {
		return err
	}
	return installFile(task, t, f, how.Flags)
}

// doMkdirat is do_mkdirat.
// Linux: fs/namei.c:do_mkdirat()
func doMkdirat(task *Task, t *sim.Thread, dfd int32, path string, mode uint32) int {
	return task.Proc.K.Namespace().Mkdir(t, task.at(t, dfd), path, mode)
}

// doUnlinkat is do_unlinkat, or do_rmdir with AT_REMOVEDIR.
// Linux: fs/namei.c:do_unlinkat(), do_rmdir()
func doUnlinkat(task *Task, t *sim.Thread, dfd int32, path string, flags uint32) int {
	return task.Proc.K.Namespace().Unlink(t, task.at(t, dfd), path, flags&AT_REMOVEDIR != 0)
}

// doSymlinkat is do_symlinkat.
// Linux: fs/namei.c:do_symlinkat()
func doSymlinkat(task *Task, t *sim.Thread, target string, newdfd int32, newpath string) int {
	return task.Proc.K.Namespace().Symlink(t, target, task.at(t, newdfd), newpath)
}

// doLinkat is do_linkat: flags AT_SYMLINK_FOLLOW and AT_EMPTY_PATH.
// Linux: fs/namei.c:do_linkat()
func doLinkat(task *Task, t *sim.Thread, olddfd int32, oldpath string, newdfd int32, newpath string, flags uint32) int {
	if flags&^(AT_SYMLINK_FOLLOW|AT_EMPTY_PATH) != 0 {
		return -EINVAL
	}
	var how uint32
	if flags&AT_SYMLINK_FOLLOW != 0 {
		how |= vfs.LOOKUP_FOLLOW
	}
	if flags&AT_EMPTY_PATH != 0 {
		how |= vfs.LOOKUP_EMPTY
	}
	return task.Proc.K.Namespace().Link(t, task.at(t, olddfd), oldpath, task.at(t, newdfd), newpath, how)
}

// doRenameat2 is do_renameat2.
// Linux: fs/namei.c:do_renameat2()
func doRenameat2(task *Task, t *sim.Thread, olddfd int32, oldpath string, newdfd int32, newpath string, flags uint32) int {
	return task.Proc.K.Namespace().Rename(t, task.at(t, olddfd), oldpath, task.at(t, newdfd), newpath, flags)
}

// doStatx is do_statx: validate the mask and flags, look the name up
// (AT_EMPTY_PATH with an empty name: the dirfd's own file), fill a struct
// statx and copy it to buf.
// Linux: fs/stat.c:do_statx(), vfs_statx(), cp_statx()
func doStatx(task *Task, t *sim.Thread, dfd int32, path string, flags, mask uint32, buf uint64) int {
	if mask&STATX__RESERVED != 0 {
		return -EINVAL
	}
	if flags&AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE {
		return -EINVAL
	}
	mask &^= STATX_CHANGE_COOKIE
	if flags&^(AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT|AT_EMPTY_PATH|AT_STATX_SYNC_TYPE) != 0 {
		return -EINVAL
	}
	st, err := task.Proc.K.Namespace().Statx(t, task.at(t, dfd), path, flags, mask)
	if err != 0 {
		return err
	}
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&st)), unsafe.Sizeof(st))
	if !accessOK(buf, uint64(len(raw))) || task.Proc.MM.CopyToUser(buf, raw) != 0 {
		return -EFAULT
	}
	return 0
}

// doReadlinkat is do_readlinkat: the symlink's body, truncated to bufsiz
// bytes, copied to buf; -EINVAL for bufsiz <= 0 or a name that is not a
// symlink.
// Linux: fs/stat.c:do_readlinkat()
func doReadlinkat(task *Task, t *sim.Thread, dfd int32, path string, buf uint64, bufsiz int) int {
	if bufsiz <= 0 {
		return -EINVAL
	}
	body, err := task.Proc.K.Namespace().Readlink(t, task.at(t, dfd), path)
	if err != 0 {
		return err
	}
	b := []byte(body)[:min(len(body), bufsiz)]
	if !accessOK(buf, uint64(len(b))) || task.Proc.MM.CopyToUser(buf, b) != 0 {
		return -EFAULT
	}
	return len(b)
}

// isRingFile reports an io_uring file (io_is_uring_fops).
// Linux: io_uring/io_uring.c:io_is_uring_fops()
func isRingFile(f *vfs.File) bool {
	_, ok := f.Op.(ringFileOps)
	return ok
}
