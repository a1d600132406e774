// Package exec runs an unmodified Linux program with its io_uring served
// by the simulator: `uringsim exec -- PROG ARGS`.
//
// The supervisor starts the program through a launcher (the uringsim
// binary re-executed with ChildCommand) that installs a seccomp filter
// returning SECCOMP_RET_USER_NOTIF for the io_uring system calls (and
// close, exit), hands the listener back and execs the program. The
// supervisor takes each notification on the simulated machine's main
// thread and hands it to the calling thread's own simulated task
// (progThread): the io_uring calls go to the simulated kernel, made by
// that task on an address space that is the program's memory
// (mm.NewRemote); everything else continues to the host
// (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
// A ring's descriptor in the program is a memfd holding the ring's pages
// at the mmap offsets (IORING_OFF_SQ_RING, IORING_OFF_SQES, …), so the
// program's own mmap of it maps the pages the simulator uses.
//
// This is host-side glue, not kernel-side code: it talks to the host
// kernel. The simulated world advances only while a program thread is
// stopped in a notified system call, and other threads' calls enter it
// only when nothing simulated can run (idle), so a single-threaded
// program's run is a function of (program, input, seed) and a
// multi-threaded one's also of the order its calls reach the supervisor.
// docs/exec.md has the design and what stays outside the model.
package exec

import (
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/uring"
	"github.com/uringsim/uringsim/vfs"
)

// Config configures one supervised run.
type Config struct {
	// Self is the uringsim binary to re-execute as the launcher
	// (default: os.Executable).
	Self string
	// Seed, Strategy and Sink configure the simulated machine as
	// uring.SimConfig's fields do.
	Seed     uint64
	Strategy sim.Strategy
	Sink     sim.Sink
	// Stdin, Stdout and Stderr are the program's (default: the
	// supervisor's own).
	Stdin, Stdout, Stderr *os.File
	// Log receives the supervisor's own messages (default: os.Stderr).
	Log io.Writer
}

// Result is how the program ended.
type Result struct {
	ExitCode int            // its exit status, or 128+signal
	Signal   syscall.Signal // the signal that killed it, or 0
	Calls    int64          // notifications served
	Threads  int            // program threads given a simulated task

	// Pages of the program's memory read, written back, and refused
	// at write-back (mm.AddressSpace.RemoteStats).
	PagesRead, PagesWritten, WritesDropped int64
	// SoftDirty: while the program had one thread, each call re-read
	// only the pages it wrote (soft-dirty tracking); without it, or with
	// more threads, every page held (mm.AddressSpace.SoftDirty).
	SoftDirty bool
}

// ringFile is one ring the program holds: the memfd that is its
// descriptor in the program.
type ringFile struct {
	memfd int
	size  int64 // the memfd's length
}

// supervisor is the state of one run.
type supervisor struct {
	cfg      Config
	listener int
	pid      int
	m        *uring.Machine
	task     *kernel.Task
	as       *mm.AddressSpace
	rings    map[int]*ringFile // by the program's descriptor (= the simulator's)
	pidfd    int
	poller   vfs.HostPoller
	ours     map[uint32]bool    // tid -> a thread of the program (not of a child it forked)
	warned   map[[2]uint64]bool // (tid, call) of a child process already reported unsupported
	calls    int64
	failure  error // set when the run must end (deadlock, lost process)

	threads map[uint32]*progThread // by tid: the program's threads that made a notified call
	queue   []*seccompNotif        // received, not yet dispatched
	inCall  int                    // program threads stopped in a call a progThread serves
	// still: the world has not run since answerAll wrote the
	// program's memory back, so the kernel side changed none of it.
	still   bool
	answers []answer // served calls whose answer waits for the world to stop
	exited  bool     // the program has ended

	progName string // the program's base name (the trace's process name)
	nthreads int    // program threads given a task so far
}

// Supported reports whether the host can run Run: seccomp user
// notification, and so the filter and listener, are available.
func Supported() error {
	b, err := os.ReadFile("/proc/sys/kernel/seccomp/actions_avail")
	if err != nil {
		return fmt.Errorf("seccomp: %v", err)
	}
	for _, a := range splitFields(string(b)) {
		if a == "user_notif" {
			return nil
		}
	}
	return errors.New("seccomp user_notif is not in /proc/sys/kernel/seccomp/actions_avail")
}

func splitFields(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' || s[i] == '\n' || s[i] == '\t' {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	return out
}

// Run runs args (PROG ARGS) under the supervisor and returns how it
// ended. It must be called from the goroutine that is to be the
// simulated machine's main thread; it returns when the program has exited
// and every descriptor and the machine are released.
func Run(cfg Config, args []string) (Result, error) {
	if len(args) == 0 {
		return Result{}, errors.New("no program given")
	}
	if cfg.Log == nil {
		cfg.Log = os.Stderr
	}
	if cfg.Stdin == nil {
		cfg.Stdin = os.Stdin
	}
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.Stderr == nil {
		cfg.Stderr = os.Stderr
	}
	if cfg.Self == "" {
		self, err := os.Executable()
		if err != nil {
			return Result{}, err
		}
		cfg.Self = self
	}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return Result{}, err
	}
	ours := os.NewFile(uintptr(pair[0]), "exec-supervisor")
	theirs := os.NewFile(uintptr(pair[1]), "exec-launcher")
	defer ours.Close()
	cmd := osexec.Command(cfg.Self, append([]string{ChildCommand}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = cfg.Stdin, cfg.Stdout, cfg.Stderr
	cmd.ExtraFiles = []*os.File{theirs}
	// A process group of its own, whose leftovers are killed at the end
	// (children.go); the foreground one where the supervisor's is.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	fg := foreground(cfg.Stdin)
	if fg {
		cmd.SysProcAttr.Foreground, cmd.SysProcAttr.Ctty = true, 0
	}
	if err := cmd.Start(); err != nil {
		theirs.Close()
		return Result{}, err
	}
	theirs.Close()
	listener, err := recvListener(pair[0])
	if err != nil {
		// The launcher failed before the exec (and said why).
		return waitResult(cmd, 0)
	}
	defer unix.Close(listener)
	s := &supervisor{cfg: cfg, listener: listener, pid: cmd.Process.Pid, rings: map[int]*ringFile{}, ours: map[uint32]bool{}, warned: map[[2]uint64]bool{}, threads: map[uint32]*progThread{}, progName: filepath.Base(args[0])}
	if err := s.start(); err != nil {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		return Result{}, err
	}
	s.loop()
	if s.failure != nil {
		fmt.Fprintf(cfg.Log, "uringsim exec: %v\n", s.failure)
		_ = cmd.Process.Kill()
	}
	s.killGroup()
	if fg {
		takeForeground(cfg.Stdin)
	}
	res, werr := waitResult(cmd, s.calls)
	res.PagesRead, res.PagesWritten, res.WritesDropped = s.as.RemoteStats()
	res.SoftDirty = s.as.SoftDirty()
	res.Threads = s.nthreads
	s.release()
	if werr == nil && s.failure != nil && res.ExitCode == 0 {
		res.ExitCode = 1
	}
	return res, werr
}

// recvListener receives the listener the launcher sends.
func recvListener(sock int) (int, error) {
	buf := make([]byte, 1)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(sock, buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return -1, err
	}
	if n == 0 {
		return -1, io.EOF
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return -1, errors.New("no listener from the launcher")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return -1, errors.New("no listener from the launcher")
	}
	return fds[0], nil
}

// waitResult waits for the program and says how it ended.
func waitResult(cmd *osexec.Cmd, calls int64) (Result, error) {
	err := cmd.Wait()
	res := Result{Calls: calls}
	if cmd.ProcessState == nil {
		return res, err
	}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled():
		res.Signal = ws.Signal()
		res.ExitCode = 128 + int(res.Signal)
	default:
		res.ExitCode = ws.ExitStatus()
	}
	return res, nil
}

// start builds the simulated machine, whose process's memory is the
// program's.
func (s *supervisor) start() error {
	s.m = uring.NewSimMachine(uring.SimConfig{Seed: s.cfg.Seed, Strategy: s.cfg.Strategy, Sink: s.cfg.Sink})
	as, err := mm.NewRemote(s.pid)
	if err != nil {
		s.m.Close()
		return err
	}
	p := s.m.Process()
	p.MM.Release()
	p.MM = as
	s.as, s.task = as, s.m.Task()
	if s.pidfd, err = unix.PidfdOpen(s.pid, 0); err != nil {
		s.m.Close()
		return fmt.Errorf("pidfd_open: %v", err)
	}
	// The program's descriptors are its own: the simulator's 0, 1 and 2
	// go, and a descriptor the simulator does not know is the program's,
	// fetched when first named (pidfd_getfd).
	t := s.task.Thread
	for fd := range 3 {
		p.Files.Close(t, fd)
	}
	k := s.m.Kernel()
	p.Files.SetMissing(func(fd int) *vfs.File {
		hfd, err := unix.PidfdGetfd(s.pidfd, fd, 0)
		if err != nil {
			return nil
		}
		f, err := vfs.NewHostFile(hfd, k.NewFileID(), &s.poller)
		if err != nil {
			unix.Close(hfd)
			return nil
		}
		return f
	})
	s.hostDescriptors(p, k)
	s.hostPaths(k)
	w := s.m.World()
	s.poller.Signals = s.pendingSignals
	w.Go(w.Main(), "hostpoll", s.poller.Run)
	w.SetIdle(s.idle)
	return nil
}

// loop answers notifications until the program has exited or the run
// failed. It runs on the world's main thread, which receives the
// notifications and hands each to the program thread's task. While no
// program thread is stopped in a call it serves, the world is frozen and
// the main thread waits in the host for the next notification; while one
// is, the world runs and the main thread waits in it, and the next
// notifications are taken when nothing simulated can run (idle).
func (s *supervisor) loop() {
	main := s.m.Task()
	for s.failure == nil && !s.exited {
		if s.inCall == 0 {
			s.answerAll()
			fds := s.hostFds()
			if _, err := unix.Poll(fds, -1); err != nil {
				if err == unix.EINTR {
					continue
				}
				s.failure = fmt.Errorf("poll: %v", err)
				return
			}
			s.take(fds)
		} else if s.still = false; !main.WaitUser("uringsim exec: supervisor", func() bool {
			return len(s.queue) > 0 || s.exited || s.inCall == 0 || s.failure != nil
		}) {
			if rep := s.m.World().Deadlock(); rep != nil && s.failure == nil {
				s.failure = fmt.Errorf("the simulated kernel is deadlocked (the program waits for what cannot come):\n%v", rep)
			}
			return
		}
		for len(s.queue) > 0 && s.failure == nil {
			n := s.queue[0]
			s.queue = s.queue[1:]
			s.dispatch(n)
		}
	}
}

// dispatch hands notification n to the thread that made it, or answers
// it at once when no simulated state is involved.
func (s *supervisor) dispatch(n *seccompNotif) {
	s.calls++
	if !s.ourThread(n.Pid) {
		// A process the program forked (or one it exec'd): its
		// descriptors and memory are not the simulated process's.
		switch n.Data.Nr {
		case unix.SYS_IO_URING_SETUP, unix.SYS_IO_URING_ENTER, unix.SYS_IO_URING_REGISTER:
			// One line per process and call: a child that retries in
			// a loop would fill the log.
			key := [2]uint64{uint64(n.Pid), uint64(n.Data.Nr)}
			if s.warned[key] {
				s.respond(n, ret(-int(unix.ENOSYS)))
				return
			}
			s.warned[key] = true
			s.respond(n, s.unsupported(n, "from a child process of the program"))
		default:
			s.respond(n, cont)
		}
		return
	}
	a := &n.Data.Args
	switch n.Data.Nr {
	case unix.SYS_MMAP:
		if s.rings[int(int32(a[4]))] != nil && a[5] == rings.IORING_OFF_CQ_RING {
			s.respond(n, s.unsupported(n, "of IORING_OFF_CQ_RING (the CQ ring is in the SQ ring's mapping: IORING_FEAT_SINGLE_MMAP)"))
			return
		}
		s.respond(n, cont)
		return
	case unix.SYS_EXIT:
		if s.threads[n.Pid] == nil {
			delete(s.ours, n.Pid)
			s.respond(n, cont) // a thread that never needed a task
			return
		}
	case unix.SYS_CLOSE, unix.SYS_DUP2, unix.SYS_DUP3, unix.SYS_CLOSE_RANGE,
		unix.SYS_IO_URING_SETUP, unix.SYS_IO_URING_ENTER, unix.SYS_IO_URING_REGISTER:
	default:
		s.respond(n, s.unsupported(n, ""))
		return
	}
	// The program's memory as it is now, after what the kernel wrote
	// there while another thread was in it, read before the world goes on:
	// from the wakeup below, io-wq workers may read and write it before
	// the thread's own sim thread runs, and must see what the program
	// wrote since it was last read.
	if !s.still {
		s.as.Sync()
	}
	if err := s.as.Refresh(); err != nil || !idValid(s.listener, n.ID) {
		switch n.Data.Nr {
		case unix.SYS_IO_URING_SETUP, unix.SYS_IO_URING_ENTER, unix.SYS_IO_URING_REGISTER:
			s.respond(n, ret(-int(unix.ESRCH)))
			return
		}
	}
	pt := s.thread(n.Pid)
	if pt.n != nil {
		// The thread is still in a call the simulator serves, so a
		// signal interrupted that call in the host: the handler ran,
		// and this is the restarted call or the next one. As a signal
		// does in Linux, it interrupts the simulated call, whose
		// interruptible waits end with -EINTR; then this one is served.
		pt.next = n
		pt.task.Thread.Signal(s.mainThread())
		return
	}
	pt.n = n
	s.inCall++
	pt.task.Thread.WakeUp(s.mainThread())
}

// cont is the answer that lets the call go on to the host.
var cont = seccompNotifResp{Flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE}

// ret is the answer returning r (a result, or a negated errno).
func ret(r int) seccompNotifResp {
	if r < 0 {
		return seccompNotifResp{Error: int32(r)}
	}
	return seccompNotifResp{Val: int64(r)}
}

// serve answers one notification of a program thread, on its task; the
// caller writes the program's memory back (Sync).
func (s *supervisor) serve(task *kernel.Task, n *seccompNotif) seccompNotifResp {
	a := &n.Data.Args
	switch n.Data.Nr {
	case unix.SYS_CLOSE:
		s.close(task, int(int32(a[0])))
		return cont
	case unix.SYS_DUP2, unix.SYS_DUP3:
		if int32(a[0]) != int32(a[1]) {
			s.close(task, int(int32(a[1]))) // replaced by the dup
		}
		return cont
	case unix.SYS_CLOSE_RANGE:
		if a[2]&unix.CLOSE_RANGE_CLOEXEC == 0 {
			for fd := a[0]; fd <= a[1] && fd < vfs.MaxFDs; fd++ {
				s.close(task, int(fd))
			}
		}
		return cont
	}
	var r int
	switch n.Data.Nr {
	case unix.SYS_IO_URING_SETUP:
		r = s.setup(task, n, uint32(a[0]), a[1])
	case unix.SYS_IO_URING_ENTER:
		r = kernel.IoUringEnter(task, int(int32(a[0])), uint32(a[1]), uint32(a[2]), uint32(a[3]), a[4], a[5])
	case unix.SYS_IO_URING_REGISTER:
		r = s.register(task, int(int32(a[0])), uint32(a[1]), a[2], uint32(a[3]))
	}
	return ret(r)
}

// unsupported answers a notified call the simulator cannot serve:
// -ENOSYS, with one line naming it, why and the program counter.
func (s *supervisor) unsupported(n *seccompNotif, why string) seccompNotifResp {
	if why != "" {
		why = " " + why
	}
	fmt.Fprintf(s.cfg.Log, "uringsim exec: unsupported: %s%s at pc=%#x (tid %d): -ENOSYS\n",
		syscallName(n.Data.Nr), why, n.Data.IP, n.Pid)
	return ret(-int(unix.ENOSYS))
}

// ourThread reports whether tid is a thread of the program itself
// (its thread group is the program's), remembering the answer.
func (s *supervisor) ourThread(tid uint32) bool {
	if ok, known := s.ours[tid]; known {
		return ok
	}
	ok := int(tid) == s.pid || tgidOf(tid) == s.pid
	s.ours[tid] = ok
	return ok
}

// tgidOf is the thread group of tid (/proc/TID/status), or -1.
func tgidOf(tid uint32) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(int(tid)) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Tgid:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// setup is io_uring_setup: the simulated kernel's ring, whose pages then
// move into a memfd installed in the program at the descriptor number the
// simulator's table also uses.
func (s *supervisor) setup(task *kernel.Task, n *seccompNotif, entries uint32, params uint64) int {
	t := task.Thread
	fd := kernel.IoUringSetup(task, entries, params)
	if fd < 0 {
		return fd
	}
	fail := func(err error) int {
		fmt.Fprintf(s.cfg.Log, "uringsim exec: io_uring_setup: %v\n", err)
		kernel.Close(task, fd)
		return -int(unix.ENOMEM)
	}
	rr, sqes, errno := kernel.RingRegions(task, fd)
	if errno != 0 {
		return fail(unix.Errno(-errno))
	}
	memfd, err := unix.MemfdCreate("[io_uring]", unix.MFD_CLOEXEC)
	if err != nil {
		return fail(err)
	}
	rf := &ringFile{memfd: memfd}
	for _, r := range []struct {
		reg *mm.Region
		off int64
	}{{rr, int64(rings.IORING_OFF_SQ_RING)}, {sqes, int64(rings.IORING_OFF_SQES)}} {
		if r.reg == nil {
			continue
		}
		if err := rf.place(r.reg, r.off); err != nil {
			unix.Close(memfd)
			return fail(err)
		}
	}
	pfd, err := addFd(s.listener, n.ID, memfd, unix.O_CLOEXEC)
	if err != nil {
		unix.Close(memfd)
		return fail(err)
	}
	if errno := task.Proc.Files.Move(t, fd, pfd); errno != 0 {
		unix.Close(memfd)
		return fail(unix.Errno(-errno))
	}
	s.rings[pfd] = rf
	return pfd
}

// place moves region r into the ring's memfd at off, growing the file.
func (rf *ringFile) place(r *mm.Region, off int64) error {
	if end := off + int64(len(r.Mem)); end > rf.size {
		if err := unix.Ftruncate(rf.memfd, end); err != nil {
			return err
		}
		rf.size = end
	}
	return r.MoveToFile(rf.memfd, off)
}

// register is io_uring_register; a kernel-allocated buffer ring
// (IOU_PBUF_RING_MMAP) then moves into the ring's memfd at its offset.
func (s *supervisor) register(task *kernel.Task, fd int, opcode uint32, arg uint64, nrArgs uint32) int {
	r := kernel.IoUringRegister(task, fd, opcode, arg, nrArgs)
	if r < 0 || opcode != rings.IORING_REGISTER_PBUF_RING {
		return r
	}
	rf := s.rings[fd]
	var reg [40]byte // struct io_uring_buf_reg
	if rf == nil || s.as.CopyFromUser(reg[:], arg) != 0 {
		return r
	}
	bgid := uint16(reg[12]) | uint16(reg[13])<<8
	flags := uint16(reg[14]) | uint16(reg[15])<<8
	if flags&rings.IOU_PBUF_RING_MMAP == 0 {
		return r
	}
	if region := kernel.PbufRingRegion(task, fd, bgid); region != nil {
		off := int64(rings.IORING_OFF_PBUF_RING | uint64(bgid)<<rings.IORING_OFF_PBUF_SHIFT)
		if err := rf.place(region, off); err != nil {
			fmt.Fprintf(s.cfg.Log, "uringsim exec: buffer ring %d: %v\n", bgid, err)
		}
	}
	return r
}

// close follows the program's close(2) of a descriptor into the
// simulator: a ring is closed there, a host file forgotten.
func (s *supervisor) close(task *kernel.Task, fd int) {
	rf := s.rings[fd]
	if rf == nil {
		task.Proc.Files.Drop(task.Thread, fd)
		return
	}
	delete(s.rings, fd)
	kernel.Close(task, fd)
	unix.Close(rf.memfd)
}

// release closes every ring and shuts the machine down.
func (s *supervisor) release() {
	for fd := 0; len(s.rings) > 0 && fd < 1<<20; fd++ {
		s.close(s.task, fd)
	}
	s.task.Proc.Files.CloseAll(s.task.Thread)
	s.m.Close()
	unix.Close(s.pidfd)
}
