package scenario

import (
	"bufio"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uringsim/uringsim/rings"
)

// TestParseCtlForms: child, store, futex_wake, and constant names in
// integer positions.
func TestParseCtlForms(t *testing.T) {
	const L = preludeLines + 1
	tests := []struct {
		name string
		src  string
		want Command
	}{
		{"child", "child k exit=3 after=10ms", Command{Line: L, Word: "child", Cmd: &ChildCmd{Name: "k", Exit: n(3, "3"), After: dur(10*time.Millisecond, "10ms")}}},
		{"store u32", "store b off=8 u32=FUTEX_BITSET_MATCH_ANY", Command{Line: L, Word: "store", Cmd: &StoreCmd{Mem: "b", Off: n(8, "8"), U32: n(0xffffffff, "FUTEX_BITSET_MATCH_ANY")}}},
		{"store u64", "store b u64=-1", Command{Line: L, Word: "store", Cmd: &StoreCmd{Mem: "b", U64: neg(-1, "-1")}}},
		{"store addr", "store b off=8 addr=b+4", Command{Line: L, Word: "store", Cmd: &StoreCmd{Mem: "b", Off: n(8, "8"), AddrMem: "b", AddrOff: 4}}},
		{"store data", `store b data="x"`, Command{Line: L, Word: "store", Cmd: &StoreCmd{Mem: "b", Data: str("x", `data="x"`)}}},
		{"futex_wake", "futex_wake b+4 count=2 expect=1", Command{Line: L, Word: "futex_wake", Cmd: &FutexWakeCmd{Mem: "b", Off: 4, Text: "b+4", Count: n(2, "2"), Expect: n(1, "1")}}},
		{"futex_wake plain", "futex_wake b", Command{Line: L, Word: "futex_wake", Cmd: &FutexWakeCmd{Mem: "b", Text: "b"}}},
		{"constant fd", "sqe r futex_wait fd=FUTEX2_SIZE_U32|FUTEX2_PRIVATE addr=b addr3=FUTEX_BITSET_MATCH_ANY",
			Command{Line: L, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: rings.IORING_OP_FUTEX_WAIT, OpText: "futex_wait", Fields: []SQEField{
				numField(L, "fd", "fd", "FUTEX2_SIZE_U32|FUTEX2_PRIVATE", 130),
				{Line: L, Key: "addr", Field: "addr", Kind: FieldMem, Text: "b", Name: "b"},
				numField(L, "addr3", "addr3", "FUTEX_BITSET_MATCH_ANY", 0xffffffff),
			}}}},
		{"negative constant", "sqe r openat fd=AT_FDCWD len=O_CREAT",
			Command{Line: L, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: rings.IORING_OP_OPENAT, OpText: "openat", Fields: []SQEField{
				{Line: L, Key: "fd", Field: "fd", Kind: FieldNum, Text: "AT_FDCWD", Num: neg(-100, "AT_FDCWD")},
				numField(L, "len", "len", "O_CREAT", 0o100),
			}}}},
		{"constant addr", "sqe r waitid addr=P_PIDFD",
			Command{Line: L, Word: "sqe", Cmd: &SQECmd{Ring: "r", Opcode: rings.IORING_OP_WAITID, OpText: "waitid", Fields: []SQEField{
				numField(L, "addr", "addr", "P_PIDFD", 3),
			}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := Parse("t.scn", []byte(prelude+tc.src))
			if err != nil {
				t.Fatal(err)
			}
			got := sc.Cmds[len(sc.Cmds)-1]
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %#v\nwant %#v", got.Cmd, tc.want.Cmd)
			}
		})
	}
}

// TestParseChildObjects: child declares NAME (fd= gives its pid) and
// NAME.pidfd (a file with a descriptor); an object wins over a constant of
// the same spelling.
func TestParseChildObjects(t *testing.T) {
	src := prelude + "child k exit=0\nsqe r waitid fd=k\nsqe r poll_add fd=k.pidfd\nmem P_PID size=8\nsqe r nop addr=P_PID\nclose k.pidfd\n"
	sc, err := Parse("t.scn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := sc.Object("k"); o.Kind != ObjChild {
		t.Errorf("k is %v", o.Kind)
	}
	if o, _ := sc.Object("k.pidfd"); o.Kind != ObjPidfd || !o.Kind.HasFd() {
		t.Errorf("k.pidfd is %v", o.Kind)
	}
	f := sc.Cmds[len(sc.Cmds)-2].Cmd.(*SQECmd).Fields[0]
	if f.Kind != FieldMem || f.Name != "P_PID" {
		t.Errorf("addr=P_PID with a mem P_PID: %+v", f)
	}
	for _, bad := range []struct{ src, want string }{
		{"child k", "child: missing exit="},
		{"child k exit=256", `out of range`},
		{"store b", "store: want exactly one of data=, u32=, u64= or addr="},
		{"store b u32=1 u64=2", "store: want exactly one"},
		{"store b u32=1 addr=b", "store: want exactly one"},
		{"store b addr=7", "store: addr=7 is not a mem"},
		{"store b addr=zz+8", `undeclared mem "zz"`},
		{"futex_wake zz", `undeclared mem "zz"`},
		{"futex_wake", "futex_wake: missing MEM[+OFF]"},
		{"child k exit=0\nclose k", `"k" is a child, not a file`},
		{"sqe r nop ud=NOT_A_CONSTANT", `unknown flag "NOT_A_CONSTANT"`},
	} {
		_, err := Parse("t.scn", []byte(prelude+bad.src))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: error %v, want %q", bad.src, err, bad.want)
		}
	}
}

// TestExtraConsts checks the constant table: no name twice, none that
// rings.Lookup already resolves to another value, and the values written
// out by hand equal the host's C headers where they define the name.
func TestExtraConsts(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range extraConsts {
		if seen[c.Name] {
			t.Errorf("%s twice", c.Name)
		}
		seen[c.Name] = true
		if v, ok := rings.Lookup(c.Name); ok && int64(v) != c.Value {
			t.Errorf("%s = %#x here, %#x in rings", c.Name, c.Value, v)
		}
	}
	defines := map[string]int64{}
	for _, h := range []string{"/usr/include/linux/futex.h", "/usr/include/asm-generic/siginfo.h", "/usr/include/asm-generic/signal.h", "/usr/include/x86_64-linux-gnu/asm/signal.h"} {
		f, err := os.Open(h)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) >= 3 && fields[0] == "#define" {
				if v, err := strconv.ParseInt(fields[2], 0, 64); err == nil {
					defines[fields[1]] = v
				}
			}
		}
		f.Close()
	}
	if len(defines) == 0 {
		t.Skip("no kernel headers on the host (/usr/include/linux/futex.h)")
	}
	checked := 0
	for _, c := range extraConsts {
		if v, ok := defines[c.Name]; ok {
			checked++
			if v != c.Value {
				t.Errorf("%s = %d here, %d in the host's headers", c.Name, c.Value, v)
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d constants found in the host's headers", checked)
	}
}
