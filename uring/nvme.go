package uring

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/blockdev"
	"github.com/uringsim/uringsim/kernel"
)

// NVMeConfig describes a simulated NVMe namespace (blockdev.Config).
type NVMeConfig = blockdev.Config

// NVMeFault is an injected device fault (blockdev.Fault), with its kinds.
type NVMeFault = blockdev.Fault

// The fault kinds of NVMeFault.
const (
	NVMeFaultMedia = blockdev.FaultMedia
	NVMeFaultIO    = blockdev.FaultIO
	NVMeFaultShort = blockdev.FaultShort
	NVMeFaultFull  = blockdev.FaultFull
)

// ParseNVMeFaultKind reads a fault kind by name (media, eio, short, full).
func ParseNVMeFaultKind(s string) (blockdev.FaultKind, bool) { return blockdev.ParseFaultKind(s) }

// NVMe is a simulated NVMe controller with one namespace, and the
// machine's process's descriptors for its device nodes.
type NVMe struct {
	m  *Machine
	ns *blockdev.Namespace
	// Block is the block device (/dev/nvme0n1) opened O_RDWR|O_DIRECT:
	// direct I/O, pollable on an IORING_SETUP_IOPOLL ring.
	Block int
	// Buffered is the same block device opened O_RDWR: I/O through the
	// page cache.
	Buffered int
	// Char is the namespace's generic character device (/dev/ng0n1), for
	// NVMe I/O passthrough (IORING_OP_URING_CMD, NVME_URING_CMD_IO).
	Char int
	// Ctrl is the controller's character device (/dev/nvme0), for admin
	// passthrough (NVME_URING_CMD_ADMIN).
	Ctrl int
}

// NewNVMe creates an NVMe device on the machine and opens its device nodes
// in the machine's process. There is no host counterpart: the host
// backend's devices are its own.
func (m *Machine) NewNVMe(cfg NVMeConfig) (*NVMe, error) {
	ns, err := blockdev.New(m.w, cfg)
	if err != nil {
		return nil, err
	}
	d := &NVMe{m: m, ns: ns}
	k := m.k
	opens := []struct {
		fd   *int
		open func() int
	}{
		{&d.Block, func() int {
			return kernel.InstallDevice(m.task, ns.OpenBlock(k.NewFileID(), unix.O_RDWR|unix.O_DIRECT|unix.O_CLOEXEC))
		}},
		{&d.Buffered, func() int {
			return kernel.InstallDevice(m.task, ns.OpenBlock(k.NewFileID(), unix.O_RDWR|unix.O_CLOEXEC))
		}},
		{&d.Char, func() int {
			return kernel.InstallDevice(m.task, ns.OpenChar(k.NewFileID(), unix.O_RDWR|unix.O_CLOEXEC))
		}},
		{&d.Ctrl, func() int {
			return kernel.InstallDevice(m.task, ns.OpenCtrl(k.NewFileID(), unix.O_RDWR|unix.O_CLOEXEC))
		}},
	}
	for _, o := range opens {
		fd := o.open()
		if fd < 0 {
			return nil, unix.Errno(-fd)
		}
		*o.fd = fd
	}
	return d, nil
}

// Namespace is the device model, for inspection (Durable, Stats).
func (d *NVMe) Namespace() *blockdev.Namespace { return d.ns }

// Inject adds a fault to the device.
func (d *NVMe) Inject(f NVMeFault) error { return d.ns.Inject(d.m.task.Thread, f) }

// ClearFaults removes every injected fault.
func (d *NVMe) ClearFaults() { d.ns.ClearFaults(d.m.task.Thread) }

// Crash is a power loss of the device: what was not durable is lost
// (blockdev.Namespace.Crash).
func (d *NVMe) Crash() { d.ns.Crash(d.m.task.Thread) }

// Flush is an NVMe Flush from the machine's main task, waiting for it.
func (d *NVMe) Flush() error { return errnoOf(d.ns.Flush(d.m.task.Thread)) }
