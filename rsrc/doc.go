// Package rsrc is io_uring's registered resources (io_uring/rsrc.c,
// rsrc.h, filetable.c, filetable.h of Linux 6.18): the fixed file table
// and the registered buffer table, whose slots hold reference-counted
// resource nodes.
//
// A Node (struct io_rsrc_node) holds one file or one mapped user buffer
// and an optional tag. The table holds one reference; a request that uses
// the slot takes another for as long as it lives. Replacing or removing a
// slot (an update, IORING_OP_CLOSE of a direct descriptor, unregistering)
// only drops the table's reference, so a request issued before the update
// keeps using the old file or buffer, and one issued after it finds the
// new one. When the last reference goes the node is freed: its file is
// put, its buffer unpinned, and its tag (if non-zero) posted as a CQE with
// that user_data — exactly once, by whoever dropped the last reference.
//
// Node reference counts are plain integers, as in the kernel: every get
// and put happens with the ring's uring_lock held.
//
// rsrc never imports package kernel: it owns the narrow types (Node, Data,
// FileTable, MappedUbuf) and their bookkeeping; the request-shaped glue
// (io_file_get_fixed, io_find_buf_node, io_put_rsrc_node posting the tag
// CQE, the registration opcodes) lives in kernel (kernel/rsrc.go,
// kernel/filetable.go).
//
// Linux: io_uring/rsrc.c, io_uring/rsrc.h, io_uring/filetable.c, io_uring/filetable.h
package rsrc
