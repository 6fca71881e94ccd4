package baton_test

import (
	"bufio"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// ioPackages are standard packages that do I/O; the domain package does none (doc.go).
var ioPackages = []string{"database/sql", "net", "net/http", "os", "os/exec", "io/ioutil", "syscall"}

// TestRootImportsNoneOfOurs guards the dependency rule (STYLE.md "Shape"): the root
// package is the domain that every adapter imports, so it may import none of them.
func TestRootImportsNoneOfOurs(t *testing.T) {
	module := modulePath(t)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var checked int
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		// Parse every file, whatever its build constraints, so no platform hides an import.
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		checked++
		for _, spec := range f.Imports {
			path, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				t.Fatalf("%s: import %s: %v", name, spec.Path.Value, err)
			}
			if path == module || strings.HasPrefix(path, module+"/") {
				t.Errorf("%s imports %q: the root package must import none of Baton's own packages", name, path)
			}
			for _, p := range ioPackages {
				if path == p {
					t.Errorf("%s imports %q: the root package performs no I/O", name, path)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("found no non-test .go files in the root package")
	}
}

// modulePath reads the module path from go.mod, so the test follows a rename.
func modulePath(t *testing.T) string {
	t.Helper()
	f, err := os.Open("go.mod")
	if err != nil {
		t.Fatalf("open go.mod: %v", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	t.Fatal("go.mod has no module line")
	return ""
}

// storeMayImport are the only packages of ours the store may import: its generated queries,
// and the sealing of stored secrets (a primitive, not a feature).
var storeMayImport = []string{"", "/internal/store/db", "/internal/secret"}

// TestStoreImportsNoFeaturePackage guards the second rule of the layout (docs/decisions.md
// "Layout"): feature packages call the store, never the other way round, so the store stays
// a store — the database, transactions, group commit, events with seq — and a feature's
// rules live in the package named for it.
func TestStoreImportsNoFeaturePackage(t *testing.T) {
	module := modulePath(t)
	dirs := []string{"internal/store", "internal/store/db"}
	fset := token.NewFileSet()
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("no .go files in %s", dir)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatalf("parse %s: %v", name, err)
			}
			for _, spec := range f.Imports {
				path, _ := strconv.Unquote(spec.Path.Value)
				rest, ours := strings.CutPrefix(path, module)
				if !ours || (rest != "" && !strings.HasPrefix(rest, "/")) {
					continue
				}
				if !slices.Contains(storeMayImport, rest) {
					t.Errorf("%s imports %q: the store may import only the root package, its queries and internal/secret", name, path)
				}
			}
		}
	}
}
