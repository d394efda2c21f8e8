package query

import (
	"embed"
	"strings"

	"github.com/chatbotsaas/chatbot/readmodel"
)

//go:embed sql/*.sql
var sqlFiles embed.FS

// tableNames fill in the {name} of each read model table in the SQL
// files, so the names live in one place (readmodel).
var tableNames = map[string]string{
	"users": readmodel.UsersTable, "login_attempts": readmodel.LoginAttemptsTable,
	"companies": readmodel.CompaniesTable, "chatbots": readmodel.ChatbotsTable, "api_keys": readmodel.APIKeysTable,
	"event_log": readmodel.EventLogTable,
}

// fragments are the column lists several statements share.
var fragments = []string{"company_columns", "chatbot_columns", "admin_user_columns"}

// loadSQL is the statement in sql/name.sql with its tables and fragments
// filled in. A statement that does not load is a build defect: it panics
// when the package starts, which every test of the package shows.
func loadSQL(name string) string {
	pairs := make([]string, 0, 2*(len(tableNames)+len(fragments)))
	for k, v := range tableNames {
		pairs = append(pairs, "{"+k+"}", v)
	}
	for _, f := range fragments {
		pairs = append(pairs, "{"+f+"}", strings.TrimSpace(rawSQL(f)))
	}
	return strings.TrimSpace(strings.NewReplacer(pairs...).Replace(rawSQL(name)))
}

// rawSQL is the file's statement without its comment lines, which are
// for readers of the file, not for the server.
func rawSQL(name string) string {
	b, err := sqlFiles.ReadFile("sql/" + name + ".sql")
	if err != nil {
		panic("query: no statement " + name)
	}
	var lines []string
	for line := range strings.SplitSeq(string(b), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}

// The statements, loaded once.
var (
	meSQL             = loadSQL("me")
	companySQL        = loadSQL("company")
	adminCompanySQL   = loadSQL("admin_company")
	adminCompaniesSQL = loadSQL("admin_companies")
	membersSQL        = loadSQL("members")
	chatbotSQL        = loadSQL("chatbot")
	chatbotsSQL       = loadSQL("chatbots")
	apiKeysSQL        = loadSQL("api_keys")
	chatbotExistsSQL  = loadSQL("chatbot_exists")
	userExistsSQL     = loadSQL("user_exists")
	adminUserSQL      = loadSQL("admin_user")
	adminUsersSQL     = loadSQL("admin_users")
	loginAttemptsSQL  = loadSQL("login_attempts")
	eventsSQL         = loadSQL("events")
	usageSegmentSQL   = loadSQL("usage_segment")
	usageReportSQL    = loadSQL("usage")
)
