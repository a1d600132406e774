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
// Not for a list that may be closed (DelAllOrClose is).
func (l *LList) DelAll(t *Thread) *LLNode {
	t.Yield()
	return l.first.Swap(nil)
}

// llistClosed heads a closed list: task_work's &work_exited.
var llistClosed = &LLNode{}

// AddUnlessClosed pushes n at the front unless the list is closed, as
// task_work_add does once the task has run exit_task_work, and reports
// whether it did and whether the list was empty before.
// Linux: kernel/task_work.c:task_work_add()
func (l *LList) AddUnlessClosed(t *Thread, n *LLNode) (added, wasEmpty bool) {
	t.Yield()
	for {
		old := l.first.Load()
		if old == llistClosed {
			return false, false
		}
		n.Next = old
		if l.first.CompareAndSwap(old, n) {
			return true, old == nil
		}
	}
}

// DelAllOrClose takes every node off the list, as DelAll does, or, if the
// list is empty, closes it so that no node is added again: the last step
// of exit_task_work.
// Linux: kernel/task_work.c:task_work_run() (the &work_exited case)
func (l *LList) DelAllOrClose(t *Thread) *LLNode {
	t.Yield()
	for {
		switch old := l.first.Load(); old {
		case llistClosed:
			return nil
		case nil:
			if l.first.CompareAndSwap(nil, llistClosed) {
				return nil
			}
		default:
			if l.first.CompareAndSwap(old, nil) {
				return old
			}
		}
	}
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

// Empty reports whether the list is empty (llist_empty); a closed list is.
// Not a yield point.
func (l *LList) Empty() bool {
	p := l.first.Load()
	return p == nil || p == llistClosed
}

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
