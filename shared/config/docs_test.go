package config

import (
	"os"
	"strings"
	"testing"
)

// The README table and .env.example must list every setting.
func TestEverySettingIsDocumented(t *testing.T) {
	for _, file := range []string{"../../README.md", "../../.env.example"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range Settings {
			if !strings.Contains(string(b), s.Name) {
				t.Errorf("%s does not mention %s", file, s.Name)
			}
		}
	}
}
