package vfs

import "github.com/uringsim/uringsim/sim"

// Network devices as zero-copy receive (io_uring/zcrx.c) sees them: a
// namespace's interfaces by index, their receive queues, and the memory
// provider a queue's page pool allocates payload buffers from. The kernel
// implements MemoryProvider (the io_uring area); netdev implements the rest.

// NetDevices looks interfaces up by index in a network namespace.
// Linux: net/core/dev.c:netdev_get_by_index()
type NetDevices interface {
	// NetdevGetByIndex is the interface with index ifindex, nil when
	// there is none.
	NetdevGetByIndex(t *sim.Thread, ifindex uint32) NetDevice
}

// NetDevice is one network interface (struct net_device).
type NetDevice interface {
	// HasParent reports whether the interface sits on a device that can
	// do DMA (netdev->dev.parent): loopback has none.
	HasParent() bool
	// OpenRxQueue binds mp to receive queue rxq and restarts it, so the
	// payload of what the queue receives lands in mp's buffers
	// (header/data split): 0, -ERANGE for a queue the device does not
	// have, -EEXIST when a provider is bound already.
	// Linux: net/core/netdev_rx_queue.c:__net_mp_open_rxq()
	OpenRxQueue(t *sim.Thread, rxq uint32, mp MemoryProvider) int
	// CloseRxQueue unbinds mp from rxq; buffers still on the queue's
	// skbs stay valid until they are freed.
	// Linux: net/core/netdev_rx_queue.c:net_mp_close_rxq()
	CloseRxQueue(t *sim.Thread, rxq uint32, mp MemoryProvider)
}

// NetIov is one page-sized buffer of a memory provider (struct net_iov):
// its index in the provider's area and the bytes it covers.
type NetIov struct {
	Owner MemoryProvider
	Index uint32
	Page  []byte
}

// MemoryProvider is a page pool's memory provider (struct
// memory_provider_ops). The stack calls it with its socket lock held.
type MemoryProvider interface {
	// AllocNetmem gives the queue a free buffer with one page pool
	// reference, or nil when there is none.
	// Linux: io_uring/zcrx.c:io_pp_zc_alloc_netmems()
	AllocNetmem(t *sim.Thread) *NetIov
	// PutNetmem drops a page pool reference (an skb frag freed); the
	// last one makes the buffer free again.
	// Linux: net/core/page_pool.c:page_pool_put_unrefed_netmem()
	PutNetmem(t *sim.Thread, niov *NetIov)
}

// SkbData is the unread part of one receive-queue skb as tcp_read_sock
// offers it to its actor: the bytes, and when the NIC received them into
// a memory provider's buffer, that buffer and where Data[0] is in it.
// Count is what the reader still wants (read_descriptor_t.count).
type SkbData struct {
	Data    []byte
	Niov    *NetIov
	PageOff int
	Count   int
}

// ReadSockState is the socket state a reader checks once nothing more was
// read: SOCK_DONE (a FIN arrived), a pending error, the receive side shut
// down, the connection closed.
type ReadSockState struct {
	Done, Err, RcvShutdown, Closed bool
}

// TCPReader is tcp_read_sock: a TCP socket offers its queued skbs, in
// order, to actor, which returns the bytes it took (at most Count) or 0 /
// a negative errno to stop. Bytes taken leave the queue; a finished skb is
// freed (its buffer's page pool reference dropped). The result is the bytes
// taken, or actor's first result if it took none (-ENOTCONN for a
// listener, -EPROTONOSUPPORT for a socket that is not TCP).
// Linux: net/ipv4/tcp.c:tcp_read_sock()
type TCPReader interface {
	ReadSock(t *sim.Thread, f *File, count int, actor func(SkbData) int) (int, ReadSockState)
}
