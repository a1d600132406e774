package rings

import (
	"go/ast"
	"go/parser"
	"go/token"
	"math/bits"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
	"pgregory.net/rapid"
)

// A sample of Linux 6.18 values, written out as numbers.
func TestLookupValues(t *testing.T) {
	tests := []struct {
		name string
		want uint64
	}{
		{"IORING_OP_NOP", 0},
		{"IORING_OP_READ", 22},
		{"IORING_OP_URING_CMD", 46},
		{"IORING_OP_RECV_ZC", 58},
		{"IORING_OP_EPOLL_WAIT", 59},
		{"IORING_OP_READV_FIXED", 60},
		{"IORING_OP_PIPE", 62},
		{"IORING_OP_LAST", 63},
		{"IOSQE_CQE_SKIP_SUCCESS_BIT", 6},
		{"IOSQE_CQE_SKIP_SUCCESS", 0x40},
		{"IORING_SETUP_NO_SQARRAY", 0x10000},
		{"IORING_SETUP_CQE_MIXED", 0x40000},
		{"IORING_ENTER_NO_IOWAIT", 0x80},
		{"IORING_FEAT_NO_IOWAIT", 0x20000},
		{"IORING_CQE_F_SKIP", 0x20},
		{"IORING_CQE_F_32", 0x8000},
		{"IORING_CQE_F_TSTAMP_HW", 0x10000},
		{"IORING_CQE_BUFFER_SHIFT", 16},
		{"IORING_OFF_CQ_RING", 0x8000000},
		{"IORING_OFF_SQES", 0x10000000},
		{"IORING_OFF_PBUF_RING", 0x80000000},
		{"IORING_OFF_MMAP_MASK", 0xf8000000},
		{"IORING_REGISTER_QUERY", 35},
		{"IORING_REGISTER_LAST", 36},
		{"IORING_REGISTER_USE_REGISTERED_RING", 0x80000000},
		{"IORING_UNREGISTER_NAPI", 28},
		{"IORING_REGISTER_FILES_SKIP", 0xfffffffffffffffe},
		{"IORING_FILE_INDEX_ALLOC", 0xffffffff},
		{"IORING_TIMEOUT_CLOCK_MASK", 0xc},
		{"IORING_TIMEOUT_UPDATE_MASK", 0x12},
		{"IORING_URING_CMD_MASK", 3},
		{"IORING_NOP_TW", 0x10},
		{"IORING_NOP_CQE32", 0x20},
		{"IORING_SEND_VECTORIZED", 0x20},
		{"IORING_NOTIF_USAGE_ZC_COPIED", 0x80000000},
		{"SPLICE_F_FD_IN_FIXED", 0x80000000},
		{"IORING_FIXED_FD_NO_CLOEXEC", 1},
		{"IORING_RSRC_REGISTER_SPARSE", 1},
		{"IO_URING_OP_SUPPORTED", 1},
		{"IORING_RESTRICTION_LAST", 4},
		{"IOU_PBUF_RING_INC", 2},
		{"IO_URING_NAPI_TRACKING_INACTIVE", 255},
		{"IORING_TIMESTAMP_TYPE_SHIFT", 17},
		{"IORING_ZCRX_AREA_MASK", 0xffff000000000000},
		{"SOCKET_URING_OP_TX_TIMESTAMP", 4},
		{"POLLRDHUP", 0x2000},
		{"EPOLLONESHOT", 0x40000000},
		{"EPOLL_URING_WAKE", 0x8000000},
	}
	for _, tt := range tests {
		got, ok := Lookup(tt.name)
		if !ok || got != tt.want {
			t.Errorf("Lookup(%q) = %#x, %v; want %#x", tt.name, got, ok, tt.want)
		}
	}
	for _, name := range []string{"", "IORING_OP_", "iORING_OP_READ", "IORING_SETUP_SQE_MIXED", "IORING_OP_NOP128", "IORING_REGISTER_ZCRX_CTRL", "SQESize"} {
		if v, ok := Lookup(name); ok {
			t.Errorf("Lookup(%q) = %#x, want not found (not in Linux 6.18 uapi)", name, v)
		}
	}
}

// x/sys/unix has no io_uring constants, but it does have the poll bits (the
// POLLRDNORM group only as EPOLL*) and
// errnos; they must agree.
func TestAgreesWithXSysUnix(t *testing.T) {
	tests := []struct {
		name string
		got  uint64
		want uint64
	}{
		{"POLLIN", POLLIN, unix.POLLIN},
		{"POLLPRI", POLLPRI, unix.POLLPRI},
		{"POLLOUT", POLLOUT, unix.POLLOUT},
		{"POLLERR", POLLERR, unix.POLLERR},
		{"POLLHUP", POLLHUP, unix.POLLHUP},
		{"POLLNVAL", POLLNVAL, unix.POLLNVAL},
		{"POLLRDNORM", POLLRDNORM, unix.EPOLLRDNORM},
		{"POLLRDBAND", POLLRDBAND, unix.EPOLLRDBAND},
		{"POLLWRNORM", POLLWRNORM, unix.EPOLLWRNORM},
		{"POLLWRBAND", POLLWRBAND, unix.EPOLLWRBAND},
		{"POLLMSG", POLLMSG, unix.EPOLLMSG},
		{"POLLRDHUP", POLLRDHUP, unix.POLLRDHUP},
		{"EPOLLIN", EPOLLIN, unix.EPOLLIN},
		{"EPOLLPRI", EPOLLPRI, unix.EPOLLPRI},
		{"EPOLLOUT", EPOLLOUT, unix.EPOLLOUT},
		{"EPOLLERR", EPOLLERR, unix.EPOLLERR},
		{"EPOLLHUP", EPOLLHUP, unix.EPOLLHUP},
		{"EPOLLRDNORM", EPOLLRDNORM, unix.EPOLLRDNORM},
		{"EPOLLRDBAND", EPOLLRDBAND, unix.EPOLLRDBAND},
		{"EPOLLWRNORM", EPOLLWRNORM, unix.EPOLLWRNORM},
		{"EPOLLWRBAND", EPOLLWRBAND, unix.EPOLLWRBAND},
		{"EPOLLMSG", EPOLLMSG, unix.EPOLLMSG},
		{"EPOLLRDHUP", EPOLLRDHUP, unix.EPOLLRDHUP},
		{"EPOLLEXCLUSIVE", EPOLLEXCLUSIVE, unix.EPOLLEXCLUSIVE},
		{"EPOLLWAKEUP", EPOLLWAKEUP, unix.EPOLLWAKEUP},
		{"EPOLLONESHOT", EPOLLONESHOT, unix.EPOLLONESHOT},
		{"EPOLLET", EPOLLET, unix.EPOLLET},
		{"EAGAIN", mustErrno(t, "EAGAIN"), uint64(unix.EAGAIN)},
		{"ECANCELED", mustErrno(t, "ECANCELED"), uint64(unix.ECANCELED)},
		{"ETIME", mustErrno(t, "ETIME"), uint64(unix.ETIME)},
		{"ENOBUFS", mustErrno(t, "ENOBUFS"), uint64(unix.ENOBUFS)},
		{"EBADFD", mustErrno(t, "EBADFD"), uint64(unix.EBADFD)},
		{"EOVERFLOW", mustErrno(t, "EOVERFLOW"), uint64(unix.EOVERFLOW)},
		{"ENOTSUP", mustErrno(t, "ENOTSUP"), uint64(unix.ENOTSUP)},
		{"IORING_OFF_SQ_RING", IORING_OFF_SQ_RING, 0},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %#x, x/sys/unix says %#x", tt.name, tt.got, tt.want)
		}
	}
}

func mustErrno(t *testing.T, name string) uint64 {
	n, ok := ErrnoByName(name)
	if !ok {
		t.Fatalf("ErrnoByName(%q) not found", name)
	}
	return uint64(n)
}

var uapiConstName = regexp.MustCompile(`^[A-Z][A-Z0-9]*_[A-Z0-9_]+$|^E?POLL[A-Z]+$`)

// constFiles are the files holding uapi constants (layout.go's constants are
// kernel-private and not part of the name tables).
func constFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "layout.go" {
			continue
		}
		out = append(out, f)
	}
	return out
}

// Every uapi constant declared in the package is in the name tables, once,
// and every table entry is named after the constant it holds.
func TestNameTablesCoverEveryConstant(t *testing.T) {
	fset := token.NewFileSet()
	var declared []string
	for _, f := range constFiles(t) {
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				for _, id := range spec.(*ast.ValueSpec).Names {
					if uapiConstName.MatchString(id.Name) {
						declared = append(declared, id.Name)
					}
				}
			}
		}
	}
	if len(declared) != 291 {
		t.Errorf("found %d uapi constants, want 291 (260 of io_uring.h, 2 of io_uring/query.h, 12 POLL*, 17 EPOLL*)", len(declared))
	}

	seen := map[string]int{}
	for _, name := range opNames {
		seen[name]++
	}
	for _, name := range registerOpNames {
		seen[name]++
	}
	for _, fl := range familyFlags {
		for _, c := range fl {
			seen[c.Name]++
		}
	}
	for _, c := range otherNames {
		seen[c.Name]++
	}
	for _, name := range declared {
		if seen[name] != 1 {
			t.Errorf("%s appears %d times in the name tables, want 1", name, seen[name])
		}
	}
	if len(seen) != len(declared) {
		t.Errorf("name tables hold %d names, package declares %d", len(seen), len(declared))
	}

	// Each entry's string is the identifier its value refers to.
	file, err := parser.ParseFile(fset, "names_table.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.KeyValueExpr:
			lit, ok := n.Value.(*ast.BasicLit)
			key, isIdent := n.Key.(*ast.Ident)
			if ok && isIdent && lit.Kind == token.STRING && key.Name != "Name" {
				if s, _ := strconv.Unquote(lit.Value); s != key.Name {
					t.Errorf("table entry %s: %q", key.Name, s)
				}
				checked++
			}
		case *ast.CompositeLit:
			var name string
			var value ast.Expr
			for _, elt := range n.Elts {
				kv, ok := elt.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				switch kv.Key.(*ast.Ident).Name {
				case "Name":
					name, _ = strconv.Unquote(kv.Value.(*ast.BasicLit).Value)
				case "Value":
					value = kv.Value
				}
			}
			if value == nil {
				return true
			}
			refers := false
			ast.Inspect(value, func(m ast.Node) bool {
				if id, ok := m.(*ast.Ident); ok && id.Name == name {
					refers = true
				}
				return true
			})
			if !refers {
				t.Errorf("table entry %q does not hold constant %s", name, name)
			}
			checked++
		}
		return true
	})
	if checked != len(declared) {
		t.Errorf("checked %d table entries, want %d", checked, len(declared))
	}
}

func TestOpAndRegisterTablesComplete(t *testing.T) {
	for op, name := range opNames {
		if name == "" {
			t.Errorf("opcode %d has no name", op)
		}
	}
	for op, name := range registerOpNames {
		if name == "" {
			t.Errorf("register opcode %d has no name", op)
		}
	}
}

// Families hold distinct single bits in ascending order, so FlagNames prints
// in bit order and ParseFlags can reverse it.
func TestFamiliesAreBitsInOrder(t *testing.T) {
	for f, flags := range familyFlags {
		if len(flags) == 0 {
			t.Errorf("family %s is empty", Family(f))
		}
		var prev uint64
		for _, c := range flags {
			if bits.OnesCount64(c.Value) != 1 || c.Value <= prev {
				t.Errorf("family %s: %s = %#x not a single bit above %#x", Family(f), c.Name, c.Value, prev)
			}
			prev = c.Value
		}
	}
	for _, f := range Families() {
		if g, ok := FamilyByName(f.String()); !ok || g != f {
			t.Errorf("FamilyByName(%q) = %v, %v", f.String(), g, ok)
		}
	}
	if _, ok := FamilyByName("nope"); ok {
		t.Error("FamilyByName(nope) found")
	}
	if got := Family(200).String(); got != "family(200)" {
		t.Errorf("Family(200) = %q", got)
	}
}

func TestFlagNames(t *testing.T) {
	tests := []struct {
		f     Family
		value uint64
		want  string
	}{
		{FamilySQEFlags, 0, "0"},
		{FamilySQEFlags, IOSQE_IO_LINK, "IOSQE_IO_LINK"},
		{FamilySQEFlags, 0x85, "IOSQE_FIXED_FILE|IOSQE_IO_LINK|0x80"},
		{FamilySQEFlags, IOSQE_CQE_SKIP_SUCCESS | IOSQE_ASYNC, "IOSQE_ASYNC|IOSQE_CQE_SKIP_SUCCESS"},
		{FamilyCQEFlags, IORING_CQE_F_BUFFER | IORING_CQE_F_MORE | 5<<IORING_CQE_BUFFER_SHIFT, "IORING_CQE_F_BUFFER|IORING_CQE_F_MORE|0x50000"},
		{FamilyCQEFlags, IORING_CQE_F_32 | IORING_CQE_F_SKIP, "IORING_CQE_F_SKIP|IORING_CQE_F_32"},
		{FamilySetupFlags, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "IORING_SETUP_SINGLE_ISSUER|IORING_SETUP_DEFER_TASKRUN"},
		{FamilySetupFlags, 1 << 19, "0x80000"},
		{FamilyEnterFlags, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, "IORING_ENTER_GETEVENTS|IORING_ENTER_EXT_ARG"},
		{FamilyFeatures, IORING_FEAT_SINGLE_MMAP | IORING_FEAT_NO_IOWAIT, "IORING_FEAT_SINGLE_MMAP|IORING_FEAT_NO_IOWAIT"},
		{FamilySQRingFlags, IORING_SQ_NEED_WAKEUP | IORING_SQ_TASKRUN, "IORING_SQ_NEED_WAKEUP|IORING_SQ_TASKRUN"},
		{FamilyCQRingFlags, IORING_CQ_EVENTFD_DISABLED, "IORING_CQ_EVENTFD_DISABLED"},
		{FamilyPollEvents, POLLIN | POLLRDNORM | EPOLLONESHOT, "POLLIN|POLLRDNORM|EPOLLONESHOT"},
		{FamilyPollEvents, POLLOUT | POLLRDHUP | EPOLLEXCLUSIVE | EPOLLET, "POLLOUT|POLLRDHUP|EPOLLEXCLUSIVE|EPOLLET"},
		{FamilyTimeoutFlags, IORING_TIMEOUT_ABS | IORING_LINK_TIMEOUT_UPDATE, "IORING_TIMEOUT_ABS|IORING_LINK_TIMEOUT_UPDATE"},
		{FamilyRecvSendFlags, IORING_RECV_MULTISHOT | IORING_RECVSEND_BUNDLE, "IORING_RECV_MULTISHOT|IORING_RECVSEND_BUNDLE"},
		{FamilyNopFlags, IORING_NOP_INJECT_RESULT | IORING_NOP_CQE32, "IORING_NOP_INJECT_RESULT|IORING_NOP_CQE32"},
		{Family(200), 0x12, "0x12"},
	}
	for _, tt := range tests {
		if got := FlagNames(tt.f, tt.value); got != tt.want {
			t.Errorf("FlagNames(%s, %#x) = %q, want %q", tt.f, tt.value, got, tt.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
	}{
		{"0", 0},
		{"IOSQE_IO_LINK", IOSQE_IO_LINK},
		{"IOSQE_IO_LINK|IOSQE_ASYNC", IOSQE_IO_LINK | IOSQE_ASYNC},
		{" IORING_CQE_F_BUFFER | 0x50000 ", IORING_CQE_F_BUFFER | 0x50000},
		{"POLLIN|POLLOUT|0x10|3", POLLIN | POLLOUT | 0x10 | 3},
		{"IORING_OP_READ", IORING_OP_READ},
		{"0b101|0o10", 0b1101},
		{"-2", 0xfffffffffffffffe},
		{"IORING_REGISTER_FILES_SKIP", 0xfffffffffffffffe},
		{"18446744073709551615", 0xffffffffffffffff},
	}
	for _, tt := range tests {
		got, err := ParseFlags(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseFlags(%q) = %#x, %v; want %#x", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "|", "IOSQE_IO_LINK|", "IOSQE_NOPE", "0xzz", "18446744073709551616"} {
		if v, err := ParseFlags(bad); err == nil {
			t.Errorf("ParseFlags(%q) = %#x, want error", bad, v)
		}
	}
}

// ParseFlags(FlagNames(f, x)) == x for every family and every word.
func TestFlagNamesRoundTrip(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		f := Family(rapid.IntRange(0, int(familyCount)-1).Draw(rt, "family"))
		x := rapid.OneOf(
			rapid.Uint64(),
			rapid.Uint64Range(0, 0xff),
			rapid.Uint64Range(0, 0xffffffff),
		).Draw(rt, "x")
		s := FlagNames(f, x)
		got, err := ParseFlags(s)
		if err != nil || got != x {
			rt.Fatalf("ParseFlags(FlagNames(%s, %#x) = %q) = %#x, %v", f, x, s, got, err)
		}
	})
}

func TestOpNames(t *testing.T) {
	if got := OpName(IORING_OP_READ); got != "IORING_OP_READ" {
		t.Errorf("OpName(READ) = %q", got)
	}
	if got := OpName(IORING_OP_PIPE); got != "IORING_OP_PIPE" {
		t.Errorf("OpName(PIPE) = %q", got)
	}
	if got := OpName(IORING_OP_LAST); got != "63" {
		t.Errorf("OpName(LAST) = %q", got)
	}
	tests := []struct {
		in   string
		want uint8
		ok   bool
	}{
		{"IORING_OP_READ", IORING_OP_READ, true},
		{"READ", IORING_OP_READ, true},
		{"read", IORING_OP_READ, true},
		{" Read_Fixed ", IORING_OP_READ_FIXED, true},
		{"iring_op_read", 0, false},
		{"openat2", IORING_OP_OPENAT2, true},
		{"uring_cmd", IORING_OP_URING_CMD, true},
		{"200", 200, true},
		{"256", 0, false},
		{"LAST", 0, false},
		{"IORING_OP_LAST", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := OpByName(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("OpByName(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	for op := 0; op < 256; op++ {
		got, ok := OpByName(OpName(uint8(op)))
		if !ok || got != uint8(op) {
			t.Errorf("OpByName(OpName(%d)) = %d, %v", op, got, ok)
		}
	}
}

func TestRegisterOpNames(t *testing.T) {
	tests := []struct {
		op   uint32
		name string
	}{
		{IORING_REGISTER_BUFFERS, "IORING_REGISTER_BUFFERS"},
		{IORING_UNREGISTER_FILES, "IORING_UNREGISTER_FILES"},
		{IORING_REGISTER_QUERY, "IORING_REGISTER_QUERY"},
		{IORING_REGISTER_LAST, "36"},
		{IORING_REGISTER_PROBE | IORING_REGISTER_USE_REGISTERED_RING, "IORING_REGISTER_PROBE|IORING_REGISTER_USE_REGISTERED_RING"},
	}
	for _, tt := range tests {
		if got := RegisterOpName(tt.op); got != tt.name {
			t.Errorf("RegisterOpName(%#x) = %q, want %q", tt.op, got, tt.name)
		}
	}
	byName := []struct {
		in   string
		want uint32
		ok   bool
	}{
		{"IORING_REGISTER_PROBE", IORING_REGISTER_PROBE, true},
		{"PROBE", IORING_REGISTER_PROBE, true},
		{"probe", IORING_REGISTER_PROBE, true},
		{"register_pbuf_ring", IORING_REGISTER_PBUF_RING, true},
		{"IORING_UNREGISTER_PBUF_RING", IORING_UNREGISTER_PBUF_RING, true},
		{"unregister_files", IORING_UNREGISTER_FILES, true},
		{"17", 17, true},
		{"LAST", 0, false},
		{"nope", 0, false},
	}
	for _, tt := range byName {
		got, ok := RegisterOpByName(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RegisterOpByName(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestErrnoNames(t *testing.T) {
	tests := []struct {
		n    int
		name string
	}{
		{1, "EPERM"},
		{11, "EAGAIN"},
		{-11, "EAGAIN"},
		{22, "EINVAL"},
		{62, "ETIME"},
		{75, "EOVERFLOW"},
		{77, "EBADFD"},
		{95, "EOPNOTSUPP"},
		{105, "ENOBUFS"},
		{110, "ETIMEDOUT"},
		{125, "ECANCELED"},
		{133, "EHWPOISON"},
		{512, "ERESTARTSYS"},
		{524, "ENOTSUPP"},
		{529, "EIOCBQUEUED"},
		{0, ""},
		{41, ""},
		{58, ""},
		{117, "EUCLEAN"},
		{134, ""},
		{520, ""},
		{4096, ""},
	}
	for _, tt := range tests {
		if got := ErrnoName(tt.n); got != tt.name {
			t.Errorf("ErrnoName(%d) = %q, want %q", tt.n, got, tt.name)
		}
	}
	aliases := []struct {
		name string
		n    int
	}{
		{"EAGAIN", 11}, {"EWOULDBLOCK", 11}, {"EDEADLK", 35}, {"EDEADLOCK", 35},
		{"EOPNOTSUPP", 95}, {"ENOTSUP", 95}, {"EFSCORRUPTED", 117}, {"ERESTARTSYS", 512}, {"EIOCBQUEUED", 529},
	}
	for _, tt := range aliases {
		if got, ok := ErrnoByName(tt.name); !ok || got != tt.n {
			t.Errorf("ErrnoByName(%q) = %d, %v; want %d", tt.name, got, ok, tt.n)
		}
	}
	if n, ok := ErrnoByName("ENOPE"); ok {
		t.Errorf("ErrnoByName(ENOPE) = %d", n)
	}
	// Every errno name maps back to its number.
	var names []string
	for n := 1; n <= 4095; n++ {
		name := ErrnoName(n)
		if name == "" {
			continue
		}
		names = append(names, name)
		if got, ok := ErrnoByName(name); !ok || got != n {
			t.Errorf("ErrnoByName(ErrnoName(%d) = %q) = %d, %v", n, name, got, ok)
		}
	}
	sort.Strings(names)
	for i := 1; i < len(names); i++ {
		if names[i] == names[i-1] {
			t.Errorf("errno name %s used twice", names[i])
		}
	}
	if len(names) != 131+19 {
		t.Errorf("%d errno names, want 131 user-visible + 19 kernel-internal", len(names))
	}
	// x/sys/unix names the same numbers, sometimes by an alias.
	for n := 1; n <= 133; n++ {
		uname := unix.ErrnoName(syscall.Errno(n))
		if ErrnoName(n) == "" {
			continue
		}
		if got, ok := ErrnoByName(uname); !ok || got != n {
			t.Errorf("x/sys/unix calls errno %d %q; ErrnoByName(%q) = %d, %v", n, uname, uname, got, ok)
		}
	}
}

// The package has no init functions and no lazily built state: the lookup
// tables are literals, scanned in order.
func TestNoInitFunctions(t *testing.T) {
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "init" {
				t.Errorf("%s declares init()", f)
			}
		}
	}
}
