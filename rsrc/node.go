package rsrc

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/vfs"
)

// Errno values this package returns (negated).
const (
	eINVAL    = int(unix.EINVAL)
	eFAULT    = int(unix.EFAULT)
	eOVERFLOW = int(unix.EOVERFLOW)
	eNOMEM    = int(unix.ENOMEM)
	eNFILE    = int(unix.ENFILE)
)

// Node types.
// Linux: io_uring/rsrc.h:IORING_RSRC_FILE, IORING_RSRC_BUFFER
const (
	IORING_RSRC_FILE   = 0
	IORING_RSRC_BUFFER = 1
)

// Table limits.
// Linux: io_uring/rsrc.c:IORING_MAX_FIXED_FILES, IORING_MAX_REG_BUFFERS
const (
	IORING_MAX_FIXED_FILES = 1 << 20
	IORING_MAX_REG_BUFFERS = 1 << 14
)

// Node is one registered resource (struct io_rsrc_node): a file or a
// mapped buffer, its tag, and the count of its holders (the table and
// the requests using it).
// Linux: io_uring/rsrc.h:struct io_rsrc_node
type Node struct {
	Type uint8
	refs int
	Tag  uint64

	// File and FileFlags are file_ptr: the file and the FFS_* bits
	// (REQ_F_ISREG, REQ_F_SUPPORT_NOWAIT as the kernel computes them)
	// a request picks up when it uses the slot.
	File      *vfs.File
	FileFlags uint64
	Buf       *MappedUbuf
}

// NewNode returns a node of type typ holding one reference.
// Linux: io_uring/rsrc.c:io_rsrc_node_alloc()
func NewNode(typ uint8) *Node { return &Node{Type: typ, refs: 1} }

// Get takes a reference (node->refs++), for a request that uses the slot.
// Linux: io_uring/rsrc.h:io_req_assign_rsrc_node()
func (n *Node) Get() { n.refs++ }

// Put drops a reference and reports whether it was the last: the caller
// then frees the node (posting its tag, putting its file or buffer).
// Linux: io_uring/rsrc.h:io_put_rsrc_node()
func (n *Node) Put() bool {
	n.refs--
	return n.refs == 0
}

// Refs is the node's reference count.
func (n *Node) Refs() int { return n.refs }

// Data is a table of nodes (struct io_rsrc_data): nil slots are empty.
// Linux: io_uring/rsrc.h:struct io_rsrc_data
type Data struct {
	Nodes []*Node
}

// Nr is the table's size (data->nr); 0 means nothing is registered.
func (d *Data) Nr() int { return len(d.Nodes) }

// Alloc makes an empty table of nr slots.
// Linux: io_uring/rsrc.c:io_rsrc_data_alloc()
func (d *Data) Alloc(nr int) { d.Nodes = make([]*Node, nr) }

// Lookup returns the node in slot index, nil for an empty slot or an
// index outside the table.
// Linux: io_uring/rsrc.h:io_rsrc_node_lookup()
func (d *Data) Lookup(index int) *Node {
	if index >= 0 && index < len(d.Nodes) {
		return d.Nodes[index]
	}
	return nil
}

// Reset empties slot index and returns the node it held (nil if none):
// the caller drops the table's reference on it.
// Linux: io_uring/rsrc.h:io_reset_rsrc_node()
func (d *Data) Reset(index int) *Node {
	n := d.Nodes[index]
	d.Nodes[index] = nil
	return n
}

// Take empties the table and returns its nodes, last slot first as
// io_rsrc_data_free puts them; the caller drops the table's reference on
// each non-nil one.
// Linux: io_uring/rsrc.c:io_rsrc_data_free()
func (d *Data) Take() []*Node {
	nodes := d.Nodes
	d.Nodes = nil
	var out []*Node
	for i := len(nodes) - 1; i >= 0; i-- {
		if nodes[i] != nil {
			out = append(out, nodes[i])
		}
	}
	return out
}

// ClearTags zeroes every node's tag, so a table torn down after a failed
// registration posts no tag CQEs.
// Linux: io_uring/rsrc.c:io_clear_table_tags()
func (d *Data) ClearTags() {
	for _, n := range d.Nodes {
		if n != nil {
			n.Tag = 0
		}
	}
}
