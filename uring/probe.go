package uring

import (
	"unsafe"

	"github.com/uringsim/uringsim/rings"
)

// Probe is the result of IORING_REGISTER_PROBE: struct io_uring_probe.
type Probe struct {
	// LastOp is the last opcode the kernel knows (IORING_OP_LAST - 1).
	LastOp uint8
	// Ops is ops[0..ops_len): one entry per opcode up to LastOp.
	Ops []rings.ProbeOp
}

// Supported reports whether op is flagged IO_URING_OP_SUPPORTED.
//
// Linux: liburing src/include/liburing.h:io_uring_opcode_supported()
func (p *Probe) Supported(op uint8) bool {
	return int(op) < len(p.Ops) && p.Ops[op].Flags&rings.IO_URING_OP_SUPPORTED != 0
}

// SupportedOps lists the supported opcodes in ascending order.
func (p *Probe) SupportedOps() []uint8 {
	var ops []uint8
	for i := range p.Ops {
		if p.Ops[i].Flags&rings.IO_URING_OP_SUPPORTED != 0 {
			ops = append(ops, p.Ops[i].Op)
		}
	}
	return ops
}

// RegisterProbe asks the kernel which opcodes it supports
// (IORING_REGISTER_PROBE with room for 256 ops, in backend user memory).
//
// Linux: liburing src/register.c:io_uring_get_probe_ring()
func (r *Ring) RegisterProbe() (*Probe, error) {
	size := rings.ProbeSize + probeOps*int(unsafe.Sizeof(rings.ProbeOp{}))
	buf := r.scratch[scratchProbeOff : scratchProbeOff+size]
	clear(buf)
	if _, err := r.Register(rings.IORING_REGISTER_PROBE, r.probeAddr, probeOps); err != nil {
		return nil, err
	}
	hdr := (*rings.Probe)(unsafe.Pointer(&buf[0]))
	n := min(int(hdr.OpsLen), probeOps)
	ops := unsafe.Slice((*rings.ProbeOp)(unsafe.Pointer(&buf[rings.ProbeSize])), n)
	return &Probe{LastOp: hdr.LastOp, Ops: append([]rings.ProbeOp(nil), ops...)}, nil
}
