package kernel

import "math/bits"

// hashNode is a request's hlist_node in the cancel table (req->hash_node):
// next in the bucket, and the link that points at it, so removal needs no
// search and no key.
type hashNode struct {
	next  *Req
	pprev **Req
}

// ioHashTable is the ring's table of armed polls, keyed by user_data
// (ctx->cancel_table): 1<<hashBits buckets, each an hlist with the newest
// request first.
// Linux: io_uring/io_uring.c:io_alloc_hash_table(); include/linux/io_uring_types.h:struct io_hash_table
type ioHashTable struct {
	hbs      []*Req // bucket heads (struct io_hash_bucket.list)
	hashBits uint
}

// goldenRatio64 is the multiplier of hash_64.
// Linux: include/linux/hash.h:GOLDEN_RATIO_64
const goldenRatio64 = 0x61C8864680B583EB

// hashLong is hash_long on a 64-bit kernel: the top bits of the product.
// Linux: include/linux/hash.h:hash_64_generic()
func hashLong(val uint64, bits uint) uint32 {
	return uint32(val * goldenRatio64 >> (64 - bits))
}

// init sizes the table for a CQ of cqEntries: ilog2(cq_entries) - 5,
// clamped to 1..8 bits.
// Linux: io_uring/io_uring.c:io_ring_ctx_alloc()
func (tb *ioHashTable) init(cqEntries uint32) {
	b := 1
	if cqEntries > 0 {
		b = bits.Len32(cqEntries) - 1 - 5
	}
	b = max(1, min(b, 8))
	tb.hashBits = uint(b)
	tb.hbs = make([]*Req, 1<<b)
}

// bucket is the index user_data hashes to.
func (tb *ioHashTable) bucket(userData uint64) uint32 {
	return hashLong(userData, tb.hashBits)
}

// insert adds req at the head of its user_data's bucket.
// Linux: io_uring/poll.c:io_poll_req_insert() (hlist_add_head)
func (tb *ioHashTable) insert(req *Req) {
	if tb.hbs == nil {
		tb.init(0)
	}
	head := &tb.hbs[tb.bucket(req.cqe.userData)]
	n := &req.hashNode
	n.next = *head
	if *head != nil {
		(*head).hashNode.pprev = &n.next
	}
	*head = req
	n.pprev = head
}

// del unhooks req if it is hashed; a request not in the table is left as
// it is (hash_del on an unhashed node).
// Linux: include/linux/list.h:hlist_del_init()
func (tb *ioHashTable) del(req *Req) {
	n := &req.hashNode
	if n.pprev == nil {
		return
	}
	*n.pprev = n.next
	if n.next != nil {
		n.next.hashNode.pprev = n.pprev
	}
	n.next, n.pprev = nil, nil
}

// hashed reports whether req is in the table (!hlist_unhashed).
func (req *Req) hashed() bool { return req.hashNode.pprev != nil }

// find returns the first request of userData's bucket, newest first, with
// that user_data for which match (nil: any) holds.
// Linux: io_uring/poll.c:io_poll_find()
func (tb *ioHashTable) find(userData uint64, match func(*Req) bool) *Req {
	if tb.hbs == nil {
		return nil
	}
	for r := tb.hbs[tb.bucket(userData)]; r != nil; r = r.hashNode.next {
		if r.cqe.userData == userData && (match == nil || match(r)) {
			return r
		}
	}
	return nil
}

// findAny scans every bucket in index order, each newest first, for the
// first request match accepts (a cancel by fd, opcode or ANY).
// Linux: io_uring/poll.c:io_poll_file_find()
func (tb *ioHashTable) findAny(match func(*Req) bool) *Req {
	for _, r := range tb.hbs {
		for ; r != nil; r = r.hashNode.next {
			if match(r) {
				return r
			}
		}
	}
	return nil
}

// each calls fn on every hashed request in the kernel's walk order
// (bucket by bucket, newest first); fn may remove the request it is given.
// Linux: io_uring/poll.c:io_poll_remove_all_table() (hlist_for_each_entry_safe)
func (tb *ioHashTable) each(fn func(*Req)) {
	for i := range tb.hbs {
		for r := tb.hbs[i]; r != nil; {
			next := r.hashNode.next
			fn(r)
			r = next
		}
	}
}

// empty reports whether no request is hashed.
func (tb *ioHashTable) empty() bool {
	for _, r := range tb.hbs {
		if r != nil {
			return false
		}
	}
	return true
}
