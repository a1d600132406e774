package main

import (
	"bytes"
	"embed"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uringsim/uringsim/scenario"
	"github.com/uringsim/uringsim/sim"
)

// The tour's chapters are scenario files embedded in the binary, so
// `uringsim tour` (and `make run`) works from any directory and a
// `go install`ed binary carries them along. They live in this package's
// tour/ directory rather than in testdata/tour because go:embed can only
// reach files inside the package directory; the tour is data, not code: the
// narration is the files' comment blocks, printed as the runner reaches the
// commands they precede. TestTourScenarios runs the same files on the host
// kernel too.
//
//go:embed tour/*.scn
var tourFS embed.FS

const tourUsage = `usage: uringsim tour [--list] [CHAPTER...]

A guided walk through io_uring on the simulator: each chapter is a small
scenario whose comments narrate what happens, with the kernel's trace
events shown under the command that caused them. CHAPTER numbers pick
chapters (default: all).
`

const tourIntro = `uringsim tour: io_uring, one system call at a time, on the simulated kernel.

Each chapter is a scenario file (uringsim run runs the same files). Lines
starting with $ are the scenario's commands, | lines are the kernel's trace
events they caused (named after Linux's tracepoints and functions, so you
can open io_uring/*.c beside them), and -> lines are what the program saw.
`

// tourWidth is the width the tour's output is laid out for.
const tourWidth = 80

// tourChapter is one embedded scenario.
type tourChapter struct {
	file  string
	title string
	src   []byte
}

func tourChapters() ([]tourChapter, error) {
	names, err := fs.Glob(tourFS, "tour/*.scn")
	if err != nil {
		return nil, err
	}
	// By chapter number: 9_… before 10_….
	slices.SortFunc(names, func(a, b string) int {
		na, _ := strconv.Atoi(strings.SplitN(path.Base(a), "_", 2)[0])
		nb, _ := strconv.Atoi(strings.SplitN(path.Base(b), "_", 2)[0])
		if na != nb {
			return na - nb
		}
		return strings.Compare(a, b)
	})
	var chs []tourChapter
	for _, n := range names {
		src, err := tourFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		title := strings.TrimSuffix(path.Base(n), ".scn")
		if first, _, _ := strings.Cut(string(src), "\n"); strings.HasPrefix(first, "#") {
			title = strings.TrimSpace(strings.TrimPrefix(first, "#"))
		}
		chs = append(chs, tourChapter{file: n, title: title, src: src})
	}
	return chs, nil
}

// runTour is `uringsim tour`.
func runTour(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("tour", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	list := fset.Bool("list", false, "list the chapters")
	if err := fset.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprint(stdout, tourUsage)
			return 0
		}
		fmt.Fprintf(stderr, "uringsim tour: %v\n", err)
		fmt.Fprint(stderr, tourUsage)
		return 2
	}
	chs, err := tourChapters()
	if err != nil {
		fmt.Fprintf(stderr, "uringsim tour: %v\n", err)
		return 1
	}
	if *list {
		for i, ch := range chs {
			fmt.Fprintf(stdout, "%d  %s\n", i+1, ch.title)
		}
		return 0
	}
	pick := make([]int, 0, len(chs))
	for _, a := range fset.Args() {
		n, err := strconv.Atoi(a)
		if err != nil || n < 1 || n > len(chs) {
			fmt.Fprintf(stderr, "uringsim tour: no chapter %q (there are %d)\n", a, len(chs))
			return 2
		}
		pick = append(pick, n-1)
	}
	if len(pick) == 0 {
		for i := range chs {
			pick = append(pick, i)
		}
	}
	fmt.Fprint(stdout, tourIntro)
	failed := 0
	for _, i := range pick {
		if !tourChapterRun(stdout, i+1, len(chs), chs[i]) {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(stdout, "\n%d chapter(s) did not behave as narrated.\n", failed)
		return 1
	}
	return 0
}

// tourChapterRun narrates and runs one chapter; it reports whether it
// passed.
func tourChapterRun(w io.Writer, n, total int, ch tourChapter) bool {
	sc, err := scenario.Parse(ch.file, ch.src)
	if err != nil {
		fmt.Fprintf(w, "%v\n", err)
		return false
	}
	lines := strings.Split(string(ch.src), "\n")
	head := fmt.Sprintf("== %d/%d  %s ", n, total, ch.title)
	fmt.Fprintf(w, "\n%s%s\n", head, strings.Repeat("=", max(0, tourWidth-len(head))))

	tw := &trackWriter{w: w, dirty: true}
	nar := &narrator{w: tw, lines: lines, next: 2} // line 1 is the title
	opt := scenario.RunOptions{
		Backend: scenario.BackendSim,
		Out:     &prefixWriter{w: tw, prefix: "  -> "},
		Sink:    &tourSink{w: tw},
		Before:  nar.before,
	}
	r := scenario.Run(sc, opt)
	nar.comments(len(lines) + 1)
	fmt.Fprintln(w)
	fmt.Fprintln(w, r.String())
	return r.Status == scenario.Pass
}

// narrator prints the comment blocks before each command and the command
// itself.
type narrator struct {
	w     *trackWriter
	lines []string
	next  int // first line (1-based) not yet printed or skipped
}

// comments prints the comment lines in [next, upto) as narration.
func (n *narrator) comments(upto int) {
	blank := true
	for i := n.next; i < upto && i <= len(n.lines); i++ {
		t := strings.TrimSpace(n.lines[i-1])
		if !strings.HasPrefix(t, "#") {
			if t == "" {
				blank = true
			}
			continue
		}
		t = strings.TrimSpace(strings.TrimPrefix(t, "#"))
		if t == "" {
			blank = true
			continue
		}
		if blank {
			fmt.Fprintln(n.w)
		}
		blank = false
		n.w.dirty = true
		fmt.Fprintln(n.w, t)
	}
	if upto > n.next {
		n.next = upto
	}
}

func (n *narrator) before(c *scenario.Command) {
	n.comments(c.Line)
	first, last := commandLines(n.lines, c)
	if n.w.dirty {
		fmt.Fprintln(n.w)
	}
	n.w.dirty = false
	for i := first; i <= last; i++ {
		fmt.Fprintf(n.w, "$ %s\n", strings.TrimRight(n.lines[i-1], " \t\r"))
	}
	n.next = last + 1
}

// commandLines is the span of source lines of c: continuation lines and
// blocks included.
func commandLines(src []string, c *scenario.Command) (first, last int) {
	first, last = c.Line, c.Line
	switch b := c.Cmd.(type) {
	case *scenario.UnorderedBlock:
		last = b.EndLine
	case *scenario.EitherBlock:
		last = b.EndLine
	default:
		for last <= len(src) && strings.HasSuffix(stripComment(strings.TrimRight(src[last-1], " \t\r")), `\`) {
			last++
		}
	}
	return first, min(last, len(src))
}

// trackWriter remembers whether anything was written since the last
// command was echoed, to separate the commands' output with blank lines.
type trackWriter struct {
	w     io.Writer
	dirty bool
}

func (t *trackWriter) Write(b []byte) (int, error) {
	t.dirty = true
	return t.w.Write(b)
}

// prefixWriter prefixes every line written to it.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	for _, l := range bytes.SplitAfter(b, []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		if _, err := io.WriteString(p.w, p.prefix+string(l)); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// tourSink prints trace events compactly for the tour: scheduler and timer
// noise left out, the thread named only when it is not the program's, the
// virtual clock shown when it moves, fields wrapped at tourWidth.
type tourSink struct {
	w    io.Writer
	last time.Duration
}

func (s *tourSink) Event(e *sim.Event) {
	if strings.HasPrefix(e.Name, "sched_") || strings.HasPrefix(e.Name, "hrtimer_") {
		return
	}
	if e.Time != s.last {
		s.last = e.Time
		fmt.Fprintf(s.w, "   (virtual clock now %v)\n", e.Time)
	}
	head := "   | "
	if e.ThreadName != "main" {
		head += "[" + e.ThreadName + "] "
	}
	head += fmt.Sprintf("%-21s", e.Name)
	line := head
	indent := strings.Repeat(" ", min(len(head), 28))
	for _, f := range e.Fields {
		kv := f.Key + "=" + fieldText(&f)
		if len(line)+1+len(kv) > tourWidth && len(line) > len(indent) {
			fmt.Fprintln(s.w, line)
			line = indent
		}
		// A flag set too long for a line breaks after a '|'.
		for len(line)+1+len(kv) > tourWidth {
			cut := strings.LastIndex(kv[:max(0, tourWidth-len(line)-1)], "|")
			if cut < 0 {
				break
			}
			fmt.Fprintln(s.w, line+" "+kv[:cut+1])
			line, kv = indent, kv[cut+1:]
		}
		line += " " + kv
	}
	fmt.Fprintln(s.w, line)
}

func fieldText(f *sim.Field) string {
	switch {
	case f.IsStr:
		return f.Str
	case f.Hex:
		return "0x" + strconv.FormatUint(uint64(f.Int), 16)
	case f.Unsigned:
		return strconv.FormatUint(uint64(f.Int), 10)
	}
	return strconv.FormatInt(f.Int, 10)
}
