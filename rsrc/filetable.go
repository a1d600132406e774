package rsrc

// FileTable is the fixed file table (struct io_file_table): the nodes,
// the bitmap of used slots, and the range and hint that
// IORING_FILE_INDEX_ALLOC allocates from (ctx->file_alloc_start/end).
// Linux: include/linux/io_uring_types.h:struct io_file_table
type FileTable struct {
	Data       Data
	bitmap     []uint64
	allocHint  int
	allocStart int
	allocEnd   int
}

// Alloc makes an empty table of nr slots.
// Linux: io_uring/filetable.c:io_alloc_file_tables()
func (t *FileTable) Alloc(nr int) {
	t.Data.Alloc(nr)
	t.bitmap = make([]uint64, (nr+63)/64)
}

// Free drops the table and returns the nodes it held (the caller puts
// them), and resets the allocation range.
// Linux: io_uring/filetable.c:io_free_file_tables()
func (t *FileTable) Free() []*Node {
	nodes := t.Data.Take()
	t.bitmap = nil
	t.SetAllocRange(0, 0)
	return nodes
}

// Used reports whether slot bit is taken.
func (t *FileTable) Used(bit int) bool { return t.bitmap[bit/64]&(1<<(bit%64)) != 0 }

// BitmapSet marks slot bit used; the next allocation starts after it.
// It reports false when the bit was already set (a WARN_ON_ONCE).
// Linux: io_uring/filetable.h:io_file_bitmap_set()
func (t *FileTable) BitmapSet(bit int) bool {
	was := t.Used(bit)
	t.bitmap[bit/64] |= 1 << (bit % 64)
	t.allocHint = bit + 1
	return !was
}

// BitmapClear marks slot bit free; the next allocation starts there. It
// reports false when the bit was not set (a WARN_ON_ONCE).
// Linux: io_uring/filetable.h:io_file_bitmap_clear()
func (t *FileTable) BitmapClear(bit int) bool {
	was := t.Used(bit)
	t.bitmap[bit/64] &^= 1 << (bit % 64)
	t.allocHint = bit
	return was
}

// findNextZeroBit is find_next_zero_bit(bitmap, size, offset).
func (t *FileTable) findNextZeroBit(size, offset int) int {
	for i := offset; i < size; {
		if i%64 == 0 && t.bitmap[i/64] == ^uint64(0) {
			i += 64 // a full word
			continue
		}
		if !t.Used(i) {
			return i
		}
		i++
	}
	return size
}

// BitmapGet finds a free slot in the allocation range, from the hint and
// then once more from the range's start: -ENFILE when there is none (or
// no table). A hint outside the range (left by an explicit install or
// removal of a slot outside it) restarts at the range's start, as the
// stable fix "io_uring/filetable: clamp alloc_hint to the configured
// alloc range" (Feb 2026, in the host's 6.18.y) does.
// Linux: io_uring/filetable.c:io_file_bitmap_get()
func (t *FileTable) BitmapGet() int {
	if t.bitmap == nil {
		return -eNFILE
	}
	if t.allocHint < t.allocStart || t.allocHint >= t.allocEnd {
		t.allocHint = t.allocStart
	}
	nr := t.allocEnd
	for {
		if ret := t.findNextZeroBit(nr, t.allocHint); ret < nr {
			return ret
		}
		if t.allocHint == t.allocStart {
			break
		}
		nr = t.allocHint
		t.allocHint = t.allocStart
	}
	return -eNFILE
}

// SetAllocRange sets the range IORING_FILE_INDEX_ALLOC allocates from.
// Linux: io_uring/filetable.h:io_file_table_set_alloc_range()
func (t *FileTable) SetAllocRange(off, n int) {
	t.allocStart = off
	t.allocEnd = off + n
	t.allocHint = off
}
