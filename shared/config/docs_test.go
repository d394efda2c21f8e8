package config

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// The README table and .env.example list every setting with its default.
// UPDATE_DOCS=1 go test ./shared/config rewrites both from Settings.
func TestEverySettingIsDocumented(t *testing.T) {
	readme, env := "../../README.md", "../../.env.example"
	if os.Getenv("UPDATE_DOCS") == "1" {
		b, err := os.ReadFile(readme)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		start := strings.Index(s, "| variable | default | meaning |")
		end := strings.Index(s, "\n## CLI")
		if start < 0 || end < start {
			t.Fatal("README has no settings table before ## CLI")
		}
		s = s[:start] + settingsTable() + s[end:]
		if err := os.WriteFile(readme, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(env, []byte(envExample()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, file := range []string{readme, env} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range Settings {
			if !strings.Contains(string(b), s.Name) {
				t.Errorf("%s does not mention %s (run UPDATE_DOCS=1 go test ./shared/config)", file, s.Name)
			}
		}
	}
}

func settingsTable() string {
	var b strings.Builder
	b.WriteString("| variable | default | meaning |\n|---|---|---|\n")
	for _, s := range Settings {
		def := "(empty)"
		if s.Default != "" {
			def = "`" + s.Default + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.Name, def, s.Help)
	}
	return b.String()
}

func envExample() string {
	var b strings.Builder
	b.WriteString("# chatbotd settings (environment variables). Every one is optional: the defaults\n# run `chatbotd serve` on a machine with a local Postgres. Copy to .env and edit.\n\n")
	for _, s := range Settings {
		fmt.Fprintf(&b, "# %s\n%s=%s\n\n", s.Help, s.Name, s.Default)
	}
	return b.String()
}
