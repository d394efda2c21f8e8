package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// AdminConfig serves PATCH /v1/admin/config.
type AdminConfig struct {
	Commands *app.Commands
}

type configPatch struct {
	Lockout *struct {
		MaxFailures       *int `json:"max_failures,omitempty" minimum:"1" maximum:"100"`
		WindowSeconds     *int `json:"window_seconds,omitempty" minimum:"60" maximum:"86400"`
		LockSeconds       *int `json:"lock_seconds,omitempty" minimum:"60" maximum:"2592000"`
		MaxTemporaryLocks *int `json:"max_temporary_locks,omitempty" minimum:"0" maximum:"100"`
	} `json:"lockout,omitempty"`
	Tokens *struct {
		AccessTTLSeconds          *int `json:"access_ttl_seconds,omitempty" minimum:"60" maximum:"86400"`
		RefreshIdleTTLSeconds     *int `json:"refresh_idle_ttl_seconds,omitempty" minimum:"300" maximum:"31536000"`
		RefreshAbsoluteTTLSeconds *int `json:"refresh_absolute_ttl_seconds,omitempty" minimum:"300" maximum:"31536000"`
		RefreshReuseGraceSeconds  *int `json:"refresh_reuse_grace_seconds,omitempty" minimum:"0" maximum:"300"`
	} `json:"tokens,omitempty"`
	Password *struct {
		MinLength *int `json:"min_length,omitempty" minimum:"8" maximum:"128"`
	} `json:"password,omitempty"`
	PasswordReset *struct {
		TTLSeconds *int `json:"ttl_seconds,omitempty" minimum:"300" maximum:"86400" doc:"how long a reset link works"`
	} `json:"password_reset,omitempty"`
	LoginRate *struct {
		PerIPPerMinute *int `json:"per_ip_per_minute,omitempty" minimum:"1" maximum:"100000"`
	} `json:"login_rate,omitempty"`
	SignupEnabled      *bool     `json:"signup_enabled,omitempty"`
	CORSAllowedOrigins *[]string `json:"cors_allowed_origins,omitempty" maxItems:"100" doc:"exact origins such as https://app.example.com"`
	DefaultLimits      *struct {
		RequestsPerMinute *perMinute       `json:"requests_per_minute,omitempty" nullable:"true"`
		DailyRequests     *dailyRequests   `json:"daily_requests,omitempty" nullable:"true"`
		MonthlyRequests   *monthlyRequests `json:"monthly_requests,omitempty" nullable:"true"`
	} `json:"default_limits,omitempty"`
}

type patchConfigInput struct {
	Body configPatch
}

type configOutput struct {
	EventPosition
	Body events.PlatformConfig
}

// Register adds the route.
func (a *AdminConfig) Register(api huma.API) {
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "update-config", Method: http.MethodPatch, Path: "/v1/admin/config", Tags: []string{"Admin"},
		Summary: "Change the platform configuration; every process applies it within a second",
	}, auth.PermConfigWrite), a.patch)
}

func (a *AdminConfig) patch(ctx context.Context, in *patchConfigInput) (*configOutput, error) {
	if err := validOrigins(in.Body.CORSAllowedOrigins); err != nil {
		return nil, err
	}
	at, err := a.Commands.Configure.Handle(ctx, app.ConfigureCmd{Patch: func(c *events.PlatformConfig) []string { return applyPatch(in.Body, c) }})
	if err != nil {
		return nil, err
	}
	cfg := at.Config
	if cfg.CORSAllowedOrigins == nil {
		cfg.CORSAllowedOrigins = []string{} // an answer's array is never null
	}
	return &configOutput{EventPosition: EventPosition{EventPosition: at.Position}, Body: cfg}, nil
}

// applyPatch sets what the patch names and returns the keys it touched.
func applyPatch(p configPatch, c *events.PlatformConfig) []string {
	var changed []string
	set := func(key string, dst *int, v *int) {
		if v != nil {
			*dst = *v
			changed = append(changed, key)
		}
	}
	if l := p.Lockout; l != nil {
		set("lockout.max_failures", &c.Lockout.MaxFailures, l.MaxFailures)
		set("lockout.window_seconds", &c.Lockout.WindowSeconds, l.WindowSeconds)
		set("lockout.lock_seconds", &c.Lockout.LockSeconds, l.LockSeconds)
		set("lockout.max_temporary_locks", &c.Lockout.MaxTemporaryLocks, l.MaxTemporaryLocks)
	}
	if t := p.Tokens; t != nil {
		set("tokens.access_ttl_seconds", &c.Tokens.AccessTTLSeconds, t.AccessTTLSeconds)
		set("tokens.refresh_idle_ttl_seconds", &c.Tokens.RefreshIdleTTLSeconds, t.RefreshIdleTTLSeconds)
		set("tokens.refresh_absolute_ttl_seconds", &c.Tokens.RefreshAbsoluteTTLSeconds, t.RefreshAbsoluteTTLSeconds)
		set("tokens.refresh_reuse_grace_seconds", &c.Tokens.RefreshReuseGraceSeconds, t.RefreshReuseGraceSeconds)
	}
	if p.Password != nil {
		set("password.min_length", &c.Password.MinLength, p.Password.MinLength)
	}
	if p.PasswordReset != nil {
		set("password_reset.ttl_seconds", &c.PasswordReset.TTLSeconds, p.PasswordReset.TTLSeconds)
	}
	if p.LoginRate != nil {
		set("login_rate.per_ip_per_minute", &c.LoginRate.PerIPPerMinute, p.LoginRate.PerIPPerMinute)
	}
	if p.SignupEnabled != nil {
		c.SignupEnabled = *p.SignupEnabled
		changed = append(changed, "signup_enabled")
	}
	if p.CORSAllowedOrigins != nil {
		c.CORSAllowedOrigins = append([]string{}, *p.CORSAllowedOrigins...)
		changed = append(changed, "cors_allowed_origins")
	}
	if d := p.DefaultLimits; d != nil {
		c.DefaultLimits = limitsOf(d.RequestsPerMinute, d.DailyRequests, d.MonthlyRequests)
		changed = append(changed, "default_limits")
	}
	return changed
}
