package blockdev

// media is the namespace's storage: what reads see, what would survive a
// power loss, and the volatile write cache between the two.
type media struct {
	lbaSize int
	data    []byte // what reads return
	durable []byte // what is on the media
	// durableSeq is, per block, the sequence number of the write whose
	// data the media holds; an older cached write never overwrites it.
	durableSeq []uint64
	dirty      []cachedWrite // completed, not yet durable, in completion order
	seq        uint64        // writes completed so far
}

// cachedWrite is a completed write still in the volatile write cache.
type cachedWrite struct {
	seq  uint64
	off  uint64 // byte offset, block aligned
	data []byte // whole blocks
}

func (m *media) init(lbaSize int, size uint64, data []byte) {
	m.lbaSize = lbaSize
	m.data = make([]byte, size)
	m.durable = make([]byte, size)
	copy(m.data, data)
	copy(m.durable, data)
	m.durableSeq = make([]uint64, size/uint64(lbaSize))
}

// read copies n bytes at off into segs.
func (m *media) read(off uint64, segs [][]byte, n int) {
	for _, s := range segs {
		k := copy(s[:min(len(s), n)], m.data[off:])
		off += uint64(k)
		n -= k
		if n == 0 {
			return
		}
	}
}

// write stores n bytes of segs at off: visible at once, durable at once
// when durable is set (FUA, or no write cache), else cached until a flush.
func (m *media) write(off uint64, segs [][]byte, n int, durable bool) {
	m.seq++
	start := off
	for _, s := range segs {
		k := copy(m.data[off:off+uint64(min(len(s), n))], s)
		off += uint64(k)
		n -= k
		if n == 0 {
			break
		}
	}
	if durable {
		m.persist(m.seq, start, m.data[start:off])
		return
	}
	m.dirty = append(m.dirty, cachedWrite{seq: m.seq, off: start, data: append([]byte(nil), m.data[start:off]...)})
}

// persist puts a write's blocks on the media, except blocks that already
// hold a newer write.
func (m *media) persist(seq, off uint64, data []byte) {
	lbs := uint64(m.lbaSize)
	for b := uint64(0); b < uint64(len(data))/lbs; b++ {
		lba := off/lbs + b
		if m.durableSeq[lba] > seq {
			continue
		}
		m.durableSeq[lba] = seq
		copy(m.durable[lba*lbs:(lba+1)*lbs], data[b*lbs:])
	}
}

// flush makes every cached write durable (the NVMe Flush command).
func (m *media) flush() {
	for _, w := range m.dirty {
		m.persist(w.seq, w.off, w.data)
	}
	clear(m.dirty)
	m.dirty = m.dirty[:0]
}

// crash loses the write cache: each cached write reaches the media whole
// when reached says so, or not at all; reads then see the media.
func (m *media) crash(reached func() bool) {
	for _, w := range m.dirty {
		if reached() {
			m.persist(w.seq, w.off, w.data)
		}
	}
	clear(m.dirty)
	m.dirty = m.dirty[:0]
	copy(m.data, m.durable)
}

// Durable returns a copy of n bytes of the media at off: what a crash now
// would at least keep (tests).
func (ns *Namespace) Durable(off, n int64) []byte {
	return append([]byte(nil), ns.media.durable[off:off+n]...)
}
