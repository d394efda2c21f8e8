package events

// ApiKeyLimitsSet is a key's own limits changing. A key without them
// passes its chatbot's limits alone; with them it passes both.
const ApiKeyLimitsSet = "ApiKeyLimitsSet"

// ApiKeyLimitsSetData: the key's own limits; a nil one is the chatbot's.
// Issued with limits, a key's ApiKeyIssued is followed by this event in
// the same append.
type ApiKeyLimitsSetData struct {
	KeyID  string `json:"key_id"`
	Limits Limits `json:"limits"`
}

func init() {
	Register[ApiKeyLimitsSetData](Default, ApiKeyLimitsSet, 1, "an API key's own limits, passed beside its chatbot's and its company's (null: the chatbot's alone)")
	Default.Owns(AggregateChatbot, ApiKeyLimitsSet)
}
