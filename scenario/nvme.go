package scenario

import (
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/uring"
)

// nvmeCmd runs `nvme`, `fault` and `crash`: the simulated NVMe device has
// no host counterpart, so on the host the scenario is skipped.
func (x *runner) nvmeCmd(line int, p Payload) *failure {
	if x.m == nil {
		return skipf("line %d: nvme devices are simulated: the scenario needs `requires sim`", line)
	}
	switch c := p.(type) {
	case *NVMeCmd:
		cfg := uring.NVMeConfig{LBASize: int(c.LBA.V), Capacity: c.Capacity.V, QueueDepth: int(c.QD.V),
			NoWriteCache: c.Cache.Set && c.Cache.V == 0, Data: []byte(c.Data.S)}
		if c.LatencySet {
			cfg.Latency = c.Latency.D
		}
		if c.JitterSet {
			cfg.Jitter = c.Jitter.D
		}
		d, err := x.m.NewNVMe(cfg)
		if err != nil {
			return failf(line, "nvme %s: %s", c.Name, err)
		}
		if x.nvmes == nil {
			x.nvmes = map[string]*uring.NVMe{}
		}
		x.nvmes[c.Name] = d
		x.addFd(c.Name, d.Block)
		x.addFd(c.Name+".buf", d.Buffered)
		x.addFd(c.Name+".ng", d.Char)
		x.addFd(c.Name+".ctrl", d.Ctrl)
	case *FaultCmd:
		d := x.nvmes[c.Dev]
		if c.Clear {
			d.ClearFaults()
			return nil
		}
		kind, _ := uring.ParseNVMeFaultKind(c.Kind)
		fl := uring.NVMeFault{Kind: kind, LBA: c.LBA.V, Count: c.Count.V, Times: int(c.Times.V),
			Reads: c.Dir == "read", Writes: c.Dir == "write"}
		if !c.Times.Set && (kind == uring.NVMeFaultShort || kind == uring.NVMeFaultFull) {
			fl.Times = 1
		}
		if err := d.Inject(fl); err != nil {
			return failf(line, "fault %s: %s", c.Dev, err)
		}
	case *CrashCmd:
		x.nvmes[c.Dev].Crash()
	}
	return nil
}

// sqeCmdArea writes an sqe's command area: raw bytes (cmd=) or a struct
// nvme_uring_cmd (nvme=).
func (x *runner) sqeCmdArea(rs *ringState, sqe *rings.SQE, fl *SQEField) *failure {
	area := rs.r.SQECmd(sqe)
	clear(area)
	if fl.Kind == FieldCmd {
		if len(fl.Cmd) > len(area) {
			return failf(fl.Line, "cmd= is %d bytes: this ring's SQEs hold %d", len(fl.Cmd), len(area))
		}
		copy(area, fl.Cmd)
		return nil
	}
	if len(area) < uring.NVMeUringCmdSize {
		return failf(fl.Line, "nvme= needs 128-byte SQEs (IORING_SETUP_SQE128)")
	}
	var c uring.NVMeUringCmd
	for _, nf := range fl.NVMe {
		v := nf.Num.V
		switch nf.Key {
		case "opcode":
			c.Opcode = uint8(v)
		case "nsid":
			c.NSID = uint32(v)
		case "addr":
			if nf.Mem != "" {
				b, ok := x.mems[nf.Mem]
				if !ok {
					return failf(nf.Line, "mem %s was not created", nf.Mem)
				}
				v = addr(b) + nf.Off
			}
			c.Addr = v
		case "len":
			c.DataLen = uint32(v)
		case "slba":
			c.CDW10, c.CDW11 = uint32(v), uint32(v>>32)
		case "blocks":
			c.CDW12 = c.CDW12&^0xffff | uint32(v-1)
		case "fua":
			c.CDW12 &^= 1 << 30
			if v != 0 {
				c.CDW12 |= 1 << 30
			}
		case "cdw10":
			c.CDW10 = uint32(v)
		case "cdw11":
			c.CDW11 = uint32(v)
		case "cdw12":
			c.CDW12 = uint32(v)
		case "cdw13":
			c.CDW13 = uint32(v)
		case "cdw14":
			c.CDW14 = uint32(v)
		case "cdw15":
			c.CDW15 = uint32(v)
		case "timeout_ms":
			c.TimeoutMs = uint32(v)
		}
	}
	c.Encode(area)
	return nil
}
