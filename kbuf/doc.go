// Package kbuf is io_uring's provided buffers (io_uring/kbuf.c, kbuf.h of
// Linux 6.18): the buffer groups a program hands the kernel so that a
// request picks its buffer only when data is ready.
//
// A group (List, struct io_buffer_list) is either a legacy list, filled by
// IORING_OP_PROVIDE_BUFFERS and emptied by IORING_OP_REMOVE_BUFFERS and by
// selection, or a buffer ring (IORING_REGISTER_PBUF_RING): an array of
// struct io_uring_buf in memory shared with the program, which publishes
// buffers by moving the ring's 16-bit tail, while the kernel's head stays
// private (readable through IORING_REGISTER_PBUF_STATUS).
//
// The select/commit protocol: selecting a ring buffer only reads the slot
// at head; head moves when the request commits, at completion, so a
// request that has to wait (-EAGAIN, poll arming) recycles by simply not
// committing, and the buffer stays at head for the next request. A request
// that cannot keep uring_lock until completion (io-wq, or a file that
// cannot be polled) commits at selection instead. With IOU_PBUF_RING_INC
// a commit consumes only the bytes the transfer used; the buffer stays at
// head while bytes are left (IORING_CQE_F_BUF_MORE).
//
// kbuf never imports package kernel: it owns the narrow types (Table,
// List, Buffer, the selection results), and the request-shaped glue
// (io_buffer_select(req), io_kbuf_recycle(req), io_put_kbuf(req)) lives in
// kernel, which holds uring_lock around every call here.
//
// Linux: io_uring/kbuf.c, io_uring/kbuf.h
package kbuf
