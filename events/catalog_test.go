package events_test

import (
	"bytes"
	"flag"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/events/eventschema"
)

var update = flag.Bool("update", false, "rewrite the generated schemas of docs/EVENTS.md")

const eventsDoc = "../docs/EVENTS.md"

// docs/EVENTS.md's catalog lists exactly the registered event types, each
// with its current version.
func TestCatalogIsDocumented(t *testing.T) {
	b, err := os.ReadFile(eventsDoc)
	if err != nil {
		t.Fatal(err)
	}
	documented := catalogRows(t, string(b))
	for _, name := range events.Default.Names() {
		v, ok := documented[name]
		switch {
		case !ok:
			t.Errorf("docs/EVENTS.md's catalog has no row for %s", name)
		case v != events.Default.Version(name):
			t.Errorf("docs/EVENTS.md's catalog gives %s version %d; the registry has %d", name, v, events.Default.Version(name))
		}
	}
	for name := range documented {
		if !events.Default.Known(name) {
			t.Errorf("docs/EVENTS.md's catalog lists %s, which is not registered", name)
		}
	}
}

// catalogRows reads "| `Type` | version | ..." rows of the Catalog section.
func catalogRows(t *testing.T, doc string) map[string]int {
	t.Helper()
	_, section, ok := strings.Cut(doc, "\n## Catalog\n")
	if !ok {
		t.Fatal("docs/EVENTS.md has no Catalog section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rows := map[string]int{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[1]), "`")
		v, err := strconv.Atoi(strings.TrimSpace(cells[2]))
		if err != nil {
			t.Errorf("catalog row %q: version %q is no number", line, cells[2])
		}
		if _, dup := rows[name]; dup {
			t.Errorf("catalog lists %s twice", name)
		}
		rows[name] = v
		if owner := events.Default.Aggregate(name); len(cells) > 4 && owner != "" && strings.TrimSpace(cells[3]) != owner {
			t.Errorf("catalog gives %s the aggregate %q; it is recorded on %s", name, strings.TrimSpace(cells[3]), owner)
		}
	}
	return rows
}

// docs/EVENTS.md's schemas are those the Go types give today. After changing
// an event's data: go generate ./events/ (this test with -update).
func TestSchemasAreDocumented(t *testing.T) {
	doc, err := os.ReadFile(eventsDoc)
	if err != nil {
		t.Fatal(err)
	}
	want, err := eventschema.Markdown(events.Default)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := bytes.Cut(doc, []byte(eventschema.BeginMarker))
	_, after, ok2 := bytes.Cut(rest, []byte(eventschema.EndMarker))
	if !ok1 || !ok2 {
		t.Fatalf("docs/EVENTS.md lacks the markers %s and %s", eventschema.BeginMarker, eventschema.EndMarker)
	}
	have, _, _ := bytes.Cut(rest, []byte(eventschema.EndMarker))
	if *update {
		out := bytes.Join([][]byte{before, []byte(eventschema.BeginMarker), want, []byte("\n"), []byte(eventschema.EndMarker), after}, nil)
		if err := os.WriteFile(eventsDoc, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(bytes.TrimSpace(have), bytes.TrimSpace(want)) {
		t.Error("docs/EVENTS.md's schemas differ from the Go types: run go generate ./events/ and review the change " +
			"(a change other than an added optional field needs a new version and an upcaster)")
	}
}
