package events

// Platform configuration events. The configuration is one aggregate,
// config/platform in tenant platform.
const (
	AggregateConfig      = "config"
	ConfigID             = "platform"
	ConfigurationChanged = "ConfigurationChanged"
)

// ConfigurationChangedData carries the whole configuration after the
// change, and the keys the change touched.
type ConfigurationChangedData struct {
	Changed []string       `json:"changed"`
	Config  PlatformConfig `json:"config"`
}

// PlatformConfig is the platform configuration, as GET /v1/admin/config
// answers it.
type PlatformConfig struct {
	Lockout            LockoutConfig  `json:"lockout"`
	Tokens             TokensConfig   `json:"tokens" audit:"shown"`                   // lifetimes, not tokens
	Password           PasswordConfig `json:"password" audit:"shown"`                 // the policy, not a password
	PasswordReset      ResetConfig    `json:"password_reset,omitempty" audit:"shown"` // a lifetime, not a token; absent before it existed
	LoginRate          LoginRate      `json:"login_rate"`
	SignupEnabled      bool           `json:"signup_enabled"`
	CORSAllowedOrigins []string       `json:"cors_allowed_origins"`
	DefaultLimits      Limits         `json:"default_limits"`
}

// LockoutConfig is the lockout policy.
type LockoutConfig struct {
	MaxFailures       int `json:"max_failures"`
	WindowSeconds     int `json:"window_seconds"`
	LockSeconds       int `json:"lock_seconds"`
	MaxTemporaryLocks int `json:"max_temporary_locks"`
}

// TokensConfig holds the token lifetimes.
type TokensConfig struct {
	AccessTTLSeconds          int `json:"access_ttl_seconds"`
	RefreshIdleTTLSeconds     int `json:"refresh_idle_ttl_seconds"`
	RefreshAbsoluteTTLSeconds int `json:"refresh_absolute_ttl_seconds"`
	RefreshReuseGraceSeconds  int `json:"refresh_reuse_grace_seconds"`
}

// PasswordConfig is the password policy.
type PasswordConfig struct {
	MinLength int `json:"min_length"`
}

// ResetConfig is the lifetime of password reset links; 0 in a configuration
// recorded before it existed, read as DefaultResetTTLSeconds.
type ResetConfig struct {
	TTLSeconds int `json:"ttl_seconds"`
}

// DefaultResetTTLSeconds is how long a reset link works by default: 30 min.
const DefaultResetTTLSeconds = 1800

// LoginRate is the per-address throttle of login and signup.
type LoginRate struct {
	PerIPPerMinute int `json:"per_ip_per_minute"`
}

// Limits are usage limits; nil means no limit.
type Limits struct {
	RequestsPerMinute *int `json:"requests_per_minute"`
	DailyRequests     *int `json:"daily_requests"`
	MonthlyRequests   *int `json:"monthly_requests"`
}

// Or fills the limits l leaves nil from fallback: a chatbot's own, then its
// company plan's, then the platform's defaults.
func (l Limits) Or(fallback Limits) Limits {
	pick := func(a, b *int) *int {
		if a != nil {
			return a
		}
		return b
	}
	return Limits{
		RequestsPerMinute: pick(l.RequestsPerMinute, fallback.RequestsPerMinute),
		DailyRequests:     pick(l.DailyRequests, fallback.DailyRequests),
		MonthlyRequests:   pick(l.MonthlyRequests, fallback.MonthlyRequests),
	}
}

func init() {
	Register[ConfigurationChangedData](Default, ConfigurationChanged, 1, "the platform configuration changed; every process applies it within a second")
	Default.Owns(AggregateConfig, ConfigurationChanged)
}
