package scenario

import (
	"unsafe"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/uring"
)

// Zero-copy receive in scenarios: `register RING IORING_REGISTER_ZCRX_IFQ
// if_idx=N rxq=N entries=N area=MEM [flags=N]` binds an interface queue
// with the whole mem as its area and a kernel-allocated refill queue of
// entries entries, which the runner maps; `zcrx_refill` gives buffers
// back through it. The data CQEs are checked with `cqe … big0=OFF`.

// ZcrxRefillCmd is `zcrx_refill RING [id=N] off=O1[,O2…] [len=N]`: each
// offset (as a data CQE's big0 gave it) goes into the refill queue of the
// ring's ifq id (default 0) with length len (default 4096), then the tail
// is released, as a program gives received buffers back.
type ZcrxRefillCmd struct {
	Ring string
	ID   Num
	Offs []uint64
	Len  Num
}

func (*ZcrxRefillCmd) payload() {}

func (p *parser) zcrxRefill(w token, args []token) (Payload, error) {
	ring, args, err := p.leadRing(w, args)
	if err != nil {
		return nil, err
	}
	c := &ZcrxRefillCmd{Ring: ring}
	err = p.kvs("zcrx_refill", args, func(t token) (bool, error) {
		var err error
		switch t.key {
		case "id":
			c.ID, err = p.num(t, 32, false)
		case "len":
			c.Len, err = p.num(t, 32, false)
		case "off":
			var els []string
			if els, err = p.list(t); err != nil {
				return true, err
			}
			for _, el := range els {
				n, err := p.numText(t.line, "off", el, 64, false)
				if err != nil {
					return true, err
				}
				c.Offs = append(c.Offs, n.V)
			}
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	return c, p.need(w, "zcrx_refill", c.Offs != nil, "off")
}

// zcrxRefill writes the entries and releases the tail.
func (x *runner) zcrxRefill(line int, c *ZcrxRefillCmd) *failure {
	rs, f := x.ringOf(line, c.Ring)
	if f != nil {
		return f
	}
	rq := rs.zcrx[uint32(c.ID.V)]
	if rq == nil {
		return failf(line, "zcrx_refill %s: no ifq id=%d was registered by the scenario", c.Ring, c.ID.V)
	}
	n := uint32(4096)
	if c.Len.Set {
		n = uint32(c.Len.V)
	}
	for _, off := range c.Offs {
		if !rq.Add(off, n) {
			return failf(line, "zcrx_refill %s: refill queue %d is full", c.Ring, c.ID.V)
		}
	}
	rq.Advance()
	return nil
}

// registerZcrxArg builds IORING_REGISTER_ZCRX_IFQ's argument in scratch
// memory: the struct, the area (the whole mem) and a kernel-allocated
// region description. after maps the refill queue once the call
// succeeded.
func (x *runner) registerZcrxArg(line int, rs *ringState, c *RegisterCmd) (arg uint64, after func() error, fl *failure) {
	area, ok := x.mems[c.Area]
	if !ok {
		return 0, nil, failf(line, "register %s: no mem %q", c.Ring, c.Area)
	}
	const (
		regSz  = uint64(unsafe.Sizeof(rings.ZcrxIfqReg{}))
		areaSz = uint64(unsafe.Sizeof(rings.ZcrxAreaReg{}))
		rdSz   = uint64(unsafe.Sizeof(rings.RegionDesc{}))
	)
	b, f := x.scratchMem(line, regSz+areaSz+rdSz)
	if f != nil {
		return 0, nil, f
	}
	base := addr(b)
	reg := (*rings.ZcrxIfqReg)(unsafe.Pointer(&b[0]))
	*reg = rings.ZcrxIfqReg{IfIdx: uint32(c.IfIdx.V), IfRxq: uint32(c.Rxq.V), RqEntries: uint32(c.Entries.V),
		Flags: uint32(c.Flags.V), AreaPtr: base + regSz, RegionPtr: base + regSz + areaSz}
	*(*rings.ZcrxAreaReg)(unsafe.Pointer(&b[regSz])) = rings.ZcrxAreaReg{Addr: addr(area), Len: uint64(len(area))}
	rd := (*rings.RegionDesc)(unsafe.Pointer(&b[regSz+areaSz]))
	*rd = rings.RegionDesc{Size: uring.ZcrxRqRegionSize(uint32(c.Entries.V))}
	after = func() error {
		mem, err := x.be.MapRing(rs.r.FD(), rd.MmapOffset, rd.Size)
		if err != nil {
			return err
		}
		x.scratchMaps = append(x.scratchMaps, mem)
		if rs.zcrx == nil {
			rs.zcrx = map[uint32]*uring.ZcrxRq{}
		}
		rs.zcrx[reg.ZcrxID] = rs.r.ZcrxRqInit(mem, reg)
		return nil
	}
	return base, after, nil
}
