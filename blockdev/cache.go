package blockdev

import (
	"github.com/google/btree"
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
)

// pageSize is the page cache's page size.
const pageSize = 4096

// pageCache is the block device's page cache (the bdev inode's
// address_space): pages read from or written to the device through
// buffered I/O. Called with ns.lock held unless a method says otherwise.
// Linux: mm/filemap.c
type pageCache struct {
	pages *btree.BTreeG[*cachePage] // by page index (the xarray of i_pages)
}

type cachePage struct {
	idx   int64
	data  [pageSize]byte
	dirty bool
}

func pageLess(a, b *cachePage) bool { return a.idx < b.idx }

func (pc *pageCache) drop() { pc.pages = nil }

func (pc *pageCache) get(idx int64) *cachePage {
	if pc.pages == nil {
		return nil
	}
	p, _ := pc.pages.Get(&cachePage{idx: idx})
	return p
}

func (pc *pageCache) put(idx int64, p *cachePage) {
	if pc.pages == nil {
		pc.pages = btree.NewG(8, pageLess)
	}
	p.idx = idx
	pc.pages.ReplaceOrInsert(p)
}

func (pc *pageCache) remove(idx int64) {
	if pc.pages != nil {
		pc.pages.Delete(&cachePage{idx: idx})
	}
}

// indexesIn returns the cached page indexes in [pos, pos+n), in order
// (only dirty ones with dirtyOnly).
func (pc *pageCache) indexesIn(pos, n int64, dirtyOnly bool) []int64 {
	if pc.pages == nil {
		return nil
	}
	var idx []int64
	first, last := pos/pageSize, (pos+n-1)/pageSize
	pc.pages.AscendRange(&cachePage{idx: first}, &cachePage{idx: last + 1}, func(p *cachePage) bool {
		if p.dirty || !dirtyOnly {
			idx = append(idx, p.idx)
		}
		return true
	})
	return idx
}

// readPage fills page idx from the device (ns.lock not held) and caches
// it, unless a page was cached meanwhile. It returns the cached page or a
// negated errno.
// Linux: mm/filemap.c:filemap_read_folio()
func (ns *Namespace) readPage(t *sim.Thread, idx int64) (*cachePage, int) {
	p := &cachePage{}
	n := min(int64(pageSize), ns.Size()-idx*pageSize)
	c := &command{opcode: nvmeCmdRead, slba: uint64(idx*pageSize) / uint64(ns.cfg.LBASize),
		nlb: uint32(n / int64(ns.cfg.LBASize)), segs: [][]byte{p.data[:n]}, q: &ns.irq}
	if ret := ns.syncCommand(t, c); ret < 0 {
		return nil, ret
	} else if ret < int(n) {
		return nil, -int(unix.EIO)
	}
	ns.lock.Lock(t)
	defer ns.lock.Unlock(t)
	if q := ns.cache.get(idx); q != nil {
		return q, 0
	}
	ns.cache.put(idx, p)
	return p, 0
}

// pageFill says how findPage gets a page that is not cached.
type pageFill uint8

const (
	fillNone pageFill = iota // don't: return nil (a nonblocking read)
	fillRead                 // read it from the device
	fillZero                 // insert a zeroed page (a write covers all of it)
)

// findPage returns cached page idx, filling a missing one as fill says. It
// returns nil with fillNone and a missing page, or a read's error.
// Linux: mm/filemap.c:filemap_get_pages(), __filemap_get_folio()
func (ns *Namespace) findPage(t *sim.Thread, idx int64, fill pageFill) (*cachePage, int) {
	ns.lock.Lock(t)
	p := ns.cache.get(idx)
	if p == nil && fill == fillZero {
		p = &cachePage{}
		ns.cache.put(idx, p)
	}
	ns.lock.Unlock(t)
	if p != nil || fill == fillNone {
		return p, 0
	}
	return ns.readPage(t, idx)
}

// read is a buffered read: from cached pages, reading missing ones from
// the device unless nonblock (then it stops, -EAGAIN if nothing was read).
// Linux: mm/filemap.c:filemap_read()
func (pc *pageCache) read(t *sim.Thread, ns *Namespace, dst []byte, off *int64, nonblock bool) int {
	size := ns.Size()
	fill := fillRead
	if nonblock {
		fill = fillNone
	}
	done := 0
	for done < len(dst) && *off < size {
		idx, in := *off/pageSize, *off%pageSize
		p, ret := ns.findPage(t, idx, fill)
		if ret < 0 && done == 0 {
			return ret
		}
		if p == nil {
			break
		}
		ns.lock.Lock(t)
		k := copy(dst[done:], p.data[in:min(int64(pageSize), size-idx*pageSize)])
		ns.lock.Unlock(t)
		done += k
		*off += int64(k)
	}
	if done == 0 && nonblock && *off < size && len(dst) != 0 {
		return -int(unix.EAGAIN)
	}
	return done
}

// write is a buffered write: it dirties pages, reading a page it covers
// only partly from the device first.
// Linux: mm/filemap.c:generic_perform_write()
func (pc *pageCache) write(t *sim.Thread, ns *Namespace, src []byte, off *int64) int {
	size := ns.Size()
	src = src[:min(int64(len(src)), size-*off)]
	done := 0
	for done < len(src) {
		idx, in := *off/pageSize, *off%pageSize
		k := min(len(src)-done, pageSize-int(in))
		fill := fillRead
		if k == pageSize {
			fill = fillZero
		}
		p, ret := ns.findPage(t, idx, fill)
		if ret < 0 && done == 0 {
			return ret
		}
		if p == nil {
			break
		}
		ns.lock.Lock(t)
		copy(p.data[in:], src[done:done+k])
		p.dirty = true
		ns.lock.Unlock(t)
		done += k
		*off += int64(k)
	}
	return done
}

// writeback writes the dirty pages in [pos, pos+n) to the device and
// waits for them; it returns 0 or the first error.
// Linux: mm/filemap.c:filemap_write_and_wait_range()
func (ns *Namespace) writeback(t *sim.Thread, pos, n int64) int {
	ns.lock.Lock(t)
	idx := ns.cache.indexesIn(pos, n, true)
	pages := make([]*cachePage, len(idx))
	bufs := make([][]byte, len(idx))
	for i, x := range idx {
		p := ns.cache.get(x)
		p.dirty = false
		pages[i] = p
		bufs[i] = append([]byte(nil), p.data[:min(int64(pageSize), ns.Size()-x*pageSize)]...)
	}
	ns.lock.Unlock(t)
	ret := 0
	for i, x := range idx {
		c := &command{opcode: nvmeCmdWrite, slba: uint64(x*pageSize) / uint64(ns.cfg.LBASize),
			nlb: uint32(len(bufs[i]) / ns.cfg.LBASize), segs: [][]byte{bufs[i]}, q: &ns.irq}
		if r := ns.syncCommand(t, c); r < 0 && ret == 0 {
			ret = r
		}
	}
	return ret
}

// prepareDirect makes the page cache safe for a direct transfer of
// [pos, pos+n): a read writes back dirty pages first, a write writes back
// and drops the cached pages. With nowait, any such page is -EAGAIN.
// Linux: mm/filemap.c:kiocb_write_and_wait(), kiocb_invalidate_pages()
func (pc *pageCache) prepareDirect(t *sim.Thread, ns *Namespace, pos, n int64, write, nowait bool) int {
	ns.lock.Lock(t)
	cached := pc.indexesIn(pos, n, !write)
	ns.lock.Unlock(t)
	if len(cached) == 0 {
		return 0
	}
	if nowait {
		return -int(unix.EAGAIN)
	}
	if ret := ns.writeback(t, pos, n); ret < 0 {
		return ret
	}
	if write {
		ns.lock.Lock(t)
		for _, i := range pc.indexesIn(pos, n, false) {
			pc.remove(i)
		}
		ns.lock.Unlock(t)
	}
	return 0
}
