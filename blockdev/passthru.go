package blockdev

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// The passthrough ioctls, as IORING_OP_URING_CMD's cmd_op:
// _IOWR('N', 0x80..0x83, struct nvme_uring_cmd).
// Linux: include/uapi/linux/nvme_ioctl.h
const (
	NVME_URING_CMD_IO        = 0xC0484E80
	NVME_URING_CMD_IO_VEC    = 0xC0484E81
	NVME_URING_CMD_ADMIN     = 0xC0484E82
	NVME_URING_CMD_ADMIN_VEC = 0xC0484E83
)

// NVMeUringCmdSize is sizeof(struct nvme_uring_cmd).
const NVMeUringCmdSize = 72

// NVMe admin opcodes and Identify CNS values the simulated controller
// answers.
// Linux: include/linux/nvme.h:nvme_admin_identify, NVME_ID_CNS_NS, NVME_ID_CNS_CTRL
const (
	nvmeAdminIdentify = 0x06
	nvmeIDCNSNS       = 0x00
	nvmeIDCNSCtrl     = 0x01
	nvmeIdentifySize  = 4096
	nvmeNSID          = 1 // the namespace's ID
)

// NVMeUringCmd is struct nvme_uring_cmd, the command a passthrough SQE
// carries in its 80-byte command area.
// Linux: include/uapi/linux/nvme_ioctl.h:struct nvme_uring_cmd
type NVMeUringCmd struct {
	Opcode, Flags uint8
	Rsvd1         uint16
	NSID          uint32
	CDW2, CDW3    uint32
	Metadata      uint64
	Addr          uint64
	MetadataLen   uint32
	DataLen       uint32
	CDW10, CDW11  uint32
	CDW12, CDW13  uint32
	CDW14, CDW15  uint32
	TimeoutMs     uint32
	Rsvd2         uint32
}

// Encode writes c in its uapi layout to b (at least NVMeUringCmdSize).
func (c *NVMeUringCmd) Encode(b []byte) {
	le := binary.LittleEndian
	b[0], b[1] = c.Opcode, c.Flags
	le.PutUint16(b[2:], c.Rsvd1)
	for i, v := range []uint32{c.NSID, c.CDW2, c.CDW3} {
		le.PutUint32(b[4+4*i:], v)
	}
	le.PutUint64(b[16:], c.Metadata)
	le.PutUint64(b[24:], c.Addr)
	for i, v := range []uint32{c.MetadataLen, c.DataLen, c.CDW10, c.CDW11, c.CDW12, c.CDW13, c.CDW14, c.CDW15, c.TimeoutMs, c.Rsvd2} {
		le.PutUint32(b[32+4*i:], v)
	}
}

// decodeUringCmd reads the uapi layout.
func decodeUringCmd(b []byte) NVMeUringCmd {
	le := binary.LittleEndian
	var w [10]uint32
	for i := range w {
		w[i] = le.Uint32(b[32+4*i:])
	}
	return NVMeUringCmd{Opcode: b[0], Flags: b[1], Rsvd1: le.Uint16(b[2:]),
		NSID: le.Uint32(b[4:]), CDW2: le.Uint32(b[8:]), CDW3: le.Uint32(b[12:]),
		Metadata: le.Uint64(b[16:]), Addr: le.Uint64(b[24:]),
		MetadataLen: w[0], DataLen: w[1], CDW10: w[2], CDW11: w[3], CDW12: w[4], CDW13: w[5],
		CDW14: w[6], CDW15: w[7], TimeoutMs: w[8], Rsvd2: w[9]}
}

// chrOps is the namespace's generic character device (/dev/ng0n1), which
// takes NVMe I/O commands; ctrlOps the controller's (/dev/nvme0), which
// takes admin commands.
// Linux: drivers/nvme/host/core.c:nvme_ns_chr_fops, nvme_dev_fops
type (
	chrOps  struct{ ns *Namespace }
	ctrlOps struct{ ns *Namespace }
)

func (chrOps) Release(t *sim.Thread, f *vfs.File)  {}
func (ctrlOps) Release(t *sim.Thread, f *vfs.File) {}

// OpenChar opens the namespace's generic character device (/dev/ng0n1).
func (ns *Namespace) OpenChar(id uint64, flags uint32) *vfs.File {
	return vfs.NewFile(chrOps{ns}, ns, "/dev/ng0n1", flags|vfs.O_LARGEFILE, id)
}

// OpenCtrl opens the controller's character device (/dev/nvme0).
func (ns *Namespace) OpenCtrl(id uint64, flags uint32) *vfs.File {
	return vfs.NewFile(ctrlOps{ns}, ns, "/dev/nvme0", flags|vfs.O_LARGEFILE, id)
}

// uringCmdChecks: passthrough needs 128-byte SQEs and 32-byte CQEs.
// Linux: drivers/nvme/host/ioctl.c:nvme_uring_cmd_checks()
func uringCmdChecks(c *vfs.UringCmd) int {
	if !c.SQE128 || !c.CQE32 {
		return -int(unix.EOPNOTSUPP)
	}
	return 0
}

// UringCmd takes NVMe I/O commands.
// Linux: drivers/nvme/host/ioctl.c:nvme_ns_chr_uring_cmd(), nvme_ns_uring_cmd()
func (o chrOps) UringCmd(t *sim.Thread, f *vfs.File, c *vfs.UringCmd) int {
	if ret := uringCmdChecks(c); ret != 0 {
		return ret
	}
	switch c.Op {
	case NVME_URING_CMD_IO:
		return o.ns.uringCmdIO(t, c, false, false)
	case NVME_URING_CMD_IO_VEC:
		return o.ns.uringCmdIO(t, c, true, false)
	}
	return -int(unix.ENOTTY)
}

// Iopoll reaps polled passthrough commands.
// Linux: drivers/nvme/host/ioctl.c:nvme_ns_chr_uring_cmd_iopoll()
func (o chrOps) Iopoll(t *sim.Thread, f *vfs.File, token any, spin bool) int {
	return o.ns.Iopoll(t, spin)
}

// UringCmd takes NVMe admin commands; they cannot be polled.
// Linux: drivers/nvme/host/ioctl.c:nvme_dev_uring_cmd()
func (o ctrlOps) UringCmd(t *sim.Thread, f *vfs.File, c *vfs.UringCmd) int {
	if c.Iopoll {
		return -int(unix.EOPNOTSUPP)
	}
	if ret := uringCmdChecks(c); ret != 0 {
		return ret
	}
	switch c.Op {
	case NVME_URING_CMD_ADMIN:
		return o.ns.uringCmdIO(t, c, false, true)
	case NVME_URING_CMD_ADMIN_VEC:
		return o.ns.uringCmdIO(t, c, true, true)
	}
	return -int(unix.ENOTTY)
}

// uringCmdIO builds the command a passthrough SQE carries, maps its user
// buffer and queues it; the completion calls c.Done with the NVMe status
// and result.
// Linux: drivers/nvme/host/ioctl.c:nvme_uring_cmd_io(), nvme_map_user_request()
func (ns *Namespace) uringCmdIO(t *sim.Thread, uc *vfs.UringCmd, vec, admin bool) int {
	if len(uc.Cmd) < NVMeUringCmdSize {
		return -int(unix.EINVAL)
	}
	nc := decodeUringCmd(uc.Cmd)
	if nc.Flags != 0 {
		return -int(unix.EINVAL)
	}
	if !admin && nc.NSID != nvmeNSID {
		return -int(unix.EINVAL) // nvme_validate_passthru_nsid
	}
	if nc.MetadataLen != 0 {
		return -int(unix.EINVAL) // the namespace has no metadata
	}
	var segs [][]byte
	if nc.DataLen != 0 {
		var ret int
		if segs, ret = mapUser(uc.MM, nc.Addr, nc.DataLen, vec); ret != 0 {
			return ret
		}
	}
	c := &command{opcode: nc.Opcode, segs: segs, token: uc.Token, cmdDone: uc.Done, q: &ns.irq}
	if uc.Iopoll {
		c.q = &ns.poll
	}
	lbs := uint64(ns.cfg.LBASize)
	switch {
	case admin:
		c.exec = func(ns *Namespace, c *command) { ns.adminExec(c, &nc) }
	case nc.Opcode == nvmeCmdRead || nc.Opcode == nvmeCmdWrite:
		c.slba = uint64(nc.CDW10) | uint64(nc.CDW11)<<32
		c.nlb = nc.CDW12&0xffff + 1
		c.fua = nc.CDW12&(1<<30) != 0
		if uint64(nc.DataLen) < uint64(c.nlb)*lbs {
			c.status = NVME_SC_INVALID_FIELD | NVME_SC_DNR // the buffer cannot hold the transfer
		}
	case nc.Opcode == nvmeCmdFlush:
	default:
		c.status = NVME_SC_INVALID_OPCODE | NVME_SC_DNR
	}
	return ns.submit(t, c, uc.Nonblock)
}

// mapUser resolves a passthrough buffer: n bytes at addr, or with vec an
// array of n iovecs there.
// Linux: block/blk-map.c:blk_rq_map_user_io()
func mapUser(as *mm.AddressSpace, addr uint64, n uint32, vec bool) ([][]byte, int) {
	if !vec {
		b, ret := as.Slice(addr, uint64(n))
		if ret != 0 {
			return nil, ret
		}
		return [][]byte{b}, 0
	}
	if n > 1024 { // UIO_MAXIOV
		return nil, -int(unix.EINVAL)
	}
	raw := make([]byte, 16*int(n))
	if ret := as.CopyFromUser(raw, addr); ret != 0 {
		return nil, ret
	}
	var segs [][]byte
	for i := range int(n) {
		base, l := binary.LittleEndian.Uint64(raw[16*i:]), binary.LittleEndian.Uint64(raw[16*i+8:])
		b, ret := as.Slice(base, l)
		if ret != 0 {
			return nil, ret
		}
		segs = append(segs, b)
	}
	return segs, 0
}

// adminExec runs an admin command when the controller completes it:
// Identify Namespace and Identify Controller; anything else is an invalid
// opcode.
// Linux: include/linux/nvme.h:struct nvme_id_ns, struct nvme_id_ctrl
func (ns *Namespace) adminExec(c *command, nc *NVMeUringCmd) {
	if nc.Opcode != nvmeAdminIdentify {
		c.status = NVME_SC_INVALID_OPCODE | NVME_SC_DNR
		return
	}
	var id [nvmeIdentifySize]byte
	le := binary.LittleEndian
	switch nc.CDW10 & 0xff {
	case nvmeIDCNSNS:
		if nc.NSID != nvmeNSID {
			c.status = NVME_SC_INVALID_NS | NVME_SC_DNR
			return
		}
		le.PutUint64(id[0:], ns.nlba)  // NSZE
		le.PutUint64(id[8:], ns.nlba)  // NCAP
		le.PutUint64(id[16:], ns.nlba) // NUSE
		id[25] = 0                     // NLBAF: one format
		id[26] = 0                     // FLBAS: format 0
		lbads := byte(9)
		if ns.cfg.LBASize == 4096 {
			lbads = 12
		}
		id[128+2] = lbads // LBAF0.LBADS
	case nvmeIDCNSCtrl:
		le.PutUint16(id[0:], 0x1b36) // VID (QEMU's, for a simulated device)
		copy(id[4:24], padded("USIM0001", 20))
		copy(id[24:64], padded("uringsim NVMe", 40))
		copy(id[64:72], padded("1.0", 8))
		le.PutUint32(id[80:], 0x00010400) // VER 1.4
		id[512], id[513] = 0x66, 0x44     // SQES, CQES
		le.PutUint32(id[516:], 1)         // NN
		if !ns.cfg.NoWriteCache {
			id[525] = 1 // VWC present
		}
	default:
		c.status = NVME_SC_INVALID_FIELD | NVME_SC_DNR
		return
	}
	n := 0
	for _, s := range c.segs {
		n += copy(s, id[n:])
	}
	c.bytes = n
}

// padded is s left-aligned in n bytes of spaces (NVMe ASCII fields).
func padded(s string, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = ' '
	}
	copy(b, s)
	return b
}
