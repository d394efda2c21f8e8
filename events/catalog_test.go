package events_test

import (
	"os"
	"strings"
	"testing"

	"github.com/chatbotsaas/chatbot/events"
)

// docs/EVENTS.md must list every registered event type with its version.
func TestCatalogIsDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/EVENTS.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, name := range events.Default.Names() {
		row := "| `" + name + "` | " + itoa(events.Default.Version(name)) + " |"
		if !strings.Contains(doc, row) {
			t.Errorf("docs/EVENTS.md has no catalog row starting %q", row)
		}
	}
}

func itoa(n int) string {
	s := ""
	for n > 0 {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	return s
}
