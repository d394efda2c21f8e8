package events

import "time"

// AggregateUsage records the usage of one API key. Usage events are not
// decisions: many processes append them without a version check, each
// under a dedup id, so an aggregate's versions are all 0.
const AggregateUsage = "usage"

// Usage events.
const (
	UsageRecorded         = "UsageRecorded"
	QuotaThresholdReached = "QuotaThresholdReached"
)

// UsageRecordedData: accepted bot API calls of one key within one hour, as
// one process counted them over a short interval.
type UsageRecordedData struct {
	ChatbotID  string    `json:"chatbot_id"`
	APIKeyID   string    `json:"api_key_id"`
	Hour       time.Time `json:"hour"` // start of the hour, UTC
	Requests   int64     `json:"requests"`
	Units      int64     `json:"units"`
	LastUsedAt time.Time `json:"last_used_at"`
}

// QuotaThresholdReachedData: a chatbot's usage reached 80 % or 100 % of a
// daily or monthly quota; once per period and threshold.
type QuotaThresholdReachedData struct {
	ChatbotID   string    `json:"chatbot_id"`
	Period      string    `json:"period"` // daily, monthly
	PeriodStart time.Time `json:"period_start"`
	Threshold   int       `json:"threshold"` // percent: 80 or 100
	Limit       int       `json:"limit"`
	Used        int       `json:"used"`
}

func init() {
	Register[UsageRecordedData](Default, UsageRecorded, 1, "accepted bot API calls of one key in one hour, counted over a short interval")
	Register[QuotaThresholdReachedData](Default, QuotaThresholdReached, 1, "a chatbot's usage reached 80 % or 100 % of a daily or monthly quota (once per period)")
	Default.Owns(AggregateUsage, UsageRecorded, QuotaThresholdReached)
}
