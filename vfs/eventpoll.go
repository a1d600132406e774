package vfs

import (
	"encoding/binary"
	"math"
	"slices"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// epoll limits and masks.
// Linux: fs/eventpoll.c
const (
	// EP_MAX_NESTS is how deep epoll files may be nested.
	EP_MAX_NESTS = 4
	// EPOLL_EVENT_SIZE is sizeof(struct epoll_event): packed on x86-64,
	// a u32 events followed by a u64 data.
	EPOLL_EVENT_SIZE = 12
	// EP_MAX_EVENTS is the largest maxevents epoll_wait accepts.
	EP_MAX_EVENTS = math.MaxInt32 / EPOLL_EVENT_SIZE
	// EP_PRIVATE_BITS are the event bits that are not events.
	EP_PRIVATE_BITS = rings.EPOLLWAKEUP | rings.EPOLLONESHOT | rings.EPOLLET | rings.EPOLLEXCLUSIVE
	// EPOLLEXCLUSIVE_OK_BITS are the bits EPOLLEXCLUSIVE may be combined with.
	EPOLLEXCLUSIVE_OK_BITS = rings.EPOLLIN | rings.EPOLLOUT | rings.EPOLLERR | rings.EPOLLHUP |
		rings.EPOLLWAKEUP | rings.EPOLLET | rings.EPOLLEXCLUSIVE
)

// EpollEvent is struct epoll_event.
// Linux: include/uapi/linux/eventpoll.h:struct epoll_event
type EpollEvent struct {
	Events uint32
	Data   uint64
}

// ReadEpollEvent copies a struct epoll_event from user memory, or -EFAULT.
func ReadEpollEvent(as *mm.AddressSpace, addr uint64) (EpollEvent, int) {
	var b [EPOLL_EVENT_SIZE]byte
	if as.CopyFromUser(b[:], addr) != 0 {
		return EpollEvent{}, -int(unix.EFAULT)
	}
	return EpollEvent{Events: binary.LittleEndian.Uint32(b[0:]), Data: binary.LittleEndian.Uint64(b[4:])}, 0
}

// eventpoll is the object behind an epoll file (struct eventpoll).
//
// mtx serialises EPOLL_CTL and the scans of the ready list (sending
// events, polling the epoll file); lock guards rdllist and the overflow
// chain, which ep_poll_callback changes from the wakeups of the watched
// files, under their wait-queue locks. While a scan runs (ovfActive), the
// callbacks chain ready items on ovflist instead of rdllist, so the scan
// may poll the watched files without holding lock.
// Linux: fs/eventpoll.c:struct eventpoll
type eventpoll struct {
	mtx       sim.Mutex
	lock      sim.SpinLock
	pollWait  sim.WaitQueueHead // poll_wait: pollers of the epoll file (io_uring, outer epolls)
	rdllist   []*epitem         // ready items, in the order they became ready
	ovflist   []*epitem         // ready while a scan ran, in arrival order (the order doneScan gives them back)
	ovfActive atomic.Bool       // ovflist != EP_UNACTIVE_PTR
	nready    atomic.Int32      // len(rdllist), for the lockless ep_events_available
	items     []*epitem         // the interest set (ep->rbr), in insertion order
	file      *File
}

// epitem is one watched (file, fd) pair of an epoll (struct epitem).
type epitem struct {
	ep     *eventpoll
	file   *File
	fd     int
	event  EpollEvent
	pwqs   []*eppollEntry // the wait-queue entries its file's poll queued
	linked bool           // on rdllist or a scan's txlist (ep_is_linked)
	onOvf  bool           // chained on ovflist (epi->next != EP_UNACTIVE_PTR)
}

// eppollEntry is a wait-queue entry of an epitem on one of its file's
// queues (struct eppoll_entry).
type eppollEntry struct {
	wait  sim.WaitQueueEntry
	whead *sim.WaitQueueHead
}

// eventpollFileOps are eventpoll_fops.
type eventpollFileOps struct{}

// NewEpoll creates an epoll file, as epoll_create1(2) does before
// installing it: flags other than EPOLL_CLOEXEC (a descriptor flag the
// caller applies) are -EINVAL.
// Linux: fs/eventpoll.c:do_epoll_create()
func NewEpoll(id uint64, flags uint32) (*File, int) {
	if flags&^unix.EPOLL_CLOEXEC != 0 {
		return nil, -int(unix.EINVAL)
	}
	ep := &eventpoll{}
	f := NewFile(eventpollFileOps{}, ep, "anon_inode:[eventpoll]", unix.O_RDWR, id)
	ep.file = f
	return f, 0
}

// IsFileEpoll reports whether f is an epoll file (is_file_epoll).
func IsFileEpoll(f *File) bool {
	_, ok := f.Op.(eventpollFileOps)
	return ok
}

func epOf(f *File) *eventpoll { return f.Private.(*eventpoll) }

// DoEpollCtl is epoll_ctl(2) on the descriptors of files once the event
// was copied in (ev is nil for EPOLL_CTL_DEL). With nonblock (io_uring's
// inline attempt) a contended epoll mutex is -EAGAIN.
// Differs from Linux: EPOLLWAKEUP is kept (as for a task with
// CAP_BLOCK_SUSPEND; it has no wakeup source to drive), there is no
// max_user_watches limit and no reverse-path wakeup limit.
// Linux: fs/eventpoll.c:do_epoll_ctl()
func DoEpollCtl(t *sim.Thread, files *FDTable, epfd, op, fd int, ev *EpollEvent, nonblock bool) int {
	f, fref := files.Fdget(t, epfd)
	if f == nil {
		return -int(unix.EBADF)
	}
	defer Fdput(t, f, fref)
	tf, tref := files.Fdget(t, fd)
	if tf == nil {
		return -int(unix.EBADF)
	}
	defer Fdput(t, tf, tref)
	if !CanPoll(tf) {
		return -int(unix.EPERM)
	}
	hasEvent := op != unix.EPOLL_CTL_DEL // ep_op_has_event
	if f == tf || !IsFileEpoll(f) {
		return -int(unix.EINVAL)
	}
	if hasEvent && ev.Events&rings.EPOLLEXCLUSIVE != 0 {
		if op == unix.EPOLL_CTL_MOD {
			return -int(unix.EINVAL)
		}
		if op == unix.EPOLL_CTL_ADD && (IsFileEpoll(tf) || ev.Events&^EPOLLEXCLUSIVE_OK_BITS != 0) {
			return -int(unix.EINVAL)
		}
	}
	ep := epOf(f)
	if !epollMutexLock(t, &ep.mtx, nonblock) {
		return -int(unix.EAGAIN)
	}
	defer ep.mtx.Unlock(t)
	if op == unix.EPOLL_CTL_ADD && IsFileEpoll(tf) && ep.loopCheck(t, epOf(tf)) {
		return -int(unix.ELOOP)
	}
	epi := ep.find(tf, fd)
	switch op {
	case unix.EPOLL_CTL_ADD:
		if epi != nil {
			return -int(unix.EEXIST)
		}
		e := *ev
		e.Events |= rings.EPOLLERR | rings.EPOLLHUP
		ep.insert(t, e, tf, fd)
		return 0
	case unix.EPOLL_CTL_DEL:
		if epi == nil {
			return -int(unix.ENOENT)
		}
		ep.remove(t, epi)
		return 0
	case unix.EPOLL_CTL_MOD:
		if epi == nil {
			return -int(unix.ENOENT)
		}
		if epi.event.Events&rings.EPOLLEXCLUSIVE != 0 {
			return -int(unix.EINVAL)
		}
		e := *ev
		e.Events |= rings.EPOLLERR | rings.EPOLLHUP
		ep.modify(t, epi, e)
		return 0
	}
	return -int(unix.EINVAL)
}

// epollMutexLock takes m, or with nonblock only tries it.
// Linux: fs/eventpoll.c:epoll_mutex_lock()
func epollMutexLock(t *sim.Thread, m *sim.Mutex, nonblock bool) bool {
	if !nonblock {
		m.Lock(t)
		return true
	}
	return m.TryLock(t)
}

// find is ep_find: the item watching (file, fd).
func (ep *eventpoll) find(file *File, fd int) *epitem {
	for _, epi := range ep.items {
		if epi.file == file && epi.fd == fd {
			return epi
		}
	}
	return nil
}

// loopCheck reports whether adding epoll to as a watched file of ep
// would close a loop or nest epolls deeper than EP_MAX_NESTS: the longest
// chain of epolls below to, plus one, plus the longest chain of epolls
// watching ep.
// Differs from Linux: the depths are recomputed rather than cached per
// check generation, and the watched epolls are read without taking
// their mutexes (the simulator's graph changes only under ep->mtx of the
// epoll being changed, which the caller holds).
// Linux: fs/eventpoll.c:ep_loop_check()
func (ep *eventpoll) loopCheck(t *sim.Thread, to *eventpoll) bool {
	depth, loop := to.downDepth(ep, 0)
	if loop || depth > EP_MAX_NESTS {
		return true
	}
	return depth+1+ep.upDepth(t, 0) > EP_MAX_NESTS
}

// downDepth is ep_loop_check_proc: the longest chain of epolls watched
// from ep, and whether one of them is into.
func (ep *eventpoll) downDepth(into *eventpoll, depth int) (int, bool) {
	res := 0
	for _, epi := range ep.items {
		if !IsFileEpoll(epi.file) {
			continue
		}
		sub := epOf(epi.file)
		if sub == into || depth > EP_MAX_NESTS {
			return EP_MAX_NESTS + 1, sub == into
		}
		d, loop := sub.downDepth(into, depth+1)
		if loop {
			return d, true
		}
		res = max(res, d+1)
		if res > EP_MAX_NESTS {
			break
		}
	}
	return res, false
}

// upDepth is ep_get_upwards_depth_proc: the longest chain of epolls
// watching ep's file.
func (ep *eventpoll) upDepth(t *sim.Thread, depth int) int {
	res := 0
	if depth > EP_MAX_NESTS {
		return res
	}
	for _, epi := range ep.file.epItems(t) {
		res = max(res, epi.ep.upDepth(t, depth+1)+1)
	}
	return res
}

// poll is ep_item_poll: the watched file's ready events among those
// the item wants, its entries queued through pt when pt has a Qproc.
func (epi *epitem) poll(t *sim.Thread, pt *PollTable) uint32 {
	pt.Key = epi.event.Events
	return Poll(t, epi.file, pt) & epi.event.Events
}

// insert is ep_insert: add the item, queue it on its file's wait queues
// through its poll, and make it ready at once if the file is.
// Linux: fs/eventpoll.c:ep_insert()
func (ep *eventpoll) insert(t *sim.Thread, ev EpollEvent, tf *File, fd int) {
	epi := &epitem{ep: ep, file: tf, fd: fd, event: ev}
	ep.items = append(ep.items, epi)
	tf.epAttach(t, epi)
	pt := PollTable{Qproc: epPtableQueueProc, Private: epi}
	revents := epi.poll(t, &pt)
	ep.readyAfterChange(t, epi, revents)
}

// modify is ep_modify: new events and data, then a poll without queuing
// that makes the item ready if the file now is.
// Linux: fs/eventpoll.c:ep_modify()
func (ep *eventpoll) modify(t *sim.Thread, epi *epitem, ev EpollEvent) {
	ep.lock.Lock(t) // the callbacks read the events under it
	epi.event = ev
	ep.lock.Unlock(t)
	revents := epi.poll(t, &PollTable{})
	ep.readyAfterChange(t, epi, revents)
}

// readyAfterChange links a ready item to rdllist after an insert or
// modify, and wakes the epoll file's pollers if it did.
func (ep *eventpoll) readyAfterChange(t *sim.Thread, epi *epitem, revents uint32) {
	if revents == 0 {
		return
	}
	pwake := false
	ep.lock.Lock(t)
	if !epi.linked {
		ep.rdlAddTail(epi)
		pwake = ep.pollWait.Active()
	}
	ep.lock.Unlock(t)
	if pwake {
		ep.pollSafewake(t, 0)
	}
}

// remove is ep_remove: unqueue the item's entries, drop it from its file's
// list, from the ready list and from the interest set. ep.mtx is held.
// Linux: fs/eventpoll.c:__ep_remove()
func (ep *eventpoll) remove(t *sim.Thread, epi *epitem) {
	for _, pwq := range epi.pwqs {
		pwq.whead.Remove(t, &pwq.wait)
	}
	epi.pwqs = nil
	epi.file.epDetach(t, epi)
	ep.lock.Lock(t)
	if epi.linked {
		ep.rdllist = slices.DeleteFunc(ep.rdllist, func(e *epitem) bool { return e == epi })
		ep.nready.Store(int32(len(ep.rdllist)))
		epi.linked = false
	}
	ep.lock.Unlock(t)
	ep.items = slices.DeleteFunc(ep.items, func(e *epitem) bool { return e == epi })
}

// rdlAddTail appends epi to rdllist; ep.lock is held.
func (ep *eventpoll) rdlAddTail(epi *epitem) {
	ep.rdllist = append(ep.rdllist, epi)
	ep.nready.Store(int32(len(ep.rdllist)))
	epi.linked = true
}

// pollSafewake wakes the epoll file's pollers with EPOLLIN (and
// EPOLL_URING_WAKE when the wakeup came from io_uring).
// Linux: fs/eventpoll.c:ep_poll_safewake()
func (ep *eventpoll) pollSafewake(t *sim.Thread, uringWake uint32) {
	ep.pollWait.WakeUp(t, rings.EPOLLIN|uringWake)
}

// epPtableQueueProc queues an item's entry on one of its file's queues,
// exclusive for EPOLLEXCLUSIVE.
// Linux: fs/eventpoll.c:ep_ptable_queue_proc()
func epPtableQueueProc(t *sim.Thread, _ *File, q *sim.WaitQueueHead, pt *PollTable) {
	epi := pt.Private.(*epitem)
	pwq := &eppollEntry{whead: q}
	pwq.wait.Func = epPollCallback
	pwq.wait.Private = epi
	if epi.event.Events&rings.EPOLLEXCLUSIVE != 0 {
		q.AddExclusive(t, &pwq.wait)
	} else {
		q.Add(t, &pwq.wait)
	}
	epi.pwqs = append(epi.pwqs, pwq)
}

// epPollCallback is the wake function of an item's entries: unless the
// item is disabled (EPOLLONESHOT fired) or the wakeup's key is none of
// its events, it makes the item ready — on ovflist while a scan runs —
// and wakes the epoll file's pollers. An EPOLLEXCLUSIVE entry counts as
// woken only when an epoll_wait(2) sleeper was woken, which the
// simulator has none of.
// Linux: fs/eventpoll.c:ep_poll_callback()
func epPollCallback(t *sim.Thread, e *sim.WaitQueueEntry, key uint32) int {
	epi := e.Private.(*epitem)
	ep := epi.ep
	exclusive := epi.event.Events&rings.EPOLLEXCLUSIVE != 0
	pwake := false
	ep.lock.Lock(t)
	if epi.event.Events&^EP_PRIVATE_BITS != 0 && (key == 0 || key&epi.event.Events != 0) {
		if ep.ovfActive.Load() {
			if !epi.onOvf {
				epi.onOvf = true
				ep.ovflist = append(ep.ovflist, epi)
			}
		} else if !epi.linked {
			ep.rdlAddTail(epi)
		}
		pwake = ep.pollWait.Active()
	}
	ep.lock.Unlock(t)
	if pwake {
		ep.pollSafewake(t, key&rings.EPOLL_URING_WAKE)
	}
	if exclusive {
		return 0
	}
	return 1
}

// startScan is ep_start_scan: take the ready list for a scan and divert
// new ready items to ovflist. ep.mtx is held.
func (ep *eventpoll) startScan(t *sim.Thread) []*epitem {
	ep.lock.Lock(t)
	tx := ep.rdllist
	ep.rdllist = nil
	ep.nready.Store(0)
	ep.ovfActive.Store(true)
	ep.lock.Unlock(t)
	return tx
}

// doneScan is ep_done_scan: the items that became ready during the scan
// go back on the ready list (those not linked already), behind them what
// is left of the scan's list in front, and the callbacks use rdllist
// again.
func (ep *eventpoll) doneScan(t *sim.Thread, tx []*epitem) {
	ep.lock.Lock(t)
	var back []*epitem
	for _, epi := range ep.ovflist { // arrival order, as Linux's LIFO chain read back with list_add
		epi.onOvf = false
		if !epi.linked {
			epi.linked = true
			back = append(back, epi)
		}
	}
	ep.ovflist = nil
	ep.ovfActive.Store(false)
	ep.rdllist = slices.Concat(tx, back, ep.rdllist)
	ep.nready.Store(int32(len(ep.rdllist)))
	ep.lock.Unlock(t)
}

// eventsAvailable is ep_events_available (lockless).
func (ep *eventpoll) eventsAvailable() bool {
	return ep.nready.Load() != 0 || ep.ovfActive.Load()
}

// EpollSendevents copies up to maxevents ready events to user memory at
// events, without sleeping, and returns how many (0: none ready), or
// -EINVAL (not an epoll file, maxevents out of range) or -EFAULT. A
// level-triggered item goes back on the ready list, an EPOLLONESHOT one
// is disabled, an edge-triggered one waits for its next wakeup.
// Linux: fs/eventpoll.c:epoll_sendevents(), ep_send_events()
func EpollSendevents(t *sim.Thread, f *File, as *mm.AddressSpace, events uint64, maxevents int) int {
	if maxevents <= 0 || maxevents > EP_MAX_EVENTS {
		return -int(unix.EINVAL)
	}
	if !mm.AccessOK(events, uint64(maxevents)*EPOLL_EVENT_SIZE) {
		return -int(unix.EFAULT)
	}
	if !IsFileEpoll(f) {
		return -int(unix.EINVAL)
	}
	ep := epOf(f)
	if !ep.eventsAvailable() {
		return 0
	}
	ep.mtx.Lock(t)
	defer ep.mtx.Unlock(t)
	tx := ep.startScan(t)
	res := 0
	var requeue []*epitem
	i := 0
	for ; i < len(tx) && res < maxevents; i++ {
		epi := tx[i]
		epi.linked = false
		revents := epi.poll(t, &PollTable{})
		if revents == 0 {
			continue
		}
		var b [EPOLL_EVENT_SIZE]byte
		binary.LittleEndian.PutUint32(b[0:], revents)
		binary.LittleEndian.PutUint64(b[4:], epi.event.Data)
		if as.CopyToUser(events+uint64(res)*EPOLL_EVENT_SIZE, b[:]) != 0 {
			epi.linked = true // break skips i++: epi stays on the scan's list
			if res == 0 {
				res = -int(unix.EFAULT)
			}
			break
		}
		res++
		if epi.event.Events&rings.EPOLLONESHOT != 0 {
			ep.lock.Lock(t)
			epi.event.Events &= EP_PRIVATE_BITS
			ep.lock.Unlock(t)
		} else if epi.event.Events&rings.EPOLLET == 0 {
			epi.linked = true
			requeue = append(requeue, epi)
		}
	}
	// Level-triggered items were added to rdllist's tail during the scan
	// (rdllist is empty then: new ready items went to ovflist).
	ep.lock.Lock(t)
	ep.rdllist = append(ep.rdllist, requeue...)
	ep.lock.Unlock(t)
	ep.doneScan(t, tx[i:])
	return res
}

// Poll reports EPOLLIN|EPOLLRDNORM when an item on the ready list really
// is ready (items that are not are dropped from it), after queuing pt on
// the epoll's poll wait queue.
// Linux: fs/eventpoll.c:__ep_eventpoll_poll()
func (eventpollFileOps) Poll(t *sim.Thread, f *File, pt *PollTable) uint32 {
	ep := epOf(f)
	PollWait(t, f, &ep.pollWait, pt)
	ep.mtx.Lock(t)
	defer ep.mtx.Unlock(t)
	tx := ep.startScan(t)
	var res uint32
	i := 0
	for ; i < len(tx); i++ {
		if tx[i].poll(t, &PollTable{}) != 0 {
			res = rings.EPOLLIN | rings.EPOLLRDNORM
			break
		}
		tx[i].linked = false
	}
	ep.doneScan(t, tx[i:])
	return res
}

// Release removes every item and wakes the epoll file's pollers.
// Linux: fs/eventpoll.c:ep_eventpoll_release(), ep_clear_and_put()
func (eventpollFileOps) Release(t *sim.Thread, f *File) {
	ep := epOf(f)
	if ep.pollWait.Active() {
		ep.pollSafewake(t, 0)
	}
	ep.mtx.Lock(t)
	for len(ep.items) > 0 {
		ep.remove(t, ep.items[0])
	}
	ep.mtx.Unlock(t)
}

// fileEp is a file's list of the epoll items watching it (file->f_ep),
// guarded by its own lock (file->f_lock).
type fileEp struct {
	lock  sim.SpinLock
	items []*epitem
}

// epAttach records that epi watches f.
func (f *File) epAttach(t *sim.Thread, epi *epitem) {
	f.ep.lock.Lock(t)
	f.ep.items = append(f.ep.items, epi)
	f.epAny.Store(true)
	f.ep.lock.Unlock(t)
}

// epDetach forgets epi.
func (f *File) epDetach(t *sim.Thread, epi *epitem) {
	f.ep.lock.Lock(t)
	f.ep.items = slices.DeleteFunc(f.ep.items, func(e *epitem) bool { return e == epi })
	f.epAny.Store(len(f.ep.items) > 0)
	f.ep.lock.Unlock(t)
}

// epItems is a snapshot of the items watching f.
func (f *File) epItems(t *sim.Thread) []*epitem {
	if !f.epAny.Load() {
		return nil
	}
	f.ep.lock.Lock(t)
	defer f.ep.lock.Unlock(t)
	return slices.Clone(f.ep.items)
}

// eventpollRelease removes f from every epoll watching it, on its last
// reference.
// Linux: fs/eventpoll.c:eventpoll_release_file()
func eventpollRelease(t *sim.Thread, f *File) {
	if !f.epAny.Load() {
		return
	}
	for {
		f.ep.lock.Lock(t)
		if len(f.ep.items) == 0 {
			f.ep.lock.Unlock(t)
			return
		}
		epi := f.ep.items[0]
		f.ep.lock.Unlock(t)
		ep := epi.ep
		ep.mtx.Lock(t)
		ep.remove(t, epi)
		ep.mtx.Unlock(t)
	}
}
