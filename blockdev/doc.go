// Package blockdev is a simulated NVMe controller with one namespace: the
// storage device behind block-device files, as drivers/nvme/host and the
// block layer present it to io_uring.
//
// A Namespace has a logical block size and a capacity, two queues of a
// fixed depth — an interrupt-driven one and a polled one (the NVMe
// driver's poll queues) — and a latency per command drawn from the world's
// recorded choices, so commands complete out of order and an explorer can
// steer and replay that order. Completions of the interrupt queue run on
// the world's timer context (the device's interrupt), those of the polled
// queue wait until somebody calls Iopoll (IORING_SETUP_IOPOLL).
//
// Durability is modelled as the NVMe spec states it for a device with a
// volatile write cache: a completed write is visible to reads at once but
// durable only after a completed Flush command, or at once with FUA.
// Crash drops what is not durable — each unflushed write either reached
// the media whole or not at all, by a recorded choice, so a write is
// never torn at a flushed boundary — and fails the commands in flight.
//
// Faults can be injected per LBA range: media errors (as the NVMe driver
// reports them, -ENODATA), generic I/O errors (-EIO), short transfers and a
// queue that reports itself full (-EAGAIN for a nowait submitter).
//
// Files: OpenBlock gives the block device (/dev/nvme0n1: direct I/O with
// O_DIRECT, otherwise buffered through a page cache), OpenChar the
// generic character device (/dev/ng0n1) that takes NVMe passthrough
// commands through IORING_OP_URING_CMD.
//
// Linux: drivers/nvme/host/core.c, pci.c, ioctl.c; block/fops.c
package blockdev
