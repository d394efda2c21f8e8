package architecture

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/chatbotsaas/chatbot/"

// pkg is one package of the module as go list sees it.
type pkg struct {
	path    string // without the module prefix
	dir     string
	imports []string // direct, module prefix kept
	deps    []string // transitive
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{join .Imports \" \"}}\t{{join .Deps \" \"}}", "../...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 {
			t.Fatalf("go list line %q", sc.Text())
		}
		pkgs = append(pkgs, pkg{path: strings.TrimPrefix(f[0], module), dir: f[1], imports: strings.Fields(f[2]), deps: strings.Fields(f[3])})
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages: the module was not listed", len(pkgs))
	}
	return pkgs
}

func under(path, root string) bool { return path == root || strings.HasPrefix(path, root+"/") }

// The write side and the read side share events, the read models' leaf
// package and shared/, never each other nor the projector.
func TestTheSidesDoNotImportEachOther(t *testing.T) {
	forbidden := map[string][]string{
		"command": {"query", "projector"},
		"query":   {"command", "projector"},
	}
	checked := 0
	for _, p := range listPackages(t) {
		for side, others := range forbidden {
			if !under(p.path, side) {
				continue
			}
			checked++
			for _, d := range p.deps {
				for _, other := range others {
					if strings.HasPrefix(d, module) && under(strings.TrimPrefix(d, module), other) {
						t.Errorf("%s depends on %s", p.path, d)
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no package of command/ or query/ was checked")
	}
}

// The write side only appends: no package of command/ reaches Postgres
// itself (the task router and the HTTP error mapping it uses may).
func TestTheWriteSideHoldsNoDatabase(t *testing.T) {
	checked := 0
	for _, p := range listPackages(t) {
		if !under(p.path, "command") {
			continue
		}
		checked++
		for _, imp := range p.imports {
			if under(imp, "github.com/jackc/pgx") || under(strings.TrimPrefix(imp, module), "shared/postgres") {
				t.Errorf("%s imports %s", p.path, imp)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no package of command/ was checked")
	}
}

// A domain package is pure: the standard library, events, apperr and
// the other domain packages.
func TestTheDomainIsPure(t *testing.T) {
	checked := 0
	for _, p := range listPackages(t) {
		if !under(p.path, "command/domain") {
			continue
		}
		checked++
		for _, imp := range p.imports {
			rel := strings.TrimPrefix(imp, module)
			switch {
			case !strings.Contains(strings.Split(imp, "/")[0], "."): // the standard library
			case rel == "events", rel == "shared/apperr", under(rel, "command/domain"):
			default:
				t.Errorf("%s imports %s", p.path, imp)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("%d domain packages checked", checked)
	}
}

// cmd/ wires the packages together and runs the command line: it holds
// no SQL, no domain decision and no long function.
func TestCmdHoldsOnlyWiring(t *testing.T) {
	sql := regexp.MustCompile(`(?i)\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b`)
	const maxLines = 60
	files := 0
	for _, p := range listPackages(t) {
		if !under(p.path, "cmd") {
			continue
		}
		for _, imp := range p.imports {
			if under(strings.TrimPrefix(imp, module), "command/domain") {
				t.Errorf("%s imports %s: decisions belong in command/app", p.path, imp)
			}
		}
		names, err := filepath.Glob(filepath.Join(p.dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			files++
			checkWiring(t, name, sql, maxLines)
		}
	}
	if files == 0 {
		t.Fatal("no file of cmd/ was checked")
	}
}

func checkWiring(t *testing.T, name string, sql *regexp.Regexp, maxLines int) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BasicLit:
			if n.Kind == token.STRING {
				if s, err := strconv.Unquote(n.Value); err == nil && sql.MatchString(s) {
					t.Errorf("%s: SQL in cmd/: %.60q", fset.Position(n.Pos()), s)
				}
			}
		case *ast.FuncDecl:
			// A table (a body that only returns a literal) may be long.
			if _, table := singleReturn(n); n.Body != nil && !table {
				if lines := fset.Position(n.Body.End()).Line - fset.Position(n.Body.Pos()).Line; lines > maxLines {
					t.Errorf("%s: %s has %d lines, more than wiring needs (%d)", fset.Position(n.Pos()), n.Name.Name, lines, maxLines)
				}
			}
		}
		return true
	})
}

func singleReturn(f *ast.FuncDecl) (*ast.ReturnStmt, bool) {
	if f.Body == nil || len(f.Body.List) != 1 {
		return nil, false
	}
	r, ok := f.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(r.Results) != 1 {
		return nil, false
	}
	_, lit := r.Results[0].(*ast.CompositeLit)
	return r, lit
}
