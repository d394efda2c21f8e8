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
