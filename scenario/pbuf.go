package scenario

import (
	"github.com/uringsim/uringsim/rings"
)

// PbufCmd is `pbuf RING bgid=N add=BID[,BID…] [len=N]`: buffers of the
// ring's registered buffer ring bgid are put back, as a program recycles
// them with io_uring_buf_ring_add and io_uring_buf_ring_advance.
type PbufCmd struct {
	Ring string
	BGID Num
	Add  []uint64 // buffer ids, in the order they are added
	Len  Num      // the length each gets (default: the ring's buffer size)
}

func (*PbufCmd) payload() {}

// pbufState is the runner's side of a buffer ring it registered: the ring
// memory, the buffers behind it and its own idea of the tail (as
// liburing's io_uring_buf_ring keeps it).
type pbufState struct {
	br   rings.BufRingView
	bufs []byte
	size uint64
	tail uint16
}

func (p *parser) pbufCmd(w token, args []token) (Payload, error) {
	ring, args, err := p.leadRing(w, args)
	if err != nil {
		return nil, err
	}
	c := &PbufCmd{Ring: ring}
	err = p.kvs("pbuf", args, func(t token) (bool, error) {
		var err error
		switch t.key {
		case "bgid":
			c.BGID, err = p.num(t, 16, false)
		case "len":
			c.Len, err = p.num(t, 32, false)
		case "add":
			var els []string
			if els, err = p.list(t); err != nil {
				return true, err
			}
			for _, el := range els {
				n, err := p.numText(t.line, "add", el, 16, false)
				if err != nil {
					return true, err
				}
				c.Add = append(c.Add, n.V)
			}
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	if err := p.need(w, "pbuf", c.BGID.Set, "bgid"); err != nil {
		return nil, err
	}
	return c, p.need(w, "pbuf", c.Add != nil, "add")
}

// pbuf publishes the buffers: each id's slot gets its address (buffer i at
// offset i×size of pbufN) and length, then the tail moves past them all
// with a release store.
func (x *runner) pbuf(line int, c *PbufCmd) *failure {
	rs, f := x.ringOf(line, c.Ring)
	if f != nil {
		return f
	}
	st := rs.pbufs[uint16(c.BGID.V)]
	if st == nil {
		return failf(line, "pbuf %s: no buffer ring bgid=%d was registered by the scenario", c.Ring, c.BGID.V)
	}
	n := st.size
	if c.Len.Set {
		n = c.Len.V
	}
	for _, bid := range c.Add {
		off := bid * st.size
		if off+n > uint64(len(st.bufs)) || off+n < off {
			return failf(line, "pbuf %s: buffer %d of %d bytes is outside pbuf%d", c.Ring, bid, n, c.BGID.V)
		}
		slot := st.tail
		st.br.SetAddr(slot, addr(st.bufs)+off)
		st.br.SetLen(slot, uint32(n))
		st.br.SetBid(slot, uint16(bid))
		st.tail++
	}
	st.br.StoreTail(st.tail)
	return nil
}
