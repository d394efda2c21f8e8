package main

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// chromium finds a headless-capable Chromium: CHROMIUM names it, else
// PATH. Without one the test skips, except in CI (CI or CHROMIUM_REQUIRED
// set), where it must run.
func chromium(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("CHROMIUM"); bin != "" {
		return bin
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if bin, err := exec.LookPath(name); err == nil {
			return bin
		}
	}
	if os.Getenv("CI") != "" || os.Getenv("CHROMIUM_REQUIRED") != "" {
		t.Fatal("no Chromium found, and this run requires the browser test")
	}
	t.Skip("no Chromium found (apt-get install chromium)")
	return ""
}

// TestTheDocsPageRendersEveryRouteGroup loads /docs in headless Chromium,
// which may reach nothing but the server (the page is offline: its
// script and styles are embedded), and finds every tag of the OpenAPI
// document as a group of the rendered sidebar.
func TestTheDocsPageRendersEveryRouteGroup(t *testing.T) {
	bin := chromium(t)
	c, _ := startIdentity(t)
	spec := c.do("GET", "/openapi.json", nil)
	var groups []string
	paths, _ := spec.body["paths"].(map[string]any)
	for _, item := range paths {
		for _, op := range item.(map[string]any) {
			tags, _ := op.(map[string]any)["tags"].([]any)
			for _, tag := range tags {
				if s, _ := tag.(string); !slices.Contains(groups, s) {
					groups = append(groups, s)
				}
			}
		}
	}
	if len(groups) < 5 {
		t.Fatalf("the document names %d route groups: %v", len(groups), groups)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--user-data-dir="+t.TempDir(),
		// Any host but the server's fails to resolve: nothing comes from a CDN.
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--virtual-time-budget=20000", "--dump-dom", c.base+"/docs")
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	page := string(dom)
	// The page itself holds an empty <elements-api>: only the script fills it.
	if !strings.Contains(page, `class="sl-elements-api`) {
		t.Fatalf("the reference did not render (%d bytes of DOM)", len(dom))
	}
	for _, g := range groups {
		// A sidebar group is a div holding the tag's name alone.
		if !regexp.MustCompile(`>\s*` + regexp.QuoteMeta(g) + `\s*</div>`).MatchString(page) {
			t.Errorf("the route group %q is not in the rendered page", g)
		}
	}
}
