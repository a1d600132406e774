package uringsim_test

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"strconv"
	"strings"
	"testing"
)

// kernelSide are the packages whose code runs as the simulated kernel: no
// goroutines but through sim, no wall clock, no global randomness, no sync
// primitives but sim's, no select, so that one seed gives one run.
var kernelSide = map[string]bool{
	"rings": true, "mm": true, "vfs": true, "blockdev": true, "netdev": true,
	"kbuf": true, "rsrc": true, "iowq": true, "sqpoll": true, "kernel": true, "opdef": true,
}

// forbiddenCalls are package-level functions kernel-side code must not call.
var forbiddenCalls = map[string][]string{
	"time": {"Now", "Sleep", "Since", "Until", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker"},
}

func TestKernelSideLint(t *testing.T) {
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "source", nil).(types.ImporterFrom)
	for dir, files := range goFiles(t) {
		var afs []*ast.File
		for _, f := range files {
			af, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			afs = append(afs, af)
			// No init() anywhere in the module.
			for _, d := range af.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "init" {
					t.Errorf("%s: func init() is not allowed (no init magic)", fset.Position(fd.Pos()))
				}
			}
		}
		if !kernelSide[dir] {
			continue
		}
		// Type-check the package so a range over any map-typed value is
		// caught, not only over map literals.
		info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
		conf := types.Config{Importer: imp}
		if _, err := conf.Check(module+"/"+dir, fset, afs, info); err != nil {
			t.Fatalf("type-checking %s: %v", dir, err)
		}
		for _, af := range afs {
			lintKernelFile(t, fset, af, info)
		}
	}
}

func lintKernelFile(t *testing.T, fset *token.FileSet, af *ast.File, info *types.Info) {
	names := map[string]string{} // local name -> import path
	for _, imp := range af.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		name := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		names[name] = p
		switch p {
		case "sync", "math/rand", "math/rand/v2", "crypto/rand":
			t.Errorf("%s: kernel-side code imports %q (use sim's primitives and seeded source)", fset.Position(imp.Pos()), p)
		}
	}
	ast.Inspect(af, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			t.Errorf("%s: bare go statement in kernel-side code (start threads with sim)", fset.Position(n.Pos()))
		case *ast.SelectStmt:
			t.Errorf("%s: select in kernel-side code (its choice is not deterministic)", fset.Position(n.Pos()))
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok {
				for _, fn := range forbiddenCalls[names[id.Name]] {
					if n.Sel.Name == fn {
						t.Errorf("%s: %s.%s in kernel-side code (use the virtual clock)", fset.Position(n.Pos()), id.Name, fn)
					}
				}
			}
		case *ast.RangeStmt:
			if tv, ok := info.Types[n.X]; ok {
				if _, isMap := tv.Type.Underlying().(*types.Map); isMap {
					t.Errorf("%s: range over a map in kernel-side code (iteration order is random)", fset.Position(n.Pos()))
				}
			}
		}
		return true
	})
}
