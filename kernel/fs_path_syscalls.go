package kernel

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/vfs"
)

// The path-based file system calls on the task's tmpfs: what a program
// does outside io_uring. Names are user addresses of NUL-terminated
// strings, as in the real calls; each returns what the system call
// returns (a negated errno on failure).

// Openat is openat(2): flags and mode as open(2) takes them (unknown
// flags ignored).
// Linux: fs/open.c:do_sys_open()
func Openat(task *Task, dfd int32, pathname uint64, flags uint32, mode uint32) int {
	defer task.ReturnToUser()
	how := vfs.BuildOpenHow(flags, mode)
	how.Flags |= uint64(vfs.O_LARGEFILE) // force_o_largefile()
	if flags&unix.O_PATH != 0 {
		how.Flags &^= uint64(vfs.O_LARGEFILE)
	}
	path, err := getname(task.Proc.MM, pathname, false)
	if err != 0 {
		return err
	}
	return doSysOpenat2(task, task.Thread, dfd, path, &how)
}

// Openat2 is openat2(2): struct open_how of size bytes at howAddr.
// Linux: fs/open.c:SYSCALL_DEFINE4(openat2)
func Openat2(task *Task, dfd int32, pathname uint64, howAddr uint64, size uint64) int {
	defer task.ReturnToUser()
	if size < vfs.OPEN_HOW_SIZE_VER0 {
		return -EINVAL
	}
	if size > vfs.PAGE_SIZE {
		return -int(unix.E2BIG)
	}
	how, err := copyOpenHow(task, howAddr, size)
	if err != 0 {
		return err
	}
	if how.Flags&unix.O_PATH == 0 { // force_o_largefile()
		how.Flags |= uint64(vfs.O_LARGEFILE)
	}
	path, err := getname(task.Proc.MM, pathname, false)
	if err != 0 {
		return err
	}
	return doSysOpenat2(task, task.Thread, dfd, path, &how)
}

// copyOpenHow is copy_struct_from_user for struct open_how: a larger
// struct must be zero past the known fields (-E2BIG).
// Linux: include/linux/uaccess.h:copy_struct_from_user()
func copyOpenHow(task *Task, addr, size uint64) (vfs.OpenHow, int) {
	return CopyOpenHow(task.Proc.MM, addr, size)
}

// Mkdirat is mkdirat(2).
// Linux: fs/namei.c:do_mkdirat()
func Mkdirat(task *Task, dfd int32, pathname uint64, mode uint32) int {
	defer task.ReturnToUser()
	path, err := getname(task.Proc.MM, pathname, false)
	if err != 0 {
		return err
	}
	return doMkdirat(task, task.Thread, dfd, path, mode)
}

// Unlinkat is unlinkat(2): flags 0 or AT_REMOVEDIR.
// Linux: fs/namei.c:SYSCALL_DEFINE3(unlinkat)
func Unlinkat(task *Task, dfd int32, pathname uint64, flags uint32) int {
	defer task.ReturnToUser()
	if flags&^AT_REMOVEDIR != 0 {
		return -EINVAL
	}
	path, err := getname(task.Proc.MM, pathname, false)
	if err != 0 {
		return err
	}
	return doUnlinkat(task, task.Thread, dfd, path, flags)
}

// Symlinkat is symlinkat(2).
// Linux: fs/namei.c:do_symlinkat()
func Symlinkat(task *Task, target uint64, newdfd int32, linkpath uint64) int {
	defer task.ReturnToUser()
	from, err := getname(task.Proc.MM, target, false)
	if err != 0 {
		return err
	}
	to, err := getname(task.Proc.MM, linkpath, false)
	if err != 0 {
		return err
	}
	return doSymlinkat(task, task.Thread, from, newdfd, to)
}

// Linkat is linkat(2): flags AT_SYMLINK_FOLLOW, AT_EMPTY_PATH.
// Linux: fs/namei.c:do_linkat()
func Linkat(task *Task, olddfd int32, oldpath uint64, newdfd int32, newpath uint64, flags uint32) int {
	defer task.ReturnToUser()
	old, err := getnameUflags(task.Proc.MM, oldpath, flags)
	if err != 0 {
		return err
	}
	nw, err := getname(task.Proc.MM, newpath, false)
	if err != 0 {
		return err
	}
	return doLinkat(task, task.Thread, olddfd, old, newdfd, nw, flags)
}

// Renameat2 is renameat2(2).
// Linux: fs/namei.c:do_renameat2()
func Renameat2(task *Task, olddfd int32, oldpath uint64, newdfd int32, newpath uint64, flags uint32) int {
	defer task.ReturnToUser()
	old, err := getname(task.Proc.MM, oldpath, false)
	if err != 0 {
		return err
	}
	nw, err := getname(task.Proc.MM, newpath, false)
	if err != 0 {
		return err
	}
	return doRenameat2(task, task.Thread, olddfd, old, newdfd, nw, flags)
}

// Statx is statx(2): a struct statx (256 bytes) at buf.
// Linux: fs/stat.c:SYSCALL_DEFINE5(statx)
func Statx(task *Task, dfd int32, pathname uint64, flags uint32, mask uint32, buf uint64) int {
	defer task.ReturnToUser()
	path, err := getnameUflags(task.Proc.MM, pathname, flags)
	if err != 0 {
		return err
	}
	return doStatx(task, task.Thread, dfd, path, flags, mask, buf)
}

// Readlinkat is readlinkat(2).
// Linux: fs/stat.c:do_readlinkat()
func Readlinkat(task *Task, dfd int32, pathname uint64, buf uint64, bufsiz int) int {
	defer task.ReturnToUser()
	if bufsiz <= 0 {
		return -EINVAL
	}
	path, err := getname(task.Proc.MM, pathname, true)
	if err != 0 {
		return err
	}
	return doReadlinkat(task, task.Thread, dfd, path, buf, bufsiz)
}

// decodeOpenHow reads struct open_how's three little-endian words.
func decodeOpenHow(b []byte) vfs.OpenHow {
	return vfs.OpenHow{
		Flags:   binary.LittleEndian.Uint64(b[0:]),
		Mode:    binary.LittleEndian.Uint64(b[8:]),
		Resolve: binary.LittleEndian.Uint64(b[16:]),
	}
}
