package scenario

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/uringsim/uringsim/rings"
)

// ParseFile reads and parses the scenario file at path. Errors name the
// path: "path:LINE: message".
func ParseFile(path string) (*Scenario, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

// Parse parses the scenario src. name is the file name used in errors and
// for Scenario.Path; Scenario.Name is its base name without ".scn".
//
// Everything that can be checked without running is checked here: command
// words, keys, numbers, durations, flag/errno/opcode names, strings, block
// structure, and that every referenced object (ring, file, mem, task) was
// declared on an earlier line with a suitable kind. The first problem is
// returned as an *Error. Parse never panics.
func Parse(name string, src []byte) (*Scenario, error) {
	lines, err := lex(name, src)
	if err != nil {
		return nil, err
	}
	p := &parser{
		file: name,
		sc: &Scenario{
			Name: strings.TrimSuffix(filepath.Base(name), ".scn"),
			Path: name,
		},
		objs: map[string]int{},
		pbuf: map[string]bool{},
	}
	for _, ll := range lines {
		if err := p.line(ll); err != nil {
			return nil, err
		}
	}
	if err := p.closeAtEOF(); err != nil {
		return nil, err
	}
	return p.sc, nil
}

type parser struct {
	file   string
	sc     *Scenario
	objs   map[string]int  // name → index in sc.Objects
	pbuf   map[string]bool // mem names declared by IORING_REGISTER_PBUF_RING
	exited map[string]int  // task names → the line of their exit

	// Open blocks: a top-level unordered or either block, and an unordered
	// block nested in an either alternative.
	block      *Command
	nested     *UnorderedBlock
	nestedLine int
}

func (p *parser) errf(line int, format string, args ...any) error {
	return errorf(p.file, line, format, args...)
}

// line handles one logical line.
func (p *parser) line(ll logicalLine) error {
	toks := ll.toks
	task := ""
	first := toks[0]
	if !first.quoted && strings.HasPrefix(first.text, "@") {
		task = first.text[1:]
		if p.block != nil {
			return p.errf(first.line, "%q not allowed inside a block (put it on the block's first line)", first.text)
		}
		if err := p.refTask(first); err != nil {
			return err
		}
		toks = toks[1:]
		if len(toks) == 0 {
			return p.errf(first.line, "%q with no command", first.text)
		}
	}
	w := toks[0]
	args := toks[1:]
	if w.quoted || (w.hasEq && w.key != "seed") {
		return p.errf(w.line, "unknown command %q", w.text)
	}
	if p.block != nil {
		return p.blockLine(w, args)
	}
	if w.hasEq { // seed=N
		if task != "" {
			return p.errf(w.line, "directive %q cannot run on a task", w.text)
		}
		return p.seed(w, args)
	}
	switch w.text {
	case "end":
		return p.errf(w.line, "%q without a matching unordered or either", w.text)
	case "or":
		return p.errf(w.line, "%q without a matching either", w.text)
	case "requires":
		if task != "" {
			return p.errf(w.line, "directive %q cannot run on a task", w.text)
		}
		return p.requires(w, args)
	case "unordered", "either":
		ring, err := p.blockHead(w, args)
		if err != nil {
			return err
		}
		var c Payload
		if w.text == "unordered" {
			c = &UnorderedBlock{Ring: ring}
		} else {
			c = &EitherBlock{Ring: ring, Alts: []Alternative{{Line: w.line}}}
		}
		cmd := Command{Line: w.line, Task: task, Word: w.text, Cmd: c}
		p.sc.Cmds = append(p.sc.Cmds, cmd)
		p.block = &cmd // the payload is shared with the appended copy
		return nil
	}
	fn := p.command(w.text)
	if fn == nil {
		return p.errf(w.line, "unknown command %q", w.text)
	}
	c, err := fn(w, args)
	if err != nil {
		return err
	}
	if e, ok := c.(*ExitCmd); ok {
		if task != "" {
			return p.errf(first.line, "exit runs on the main task, not %q", first.text)
		}
		if line, ok := p.exited[e.Task]; ok {
			return p.errf(w.line, "task %s exited on line %d", e.Task, line)
		}
		if p.exited == nil {
			p.exited = map[string]int{}
		}
		p.exited[e.Task] = w.line
	}
	p.sc.Cmds = append(p.sc.Cmds, Command{Line: w.line, Task: task, Word: w.text, Cmd: c})
	return nil
}

type cmdFunc func(w token, args []token) (Payload, error)

func (p *parser) command(word string) cmdFunc {
	switch word {
	case "ring":
		return p.ring
	case "pipe":
		return p.pipe
	case "socketpair":
		return p.socketpair
	case "listen":
		return p.listen
	case "socket":
		return p.socket
	case "eventfd":
		return p.eventfd
	case "epoll":
		return p.epoll
	case "file":
		return p.fileCmd
	case "mem":
		return p.mem
	case "close":
		return p.closeCmd
	case "task":
		return p.task
	case "exit":
		return p.exitCmd
	case "sqe":
		return p.sqe
	case "submit":
		return p.submit
	case "enter":
		return p.enter
	case "register":
		return p.register
	case "poke":
		return p.poke
	case "peek":
		return p.peek
	case "write":
		return p.write
	case "read":
		return p.read
	case "shutdown":
		return p.shutdown
	case "sleep":
		return p.sleep
	case "cqe":
		return p.cqeTop
	case "nocqe":
		return p.nocqe
	case "check":
		return p.check
	case "fdinfo":
		return p.fdinfo
	case "pbuf":
		return p.pbufCmd
	case "zcrx_refill":
		return p.zcrxRefill
	case "nvme":
		return p.nvme
	case "fault":
		return p.fault
	case "crash":
		return p.crash
	case "child":
		return p.child
	case "store":
		return p.store
	case "futex_wake":
		return p.futexWake
	}
	return nil
}

// ---- blocks ----

func (p *parser) blockHead(w token, args []token) (string, error) {
	ring, rest, err := p.leadRing(w, args)
	if err != nil {
		return "", err
	}
	if len(rest) > 0 {
		return "", p.errf(rest[0].line, "unexpected %q after %s %s", rest[0].text, w.text, ring)
	}
	return ring, nil
}

func (p *parser) blockLine(w token, args []token) error {
	switch blk := p.block.Cmd.(type) {
	case *UnorderedBlock:
		switch w.text {
		case "cqe":
			c, err := p.blockCQE(w, args, blk.Ring, "unordered")
			if err != nil {
				return err
			}
			blk.CQEs = append(blk.CQEs, c)
			return nil
		case "end":
			if err := p.noArgs(w, args); err != nil {
				return err
			}
			if len(blk.CQEs) == 0 {
				return p.errf(w.line, "empty unordered block (started at line %d)", p.block.Line)
			}
			blk.EndLine = w.line
			p.block = nil
			return nil
		case "or":
			return p.errf(w.line, "%q inside an unordered block (started at line %d)", w.text, p.block.Line)
		}
		return p.errf(w.line, "%q not allowed inside an unordered block (only cqe and end)", w.text)
	case *EitherBlock:
		alt := &blk.Alts[len(blk.Alts)-1]
		if p.nested != nil {
			switch w.text {
			case "cqe":
				c, err := p.blockCQE(w, args, blk.Ring, "unordered")
				if err != nil {
					return err
				}
				p.nested.CQEs = append(p.nested.CQEs, c)
				return nil
			case "end":
				if err := p.noArgs(w, args); err != nil {
					return err
				}
				if len(p.nested.CQEs) == 0 {
					return p.errf(w.line, "empty unordered block (started at line %d)", p.nestedLine)
				}
				p.nested.EndLine = w.line
				alt.Items = append(alt.Items, p.nested)
				p.nested = nil
				return nil
			case "or":
				return p.errf(w.line, "%q inside an unordered block (started at line %d)", w.text, p.nestedLine)
			}
			return p.errf(w.line, "%q not allowed inside an unordered block (only cqe and end)", w.text)
		}
		switch w.text {
		case "cqe":
			c, err := p.blockCQE(w, args, blk.Ring, "either")
			if err != nil {
				return err
			}
			alt.Items = append(alt.Items, c)
			return nil
		case "unordered":
			if len(args) > 0 && !args[0].hasEq && !args[0].quoted {
				if args[0].text != blk.Ring {
					return p.errf(args[0].line, "unordered names ring %q inside either of ring %q", args[0].text, blk.Ring)
				}
				args = args[1:]
			}
			if err := p.noArgs(w, args); err != nil {
				return err
			}
			p.nested = &UnorderedBlock{Ring: blk.Ring}
			p.nestedLine = w.line
			return nil
		case "or":
			if err := p.noArgs(w, args); err != nil {
				return err
			}
			blk.Alts = append(blk.Alts, Alternative{Line: w.line})
			return nil
		case "end":
			if err := p.noArgs(w, args); err != nil {
				return err
			}
			blk.EndLine = w.line
			p.block = nil
			return nil
		}
		return p.errf(w.line, "%q not allowed inside an either block (only cqe, unordered, or and end)", w.text)
	}
	return p.errf(w.line, "internal: bad block")
}

func (p *parser) blockCQE(w token, args []token, ring, blockWord string) (*CQEExpect, error) {
	if len(args) > 0 && !args[0].hasEq && !args[0].quoted {
		if args[0].text != ring {
			return nil, p.errf(args[0].line, "cqe names ring %q inside %s block of ring %q", args[0].text, blockWord, ring)
		}
		args = args[1:]
	}
	return p.cqeArgs(w, ring, args)
}

func (p *parser) closeAtEOF() error {
	if p.nested != nil {
		return p.errf(p.nestedLine, "unordered block not closed (missing end)")
	}
	if p.block != nil {
		return p.errf(p.block.Line, "%s block not closed (missing end)", p.block.Word)
	}
	return nil
}

func (p *parser) noArgs(w token, args []token) error {
	if len(args) > 0 {
		return p.errf(args[0].line, "unexpected %q after %s", args[0].text, w.text)
	}
	return nil
}

// ---- directives ----

func (p *parser) seed(w token, args []token) error {
	if err := p.noArgs(w, args); err != nil {
		return err
	}
	if p.sc.HasSeed {
		return p.errf(w.line, "second seed %q", w.text)
	}
	if w.quoted {
		return p.errf(w.line, "bad seed %q", w.text)
	}
	v, ok := parseUintLit(w.val)
	if !ok {
		return p.errf(w.line, "bad seed %q", w.text)
	}
	p.sc.Seed, p.sc.HasSeed = v, true
	return nil
}

func (p *parser) requires(w token, args []token) error {
	if len(args) == 0 {
		return p.errf(w.line, "requires: missing what (sim, kernel>=X.Y or op=OPCODE)")
	}
	for _, a := range args {
		r := Require{Line: a.line, Text: a.text}
		switch {
		case a.quoted:
			return p.errf(a.line, "unknown requirement %q", a.text)
		case a.text == "sim":
			r.Kind = RequireSim
		case strings.HasPrefix(a.text, "kernel>="):
			v, ok := parseVersion(strings.TrimPrefix(a.text, "kernel>="))
			if !ok {
				return p.errf(a.line, "bad kernel version in %q (want kernel>=X.Y[.Z])", a.text)
			}
			r.Kind, r.Version = RequireKernel, v
		case a.hasEq && a.key == "op":
			op, ok := rings.OpByName(a.val)
			if !ok {
				return p.errf(a.line, "unknown opcode %q", a.val)
			}
			r.Kind, r.Op = RequireOp, op
		default:
			return p.errf(a.line, "unknown requirement %q", a.text)
		}
		p.sc.Requires = append(p.sc.Requires, r)
	}
	return nil
}

func parseVersion(s string) ([3]int, bool) {
	var v [3]int
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return v, false
	}
	for i, part := range parts {
		if part == "" || len(part) > 6 {
			return v, false
		}
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 || part[0] == '+' || part[0] == '-' {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

// ---- names ----

// declare adds a new object named by t.
func (p *parser) declare(t token, kind ObjKind) error {
	if t.quoted || t.hasEq || !isIdent(t.text) {
		return p.errf(t.line, "bad %s name %q (want an identifier)", kind, t.text)
	}
	return p.declareName(t.line, t.text, kind)
}

func (p *parser) declareName(line int, name string, kind ObjKind) error {
	if i, ok := p.objs[name]; ok {
		o := p.sc.Objects[i]
		return p.errf(line, "%q already declared (as %s at line %d)", name, o.Kind, o.Line)
	}
	p.objs[name] = len(p.sc.Objects)
	p.sc.Objects = append(p.sc.Objects, Object{Name: name, Kind: kind, Line: line})
	return nil
}

func (p *parser) lookup(name string) (Object, bool) {
	i, ok := p.objs[name]
	if !ok {
		return Object{}, false
	}
	return p.sc.Objects[i], true
}

// objRef resolves a name that must be an object satisfying ok; desc names
// the wanted kind for messages.
func (p *parser) objRef(line int, name, desc string, ok func(ObjKind) bool) (string, error) {
	o, found := p.lookup(name)
	if !found {
		return "", p.errf(line, "undeclared %s %q", desc, name)
	}
	if !ok(o.Kind) {
		hint := ""
		switch o.Kind {
		case ObjPipe:
			hint = " (use " + name + ".r or " + name + ".w)"
		case ObjSocketpair:
			hint = " (use " + name + ".0 or " + name + ".1)"
		}
		return "", p.errf(line, "%q is a %s, not a %s%s", name, o.Kind, desc, hint)
	}
	return name, nil
}

func isKind(k ObjKind) func(ObjKind) bool { return func(o ObjKind) bool { return o == k } }

func (p *parser) refTask(t token) error {
	name := strings.TrimPrefix(t.text, "@")
	if !isIdent(name) {
		return p.errf(t.line, "bad task name %q", t.text)
	}
	if _, err := p.objRef(t.line, name, "task", isKind(ObjTask)); err != nil {
		return err
	}
	if line, ok := p.exited[name]; ok {
		return p.errf(t.line, "task %s exited on line %d", name, line)
	}
	return nil
}

// leadRing takes the first argument as a ring name.
func (p *parser) leadRing(w token, args []token) (string, []token, error) {
	return p.leadRef(w, args, "ring", isKind(ObjRing))
}

// leadRef takes the first argument as the name of an existing object.
func (p *parser) leadRef(w token, args []token, desc string, ok func(ObjKind) bool) (string, []token, error) {
	if len(args) == 0 {
		return "", nil, p.errf(w.line, "%s: missing %s name", w.text, desc)
	}
	if args[0].hasEq || args[0].quoted {
		return "", nil, p.errf(args[0].line, "%s: missing %s name before %q", w.text, desc, args[0].text)
	}
	name, err := p.objRef(args[0].line, args[0].text, desc, ok)
	return name, args[1:], err
}

// leadNew takes the first argument as the name of a new object.
func (p *parser) leadNew(w token, args []token, kind ObjKind) (string, []token, error) {
	if len(args) == 0 {
		return "", nil, p.errf(w.line, "%s: missing name", w.text)
	}
	if args[0].hasEq || args[0].quoted {
		return "", nil, p.errf(args[0].line, "%s: missing name before %q", w.text, args[0].text)
	}
	if err := p.declare(args[0], kind); err != nil {
		return "", nil, err
	}
	return args[0].text, args[1:], nil
}

// kvs walks key=value arguments, calling f for each; f reports whether it
// knows the key. what names the command for messages.
func (p *parser) kvs(what string, args []token, f func(t token) (bool, error)) error {
	seen := map[string]bool{}
	for _, t := range args {
		if !t.hasEq {
			return p.errf(t.line, "unexpected word %q in %s (want key=value)", t.text, what)
		}
		if t.key == "" {
			return p.errf(t.line, "missing key in %q", t.text)
		}
		if seen[t.key] {
			return p.errf(t.line, "duplicate key %q in %s", t.key, what)
		}
		seen[t.key] = true
		known, err := f(t)
		if err != nil {
			return err
		}
		if !known {
			return p.errf(t.line, "unknown key %q for %s", t.key, what)
		}
	}
	return nil
}

func (p *parser) need(w token, what string, set bool, key string) error {
	if !set {
		return p.errf(w.line, "%s: missing %s=", what, key)
	}
	return nil
}

// ---- objects ----

func (p *parser) ring(w token, args []token) (Payload, error) {
	name, args, err := p.leadNew(w, args, ObjRing)
	if err != nil {
		return nil, err
	}
	c := &RingCmd{Name: name}
	err = p.kvs("ring", args, func(t token) (bool, error) {
		var err error
		switch t.key {
		case "entries":
			c.Entries, err = p.num(t, 32, false)
		case "cq_entries":
			c.CQEntries, err = p.num(t, 32, false)
		case "flags":
			c.Flags, err = p.num(t, 32, false)
		case "sq_thread_idle":
			c.SQThreadIdle, err = p.dur(t)
			if err == nil && (c.SQThreadIdle.D%1e6 != 0 || c.SQThreadIdle.D/1e6 > 1<<32-1) {
				err = p.errf(t.line, "sq_thread_idle %q must be a whole number of milliseconds below 2^32", t.val)
			}
		case "wq":
			c.WQ, err = p.objRef(t.line, t.val, "ring", isKind(ObjRing))
		case "weak_sq":
			if t.val != "1" {
				err = p.errf(t.line, "weak_sq=%q: want weak_sq=1", t.val)
			}
			c.WeakSQ = true
		case "expect":
			c.Expect, err = p.num(t, 64, true)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	return c, p.need(w, "ring", c.Entries.Set, "entries")
}

func (p *parser) pipe(w token, args []token) (Payload, error) {
	name, args, err := p.leadNew(w, args, ObjPipe)
	if err != nil {
		return nil, err
	}
	c := &PipeCmd{Name: name}
	err = p.kvs("pipe", args, func(t token) (bool, error) {
		if t.key != "rdwr" {
			return false, nil
		}
		n, err := p.num(t, 1, false)
		c.Rdwr = n.V == 1
		return true, err
	})
	if err != nil {
		return nil, err
	}
	parts := []string{".r", ".w"}
	if c.Rdwr {
		parts = append(parts, ".rw")
	}
	for _, part := range parts {
		if err := p.declareName(w.line, name+part, ObjPipeEnd); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (p *parser) socketpair(w token, args []token) (Payload, error) {
	name, args, err := p.leadNew(w, args, ObjSocketpair)
	if err != nil {
		return nil, err
	}
	c := &SocketpairCmd{Name: name, Type: SockStream}
	err = p.kvs("socketpair", args, func(t token) (bool, error) {
		if t.key != "type" {
			return false, nil
		}
		switch t.val {
		case "SOCK_STREAM":
			c.Type = SockStream
		case "SOCK_DGRAM":
			c.Type = SockDgram
		default:
			return true, p.errf(t.line, "unknown socket type %q (want SOCK_STREAM or SOCK_DGRAM)", t.val)
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	for _, part := range []string{".0", ".1"} {
		if err := p.declareName(w.line, name+part, ObjSocketEnd); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (p *parser) listen(w token, args []token) (Payload, error) {
	name, args, err := p.leadNew(w, args, ObjListen)
	if err != nil {
		return nil, err
	}
	return &ListenCmd{Name: name}, p.noArgs(w, args)
}

func (p *parser) socket(w token, args []token) (Payload, error) {
	name, args, err := p.leadNew(w, args, ObjSocket)
	if err != nil {
		return nil, err
	}
	return &SocketCmd{Name: name}, p.noArgs(w, args)
}

func (p *parser) task(w token, args []token) (Payload, error) {
	name, args, err := p.leadNew(w, args, ObjTask)
	if err != nil {
		return nil, err
	}
	return &TaskCmd{Name: name}, p.noArgs(w, args)
}

func (p *parser) exitCmd(w token, args []token) (Payload, error) {
	name, args, err := p.leadRef(w, args, "task", isKind(ObjTask))
	if err != nil {
		return nil, err
	}
	return &ExitCmd{Task: name}, p.noArgs(w, args)
}

func (p *parser) epoll(w token, args []token) (Payload, error) {
	name, args, err := p.leadNew(w, args, ObjEpoll)
	if err != nil {
		return nil, err
	}
	return &EpollCmd{Name: name}, p.noArgs(w, args)
}

func (p *parser) eventfd(w token, args []token) (Payload, error) {
	name, args, err := p.leadNew(w, args, ObjEventfd)
	if err != nil {
		return nil, err
	}
	c := &EventfdCmd{Name: name}
	return c, p.kvs("eventfd", args, func(t token) (bool, error) {
		if t.key != "init" {
			return false, nil
		}
		var err error
		c.Init, err = p.num(t, 32, false)
		return true, err
	})
}

func (p *parser) fileCmd(w token, args []token) (Payload, error) {
	name, args, err := p.leadNew(w, args, ObjFile)
	if err != nil {
		return nil, err
	}
	c := &FileCmd{Name: name}
	return c, p.kvs("file", args, func(t token) (bool, error) {
		var err error
		switch t.key {
		case "size":
			c.Size, err = p.nonNegative(t, 63)
		case "data":
			c.Data, err = p.str(t)
		default:
			return false, nil
		}
		return true, err
	})
}

func (p *parser) mem(w token, args []token) (Payload, error) {
	name, args, err := p.leadNew(w, args, ObjMem)
	if err != nil {
		return nil, err
	}
	c := &MemCmd{Name: name}
	err = p.kvs("mem", args, func(t token) (bool, error) {
		var err error
		switch t.key {
		case "size":
			c.Size, err = p.num(t, 63, false)
			if err == nil && c.Size.Int() <= 0 {
				err = p.errf(t.line, "mem size %q must be positive", t.val)
			}
		case "data":
			c.Data, err = p.str(t)
		case "fill":
			c.Fill, err = p.num(t, 8, false)
			if err == nil && c.Fill.Int() < 0 {
				err = p.errf(t.line, "fill %q must be a byte 0…255", t.val)
			}
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	if err := p.need(w, "mem", c.Size.Set, "size"); err != nil {
		return nil, err
	}
	if c.Data.Set && uint64(len(c.Data.S)) > c.Size.V {
		return nil, p.errf(w.line, "mem %s: data (%d bytes) longer than size=%s", name, len(c.Data.S), c.Size.Text)
	}
	return c, nil
}

func (p *parser) closeCmd(w token, args []token) (Payload, error) {
	name, args, err := p.leadRef(w, args, "file", ObjKind.HasFd)
	if err != nil {
		return nil, err
	}
	c := &CloseCmd{File: name}
	err = p.kvs("close", args, func(t token) (bool, error) {
		if t.key != "quiesce" {
			return false, nil
		}
		if o, _ := p.lookup(name); o.Kind != ObjRing {
			return true, p.errf(t.line, "close %s: quiesce= is for rings", name)
		}
		n, err := p.num(t, 1, false)
		c.NoQuiesce = n.V == 0
		return true, err
	})
	return c, err
}

// ---- SQEs and system calls ----

// sqeField describes an SQE field key: its width and what it takes.
type sqeField struct {
	field string // canonical SQE field
	bits  int
	ref   int // 0: number only; refFd: or an fd object; refMem: or MEM[+OFF]
}

const (
	refNone = iota
	refFd
	refMem
)

func sqeFieldOf(key string) (sqeField, bool) {
	switch key {
	case "opcode":
		return sqeField{"opcode", 8, refNone}, true
	case "flags":
		return sqeField{"flags", 8, refNone}, true
	case "ioprio":
		return sqeField{"ioprio", 16, refNone}, true
	case "fd":
		return sqeField{"fd", 32, refFd}, true
	case "off": // or a file's descriptor: EPOLL_CTL's target
		return sqeField{"off", 64, refFd}, true
	case "addr":
		return sqeField{"addr", 64, refMem}, true
	case "len":
		return sqeField{"len", 32, refNone}, true
	case "op_flags":
		return sqeField{"op_flags", 32, refNone}, true
	case "user_data", "ud":
		return sqeField{"user_data", 64, refNone}, true
	case "buf_index":
		return sqeField{"buf_index", 16, refNone}, true
	case "buf_group":
		return sqeField{"buf_group", 16, refNone}, true
	case "personality":
		return sqeField{"personality", 16, refNone}, true
	case "file_index":
		return sqeField{"file_index", 32, refNone}, true
	case "splice_fd_in":
		return sqeField{"splice_fd_in", 32, refNone}, true
	case "addr2":
		return sqeField{"addr2", 64, refMem}, true
	case "addr3":
		return sqeField{"addr3", 64, refMem}, true
	case "target":
		return sqeField{"addr", 64, refNone}, true
	case "cmd_op":
		return sqeField{"cmd_op", 32, refNone}, true
	}
	return sqeField{}, false
}

func (p *parser) sqe(w token, args []token) (Payload, error) {
	ring, args, err := p.leadRing(w, args)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, p.errf(w.line, "sqe: missing opcode")
	}
	opTok := args[0]
	if opTok.hasEq || opTok.quoted {
		return nil, p.errf(opTok.line, "sqe: missing opcode before %q", opTok.text)
	}
	op, ok := rings.OpByName(opTok.text)
	if !ok {
		return nil, p.errf(opTok.line, "unknown opcode %q", opTok.text)
	}
	c := &SQECmd{Ring: ring, Opcode: op, OpText: opTok.text}
	err = p.kvs("sqe", args[1:], func(t token) (bool, error) {
		f, err := p.sqeKV(t)
		if f == nil {
			return err != nil, err
		}
		c.Fields = append(c.Fields, *f)
		return true, err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// sqeKV parses one key=value of an sqe line. It returns nil, nil for an
// unknown key.
func (p *parser) sqeKV(t token) (*SQEField, error) {
	f := &SQEField{Line: t.line, Key: t.key, Text: t.val}
	if t.quoted && t.key != "cmd" {
		return nil, p.errf(t.line, "unexpected string in %q", t.text)
	}
	var err error
	switch t.key {
	case "ts":
		f.Field, f.Kind = "addr", FieldTimespec
		f.Dur, err = p.dur(t)
		return f, err
	case "ring_fd":
		f.Field, f.Kind = "fd", FieldFd
		f.Name, f.Num, err = p.refOrNum(t, "ring", isKind(ObjRing), 32)
		if f.Name == "" {
			f.Kind = FieldNum
		}
		return f, err
	case "sockaddr":
		f.Field, f.Kind = "addr", FieldSockaddr
		f.Name, err = p.objRef(t.line, t.val, "listening socket", isKind(ObjListen))
		return f, err
	case "iov":
		f.Field, f.Kind = "addr", FieldIOV
		f.IOV, err = p.iov(t)
		return f, err
	case "cmd", "nvme":
		return p.sqeCmdKV(t, f)
	}
	sf, ok := sqeFieldOf(t.key)
	if !ok {
		return nil, nil
	}
	f.Field, f.Kind = sf.field, FieldNum
	switch sf.ref {
	case refFd:
		f.Name, f.Num, err = p.refOrNum(t, "file", hasFdOrPid, sf.bits)
		if f.Name != "" {
			f.Kind = FieldFd
		}
		return f, err
	case refMem:
		name, off, isMem, err := p.memAddr(t.line, t.key, t.val)
		if err != nil {
			return f, err
		}
		if isMem {
			f.Kind, f.Name, f.Off = FieldMem, name, off
			return f, nil
		}
		f.Num, err = p.num(t, sf.bits, false)
		if err != nil && isIdent(t.val) {
			err = p.errf(t.line, "undeclared mem %q", t.val)
		}
		return f, err
	}
	if t.key == "opcode" {
		if op, ok := rings.OpByName(t.val); ok && !looksNumeric(t.val) {
			f.Num = Num{Set: true, V: uint64(op), Text: t.val}
			return f, nil
		}
	}
	f.Num, err = p.num(t, sf.bits, false)
	return f, err
}

// refOrNum resolves the value of a key that takes an object name or a
// number (fd=f or fd=-1): name is "" when it is a number. A word that is
// neither a declared object nor a number but could name one is reported as
// an undeclared object.
func (p *parser) refOrNum(t token, desc string, ok func(ObjKind) bool, bits int) (name string, n Num, err error) {
	if _, found := p.lookup(t.val); found {
		name, err = p.objRef(t.line, t.val, desc, ok)
		return name, Num{}, err
	}
	n, err = p.num(t, bits, false)
	if err != nil && isObjName(t.val) {
		err = p.errf(t.line, "undeclared %s %q", desc, t.val)
	}
	return "", n, err
}

// memAddr resolves MEM[+OFF]. isMem is false when text has no '+' and is
// not a declared name (then it is to be read as a number).
func (p *parser) memAddr(line int, what, text string) (name string, off uint64, isMem bool, err error) {
	base, offText, hasOff := strings.Cut(text, "+")
	if _, ok := p.lookup(base); !ok && !hasOff {
		return "", 0, false, nil
	}
	name, err = p.objRef(line, base, "mem", isKind(ObjMem))
	if err != nil {
		return "", 0, false, err
	}
	if hasOff {
		var ok bool
		off, ok = parseUintLit(offText)
		if !ok {
			return "", 0, false, p.errf(line, "bad offset %q in %s=%s", offText, what, text)
		}
	}
	return name, off, true, nil
}

// iov parses MEM[+OFF]:LEN[,MEM[+OFF]:LEN…]. A MEM that is a number gives
// an absolute address (IOVec.Mem == "", IOVec.Off the address).
func (p *parser) iov(t token) ([]IOVec, error) {
	if t.val == "" {
		return nil, p.errf(t.line, "missing value for iov")
	}
	var v []IOVec
	for _, el := range strings.Split(t.val, ",") {
		addr, lenText, ok := strings.Cut(el, ":")
		if !ok {
			return nil, p.errf(t.line, "bad iovec %q in iov= (want MEM[+OFF]:LEN)", el)
		}
		var e IOVec
		name, off, isMem, err := p.memAddr(t.line, "iov", addr)
		if err != nil {
			return nil, err
		}
		switch {
		case isMem:
			e.Mem, e.Off = name, off
		case isObjName(addr):
			return nil, p.errf(t.line, "undeclared mem %q", addr)
		default:
			if e.Off, ok = parseUintLit(addr); !ok {
				return nil, p.errf(t.line, "bad address %q in iov=", addr)
			}
		}
		if e.Len, ok = parseUintLit(lenText); !ok {
			return nil, p.errf(t.line, "bad length %q in iov=", lenText)
		}
		v = append(v, e)
	}
	return v, nil
}

func (p *parser) submit(w token, args []token) (Payload, error) {
	ring, args, err := p.leadRing(w, args)
	if err != nil {
		return nil, err
	}
	c := &SubmitCmd{Ring: ring}
	return c, p.kvs("submit", args, func(t token) (bool, error) {
		var err error
		switch t.key {
		case "wait":
			c.Wait, err = p.num(t, 32, false)
		case "flags":
			c.Flags, err = p.num(t, 32, false)
		case "tail":
			if t.val != "relaxed" {
				err = p.errf(t.line, "tail=%q: want tail=relaxed", t.val)
			}
			c.Relaxed = true
		case "expect":
			c.Expect, err = p.num(t, 64, true)
		default:
			return false, nil
		}
		return true, err
	})
}

func (p *parser) enter(w token, args []token) (Payload, error) {
	ring, args, err := p.leadRing(w, args)
	if err != nil {
		return nil, err
	}
	c := &EnterCmd{Ring: ring}
	return c, p.kvs("enter", args, func(t token) (bool, error) {
		var err error
		switch t.key {
		case "to_submit":
			c.ToSubmit, err = p.num(t, 32, false)
		case "min_complete":
			c.MinComplete, err = p.num(t, 32, false)
		case "flags":
			c.Flags, err = p.num(t, 32, false)
		case "timeout":
			c.Timeout, err = p.dur(t)
		case "expect":
			c.Expect, err = p.num(t, 64, true)
		default:
			return false, nil
		}
		return true, err
	})
}

// registerKeys lists the keys (besides expect) each register opcode takes,
// and which of them are required.
func registerKeys(name string) (keys, required []string) {
	switch name {
	case "IORING_REGISTER_FILES", "IORING_REGISTER_FILES2":
		return []string{"files", "tags"}, []string{"files"}
	case "IORING_REGISTER_BUFFERS", "IORING_REGISTER_BUFFERS2":
		return []string{"mems", "tags"}, []string{"mems"}
	case "IORING_REGISTER_EVENTFD", "IORING_REGISTER_EVENTFD_ASYNC":
		return []string{"eventfd"}, []string{"eventfd"}
	case "IORING_REGISTER_PBUF_RING":
		return []string{"bgid", "entries", "size", "count", "flags", "min_left"}, []string{"bgid", "entries", "size"}
	case "IORING_REGISTER_IOWQ_MAX_WORKERS":
		return []string{"bound", "unbound"}, []string{"bound", "unbound"}
	case "IORING_REGISTER_ZCRX_IFQ":
		return []string{"if_idx", "rxq", "entries", "area", "flags"}, []string{"if_idx", "entries", "area"}
	case "IORING_REGISTER_FILES_UPDATE", "IORING_REGISTER_FILES_UPDATE2":
		return []string{"off", "files", "tags"}, []string{"off", "files"}
	case "IORING_REGISTER_FILE_ALLOC_RANGE":
		return []string{"off", "len"}, []string{"off", "len"}
	case "IORING_UNREGISTER_PBUF_RING":
		return []string{"bgid"}, []string{"bgid"}
	case "IORING_REGISTER_SYNC_CANCEL":
		return []string{"target", "fd", "op_flags", "timeout"}, nil
	case "IORING_REGISTER_RESTRICTIONS":
		return []string{"sqe_ops", "register_ops", "sqe_flags_allowed", "sqe_flags_required"}, nil
	case "IORING_UNREGISTER_PERSONALITY":
		return []string{"id"}, []string{"id"}
	case "IORING_REGISTER_RESIZE_RINGS":
		return []string{"entries", "cq_entries", "flags"}, []string{"entries"}
	case "IORING_REGISTER_NAPI", "IORING_UNREGISTER_NAPI":
		return []string{"busy_poll_to", "prefer_busy_poll", "opcode", "op_param"}, nil
	}
	return nil, nil
}

// registerOp resolves a register opcode: its uapi name (with or without
// IORING_, or without IORING_REGISTER_, as rings.RegisterOpByName takes it)
// or a number. name is the canonical uapi name (rings.RegisterOpName).
func (p *parser) registerOp(line int, text string) (op uint32, name string, err error) {
	if looksNumeric(text) {
		v, ok := parseUintLit(text)
		if !ok || v > 1<<32-1 {
			return 0, "", p.errf(line, "bad register opcode %q", text)
		}
		return uint32(v), rings.RegisterOpName(uint32(v)), nil
	}
	if isIdent(text) {
		if op, ok := rings.RegisterOpByName(text); ok {
			return op, rings.RegisterOpName(op), nil
		}
	}
	return 0, "", p.errf(line, "unknown register opcode %q", text)
}

func (p *parser) register(w token, args []token) (Payload, error) {
	ring, args, err := p.leadRing(w, args)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, p.errf(w.line, "register: missing opcode")
	}
	opTok := args[0]
	if opTok.hasEq || opTok.quoted {
		return nil, p.errf(opTok.line, "register: missing opcode before %q", opTok.text)
	}
	op, opName, err := p.registerOp(opTok.line, opTok.text)
	if err != nil {
		return nil, err
	}
	c := &RegisterCmd{Ring: ring, Opcode: op, OpText: opTok.text}
	keys, required := registerKeys(opName)
	what := "register " + opTok.text
	seen := map[string]bool{}
	err = p.kvs(what, args[1:], func(t token) (bool, error) {
		if t.key == "expect" {
			var err error
			c.Expect, err = p.num(t, 64, true)
			return true, err
		}
		for _, k := range keys {
			if k == t.key {
				seen[k] = true
				return true, p.registerKV(c, t)
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range required {
		if !seen[k] {
			return nil, p.errf(w.line, "%s: missing %s=", what, k)
		}
	}
	switch opName {
	case "IORING_REGISTER_SYNC_CANCEL":
		if !c.Target.Set && !c.Fd.Set {
			return nil, p.errf(w.line, "%s: missing target= or fd=", what)
		}
	case "IORING_REGISTER_PBUF_RING":
		if c.Count.Set && c.Count.V > c.Entries.V {
			return nil, p.errf(w.line, "%s: count=%s exceeds entries=%s", what, c.Count.Text, c.Entries.Text)
		}
		name := "pbuf" + strconv.FormatUint(c.BGID.V, 10)
		if o, ok := p.lookup(name); ok {
			if !p.pbuf[name] {
				return nil, p.errf(w.line, "%s: mapping %q already declared (as %s at line %d)", what, name, o.Kind, o.Line)
			}
		} else {
			if err := p.declareName(w.line, name, ObjMem); err != nil {
				return nil, err
			}
			p.pbuf[name] = true
		}
	}
	if c.Tags != nil {
		n := len(c.Files) + len(c.Mems)
		if len(c.Tags) != n {
			return nil, p.errf(w.line, "%s: %d tags for %d resources", what, len(c.Tags), n)
		}
	}
	return c, nil
}

func (p *parser) registerKV(c *RegisterCmd, t token) error {
	if t.quoted {
		return p.errf(t.line, "unexpected string in %q", t.text)
	}
	var els []string
	switch t.key {
	case "files", "mems", "tags", "sqe_ops", "register_ops":
		var err error
		if els, err = p.list(t); err != nil {
			return err
		}
	}
	var err error
	switch t.key {
	case "files":
		for _, el := range els {
			if el == "-1" {
				c.Files = append(c.Files, FileRef{Sparse: true})
				continue
			}
			if looksNumeric(el) {
				return p.errf(t.line, "bad file %q in files= (want a name or -1)", el)
			}
			name, err := p.objRef(t.line, el, "file", ObjKind.HasFd)
			if err != nil {
				return err
			}
			c.Files = append(c.Files, FileRef{Name: name})
		}
	case "mems":
		for _, el := range els {
			name, err := p.objRef(t.line, el, "mem", isKind(ObjMem))
			if err != nil {
				return err
			}
			c.Mems = append(c.Mems, name)
		}
	case "tags":
		c.Tags = []uint64{}
		for _, el := range els {
			n, err := p.numText(t.line, "tags", el, 64, false)
			if err != nil {
				return err
			}
			c.Tags = append(c.Tags, n.V)
		}
	case "eventfd":
		c.Eventfd, err = p.objRef(t.line, t.val, "eventfd", isKind(ObjEventfd))
	case "bgid":
		c.BGID, err = p.num(t, 16, false)
	case "entries":
		c.Entries, err = p.num(t, 32, false)
	case "if_idx":
		c.IfIdx, err = p.num(t, 32, false)
	case "rxq":
		c.Rxq, err = p.num(t, 32, true)
	case "area":
		c.Area, err = p.objRef(t.line, t.val, "mem", isKind(ObjMem))
	case "size":
		c.Size, err = p.num(t, 32, false)
	case "count":
		c.Count, err = p.num(t, 32, false)
	case "min_left":
		c.MinLeft, err = p.num(t, 32, false)
	case "flags":
		c.Flags, err = p.num(t, 16, false)
	case "bound":
		c.Bound, err = p.num(t, 32, false)
	case "unbound":
		c.Unbound, err = p.num(t, 32, false)
	case "off":
		c.Off, err = p.num(t, 32, false)
	case "len":
		c.Len, err = p.num(t, 32, false)
	case "target":
		c.Target, err = p.num(t, 64, false)
	case "id":
		c.ID, err = p.num(t, 32, false)
	case "cq_entries":
		c.CQEntries, err = p.num(t, 32, false)
	case "fd":
		c.Fd.Set = true
		c.Fd.Name, c.Fd.Num, err = p.refOrNum(t, "file", ObjKind.HasFd, 32)
	case "op_flags":
		c.OpFlags, err = p.num(t, 32, false)
	case "timeout":
		c.Timeout, err = p.dur(t)
	case "sqe_ops":
		for _, el := range els {
			op, ok := rings.OpByName(el)
			if !ok {
				return p.errf(t.line, "unknown opcode %q", el)
			}
			c.SQEOps = append(c.SQEOps, op)
		}
	case "register_ops":
		for _, el := range els {
			op, _, err := p.registerOp(t.line, el)
			if err != nil {
				return err
			}
			if op > 255 {
				return p.errf(t.line, "register opcode %q out of range for register_ops", el)
			}
			c.RegisterOps = append(c.RegisterOps, uint8(op))
		}
	case "busy_poll_to":
		c.BusyPollTo, err = p.num(t, 32, false)
	case "prefer_busy_poll":
		c.PreferBusyPoll, err = p.num(t, 8, false)
	case "opcode":
		c.NapiOp, err = p.num(t, 8, false)
	case "op_param":
		c.OpParam, err = p.num(t, 32, false)
	case "sqe_flags_allowed":
		c.SQEFlagsAllowed, err = p.num(t, 8, false)
	case "sqe_flags_required":
		c.SQEFlagsRequired, err = p.num(t, 8, false)
	}
	return err
}

// list splits the comma-separated value of t; elements must not be empty.
func (p *parser) list(t token) ([]string, error) {
	els := strings.Split(t.val, ",")
	for _, el := range els {
		if el == "" {
			return nil, p.errf(t.line, "empty element in %q", t.text)
		}
	}
	return els, nil
}

// ---- ring memory ----

func (p *parser) ringFields(w token, args []token, peek bool) (string, []RingField, error) {
	ring, args, err := p.leadRing(w, args)
	if err != nil {
		return "", nil, err
	}
	var fields []RingField
	err = p.kvs(w.text, args, func(t token) (bool, error) {
		f := RingField{Line: t.line, Field: t.key}
		switch t.key {
		case "sq_head", "sq_tail", "cq_head", "cq_tail", "sq_flags", "cq_flags":
		case "sq_dropped", "cq_overflow":
			if !peek {
				return false, nil
			}
		default:
			idx, ok := strings.CutPrefix(t.key, "sq_array[")
			if !ok {
				return false, nil
			}
			idx, ok = strings.CutSuffix(idx, "]")
			i, ok2 := parseUintLit(idx)
			if !ok || !ok2 || i > 1<<32-1 {
				return true, p.errf(t.line, "bad index in %q (want sq_array[I])", t.key)
			}
			f.Field, f.Index = "sq_array", uint32(i)
		}
		var err error
		f.Value, err = p.num(t, 32, peek)
		fields = append(fields, f)
		return true, err
	})
	if err != nil {
		return "", nil, err
	}
	if len(fields) == 0 {
		return "", nil, p.errf(w.line, "%s %s: missing FIELD=VALUE", w.text, ring)
	}
	return ring, fields, nil
}

func (p *parser) poke(w token, args []token) (Payload, error) {
	ring, fields, err := p.ringFields(w, args, false)
	if err != nil {
		return nil, err
	}
	return &PokeCmd{Ring: ring, Fields: fields}, nil
}

func (p *parser) peek(w token, args []token) (Payload, error) {
	ring, fields, err := p.ringFields(w, args, true)
	if err != nil {
		return nil, err
	}
	return &PeekCmd{Ring: ring, Fields: fields}, nil
}

// ---- files and time ----

func (p *parser) write(w token, args []token) (Payload, error) {
	file, args, err := p.leadRef(w, args, "file", ObjKind.HasFd)
	if err != nil {
		return nil, err
	}
	c := &WriteCmd{File: file}
	err = p.kvs("write", args, func(t token) (bool, error) {
		var err error
		switch t.key {
		case "data":
			c.Data, err = p.str(t)
		case "expect":
			c.Expect, err = p.num(t, 64, true)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	return c, p.need(w, "write", c.Data.Set, "data")
}

func (p *parser) read(w token, args []token) (Payload, error) {
	file, args, err := p.leadRef(w, args, "file", ObjKind.HasFd)
	if err != nil {
		return nil, err
	}
	c := &ReadCmd{File: file}
	err = p.kvs("read", args, func(t token) (bool, error) {
		var err error
		switch t.key {
		case "len":
			c.Len, err = p.nonNegative(t, 32)
		case "data":
			c.Data, err = p.str(t)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	return c, p.need(w, "read", c.Len.Set, "len")
}

func (p *parser) shutdown(w token, args []token) (Payload, error) {
	file, args, err := p.leadRef(w, args, "socket", ObjKind.IsSocket)
	if err != nil {
		return nil, err
	}
	c := &ShutdownCmd{File: file, How: ShutRDWR}
	return c, p.kvs("shutdown", args, func(t token) (bool, error) {
		if t.key != "how" {
			return false, nil
		}
		switch t.val {
		case "SHUT_RD":
			c.How = ShutRD
		case "SHUT_WR":
			c.How = ShutWR
		case "SHUT_RDWR":
			c.How = ShutRDWR
		default:
			return true, p.errf(t.line, "unknown how %q (want SHUT_RD, SHUT_WR or SHUT_RDWR)", t.val)
		}
		return true, nil
	})
}

func (p *parser) sleep(w token, args []token) (Payload, error) {
	if len(args) == 0 {
		return nil, p.errf(w.line, "sleep: missing duration")
	}
	t := args[0]
	if t.hasEq || t.quoted {
		return nil, p.errf(t.line, "bad duration %q for sleep", t.text)
	}
	d, err := p.durText(t.line, "sleep", t.text)
	if err != nil {
		return nil, err
	}
	return &SleepCmd{Dur: d}, p.noArgs(w, args[1:])
}

// ---- expectations ----

func (p *parser) cqeTop(w token, args []token) (Payload, error) {
	ring, args, err := p.leadRing(w, args)
	if err != nil {
		return nil, err
	}
	return p.cqeArgs(w, ring, args)
}

func (p *parser) cqeArgs(w token, ring string, args []token) (*CQEExpect, error) {
	c := &CQEExpect{Line: w.line, Ring: ring}
	err := p.kvs("cqe", args, func(t token) (bool, error) {
		var err error
		switch t.key {
		case "ud":
			c.UD, err = p.num(t, 64, true)
		case "res":
			c.Res, err = p.num(t, 32, true)
			if err == nil && !c.Res.Any && c.Res.V > 1<<31-1 && c.Res.V < 1<<32 {
				c.Res.V = uint64(int64(int32(uint32(c.Res.V)))) // 0xffffffff → -1
			}
		case "flags":
			c.Flags, err = p.num(t, 16, true)
			if err == nil && c.Flags.Int() < 0 {
				err = p.errf(t.line, "flags %q must not be negative", t.val)
			}
		case "bid":
			c.BID, err = p.num(t, 16, true)
			if err == nil && c.BID.Int() < 0 {
				err = p.errf(t.line, "bid %q must not be negative", t.val)
			}
		case "big0":
			c.Big0, err = p.num(t, 64, true)
		case "big1":
			c.Big1, err = p.num(t, 64, true)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	if err := p.need(w, "cqe", c.UD.Set, "ud"); err != nil {
		return nil, err
	}
	if err := p.need(w, "cqe", c.Res.Set, "res"); err != nil {
		return nil, err
	}
	if c.BID.Set && !c.BID.Any && c.Flags.Set && !c.Flags.Any {
		if c.Flags.V&rings.IORING_CQE_F_BUFFER == 0 {
			return nil, p.errf(w.line, "cqe: bid=%s needs IORING_CQE_F_BUFFER in flags=%s", c.BID.Text, c.Flags.Text)
		}
	}
	return c, nil
}

func (p *parser) nocqe(w token, args []token) (Payload, error) {
	ring, args, err := p.leadRing(w, args)
	if err != nil {
		return nil, err
	}
	return &NocqeCmd{Ring: ring}, p.noArgs(w, args)
}

func (p *parser) check(w token, args []token) (Payload, error) {
	mem, args, err := p.leadRef(w, args, "mem", isKind(ObjMem))
	if err != nil {
		return nil, err
	}
	c := &CheckCmd{Mem: mem}
	err = p.kvs("check", args, func(t token) (bool, error) {
		var err error
		switch t.key {
		case "off":
			c.Off, err = p.nonNegative(t, 63)
		case "data":
			c.Data, err = p.str(t)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	return c, p.need(w, "check", c.Data.Set, "data")
}

func (p *parser) fdinfo(w token, args []token) (Payload, error) {
	ring, args, err := p.leadRing(w, args)
	if err != nil {
		return nil, err
	}
	c := &FdinfoCmd{Ring: ring}
	err = p.kvs("fdinfo", args, func(t token) (bool, error) {
		if !isIdent(t.key) {
			return false, nil
		}
		ck := FdinfoCheck{Line: t.line, Key: t.key, Value: t.val}
		if !t.quoted {
			if n, err := p.num(t, 64, true); err == nil {
				ck.IsNum, ck.Num = true, n
			}
		}
		c.Checks = append(c.Checks, ck)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// nonNegative parses a count or offset of up to bits bits that must not be
// negative.
func (p *parser) nonNegative(t token, bits int) (Num, error) {
	n, err := p.num(t, bits, false)
	if err == nil && n.Int() < 0 {
		err = p.errf(t.line, "negative %s %q", t.key, t.val)
	}
	return n, err
}
