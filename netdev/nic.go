package netdev

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// Interfaces of the namespace, by index (docs/netdev.md, "Zero-copy
// receive"): lo has no parent device, as on Linux; eth0 is the simulated
// NIC whose receive queues take the namespace's inet traffic, with
// header/data split on, so a queue can be bound to a memory provider.
const (
	IfindexLo   = 1
	IfindexEth0 = 2
)

// defaultRxQueues is eth0's receive queue count when Config.RxQueues is 0.
const defaultRxQueues = 1

// netDevice is one interface (struct net_device) and its receive queues
// (struct netdev_rx_queue) with their memory providers.
type netDevice struct {
	st     *Stack
	name   string
	parent bool
	rxq    []rxQueue
}

type rxQueue struct {
	mp vfs.MemoryProvider // rxq->mp_params.mp_priv
}

// NetdevGetByIndex returns lo (1) or eth0 (2), nil for another index.
// Linux: net/core/dev.c:netdev_get_by_index()
func (st *Stack) NetdevGetByIndex(t *sim.Thread, ifindex uint32) vfs.NetDevice {
	switch ifindex {
	case IfindexLo:
		return &st.lo
	case IfindexEth0:
		return &st.eth0
	}
	return nil
}

func (st *Stack) initDevices() {
	st.lo = netDevice{st: st, name: "lo", rxq: make([]rxQueue, 1)}
	n := st.cfg.RxQueues
	if n <= 0 {
		n = defaultRxQueues
	}
	st.eth0 = netDevice{st: st, name: "eth0", parent: true, rxq: make([]rxQueue, n)}
}

// HasParent reports whether the device has a parent (DMA) device.
func (d *netDevice) HasParent() bool { return d.parent }

// OpenRxQueue binds mp to queue rxq.
// Linux: net/core/netdev_rx_queue.c:__net_mp_open_rxq()
func (d *netDevice) OpenRxQueue(t *sim.Thread, rxq uint32, mp vfs.MemoryProvider) int {
	d.st.lock(t)
	defer d.st.unlock(t)
	if !d.parent {
		// netdev_need_ops_lock(): no queue management ops.
		return -int(unix.EOPNOTSUPP)
	}
	if uint64(rxq) >= uint64(len(d.rxq)) {
		return -int(unix.ERANGE)
	}
	q := &d.rxq[rxq]
	if q.mp != nil {
		return -int(unix.EEXIST)
	}
	q.mp = mp
	return 0
}

// CloseRxQueue unbinds mp from queue rxq (if it is the one bound).
// Linux: net/core/netdev_rx_queue.c:net_mp_close_rxq()
func (d *netDevice) CloseRxQueue(t *sim.Thread, rxq uint32, mp vfs.MemoryProvider) {
	d.st.lock(t)
	defer d.st.unlock(t)
	if uint64(rxq) < uint64(len(d.rxq)) && d.rxq[rxq].mp == mp {
		d.rxq[rxq].mp = nil
	}
}

// rxProvider is the memory provider of the eth0 queue an inet packet to
// local port port arrives on (the queue is port mod the queue count), nil
// when that queue has none. The lock is held.
func (st *Stack) rxProvider(port uint16) vfs.MemoryProvider {
	q := &st.eth0.rxq[int(port)%len(st.eth0.rxq)]
	return q.mp
}
