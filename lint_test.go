package uringsim_test

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The determinism rules (docs/design-notes.md, "Determinism"), each a check
// of lintFile.
type lintRule int

const (
	ruleGo       lintRule = 1 << iota // no bare go statement: threads start through sim
	ruleSelect                        // no select: its choice among ready cases is random
	ruleClock                         // no wall clock: time.Now, Sleep, timers (use the virtual clock)
	ruleRand                          // no global randomness: math/rand, crypto/rand, math/rand/v2's global functions
	ruleMap                           // no range over a map: its order is random
	ruleSync                          // no package sync: sim's locks and wait queues are yield points
	ruleRuntime                       // no package runtime: Gosched, Goexit, LockOSThread belong to sim
	ruleAtomicFn                      // sync/atomic's functions on raw words only in rings (the ring accessors)

	rulesAll = ruleGo | ruleSelect | ruleClock | ruleRand | ruleMap | ruleSync | ruleRuntime | ruleAtomicFn
)

// lintRules says which rules bind each package. Kernel-side packages (the
// simulated kernel) obey all of them; sim, where goroutines, channels,
// sync, runtime and real time live for both modes, still may not use
// global randomness or let map order decide anything; scenario (the
// runner) and uring's simulator side are the user program of a
// deterministic run, and obey the kernel's rules but for the exemptions
// below.
var lintRules = map[string]lintRule{
	"rings": rulesAll, "mm": rulesAll, "vfs": rulesAll, "blockdev": rulesAll, "netdev": rulesAll,
	"kbuf": rulesAll, "rsrc": rulesAll, "iowq": rulesAll, "sqpoll": rulesAll, "kernel": rulesAll, "opdef": rulesAll,
	"sim":      ruleRand | ruleMap,
	"scenario": rulesAll,
	"uring":    rulesAll, // only its simulator side: see lintFileApplies
}

// atomicFnAllowed are the packages that may call sync/atomic's functions
// (atomic.LoadUint32(p), StoreUint32, OrUint32, …) on words of shared
// memory: rings, whose accessors (LoadAcquire, StoreRelease, ReadOnce,
// WriteOnce, AtomicOr, AtomicAndNot, the buffer-ring views) are the only
// way every other package touches a ring word, and sim. Elsewhere only
// sync/atomic's types (atomic.Int32, Uint32, Int64, Uint64, Bool,
// Pointer[T]) are allowed, for fields that mirror a kernel atomic_t or a
// word read locklessly.
var atomicFnAllowed = map[string]bool{"rings": true, "sim": true}

// lintExempt lifts rules from one file, with the reason.
var lintExempt = map[string]struct {
	rules  lintRule
	reason string
}{
	"scenario/run.go": {ruleGo | ruleSelect | ruleClock | ruleRuntime,
		"the watchdog: the run goes on a goroutine (locked to an OS thread on the host) and Limit is real time"},
	"scenario/exec.go": {ruleClock, "sleep: real time when neither backend has a clock of its own"},
	"mm/pool.go":       {ruleSync, "the pool of free host mappings is shared by the worlds of a process, on any goroutines; it decides nothing"},
}

// lintFileApplies reports whether the rules of dir bind file: all of a
// package's files, but in uring only the simulator side (files named
// *sim*), not the host backend.
func lintFileApplies(dir, file string) bool {
	if dir != "uring" {
		return true
	}
	return strings.Contains(filepath.Base(file), "sim")
}

// forbiddenCalls are the package-level functions ruleClock forbids.
var forbiddenCalls = map[string][]string{
	"time": {"Now", "Sleep", "Since", "Until", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker"},
}

// randConstructors are math/rand/v2's functions that build a seeded source,
// which ruleRand allows (the world's rand is one).
var randConstructors = []string{"New", "NewPCG", "NewChaCha8", "NewZipf"}

// TestKernelSideLint type-checks every package the rules bind, under each
// build configuration (no tags, and -tags invariants, so build-tagged files
// are checked too), and reports every use the rules forbid.
func TestKernelSideLint(t *testing.T) {
	inv := build.Default
	inv.BuildTags = append(slices.Clone(inv.BuildTags), "invariants")
	seen := map[string]bool{}
	report := func(msg string) {
		if !seen[msg] {
			seen[msg] = true
			t.Error(msg)
		}
	}
	for _, ctxt := range []*build.Context{&build.Default, &inv} {
		lintTree(t, ctxt, report)
	}
}

func lintTree(t *testing.T, ctxt *build.Context, report func(string)) {
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "source", nil).(types.ImporterFrom)
	pkgs := goFilesFor(t, ctxt)
	dirs := slices.Sorted(func(yield func(string) bool) {
		for d := range pkgs {
			if !yield(d) {
				return
			}
		}
	})
	for _, dir := range dirs {
		var afs []*ast.File
		for _, f := range pkgs[dir] {
			af, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			afs = append(afs, af)
			// No init() anywhere in the module.
			for _, d := range af.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "init" {
					report(fmt.Sprintf("%s: func init() is not allowed (no init magic)", fset.Position(fd.Pos())))
				}
			}
		}
		rules, ok := lintRules[dir]
		if !ok {
			continue
		}
		// Type-check the package so a range over any map-typed value is
		// caught, not only over map literals.
		info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
		conf := types.Config{Importer: imp, Context: nil}
		if _, err := conf.Check(module+"/"+dir, fset, afs, info); err != nil {
			t.Fatalf("type-checking %s (tags %v): %v", dir, ctxt.BuildTags, err)
		}
		for i, af := range afs {
			file := filepath.ToSlash(pkgs[dir][i])
			if !lintFileApplies(dir, file) {
				continue
			}
			r := rules &^ lintExempt[file].rules
			if atomicFnAllowed[dir] {
				r &^= ruleAtomicFn
			}
			lintFile(fset, af, info, r, report)
		}
	}
}

func lintFile(fset *token.FileSet, af *ast.File, info *types.Info, rules lintRule, report func(string)) {
	errf := func(pos token.Pos, format string, args ...any) {
		report(fmt.Sprintf("%s: ", fset.Position(pos)) + fmt.Sprintf(format, args...))
	}
	names := map[string]string{} // local name -> import path
	for _, imp := range af.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		name := p[strings.LastIndex(p, "/")+1:]
		if v, ok := strings.CutPrefix(name, "v"); ok && strings.Contains(p, "/") {
			if _, err := strconv.Atoi(v); err == nil { // math/rand/v2 is package rand
				q := p[:strings.LastIndex(p, "/")]
				name = q[strings.LastIndex(q, "/")+1:]
			}
		}
		if imp.Name != nil {
			name = imp.Name.Name
		}
		names[name] = p
		switch {
		case rules&ruleSync != 0 && p == "sync":
			errf(imp.Pos(), "imports %q (use sim's locks, wait queues and completions)", p)
		case rules&ruleRand != 0 && (p == "math/rand" || p == "crypto/rand"):
			errf(imp.Pos(), "imports %q (use the world's seeded source)", p)
		case rules&ruleRuntime != 0 && p == "runtime":
			errf(imp.Pos(), "imports %q (Gosched, Goexit and OS threads belong to sim: use sim.Thread.CondResched)", p)
		}
	}
	ast.Inspect(af, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			if rules&ruleGo != 0 {
				errf(n.Pos(), "bare go statement (start threads with sim)")
			}
		case *ast.SelectStmt:
			if rules&ruleSelect != 0 {
				errf(n.Pos(), "select (its choice among ready cases is not deterministic)")
			}
		case *ast.SelectorExpr:
			id, ok := n.X.(*ast.Ident)
			if !ok {
				break
			}
			switch path := names[id.Name]; {
			case rules&ruleClock != 0 && slices.Contains(forbiddenCalls[path], n.Sel.Name):
				errf(n.Pos(), "%s.%s (use the virtual clock)", id.Name, n.Sel.Name)
			case rules&ruleRand != 0 && path == "math/rand/v2" && !slices.Contains(randConstructors, n.Sel.Name) && !isTypeName(info, n):
				errf(n.Pos(), "%s.%s draws from the global source (use the world's seeded rand)", id.Name, n.Sel.Name)
			case rules&ruleAtomicFn != 0 && path == "sync/atomic" && !isTypeName(info, n):
				errf(n.Pos(), "atomic.%s on a raw word (shared ring words go through rings' accessors; elsewhere use atomic's types)", n.Sel.Name)
			}
		case *ast.RangeStmt:
			if rules&ruleMap == 0 {
				break
			}
			if tv, ok := info.Types[n.X]; ok {
				if _, isMap := tv.Type.Underlying().(*types.Map); isMap {
					errf(n.Pos(), "range over a map (iteration order is random)")
				}
			}
		}
		return true
	})
}

// isTypeName reports whether sel (pkg.Name) names a type (atomic.Int32,
// rand.PCG), not a function.
func isTypeName(info *types.Info, sel *ast.SelectorExpr) bool {
	tv, ok := info.Types[sel]
	return ok && tv.IsType()
}

// TestLintCatches: each rule reports its construct in a file it binds, and
// a file of sim (rand and map rules only) may use the rest.
func TestLintCatches(t *testing.T) {
	const src = `package p

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

var mu sync.Mutex
var n atomic.Int32
var w uint32

func f(m map[int]int, c chan int) {
	go f(m, c)
	select {
	case <-c:
	default:
	}
	_ = time.Now()
	_ = rand.IntN(3)
	_ = rand.New(rand.NewPCG(1, 2))
	runtime.Gosched()
	atomic.AddUint32(&w, 1)
	for range m {
	}
}
`
	fset := token.NewFileSet()
	af, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	if _, err := conf.Check("p", fset, []*ast.File{af}, info); err != nil {
		t.Fatal(err)
	}
	lint := func(rules lintRule) []string {
		var got []string
		lintFile(fset, af, info, rules, func(msg string) { got = append(got, msg) })
		return got
	}
	want := []string{
		`p.go:5:2: imports "runtime"`, `p.go:6:2: imports "sync"`, "p.go:16:2: bare go statement",
		"p.go:17:2: select", "p.go:21:6: time.Now", "p.go:22:6: rand.IntN draws from the global source",
		"p.go:25:2: atomic.AddUint32 on a raw word", "p.go:26:2: range over a map",
	}
	got := lint(rulesAll)
	if len(got) != len(want) {
		t.Fatalf("rulesAll reported %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("report %d = %q, want it to start with %q", i, got[i], want[i])
		}
	}
	if got := lint(lintRules["sim"] &^ ruleAtomicFn); len(got) != 2 || !strings.Contains(got[0], "rand.IntN") || !strings.Contains(got[1], "range over a map") {
		t.Errorf("sim's rules reported:\n%s\nwant only the global rand and the map range", strings.Join(got, "\n"))
	}
}
