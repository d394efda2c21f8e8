package mail

// The data of each template. Times are formatted by the caller (UTC).

// Product is how the mails name the platform.
const Product = "Chatbot Platform"

// LockedData fills account_locked.
type LockedData struct {
	Name, Product string
	Failures      int
	Permanent     bool
	Until         string
	ResetURL      string // the page that asks for a reset link
	ResetMinutes  int
}

// PasswordChangedData fills password_changed.
type PasswordChangedData struct {
	Name, Product             string
	Reset, ByAdmin, SignedOut bool
	At                        string
	ResetURL                  string
}

// PasswordResetData fills password_reset.
type PasswordResetData struct {
	Name, Product string
	Link          string // PASSWORD_RESET_URL?token=…
	ResetMinutes  int
}

// APIKeyData fills api_key_issued: never the key, only what recognises it.
type APIKeyData struct {
	Name, Product          string
	Chatbot, Company       string
	KeyName, Prefix, Last4 string
	ExpiresAt, ConsoleURL  string
}

// QuotaData fills quota_threshold.
type QuotaData struct {
	Name, Product          string
	Chatbot, Company       string
	Used, Limit, Threshold int
	Period, PeriodStart    string
	ConsoleURL             string
}
