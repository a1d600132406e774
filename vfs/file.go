// Package vfs is the simulated file layer the io_uring ops call: struct file
// with its operations, and per-process file descriptor tables.
//
// A File is reference counted like struct file (fget/fput); its behaviour
// comes from an Operations value (f_op). Optional capabilities — reading,
// writing, polling — are separate interfaces an Operations value may also
// implement, checked with a type assertion, as the kernel checks for a
// non-NULL f_op member.
//
// Linux: include/linux/fs.h:struct file, struct file_operations
package vfs

import (
	"sync/atomic"

	"github.com/uringsim/uringsim/sim"
)

// Operations is the minimum every file type provides: f_op->release.
type Operations interface {
	// Release is called when the last reference is dropped.
	Release(t *sim.Thread, f *File)
}

// File is an open file description (struct file).
type File struct {
	Op      Operations
	Private any    // private_data: the object behind the file
	Name    string // what /proc/self/fd would show, e.g. "anon_inode:[io_uring]"
	Flags   uint32 // f_flags (O_NONBLOCK, O_RDWR, ...)
	ID      uint64 // stable identity within a kernel, for traces and io-wq hashing
	refs    atomic.Int64
}

// NewFile returns a file holding one reference.
func NewFile(op Operations, private any, name string, flags uint32, id uint64) *File {
	f := &File{Op: op, Private: private, Name: name, Flags: flags, ID: id}
	f.refs.Store(1)
	return f
}

// Get takes a reference (get_file).
func (f *File) Get() *File {
	f.refs.Add(1)
	return f
}

// Put drops a reference and releases the file on the last one (fput).
// Linux: fs/file_table.c:fput()
func (f *File) Put(t *sim.Thread) {
	if f.refs.Add(-1) == 0 {
		f.Op.Release(t, f)
	}
}

// Refs is the current reference count, for tests and fdinfo.
func (f *File) Refs() int64 { return f.refs.Load() }
