package vfs

import "github.com/uringsim/uringsim/sim"

// nullFileOps is /dev/null: reads see end of file, writes vanish.
// Linux: drivers/char/mem.c:null_fops
type nullFileOps struct{}

// NewNull opens /dev/null with the given flags.
func NewNull(id uint64, flags uint32) *File {
	f := NewFile(nullFileOps{}, nil, "/dev/null", flags, id)
	f.FMode |= FMODE_NOWAIT
	return f
}

// Read is read_null: always end of file.
func (nullFileOps) Read(*sim.Thread, *File, []byte, *int64, bool) int { return 0 }

// Write is write_null: everything is written.
func (nullFileOps) Write(_ *sim.Thread, _ *File, src []byte, _ *int64, _ bool) int { return len(src) }

// Release has nothing to free.
func (nullFileOps) Release(*sim.Thread, *File) {}
