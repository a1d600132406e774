package iowq

// workList is a singly linked list of Work (struct io_wq_work_list), linked
// through Work.next. A hashed run [work, hash_tail] taken by a worker with
// cut stays linked, so the worker walks it with Work.next
// (wq_next_work). Guarded by the account's lock.
// Linux: io_uring/slist.h
type workList struct {
	first, last *Work
}

// empty is wq_list_empty.
func (l *workList) empty() bool { return l.first == nil }

// addTail appends w (wq_list_add_tail).
// Linux: io_uring/slist.h:wq_list_add_tail()
func (l *workList) addTail(w *Work) {
	w.next = nil
	if l.first == nil {
		l.first, l.last = w, w
		return
	}
	l.last.next = w
	l.last = w
}

// addAfter links w after pos (wq_list_add_after).
// Linux: io_uring/slist.h:wq_list_add_after()
func (l *workList) addAfter(w, pos *Work) {
	next := pos.next
	pos.next = w
	w.next = next
	if next == nil {
		l.last = w
	}
}

// cut removes the run from prev.next (or the head, prev == nil) through
// last (wq_list_cut). The run keeps its internal links; last.next is
// cleared.
// Linux: io_uring/slist.h:wq_list_cut()
func (l *workList) cut(last, prev *Work) {
	if prev == nil {
		l.first = last.next
	} else {
		prev.next = last.next
	}
	if last == l.last {
		l.last = prev
	}
	last.next = nil
}

// del removes w whose predecessor is prev (wq_list_del).
// Linux: io_uring/slist.h:wq_list_del()
func (l *workList) del(w, prev *Work) { l.cut(w, prev) }
