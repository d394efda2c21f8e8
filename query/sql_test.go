package query

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// Every statement file loads with its tables and fragments filled in;
// only the usage segment keeps the placeholders it fills per report.
func TestEveryStatementLoads(t *testing.T) {
	files, err := fs.Glob(sqlFiles, "sql/*.sql")
	if err != nil || len(files) < 10 {
		t.Fatalf("statement files: %v, %v", files, err)
	}
	left := regexp.MustCompile(`\{[a-z_]+\}`)
	perReport := map[string]bool{"{column}": true, "{table}": true, "{lo}": true, "{hi}": true, "{segments}": true}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "sql/"), ".sql")
		for _, p := range left.FindAllString(loadSQL(name), -1) {
			if !perReport[p] {
				t.Errorf("%s leaves %s unfilled", f, p)
			}
		}
	}
	if !strings.Contains(meSQL, "FROM rm_users_v1") {
		t.Errorf("me.sql reads %q", meSQL)
	}
}

func TestIfNoneMatch(t *testing.T) {
	for _, c := range []struct {
		header string
		match  bool
	}{
		{`"a1"`, true}, {`W/"a1"`, true}, {`"b", "a1"`, true}, {`*`, true}, {` * `, true},
		{`"a2"`, false}, {`a1`, false}, {`"b","c"`, false},
	} {
		if got := noneMatchHas(c.header, `"a1"`); got != c.match {
			t.Errorf("If-None-Match %s against \"a1\": %v, want %v", c.header, got, c.match)
		}
	}
}
