package vfs

import (
	"encoding/binary"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/sim"
)

// HostFile is a file that is a host descriptor: under uringsim exec, a
// copy (pidfd_getfd) of one of the program's own descriptors, so reads,
// writes and polls reach the very pipe, socket or regular file the
// program has open. A regular file is read and written at the simulated
// file's position with pread/pwrite; any other file is a stream, tried
// without blocking (preadv2/pwritev2 with RWF_NOWAIT) and, where that
// would block, waited for on the file's wait queue, which a HostPoller
// wakes when the host descriptor becomes ready. Its readiness is the
// host's, sampled when a poll looks (vfs_poll) and at the world's
// scheduling points (HostPoller.Ready), so it is a function of the run
// where the program's own actions make the descriptor ready.
//
// Differs from Linux: the simulated file position of a regular file
// starts at 0 and is not the host descriptor's; a stream's readiness is
// seen at scheduling points, not the instant it changes.
type HostFile struct {
	Fd     int // our copy of the descriptor; closed at release
	stream bool
	wq     sim.WaitQueueHead
	poller *HostPoller

	interest uint32 // EPOLL bits the file's waiters asked for
	woken    uint32 // bits woken since the host last showed them clear

	evfd *EventfdCtx // a host eventfd's context (IORING_REGISTER_EVENTFD), or nil

	// sigmask is a host signalfd's mask (bit N-1 for signal N), 0 for
	// any other file. A signalfd is readable when a signal of its mask is
	// pending for the task that looks, so the supervisor's poll(2) of its
	// copy says nothing of the program's: its readiness is
	// HostPoller.Signals against the mask.
	sigmask uint64
}

// hostFileOps are the file operations of a HostFile.
type hostFileOps struct{}

// NewHostFile wraps the host descriptor fd (taking it over) as a file,
// its f_flags the descriptor's status flags; poller, if not nil, wakes
// its waiters. A regular file is seekable; anything else is a stream
// that supports IOCB_NOWAIT and poll.
func NewHostFile(fd int, id uint64, poller *HostPoller) (*File, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return nil, err
	}
	h := &HostFile{Fd: fd, stream: st.Mode&unix.S_IFMT != unix.S_IFREG, poller: poller}
	var op Operations = hostFileOps{}
	switch {
	case !h.stream:
		op = hostRegFileOps{}
	case st.Mode&unix.S_IFMT == unix.S_IFSOCK:
		hs, err := newHostSock(fd)
		if err != nil {
			return nil, err
		}
		hs.h, op = h, hs
	case isHostEventfd(fd):
		h.evfd = &EventfdCtx{host: h}
	default:
		h.sigmask = hostSignalfdMask(fd)
	}
	f := NewFile(op, h, "host:"+itoa(uint64(fd)), uint32(fl)&^unix.O_CLOEXEC, id)
	if h.stream {
		f.FMode |= FMODE_STREAM | FMODE_NOWAIT
	} else {
		f.FMode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE | FMODE_ATOMIC_POS
	}
	if poller != nil {
		poller.files = append(poller.files, h)
	}
	return f, nil
}

// hostRegFileOps are the file operations of a HostFile that is a regular
// file: a host file's, and its size set with ftruncate(2). That it can be
// truncated is what makes it S_ISREG to the kernel side (vfs.IsReg,
// REQ_F_ISREG): its io-wq work is bound and hashed, not unbound, which a
// task's exit would cancel.
type hostRegFileOps struct{ hostFileOps }

// Truncate sets the host file's size.
// Linux: fs/open.c:do_truncate()
func (hostRegFileOps) Truncate(t *sim.Thread, f *File, size int64) int {
	if err := unix.Ftruncate(f.Private.(*HostFile).Fd, size); err != nil {
		return errnoOf(err)
	}
	return 0
}

// Fallocate is fallocate(2) on the host file (mode already validated).
// Linux: fs/open.c:vfs_fallocate()
func (hostRegFileOps) Fallocate(t *sim.Thread, f *File, mode int32, off, length int64) int {
	if err := unix.Fallocate(f.Private.(*HostFile).Fd, uint32(mode), off, length); err != nil {
		return errnoOf(err)
	}
	return 0
}

// Fsync is fsync(2), or fdatasync(2) with datasync, on the host file: the
// host syncs the whole file whatever the range.
// Linux: fs/sync.c:vfs_fsync_range()
func (hostRegFileOps) Fsync(t *sim.Thread, f *File, start, end int64, datasync bool) int {
	fd := f.Private.(*HostFile).Fd
	sync := unix.Fsync
	if datasync {
		sync = unix.Fdatasync
	}
	if err := sync(fd); err != nil {
		return errnoOf(err)
	}
	return 0
}

// HostFileOf is the HostFile behind f, or nil.
func HostFileOf(f *File) *HostFile {
	h, _ := f.Private.(*HostFile)
	return h
}

func (hostFileOps) Release(t *sim.Thread, f *File) {
	h := f.Private.(*HostFile)
	if p := h.poller; p != nil {
		for i, o := range p.files {
			if o == h {
				p.files = append(p.files[:i], p.files[i+1:]...)
				break
			}
		}
	}
	_ = unix.Close(h.Fd)
}

func errnoOf(err error) int {
	if e, ok := err.(unix.Errno); ok {
		return -int(e)
	}
	return -int(unix.EIO)
}

func (hostFileOps) Read(t *sim.Thread, f *File, dst []byte, off *int64, nonblock bool) int {
	h := f.Private.(*HostFile)
	if !h.stream {
		n, err := unix.Pread(h.Fd, dst, *off)
		if err != nil {
			return errnoOf(err)
		}
		*off += int64(n)
		return n
	}
	return h.wait(t, f, unix.POLLIN, nonblock, func() (int, error) {
		return unix.Preadv2(h.Fd, [][]byte{dst}, -1, unix.RWF_NOWAIT)
	})
}

func (hostFileOps) Write(t *sim.Thread, f *File, src []byte, off *int64, nonblock bool) int {
	h := f.Private.(*HostFile)
	if !h.stream {
		n, err := unix.Pwrite(h.Fd, src, *off)
		if err != nil {
			return errnoOf(err)
		}
		*off += int64(n)
		return n
	}
	return h.wait(t, f, unix.POLLOUT, nonblock, func() (int, error) {
		return unix.Pwritev2(h.Fd, [][]byte{src}, -1, unix.RWF_NOWAIT)
	})
}

// wait runs try, which must not block, until it does not fail with
// EAGAIN: at once with nonblock (IOCB_NOWAIT) or O_NONBLOCK, else asleep
// on the file's wait queue between attempts; -ERESTARTSYS if a signal
// ends the sleep.
// Linux: fs/pipe.c:pipe_read() (wait_event_interruptible_exclusive)
func (h *HostFile) wait(t *sim.Thread, f *File, events int16, nonblock bool, try func() (int, error)) int {
	for {
		n, err := try()
		if err == nil {
			return n
		}
		if err != unix.EAGAIN {
			return errnoOf(err)
		}
		h.notReady(uint32(events))
		if nonblock || f.Flags&unix.O_NONBLOCK != 0 {
			return -int(unix.EAGAIN)
		}
		if h.sleep(t, uint32(events)) != 0 {
			return -ERESTARTSYS
		}
	}
}

// notReady records that the host just refused an attempt for want of
// events (EAGAIN): the woken bits for them are stale, so the HostPoller
// watches for them again. Without this a multishot request, which goes
// back to waiting without polling the file, would never be woken again.
func (h *HostFile) notReady(events uint32) { h.woken &^= events }

// sleep waits on the file's wait queue until the host descriptor shows
// one of events (at once if it does already); -ERESTARTSYS if a signal
// ends the sleep, else 0. The caller tries again after it.
func (h *HostFile) sleep(t *sim.Thread, events uint32) int {
	var e sim.WaitQueueEntry
	h.notReady(events)
	h.interest |= events
	h.wq.PrepareToWait(t, &e, sim.TaskInterruptible)
	if h.ready(events) == 0 {
		t.Schedule()
	}
	h.wq.FinishWait(t, &e)
	if t.SignalPending() {
		return -ERESTARTSYS
	}
	return 0
}

// ready is the host descriptor's current EPOLL mask within events (poll
// with a zero timeout; POLLERR and POLLHUP always count), clearing the
// woken bits the host shows clear.
func (h *HostFile) ready(events uint32) uint32 {
	if h.sigmask != 0 {
		return h.signalfdReady(events)
	}
	fds := []unix.PollFd{{Fd: int32(h.Fd), Events: int16(events)}}
	if n, err := unix.Poll(fds, 0); err != nil || n == 0 {
		h.woken = 0
		return 0
	}
	got := uint32(uint16(fds[0].Revents))
	h.woken &= got
	return got
}

func (hostFileOps) Poll(t *sim.Thread, f *File, pt *PollTable) uint32 {
	h := f.Private.(*HostFile)
	PollWait(t, f, &h.wq, pt)
	want := uint32(unix.POLLIN | unix.POLLOUT | unix.POLLPRI | unix.POLLRDHUP)
	if pt != nil && pt.Key != 0 {
		h.interest |= pt.Key
	}
	return h.ready(want)
}

// HostPoller watches the HostFiles of a world: Ready, called by the
// scheduler when nothing can run (sim.World.SetIdle), finds which host
// descriptors with waiters became ready, and Run, the body of the
// thread Ready wakes, wakes their wait queues with the ready mask (the
// device interrupt of an external event).
type HostPoller struct {
	files   []*HostFile // in creation order
	pending []*HostFile // ready, to wake
	masks   []uint32
	thread  *sim.Thread

	// Signals, if set, returns the signals pending for the program
	// (bit N-1 for signal N): what its signalfds are readable for.
	Signals func() uint64
}

// Ready samples the watched descriptors — those with waiters and
// interest not yet woken — without waiting, or with block until one is
// ready (not at all if none is watched). It returns the poller's thread
// to wake when some are ready, else nil. It is called inside the
// scheduler, so it touches no sim state.
func (p *HostPoller) Ready(block bool) *sim.Thread {
	timeout := 0
	if block {
		timeout = -1
	}
	return p.ReadyWithin(timeout, nil)
}

// ReadyWithin is Ready waiting at most timeout milliseconds (-1: until
// one is ready), with the caller's own descriptors also in the same
// poll(2) (their Revents are set): it returns once a watched file or one
// of also is ready, or the time is up. Nothing is polled when neither a
// file is watched nor also is given.
func (p *HostPoller) ReadyWithin(timeout int, also []unix.PollFd) *sim.Thread {
	var fds []unix.PollFd
	var hs []*HostFile
	for i := range also {
		also[i].Revents = 0
	}
	var sigfds []*HostFile // watched signalfds: not for poll(2)
	if p.thread != nil && len(p.pending) == 0 {
		for _, h := range p.files {
			if !h.wq.Active() {
				h.interest, h.woken = 0, 0
				continue
			}
			if ev := h.interest &^ h.woken; ev != 0 {
				if h.sigmask != 0 {
					sigfds = append(sigfds, h)
					continue
				}
				fds = append(fds, unix.PollFd{Fd: int32(h.Fd), Events: int16(ev)})
				hs = append(hs, h)
			}
		}
	}
	if len(fds)+len(also)+len(sigfds) == 0 {
		return nil
	}
	fds = append(fds, also...)
	// With signalfds watched, poll in slices of signalfdPollMs and look
	// at the program's pending signals between them.
	slice, slices := timeout, 1 // slices < 0: for ever
	if len(sigfds) > 0 && (timeout < 0 || timeout > signalfdPollMs) {
		slice, slices = signalfdPollMs, -1
		if timeout > 0 {
			slices = (timeout + signalfdPollMs - 1) / signalfdPollMs
		}
	}
	for i := 0; ; i++ {
		if p.signalfdsReady(sigfds) {
			return p.thread
		}
		if slices >= 0 && i == slices {
			return nil
		}
		n, err := unix.Poll(fds, slice)
		if err == unix.EINTR {
			i--
			continue
		}
		if err != nil {
			return nil
		}
		if n > 0 {
			break
		}
	}
	copy(also, fds[len(hs):])
	woke := p.signalfdsReady(sigfds)
	for i, h := range hs {
		if fd := fds[i]; fd.Revents != 0 {
			m := uint32(uint16(fd.Revents))
			h.woken |= m
			p.pending = append(p.pending, h)
			p.masks = append(p.masks, m)
			woke = true
		}
	}
	if !woke {
		return nil
	}
	return p.thread
}

// Run is the poller thread's body: it sleeps until Ready wakes it, then
// wakes every ready file's waiters with its mask, until the world shuts
// down.
func (p *HostPoller) Run(t *sim.Thread) {
	p.thread = t
	for {
		t.SetState(sim.TaskInterruptible)
		if len(p.pending) == 0 {
			t.Schedule()
		}
		t.SetState(sim.TaskRunning)
		if t.SignalPending() {
			t.ClearSignal()
		}
		hs, ms := p.pending, p.masks
		p.pending, p.masks = nil, nil
		for i, h := range hs {
			if h.evfd != nil && ms[i]&^(unix.POLLIN|unix.POLLOUT) == 0 {
				// The host's eventfd_write/eventfd_read woke its
				// waiters with in_eventfd set; these stand for them.
				eventfdWake(t, func() { h.wq.WakeUpAll(t, ms[i]) })
				continue
			}
			h.wq.WakeUpAll(t, ms[i])
		}
	}
}

// signalfdPollMs is how often, in milliseconds of host time, a wait of
// the HostPoller looks at the program's pending signals for the
// signalfds it watches.
const signalfdPollMs = 10

// signalfdsReady queues the signalfds of hs that are readable, and
// reports whether there were any.
func (p *HostPoller) signalfdsReady(hs []*HostFile) bool {
	woke := false
	for _, h := range hs {
		if m := h.signalfdReady(h.interest &^ h.woken); m != 0 {
			h.woken |= m
			p.pending = append(p.pending, h)
			p.masks = append(p.masks, m)
			woke = true
		}
	}
	return woke
}

// signalfdReady is a host signalfd's EPOLL mask within events: EPOLLIN
// when a signal of its mask is pending for the program (the poller's
// Signals; never without it). The woken bits the mask shows clear are
// cleared.
// Linux: fs/signalfd.c:signalfd_poll()
func (h *HostFile) signalfdReady(events uint32) uint32 {
	got := uint32(0)
	if p := h.poller; p != nil && p.Signals != nil && p.Signals()&h.sigmask != 0 {
		got = unix.POLLIN
	}
	h.woken &= got
	return got & events
}

// hostSignalfdMask is the mask of the host descriptor fd if it is a
// signalfd ("sigmask:" of its fdinfo), else 0.
func hostSignalfdMask(fd int) uint64 {
	var buf [32]byte
	n, err := unix.Readlink("/proc/self/fd/"+itoa(uint64(fd)), buf[:])
	if err != nil || string(buf[:n]) != "anon_inode:[signalfd]" {
		return 0
	}
	info, err := unix.Open("/proc/self/fdinfo/"+itoa(uint64(fd)), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	defer unix.Close(info)
	var text [512]byte
	n, _ = unix.Read(info, text[:])
	for line := range strings.SplitSeq(string(text[:max(n, 0)]), "\n") {
		if hex, ok := strings.CutPrefix(line, "sigmask:"); ok {
			mask, _ := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			return mask
		}
	}
	return 0
}

// isHostEventfd reports whether the host descriptor fd is an eventfd.
func isHostEventfd(fd int) bool {
	var buf [32]byte
	n, err := unix.Readlink("/proc/self/fd/"+itoa(uint64(fd)), buf[:])
	return err == nil && string(buf[:n]) == "anon_inode:[eventfd]"
}

// eventfdSignal adds 1 to a host eventfd's counter with write(2) unless
// the counter is at its limit (not POLLOUT: the write would block), then
// wakes the file's waiters with EPOLLIN|mask.
// Linux: fs/eventfd.c:eventfd_signal_mask()
func (h *HostFile) eventfdSignal(t *sim.Thread, mask uint32) {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	if h.ready(unix.POLLOUT)&unix.POLLOUT != 0 {
		_, _ = unix.Write(h.Fd, one[:])
	}
	if h.wq.Active() {
		eventfdWake(t, func() { h.wq.WakeUpAll(t, unix.POLLIN|mask) })
	}
}
