package vfs

import (
	"fmt"
	"strings"

	"github.com/uringsim/uringsim/sim"
)

// Check verifies the namespace's invariants, for tests: every directory's
// entries are sorted and unique, its children point back to it, its link
// count is 2 plus its subdirectories and its size counts its entries; a
// directory has exactly one name; every other inode has as many names as
// its link count. It returns the first violation, or nil.
func (fs *Tmpfs) Check(t *sim.Thread) error {
	fs.lock.Lock(t)
	defer fs.lock.Unlock(t)
	if fs.root.parent != fs.root {
		return fmt.Errorf("root's parent is not the root")
	}
	names := map[*Inode]int{}
	var walk func(d *Inode, path string) error
	walk = func(d *Inode, path string) error {
		subdirs := 0
		for i, e := range d.entries {
			if i > 0 && strings.Compare(d.entries[i-1].name, e.name) >= 0 {
				return fmt.Errorf("%s: entries out of order at %q", path, e.name)
			}
			if e.name == "" || e.name == "." || e.name == ".." || strings.ContainsRune(e.name, '/') || len(e.name) > NAME_MAX {
				return fmt.Errorf("%s: bad name %q", path, e.name)
			}
			names[e.ino]++
			if e.ino.IsDir() {
				subdirs++
				if e.ino.parent != d {
					return fmt.Errorf("%s/%s: parent pointer is wrong", path, e.name)
				}
				if names[e.ino] > 1 {
					return fmt.Errorf("%s/%s: a directory with two names", path, e.name)
				}
				if err := walk(e.ino, path+"/"+e.name); err != nil {
					return err
				}
			}
		}
		if want := uint32(2 + subdirs); d.Nlink != want {
			return fmt.Errorf("%s: nlink %d, want %d", path, d.Nlink, want)
		}
		if want := int64(2+len(d.entries)) * BOGO_DIRENT_SIZE; d.size != want {
			return fmt.Errorf("%s: size %d, want %d", path, d.size, want)
		}
		return nil
	}
	if err := walk(fs.root, ""); err != nil {
		return err
	}
	// Every non-directory reachable by name has as many names as links.
	var bad error
	var visit func(d *Inode, path string)
	visit = func(d *Inode, path string) {
		for _, e := range d.entries {
			switch {
			case e.ino.IsDir():
				visit(e.ino, path+"/"+e.name)
			case uint32(names[e.ino]) != e.ino.Nlink && bad == nil:
				bad = fmt.Errorf("%s/%s: nlink %d but %d names", path, e.name, e.ino.Nlink, names[e.ino])
			}
		}
	}
	visit(fs.root, "")
	return bad
}
