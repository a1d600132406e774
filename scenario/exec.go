package scenario

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/uring"
)

// exec runs one command.
func (x *runner) exec(c *Command) *failure {
	switch p := c.Cmd.(type) {
	case *RingCmd:
		return x.ring(c.Line, p)
	case *MemCmd:
		return x.mem(c.Line, p)
	case *PipeCmd, *SocketpairCmd, *ListenCmd, *SocketCmd, *EventfdCmd, *EpollCmd, *FileCmd:
		return x.object(c.Line, p)
	case *NVMeCmd, *FaultCmd, *CrashCmd:
		return x.nvmeCmd(c.Line, p)
	case *CloseCmd:
		return x.closeCmd(c.Line, p)
	case *TaskCmd:
		return x.newTask(c.Line, p.Name)
	case *ExitCmd:
		return x.exitTask(c.Line, p.Task)
	case *SQECmd:
		return x.sqe(c.Line, p)
	case *SubmitCmd:
		return x.submit(c.Line, p)
	case *EnterCmd:
		return x.enter(c.Line, p)
	case *RegisterCmd:
		return x.register(c.Line, p)
	case *PokeCmd:
		return x.poke(c.Line, p)
	case *PeekCmd:
		return x.peek(c.Line, p)
	case *WriteCmd:
		return x.write(c.Line, p)
	case *ReadCmd:
		return x.read(c.Line, p)
	case *ShutdownCmd:
		return x.shutdown(c.Line, p)
	case *SleepCmd:
		x.sleep(p.Dur.D)
		return nil
	case *CQEExpect:
		return x.cqe(c.Line, p)
	case *UnorderedBlock:
		return x.unordered(c.Line, p)
	case *EitherBlock:
		return x.either(c.Line, p)
	case *NocqeCmd:
		return x.nocqe(c.Line, p)
	case *CheckCmd:
		return x.check(c.Line, p)
	case *FdinfoCmd:
		return x.fdinfo(c.Line, p)
	case *PbufCmd:
		return x.pbuf(c.Line, p)
	case *ZcrxRefillCmd:
		return x.zcrxRefill(c.Line, p)
	case *ChildCmd:
		return x.child(c.Line, p)
	case *StoreCmd:
		return x.store(c.Line, p)
	case *FutexWakeCmd:
		return x.futexWake(c.Line, p)
	}
	return failf(c.Line, "%s: not supported by the runner", c.Word)
}

// errnoOf turns an error from uring into a negative errno (or -EIO for
// anything else, with ok false).
func errnoOf(err error) (int64, bool) {
	var e unix.Errno
	if errors.As(err, &e) {
		return -int64(e), true
	}
	return -int64(unix.EIO), false
}

// fmtErr formats an error as the errno name when it is one.
func fmtErr(err error) string {
	if n, ok := errnoOf(err); ok {
		return FormatRes(n)
	}
	return err.Error()
}

// checkRet checks a system call's result against expect=. Without expect=
// an error is a failure.
func checkRet(line int, what string, ret int64, err error, expect Num) *failure {
	if err != nil {
		n, ok := errnoOf(err)
		if !ok {
			return failf(line, "%s: %v", what, err)
		}
		ret = n
	}
	if expect.Set {
		if !expect.Matches(uint64(ret)) {
			return failf(line, "expected %s = %s, got %s", what, FormatRes(expect.Int()), FormatRes(ret))
		}
		return nil
	}
	if ret < 0 {
		return failf(line, "%s failed: %s", what, FormatRes(ret))
	}
	return nil
}

func (x *runner) ringOf(line int, name string) (*ringState, *failure) {
	rs, ok := x.rings[name]
	if !ok {
		return nil, failf(line, "ring %s was not set up", name)
	}
	if rs.closed {
		return nil, failf(line, "ring %s is closed", name)
	}
	return rs, nil
}

// scratchMem returns size bytes of zeroed user memory that lives until the
// end of the run.
func (x *runner) scratchMem(line int, size uint64) ([]byte, *failure) {
	if size == 0 {
		size = 1
	}
	b, err := x.be.Alloc(size)
	if err != nil {
		return nil, failf(line, "allocating %d bytes of user memory: %v", size, err)
	}
	x.scratch = append(x.scratch, b)
	return b[:size], nil
}

func addr(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&b[0])))
}

// ---- objects ----

func (x *runner) ring(line int, c *RingCmd) *failure {
	p := &uring.Params{
		Flags:        uint32(c.Flags.V),
		CQEntries:    uint32(c.CQEntries.V),
		SQThreadIdle: uint32(c.SQThreadIdle.D / time.Millisecond),
	}
	if c.WQ != "" {
		w, f := x.ringOf(line, c.WQ)
		if f != nil {
			return f
		}
		p.WQFd = uint32(w.r.FD())
	}
	r, err := uring.New(x.be, uint32(c.Entries.V), p)
	if c.Expect.Set {
		if err == nil {
			x.addRing(c.Name, r)
			if c.Expect.Any {
				return nil
			}
			return failf(line, "expected io_uring_setup = %s, got a ring", FormatRes(c.Expect.Int()))
		}
		n, ok := errnoOf(err)
		if !ok {
			return failf(line, "ring %s: %v", c.Name, err)
		}
		if !c.Expect.Matches(uint64(n)) {
			return failf(line, "expected io_uring_setup = %s, got %s", FormatRes(c.Expect.Int()), FormatRes(n))
		}
		return nil
	}
	if err != nil {
		return failf(line, "io_uring_setup of ring %s failed: %s", c.Name, fmtErr(err))
	}
	if c.WeakSQ && !x.be.Host() {
		// The host's CPU orders its own stores (x86) or not: nothing to set.
		if err := r.SetWeakSQ(); err != nil {
			_ = r.Close()
			return failf(line, "ring %s: %v", c.Name, err)
		}
	}
	x.addRing(c.Name, r)
	return nil
}

func (x *runner) addRing(name string, r *uring.Ring) {
	rs := &ringState{name: name, r: r, task: x.curTask}
	x.rings[name] = rs
	x.ringOrder = append(x.ringOrder, name)
	x.watch(rs)
}

func (x *runner) mem(line int, c *MemCmd) *failure {
	b, err := x.be.Alloc(c.Size.V)
	if err != nil {
		return failf(line, "mem %s: %v", c.Name, fmtErr(err))
	}
	b = b[:c.Size.V]
	if c.Fill.Set {
		for i := range b {
			b[i] = byte(c.Fill.V)
		}
	}
	copy(b, c.Data.S)
	x.mems[c.Name] = b
	return nil
}

func (x *runner) addFd(name string, fd int) {
	x.fds[name] = fd
	x.fdOrder = append(x.fdOrder, name)
}

// fdOf resolves an object with a file descriptor.
func (x *runner) fdOf(line int, name string) (int, *failure) {
	if rs, ok := x.rings[name]; ok {
		return rs.r.FD(), nil
	}
	if fd, ok := x.fds[name]; ok {
		return fd, nil
	}
	if c, ok := x.children[name]; ok {
		return c.Pid, nil
	}
	return -1, failf(line, "%s has no file descriptor (not created?)", name)
}

func (x *runner) closeCmd(line int, c *CloseCmd) *failure {
	if rs, ok := x.rings[c.File]; ok {
		if rs.closed {
			return failf(line, "ring %s is already closed", c.File)
		}
		x.unwatch(rs)
		if err := x.closeRingQuiesce(rs, !c.NoQuiesce); err != nil {
			return failf(line, "close ring %s: %s", c.File, fmtErr(err))
		}
		return nil
	}
	fd, f := x.fdOf(line, c.File)
	if f != nil {
		return f
	}
	if x.closed[c.File] {
		return failf(line, "%s is already closed", c.File)
	}
	x.closed[c.File] = true
	if err := x.files.close(fd); err != nil {
		return failf(line, "close %s: %s", c.File, fmtErr(err))
	}
	return nil
}

// ---- SQEs and system calls ----

func (x *runner) sqe(line int, c *SQECmd) *failure {
	rs, f := x.ringOf(line, c.Ring)
	if f != nil {
		return f
	}
	rs.r.CatchUpSQ() // after a poked tail the kernel consumed, start at its head
	sqe := rs.r.GetSQE()
	if sqe == nil {
		return failf(line, "sqe: the SQ of ring %s is full", c.Ring)
	}
	sqe.Opcode = c.Opcode
	fdName := ""
	fdLine := line
	for i := range c.Fields {
		fl := &c.Fields[i]
		switch fl.Kind {
		case FieldNum:
			if fl.Field == "fd" {
				fdName = ""
			}
			setSQEField(sqe, fl.Field, fl.Num.V)
		case FieldFd:
			if fl.Field != "fd" { // off=NAME: the descriptor itself
				fd, f := x.fdOf(fl.Line, fl.Name)
				if f != nil {
					return f
				}
				setSQEField(sqe, fl.Field, uint64(uint32(fd)))
				break
			}
			fdName, fdLine = fl.Name, fl.Line
			if fl.Key == "ring_fd" {
				ring, f := x.ringOf(fl.Line, fl.Name)
				if f != nil {
					return f
				}
				fdName = ""
				sqe.Fd = int32(ring.r.FD())
			}
		case FieldMem:
			b, ok := x.mems[fl.Name]
			if !ok {
				return failf(fl.Line, "mem %s was not created", fl.Name)
			}
			setSQEField(sqe, fl.Field, addr(b)+fl.Off)
		case FieldTimespec:
			b, f := x.scratchMem(fl.Line, 16)
			if f != nil {
				return f
			}
			ts := (*rings.KernelTimespec)(unsafe.Pointer(&b[0]))
			ts.TvSec = int64(fl.Dur.D / time.Second)
			ts.TvNsec = int64(fl.Dur.D % time.Second)
			sqe.Addr = addr(b)
		case FieldSockaddr:
			port, ok := x.ports[fl.Name]
			if !ok {
				return failf(fl.Line, "%s is not a listening socket", fl.Name)
			}
			b, f := x.scratchMem(fl.Line, 16)
			if f != nil {
				return f
			}
			putSockaddrIn(b, port)
			sqe.Addr, sqe.Off = addr(b), 16
		case FieldIOV:
			b, f := x.scratchMem(fl.Line, uint64(16*len(fl.IOV)))
			if f != nil {
				return f
			}
			for j, v := range fl.IOV {
				base := v.Off
				if v.Mem != "" {
					m, ok := x.mems[v.Mem]
					if !ok {
						return failf(fl.Line, "mem %s was not created", v.Mem)
					}
					base = addr(m) + v.Off
				}
				*(*uint64)(unsafe.Pointer(&b[16*j])) = base
				*(*uint64)(unsafe.Pointer(&b[16*j+8])) = v.Len
			}
			sqe.Addr, sqe.Len = addr(b), uint32(len(fl.IOV))
		case FieldCmd, FieldNVMe:
			if f := x.sqeCmdArea(rs, sqe, fl); f != nil {
				return f
			}
		}
	}
	if fdName != "" {
		if sqe.Flags&rings.IOSQE_FIXED_FILE != 0 {
			idx := -1
			for i, n := range rs.files {
				if n == fdName {
					idx = i
					break
				}
			}
			if idx < 0 {
				return failf(fdLine, "%s is not in the registered file table of ring %s", fdName, c.Ring)
			}
			sqe.Fd = int32(idx)
		} else {
			fd, f := x.fdOf(fdLine, fdName)
			if f != nil {
				return f
			}
			sqe.Fd = int32(fd)
		}
	}
	return nil
}

// setSQEField stores v in the named SQE field, truncated to its width (a
// negative value becomes the field's two's complement).
func setSQEField(sqe *rings.SQE, field string, v uint64) {
	switch field {
	case "opcode":
		sqe.Opcode = uint8(v)
	case "flags":
		sqe.Flags = uint8(v)
	case "ioprio":
		sqe.Ioprio = uint16(v)
	case "fd":
		sqe.Fd = int32(uint32(v))
	case "off", "addr2":
		sqe.Off = v
	case "addr":
		sqe.Addr = v
	case "len":
		sqe.Len = uint32(v)
	case "op_flags":
		sqe.OpFlags = uint32(v)
	case "user_data":
		sqe.UserData = v
	case "buf_index", "buf_group":
		sqe.BufIndex = uint16(v)
	case "personality":
		sqe.Personality = uint16(v)
	case "file_index", "splice_fd_in":
		sqe.SpliceFdIn = int32(uint32(v))
	case "addr3":
		sqe.Addr3 = v
	case "cmd_op":
		sqe.SetCmdOp(uint32(v))
	}
}

// putSockaddrIn writes a struct sockaddr_in for 127.0.0.1:port.
func putSockaddrIn(b []byte, port int) {
	clear(b[:16])
	b[0], b[1] = unix.AF_INET, 0 // sa_family, host order (little endian)
	b[2], b[3] = byte(port>>8), byte(port)
	b[4], b[5], b[6], b[7] = 127, 0, 0, 1
}

// enterRaw is io_uring_enter on the ring; on the host an EINTR (the Go
// runtime's preemption signals) is retried: a call that failed with EINTR
// consumed no SQE.
func (x *runner) enterRaw(rs *ringState, toSubmit, minComplete, flags uint32, argp, argsz uint64) (int, error) {
	for {
		n, err := rs.r.Enter(toSubmit, minComplete, flags, argp, argsz)
		if err == unix.EINTR && x.be.Host() {
			continue
		}
		return n, err
	}
}

var fence atomic.Uint32

// submit is liburing's __io_uring_submit: publish, then enter when the SQ
// needs it (always without SQPOLL; with SQPOLL only when the thread sleeps,
// adding SQ_WAKEUP) or the CQ does (a wait, an overflow or task work
// pending, IOPOLL); flags= are added and force the call.
func (x *runner) submit(line int, c *SubmitCmd) *failure {
	rs, f := x.ringOf(line, c.Ring)
	if f != nil {
		return f
	}
	r := rs.r
	var toSubmit uint32
	if c.Relaxed {
		toSubmit = r.FlushSQRelaxed()
	} else {
		toSubmit = r.FlushSQ()
	}
	wait := uint32(c.Wait.V)
	flags := uint32(c.Flags.V)
	v := r.View()
	cqNeeds := wait > 0 || r.Flags()&rings.IORING_SETUP_IOPOLL != 0 ||
		r.SQFlags()&(rings.IORING_SQ_CQ_OVERFLOW|rings.IORING_SQ_TASKRUN) != 0
	sqNeeds := false
	if toSubmit > 0 {
		if r.Flags()&rings.IORING_SETUP_SQPOLL == 0 {
			sqNeeds = true
		} else {
			fence.Add(0) // smp_mb(): the tail store before the flags load
			if rings.ReadOnce(v.SQFlags())&rings.IORING_SQ_NEED_WAKEUP != 0 {
				flags |= rings.IORING_ENTER_SQ_WAKEUP
				sqNeeds = true
			}
		}
	}
	var ret int
	var err error
	if sqNeeds || cqNeeds || flags != 0 {
		if cqNeeds {
			flags |= rings.IORING_ENTER_GETEVENTS
		}
		ret, err = x.enterRaw(rs, toSubmit, wait, flags, 0, 0)
	} else {
		ret = int(toSubmit)
	}
	x.printRet("submit "+c.Ring, ret, err)
	return checkRet(line, "submit "+c.Ring, int64(ret), err, c.Expect)
}

func (x *runner) printRet(what string, ret int, err error) {
	if err != nil {
		x.printf("%s ret=%s", what, fmtErr(err))
		return
	}
	x.printf("%s ret=%d", what, ret)
}

// enter publishes queued SQEs and calls io_uring_enter with exactly the
// arguments given; timeout= passes a struct io_uring_getevents_arg with
// IORING_ENTER_EXT_ARG.
func (x *runner) enter(line int, c *EnterCmd) *failure {
	rs, f := x.ringOf(line, c.Ring)
	if f != nil {
		return f
	}
	rs.r.FlushSQ()
	flags := uint32(c.Flags.V)
	var argp, argsz uint64
	if c.Timeout.Set {
		b, f := x.scratchMem(line, 64)
		if f != nil {
			return f
		}
		ts := (*rings.KernelTimespec)(unsafe.Pointer(&b[32]))
		ts.TvSec = int64(c.Timeout.D / time.Second)
		ts.TvNsec = int64(c.Timeout.D % time.Second)
		arg := (*rings.GeteventsArg)(unsafe.Pointer(&b[0]))
		*arg = rings.GeteventsArg{SigmaskSz: 8, Ts: addr(b) + 32}
		argp, argsz = addr(b), uint64(unsafe.Sizeof(*arg))
		flags |= rings.IORING_ENTER_EXT_ARG
	}
	ret, err := x.enterRaw(rs, uint32(c.ToSubmit.V), uint32(c.MinComplete.V), flags, argp, argsz)
	x.printRet("enter "+c.Ring, ret, err)
	return checkRet(line, "enter "+c.Ring, int64(ret), err, c.Expect)
}

// ---- ring memory ----

func ringWord(v rings.RingView, field string, index uint32) *uint32 {
	switch field {
	case "sq_head":
		return v.SQHead()
	case "sq_tail":
		return v.SQTail()
	case "cq_head":
		return v.CQHead()
	case "cq_tail":
		return v.CQTail()
	case "sq_flags":
		return v.SQFlags()
	case "cq_flags":
		return v.CQFlags()
	case "sq_dropped":
		return v.SQDropped()
	case "cq_overflow":
		return v.CQOverflow()
	case "sq_array":
		return v.SQArray(index)
	}
	return nil
}

func fieldName(rf *RingField) string {
	if rf.Field == "sq_array" {
		return "sq_array[" + strconv.FormatUint(uint64(rf.Index), 10) + "]"
	}
	return rf.Field
}

func (x *runner) poke(line int, c *PokeCmd) *failure {
	rs, f := x.ringOf(line, c.Ring)
	if f != nil {
		return f
	}
	x.unwatch(rs) // the kernel sees words the program did not publish
	v := rs.r.View()
	for i := range c.Fields {
		rf := &c.Fields[i]
		w := ringWord(v, rf.Field, rf.Index)
		if w == nil {
			return failf(rf.Line, "poke: ring %s has no %s", c.Ring, fieldName(rf))
		}
		x.be.Yield()
		rings.StoreRelease(w, uint32(rf.Value.V))
	}
	return nil
}

func (x *runner) peek(line int, c *PeekCmd) *failure {
	rs, f := x.ringOf(line, c.Ring)
	if f != nil {
		return f
	}
	v := rs.r.View()
	var shown []string // fields written as `*` are printed
	defer func() {
		if len(shown) > 0 {
			x.printf("peek %s %s", c.Ring, strings.Join(shown, " "))
		}
	}()
	for i := range c.Fields {
		rf := &c.Fields[i]
		w := ringWord(v, rf.Field, rf.Index)
		if w == nil {
			return failf(rf.Line, "peek: ring %s has no %s", c.Ring, fieldName(rf))
		}
		x.be.Yield()
		got := rings.LoadAcquire(w)
		if rf.Value.Any {
			shown = append(shown, fieldName(rf)+"="+fmtWord(rf.Field, uint64(got)))
		}
		if !rf.Value.Matches(uint64(got)) {
			return failf(rf.Line, "expected %s=%s, got %s=%s", fieldName(rf),
				fmtWord(rf.Field, rf.Value.V), fieldName(rf), fmtWord(rf.Field, uint64(got)))
		}
	}
	return nil
}

func fmtWord(field string, v uint64) string {
	switch field {
	case "sq_flags":
		return rings.FlagNames(rings.FamilySQRingFlags, v)
	case "cq_flags":
		return rings.FlagNames(rings.FamilyCQRingFlags, v)
	}
	return strconv.FormatUint(v, 10)
}

// ---- files and time ----

func (x *runner) needFiles(line int, what string) *failure {
	if x.files == nil {
		return skipf("%s needs uring.Files, not available yet", what)
	}
	return nil
}

func (x *runner) object(line int, p Payload) *failure {
	if f := x.needFiles(line, "files, pipes and sockets"); f != nil {
		return f
	}
	var err error
	switch c := p.(type) {
	case *PipeCmd:
		var r, w int
		if r, w, err = x.files.pipe(); err == nil {
			x.addFd(c.Name+".r", r)
			x.addFd(c.Name+".w", w)
			if c.Rdwr {
				var rw int
				if rw, err = x.files.reopenPipe(r); err == nil {
					x.addFd(c.Name+".rw", rw)
				}
			}
		}
	case *SocketpairCmd:
		var a, b int
		if a, b, err = x.files.socketpair(c.Type); err == nil {
			x.addFd(c.Name+".0", a)
			x.addFd(c.Name+".1", b)
		}
	case *ListenCmd:
		var fd, port int
		if fd, port, err = x.files.listen(); err == nil {
			x.addFd(c.Name, fd)
			if x.ports == nil {
				x.ports = map[string]int{}
			}
			x.ports[c.Name] = port
		}
	case *SocketCmd:
		var fd int
		if fd, err = x.files.socket(); err == nil {
			x.addFd(c.Name, fd)
		}
	case *EpollCmd:
		var fd int
		if fd, err = x.files.epoll(); err == nil {
			x.addFd(c.Name, fd)
		}
	case *EventfdCmd:
		var fd int
		if fd, err = x.files.eventfd(c.Init.V); err == nil {
			x.addFd(c.Name, fd)
		}
	case *FileCmd:
		size := int64(len(c.Data.S))
		if c.Size.Set {
			size = int64(c.Size.V)
		}
		var fd int
		if fd, err = x.files.tempFile([]byte(c.Data.S), size); err == nil {
			x.addFd(c.Name, fd)
		}
	}
	if err != nil {
		if errors.Is(err, unix.ENOSYS) && !x.be.Host() {
			return skipf("line %d: not supported by the simulator yet (%s)", line, fmtErr(err))
		}
		return failf(line, "%s", err)
	}
	return nil
}

func (x *runner) write(line int, c *WriteCmd) *failure {
	if f := x.needFiles(line, "write"); f != nil {
		return f
	}
	fd, f := x.fdOf(line, c.File)
	if f != nil {
		return f
	}
	n, err := x.files.write(fd, []byte(c.Data.S))
	return checkRet(line, "write "+c.File, int64(n), err, c.Expect)
}

func (x *runner) read(line int, c *ReadCmd) *failure {
	if f := x.needFiles(line, "read"); f != nil {
		return f
	}
	fd, f := x.fdOf(line, c.File)
	if f != nil {
		return f
	}
	b, err := x.files.read(fd, int(c.Len.V))
	if err != nil {
		return failf(line, "read %s: %s", c.File, fmtErr(err))
	}
	if c.Data.Set && string(b) != c.Data.S {
		return failf(line, "expected read %s data=%q, got %q", c.File, c.Data.S, b)
	}
	return nil
}

func (x *runner) shutdown(line int, c *ShutdownCmd) *failure {
	if f := x.needFiles(line, "shutdown"); f != nil {
		return f
	}
	fd, f := x.fdOf(line, c.File)
	if f != nil {
		return f
	}
	if err := x.files.shutdown(fd, c.How); err != nil {
		return failf(line, "shutdown %s: %s", c.File, fmtErr(err))
	}
	return nil
}

// sleep waits: virtual time on the simulator, real time on the host.
func (x *runner) sleep(d time.Duration) {
	switch {
	case x.files != nil:
		x.files.sleep(d)
	case x.m != nil:
		x.m.Task().SleepUser(d)
	default:
		time.Sleep(d)
	}
}

func (x *runner) check(line int, c *CheckCmd) *failure {
	b, ok := x.mems[c.Mem]
	if !ok {
		return failf(line, "mem %s was not created", c.Mem)
	}
	off := c.Off.V
	want := []byte(c.Data.S)
	if off > uint64(len(b)) || uint64(len(want)) > uint64(len(b))-off {
		return failf(line, "check %s: off=%d data of %d bytes is outside its %d bytes", c.Mem, off, len(want), len(b))
	}
	x.be.Yield()
	got := b[off : off+uint64(len(want))]
	if !bytes.Equal(got, want) {
		return failf(line, "expected %s data=%q, got %q", c.Mem, want, got)
	}
	return nil
}

func (x *runner) fdinfo(line int, c *FdinfoCmd) *failure {
	rs, f := x.ringOf(line, c.Ring)
	if f != nil {
		return f
	}
	if f := x.needFiles(line, "fdinfo"); f != nil {
		return f
	}
	text, err := x.files.fdinfo(rs.r.FD())
	if err != nil {
		return failf(line, "fdinfo %s: %v", c.Ring, err)
	}
	x.printf("fdinfo %s:", c.Ring)
	fields := map[string]string{}
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		l = x.symbolizeAddrs(l)
		x.printf("  %s", l)
		k, v, ok := strings.Cut(l, ":")
		if ok {
			if _, dup := fields[k]; !dup {
				fields[k] = strings.TrimSpace(v)
			}
		}
	}
	for _, ck := range c.Checks {
		got, ok := fields[ck.Key]
		if !ok {
			return failf(ck.Line, "fdinfo %s has no field %s", c.Ring, ck.Key)
		}
		if ck.IsNum {
			if ck.Num.Any {
				continue
			}
			v, _, ok := parseIntLit(got)
			if !ok || v != ck.Num.V {
				return failf(ck.Line, "expected fdinfo %s=%s, got %s", ck.Key, ck.Value, got)
			}
			continue
		}
		if got != ck.Value {
			return failf(ck.Line, "expected fdinfo %s=%q, got %q", ck.Key, ck.Value, got)
		}
	}
	return nil
}
