package scenario

import "time"

// Scenario is a parsed scenario file (shared/SCENARIO.md).
type Scenario struct {
	Name     string    // file base name without ".scn"
	Path     string    // the path or name given to Parse/ParseFile
	Seed     uint64    // from `seed=N`, valid when HasSeed
	HasSeed  bool      //
	Requires []Require // `requires …` directives, in file order
	Objects  []Object  // every declared name, in declaration order
	Cmds     []Command // the commands, in file order
}

// Object lookup: Object returns the declared object called name ("p.r"
// included), if any.
func (s *Scenario) Object(name string) (Object, bool) {
	for _, o := range s.Objects {
		if o.Name == name {
			return o, true
		}
	}
	return Object{}, false
}

// ObjKind is the kind of a declared name.
type ObjKind uint8

// Kinds of declared names. Those with a file descriptor report HasFd.
const (
	ObjRing       ObjKind = iota + 1 // `ring NAME`
	ObjPipe                          // `pipe NAME` itself (no fd; its ends are ObjPipeEnd)
	ObjPipeEnd                       // NAME.r, NAME.w
	ObjSocketpair                    // `socketpair NAME` itself (no fd; its ends are ObjSocketEnd)
	ObjSocketEnd                     // NAME.0, NAME.1
	ObjListen                        // `listen NAME`
	ObjSocket                        // `socket NAME`
	ObjEventfd                       // `eventfd NAME`
	ObjFile                          // `file NAME`
	ObjMem                           // `mem NAME`, or the pbufN mapping of IORING_REGISTER_PBUF_RING
	ObjTask                          // `task NAME`
	ObjNVMe                          // `nvme NAME`: its block device (O_DIRECT)
	ObjDevice                        // NAME.buf, NAME.ng, NAME.ctrl of `nvme NAME`
	ObjChild                         // `child NAME`: fd= gives its pid
	ObjPidfd                         // NAME.pidfd of `child NAME`
	ObjEpoll                         // `epoll NAME`
)

func (k ObjKind) String() string {
	switch k {
	case ObjRing:
		return "ring"
	case ObjPipe:
		return "pipe"
	case ObjPipeEnd:
		return "pipe end"
	case ObjSocketpair:
		return "socketpair"
	case ObjSocketEnd:
		return "socketpair end"
	case ObjListen:
		return "listening socket"
	case ObjSocket:
		return "socket"
	case ObjEventfd:
		return "eventfd"
	case ObjFile:
		return "file"
	case ObjMem:
		return "mem"
	case ObjTask:
		return "task"
	case ObjNVMe:
		return "nvme device"
	case ObjDevice:
		return "device file"
	case ObjChild:
		return "child"
	case ObjPidfd:
		return "pidfd"
	case ObjEpoll:
		return "epoll"
	}
	return "unknown"
}

// HasFd reports whether objects of this kind have a file descriptor.
func (k ObjKind) HasFd() bool {
	switch k {
	case ObjRing, ObjPipeEnd, ObjSocketEnd, ObjListen, ObjSocket, ObjEventfd, ObjFile, ObjNVMe, ObjDevice, ObjPidfd, ObjEpoll:
		return true
	}
	return false
}

// IsSocket reports whether objects of this kind are sockets.
func (k ObjKind) IsSocket() bool {
	return k == ObjSocketEnd || k == ObjListen || k == ObjSocket
}

// Object is a declared name.
type Object struct {
	Name string
	Kind ObjKind
	Line int // where it was declared
}

// RequireKind says what a `requires` directive asks for.
type RequireKind uint8

// Kinds of requirement.
const (
	RequireSim    RequireKind = iota + 1 // `requires sim`: skip on the host
	RequireKernel                        // `requires kernel>=X.Y[.Z]`
	RequireOp                            // `requires op=OPCODE`
)

// Require is one `requires` item.
type Require struct {
	Line    int
	Text    string // as written: "sim", "kernel>=6.8", "op=IORING_OP_RECV_ZC"
	Kind    RequireKind
	Version [3]int // RequireKernel: major, minor, patch
	Op      uint8  // RequireOp
}

// Num is a resolved numeric argument: an integer, an errno name (negative),
// or a set of flag names joined with '|'. Negative values are stored in
// two's complement over 64 bits (sign-extended); a runner writing a narrower
// unsigned field truncates, which gives that field's two's complement.
type Num struct {
	Set  bool   // the key was present
	Any  bool   // written as `*` (only where a value is checked)
	V    uint64 // the value
	Text string // as written
}

// Int returns the value as a signed number.
func (n Num) Int() int64 { return int64(n.V) }

// Matches reports whether v satisfies the expectation n: true when n is
// absent or `*`, else when the values are equal.
func (n Num) Matches(v uint64) bool { return !n.Set || n.Any || n.V == v }

// Dur is a duration argument (`0`, `500us`, `10ms`, `2s`, `100ns`).
type Dur struct {
	Set  bool
	D    time.Duration
	Text string
}

// Str is a quoted string argument; S holds the decoded bytes.
type Str struct {
	Set  bool
	S    string
	Text string // as written, quotes included
}

// Command is one line of a scenario (or one block).
type Command struct {
	Line int     // line of the command word
	Task string  // "@TASK" prefix without '@'; "" for the main task
	Word string  // the command word: "ring", "sqe", "unordered", …
	Cmd  Payload // the typed arguments, one of the *…Cmd / block types below
}

// Payload is the typed content of a Command. It is one of: *RingCmd,
// *PipeCmd, *SocketpairCmd, *ListenCmd, *SocketCmd, *EventfdCmd, *EpollCmd, *FileCmd,
// *MemCmd, *CloseCmd, *TaskCmd, *ExitCmd, *SQECmd, *SubmitCmd, *EnterCmd,
// *RegisterCmd, *PokeCmd, *PeekCmd, *WriteCmd, *ReadCmd, *ShutdownCmd,
// *SleepCmd, *CQEExpect, *UnorderedBlock, *EitherBlock, *NocqeCmd,
// *CheckCmd, *FdinfoCmd.
type Payload interface{ payload() }

// RingCmd is `ring NAME entries=N [cq_entries=N] [flags=…]
// [sq_thread_idle=DUR] [wq=RING] [weak_sq=1] [expect=-ERRNO]`.
type RingCmd struct {
	Name         string
	Entries      Num
	CQEntries    Num
	Flags        Num
	SQThreadIdle Dur    // whole milliseconds
	WQ           string // ring whose fd goes to wq_fd; "" if absent
	WeakSQ       bool   // weak_sq=1: the simulator's weak-memory SQ mode (uring.Ring.SetWeakSQ)
	Expect       Num
}

// PipeCmd is `pipe NAME [rdwr=1]`: declares NAME.r and NAME.w, and with
// rdwr=1 NAME.rw, the pipe opened again O_RDWR as
// open("/proc/self/fd/R", O_RDWR) does: one file polling on both of the
// pipe's wait queues (io_uring's double poll).
type PipeCmd struct {
	Name string
	Rdwr bool
}

// SocketpairCmd is `socketpair NAME [type=SOCK_STREAM|SOCK_DGRAM]`:
// declares NAME.0 and NAME.1.
type SocketpairCmd struct {
	Name string
	Type int // SockStream (default) or SockDgram
}

// Socket types of SocketpairCmd (Linux values).
const (
	SockStream = 1
	SockDgram  = 2
)

// ListenCmd is `listen NAME`: a TCP socket listening on loopback.
type ListenCmd struct{ Name string }

// SocketCmd is `socket NAME`: an unconnected TCP socket.
type SocketCmd struct{ Name string }

// EpollCmd is `epoll NAME`: an epoll instance (epoll_create1 with
// EPOLL_CLOEXEC), for IORING_OP_EPOLL_CTL and IORING_OP_EPOLL_WAIT.
type EpollCmd struct{ Name string }

// EventfdCmd is `eventfd NAME [init=N]`.
type EventfdCmd struct {
	Name string
	Init Num
}

// FileCmd is `file NAME [size=N] [data="…"]`.
type FileCmd struct {
	Name string
	Size Num
	Data Str
}

// MemCmd is `mem NAME size=N [data="…"] [fill=BYTE]`.
type MemCmd struct {
	Name string
	Size Num
	Data Str
	Fill Num
}

// CloseCmd is `close FILE [quiesce=0]`. NoQuiesce (quiesce=0, rings
// only) closes a host ring without first cancelling its requests, for a
// scenario that shows what the kernel's teardown does with them.
type CloseCmd struct {
	File      string
	NoQuiesce bool
}

// TaskCmd is `task NAME`.
type TaskCmd struct{ Name string }

// ExitCmd is `exit TASK`: the task's thread ends (do_exit).
type ExitCmd struct{ Task string }

// SQECmd is `sqe RING OPCODE key=value…`.
type SQECmd struct {
	Ring   string
	Opcode uint8
	OpText string     // as written
	Fields []SQEField // in the order written; later ones overwrite earlier ones
}

// FieldKind says how an SQEField's value is given.
type FieldKind uint8

// Kinds of SQE field values.
const (
	FieldNum      FieldKind = iota + 1 // Num: the field gets the number
	FieldFd                            // Name: that object's descriptor (or fixed-file index)
	FieldMem                           // Name+Off: an address inside a mem mapping
	FieldTimespec                      // Dur: a __kernel_timespec in user memory; addr = its address
	FieldSockaddr                      // Name: sockaddr_in of a listening socket; addr = its address, off = its length
	FieldIOV                           // IOV: an iovec array in user memory; addr = its address, len = the count
	FieldCmd                           // Cmd: raw bytes of the SQE's command area (uring_cmd)
	FieldNVMe                          // NVMe: a struct nvme_uring_cmd in the command area
)

// SQEField is one key=value of an `sqe` line.
type SQEField struct {
	Line  int
	Key   string // as written: "ud", "fd", "ts", "iov", "target", …
	Field string // the SQE field written (canonical): "user_data", "fd", "addr", …
	Kind  FieldKind
	Text  string // the value as written
	Num   Num    // FieldNum
	Name  string // FieldFd, FieldMem, FieldSockaddr
	Off   uint64 // FieldMem
	Dur   Dur    // FieldTimespec
	IOV   []IOVec
	Cmd   []byte      // FieldCmd
	NVMe  []NVMeField // FieldNVMe
}

// IOVec is one MEM[+OFF]:LEN element of `iov=`.
type IOVec struct {
	Mem string
	Off uint64
	Len uint64
}

// SubmitCmd is `submit RING [wait=N] [flags=…] [expect=…]`.
type SubmitCmd struct {
	Ring    string
	Wait    Num
	Flags   Num
	Relaxed bool // tail=relaxed: publish sq.tail with a plain store (uring.Ring.FlushSQRelaxed)
	Expect  Num
}

// EnterCmd is `enter RING [to_submit=N] [min_complete=N] [flags=…]
// [timeout=DUR] [expect=…]`.
type EnterCmd struct {
	Ring        string
	ToSubmit    Num
	MinComplete Num
	Flags       Num
	Timeout     Dur
	Expect      Num
}

// FileRef is one element of a `files=` list: a file name, or Sparse for -1.
type FileRef struct {
	Name   string
	Sparse bool
}

// FdArg is an fd given as an object name or as a plain number.
type FdArg struct {
	Set  bool
	Name string // the object, or "" when Num is used
	Num  Num
}

// RegisterCmd is `register RING OPCODE key=value… [expect=…]`. Opcode is
// the one written; with Tags present the runner uses the "…2" form.
type RegisterCmd struct {
	Ring   string
	Opcode uint32
	OpText string // as written

	Files   []FileRef // files=
	Mems    []string  // mems=
	Tags    []uint64  // tags=; nil when absent
	Eventfd string    // eventfd=

	BGID    Num // bgid=
	Entries Num // entries=
	Size    Num // size=
	Count   Num // count= (PBUF_RING; the runner defaults it to Entries)
	MinLeft Num // min_left= (PBUF_RING)
	Flags   Num // flags=
	Bound   Num // bound=
	Unbound Num // unbound=
	Off     Num // off=
	Len     Num // len=

	ID        Num   // id= (UNREGISTER_PERSONALITY)
	CQEntries Num   // cq_entries= (RESIZE_RINGS)
	Target    Num   // target= (SYNC_CANCEL)
	Fd        FdArg // fd= (SYNC_CANCEL)
	OpFlags   Num   // op_flags= (SYNC_CANCEL)
	Timeout   Dur   // timeout= (SYNC_CANCEL)

	BusyPollTo     Num // busy_poll_to= (NAPI)
	PreferBusyPoll Num // prefer_busy_poll= (NAPI)
	NapiOp         Num // opcode= (NAPI: io_uring_napi.opcode)
	OpParam        Num // op_param= (NAPI)

	SQEOps           []uint8 // sqe_ops=
	RegisterOps      []uint8 // register_ops=
	SQEFlagsAllowed  Num     // sqe_flags_allowed=
	SQEFlagsRequired Num     // sqe_flags_required=

	IfIdx Num    // if_idx= (ZCRX_IFQ)
	Rxq   Num    // rxq= (ZCRX_IFQ)
	Area  string // area= (ZCRX_IFQ): the mem that becomes the area

	Expect Num
}

// RingField is one FIELD=VALUE of `poke`/`peek`.
type RingField struct {
	Line  int
	Field string // "sq_head", …, "sq_array"
	Index uint32 // sq_array[I]
	Value Num
}

// PokeCmd is `poke RING FIELD=VALUE…`.
type PokeCmd struct {
	Ring   string
	Fields []RingField
}

// PeekCmd is `peek RING FIELD=VALUE…`.
type PeekCmd struct {
	Ring   string
	Fields []RingField
}

// WriteCmd is `write FILE data="…" [expect=N]`.
type WriteCmd struct {
	File   string
	Data   Str
	Expect Num
}

// ReadCmd is `read FILE len=N [data="…"]`.
type ReadCmd struct {
	File string
	Len  Num
	Data Str
}

// ShutdownCmd is `shutdown FILE [how=SHUT_RD|SHUT_WR|SHUT_RDWR]`.
type ShutdownCmd struct {
	File string
	How  int // ShutRD, ShutWR or ShutRDWR (the default)
}

// shutdown(2) how values.
const (
	ShutRD   = 0
	ShutWR   = 1
	ShutRDWR = 2
)

// SleepCmd is `sleep DUR`.
type SleepCmd struct{ Dur Dur }

// CQEExpect is `cqe RING ud=N res=R [flags=…] [bid=N] [big0=N] [big1=N]`,
// or a `cqe` line inside a block (Ring is then the block's ring).
type CQEExpect struct {
	Line  int
	Ring  string
	UD    Num
	Res   Num
	Flags Num // low 16 bits only; absent: not checked
	BID   Num
	Big0  Num
	Big1  Num
}

// Matcher is an element of an either alternative: *CQEExpect or
// *UnorderedBlock.
type Matcher interface {
	Payload
	matcher()
}

// UnorderedBlock is `unordered RING` … `end`.
type UnorderedBlock struct {
	Ring    string
	CQEs    []*CQEExpect
	EndLine int
}

// EitherBlock is `either RING` … `or` … `end`.
type EitherBlock struct {
	Ring    string
	Alts    []Alternative
	EndLine int
}

// Alternative is one branch of an either block.
type Alternative struct {
	Line  int // line of `either` or of `or`
	Items []Matcher
}

// NocqeCmd is `nocqe RING`.
type NocqeCmd struct{ Ring string }

// CheckCmd is `check MEM [off=N] data="…"`.
type CheckCmd struct {
	Mem  string
	Off  Num
	Data Str
}

// FdinfoCmd is `fdinfo RING [key=value…]`.
type FdinfoCmd struct {
	Ring   string
	Checks []FdinfoCheck
}

// FdinfoCheck is one key=value of `fdinfo`: the fdinfo field Key must read
// Value. IsNum tells whether Value parsed as a number (then Num holds it;
// `*` gives Num.Any); otherwise Value is compared as text.
type FdinfoCheck struct {
	Line  int
	Key   string
	Value string // decoded when quoted
	IsNum bool
	Num   Num
}

func (*RingCmd) payload()        {}
func (*PipeCmd) payload()        {}
func (*SocketpairCmd) payload()  {}
func (*ListenCmd) payload()      {}
func (*SocketCmd) payload()      {}
func (*EpollCmd) payload()       {}
func (*EventfdCmd) payload()     {}
func (*FileCmd) payload()        {}
func (*MemCmd) payload()         {}
func (*CloseCmd) payload()       {}
func (*TaskCmd) payload()        {}
func (*ExitCmd) payload()        {}
func (*SQECmd) payload()         {}
func (*SubmitCmd) payload()      {}
func (*EnterCmd) payload()       {}
func (*RegisterCmd) payload()    {}
func (*PokeCmd) payload()        {}
func (*PeekCmd) payload()        {}
func (*WriteCmd) payload()       {}
func (*ReadCmd) payload()        {}
func (*ShutdownCmd) payload()    {}
func (*SleepCmd) payload()       {}
func (*CQEExpect) payload()      {}
func (*UnorderedBlock) payload() {}
func (*EitherBlock) payload()    {}
func (*NocqeCmd) payload()       {}
func (*CheckCmd) payload()       {}
func (*FdinfoCmd) payload()      {}

func (*CQEExpect) matcher()      {}
func (*UnorderedBlock) matcher() {}
