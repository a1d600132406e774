package scenario

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The example at the end of shared/SCENARIO.md, verbatim.
const specExample = `# A link chain whose middle member fails cancels the rest.
ring r entries=8
file f size=4096
mem b size=4096
sqe r nop ud=1 flags=IOSQE_IO_LINK
sqe r read fd=f addr=b len=4096 off=8192 ud=2 flags=IOSQE_IO_LINK   # short read at EOF
sqe r nop ud=3
submit r expect=3
cqe r ud=1 res=0
cqe r ud=2 res=0
cqe r ud=3 res=-ECANCELED
`

func n(v uint64, text string) Num  { return Num{Set: true, V: v, Text: text} }
func neg(v int64, text string) Num { return Num{Set: true, V: uint64(v), Text: text} }
func anyNum() Num                  { return Num{Set: true, Any: true, Text: "*"} }
func dur(d time.Duration, text string) Dur {
	return Dur{Set: true, D: d, Text: text}
}
func str(s, text string) Str { return Str{Set: true, S: s, Text: text} }

func numField(line int, key, field, text string, v uint64) SQEField {
	return SQEField{Line: line, Key: key, Field: field, Kind: FieldNum, Text: text, Num: n(v, text)}
}

func TestParseSpecExample(t *testing.T) {
	sc, err := Parse("testdata/link_cancel.scn", []byte(specExample))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "link_cancel" || sc.Path != "testdata/link_cancel.scn" || sc.HasSeed || len(sc.Requires) != 0 {
		t.Errorf("header: %+v", sc)
	}
	want := []Command{
		{Line: 2, Word: "ring", Cmd: &RingCmd{Name: "r", Entries: n(8, "8")}},
		{Line: 3, Word: "file", Cmd: &FileCmd{Name: "f", Size: n(4096, "4096")}},
		{Line: 4, Word: "mem", Cmd: &MemCmd{Name: "b", Size: n(4096, "4096")}},
		{Line: 5, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: 0, OpText: "nop", Fields: []SQEField{
			numField(5, "ud", "user_data", "1", 1),
			numField(5, "flags", "flags", "IOSQE_IO_LINK", 4),
		}}},
		{Line: 6, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: 22, OpText: "read", Fields: []SQEField{
			{Line: 6, Key: "fd", Field: "fd", Kind: FieldFd, Text: "f", Name: "f"},
			{Line: 6, Key: "addr", Field: "addr", Kind: FieldMem, Text: "b", Name: "b"},
			numField(6, "len", "len", "4096", 4096),
			numField(6, "off", "off", "8192", 8192),
			numField(6, "ud", "user_data", "2", 2),
			numField(6, "flags", "flags", "IOSQE_IO_LINK", 4),
		}}},
		{Line: 7, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: 0, OpText: "nop", Fields: []SQEField{
			numField(7, "ud", "user_data", "3", 3),
		}}},
		{Line: 8, Word: "submit", Cmd: &SubmitCmd{Ring: "r", Expect: n(3, "3")}},
		{Line: 9, Word: "cqe", Cmd: &CQEExpect{Line: 9, Ring: "r", UD: n(1, "1"), Res: n(0, "0")}},
		{Line: 10, Word: "cqe", Cmd: &CQEExpect{Line: 10, Ring: "r", UD: n(2, "2"), Res: n(0, "0")}},
		{Line: 11, Word: "cqe", Cmd: &CQEExpect{Line: 11, Ring: "r", UD: n(3, "3"), Res: neg(-125, "-ECANCELED")}},
	}
	if len(sc.Cmds) != len(want) {
		t.Fatalf("got %d commands, want %d", len(sc.Cmds), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(sc.Cmds[i], want[i]) {
			t.Errorf("command %d:\n got %#v\nwant %#v", i, sc.Cmds[i].Cmd, want[i].Cmd)
		}
	}
	wantObjs := []Object{{"r", ObjRing, 2}, {"f", ObjFile, 3}, {"b", ObjMem, 4}}
	if !reflect.DeepEqual(sc.Objects, wantObjs) {
		t.Errorf("objects: got %v, want %v", sc.Objects, wantObjs)
	}
}

// prelude declares one object of each kind; its lines are 1…9.
const prelude = `ring r entries=8
file f size=4096
mem b size=4096
pipe p
socketpair s
listen l
socket c
eventfd e
task t2
`

const preludeLines = 9

// TestParseForms parses every command form of SCENARIO.md after the prelude
// and checks the last command.
func TestParseForms(t *testing.T) {
	const L = preludeLines + 1 // line of the command under test
	tests := []struct {
		name string
		src  string
		want Command
	}{
		// Objects.
		{"ring full", "ring r2 entries=16 cq_entries=64 flags=IORING_SETUP_SQPOLL|IORING_SETUP_CQSIZE|IORING_SETUP_ATTACH_WQ sq_thread_idle=10ms wq=r expect=-EINVAL",
			Command{Line: L, Word: "ring", Cmd: &RingCmd{Name: "r2", Entries: n(16, "16"), CQEntries: n(64, "64"),
				Flags:        n(2|8|32, "IORING_SETUP_SQPOLL|IORING_SETUP_CQSIZE|IORING_SETUP_ATTACH_WQ"),
				SQThreadIdle: dur(10*time.Millisecond, "10ms"), WQ: "r", Expect: neg(-22, "-EINVAL")}}},
		{"ring hex", "ring r2 entries=0x10 flags=0",
			Command{Line: L, Word: "ring", Cmd: &RingCmd{Name: "r2", Entries: n(16, "0x10"), Flags: n(0, "0")}}},
		{"pipe", "pipe p2", Command{Line: L, Word: "pipe", Cmd: &PipeCmd{Name: "p2"}}},
		{"pipe rdwr", "pipe p3 rdwr=1", Command{Line: L, Word: "pipe", Cmd: &PipeCmd{Name: "p3", Rdwr: true}}},
		{"socketpair", "socketpair s2", Command{Line: L, Word: "socketpair", Cmd: &SocketpairCmd{Name: "s2", Type: SockStream}}},
		{"socketpair dgram", "socketpair s2 type=SOCK_DGRAM", Command{Line: L, Word: "socketpair", Cmd: &SocketpairCmd{Name: "s2", Type: SockDgram}}},
		{"socketpair stream", "socketpair s2 type=SOCK_STREAM", Command{Line: L, Word: "socketpair", Cmd: &SocketpairCmd{Name: "s2", Type: SockStream}}},
		{"listen", "listen l2", Command{Line: L, Word: "listen", Cmd: &ListenCmd{Name: "l2"}}},
		{"socket", "socket c2", Command{Line: L, Word: "socket", Cmd: &SocketCmd{Name: "c2"}}},
		{"eventfd", "eventfd e2", Command{Line: L, Word: "eventfd", Cmd: &EventfdCmd{Name: "e2"}}},
		{"eventfd init", "eventfd e2 init=3", Command{Line: L, Word: "eventfd", Cmd: &EventfdCmd{Name: "e2", Init: n(3, "3")}}},
		{"file", "file f2", Command{Line: L, Word: "file", Cmd: &FileCmd{Name: "f2"}}},
		{"file data", `file f2 size=10 data="hi\n"`, Command{Line: L, Word: "file", Cmd: &FileCmd{Name: "f2", Size: n(10, "10"), Data: str("hi\n", `data="hi\n"`)}}},
		{"mem", `mem m size=8 data="\x00\x01" fill=0xff`, Command{Line: L, Word: "mem", Cmd: &MemCmd{Name: "m", Size: n(8, "8"), Data: str("\x00\x01", `data="\x00\x01"`), Fill: n(255, "0xff")}}},
		{"close file", "close f", Command{Line: L, Word: "close", Cmd: &CloseCmd{File: "f"}}},
		{"close pipe end", "close p.r", Command{Line: L, Word: "close", Cmd: &CloseCmd{File: "p.r"}}},
		{"close socket end", "close s.1", Command{Line: L, Word: "close", Cmd: &CloseCmd{File: "s.1"}}},
		{"close ring", "close r", Command{Line: L, Word: "close", Cmd: &CloseCmd{File: "r"}}},
		{"task", "task t3", Command{Line: L, Word: "task", Cmd: &TaskCmd{Name: "t3"}}},
		{"exit", "exit t2", Command{Line: L, Word: "exit", Cmd: &ExitCmd{Task: "t2"}}},

		// SQEs: opcode spellings.
		{"sqe upper", "sqe r READ", Command{Line: L, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: 22, OpText: "READ"}}},
		{"sqe full name", "sqe r IORING_OP_READ", Command{Line: L, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: 22, OpText: "IORING_OP_READ"}}},
		// SQEs: every raw field.
		{"sqe raw fields", "sqe r nop opcode=0xff flags=IOSQE_IO_LINK|IOSQE_ASYNC ioprio=IORING_RECV_MULTISHOT fd=-1 off=0x10 addr=0 len=-EIO " +
			"op_flags=IORING_TIMEOUT_ABS user_data=0xffffffffffffffff buf_index=3 buf_group=4 personality=5 file_index=6 splice_fd_in=-1 addr2=7 addr3=8",
			Command{Line: L, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: 0, OpText: "nop", Fields: []SQEField{
				numField(L, "opcode", "opcode", "0xff", 255),
				numField(L, "flags", "flags", "IOSQE_IO_LINK|IOSQE_ASYNC", 4|16),
				numField(L, "ioprio", "ioprio", "IORING_RECV_MULTISHOT", 2),
				{Line: L, Key: "fd", Field: "fd", Kind: FieldNum, Text: "-1", Num: neg(-1, "-1")},
				numField(L, "off", "off", "0x10", 16),
				numField(L, "addr", "addr", "0", 0),
				{Line: L, Key: "len", Field: "len", Kind: FieldNum, Text: "-EIO", Num: neg(-5, "-EIO")},
				numField(L, "op_flags", "op_flags", "IORING_TIMEOUT_ABS", 1),
				numField(L, "user_data", "user_data", "0xffffffffffffffff", 1<<64-1),
				numField(L, "buf_index", "buf_index", "3", 3),
				numField(L, "buf_group", "buf_group", "4", 4),
				numField(L, "personality", "personality", "5", 5),
				numField(L, "file_index", "file_index", "6", 6),
				{Line: L, Key: "splice_fd_in", Field: "splice_fd_in", Kind: FieldNum, Text: "-1", Num: neg(-1, "-1")},
				numField(L, "addr2", "addr2", "7", 7),
				numField(L, "addr3", "addr3", "8", 8),
			}}}},
		{"sqe opcode by name", "sqe r nop opcode=write",
			Command{Line: L, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: 0, OpText: "nop", Fields: []SQEField{numField(L, "opcode", "opcode", "write", 23)}}}},
		// SQEs: helpers.
		{"sqe helpers", "sqe r read ud=7 fd=p.r addr=b+0x10 addr2=b addr3=b+8",
			Command{Line: L, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: 22, OpText: "read", Fields: []SQEField{
				numField(L, "ud", "user_data", "7", 7),
				{Line: L, Key: "fd", Field: "fd", Kind: FieldFd, Text: "p.r", Name: "p.r"},
				{Line: L, Key: "addr", Field: "addr", Kind: FieldMem, Text: "b+0x10", Name: "b", Off: 16},
				{Line: L, Key: "addr2", Field: "addr2", Kind: FieldMem, Text: "b", Name: "b"},
				{Line: L, Key: "addr3", Field: "addr3", Kind: FieldMem, Text: "b+8", Name: "b", Off: 8},
			}}}},
		{"sqe fixed file", "sqe r read fd=s.0 flags=IOSQE_FIXED_FILE",
			Command{Line: L, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: 22, OpText: "read", Fields: []SQEField{
				{Line: L, Key: "fd", Field: "fd", Kind: FieldFd, Text: "s.0", Name: "s.0"},
				numField(L, "flags", "flags", "IOSQE_FIXED_FILE", 1),
			}}}},
		{"sqe timeout", "sqe r timeout ts=500us len=1",
			Command{Line: L, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: 11, OpText: "timeout", Fields: []SQEField{
				{Line: L, Key: "ts", Field: "addr", Kind: FieldTimespec, Text: "500us", Dur: dur(500*time.Microsecond, "500us")},
				numField(L, "len", "len", "1", 1),
			}}}},
		{"sqe cancel", "sqe r async_cancel target=42",
			Command{Line: L, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: 14, OpText: "async_cancel", Fields: []SQEField{
				numField(L, "target", "addr", "42", 42),
			}}}},
		{"sqe msg_ring", "sqe r msg_ring ring_fd=r len=0x10",
			Command{Line: L, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: 40, OpText: "msg_ring", Fields: []SQEField{
				{Line: L, Key: "ring_fd", Field: "fd", Kind: FieldFd, Text: "r", Name: "r"},
				numField(L, "len", "len", "0x10", 16),
			}}}},
		{"sqe msg_ring bad fd", "sqe r msg_ring ring_fd=-1",
			Command{Line: L, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: 40, OpText: "msg_ring", Fields: []SQEField{
				{Line: L, Key: "ring_fd", Field: "fd", Kind: FieldNum, Text: "-1", Num: neg(-1, "-1")},
			}}}},
		{"sqe connect", "sqe r connect fd=c sockaddr=l",
			Command{Line: L, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: 16, OpText: "connect", Fields: []SQEField{
				{Line: L, Key: "fd", Field: "fd", Kind: FieldFd, Text: "c", Name: "c"},
				{Line: L, Key: "sockaddr", Field: "addr", Kind: FieldSockaddr, Text: "l", Name: "l"},
			}}}},
		{"sqe readv", "sqe r readv fd=f iov=b:512,b+512:0x200,0x1000:8",
			Command{Line: L, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: 1, OpText: "readv", Fields: []SQEField{
				{Line: L, Key: "fd", Field: "fd", Kind: FieldFd, Text: "f", Name: "f"},
				{Line: L, Key: "iov", Field: "addr", Kind: FieldIOV, Text: "b:512,b+512:0x200,0x1000:8",
					IOV: []IOVec{{Mem: "b", Len: 512}, {Mem: "b", Off: 512, Len: 512}, {Off: 0x1000, Len: 8}}},
			}}}},
		{"sqe poll", "sqe r poll_add fd=e op_flags=POLLIN|POLLOUT ud=1",
			Command{Line: L, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: 6, OpText: "poll_add", Fields: []SQEField{
				{Line: L, Key: "fd", Field: "fd", Kind: FieldFd, Text: "e", Name: "e"},
				numField(L, "op_flags", "op_flags", "POLLIN|POLLOUT", 1|4),
				numField(L, "ud", "user_data", "1", 1),
			}}}},
		{"sqe continued", "sqe r nop \\\n  ud=1 \\\n  flags=IOSQE_ASYNC",
			Command{Line: L, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: 0, OpText: "nop", Fields: []SQEField{
				numField(L+1, "ud", "user_data", "1", 1),
				numField(L+2, "flags", "flags", "IOSQE_ASYNC", 16),
			}}}},

		// System calls.
		{"submit", "submit r", Command{Line: L, Word: "submit", Cmd: &SubmitCmd{Ring: "r"}}},
		{"submit full", "submit r wait=1 flags=IORING_ENTER_GETEVENTS expect=-EBUSY",
			Command{Line: L, Word: "submit", Cmd: &SubmitCmd{Ring: "r", Wait: n(1, "1"), Flags: n(1, "IORING_ENTER_GETEVENTS"), Expect: neg(-16, "-EBUSY")}}},
		{"submit expect any", "submit r expect=*", Command{Line: L, Word: "submit", Cmd: &SubmitCmd{Ring: "r", Expect: anyNum()}}},
		{"enter", "enter r to_submit=1 min_complete=2 flags=IORING_ENTER_GETEVENTS|IORING_ENTER_EXT_ARG timeout=2s expect=-ETIME",
			Command{Line: L, Word: "enter", Cmd: &EnterCmd{Ring: "r", ToSubmit: n(1, "1"), MinComplete: n(2, "2"),
				Flags: n(1|8, "IORING_ENTER_GETEVENTS|IORING_ENTER_EXT_ARG"), Timeout: dur(2*time.Second, "2s"), Expect: neg(-62, "-ETIME")}}},
		{"enter ns", "enter r timeout=100ns", Command{Line: L, Word: "enter", Cmd: &EnterCmd{Ring: "r", Timeout: dur(100, "100ns")}}},
		{"enter zero timeout", "enter r timeout=0", Command{Line: L, Word: "enter", Cmd: &EnterCmd{Ring: "r", Timeout: dur(0, "0")}}},
		{"task prefix", "@t2 submit r expect=-EEXIST",
			Command{Line: L, Task: "t2", Word: "submit", Cmd: &SubmitCmd{Ring: "r", Expect: neg(-17, "-EEXIST")}}},

		// Register.
		{"register files", "register r IORING_REGISTER_FILES files=f,p.r,-1,s.0",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 2, OpText: "IORING_REGISTER_FILES",
				Files: []FileRef{{Name: "f"}, {Name: "p.r"}, {Sparse: true}, {Name: "s.0"}}}}},
		{"register files tags", "register r IORING_REGISTER_FILES files=f,-1 tags=1,0x2 expect=0",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 2, OpText: "IORING_REGISTER_FILES",
				Files: []FileRef{{Name: "f"}, {Sparse: true}}, Tags: []uint64{1, 2}, Expect: n(0, "0")}}},
		{"register buffers", "register r IORING_REGISTER_BUFFERS mems=b",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 0, OpText: "IORING_REGISTER_BUFFERS", Mems: []string{"b"}}}},
		{"register buffers tags", "register r IORING_REGISTER_BUFFERS mems=b tags=9",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 0, OpText: "IORING_REGISTER_BUFFERS", Mems: []string{"b"}, Tags: []uint64{9}}}},
		{"register eventfd", "register r IORING_REGISTER_EVENTFD eventfd=e",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 4, OpText: "IORING_REGISTER_EVENTFD", Eventfd: "e"}}},
		{"register eventfd async", "register r IORING_REGISTER_EVENTFD_ASYNC eventfd=e",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 7, OpText: "IORING_REGISTER_EVENTFD_ASYNC", Eventfd: "e"}}},
		{"register pbuf ring", "register r IORING_REGISTER_PBUF_RING bgid=1 entries=8 size=64 count=4 flags=0",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 22, OpText: "IORING_REGISTER_PBUF_RING",
				BGID: n(1, "1"), Entries: n(8, "8"), Size: n(64, "64"), Count: n(4, "4"), Flags: n(0, "0")}}},
		{"register iowq max workers", "register r IORING_REGISTER_IOWQ_MAX_WORKERS bound=1 unbound=0",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 19, OpText: "IORING_REGISTER_IOWQ_MAX_WORKERS", Bound: n(1, "1"), Unbound: n(0, "0")}}},
		{"register files update", "register r IORING_REGISTER_FILES_UPDATE off=1 files=-1,e",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 6, OpText: "IORING_REGISTER_FILES_UPDATE",
				Off: n(1, "1"), Files: []FileRef{{Sparse: true}, {Name: "e"}}}}},
		{"register file alloc range", "register r IORING_REGISTER_FILE_ALLOC_RANGE off=2 len=3",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 25, OpText: "IORING_REGISTER_FILE_ALLOC_RANGE", Off: n(2, "2"), Len: n(3, "3")}}},
		{"unregister pbuf ring", "register r IORING_UNREGISTER_PBUF_RING bgid=1 expect=-ENOENT",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 23, OpText: "IORING_UNREGISTER_PBUF_RING", BGID: n(1, "1"), Expect: neg(-2, "-ENOENT")}}},
		{"register sync cancel target", "register r IORING_REGISTER_SYNC_CANCEL target=5 op_flags=IORING_ASYNC_CANCEL_ALL timeout=10ms",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 24, OpText: "IORING_REGISTER_SYNC_CANCEL",
				Target: n(5, "5"), OpFlags: n(1, "IORING_ASYNC_CANCEL_ALL"), Timeout: dur(10*time.Millisecond, "10ms")}}},
		{"register sync cancel fd", "register r IORING_REGISTER_SYNC_CANCEL fd=p.r op_flags=IORING_ASYNC_CANCEL_FD",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 24, OpText: "IORING_REGISTER_SYNC_CANCEL",
				Fd: FdArg{Set: true, Name: "p.r"}, OpFlags: n(2, "IORING_ASYNC_CANCEL_FD")}}},
		{"register restrictions", "register r IORING_REGISTER_RESTRICTIONS sqe_ops=read,IORING_OP_WRITE,NOP register_ops=IORING_REGISTER_ENABLE_RINGS,IORING_REGISTER_PROBE sqe_flags_allowed=IOSQE_IO_LINK sqe_flags_required=0",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 11, OpText: "IORING_REGISTER_RESTRICTIONS",
				SQEOps: []uint8{22, 23, 0}, RegisterOps: []uint8{12, 8}, SQEFlagsAllowed: n(4, "IOSQE_IO_LINK"), SQEFlagsRequired: n(0, "0")}}},
		{"register napi", "register r IORING_REGISTER_NAPI busy_poll_to=50 prefer_busy_poll=1 opcode=IO_URING_NAPI_STATIC_ADD_ID op_param=257",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 27, OpText: "IORING_REGISTER_NAPI",
				BusyPollTo: n(50, "50"), PreferBusyPoll: n(1, "1"), NapiOp: n(1, "IO_URING_NAPI_STATIC_ADD_ID"), OpParam: n(257, "257")}}},
		{"register probe", "register r IORING_REGISTER_PROBE",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 8, OpText: "IORING_REGISTER_PROBE"}}},
		{"unregister files", "register r IORING_UNREGISTER_FILES expect=-ENXIO",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 3, OpText: "IORING_UNREGISTER_FILES", Expect: neg(-6, "-ENXIO")}}},
		{"unregister buffers", "register r IORING_UNREGISTER_BUFFERS",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 1, OpText: "IORING_UNREGISTER_BUFFERS"}}},
		{"unregister eventfd", "register r IORING_UNREGISTER_EVENTFD",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 5, OpText: "IORING_UNREGISTER_EVENTFD"}}},
		{"enable rings", "register r IORING_REGISTER_ENABLE_RINGS",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 12, OpText: "IORING_REGISTER_ENABLE_RINGS"}}},
		{"register other known opcode", "register r IORING_REGISTER_PERSONALITY expect=*",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 9, OpText: "IORING_REGISTER_PERSONALITY", Expect: anyNum()}}},
		{"register numeric opcode", "register r 999 expect=-EINVAL",
			Command{Line: L, Word: "register", Cmd: &RegisterCmd{Ring: "r", Opcode: 999, OpText: "999", Expect: neg(-22, "-EINVAL")}}},

		// Ring memory.
		{"poke", "poke r sq_head=1 sq_tail=2 cq_head=3 cq_tail=4 sq_flags=IORING_SQ_NEED_WAKEUP cq_flags=0 sq_array[7]=0xffffffff",
			Command{Line: L, Word: "poke", Cmd: &PokeCmd{Ring: "r", Fields: []RingField{
				{Line: L, Field: "sq_head", Value: n(1, "1")},
				{Line: L, Field: "sq_tail", Value: n(2, "2")},
				{Line: L, Field: "cq_head", Value: n(3, "3")},
				{Line: L, Field: "cq_tail", Value: n(4, "4")},
				{Line: L, Field: "sq_flags", Value: n(1, "IORING_SQ_NEED_WAKEUP")},
				{Line: L, Field: "cq_flags", Value: n(0, "0")},
				{Line: L, Field: "sq_array", Index: 7, Value: n(0xffffffff, "0xffffffff")},
			}}}},
		{"peek", "peek r sq_dropped=1 cq_overflow=* sq_head=0",
			Command{Line: L, Word: "peek", Cmd: &PeekCmd{Ring: "r", Fields: []RingField{
				{Line: L, Field: "sq_dropped", Value: n(1, "1")},
				{Line: L, Field: "cq_overflow", Value: anyNum()},
				{Line: L, Field: "sq_head", Value: n(0, "0")},
			}}}},

		// Files and time.
		{"write", `write p.w data="hello" expect=5`, Command{Line: L, Word: "write", Cmd: &WriteCmd{File: "p.w", Data: str("hello", `data="hello"`), Expect: n(5, "5")}}},
		{"write eventfd", `write e data="\x01\x00\x00\x00\x00\x00\x00\x00"`, Command{Line: L, Word: "write", Cmd: &WriteCmd{File: "e", Data: str("\x01\x00\x00\x00\x00\x00\x00\x00", `data="\x01\x00\x00\x00\x00\x00\x00\x00"`)}}},
		{"read", `read p.r len=5 data="hello"`, Command{Line: L, Word: "read", Cmd: &ReadCmd{File: "p.r", Len: n(5, "5"), Data: str("hello", `data="hello"`)}}},
		{"read nocheck", `read s.1 len=0x10`, Command{Line: L, Word: "read", Cmd: &ReadCmd{File: "s.1", Len: n(16, "0x10")}}},
		{"shutdown", "shutdown s.0", Command{Line: L, Word: "shutdown", Cmd: &ShutdownCmd{File: "s.0", How: ShutRDWR}}},
		{"shutdown wr", "shutdown c how=SHUT_WR", Command{Line: L, Word: "shutdown", Cmd: &ShutdownCmd{File: "c", How: ShutWR}}},
		{"shutdown rd", "shutdown l how=SHUT_RD", Command{Line: L, Word: "shutdown", Cmd: &ShutdownCmd{File: "l", How: ShutRD}}},
		{"sleep", "sleep 10ms", Command{Line: L, Word: "sleep", Cmd: &SleepCmd{Dur: dur(10*time.Millisecond, "10ms")}}},
		{"sleep zero", "sleep 0", Command{Line: L, Word: "sleep", Cmd: &SleepCmd{Dur: dur(0, "0")}}},

		// Expectations.
		{"cqe full", "cqe r ud=0x10 res=4096 flags=IORING_CQE_F_BUFFER|IORING_CQE_F_MORE bid=3 big0=1 big1=-1",
			Command{Line: L, Word: "cqe", Cmd: &CQEExpect{Line: L, Ring: "r", UD: n(16, "0x10"), Res: n(4096, "4096"),
				Flags: n(3, "IORING_CQE_F_BUFFER|IORING_CQE_F_MORE"), BID: n(3, "3"), Big0: n(1, "1"), Big1: neg(-1, "-1")}}},
		{"cqe any", "cqe r ud=* res=* flags=*", Command{Line: L, Word: "cqe", Cmd: &CQEExpect{Line: L, Ring: "r", UD: anyNum(), Res: anyNum(), Flags: anyNum()}}},
		{"cqe flags 0", "cqe r ud=1 res=-EAGAIN flags=0", Command{Line: L, Word: "cqe", Cmd: &CQEExpect{Line: L, Ring: "r", UD: n(1, "1"), Res: neg(-11, "-EAGAIN"), Flags: n(0, "0")}}},
		{"cqe res u32", "cqe r ud=1 res=0xffffffff", Command{Line: L, Word: "cqe", Cmd: &CQEExpect{Line: L, Ring: "r", UD: n(1, "1"), Res: neg(-1, "0xffffffff")}}},
		{"cqe on task", "@t2 cqe r ud=1 res=0", Command{Line: L, Task: "t2", Word: "cqe", Cmd: &CQEExpect{Line: L, Ring: "r", UD: n(1, "1"), Res: n(0, "0")}}},
		{"unordered", "unordered r\n  cqe ud=1 res=0\n  cqe r ud=2 res=-ECANCELED   # ring name allowed\nend",
			Command{Line: L, Word: "unordered", Cmd: &UnorderedBlock{Ring: "r", EndLine: L + 3, CQEs: []*CQEExpect{
				{Line: L + 1, Ring: "r", UD: n(1, "1"), Res: n(0, "0")},
				{Line: L + 2, Ring: "r", UD: n(2, "2"), Res: neg(-125, "-ECANCELED")},
			}}}},
		{"either", "either r\ncqe ud=1 res=0\nunordered\ncqe ud=2 res=0\ncqe ud=3 res=0\nend\nor\ncqe ud=1 res=-ECANCELED\nor\nunordered r\ncqe ud=9 res=*\nend\nend",
			Command{Line: L, Word: "either", Cmd: &EitherBlock{Ring: "r", EndLine: L + 12, Alts: []Alternative{
				{Line: L, Items: []Matcher{
					&CQEExpect{Line: L + 1, Ring: "r", UD: n(1, "1"), Res: n(0, "0")},
					&UnorderedBlock{Ring: "r", EndLine: L + 5, CQEs: []*CQEExpect{
						{Line: L + 3, Ring: "r", UD: n(2, "2"), Res: n(0, "0")},
						{Line: L + 4, Ring: "r", UD: n(3, "3"), Res: n(0, "0")},
					}},
				}},
				{Line: L + 6, Items: []Matcher{
					&CQEExpect{Line: L + 7, Ring: "r", UD: n(1, "1"), Res: neg(-125, "-ECANCELED")},
				}},
				{Line: L + 8, Items: []Matcher{
					&UnorderedBlock{Ring: "r", EndLine: L + 11, CQEs: []*CQEExpect{
						{Line: L + 10, Ring: "r", UD: n(9, "9"), Res: anyNum()},
					}},
				}},
			}}}},
		{"either empty alternative", "@t2 either r\ncqe ud=1 res=0\nor\nend",
			Command{Line: L, Task: "t2", Word: "either", Cmd: &EitherBlock{Ring: "r", EndLine: L + 3, Alts: []Alternative{
				{Line: L, Items: []Matcher{&CQEExpect{Line: L + 1, Ring: "r", UD: n(1, "1"), Res: n(0, "0")}}},
				{Line: L + 2},
			}}}},
		{"nocqe", "nocqe r", Command{Line: L, Word: "nocqe", Cmd: &NocqeCmd{Ring: "r"}}},
		{"check", `check b data="ab"`, Command{Line: L, Word: "check", Cmd: &CheckCmd{Mem: "b", Data: str("ab", `data="ab"`)}}},
		{"check off", `check b off=0x10 data=""`, Command{Line: L, Word: "check", Cmd: &CheckCmd{Mem: "b", Off: n(16, "0x10"), Data: str("", `data=""`)}}},
		{"fdinfo", "fdinfo r", Command{Line: L, Word: "fdinfo", Cmd: &FdinfoCmd{Ring: "r"}}},
		{"fdinfo keys", `fdinfo r SqHead=3 CqTail=* SqThread=-1 Name="x y" Other=abc`,
			Command{Line: L, Word: "fdinfo", Cmd: &FdinfoCmd{Ring: "r", Checks: []FdinfoCheck{
				{Line: L, Key: "SqHead", Value: "3", IsNum: true, Num: n(3, "3")},
				{Line: L, Key: "CqTail", Value: "*", IsNum: true, Num: anyNum()},
				{Line: L, Key: "SqThread", Value: "-1", IsNum: true, Num: neg(-1, "-1")},
				{Line: L, Key: "Name", Value: "x y"},
				{Line: L, Key: "Other", Value: "abc"},
			}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := Parse("t.scn", []byte(prelude+tt.src+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			got := sc.Cmds[len(sc.Cmds)-1]
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("\n got %+v %#v\nwant %+v %#v", got, got.Cmd, tt.want, tt.want.Cmd)
			}
		})
	}
}

func TestParseDeclarations(t *testing.T) {
	sc, err := Parse("t.scn", []byte(prelude+"register r IORING_REGISTER_PBUF_RING bgid=7 entries=4 size=16\ncheck pbuf7 data=\"\"\n"+
		"ring r2 entries=1\nregister r2 IORING_REGISTER_PBUF_RING bgid=7 entries=4 size=16\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Object{
		{"r", ObjRing, 1}, {"f", ObjFile, 2}, {"b", ObjMem, 3},
		{"p", ObjPipe, 4}, {"p.r", ObjPipeEnd, 4}, {"p.w", ObjPipeEnd, 4},
		{"s", ObjSocketpair, 5}, {"s.0", ObjSocketEnd, 5}, {"s.1", ObjSocketEnd, 5},
		{"l", ObjListen, 6}, {"c", ObjSocket, 7}, {"e", ObjEventfd, 8}, {"t2", ObjTask, 9},
		{"pbuf7", ObjMem, 10}, {"r2", ObjRing, 12},
	}
	if !reflect.DeepEqual(sc.Objects, want) {
		t.Errorf("objects:\n got %v\nwant %v", sc.Objects, want)
	}
	if o, ok := sc.Object("p.w"); !ok || o.Kind != ObjPipeEnd {
		t.Errorf("Object(p.w) = %v, %v", o, ok)
	}
	if _, ok := sc.Object("zz"); ok {
		t.Errorf("Object(zz) found")
	}
}

func TestParseDirectives(t *testing.T) {
	src := "requires sim\nrequires kernel>=6.8 op=IORING_OP_RECV_ZC\nseed=0x2a\nrequires kernel>=5.19.3 op=read\nring r entries=1\n"
	sc, err := Parse("dir/x.scn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if !sc.HasSeed || sc.Seed != 42 {
		t.Errorf("seed = %d, %v", sc.Seed, sc.HasSeed)
	}
	want := []Require{
		{Line: 1, Text: "sim", Kind: RequireSim},
		{Line: 2, Text: "kernel>=6.8", Kind: RequireKernel, Version: [3]int{6, 8, 0}},
		{Line: 2, Text: "op=IORING_OP_RECV_ZC", Kind: RequireOp, Op: 58},
		{Line: 4, Text: "kernel>=5.19.3", Kind: RequireKernel, Version: [3]int{5, 19, 3}},
		{Line: 4, Text: "op=read", Kind: RequireOp, Op: 22},
	}
	if !reflect.DeepEqual(sc.Requires, want) {
		t.Errorf("requires:\n got %+v\nwant %+v", sc.Requires, want)
	}
	if len(sc.Cmds) != 1 || sc.Name != "x" {
		t.Errorf("cmds %d name %q", len(sc.Cmds), sc.Name)
	}
}

// TestParseErrors checks one malformed input per kind of error: the exact
// message, which starts with FILE:LINE and quotes the offending word.
func TestParseErrors(t *testing.T) {
	const L = "t.scn:10: " // the line after the prelude
	tests := []struct {
		name, src, want string
	}{
		// Commands and keys.
		{"unknown command", "submitt r", L + `unknown command "submitt"`},
		{"unknown command key=value", "foo=1", L + `unknown command "foo=1"`},
		{"unknown command string", `"sqe"`, L + `unknown command "\"sqe\""`},
		{"unknown key sqe", "sqe r nop lenn=1", L + `unknown key "lenn" for sqe`},
		{"unknown key ring", "ring r2 entries=1 sqpoll=1", L + `unknown key "sqpoll" for ring`},
		{"unknown key register", "register r IORING_REGISTER_FILES files=f bgid=1", L + `unknown key "bgid" for register IORING_REGISTER_FILES`},
		{"no keys for probe", "register r IORING_REGISTER_PROBE files=f", L + `unknown key "files" for register IORING_REGISTER_PROBE`},
		{"unknown key poke", "poke r sq_dropped=1", L + `unknown key "sq_dropped" for poke`},
		{"unknown key cqe", "cqe r ud=1 res=0 flag=0", L + `unknown key "flag" for cqe`},
		{"duplicate key", "cqe r ud=1 ud=2 res=0", L + `duplicate key "ud" in cqe`},
		{"bare word among keys", "submit r 3", L + `unexpected word "3" in submit (want key=value)`},
		{"missing key", "submit r =3", L + `missing key in "=3"`},
		{"missing required key", "ring r2", L + `ring: missing entries=`},
		{"missing cqe res", "cqe r ud=1", L + `cqe: missing res=`},
		{"missing register key", "register r IORING_REGISTER_PBUF_RING bgid=1 entries=8", L + `register IORING_REGISTER_PBUF_RING: missing size=`},
		{"missing name", "ring entries=8", L + `ring: missing name before "entries=8"`},
		{"missing ring", "submit", L + `submit: missing ring name`},
		{"exit not a task", "exit r", L + `"r" is a ring, not a task`},
		{"exit on a task", "@t2 exit t2", L + `exit runs on the main task, not "@t2"`},
		{"exit twice", "exit t2\nexit t2", "t.scn:11: task t2 exited on line 10"},
		{"task used after exit", "exit t2\n@t2 nocqe r", "t.scn:11: task t2 exited on line 10"},
		{"missing opcode", "sqe r", L + `sqe: missing opcode`},
		{"trailing word", "nocqe r r", L + `unexpected "r" after nocqe`},
		{"sync cancel needs target", "register r IORING_REGISTER_SYNC_CANCEL", L + `register IORING_REGISTER_SYNC_CANCEL: missing target= or fd=`},
		{"tags count", "register r IORING_REGISTER_FILES files=f,-1 tags=1", L + `register IORING_REGISTER_FILES: 1 tags for 2 resources`},
		{"pbuf count", "register r IORING_REGISTER_PBUF_RING bgid=1 entries=2 size=8 count=3", L + `register IORING_REGISTER_PBUF_RING: count=3 exceeds entries=2`},
		{"data too long", `mem m size=2 data="abc"`, L + `mem m: data (3 bytes) longer than size=2`},

		// Values.
		{"bad number", "sqe r nop ud=12x", L + `bad number "12x" for ud`},
		{"bad hex", "sqe r nop ud=0xg", L + `bad number "0xg" for ud`},
		{"number too big", "sqe r nop ud=18446744073709551616", L + `bad number "18446744073709551616" for ud`},
		{"out of range", "sqe r nop len=0x100000000", L + `value "0x100000000" out of range for len (32 bits)`},
		{"negative out of range", "sqe r nop flags=-129", L + `value "-129" out of range for flags (8 bits)`},
		{"string for number", `sqe r nop ud="1"`, L + `unexpected string in "ud=\"1\""`},
		{"string for flags", `submit r flags="1"`, L + `unexpected string in "flags=\"1\""`},
		{"bad duration", "sleep 10", L + `bad duration "10" for sleep (want 0, or N with ns, us, ms or s)`},
		{"bad duration unit", "enter r timeout=1h", L + `bad duration "1h" for timeout (want 0, or N with ns, us, ms or s)`},
		{"negative duration", "sqe r timeout ts=-1ms", L + `bad duration "-1ms" for ts (want 0, or N with ns, us, ms or s)`},
		{"duration overflow", "sleep 99999999999999999s", L + `duration "99999999999999999s" out of range for sleep`},
		{"sq_thread_idle ms", "ring r2 entries=1 sq_thread_idle=500us", L + `sq_thread_idle "500us" must be a whole number of milliseconds below 2^32`},
		{"unknown flag", "sqe r nop flags=IOSQE_IO_LINKK", L + `unknown flag "IOSQE_IO_LINKK"`},
		{"unknown flag in set", "sqe r nop flags=IOSQE_IO_LINK|IOSQE_BOGUS", L + `unknown flag "IOSQE_BOGUS"`},
		{"bad flag set", "sqe r nop flags=IOSQE_IO_LINK|", L + `bad flag set "IOSQE_IO_LINK|" for flags`},
		{"unknown errno", "cqe r ud=1 res=-EBOGUS", L + `unknown errno name "-EBOGUS"`},
		{"star in setting", "sqe r nop ud=*", L + `ud=* not allowed here (* only matches in expectations)`},
		{"star in poke", "poke r sq_tail=*", L + `sq_tail=* not allowed here (* only matches in expectations)`},
		{"unknown opcode", "sqe r reed", L + `unknown opcode "reed"`},
		{"unknown opcode in restrictions", "register r IORING_REGISTER_RESTRICTIONS sqe_ops=read,bogus", L + `unknown opcode "bogus"`},
		{"unknown register opcode", "register r IORING_REGISTER_BOGUS", L + `unknown register opcode "IORING_REGISTER_BOGUS"`},
		{"register opcode of wrong family", "register r IOSQE_ASYNC", L + `unknown register opcode "IOSQE_ASYNC"`},
		{"unknown requires op", "requires op=IORING_OP_BOGUS", L + `unknown opcode "IORING_OP_BOGUS"`},
		{"unknown requirement", "requires host", L + `unknown requirement "host"`},
		{"bad kernel version", "requires kernel>=6", L + `bad kernel version in "kernel>=6" (want kernel>=X.Y[.Z])`},
		{"bad seed", "seed=abc", L + `bad seed "seed=abc"`},
		{"second seed", "seed=1\nseed=2", "t.scn:11: " + `second seed "seed=2"`},
		{"data not quoted", "write p.w data=abc", L + `data=abc: want a double-quoted string`},
		{"bad socket type", "socketpair s2 type=SOCK_RAW", L + `unknown socket type "SOCK_RAW" (want SOCK_STREAM or SOCK_DGRAM)`},
		{"bad how", "shutdown s.0 how=WR", L + `unknown how "WR" (want SHUT_RD, SHUT_WR or SHUT_RDWR)`},
		{"bad sq_array index", "poke r sq_array[x]=1", L + `bad index in "sq_array[x]" (want sq_array[I])`},
		{"bad iov", "sqe r readv iov=b", L + `bad iovec "b" in iov= (want MEM[+OFF]:LEN)`},
		{"bad iov len", "sqe r readv iov=b:x", L + `bad length "x" in iov=`},
		{"bad mem offset", "sqe r read addr=b+x", L + `bad offset "x" in addr=b+x`},
		{"bid without buffer flag", "cqe r ud=1 res=0 flags=IORING_CQE_F_MORE bid=1", L + `cqe: bid=1 needs IORING_CQE_F_BUFFER in flags=IORING_CQE_F_MORE`},
		{"cqe flags beyond 16 bits", "cqe r ud=1 res=0 flags=0x10000", L + `value "0x10000" out of range for flags (16 bits)`},
		{"fill range", "mem m size=1 fill=256", L + `value "256" out of range for fill (8 bits)`},
		{"mem size zero", "mem m size=0", L + `mem size "0" must be positive`},

		// References.
		{"undeclared ring", "submit r9", L + `undeclared ring "r9"`},
		{"undeclared file", "sqe r read fd=g", L + `undeclared file "g"`},
		{"undeclared pipe end", "sqe r read fd=p.x", L + `undeclared file "p.x"`},
		{"undeclared mem", "sqe r read addr=buf", L + `undeclared mem "buf"`},
		{"undeclared mem with offset", "sqe r read addr=BUF+4", L + `undeclared mem "BUF"`},
		{"undeclared mem in iov", "sqe r readv iov=m:1", L + `undeclared mem "m"`},
		{"undeclared mem in check", `check m data=""`, L + `undeclared mem "m"`},
		{"undeclared upper-case file", "sqe r read fd=G", L + `undeclared file "G"`},
		{"undeclared upper-case mem", "sqe r read addr2=BUF", L + `undeclared mem "BUF"`},
		{"undeclared sync cancel fd", "register r IORING_REGISTER_SYNC_CANCEL fd=x", L + `undeclared file "x"`},
		{"undeclared ring_fd", "sqe r msg_ring ring_fd=r9", L + `undeclared ring "r9"`},
		{"empty list element", "register r IORING_REGISTER_FILES files=f,,-1", L + `empty element in "files=f,,-1"`},
		{"empty list", "register r IORING_REGISTER_BUFFERS mems=", L + `empty element in "mems="`},
		{"bad file in list", "register r IORING_REGISTER_FILES files=-2", L + `bad file "-2" in files= (want a name or -1)`},
		{"undeclared in files", "register r IORING_REGISTER_FILES files=f,g", L + `undeclared file "g"`},
		{"undeclared wq", "ring r2 entries=1 wq=r9", L + `undeclared ring "r9"`},
		{"undeclared task", "@t9 submit r", L + `undeclared task "t9"`},
		{"declared later", "submit r2\nring r2 entries=1", L + `undeclared ring "r2"`},
		{"wrong kind", "submit f", L + `"f" is a file, not a ring`},
		{"pipe is not a file", "sqe r read fd=p", L + `"p" is a pipe, not a file (use p.r or p.w)`},
		{"socketpair is not a file", "close s", L + `"s" is a socketpair, not a file (use s.0 or s.1)`},
		{"mem is not a file", "write b data=\"\"", L + `"b" is a mem, not a file`},
		{"file is not a mem", "sqe r read addr=f", L + `"f" is a file, not a mem`},
		{"sockaddr needs listen", "sqe r connect sockaddr=c", L + `"c" is a socket, not a listening socket`},
		{"ring_fd needs ring", "sqe r msg_ring ring_fd=f", L + `"f" is a file, not a ring`},
		{"shutdown needs socket", "shutdown p.w", L + `"p.w" is a pipe end, not a socket`},
		{"task is not a ring", "@t2 submit t2", L + `"t2" is a task, not a ring`},
		{"prefix names a ring", "@r submit r", L + `"r" is a ring, not a task`},
		{"redeclared", "file r", L + `"r" already declared (as ring at line 1)`},
		{"redeclared part", "pipe p", L + `"p" already declared (as pipe at line 4)`},
		{"bad name", "file 9x", L + `bad file name "9x" (want an identifier)`},
		{"dotted name", "file a.b", L + `bad file name "a.b" (want an identifier)`},
		{"pbuf name taken", "mem pbuf1 size=1\nregister r IORING_REGISTER_PBUF_RING bgid=1 entries=1 size=1", "t.scn:11: " + `register IORING_REGISTER_PBUF_RING: mapping "pbuf1" already declared (as mem at line 10)`},
		{"bad task prefix", "@ submit r", L + `bad task name "@"`},
		{"prefix alone", "@t2", L + `"@t2" with no command`},
		{"prefix on directive", "@t2 requires sim", L + `directive "requires" cannot run on a task`},

		// Blocks.
		{"end without block", "end", L + `"end" without a matching unordered or either`},
		{"or without either", "or", L + `"or" without a matching either`},
		{"or in unordered", "unordered r\ncqe ud=1 res=0\nor", "t.scn:12: " + `"or" inside an unordered block (started at line 10)`},
		{"or in nested unordered", "either r\nunordered\ncqe ud=1 res=0\nor", "t.scn:13: " + `"or" inside an unordered block (started at line 11)`},
		{"unordered not closed", "unordered r\ncqe ud=1 res=0\n", L + `unordered block not closed (missing end)`},
		{"either not closed", "either r\ncqe ud=1 res=0\nor\ncqe ud=2 res=0", L + `either block not closed (missing end)`},
		{"nested unordered not closed", "either r\nunordered\ncqe ud=1 res=0\n", "t.scn:11: " + `unordered block not closed (missing end)`},
		{"command in block", "unordered r\nsubmit r", "t.scn:11: " + `"submit" not allowed inside an unordered block (only cqe and end)`},
		{"command in either", "either r\nnocqe r", "t.scn:11: " + `"nocqe" not allowed inside an either block (only cqe, unordered, or and end)`},
		{"either in either", "either r\neither r", "t.scn:11: " + `"either" not allowed inside an either block (only cqe, unordered, or and end)`},
		{"unordered in unordered", "unordered r\nunordered r", "t.scn:11: " + `"unordered" not allowed inside an unordered block (only cqe and end)`},
		{"task prefix in block", "unordered r\n@t2 cqe ud=1 res=0", "t.scn:11: " + `"@t2" not allowed inside a block (put it on the block's first line)`},
		{"other ring in block", "ring r2 entries=1\nunordered r\ncqe r2 ud=1 res=0", "t.scn:12: " + `cqe names ring "r2" inside unordered block of ring "r"`},
		{"other ring in nested unordered", "ring r2 entries=1\neither r\nunordered r2", "t.scn:12: " + `unordered names ring "r2" inside either of ring "r"`},
		{"empty unordered", "unordered r\nend", "t.scn:11: " + `empty unordered block (started at line 10)`},
		{"end with args", "unordered r\ncqe ud=1 res=0\nend r", "t.scn:12: " + `unexpected "r" after end`},
		{"block head args", "unordered r ud=1", L + `unexpected "ud=1" after unordered r`},
		{"block undeclared ring", "either r9", L + `undeclared ring "r9"`},
		{"cqe error in block", "unordered r\ncqe ud=1 res=0 lenn=1", "t.scn:11: " + `unknown key "lenn" for cqe`},

		// Lexical errors reach Parse with their line.
		{"unterminated string", "write p.w data=\"abc", L + `unterminated string "\"abc"`},
		{"error on continued line", "sqe r nop \\\n ud=1 \\\n lenn=2", "t.scn:12: " + `unknown key "lenn" for sqe`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.scn", []byte(prelude+tt.src+"\n"))
			if err == nil {
				t.Fatalf("no error, want %s", tt.want)
			}
			if _, ok := err.(*Error); !ok {
				t.Errorf("error type %T, want *Error", err)
			}
			if err.Error() != tt.want {
				t.Errorf("\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chain.scn")
	if err := os.WriteFile(path, []byte(specExample), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "chain" || sc.Path != path || len(sc.Cmds) != 10 {
		t.Errorf("got name %q path %q %d cmds", sc.Name, sc.Path, len(sc.Cmds))
	}
	bad := filepath.Join(dir, "bad.scn")
	if err := os.WriteFile(bad, []byte("ring r entries=8\nsqe r nop lenn=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ParseFile(bad)
	if err == nil || err.Error() != bad+`:2: unknown key "lenn" for sqe` {
		t.Errorf("got %v", err)
	}
	if _, err := ParseFile(filepath.Join(dir, "missing.scn")); err == nil {
		t.Errorf("no error for a missing file")
	}
}

// TestParseGolden parses every scenario under testdata/parse; files named
// bad_*.scn must fail with the message in their first line's comment.
func TestParseGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "parse", "*.scn"))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(filepath.Base(f), src)
			if !strings.HasPrefix(filepath.Base(f), "bad_") {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			first, _, _ := strings.Cut(string(src), "\n")
			want := strings.TrimSpace(strings.TrimPrefix(first, "# want:"))
			if err == nil || err.Error() != want {
				t.Errorf("got %v, want %s", err, want)
			}
		})
	}
}
