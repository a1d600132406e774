package uringsim_test

import (
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/uringsim/uringsim"

// allowedDeps is the package graph of DESIGN.md written down: for each
// package, the packages of this module it may import (non-test files).
// Lower layers never import higher ones, and iowq, sqpoll, kbuf and rsrc
// never import kernel.
var allowedDeps = map[string][]string{
	"sim":          {},
	"rings":        {},
	"mm":           {},
	"vfs":          {"sim", "mm", "rings"},
	"blockdev":     {"sim", "mm", "rings", "vfs"},
	"netdev":       {"sim", "mm", "rings", "vfs"},
	"kbuf":         {"sim", "mm", "rings"},
	"rsrc":         {"sim", "mm", "rings", "vfs"},
	"iowq":         {"sim"},
	"sqpoll":       {"sim", "rings"},
	"kernel":       {"sim", "mm", "rings", "vfs", "kbuf", "rsrc", "iowq", "sqpoll"},
	"opdef":        {"sim", "mm", "rings", "vfs", "kbuf", "rsrc", "kernel"},
	"uring":        {"sim", "mm", "rings", "vfs", "blockdev", "netdev", "kernel", "opdef"},
	"uring/echo":   {"rings", "uring"},
	"ringcheck":    {"rings", "uring"},
	"scenario":     {"sim", "rings", "uring", "ringcheck"},
	"uringtest":    {"sim", "uring", "ringcheck", "scenario"},
	"exec":         {"sim", "mm", "rings", "vfs", "kernel", "uring"},
	"cmd/uringsim": {"sim", "rings", "uring", "scenario", "exec"},
}

// goFiles lists the non-test Go files of every package directory that the
// default build (no tags) compiles.
func goFiles(t *testing.T) map[string][]string {
	t.Helper()
	return goFilesFor(t, &build.Default)
}

// goFilesFor is goFiles for the files ctxt selects (its build tags).
func goFilesFor(t *testing.T, ctxt *build.Context) map[string][]string {
	t.Helper()
	pkgs := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			if ok, err := ctxt.MatchFile(filepath.Dir(path), d.Name()); err != nil || !ok {
				return err
			}
			dir := filepath.ToSlash(filepath.Dir(path))
			pkgs[dir] = append(pkgs[dir], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func TestPackageGraph(t *testing.T) {
	fset := token.NewFileSet()
	for dir, files := range goFiles(t) {
		if dir == "." {
			continue
		}
		allowed, known := allowedDeps[dir]
		if !known {
			t.Errorf("package %s is not in the package graph of deps_test.go: add it (and to DESIGN's table)", dir)
			continue
		}
		for _, f := range files {
			af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if !strings.HasPrefix(p, module+"/") {
					continue
				}
				dep := strings.TrimPrefix(p, module+"/")
				if !slices.Contains(allowed, dep) {
					t.Errorf("%s imports %s: not an edge of the package graph", f, dep)
				}
			}
		}
	}
}
