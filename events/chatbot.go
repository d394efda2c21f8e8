package events

import "time"

// AggregateChatbot is a company's chatbot, with its API keys: the limit of
// live keys per chatbot is one of its decisions.
const AggregateChatbot = "chatbot"

// Chatbot and API key events.
const (
	ChatbotCreated         = "ChatbotCreated"
	ChatbotUpdated         = "ChatbotUpdated"
	ChatbotPaused          = "ChatbotPaused"
	ChatbotResumed         = "ChatbotResumed"
	ChatbotDeleted         = "ChatbotDeleted"
	ChatbotLimitsSet       = "ChatbotLimitsSet"
	ApiKeyIssued           = "ApiKeyIssued"
	ApiKeyRevoked          = "ApiKeyRevoked"
	CompanyRenamed         = "CompanyRenamed"
	CompanyManagersChanged = "CompanyManagersChanged"
)

// ChatbotSettings is how a chatbot answers: a greeting, the reply when no
// keyword matches, and keyword replies tried in order.
type ChatbotSettings struct {
	Greeting      string         `json:"greeting"`
	FallbackReply string         `json:"fallback_reply"`
	Replies       []KeywordReply `json:"replies"`
}

// KeywordReply answers Reply when a message contains one of Keywords
// (case-insensitive).
type KeywordReply struct {
	Keywords []string `json:"keywords"`
	Reply    string   `json:"reply"`
}

// ChatbotCreatedData: a company made a chatbot.
type ChatbotCreatedData struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Settings    ChatbotSettings `json:"settings"`
}

// ChatbotUpdatedData: the chatbot's name, description or settings changed;
// a nil field did not.
type ChatbotUpdatedData struct {
	Name        *string          `json:"name,omitempty"`
	Description *string          `json:"description,omitempty"`
	Settings    *ChatbotSettings `json:"settings,omitempty"`
}

// ChatbotStatusData is the (empty) data of ChatbotPaused, ChatbotResumed and
// ChatbotDeleted.
type ChatbotStatusData struct{}

// ChatbotLimitsSetData: the chatbot's own limits; a nil one takes the
// company's default (its plan, else the platform configuration).
type ChatbotLimitsSetData struct {
	Limits Limits `json:"limits"`
}

// ApiKeyIssuedData: a key was made for the chatbot. Only the SHA-256 of the
// key is kept (a 256-bit random secret: a fast hash is right), with its
// prefix and last four characters to recognise it.
type ApiKeyIssuedData struct {
	KeyID     string     `json:"key_id"`
	Name      string     `json:"name"`
	KeyHash   string     `json:"key_hash" audit:"secret"`
	Prefix    string     `json:"prefix"`
	Last4     string     `json:"last4"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// ApiKeyRevokedData: the key stops working at once.
type ApiKeyRevokedData struct {
	KeyID string `json:"key_id"`
}

// CompanyRenamedData: the company's profile changed.
type CompanyRenamedData struct {
	Name string `json:"name"`
}

// CompanyManagersChangedData: who may manage the company (role company).
// The company keeps the set so that it never loses its last manager.
type CompanyManagersChangedData struct {
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
}

func init() {
	Register[ChatbotCreatedData](Default, ChatbotCreated, 1, "a company made a chatbot")
	Register[ChatbotUpdatedData](Default, ChatbotUpdated, 1, "the chatbot's name, description or settings changed")
	Register[ChatbotStatusData](Default, ChatbotPaused, 1, "the chatbot stopped answering (403 chatbot_paused)")
	Register[ChatbotStatusData](Default, ChatbotResumed, 1, "a paused chatbot answers again")
	Register[ChatbotStatusData](Default, ChatbotDeleted, 1, "the chatbot was deleted; its keys stop working")
	Register[ChatbotLimitsSetData](Default, ChatbotLimitsSet, 1, "the chatbot's own limits (null: the company's default)")
	Register[ApiKeyIssuedData](Default, ApiKeyIssued, 1, "an API key was made for the chatbot (its hash, never the key)")
	Register[ApiKeyRevokedData](Default, ApiKeyRevoked, 1, "an API key was revoked and stops working at once")
	Register[CompanyRenamedData](Default, CompanyRenamed, 1, "the company's name changed")
	Register[CompanyManagersChangedData](Default, CompanyManagersChanged, 1, "members gained or lost the company role; the company keeps at least one")
	Default.Owns(AggregateChatbot, ChatbotCreated, ChatbotUpdated, ChatbotPaused, ChatbotResumed, ChatbotDeleted, ChatbotLimitsSet, ApiKeyIssued, ApiKeyRevoked)
	Default.Owns(AggregateCompany, CompanyRenamed, CompanyManagersChanged)
}
