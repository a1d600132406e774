package sim

import "sync/atomic"

// LLNode is a node of a lock-less list (struct llist_node). Item carries
// the element (the kernel uses container_of instead).
type LLNode struct {
	Next *LLNode
	Item any
}

// LList is a lock-less singly linked list (struct llist_head): any number
// of threads push with Add, consumers take everything with DelAll. The
// zero value is empty. Every operation is an atomic pointer operation
// (compare-and-swap loops in concurrent mode) and, in deterministic mode,
// a yield point taken before the atomic step, except Empty.
type LList struct {
	first atomic.Pointer[LLNode]
}

// Add pushes n at the front (llist_add: LIFO) and reports whether the list
// was empty before.
func (l *LList) Add(t *Thread, n *LLNode) bool { return l.AddBatch(t, n, n) }

// AddBatch pushes the chain first..last (linked by Next) at the front
// (llist_add_batch) and reports whether the list was empty before.
func (l *LList) AddBatch(t *Thread, first, last *LLNode) bool {
	t.Yield()
	for {
		old := l.first.Load()
		last.Next = old
		if l.first.CompareAndSwap(old, first) {
			return old == nil
		}
	}
}

// DelAll takes every node off the list (llist_del_all) and returns the
// chain newest first; reverse it with Reverse to process in arrival order.
func (l *LList) DelAll(t *Thread) *LLNode {
	t.Yield()
	return l.first.Swap(nil)
}

// First reads the list head (READ_ONCE(head->first)), for callers that
// build their own compare-and-swap loop (io_req_local_work_add reads the
// first node's counters before pushing).
func (l *LList) First(t *Thread) *LLNode {
	t.Yield()
	return l.first.Load()
}

// CompareAndSwap replaces the head old with new if it is still old
// (try_cmpxchg(&head->first, &old, new)) and reports whether it did.
func (l *LList) CompareAndSwap(t *Thread, old, new *LLNode) bool {
	t.Yield()
	return l.first.CompareAndSwap(old, new)
}

// Empty reports whether the list is empty (llist_empty). Not a yield point.
func (l *LList) Empty() bool { return l.first.Load() == nil }

// Reverse reverses a chain in place and returns its new head
// (llist_reverse_order).
func Reverse(n *LLNode) *LLNode {
	var r *LLNode
	for n != nil {
		next := n.Next
		n.Next = r
		r = n
		n = next
	}
	return r
}
