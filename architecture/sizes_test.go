package architecture

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The limits a file and a function of the product stay under, so that each
// reads at once: a longer file holds more than one concern, a longer
// function more than one step. Tests and bench/ (a tool, not the product)
// are not held to them, nor is generated code.
const (
	maxFileLines = 300
	maxFuncLines = 60
)

func TestFilesAndFunctionsStayShort(t *testing.T) {
	const root = ".."
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && skippedDir(path, root, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		over, err := tooLong(filepath.ToSlash(rel), src, maxFileLines, maxFuncLines)
		if err != nil {
			return err
		}
		checked++
		for _, o := range over {
			t.Error(o)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("%d files checked: the module was not walked", checked)
	}
}

// skippedDir is a folder the walk leaves: bench/, and what the go tool
// ignores (testdata, hidden and underscored folders).
func skippedDir(path, root, name string) bool {
	if rel, err := filepath.Rel(root, path); err == nil && filepath.ToSlash(rel) == "bench" {
		return true
	}
	return name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// tooLong names what in the Go source src of file name is over the limits: the file itself, and each function or method with a
// body. A generated file is never too long.
func tooLong(name string, src any, fileLines, funcLines int) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	if ast.IsGenerated(f) {
		return nil, nil
	}
	var over []string
	if n := fset.File(f.Pos()).LineCount(); n > fileLines {
		over = append(over, fmt.Sprintf("%s has %d lines, more than %d: split it by concern", name, n, fileLines))
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		start := fset.Position(fn.Pos())
		if n := fset.Position(fn.End()).Line - start.Line + 1; n > funcLines {
			over = append(over, fmt.Sprintf("%s: %s has %d lines, more than %d: split it into named steps", start, funcName(fn), n, funcLines))
		}
	}
	return over, nil
}

// funcName is a function's name, a method's with its receiver's type.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	typ := fn.Recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	switch g := typ.(type) {
	case *ast.IndexExpr:
		typ = g.X
	case *ast.IndexListExpr:
		typ = g.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}

// source is a file of package p, after header, with a method of T of three
// lines and then a function name of lines lines in all.
func source(header, name string, lines int) string {
	var b strings.Builder
	b.WriteString(header + "package p\n\ntype T struct{ n int }\n\nfunc (t *T) inc() {\n\tt.n++\n}\n\n")
	fmt.Fprintf(&b, "func %s(t *T) {\n", name)
	for range lines - 2 {
		b.WriteString("\tt.inc()\n")
	}
	b.WriteString("}\n")
	return b.String()
}

func TestTheSizeCheckReportsWhatIsOverTheLimits(t *testing.T) {
	t.Run("a function one line over the limit is named, with its length", func(t *testing.T) {
		over, err := tooLong("p/long.go", source("", "long", 61), 300, 60)
		if err != nil {
			t.Fatal(err)
		}
		if len(over) != 1 || !strings.Contains(over[0], "p/long.go:9:1: long has 61 lines") {
			t.Fatalf("got %q, want one report of long at p/long.go:9:1 with 61 lines", over)
		}
	})
	t.Run("a function at the limit passes", func(t *testing.T) {
		over, err := tooLong("p/ok.go", source("", "ok", 60), 300, 60)
		if err != nil {
			t.Fatal(err)
		}
		if len(over) != 0 {
			t.Fatalf("got %q, want nothing over the limits", over)
		}
	})
	t.Run("a method is named with its receiver", func(t *testing.T) {
		over, err := tooLong("p/m.go", source("", "short", 3), 300, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(over) != 2 || !strings.Contains(over[0], "T.inc has 3 lines") || !strings.Contains(over[1], "short has 3 lines") {
			t.Fatalf("got %q, want T.inc and short reported", over)
		}
	})
	t.Run("a file over the limit is named, with its length", func(t *testing.T) {
		src := source("", "long", 61)
		lines := strings.Count(src, "\n")
		over, err := tooLong("p/big.go", src, lines-1, 100)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("p/big.go has %d lines, more than %d", lines, lines-1)
		if len(over) != 1 || !strings.Contains(over[0], want) {
			t.Fatalf("got %q, want one report containing %q", over, want)
		}
	})
	t.Run("generated code is not held to the limits", func(t *testing.T) {
		over, err := tooLong("p/gen.go", source("// Code generated by a tool. DO NOT EDIT.\n\n", "long", 400), 300, 60)
		if err != nil {
			t.Fatal(err)
		}
		if len(over) != 0 {
			t.Fatalf("got %q, want nothing reported for generated code", over)
		}
	})
}
