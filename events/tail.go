package events

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// TailOptions say which events a tail reads and from where. The zero value
// reads every event from the first one up to the stream's end.
type TailOptions struct {
	Subject      string        // a raw subject filter inside events.>; excludes Tenant and Types
	Tenant       string        // one tenant's events: events.<tenant>.>
	Types        []string      // only these event types, in every tenant (or in Tenant)
	Since        time.Duration // start this long before now; excludes FromPosition
	FromPosition uint64        // start at this stream position
	Follow       bool          // keep reading new events after the stream's end
}

// ParseTypes splits a comma-separated list of event types, dropping blanks
// and repeats (a consumer refuses overlapping filters).
func ParseTypes(list string) []string {
	var out []string
	for _, t := range strings.Split(list, ",") {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// Validate explains the first option that cannot be used, naming its flag.
// Types must be registered in reg: a misspelt type would otherwise match
// nothing and look like a quiet stream.
func (o TailOptions) Validate(reg *Registry) error {
	if o.Subject != "" && (o.Tenant != "" || len(o.Types) > 0) {
		return errors.New("--subject cannot be combined with --tenant or --type; put the tenant and type in the subject")
	}
	if o.Subject != "" {
		if err := checkEventFilter(o.Subject); err != nil {
			return fmt.Errorf("--subject %q: %v", o.Subject, err)
		}
	}
	if o.Tenant != "" && !ValidToken(o.Tenant) {
		return fmt.Errorf("--tenant %q cannot be part of a subject (no dots, wildcards or spaces)", o.Tenant)
	}
	for _, t := range o.Types {
		if !reg.Known(t) {
			return fmt.Errorf("--type %q is not an event type; the types are %s", t, strings.Join(reg.Names(), ", "))
		}
	}
	if o.Since < 0 {
		return fmt.Errorf("--since %v is negative; give how far back to start, such as 90m or 24h", o.Since)
	}
	if o.Since > 0 && o.FromPosition > 0 {
		return errors.New("--since and --from-position exclude each other: give one starting point")
	}
	return nil
}

// checkEventFilter accepts a NATS subject filter that stays inside events.>:
// the stream also holds timers, which are not envelopes.
func checkEventFilter(s string) error {
	tokens := strings.Split(s, ".")
	if tokens[0] != SubjectPrefix {
		return errors.New("an event subject starts with " + SubjectPrefix + ".")
	}
	if len(tokens) < 2 {
		return errors.New("give at least " + AllFilter)
	}
	for i, tok := range tokens {
		switch {
		case tok == "":
			return errors.New("a subject has no empty token")
		case strings.ContainsAny(tok, " \t\r\n"):
			return errors.New("a subject has no spaces")
		case tok == ">" && i != len(tokens)-1:
			return errors.New("> may only end a subject")
		case tok != "*" && tok != ">" && strings.ContainsAny(tok, "*>"):
			return errors.New("a wildcard stands for a whole token")
		}
	}
	return nil
}

// FilterSubjects are the subjects the tail's consumer reads: the raw
// subject, one per type (scoped to the tenant, if any), the tenant's
// events, or every event. Several filters need nats-server 2.10 or later.
func (o TailOptions) FilterSubjects() []string {
	switch {
	case o.Subject != "":
		return []string{o.Subject}
	case len(o.Types) > 0:
		tenant := "*"
		if o.Tenant != "" {
			tenant = o.Tenant
		}
		out := make([]string, len(o.Types))
		for i, t := range o.Types {
			out[i] = TenantTypeFilter(tenant, t)
		}
		return out
	case o.Tenant != "":
		return []string{SubjectPrefix + "." + o.Tenant + ".>"}
	default:
		return []string{AllFilter}
	}
}

// tailInactivity is how long the server keeps a tail's consumer after its
// reader vanished without deleting it (killed, or its connection lost).
const tailInactivity = time.Minute

// ConsumerConfig is the ordered consumer of the tail, starting where the
// options say, relative to now.
func (o TailOptions) ConsumerConfig(now time.Time) jetstream.OrderedConsumerConfig {
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects:    o.FilterSubjects(),
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		InactiveThreshold: tailInactivity,
		NamePrefix:        "tail_" + fmt.Sprint(now.UnixNano()),
	}
	switch {
	case o.Since > 0:
		start := now.Add(-o.Since)
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	case o.FromPosition > 0:
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, o.FromPosition
	}
	return cfg
}
