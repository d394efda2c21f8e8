package migrations_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// docColumn is one line of a table of the diagram: "type name [PK]".
type docColumn struct {
	name, typ string
	pk        bool
}

// documented reads docs/SCHEMA.md: the columns of each table of its
// diagram, and the owner each table is given in its table of owners.
func documented(t *testing.T) (tables map[string][]docColumn, owners map[string]string) {
	t.Helper()
	f, err := os.Open("../docs/SCHEMA.md")
	if err != nil {
		t.Fatal(err)
	}
	defer testkit.Close(t, "docs/SCHEMA.md", f)
	tables, owners = map[string][]docColumn{}, map[string]string{}
	open := regexp.MustCompile(`^\s+(\w+) \{$`)
	column := regexp.MustCompile(`^\s+(\w+) (\w+)( PK)?$`)
	ownerRow := regexp.MustCompile("^\\| (`\\w+`(?:, `\\w+`)*) \\| ([^|]+) \\|")
	table := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch m := open.FindStringSubmatch(line); {
		case m != nil:
			table = m[1]
			tables[table] = nil
			continue
		case strings.TrimSpace(line) == "}":
			table = ""
			continue
		}
		if m := column.FindStringSubmatch(line); m != nil && table != "" {
			tables[table] = append(tables[table], docColumn{name: m[2], typ: m[1], pk: m[3] != ""})
		}
		if m := ownerRow.FindStringSubmatch(line); m != nil {
			for _, name := range strings.Split(m[1], ", ") {
				owners[strings.Trim(name, "`")] = strings.TrimSpace(m[2])
			}
		}
	}
	return tables, owners
}

// docType is how the diagram names a Postgres type.
func docType(udt string) string {
	switch udt {
	case "int8":
		return "bigint"
	case "int4":
		return "int"
	case "int2":
		return "smallint"
	}
	return udt
}

// TestSchemaDocMatchesTheMigratedDatabase holds docs/SCHEMA.md to the
// database the migrations build: every table with its owner, every
// column with its type and primary key, nothing more.
func TestSchemaDocMatchesTheMigratedDatabase(t *testing.T) {
	db := testkit.NewDatabase(t)
	actual := map[string][]docColumn{}
	var order []string
	rows, err := db.Pool.Query(context.Background(), `
		SELECT c.table_name, c.column_name, c.udt_name,
		       EXISTS (SELECT FROM information_schema.table_constraints tc
		               JOIN information_schema.key_column_usage k
		                 ON k.constraint_schema = tc.constraint_schema AND k.constraint_name = tc.constraint_name
		               WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema
		                 AND tc.table_name = c.table_name AND k.column_name = c.column_name)
		FROM information_schema.columns c JOIN information_schema.tables t
		  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> 'schema_migrations'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, name, udt string
		var pk bool
		if err := rows.Scan(&table, &name, &udt, &pk); err != nil {
			t.Fatal(err)
		}
		if _, ok := actual[table]; !ok {
			order = append(order, table)
		}
		actual[table] = append(actual[table], docColumn{name: name, typ: docType(udt), pk: pk})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(order) < 10 {
		t.Fatalf("the migrated database has %d tables: %v", len(order), order)
	}

	docs, owners := documented(t)
	for _, table := range order {
		if owners[table] == "" {
			t.Errorf("table %s has no owner in docs/SCHEMA.md", table)
		}
		want, got := actual[table], docs[table]
		if !slices.Equal(sorted(want), sorted(got)) {
			t.Errorf("table %s in docs/SCHEMA.md:\n  documented %v\n  migrated   %v\n%s", table, sorted(got), sorted(want), diagram(table, want))
		}
	}
	for table := range docs {
		if _, ok := actual[table]; !ok {
			t.Errorf("docs/SCHEMA.md shows %s, which no migration creates", table)
		}
	}
	for table := range owners {
		if _, ok := actual[table]; !ok {
			t.Errorf("docs/SCHEMA.md gives an owner to %s, which no migration creates", table)
		}
	}
}

func sorted(cols []docColumn) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = fmt.Sprintf("%s %s %v", c.name, c.typ, c.pk)
	}
	slices.Sort(out)
	return out
}

// diagram is the table as the diagram should show it.
func diagram(table string, cols []docColumn) string {
	var b strings.Builder
	fmt.Fprintf(&b, "    %s {\n", table)
	for _, c := range cols {
		pk := ""
		if c.pk {
			pk = " PK"
		}
		fmt.Fprintf(&b, "        %s %s%s\n", c.typ, c.name, pk)
	}
	b.WriteString("    }\n")
	return b.String()
}
