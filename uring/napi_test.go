package uring

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/uringsim/uringsim/rings"
)

// napiLog records NAPI registrations: each call's errno, what the kernel
// wrote back into the struct, and the ring's NAPI fdinfo lines.
type napiLog struct {
	t   *testing.T
	be  Backend
	fs  FileSys
	log []string
}

func (l *napiLog) add(format string, a ...any) { l.log = append(l.log, fmt.Sprintf(format, a...)) }

// reg runs RegisterNapi (or UnregisterNapi) with n and records the
// result and the struct the kernel left.
func (l *napiLog) reg(r *Ring, what string, unreg bool, n rings.Napi) {
	var err error
	if unreg {
		err = r.UnregisterNapi(&n)
	} else {
		err = r.RegisterNapi(&n)
	}
	l.add("%s: %v -> %+v", what, errnoOfErr(err), n)
}

// fdinfo records the ring's fdinfo from its NAPI line on.
func (l *napiLog) fdinfo(r *Ring, what string) {
	text, err := l.fs.Fdinfo(r.FD())
	if err != nil {
		l.t.Fatalf("%s: fdinfo: %v", l.be.Name(), err)
	}
	i := strings.Index(text, "NAPI:")
	if i < 0 {
		l.t.Fatalf("%s: no NAPI line in fdinfo %q", l.be.Name(), text)
	}
	l.add("%s: fdinfo %q", what, text[i:])
}

func napiScript(t *testing.T, be Backend) []string {
	fs, err := Files(be)
	if err != nil {
		t.Fatal(err)
	}
	l := &napiLog{t: t, be: be, fs: fs}
	r := mustNew(t, be, 4, nil)
	defer r.Close()
	const (
		reg    = rings.IO_URING_NAPI_REGISTER_OP
		add    = rings.IO_URING_NAPI_STATIC_ADD_ID
		del    = rings.IO_URING_NAPI_STATIC_DEL_ID
		dyn    = rings.IO_URING_NAPI_TRACKING_DYNAMIC
		static = rings.IO_URING_NAPI_TRACKING_STATIC
	)
	l.fdinfo(r, "fresh")
	l.reg(r, "unregister fresh", true, rings.Napi{BusyPollTo: 7, PreferBusyPoll: 1, Opcode: 9, OpParam: 9, Resv: 9})
	l.reg(r, "add id while inactive", false, rings.Napi{Opcode: add, OpParam: 1000})
	l.reg(r, "dynamic 50us prefer", false, rings.Napi{BusyPollTo: 50, PreferBusyPoll: 3, OpParam: dyn})
	l.fdinfo(r, "dynamic")
	l.reg(r, "add id while dynamic", false, rings.Napi{Opcode: add, OpParam: 1000})
	l.reg(r, "pad[0]", false, rings.Napi{BusyPollTo: 1, Pad: [2]uint8{1, 0}})
	l.reg(r, "pad[1]", false, rings.Napi{BusyPollTo: 1, Pad: [2]uint8{0, 1}})
	l.reg(r, "resv", false, rings.Napi{BusyPollTo: 1, Resv: 1})
	l.reg(r, "bad opcode", false, rings.Napi{BusyPollTo: 1, Opcode: 3})
	l.reg(r, "bad strategy", false, rings.Napi{BusyPollTo: 1, OpParam: 2})
	l.reg(r, "inactive strategy", false, rings.Napi{BusyPollTo: 1, OpParam: rings.IO_URING_NAPI_TRACKING_INACTIVE})
	l.fdinfo(r, "after refusals")
	l.reg(r, "static 20ms", false, rings.Napi{BusyPollTo: 20000, OpParam: static})
	l.fdinfo(r, "static")
	l.reg(r, "static max", false, rings.Napi{BusyPollTo: 0xffffffff, OpParam: static})
	l.reg(r, "static 0", false, rings.Napi{OpParam: static})
	l.fdinfo(r, "static 0")
	for _, id := range []uint32{0, 1, 256, 257, 258, 1 << 31, 0xffffffff} {
		l.reg(r, fmt.Sprintf("add %d", id), false, rings.Napi{BusyPollTo: 5, Opcode: add, OpParam: id})
	}
	l.reg(r, "add 257 again", false, rings.Napi{Opcode: add, OpParam: 257})
	l.reg(r, "del 300", false, rings.Napi{Opcode: del, OpParam: 300})
	l.reg(r, "del 1", false, rings.Napi{Opcode: del, OpParam: 1})
	l.reg(r, "del 257", false, rings.Napi{Opcode: del, OpParam: 257})
	l.reg(r, "del 257 again", false, rings.Napi{Opcode: del, OpParam: 257})
	l.reg(r, "static again", false, rings.Napi{BusyPollTo: 10, PreferBusyPoll: 1, OpParam: static})
	l.reg(r, "add 258 after re-register", false, rings.Napi{Opcode: add, OpParam: 258})
	l.fdinfo(r, "static prefer")
	l.reg(r, "unregister", true, rings.Napi{Opcode: 9, Resv: 9})
	l.fdinfo(r, "unregistered")
	l.reg(r, "unregister again", true, rings.Napi{})
	l.add("unregister nil: %v", errnoOfErr(r.UnregisterNapi(nil)))

	// The raw calls: nr_args must be 1, arg non-NULL for REGISTER, the
	// struct readable and writable.
	mem, err := be.Alloc(4096)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Free(mem)
	addr := addrOf(mem)
	const unmapped = 0x1000
	for _, c := range []struct {
		what   string
		opcode uint32
		arg    uint64
		nr     uint32
	}{
		{"register NULL", rings.IORING_REGISTER_NAPI, 0, 1},
		{"register nr=0", rings.IORING_REGISTER_NAPI, addr, 0},
		{"register nr=2", rings.IORING_REGISTER_NAPI, addr, 2},
		{"register unmapped", rings.IORING_REGISTER_NAPI, unmapped, 1},
		{"unregister nr=0", rings.IORING_UNREGISTER_NAPI, addr, 0},
		{"unregister NULL nr=0", rings.IORING_UNREGISTER_NAPI, 0, 0},
		{"unregister nr=2", rings.IORING_UNREGISTER_NAPI, addr, 2},
		{"unregister unmapped", rings.IORING_UNREGISTER_NAPI, unmapped, 1},
	} {
		_, err := r.Register(c.opcode, c.arg, c.nr)
		l.add("%s: %v", c.what, errnoOfErr(err))
	}
	l.fdinfo(r, "after raw calls")

	// Busy polling does not change what a wait returns: a NOP completes
	// with a static id registered.
	l.reg(r, "static for wait", false, rings.Napi{BusyPollTo: 100, OpParam: static})
	l.reg(r, "add 1000", false, rings.Napi{Opcode: add, OpParam: 1000})
	l.reg(r, "add 1001", false, rings.Napi{Opcode: add, OpParam: 1001})
	sqe := r.GetSQE()
	PrepNop(sqe)
	sqe.UserData = 5
	if _, err := r.SubmitAndWait(1); err != nil {
		t.Fatalf("%s: submit: %v", be.Name(), err)
	}
	cqe, err := r.WaitCQE()
	if err != nil {
		t.Fatalf("%s: wait: %v", be.Name(), err)
	}
	l.add("nop with busy polling: ud=%d res=%d", cqe.UserData, cqe.Res)
	r.CQESeen(cqe)

	// An IOPOLL ring refuses REGISTER (before reading the struct) but
	// not UNREGISTER.
	ip, err := New(be, 4, &Params{Flags: rings.IORING_SETUP_IOPOLL})
	if err != nil {
		t.Fatalf("%s: IOPOLL ring: %v", be.Name(), err)
	}
	defer ip.Close()
	l.reg(ip, "iopoll register", false, rings.Napi{BusyPollTo: 1, OpParam: static})
	_, err = ip.Register(rings.IORING_REGISTER_NAPI, unmapped, 1)
	l.add("iopoll register unmapped: %v", errnoOfErr(err))
	l.reg(ip, "iopoll unregister", true, rings.Napi{})
	l.fdinfo(ip, "iopoll")

	// SQPOLL rings take the same settings.
	sq, err := New(be, 4, &Params{Flags: rings.IORING_SETUP_SQPOLL})
	if err != nil {
		t.Fatalf("%s: SQPOLL ring: %v", be.Name(), err)
	}
	defer sq.Close()
	l.reg(sq, "sqpoll register", false, rings.Napi{BusyPollTo: 30, OpParam: static})
	l.reg(sq, "sqpoll add", false, rings.Napi{Opcode: add, OpParam: 500})
	l.fdinfo(sq, "sqpoll")
	return l.log
}

// TestRegisterNapiSim spot-checks napiScript on the simulator: the
// 10 ms cap, the id floor (MIN_NAPI_ID = NR_CPUS + 1 = 257), the id list.
func TestRegisterNapiSim(t *testing.T) {
	got := onSim(t, simVariants[0].cfg, napiScript)
	for _, want := range []string{
		"static max: errno 0 -> {BusyPollTo:10000 PreferBusyPoll:0 Opcode:0 Pad:[0 0] OpParam:1 Resv:0}",
		"add 256: invalid argument -> {BusyPollTo:0 PreferBusyPoll:0 Opcode:0 Pad:[0 0] OpParam:1 Resv:0}",
		"add 257 again: file exists -> {BusyPollTo:0 PreferBusyPoll:0 Opcode:0 Pad:[0 0] OpParam:1 Resv:0}",
		"del 257 again: no such file or directory -> {BusyPollTo:0 PreferBusyPoll:0 Opcode:0 Pad:[0 0] OpParam:1 Resv:0}",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("no line %q in %q", want, got)
		}
	}
}

// TestRegisterNapi runs napiScript on the simulator's variants and on
// the host kernel and compares. The host's first busy-poll time is
// sysctl net.core.busy_poll and its id floor follows its NR_CPUS; the
// simulator's are 0 and 256, so another host is skipped.
func TestRegisterNapi(t *testing.T) {
	if b, err := os.ReadFile("/proc/sys/net/core/busy_poll"); err == nil && strings.TrimSpace(string(b)) != "0" {
		t.Skipf("host net.core.busy_poll is %q, the simulator's is 0", b)
	}
	if n, ok := hostNrCPUs(); ok && n != 256 {
		t.Skipf("host kernel built with NR_CPUS=%d, the simulator's is 256", n)
	}
	differential(t, napiScript)
}

// hostNrCPUs reads CONFIG_NR_CPUS from /proc/config.gz, if the host has it.
func hostNrCPUs() (int, bool) {
	f, err := os.Open("/proc/config.gz")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(z)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CONFIG_NR_CPUS="); ok {
			n, err := strconv.Atoi(v)
			return n, err == nil
		}
	}
	return 0, false
}
