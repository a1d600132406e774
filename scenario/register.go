package scenario

import (
	"time"
	"unsafe"

	"github.com/uringsim/uringsim/rings"
)

// register builds the argument of an io_uring_register(2) call from the
// keys of SCENARIO.md's table, in user memory, and passes it through.
func (x *runner) register(line int, c *RegisterCmd) *failure {
	rs, f := x.ringOf(line, c.Ring)
	if f != nil {
		return f
	}
	op := c.Opcode
	var arg uint64
	var nr uint32
	var after func() // bookkeeping when the call succeeded
	var probe []byte
	x.allowTags(rs, c.Tags)

	switch op {
	case rings.IORING_REGISTER_FILES, rings.IORING_REGISTER_FILES_UPDATE:
		fds, f := x.fdList(line, c.Files)
		if f != nil {
			return f
		}
		b, f := x.int32s(line, fds)
		if f != nil {
			return f
		}
		names := make([]string, len(c.Files))
		for i, fr := range c.Files {
			names[i] = fr.Name
		}
		if op == rings.IORING_REGISTER_FILES {
			arg, nr = addr(b), uint32(len(fds))
			if c.Tags != nil {
				tags, f := x.uint64s(line, c.Tags)
				if f != nil {
					return f
				}
				m, f := x.scratchMem(line, uint64(unsafe.Sizeof(rings.RsrcRegister{})))
				if f != nil {
					return f
				}
				*(*rings.RsrcRegister)(unsafe.Pointer(&m[0])) = rings.RsrcRegister{
					Nr: uint32(len(fds)), Data: addr(b), Tags: addr(tags)}
				op, arg, nr = rings.IORING_REGISTER_FILES2, addr(m), uint32(unsafe.Sizeof(rings.RsrcRegister{}))
			}
			after = func() { rs.files = names }
		} else {
			off := uint32(c.Off.V)
			m, f := x.scratchMem(line, 32)
			if f != nil {
				return f
			}
			if c.Tags != nil {
				tags, f := x.uint64s(line, c.Tags)
				if f != nil {
					return f
				}
				*(*rings.RsrcUpdate2)(unsafe.Pointer(&m[0])) = rings.RsrcUpdate2{
					Offset: off, Data: addr(b), Tags: addr(tags), Nr: uint32(len(fds))}
				op, arg, nr = rings.IORING_REGISTER_FILES_UPDATE2, addr(m), uint32(unsafe.Sizeof(rings.RsrcUpdate2{}))
			} else {
				*(*rings.FilesUpdate)(unsafe.Pointer(&m[0])) = rings.FilesUpdate{Offset: off, Fds: addr(b)}
				arg, nr = addr(m), uint32(len(fds))
			}
			after = func() {
				for i, n := range names {
					slot := int(off) + i
					for len(rs.files) <= slot {
						rs.files = append(rs.files, "")
					}
					rs.files[slot] = n
				}
			}
		}
	case rings.IORING_UNREGISTER_FILES:
		after = func() { rs.files = nil }
	case rings.IORING_REGISTER_BUFFERS:
		b, f := x.scratchMem(line, uint64(16*max(1, len(c.Mems))))
		if f != nil {
			return f
		}
		for i, name := range c.Mems {
			m, ok := x.mems[name]
			if !ok {
				return failf(line, "mem %s was not created", name)
			}
			*(*uint64)(unsafe.Pointer(&b[16*i])) = addr(m)
			*(*uint64)(unsafe.Pointer(&b[16*i+8])) = uint64(len(m))
		}
		arg, nr = addr(b), uint32(len(c.Mems))
		if c.Tags != nil {
			tags, f := x.uint64s(line, c.Tags)
			if f != nil {
				return f
			}
			m, f := x.scratchMem(line, uint64(unsafe.Sizeof(rings.RsrcRegister{})))
			if f != nil {
				return f
			}
			*(*rings.RsrcRegister)(unsafe.Pointer(&m[0])) = rings.RsrcRegister{
				Nr: uint32(len(c.Mems)), Data: addr(b), Tags: addr(tags)}
			op, arg, nr = rings.IORING_REGISTER_BUFFERS2, addr(m), uint32(unsafe.Sizeof(rings.RsrcRegister{}))
		}
	case rings.IORING_REGISTER_EVENTFD, rings.IORING_REGISTER_EVENTFD_ASYNC:
		fd, f := x.fdOf(line, c.Eventfd)
		if f != nil {
			return f
		}
		b, f := x.int32s(line, []int32{int32(fd)})
		if f != nil {
			return f
		}
		arg, nr = addr(b), 1
	case rings.IORING_REGISTER_PBUF_RING:
		entries := uint32(c.Entries.V)
		count := entries
		if c.Count.Set {
			count = uint32(c.Count.V)
		}
		size := c.Size.V
		bufs, f := x.scratchMem(line, max(uint64(count)*size, 1))
		if f != nil {
			return f
		}
		bgid := uint16(c.BGID.V)
		// fill writes the count buffers into the ring and publishes them
		// with the tail (resv of bufs[0]).
		fill := func(ringMem []byte) {
			br, err := rings.NewBufRingView(ringMem, entries)
			if err != nil {
				return // an invalid entry count: the kernel refuses it
			}
			for i := range min(count, entries) {
				br.SetAddr(uint16(i), addr(bufs)+uint64(i)*size)
				br.SetLen(uint16(i), uint32(size))
				br.SetBid(uint16(i), uint16(i))
			}
			br.StoreTail(uint16(count))
			if rs.pbufs == nil {
				rs.pbufs = map[uint16]*pbufState{}
			}
			rs.pbufs[bgid] = &pbufState{br: br, bufs: bufs, size: size, tail: uint16(count)}
		}
		var ringMem []byte
		mmapped := c.Flags.V&rings.IOU_PBUF_RING_MMAP != 0
		if !mmapped {
			ringMem, f = x.scratchMem(line, uint64(max(entries, 1))*16)
			if f != nil {
				return f
			}
		}
		reg, f := x.scratchMem(line, uint64(unsafe.Sizeof(rings.BufReg{})))
		if f != nil {
			return f
		}
		*(*rings.BufReg)(unsafe.Pointer(&reg[0])) = rings.BufReg{
			RingAddr: addr(ringMem), RingEntries: entries, Bgid: bgid, Flags: uint16(c.Flags.V), MinLeft: uint32(c.MinLeft.V)}
		arg, nr = addr(reg), 1
		name := "pbuf" + itoa(c.BGID.V)
		var mapErr error
		after = func() {
			x.mems[name] = bufs
			if mmapped {
				off := uint64(rings.IORING_OFF_PBUF_RING) | uint64(bgid)<<rings.IORING_OFF_PBUF_SHIFT
				if ringMem, mapErr = x.be.MapRing(rs.r.FD(), off, uint64(entries)*16); mapErr != nil {
					return
				}
				x.scratchMaps = append(x.scratchMaps, ringMem)
			}
			fill(ringMem)
		}
		defer func() {
			if mapErr != nil {
				x.printf("register %s: mmap of buffer ring %d: %v", c.Ring, bgid, mapErr)
			}
		}()
	case rings.IORING_UNREGISTER_PBUF_RING:
		reg, f := x.scratchMem(line, uint64(unsafe.Sizeof(rings.BufReg{})))
		if f != nil {
			return f
		}
		(*rings.BufReg)(unsafe.Pointer(&reg[0])).Bgid = uint16(c.BGID.V)
		arg, nr = addr(reg), 1
		after = func() { delete(rs.pbufs, uint16(c.BGID.V)) }
	case rings.IORING_REGISTER_IOWQ_MAX_WORKERS:
		b, f := x.scratchMem(line, 8)
		if f != nil {
			return f
		}
		*(*[2]uint32)(unsafe.Pointer(&b[0])) = [2]uint32{uint32(c.Bound.V), uint32(c.Unbound.V)}
		arg, nr = addr(b), 2
		defer func() {
			v := *(*[2]uint32)(unsafe.Pointer(&b[0]))
			x.printf("register %s iowq_max_workers: bound=%d unbound=%d", c.Ring, v[0], v[1])
		}()
	case rings.IORING_REGISTER_NAPI, rings.IORING_UNREGISTER_NAPI:
		b, f := x.scratchMem(line, uint64(unsafe.Sizeof(rings.Napi{})))
		if f != nil {
			return f
		}
		napi := (*rings.Napi)(unsafe.Pointer(&b[0]))
		*napi = rings.Napi{BusyPollTo: uint32(c.BusyPollTo.V), PreferBusyPoll: uint8(c.PreferBusyPoll.V),
			Opcode: uint8(c.NapiOp.V), OpParam: uint32(c.OpParam.V)}
		arg, nr = addr(b), 1
		defer func() {
			x.printf("register %s napi: busy_poll_to=%d prefer_busy_poll=%d op_param=%d",
				c.Ring, napi.BusyPollTo, napi.PreferBusyPoll, napi.OpParam)
		}()
	case rings.IORING_REGISTER_FILE_ALLOC_RANGE:
		b, f := x.scratchMem(line, uint64(unsafe.Sizeof(rings.FileIndexRange{})))
		if f != nil {
			return f
		}
		*(*rings.FileIndexRange)(unsafe.Pointer(&b[0])) = rings.FileIndexRange{Off: uint32(c.Off.V), Len: uint32(c.Len.V)}
		arg = addr(b)
	case rings.IORING_REGISTER_SYNC_CANCEL:
		b, f := x.scratchMem(line, uint64(unsafe.Sizeof(rings.SyncCancelReg{})))
		if f != nil {
			return f
		}
		reg := (*rings.SyncCancelReg)(unsafe.Pointer(&b[0]))
		reg.Addr = c.Target.V
		reg.Fd = -1
		if c.Fd.Set {
			if c.Fd.Name != "" {
				fd, f := x.fdOf(line, c.Fd.Name)
				if f != nil {
					return f
				}
				reg.Fd = int32(fd)
			} else {
				reg.Fd = int32(uint32(c.Fd.Num.V))
			}
		}
		reg.Flags = uint32(c.OpFlags.V)
		reg.Timeout = rings.KernelTimespec{TvSec: -1, TvNsec: -1}
		if c.Timeout.Set {
			reg.Timeout = rings.KernelTimespec{TvSec: int64(c.Timeout.D / time.Second), TvNsec: int64(c.Timeout.D % time.Second)}
		}
		arg, nr = addr(b), 1
	case rings.IORING_REGISTER_RESTRICTIONS:
		var res []rings.Restriction
		for _, o := range c.RegisterOps {
			res = append(res, rings.Restriction{Opcode: rings.IORING_RESTRICTION_REGISTER_OP, Arg: o})
		}
		for _, o := range c.SQEOps {
			res = append(res, rings.Restriction{Opcode: rings.IORING_RESTRICTION_SQE_OP, Arg: o})
		}
		if c.SQEFlagsAllowed.Set {
			res = append(res, rings.Restriction{Opcode: rings.IORING_RESTRICTION_SQE_FLAGS_ALLOWED, Arg: uint8(c.SQEFlagsAllowed.V)})
		}
		if c.SQEFlagsRequired.Set {
			res = append(res, rings.Restriction{Opcode: rings.IORING_RESTRICTION_SQE_FLAGS_REQUIRED, Arg: uint8(c.SQEFlagsRequired.V)})
		}
		b, f := x.scratchMem(line, uint64(16*max(1, len(res))))
		if f != nil {
			return f
		}
		for i, r := range res {
			*(*rings.Restriction)(unsafe.Pointer(&b[16*i])) = r
		}
		arg, nr = addr(b), uint32(len(res))
	case rings.IORING_REGISTER_RING_FDS, rings.IORING_UNREGISTER_RING_FDS:
		// The ring itself switches to (or back from) its registered
		// index, as liburing's helpers do.
		what := "register " + c.Ring + " " + rings.RegisterOpName(op)
		var ret int
		var err error
		if op == rings.IORING_REGISTER_RING_FDS {
			ret, err = rs.r.RegisterRingFD()
			if err == nil {
				x.printf("register %s: ring registered at index %d", c.Ring, rs.r.RegisteredIndex())
			}
		} else if err = rs.r.UnregisterRingFD(); err == nil {
			ret = 1
		}
		x.printRet(what, ret, err)
		return checkRet(line, what, int64(ret), err, c.Expect)
	case rings.IORING_UNREGISTER_PERSONALITY:
		nr = uint32(c.ID.V)
	case rings.IORING_REGISTER_RESIZE_RINGS:
		// Through the ring, which maps the new rings as liburing's
		// io_uring_resize_rings() does.
		what := "register " + c.Ring + " " + rings.RegisterOpName(op)
		p := rings.Params{SQEntries: uint32(c.Entries.V), CQEntries: uint32(c.CQEntries.V), Flags: uint32(c.Flags.V)}
		err := rs.r.ResizeRings(&p)
		if err == nil {
			x.printf("register %s: rings resized to sq_entries=%d cq_entries=%d", c.Ring, p.SQEntries, p.CQEntries)
		}
		x.printRet(what, 0, err)
		return checkRet(line, what, 0, err, c.Expect)
	case rings.IORING_REGISTER_ZCRX_IFQ:
		var zafter func() error
		arg, zafter, f = x.registerZcrxArg(line, rs, c)
		if f != nil {
			return f
		}
		nr = 1
		after = func() {
			if err := zafter(); err != nil {
				x.printf("register %s: mmap of the refill queue: %v", c.Ring, err)
			}
		}
	case rings.IORING_REGISTER_PROBE:
		var f *failure
		probe, f = x.scratchMem(line, rings.ProbeSize+256*8)
		if f != nil {
			return f
		}
		arg, nr = addr(probe), 256
	}

	ret, err := rs.r.Register(op, arg, nr)
	what := "register " + c.Ring + " " + rings.RegisterOpName(c.Opcode)
	x.printRet(what, ret, err)
	if err == nil {
		if after != nil {
			after()
		}
		if probe != nil {
			hdr := (*rings.Probe)(unsafe.Pointer(&probe[0]))
			n := 0
			for i := 0; i < int(hdr.OpsLen) && i < 256; i++ {
				op := (*rings.ProbeOp)(unsafe.Pointer(&probe[rings.ProbeSize+8*i]))
				if op.Flags&rings.IO_URING_OP_SUPPORTED != 0 {
					n++
				}
			}
			x.printf("probe %s: %d opcodes supported, last_op=%s", c.Ring, n, rings.OpName(hdr.LastOp))
		}
	}
	return checkRet(line, what, int64(ret), err, c.Expect)
}

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}

// fdList resolves a files= list (-1 for a sparse slot).
func (x *runner) fdList(line int, files []FileRef) ([]int32, *failure) {
	fds := make([]int32, len(files))
	for i, fr := range files {
		if fr.Sparse {
			fds[i] = -1
			continue
		}
		fd, f := x.fdOf(line, fr.Name)
		if f != nil {
			return nil, f
		}
		fds[i] = int32(fd)
	}
	return fds, nil
}

func (x *runner) int32s(line int, v []int32) ([]byte, *failure) {
	b, f := x.scratchMem(line, uint64(4*max(1, len(v))))
	if f != nil {
		return nil, f
	}
	for i, n := range v {
		*(*int32)(unsafe.Pointer(&b[4*i])) = n
	}
	return b, nil
}

func (x *runner) uint64s(line int, v []uint64) ([]byte, *failure) {
	b, f := x.scratchMem(line, uint64(8*max(1, len(v))))
	if f != nil {
		return nil, f
	}
	for i, n := range v {
		*(*uint64)(unsafe.Pointer(&b[8*i])) = n
	}
	return b, nil
}
