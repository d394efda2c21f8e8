package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestTheOpenAPIDocumentIsLintClean lints the document chatbotd serves with
// Redocly CLI (its recommended rules, .ci/redocly.yaml): no error and no
// warning. It needs the redocly command (REDOCLY names it, else PATH);
// with REDOCLY_REQUIRED set (CI) it fails rather than skips without it.
func TestTheOpenAPIDocumentIsLintClean(t *testing.T) {
	bin := os.Getenv("REDOCLY")
	if bin == "" {
		switch path, err := exec.LookPath("redocly"); {
		case err == nil:
			bin = path
		case !errors.Is(err, exec.ErrNotFound):
			t.Fatalf("look for redocly: %v", err)
		}
	}
	if bin == "" {
		if os.Getenv("REDOCLY_REQUIRED") != "" {
			t.Fatal("REDOCLY_REQUIRED is set but the redocly command is not found")
		}
		t.Skip("redocly is not installed (npm install @redocly/cli)")
	}
	c, _ := startIdentity(t)
	spec := c.do("GET", "/openapi.json", nil)
	if spec.status != 200 || len(spec.body) == 0 {
		t.Fatalf("GET /openapi.json: %d", spec.status)
	}
	// The ignore file names the document by its path beside it.
	dir := t.TempDir()
	for name, src := range map[string]string{"redocly.yaml": "redocly.yaml", ".redocly.lint-ignore.yaml": ".redocly.lint-ignore.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", ".ci", src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "openapi.json"), []byte(spec.raw), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "lint", "openapi.json", "--format=json")
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	runErr := cmd.Run()
	var report struct {
		Totals   struct{ Errors, Warnings, Ignored int }
		Problems []struct {
			RuleID   string `json:"ruleId"`
			Severity string
			Message  string
			Location []struct{ Pointer string }
		}
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("redocly: %v %v\n%s\n%s", runErr, err, out.String(), errOut.String())
	}
	for _, p := range report.Problems {
		where := ""
		if len(p.Location) > 0 {
			where = p.Location[0].Pointer
		}
		t.Errorf("%s %s at %s: %s", p.Severity, p.RuleID, where, p.Message)
	}
	if report.Totals.Errors+report.Totals.Warnings > 0 || runErr != nil {
		t.Errorf("redocly lint: %d errors, %d warnings (%v)", report.Totals.Errors, report.Totals.Warnings, runErr)
	}
}
