package readmodel

// The read models' tables. The suffix is the read model's version: a
// change of shape is a new table, built by a rebuild beside the old one.
const (
	UsersTable         = "rm_users_v1" // users, for /v1/me and the admin API
	LoginAttemptsTable = "rm_login_attempts_v1"
	SessionsTable      = "rm_sessions_v1"
	CompaniesTable     = "rm_companies_v1"
	ChatbotsTable      = "rm_chatbots_v1"
	APIKeysTable       = "rm_api_keys_v1"
	EventLogTable      = "rm_event_log_v1" // the audit log
	UsageHourlyTable   = "rm_usage_hourly_v1"
	UsageDailyTable    = "rm_usage_daily_v1"
	UsageMonthlyTable  = "rm_usage_monthly_v1"
)

// Name is a projection's name: its checkpoint's row, its durable
// consumer, and what reads wait on with X-Min-Position. The constants
// below name the product's; a partition's name is made from its
// projection's (see Follower.ForTenant), so Name is a string.
type Name = string

// The product's projections, by name.
const (
	Users         Name = "users"
	LoginAttempts Name = "login_attempts"
	Sessions      Name = "sessions"
	Companies     Name = "companies"
	Chatbots      Name = "chatbots"
	APIKeys       Name = "api_keys"
	EventLog      Name = "event_log"
	Usage         Name = "usage"
)
