package vfs

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
)

// Open flags with their x86-64 values where golang.org/x/sys/unix has
// none (O_LARGEFILE is 0 there) or spells them with the O_DIRECTORY of
// O_TMPFILE folded in.
// Linux: include/uapi/asm-generic/fcntl.h
const (
	O_LARGEFILE uint32 = 0o100000
	O_TMPFILE_  uint32 = 0o20000000 // __O_TMPFILE
	O_SYNC_     uint32 = 0o4000000  // __O_SYNC
	FASYNC      uint32 = 0o20000
	// VALID_OPEN_FLAGS are the flags open(2) knows.
	// Linux: include/linux/fcntl.h:VALID_OPEN_FLAGS
	VALID_OPEN_FLAGS = unix.O_RDONLY | unix.O_WRONLY | unix.O_RDWR | unix.O_CREAT | unix.O_EXCL |
		unix.O_NOCTTY | unix.O_TRUNC | unix.O_APPEND | unix.O_NONBLOCK | O_SYNC_ | unix.O_DSYNC |
		FASYNC | unix.O_DIRECT | O_LARGEFILE | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_NOATIME |
		unix.O_CLOEXEC | unix.O_PATH | O_TMPFILE_
	// O_PATH_FLAGS are the flags O_PATH allows beside it.
	// Linux: include/linux/fcntl.h:O_PATH_FLAGS
	O_PATH_FLAGS = unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_PATH | unix.O_CLOEXEC
)

// RESOLVE_* flags of struct open_how.
// Linux: include/uapi/linux/openat2.h
const (
	RESOLVE_NO_XDEV       uint64 = 0x01
	RESOLVE_NO_MAGICLINKS uint64 = 0x02
	RESOLVE_NO_SYMLINKS   uint64 = 0x04
	RESOLVE_BENEATH       uint64 = 0x08
	RESOLVE_IN_ROOT       uint64 = 0x10
	RESOLVE_CACHED        uint64 = 0x20
	VALID_RESOLVE_FLAGS          = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS |
		RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED
	// OPEN_HOW_SIZE_VER0 is the size of the first struct open_how.
	OPEN_HOW_SIZE_VER0 = 24
)

// Permission request bits (MAY_*).
const (
	MAY_WRITE  uint32 = 2
	MAY_READ   uint32 = 4
	MAY_APPEND uint32 = 8
)

// OpenHow is struct open_how.
// Linux: include/uapi/linux/openat2.h:struct open_how
type OpenHow struct {
	Flags   uint64
	Mode    uint64
	Resolve uint64
}

// OpenFlags is struct open_flags: what build_open_flags derives.
// Linux: fs/internal.h:struct open_flags
type OpenFlags struct {
	OpenFlag    uint32
	Mode        uint32
	AccMode     uint32
	LookupFlags uint32
}

func willCreate(flags uint64) bool { return flags&uint64(unix.O_CREAT|O_TMPFILE_) != 0 }

// BuildOpenHow is what open(2) and openat(2) make of their flags and mode:
// unknown flags dropped, O_PATH stripping everything it does not allow,
// the mode kept only for a create.
// Linux: fs/open.c:build_open_how()
func BuildOpenHow(flags uint32, mode uint32) OpenHow {
	how := OpenHow{Flags: uint64(flags & VALID_OPEN_FLAGS), Mode: uint64(mode & S_IALLUGO)}
	if how.Flags&unix.O_PATH != 0 {
		how.Flags &= O_PATH_FLAGS
	}
	if !willCreate(how.Flags) {
		how.Mode = 0
	}
	return how
}

// BuildOpenFlags validates how as openat2(2) does and derives the open
// flags, access mode and lookup flags.
// Linux: fs/open.c:build_open_flags()
func BuildOpenFlags(how *OpenHow, op *OpenFlags) int {
	flags := how.Flags &^ unix.O_CLOEXEC
	accMode := [4]uint32{MAY_READ, MAY_WRITE, MAY_READ | MAY_WRITE, MAY_READ | MAY_WRITE}[flags&unix.O_ACCMODE]
	var lookup uint32
	if flags&^uint64(VALID_OPEN_FLAGS) != 0 {
		return -int(unix.EINVAL)
	}
	if how.Resolve&^VALID_RESOLVE_FLAGS != 0 {
		return -int(unix.EINVAL)
	}
	if how.Resolve&RESOLVE_BENEATH != 0 && how.Resolve&RESOLVE_IN_ROOT != 0 {
		return -int(unix.EINVAL)
	}
	if willCreate(flags) {
		if how.Mode&^uint64(S_IALLUGO) != 0 {
			return -int(unix.EINVAL)
		}
		op.Mode = uint32(how.Mode) | S_IFREG
	} else {
		if how.Mode != 0 {
			return -int(unix.EINVAL)
		}
		op.Mode = 0
	}
	if flags&(unix.O_DIRECTORY|unix.O_CREAT) == unix.O_DIRECTORY|unix.O_CREAT {
		return -int(unix.EINVAL)
	}
	if flags&uint64(O_TMPFILE_) != 0 {
		if flags&unix.O_DIRECTORY == 0 {
			return -int(unix.EINVAL)
		}
		if accMode&MAY_WRITE == 0 {
			return -int(unix.EINVAL)
		}
	}
	if flags&unix.O_PATH != 0 {
		if flags&^uint64(O_PATH_FLAGS) != 0 {
			return -int(unix.EINVAL)
		}
		accMode = 0
	}
	if flags&uint64(O_SYNC_) != 0 {
		flags |= unix.O_DSYNC
	}
	op.OpenFlag = uint32(flags)
	if flags&unix.O_TRUNC != 0 {
		accMode |= MAY_WRITE
	}
	if flags&unix.O_APPEND != 0 {
		accMode |= MAY_APPEND
	}
	op.AccMode = accMode
	if flags&unix.O_CREAT != 0 && flags&unix.O_EXCL != 0 {
		flags |= unix.O_NOFOLLOW
	}
	if flags&unix.O_DIRECTORY != 0 {
		lookup |= LOOKUP_DIRECTORY
	}
	if flags&unix.O_NOFOLLOW == 0 {
		lookup |= LOOKUP_FOLLOW
	}
	if how.Resolve&RESOLVE_NO_XDEV != 0 {
		lookup |= LOOKUP_NO_XDEV
	}
	if how.Resolve&RESOLVE_NO_MAGICLINKS != 0 {
		lookup |= LOOKUP_NO_MAGICLINKS
	}
	if how.Resolve&RESOLVE_NO_SYMLINKS != 0 {
		lookup |= LOOKUP_NO_SYMLINKS
	}
	if how.Resolve&RESOLVE_BENEATH != 0 {
		lookup |= LOOKUP_BENEATH
	}
	if how.Resolve&RESOLVE_IN_ROOT != 0 {
		lookup |= LOOKUP_IN_ROOT
	}
	if how.Resolve&RESOLVE_CACHED != 0 {
		if flags&uint64(unix.O_TRUNC|unix.O_CREAT|O_TMPFILE_) != 0 {
			return -int(unix.EAGAIN)
		}
		lookup |= LOOKUP_CACHED
	}
	op.LookupFlags = lookup
	return 0
}

// dirFileOps are an open directory's operations (simple_dir_operations).
// Differs from Linux: no getdents64 (iterate_shared), and lseek keeps the
// position instead of dcache_dir_lseek.
type dirFileOps struct{}

func (dirFileOps) Release(*sim.Thread, *File) {}

// Read of a directory is -EISDIR.
// Linux: fs/libfs.c:generic_read_dir()
func (dirFileOps) Read(*sim.Thread, *File, []byte, *int64, bool) int { return -int(unix.EISDIR) }

// pathFileOps are an O_PATH file's (empty_fops): no I/O at all.
type pathFileOps struct{}

func (pathFileOps) Release(*sim.Thread, *File) {}

// InodeOf returns the namespace inode behind a file opened by path (or
// an O_PATH file), nil for other files.
func InodeOf(f *File) *Inode {
	switch f.Op.(type) {
	case dirFileOps, pathFileOps:
		return f.Private.(*Inode)
	case shmemFileOps:
		return f.Private.(*ShmemInode).node
	}
	return nil
}

// DirOf returns the inode a dirfd names: the file's namespace inode, or
// for a file outside the namespace (pipes, eventfds, rings, unnamed
// tmpfiles) a stand-in on another mount, which is not a directory, can be
// named by an empty path (AT_EMPTY_PATH) and cannot be linked into the
// tmpfs (-EXDEV).
func DirOf(f *File) *Inode {
	if ino := InodeOf(f); ino != nil {
		return ino
	}
	mode := uint32(0o600)
	switch f.Op.(type) {
	case pipeFileOps:
		mode |= S_IFIFO
	case shmemFileOps:
		mode |= S_IFREG
	}
	return &Inode{Ino: f.ID, Mode: mode, Nlink: 1, foreign: true}
}

// Open opens path as do_filp_open does, creating it with O_CREAT. id is
// the new file's identity. The file is returned with one reference.
// Linux: fs/namei.c:do_filp_open(), path_openat(), open_last_lookups(), do_open(), may_open(); fs/open.c:do_dentry_open(); mm/shmem.c:shmem_file_open()
func (fs *Tmpfs) Open(t *sim.Thread, start Start, path string, op *OpenFlags, id uint64) (*File, int) {
	fs.lock.Lock(t)
	ino, name, truncate, err := fs.openLocked(start, path, op)
	fs.lock.Unlock(t)
	if err != 0 {
		return nil, err
	}
	flags := op.OpenFlag &^ uint32(unix.O_CREAT|unix.O_EXCL|unix.O_NOCTTY|unix.O_TRUNC)
	if op.OpenFlag&unix.O_PATH != 0 {
		f := NewFile(pathFileOps{}, ino, name, flags, id)
		f.FMode = FMODE_PATH
		return f, 0
	}
	switch ino.Mode & S_IFMT {
	case S_IFDIR:
		if flags&unix.O_DIRECT != 0 {
			return nil, -int(unix.EINVAL) // do_dentry_open: no FMODE_CAN_ODIRECT
		}
		f := NewFile(dirFileOps{}, ino, name, flags, id)
		f.FMode |= FMODE_LSEEK
		return f, 0
	case S_IFREG:
		if truncate {
			shmemFileOps{}.Truncate(t, &File{Private: ino.shm}, 0)
		}
		f := NewFile(shmemFileOps{}, ino.shm, name, flags, id)
		// shmem_file_open adds FMODE_CAN_ODIRECT, and nothing gives a
		// shmem file FMODE_NOWAIT (RWF_NOWAIT is -EOPNOTSUPP on the host).
		f.FMode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE | FMODE_ATOMIC_POS | FMODE_CAN_ODIRECT
		return f, 0
	}
	// A whiteout (0:0 character device): no driver.
	return nil, -int(unix.ENXIO)
}

// dirPath is the absolute name of a directory.
func (fs *Tmpfs) dirPath(d *Inode) string {
	s := ""
	for ; d != fs.root && d.parent != d; d = d.parent {
		for _, e := range d.parent.entries {
			if e.ino == d {
				s = "/" + e.name + s
				break
			}
		}
	}
	if s == "" {
		return "/"
	}
	return s
}

// pathName is the absolute name of dir/name for File.Name.
func (fs *Tmpfs) pathName(dir *Inode, name string) string {
	p := fs.dirPath(dir)
	if p == "/" {
		return "/" + name
	}
	return p + "/" + name
}

func (fs *Tmpfs) openLocked(start Start, path string, op *OpenFlags) (*Inode, string, bool, int) {
	nd := fs.newWalk(op.LookupFlags)
	if op.OpenFlag&O_TMPFILE_ != 0 {
		nd.flags |= LOOKUP_DIRECTORY
		dir, err := nd.lookupAt(start, path)
		if err != 0 {
			return nil, "", false, err
		}
		ino := fs.newInode(S_IFREG | op.Mode&S_IALLUGO&^Umask)
		ino.Nlink = 0
		ino.linkable = op.OpenFlag&unix.O_EXCL == 0
		return ino, fs.pathName(dir, "#"+itoa(ino.Ino)+" (deleted)"), false, 0
	}
	if op.OpenFlag&unix.O_PATH != 0 {
		ino, err := nd.lookupAt(start, path)
		return ino, "", false, err
	}
	cur, rest, err := nd.pathInit(path, start)
	if err != 0 {
		return nil, "", false, err
	}
	dir, last, typ, trailing, err := nd.linkPathWalk(cur, rest)
	if err != 0 {
		return nil, "", false, err
	}
	create := op.OpenFlag&unix.O_CREAT != 0
	var ino *Inode
	created := false
	for {
		if typ != LAST_NORM {
			ino, err = nd.handleDots(dir, typ)
			if err != 0 {
				return nil, "", false, err
			}
			break
		}
		if !create {
			if trailing {
				nd.flags |= LOOKUP_FOLLOW | LOOKUP_DIRECTORY
			}
			if ino, err = nd.lookupName(dir, last); err != 0 {
				return nil, "", false, err
			}
		} else {
			if trailing {
				return nil, "", false, -int(unix.EISDIR)
			}
			if ino = dir.lookup(last); ino == nil {
				if dir.dead {
					return nil, "", false, -int(unix.ENOENT)
				}
				if len(last) > NAME_MAX {
					return nil, "", false, -int(unix.ENAMETOOLONG)
				}
				ino = fs.newInode(S_IFREG | op.Mode&S_IALLUGO&^Umask)
				dir.link(last, ino)
				created = true
			}
		}
		if ino.IsSymlink() && nd.flags&LOOKUP_FOLLOW != 0 {
			var start *Inode
			var body string
			if start, body, err = nd.pickLink(dir, ino); err != 0 {
				return nil, "", false, err
			}
			if dir, last, typ, trailing, err = nd.linkPathWalk(start, body); err != 0 {
				return nil, "", false, err
			}
			continue
		}
		break
	}
	// do_open
	if create {
		if op.OpenFlag&unix.O_EXCL != 0 && !created {
			return nil, "", false, -int(unix.EEXIST)
		}
		if ino.IsDir() {
			return nil, "", false, -int(unix.EISDIR)
		}
	}
	if nd.flags&LOOKUP_DIRECTORY != 0 && !ino.IsDir() {
		return nil, "", false, -int(unix.ENOTDIR)
	}
	accMode := op.AccMode
	truncate := false
	if created {
		accMode = 0
	} else if ino.IsReg() && op.OpenFlag&unix.O_TRUNC != 0 {
		truncate = true
	}
	switch ino.Mode & S_IFMT {
	case S_IFLNK:
		return nil, "", false, -int(unix.ELOOP)
	case S_IFDIR:
		if accMode&MAY_WRITE != 0 {
			return nil, "", false, -int(unix.EISDIR)
		}
	}
	if ino.IsDir() {
		return ino, fs.dirPath(ino), truncate, 0
	}
	return ino, fs.pathName(dir, last), truncate, 0
}

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; v > 0; v /= 10 {
		i--
		b[i] = byte('0' + v%10)
	}
	return string(b[i:])
}

// STATX_* bits (include/uapi/linux/stat.h).
const (
	STATX_MTIME         uint32 = 0x40
	STATX_CTIME         uint32 = 0x80
	STATX_BASIC_STATS   uint32 = 0x7ff
	STATX_BTIME         uint32 = 0x800
	STATX_MNT_ID        uint32 = 0x1000
	STATX_MNT_ID_UNIQUE uint32 = 0x4000
	// tmpfsAttributesMask is the stx_attributes_mask tmpfs reports:
	// APPEND, IMMUTABLE, NODUMP (shmem), AUTOMOUNT, MOUNT_ROOT, DAX (vfs).
	tmpfsAttributesMask = unix.STATX_ATTR_APPEND | unix.STATX_ATTR_IMMUTABLE | unix.STATX_ATTR_NODUMP | vfsAttributesMask
	// vfsAttributesMask is what vfs_getattr_nosec reports for any file.
	vfsAttributesMask = unix.STATX_ATTR_AUTOMOUNT | unix.STATX_ATTR_MOUNT_ROOT | unix.STATX_ATTR_DAX
)

func statxTime(d time.Duration) unix.StatxTimestamp {
	return unix.StatxTimestamp{Sec: int64(d / time.Second), Nsec: uint32(d % time.Second)}
}

// Getattr fills a struct statx for ino as shmem_getattr and
// vfs_getattr_nosec do for request mask mask.
// Differs from Linux: stx_dev is 0:Dev, stx_mnt_id 1 (1<<32 unique),
// inode numbers count from 1 per tmpfs.
// Linux: fs/stat.c:vfs_getattr_nosec(), generic_fillattr(), fill_mg_cmtime(); mm/shmem.c:shmem_getattr()
func (fs *Tmpfs) Getattr(t *sim.Thread, ino *Inode, mask uint32) unix.Statx_t {
	fs.lock.Lock(t)
	defer fs.lock.Unlock(t)
	st := getattr(t, ino, mask, fs.Dev)
	if ino == fs.root {
		st.Attributes |= unix.STATX_ATTR_MOUNT_ROOT
	}
	return st
}

// getattr fills a struct statx for a tmpfs inode (a regular file's size,
// blocks and timestamps read under its shmem lock).
func getattr(t *sim.Thread, ino *Inode, mask uint32, dev uint32) unix.Statx_t {
	if sh := ino.shm; sh != nil {
		sh.lock.Lock(t)
		defer sh.lock.Unlock(t)
	}
	st := unix.Statx_t{
		Mask:            STATX_BASIC_STATS,
		Blksize:         PAGE_SIZE,
		Attributes_mask: tmpfsAttributesMask,
		Nlink:           ino.Nlink,
		Mode:            uint16(ino.Mode),
		Ino:             ino.Ino,
		Size:            uint64(ino.size),
		Atime:           statxTime(ino.Atime),
		Mtime:           statxTime(ino.Mtime),
		Ctime:           statxTime(ino.Ctime),
		Dev_minor:       dev,
		Rdev_minor:      ino.Rdev,
	}
	switch {
	case ino.IsReg():
		st.Size = uint64(ino.shm.size.Load())
		st.Blocks = uint64(len(ino.shm.idxs)) * (PAGE_SIZE / 512)
	case ino.IsSymlink():
		if len(ino.target)+1 > SHORT_SYMLINK_LEN {
			st.Blocks = PAGE_SIZE / 512
		}
	}
	if mask&(STATX_MTIME|STATX_CTIME) == 0 {
		st.Mask &^= STATX_MTIME | STATX_CTIME
		st.Mtime, st.Ctime = unix.StatxTimestamp{}, unix.StatxTimestamp{}
	}
	if mask&STATX_BTIME != 0 {
		st.Mask |= STATX_BTIME
		st.Btime = statxTime(ino.Btime)
	}
	if mask&STATX_MNT_ID_UNIQUE != 0 {
		st.Mask |= STATX_MNT_ID_UNIQUE
		st.Mnt_id = 1 << 32
	} else {
		st.Mask |= STATX_MNT_ID
		st.Mnt_id = 1
	}
	return st
}

// GetattrFile is Getattr for an open file outside the namespace: an
// unnamed tmpfs file (NewTmpfile: mode 0600, no links), a pipe (S_IFIFO
// 0600), or an anonymous inode (eventfd, io_uring: mode 0600 without a
// type).
// Linux: fs/anon_inodes.c, fs/pipe.c:get_pipe_inode()
func GetattrFile(t *sim.Thread, f *File, mask uint32) unix.Statx_t {
	if sh, ok := f.Private.(*ShmemInode); ok && sh.node == nil {
		return getattr(t, &Inode{Ino: sh.ino, Mode: S_IFREG | 0o600, shm: sh}, mask, 1)
	}
	st := unix.Statx_t{Mask: STATX_BASIC_STATS | STATX_MNT_ID, Blksize: PAGE_SIZE, Nlink: 1, Mode: 0o600, Ino: f.ID,
		Attributes_mask: vfsAttributesMask}
	if _, ok := f.Op.(pipeFileOps); ok {
		st.Mode |= uint16(S_IFIFO)
	}
	if mask&(STATX_MTIME|STATX_CTIME) == 0 {
		st.Mask &^= STATX_MTIME | STATX_CTIME
	}
	return st
}
