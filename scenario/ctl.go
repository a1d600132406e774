package scenario

import (
	"encoding/binary"
	"strings"
	"unsafe"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/uring"
)

// ChildCmd is `child NAME exit=N [after=DUR]`: a child process that exits
// with status N after DUR (default 0). It declares NAME (fd=NAME gives its
// pid, for P_PID) and NAME.pidfd (a pidfd of it, for P_PIDFD and poll).
type ChildCmd struct {
	Name  string
	Exit  Num
	After Dur
}

// StoreCmd is `store MEM [off=N] (data="…" | u32=N | u64=N |
// addr=MEM2[+OFF])`: a plain store into user memory from the test. A
// u32/u64 store at an aligned offset is atomic; addr= stores the 64-bit
// user address of MEM2+OFF on the backend that runs (a pointer in user
// memory, such as a futex_waitv's uaddr).
type StoreCmd struct {
	Mem     string
	Off     Num
	Data    Str
	U32     Num
	U64     Num
	AddrMem string // addr=: the mem whose address is stored ("" without addr=)
	AddrOff uint64
}

// FutexWakeCmd is `futex_wake MEM[+OFF] [count=N] [expect=N]`: the
// futex(FUTEX_WAKE_PRIVATE) system call on that word, waking up to count
// (default 1) waiters. It prints `futex_wake MEM ret=N`.
type FutexWakeCmd struct {
	Mem    string
	Off    uint64
	Text   string // MEM[+OFF] as written
	Count  Num
	Expect Num
}

func (*ChildCmd) payload()     {}
func (*StoreCmd) payload()     {}
func (*FutexWakeCmd) payload() {}

// hasFdOrPid accepts what an sqe's fd= may name: an object with a
// descriptor, or a child (its pid).
func hasFdOrPid(k ObjKind) bool { return k.HasFd() || k == ObjChild }

func (p *parser) child(w token, args []token) (Payload, error) {
	name, args, err := p.leadNew(w, args, ObjChild)
	if err != nil {
		return nil, err
	}
	c := &ChildCmd{Name: name}
	err = p.kvs("child", args, func(t token) (bool, error) {
		var err error
		switch t.key {
		case "exit":
			c.Exit, err = p.num(t, 8, false)
			if err == nil && c.Exit.Int() < 0 {
				err = p.errf(t.line, "exit status %q must be 0…255", t.val)
			}
		case "after":
			c.After, err = p.dur(t)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	if err := p.need(w, "child", c.Exit.Set, "exit"); err != nil {
		return nil, err
	}
	return c, p.declareName(w.line, name+".pidfd", ObjPidfd)
}

func (p *parser) store(w token, args []token) (Payload, error) {
	mem, args, err := p.leadRef(w, args, "mem", isKind(ObjMem))
	if err != nil {
		return nil, err
	}
	c := &StoreCmd{Mem: mem}
	values := 0
	err = p.kvs("store", args, func(t token) (bool, error) {
		var err error
		switch t.key {
		case "off":
			c.Off, err = p.nonNegative(t, 63)
		case "data":
			c.Data, err = p.str(t)
			values++
		case "u32":
			c.U32, err = p.num(t, 32, false)
			values++
		case "u64":
			c.U64, err = p.num(t, 64, false)
			values++
		case "addr":
			var isMem bool
			c.AddrMem, c.AddrOff, isMem, err = p.memAddr(t.line, "store", t.val)
			if err == nil && !isMem {
				err = p.errf(t.line, "store: addr=%s is not a mem (addr=MEM[+OFF])", t.val)
			}
			values++
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	if values != 1 {
		return nil, p.errf(w.line, "store: want exactly one of data=, u32=, u64= or addr=")
	}
	return c, nil
}

func (p *parser) futexWake(w token, args []token) (Payload, error) {
	if len(args) == 0 || args[0].hasEq || args[0].quoted {
		return nil, p.errf(w.line, "futex_wake: missing MEM[+OFF]")
	}
	a := args[0]
	name, off, isMem, err := p.memAddr(a.line, "futex_wake", a.text)
	if err != nil {
		return nil, err
	}
	if !isMem {
		return nil, p.errf(a.line, "undeclared mem %q", strings.Split(a.text, "+")[0])
	}
	c := &FutexWakeCmd{Mem: name, Off: off, Text: a.text}
	return c, p.kvs("futex_wake", args[1:], func(t token) (bool, error) {
		var err error
		switch t.key {
		case "count":
			c.Count, err = p.num(t, 32, false)
		case "expect":
			c.Expect, err = p.num(t, 64, true)
		default:
			return false, nil
		}
		return true, err
	})
}

// ---- running ----

func (x *runner) child(line int, c *ChildCmd) *failure {
	ch, err := uring.SpawnChild(x.be, int(c.Exit.V), c.After.D)
	if err != nil {
		return failf(line, "child %s: %s", c.Name, fmtErr(err))
	}
	if x.children == nil {
		x.children = map[string]*uring.Child{}
	}
	x.children[c.Name] = ch
	x.childOrder = append(x.childOrder, c.Name)
	x.addFd(c.Name+".pidfd", ch.Pidfd)
	return nil
}

func (x *runner) store(line int, c *StoreCmd) *failure {
	b, ok := x.mems[c.Mem]
	if !ok {
		return failf(line, "mem %s was not created", c.Mem)
	}
	off := c.Off.V
	n := uint64(len(c.Data.S))
	u64 := c.U64
	if c.AddrMem != "" {
		target, ok := x.mems[c.AddrMem]
		if !ok {
			return failf(line, "mem %s was not created", c.AddrMem)
		}
		u64 = Num{V: addr(target) + c.AddrOff, Set: true}
	}
	switch {
	case c.U32.Set:
		n = 4
	case u64.Set:
		n = 8
	}
	if off > uint64(len(b)) || n > uint64(len(b))-off {
		return failf(line, "store %s: %d bytes at off=%d are outside its %d bytes", c.Mem, n, off, len(b))
	}
	x.be.Yield()
	dst := b[off : off+n]
	aligned := n > 0 && uintptr(unsafe.Pointer(unsafe.SliceData(dst)))%uintptr(n) == 0
	switch {
	case c.U32.Set && aligned:
		rings.WriteOnce((*uint32)(unsafe.Pointer(&dst[0])), uint32(c.U32.V))
	case c.U32.Set:
		binary.LittleEndian.PutUint32(dst, uint32(c.U32.V))
	case u64.Set && aligned:
		rings.WriteOnce64((*uint64)(unsafe.Pointer(&dst[0])), u64.V)
	case u64.Set:
		binary.LittleEndian.PutUint64(dst, u64.V)
	default:
		copy(dst, c.Data.S)
	}
	return nil
}

func (x *runner) futexWake(line int, c *FutexWakeCmd) *failure {
	b, ok := x.mems[c.Mem]
	if !ok {
		return failf(line, "mem %s was not created", c.Mem)
	}
	count := 1
	if c.Count.Set {
		count = int(int32(uint32(c.Count.V)))
	}
	n, err := uring.FutexWake(x.be, addr(b)+c.Off, count)
	x.printRet("futex_wake "+c.Text, n, err)
	return checkRet(line, "futex_wake "+c.Text, int64(n), err, c.Expect)
}
