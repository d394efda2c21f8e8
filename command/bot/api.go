package bot

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/command/usage"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/policy"
	"github.com/chatbotsaas/chatbot/shared/ratelimit"
)

// API serves POST /v1/bot/messages.
type API struct {
	Directory *Directory
	Limiter   *ratelimit.Limiter
	Usage     *usage.Recorder
	Store     *eventstore.Store // records quota thresholds
	Policy    *policy.Holder    // the platform's default limits
	Now       func() time.Time
	Logger    *slog.Logger
	Metrics   *Metrics // refusals; nil counts nothing
}

// messageInput is the call; its Authorization header (the API key) is
// read by authenticate, and documented as the apiKey security scheme.
type messageInput struct {
	Body struct {
		Message        string `json:"message" minLength:"1" maxLength:"4000"`
		ConversationID string `json:"conversation_id,omitempty" maxLength:"100" pattern:"^[A-Za-z0-9_-]+$" doc:"keeps a conversation together; a new one is given when absent"`
	}
}

type messageOutput struct {
	Body struct {
		Reply          string `json:"reply"`
		ConversationID string `json:"conversation_id"`
		Usage          struct {
			RequestsToday int64 `json:"requests_today"`
			DailyLimit    *int  `json:"daily_limit" doc:"the daily limit nearest to being used up (the key's, the chatbot's or the company's), requests_today its count; null: no daily limit"`
		} `json:"usage"`
	}
}

// Register adds the route. It is public to the token guard: it
// authenticates the API key itself.
func (a *API) Register(api huma.API) {
	huma.Register(api, auth.Public(huma.Operation{
		OperationID: "send-bot-message", Method: http.MethodPost, Path: "/v1/bot/messages", Tags: []string{"Bot"},
		Summary: "Send a message to a chatbot and get its reply",
		Description: "Authenticated with `Authorization: Bearer cbk_...`, a key of the chatbot. The reply is the first configured " +
			"reply one of whose keywords occurs in the message (case-insensitive), else the fallback reply. Every accepted call is " +
			"one request of usage (units: one per started 1,000 characters of the message). 401 for a missing, unknown, revoked or " +
			"expired key (or one of a deleted chatbot or a suspended company), 403 chatbot_paused, 429 rate_limited (per minute) " +
			"or quota_exceeded (daily or monthly), both with Retry-After and a detail naming the limit hit; 503 unavailable (with " +
			"Retry-After) while this server cannot confirm it knows every recent change to keys, chatbots and companies. A call " +
			"passes its key's limits, its chatbot's (never above its company plan's) and its company's, counted across all the " +
			"company's chatbots and keys.",
		Errors:      []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests, http.StatusServiceUnavailable},
		Middlewares: huma.Middlewares{a.authenticate(api)},
		Security:    []map[string][]string{{httpx.SchemeAPIKey: {}}},
	}), a.message)
}

var errBadKey = apperr.New(apperr.KindUnauthenticated, "unauthenticated", "a valid API key is required")

// caller is what a call authenticated with: the key, its chatbot and the
// chatbot's company, as the stream holds them now.
type caller = Found

type callerKey struct{}

// KeyID is the id of the API key a call authenticated with.
func KeyID(ctx context.Context) (string, bool) {
	c, ok := ctx.Value(callerKey{}).(caller)
	return c.Key.ID, ok
}

// authenticate checks the API key before anything else of the route runs,
// an idempotent replay included: a revoked key, a deleted chatbot, a
// suspended company or a paused chatbot never get a stored answer.
func (a *API) authenticate(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		c, err := a.caller(ctx.Context(), ctx.Header("Authorization"))
		if err != nil {
			a.Metrics.refusedFor(err)
			_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "", err)
			return
		}
		next(huma.WithValue(ctx, callerKey{}, c))
	}
}

func (a *API) caller(ctx context.Context, authorization string) (caller, error) {
	token, ok := chatbot.ParseKey(authorization)
	if !ok {
		return caller{}, errBadKey
	}
	// Any change to the key, its chatbot or its company, made through any
	// process, counts from this call on.
	found, ok, err := a.Directory.Lookup(ctx, chatbot.HashKey(token))
	if err != nil {
		return caller{}, err
	}
	if !ok {
		return caller{}, errBadKey
	}
	if err := refusal(found, a.Now().UTC()); err != nil {
		return caller{}, err
	}
	return found, nil
}

func (a *API) message(ctx context.Context, in *messageInput) (*messageOutput, error) {
	c, ok := ctx.Value(callerKey{}).(caller)
	if !ok {
		return nil, errBadKey
	}
	key, bot := c.Key, c.Chatbot
	// The key is this route's authentication, and the actor of what the call causes.
	ctx = events.WithActor(ctx, events.APIKeyActor(key.ID))
	now := a.Now().UTC()
	scopes := callScopes(c, a.Policy.Get().DefaultLimits)
	decision, err := a.Limiter.Stack(ctx, bot.CompanyID, scopes...)
	if err != nil {
		return nil, err
	}
	if !decision.Allowed {
		a.Metrics.limited(decision)
		return nil, refused(decision)
	}
	a.Usage.Record(bot.CompanyID, bot.ID, key.ID, units(in.Body.Message), now)
	for _, c := range decision.Crossed {
		if c.Scope == ScopeChatbot { // the chatbot's quotas are those mailed
			a.threshold(ctx, bot.CompanyID, bot.ID, c)
		}
	}

	out := &messageOutput{}
	out.Body.Reply = chatbot.Reply(bot.Settings, in.Body.Message)
	out.Body.ConversationID = in.Body.ConversationID
	if out.Body.ConversationID == "" {
		out.Body.ConversationID = uuid.NewString()
	}
	out.Body.Usage.RequestsToday, out.Body.Usage.DailyLimit = dailyUsage(scopes, decision)
	return out, nil
}

// refusal is why a call with this key is refused now, if it is: a revoked
// or expired key, a deleted chatbot or a suspended company do not
// authenticate (401); a paused chatbot does not answer (403).
func refusal(f Found, now time.Time) error {
	switch {
	case !f.Key.Live(now), !f.Chatbot.Exists(), f.Company.Status == company.StatusSuspended:
		return errBadKey
	case f.Chatbot.Status == chatbot.StatusPaused:
		return apperr.New(apperr.KindForbidden, "chatbot_paused", "the chatbot is paused")
	}
	return nil
}

// threshold records QuotaThresholdReached: the limiter reports each crossing
// to exactly one call, and the dedup id keeps a retried append single.
func (a *API) threshold(ctx context.Context, tenant, chatbotID string, c ratelimit.Crossing) {
	ref := eventstore.Ref{Tenant: tenant, Type: events.AggregateUsage, ID: chatbotID}
	id := fmt.Sprintf("quota-%s-%s-%s-%d", chatbotID, c.Period, c.PeriodStart.Format("20060102"), c.Threshold)
	ev := events.Event{Type: events.QuotaThresholdReached, Data: events.QuotaThresholdReachedData{
		ChatbotID: chatbotID, Period: c.Period, PeriodStart: c.PeriodStart, Threshold: c.Threshold, Limit: c.Limit, Used: c.Used}}
	if _, err := a.Store.Record(context.WithoutCancel(ctx), ref, id, ev); err != nil {
		a.Logger.WarnContext(ctx, "quota threshold not recorded", "chatbot", chatbotID, "period", c.Period, "threshold", c.Threshold, "err", err)
	}
}

// units bills a message: one per started 1,000 characters.
func units(message string) int64 {
	return int64(max(1, (utf8.RuneCountInString(message)+999)/1000))
}
