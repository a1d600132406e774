package vfs

import (
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
)

// Inode types and permission bits (include/uapi/linux/stat.h).
const (
	S_IFMT    uint32 = 0o170000
	S_IFSOCK  uint32 = 0o140000
	S_IFLNK   uint32 = 0o120000
	S_IFREG   uint32 = 0o100000
	S_IFDIR   uint32 = 0o040000
	S_IFCHR   uint32 = 0o020000
	S_IFIFO   uint32 = 0o010000
	S_IALLUGO uint32 = 0o7777
	S_IRWXUGO uint32 = 0o777
	S_ISVTX   uint32 = 0o1000
)

// Limits of path names and their resolution.
// Linux: include/uapi/linux/limits.h:PATH_MAX, NAME_MAX; include/linux/namei.h:MAXSYMLINKS
const (
	PATH_MAX    = 4096
	NAME_MAX    = 255
	MAXSYMLINKS = 40
	// BOGO_DIRENT_SIZE is what each entry adds to a tmpfs directory's size.
	// Linux: mm/shmem.c:BOGO_DIRENT_SIZE
	BOGO_DIRENT_SIZE = 20
	// SHORT_SYMLINK_LEN: tmpfs keeps shorter symlink bodies in the inode
	// (no block is charged).
	// Linux: mm/shmem.c:SHORT_SYMLINK_LEN
	SHORT_SYMLINK_LEN = 128
	// Umask is the simulated process's umask.
	Umask uint32 = 0o022
)

// Lookup flags (kernel-private).
// Linux: include/linux/namei.h:LOOKUP_FOLLOW
const (
	LOOKUP_FOLLOW        uint32 = 0x0001
	LOOKUP_DIRECTORY     uint32 = 0x0002
	LOOKUP_EMPTY         uint32 = 0x4000
	LOOKUP_NO_SYMLINKS   uint32 = 0x010000
	LOOKUP_NO_MAGICLINKS uint32 = 0x020000
	LOOKUP_NO_XDEV       uint32 = 0x040000
	LOOKUP_BENEATH       uint32 = 0x080000
	LOOKUP_IN_ROOT       uint32 = 0x100000
	LOOKUP_CACHED        uint32 = 0x200000
	LOOKUP_IS_SCOPED            = LOOKUP_BENEATH | LOOKUP_IN_ROOT
)

// Last component types.
// Linux: fs/namei.c:LAST_NORM
const (
	LAST_NORM = iota
	LAST_ROOT
	LAST_DOT
	LAST_DOTDOT
)

// FMODE_PATH marks an O_PATH file: a location, no I/O.
// Linux: include/linux/fs.h:FMODE_PATH
const FMODE_PATH uint32 = 1 << 14

// Inode is a tmpfs inode with its one dentry for directories: type and
// mode, link count, timestamps (virtual time), and the type's payload —
// a directory's entries sorted by name and its parent, a symlink's body,
// a regular file's pages (ShmemInode). Fields are guarded by the Tmpfs
// lock.
// Linux: include/linux/fs.h:struct inode, mm/shmem.c
type Inode struct {
	Ino   uint64
	Mode  uint32
	Nlink uint32
	Rdev  uint32
	// Atime, Mtime, Ctime, Btime are virtual times.
	Atime, Mtime, Ctime, Btime time.Duration

	size     int64       // directories (bogo) and symlinks
	shm      *ShmemInode // regular files
	target   string      // symlinks
	entries  []dirent    // directories, sorted by name
	parent   *Inode      // directories: the directory holding it
	linkable bool        // I_LINKABLE: an O_TMPFILE file that may be linked
	dead     bool        // S_DEAD: a removed directory (IS_DEADDIR)
	foreign  bool        // a file on another mount (DirOf of a file outside the namespace)
	fs       *Tmpfs
}

type dirent struct {
	name string
	ino  *Inode
}

// IsDir, IsReg, IsSymlink test the inode type.
func (ino *Inode) IsDir() bool     { return ino.Mode&S_IFMT == S_IFDIR }
func (ino *Inode) IsReg() bool     { return ino.Mode&S_IFMT == S_IFREG }
func (ino *Inode) IsSymlink() bool { return ino.Mode&S_IFMT == S_IFLNK }

// Tmpfs is one mounted tmpfs: the namespace of a simulated kernel. One
// lock serialises every namespace operation (it stands for i_rwsem of
// each directory, rename_lock and the dcache).
// Differs from Linux: one lock for the whole namespace instead of one per
// directory; lookups never race with renames. No size or inode limits
// (never -ENOSPC), a fixed umask of 022, and no permission checks: the
// simulated process is root with every capability.
// Linux: mm/shmem.c:shmem_fill_super()
type Tmpfs struct {
	lock    sim.Mutex
	root    *Inode
	now     func() time.Duration
	nextIno uint64
	// Dev is the minor device number statx reports (major 0).
	Dev uint32
}

// NewTmpfs returns an empty tmpfs whose root directory has mode 1777;
// now gives the virtual time for timestamps.
func NewTmpfs(now func() time.Duration, dev uint32) *Tmpfs {
	fs := &Tmpfs{now: now, Dev: dev}
	fs.root = fs.newInode(S_IFDIR | 0o1777)
	fs.root.parent = fs.root
	return fs
}

// Root is the root directory (the simulated process's root and cwd).
func (fs *Tmpfs) Root() *Inode { return fs.root }

// Lock and Unlock take the namespace lock, for callers combining steps.
func (fs *Tmpfs) Lock(t *sim.Thread)   { fs.lock.Lock(t) }
func (fs *Tmpfs) Unlock(t *sim.Thread) { fs.lock.Unlock(t) }

// newInode allocates an inode of mode with the current time.
// Differs from Linux: timestamps come from the virtual clock at one
// granularity (no coarse clock, no multigrain ctime).
// Linux: mm/shmem.c:__shmem_get_inode()
func (fs *Tmpfs) newInode(mode uint32) *Inode {
	fs.nextIno++
	now := fs.now()
	ino := &Inode{Ino: fs.nextIno, Mode: mode, Nlink: 1, Atime: now, Mtime: now, Ctime: now, Btime: now, fs: fs}
	switch mode & S_IFMT {
	case S_IFDIR:
		ino.Nlink = 2
		ino.size = 2 * BOGO_DIRENT_SIZE
	case S_IFREG:
		ino.shm = &ShmemInode{pages: make(map[int64][]byte), ino: ino.Ino, node: ino}
	}
	return ino
}

func (dir *Inode) find(name string) (int, bool) {
	return slices.BinarySearchFunc(dir.entries, name, func(e dirent, n string) int { return strings.Compare(e.name, n) })
}

// lookup returns the entry name of dir, or nil.
func (dir *Inode) lookup(name string) *Inode {
	if i, ok := dir.find(name); ok {
		return dir.entries[i].ino
	}
	return nil
}

// link adds name → ino to dir (the caller checked it is absent).
// Linux: mm/shmem.c:shmem_mknod(), shmem_link(), fs/libfs.c:simple_link()
func (dir *Inode) link(name string, ino *Inode) {
	i, _ := dir.find(name)
	dir.entries = slices.Insert(dir.entries, i, dirent{name, ino})
	dir.size += BOGO_DIRENT_SIZE
	now := dir.fs.now()
	dir.Mtime, dir.Ctime = now, now
	if ino.IsDir() {
		ino.parent = dir
		dir.Nlink++
	}
}

// unlink removes name from dir.
func (dir *Inode) unlink(name string) {
	i, ok := dir.find(name)
	if !ok {
		return
	}
	ino := dir.entries[i].ino
	dir.entries = slices.Delete(dir.entries, i, i+1)
	dir.size -= BOGO_DIRENT_SIZE
	now := dir.fs.now()
	dir.Mtime, dir.Ctime = now, now
	if ino.IsDir() {
		dir.Nlink--
	}
}

// ancestorChild returns the child of a on the path from b up to the
// root, if a is a proper ancestor of b (d_ancestor), else nil.
func ancestorChild(a, b *Inode) *Inode {
	for c := b; c.parent != c; c = c.parent {
		if c.parent == a {
			return c
		}
	}
	return nil
}

// nameidata is the state of one path walk.
// Linux: fs/namei.c:struct nameidata
type nameidata struct {
	fs    *Tmpfs
	root  *Inode // nd->root: where "/" leads and ".." stops
	flags uint32
	total int // nd->total_link_count
}

// newWalk starts a walk with lookup flags. A scoped walk
// (RESOLVE_BENEATH, RESOLVE_IN_ROOT) gets its root, the dirfd, from
// pathInit.
func (fs *Tmpfs) newWalk(flags uint32) *nameidata {
	return &nameidata{fs: fs, root: fs.root, flags: flags}
}

// Start is where a relative walk begins: the directory of the dirfd
// (AT_FDCWD: the root, which is the cwd), as the caller resolved it. Its
// resolution is deferred: an absolute path never looks at the dirfd.
type Start func() (*Inode, int)

// pathInit picks the starting directory and strips leading slashes.
// Differs from Linux: there is one mount and no /proc, so
// LOOKUP_NO_XDEV and LOOKUP_NO_MAGICLINKS never refuse anything.
// Linux: fs/namei.c:path_init()
func (nd *nameidata) pathInit(path string, start Start) (*Inode, string, int) {
	var cur *Inode
	if strings.HasPrefix(path, "/") && nd.flags&LOOKUP_IN_ROOT == 0 {
		if nd.flags&LOOKUP_BENEATH != 0 {
			return nil, "", -int(unix.EXDEV)
		}
		if nd.flags&LOOKUP_IS_SCOPED == 0 {
			nd.root = nd.fs.root
		}
		cur = nd.root
	} else {
		dir, err := start()
		if err != 0 {
			return nil, "", err
		}
		if path != "" && !dir.IsDir() {
			return nil, "", -int(unix.ENOTDIR)
		}
		cur = dir
		if nd.flags&LOOKUP_IS_SCOPED != 0 {
			nd.root = dir
		}
	}
	return cur, strings.TrimLeft(path, "/"), 0
}

// linkPathWalk walks every component but the last, following symlinks,
// and returns the directory holding the last component, the component,
// its type and whether slashes followed it.
// Linux: fs/namei.c:link_path_walk()
func (nd *nameidata) linkPathWalk(cur *Inode, path string) (dir *Inode, last string, typ int, trailing bool, err int) {
	if path == "" {
		return cur, "", LAST_ROOT, false, 0
	}
	for {
		i := strings.IndexByte(path, '/')
		comp, rest := path, ""
		if i >= 0 {
			comp, rest = path[:i], strings.TrimLeft(path[i:], "/")
		}
		typ := LAST_NORM
		switch comp {
		case ".":
			typ = LAST_DOT
		case "..":
			typ = LAST_DOTDOT
		}
		if rest == "" {
			return cur, comp, typ, i >= 0, 0
		}
		next, err := nd.walkComponent(cur, comp, typ, true)
		if err != 0 {
			return nil, "", 0, false, err
		}
		if !next.IsDir() {
			return nil, "", 0, false, nd.notDir()
		}
		cur, path = next, rest
	}
}

// notDir is the error of a walk that meets a non-directory where it must
// go on: -ENOTDIR, but a LOOKUP_CACHED walk cannot report it from RCU mode
// (try_to_unlazy fails) and gives -EAGAIN.
// Linux: fs/namei.c:link_path_walk()
func (nd *nameidata) notDir() int {
	if nd.flags&LOOKUP_CACHED != 0 {
		return -int(unix.EAGAIN)
	}
	return -int(unix.ENOTDIR)
}

// handleDots resolves "." and ".." (and the root of an empty walk). ".."
// at the root of a RESOLVE_BENEATH walk is -EXDEV, found only outside RCU
// mode (-EAGAIN for a LOOKUP_CACHED walk).
// Linux: fs/namei.c:handle_dots(), follow_dotdot(), follow_dotdot_rcu()
func (nd *nameidata) handleDots(dir *Inode, typ int) (*Inode, int) {
	if typ != LAST_DOTDOT {
		return dir, 0
	}
	if dir == nd.root {
		if nd.flags&LOOKUP_BENEATH != 0 {
			if nd.flags&LOOKUP_CACHED != 0 {
				return nil, -int(unix.EAGAIN)
			}
			return nil, -int(unix.EXDEV)
		}
		return dir, 0
	}
	return dir.parent, 0
}

// lookupName looks a normal component up in dir: ENOENT when absent
// (ENAMETOOLONG for a name no directory can hold; EAGAIN for a
// LOOKUP_CACHED walk, tmpfs keeping no negative dentries).
// Linux: fs/namei.c:lookup_fast(), lookup_slow(); fs/libfs.c:simple_lookup()
func (nd *nameidata) lookupName(dir *Inode, name string) (*Inode, int) {
	if c := dir.lookup(name); c != nil {
		return c, 0
	}
	if nd.flags&LOOKUP_CACHED != 0 {
		return nil, -int(unix.EAGAIN)
	}
	if dir.dead || len(name) <= NAME_MAX {
		return nil, -int(unix.ENOENT)
	}
	return nil, -int(unix.ENAMETOOLONG)
}

// walkComponent resolves one component of dir, following a symlink when
// follow is set.
// Linux: fs/namei.c:walk_component(), step_into()
func (nd *nameidata) walkComponent(dir *Inode, name string, typ int, follow bool) (*Inode, int) {
	if typ != LAST_NORM {
		return nd.handleDots(dir, typ)
	}
	c, err := nd.lookupName(dir, name)
	if err != 0 {
		return nil, err
	}
	if c.IsSymlink() && follow {
		return nd.followLink(dir, c)
	}
	return c, 0
}

// pickLink checks that the symlink may be followed and returns where its
// body's walk starts and the body without leading slashes.
// Linux: fs/namei.c:pick_link(), nd_jump_root()
func (nd *nameidata) pickLink(dir, link *Inode) (*Inode, string, int) {
	if nd.total >= MAXSYMLINKS {
		return nil, "", -int(unix.ELOOP)
	}
	nd.total++
	if nd.flags&LOOKUP_NO_SYMLINKS != 0 {
		return nil, "", -int(unix.ELOOP)
	}
	if now := nd.fs.now(); atimeNeedsUpdate(link, now) {
		// Differs from Linux: an RCU (LOOKUP_CACHED) walk cannot touch
		// the atime and fails with -EAGAIN here; the simulator's walk
		// goes on, since whether the host's coarse clock ticked between
		// the symlink's creation and its use is not something a run can
		// reproduce.
		link.Atime = now
	}
	body := link.target
	if strings.HasPrefix(body, "/") {
		if nd.flags&LOOKUP_BENEATH != 0 {
			return nil, "", -int(unix.EXDEV)
		}
		return nd.root, strings.TrimLeft(body, "/"), 0
	}
	return dir, body, 0
}

// modified stamps a write or truncation: mtime and ctime become now. The
// caller holds the shmem inode's lock, under which a regular file's
// timestamps live.
// Linux: fs/inode.c:file_update_time(); mm/shmem.c:shmem_setattr()
func (sh *ShmemInode) modified() {
	if n := sh.node; n != nil {
		now := n.fs.now()
		n.Mtime, n.Ctime = now, now
	}
}

// accessed stamps a read: atime becomes now when relatime says so.
// Linux: include/linux/fs.h:file_accessed(), fs/inode.c:touch_atime()
func (sh *ShmemInode) accessed() {
	if n := sh.node; n != nil {
		if now := n.fs.now(); atimeNeedsUpdate(n, now) {
			n.Atime = now
		}
	}
}

// setCtime sets the change time; a regular file's under its shmem lock.
func (ino *Inode) setCtime(t *sim.Thread, now time.Duration) {
	if ino.shm != nil {
		ino.shm.lock.Lock(t)
		ino.Ctime = now
		ino.shm.lock.Unlock(t)
		return
	}
	ino.Ctime = now
}

// atimeNeedsUpdate is the relatime rule: the access time moves when it is
// not newer than the modification or change time, or a day old, and not
// already now.
// Linux: fs/inode.c:atime_needs_update(), relatime_need_update()
func atimeNeedsUpdate(ino *Inode, now time.Duration) bool {
	if ino.Mtime < ino.Atime && ino.Ctime < ino.Atime && now-ino.Atime < 24*time.Hour {
		return false
	}
	return ino.Atime != now
}

// followLink resolves a symlink met in dir fully (its last component
// followed too).
func (nd *nameidata) followLink(dir, link *Inode) (*Inode, int) {
	start, body, err := nd.pickLink(dir, link)
	if err != 0 {
		return nil, err
	}
	d, last, typ, trailing, err := nd.linkPathWalk(start, body)
	if err != 0 {
		return nil, err
	}
	c, err := nd.walkComponent(d, last, typ, true)
	if err != 0 {
		return nil, err
	}
	if trailing && !c.IsDir() {
		return nil, nd.notDir()
	}
	return c, 0
}

// lookupAt is path_lookupat: the inode path names.
// Linux: fs/namei.c:path_lookupat(), lookup_last()
func (nd *nameidata) lookupAt(start Start, path string) (*Inode, int) {
	cur, path, err := nd.pathInit(path, start)
	if err != 0 {
		return nil, err
	}
	dir, last, typ, trailing, err := nd.linkPathWalk(cur, path)
	if err != 0 {
		return nil, err
	}
	for {
		if typ == LAST_NORM && trailing {
			nd.flags |= LOOKUP_FOLLOW | LOOKUP_DIRECTORY
		}
		c, err := nd.walkComponent(dir, last, typ, false)
		if err != 0 {
			return nil, err
		}
		if c.IsSymlink() && nd.flags&LOOKUP_FOLLOW != 0 {
			start, body, err := nd.pickLink(dir, c)
			if err != 0 {
				return nil, err
			}
			dir, last, typ, trailing, err = nd.linkPathWalk(start, body)
			if err != 0 {
				return nil, err
			}
			continue
		}
		if nd.flags&LOOKUP_DIRECTORY != 0 && !c.IsDir() {
			return nil, -int(unix.ENOTDIR)
		}
		return c, 0
	}
}

// parentAt is path_parentat: the directory holding the last component.
// Linux: fs/namei.c:path_parentat(), filename_parentat()
func (nd *nameidata) parentAt(start Start, path string) (dir *Inode, last string, typ int, trailing bool, err int) {
	cur, path, err := nd.pathInit(path, start)
	if err != 0 {
		return nil, "", 0, false, err
	}
	if path == "" {
		return cur, "", LAST_ROOT, false, 0
	}
	return nd.linkPathWalk(cur, path)
}

// Lookup resolves path (filename_lookup) with LOOKUP_* flags.
func (fs *Tmpfs) Lookup(t *sim.Thread, start Start, path string, flags uint32) (*Inode, int) {
	fs.lock.Lock(t)
	defer fs.lock.Unlock(t)
	return fs.newWalk(flags).lookupAt(start, path)
}

// lookupExcl is lookup_one_qstr_excl: the entry, ENOENT when absent and
// not creating, EEXIST when present and LOOKUP_EXCL.
func lookupExcl(nd *nameidata, dir *Inode, name string, create, excl bool) (*Inode, int) {
	c := dir.lookup(name)
	if c == nil {
		if dir.dead {
			return nil, -int(unix.ENOENT) // no child dentry for a dead directory
		}
		if len(name) > NAME_MAX {
			return nil, -int(unix.ENAMETOOLONG)
		}
		if !create {
			return nil, -int(unix.ENOENT)
		}
		return nil, 0
	}
	if excl {
		return nil, -int(unix.EEXIST)
	}
	return c, 0
}

// filenameCreate walks to the parent of a name to be created and checks
// the name is free.
// Linux: fs/namei.c:filename_create()
func (nd *nameidata) filenameCreate(start Start, path string, wantDir bool) (*Inode, string, int) {
	dir, last, typ, trailing, err := nd.parentAt(start, path)
	if err != 0 {
		return nil, "", err
	}
	if typ != LAST_NORM {
		return nil, "", -int(unix.EEXIST)
	}
	_, err = lookupExcl(nd, dir, last, !trailing || wantDir, true)
	if err != 0 {
		return nil, "", err
	}
	return dir, last, 0
}

// Mkdir is do_mkdirat on tmpfs: mode & ~umask.
// Linux: fs/namei.c:do_mkdirat(), vfs_mkdir(); mm/shmem.c:shmem_mkdir()
func (fs *Tmpfs) Mkdir(t *sim.Thread, start Start, path string, mode uint32) int {
	fs.lock.Lock(t)
	defer fs.lock.Unlock(t)
	nd := fs.newWalk(0)
	dir, last, err := nd.filenameCreate(start, path, true)
	if err != 0 {
		return err
	}
	dir.link(last, fs.newInode(S_IFDIR|mode&(S_IRWXUGO|S_ISVTX)&^Umask))
	return 0
}

// Symlink is do_symlinkat on tmpfs.
// Linux: fs/namei.c:do_symlinkat(); mm/shmem.c:shmem_symlink()
func (fs *Tmpfs) Symlink(t *sim.Thread, target string, start Start, path string) int {
	fs.lock.Lock(t)
	defer fs.lock.Unlock(t)
	nd := fs.newWalk(0)
	dir, last, err := nd.filenameCreate(start, path, false)
	if err != 0 {
		return err
	}
	if len(target)+1 > PAGE_SIZE {
		return -int(unix.ENAMETOOLONG)
	}
	ino := fs.newInode(S_IFLNK | 0o777)
	ino.target, ino.size = target, int64(len(target))
	dir.link(last, ino)
	return 0
}

// Readlink returns a symlink's body (readlinkat of path, not following
// its last component): -EINVAL for a name that is not a symlink, -ENOENT
// for an empty one (the dirfd itself) that is not.
// Linux: fs/stat.c:do_readlinkat()
func (fs *Tmpfs) Readlink(t *sim.Thread, start Start, path string, flags uint32) (string, int) {
	fs.lock.Lock(t)
	defer fs.lock.Unlock(t)
	ino, err := fs.newWalk(flags).lookupAt(start, path)
	if err != 0 {
		return "", err
	}
	if !ino.IsSymlink() {
		if path == "" {
			return "", -int(unix.ENOENT)
		}
		return "", -int(unix.EINVAL)
	}
	ino.Atime = fs.now()
	return ino.target, 0
}

// Unlink is do_unlinkat (rmdir false) or do_rmdir (rmdir true).
// Linux: fs/namei.c:do_unlinkat(), do_rmdir(), may_delete(); fs/libfs.c:simple_rmdir()
func (fs *Tmpfs) Unlink(t *sim.Thread, start Start, path string, rmdir bool) int {
	fs.lock.Lock(t)
	defer fs.lock.Unlock(t)
	nd := fs.newWalk(0)
	dir, last, typ, trailing, err := nd.parentAt(start, path)
	if err != 0 {
		return err
	}
	if rmdir {
		switch typ {
		case LAST_DOTDOT:
			return -int(unix.ENOTEMPTY)
		case LAST_DOT:
			return -int(unix.EINVAL)
		case LAST_ROOT:
			return -int(unix.EBUSY)
		}
	} else if typ != LAST_NORM {
		return -int(unix.EISDIR)
	}
	victim, err := lookupExcl(nd, dir, last, false, false)
	if err != 0 {
		return err
	}
	if !rmdir {
		if trailing {
			if victim.IsDir() {
				return -int(unix.EISDIR)
			}
			return -int(unix.ENOTDIR)
		}
		if victim.IsDir() {
			return -int(unix.EISDIR)
		}
		dir.unlink(last)
		victim.Nlink--
		victim.setCtime(t, fs.now())
		return 0
	}
	if !victim.IsDir() {
		return -int(unix.ENOTDIR)
	}
	if victim == fs.root {
		return -int(unix.EBUSY)
	}
	if len(victim.entries) != 0 {
		return -int(unix.ENOTEMPTY)
	}
	dir.unlink(last)
	victim.Nlink = 0
	victim.dead = true
	return 0
}

// Link is do_linkat: old (looked up with LOOKUP_FOLLOW for
// AT_SYMLINK_FOLLOW, LOOKUP_EMPTY for AT_EMPTY_PATH) gets the new name.
// Linux: fs/namei.c:do_linkat(), vfs_link(); fs/libfs.c:simple_link()
func (fs *Tmpfs) Link(t *sim.Thread, oldStart Start, oldPath string, newStart Start, newPath string, lookupFlags uint32) int {
	fs.lock.Lock(t)
	defer fs.lock.Unlock(t)
	old, err := fs.newWalk(lookupFlags).lookupAt(oldStart, oldPath)
	if err != 0 {
		return err
	}
	dir, last, err := fs.newWalk(0).filenameCreate(newStart, newPath, false)
	if err != 0 {
		return err
	}
	if old.foreign {
		return -int(unix.EXDEV)
	}
	if old.IsDir() {
		return -int(unix.EPERM)
	}
	if old.Nlink == 0 && !old.linkable {
		return -int(unix.ENOENT)
	}
	if old.Nlink == 0 {
		old.linkable = false
	}
	old.Nlink++
	old.setCtime(t, fs.now())
	dir.link(last, old)
	return 0
}

// Rename is renameat2 on tmpfs, flags RENAME_NOREPLACE, RENAME_EXCHANGE,
// RENAME_WHITEOUT.
// Linux: fs/namei.c:do_renameat2(), vfs_rename(); mm/shmem.c:shmem_rename2()
func (fs *Tmpfs) Rename(t *sim.Thread, oldStart Start, oldPath string, newStart Start, newPath string, flags uint32) int {
	if flags&^(unix.RENAME_NOREPLACE|unix.RENAME_EXCHANGE|unix.RENAME_WHITEOUT) != 0 {
		return -int(unix.EINVAL)
	}
	if flags&(unix.RENAME_NOREPLACE|unix.RENAME_WHITEOUT) != 0 && flags&unix.RENAME_EXCHANGE != 0 {
		return -int(unix.EINVAL)
	}
	exchange := flags&unix.RENAME_EXCHANGE != 0
	fs.lock.Lock(t)
	defer fs.lock.Unlock(t)
	odir, olast, otyp, otrail, err := fs.newWalk(0).parentAt(oldStart, oldPath)
	if err != 0 {
		return err
	}
	ndir, nlast, ntyp, ntrail, err := fs.newWalk(0).parentAt(newStart, newPath)
	if err != 0 {
		return err
	}
	if otyp != LAST_NORM {
		return -int(unix.EBUSY)
	}
	if ntyp != LAST_NORM {
		if flags&unix.RENAME_NOREPLACE != 0 {
			return -int(unix.EEXIST)
		}
		return -int(unix.EBUSY)
	}
	// lock_rename: the trap is the child of one parent that holds the other.
	var trap *Inode
	if odir != ndir {
		if trap = ancestorChild(odir, ndir); trap == nil {
			trap = ancestorChild(ndir, odir)
		}
	}
	src, err := lookupExcl(nil, odir, olast, false, false)
	if err != 0 {
		return err
	}
	dst, err := lookupExcl(nil, ndir, nlast, !exchange, flags&unix.RENAME_NOREPLACE != 0)
	if err != 0 {
		return err
	}
	if exchange && !dst.IsDir() && ntrail {
		return -int(unix.ENOTDIR)
	}
	if !src.IsDir() {
		if otrail || (!exchange && ntrail) {
			return -int(unix.ENOTDIR)
		}
	}
	if src == trap {
		return -int(unix.EINVAL)
	}
	if dst != nil && dst == trap {
		if exchange {
			return -int(unix.EINVAL)
		}
		return -int(unix.ENOTEMPTY)
	}
	// vfs_rename
	if src == dst {
		return 0
	}
	if src == fs.root {
		return -int(unix.EBUSY)
	}
	if dst != nil {
		isDir := src.IsDir()
		if exchange {
			isDir = dst.IsDir()
		}
		if isDir && !dst.IsDir() {
			return -int(unix.ENOTDIR)
		}
		if !isDir && dst.IsDir() {
			return -int(unix.EISDIR)
		}
		if dst == fs.root {
			return -int(unix.EBUSY)
		}
	}
	now := fs.now()
	if exchange {
		oi, _ := odir.find(olast)
		ni, _ := ndir.find(nlast)
		odir.entries[oi].ino, ndir.entries[ni].ino = dst, src
		if src.IsDir() != dst.IsDir() && odir != ndir {
			if src.IsDir() {
				odir.Nlink--
				ndir.Nlink++
			} else {
				odir.Nlink++
				ndir.Nlink--
			}
		}
		if src.IsDir() {
			src.parent = ndir
		}
		if dst.IsDir() {
			dst.parent = odir
		}
		src.setCtime(t, now)
		dst.setCtime(t, now)
		odir.Mtime, odir.Ctime, ndir.Mtime, ndir.Ctime = now, now, now, now
		return 0
	}
	if dst != nil && len(dst.entries) != 0 {
		return -int(unix.ENOTEMPTY)
	}
	if dst != nil {
		ndir.unlink(nlast)
		if dst.IsDir() {
			dst.Nlink = 0
			dst.dead = true
		} else {
			dst.Nlink--
		}
		dst.setCtime(t, now)
	}
	odir.unlink(olast)
	if flags&unix.RENAME_WHITEOUT != 0 {
		// shmem_whiteout: a 0:0 character device takes the old name.
		odir.link(olast, fs.newInode(S_IFCHR))
	}
	ndir.link(nlast, src)
	src.setCtime(t, now)
	return 0
}
