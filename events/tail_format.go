package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Tail output formats.
const (
	TailJSON = "json" // one stored envelope a line, with its position
	TailText = "text" // one readable line an event
)

// TailFormats lists the formats FormatTail knows.
var TailFormats = []string{TailJSON, TailText}

// FormatTail renders the event stored at position (its body raw) as one
// line without the newline. The JSON form is the envelope exactly as stored,
// fields it does not know and sealed personal fields included, with
// "position" added first: a tail shows what the stream holds and opens
// nothing.
func FormatTail(format string, position uint64, raw []byte) ([]byte, error) {
	env, err := Unmarshal(raw, position)
	if err != nil {
		return nil, err
	}
	switch format {
	case TailJSON:
		return jsonLine(position, raw)
	case TailText:
		return []byte(textLine(env)), nil
	default:
		return nil, fmt.Errorf("unknown tail format %q", format)
	}
}

// jsonLine prefixes the stored object with its position, on one line.
func jsonLine(position uint64, raw []byte) ([]byte, error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, fmt.Errorf("%w at position %d: %v", ErrMalformed, position, err)
	}
	body := compact.Bytes()
	if len(body) < 2 || body[0] != '{' {
		return nil, fmt.Errorf("%w at position %d: not a JSON object", ErrMalformed, position)
	}
	line := []byte(`{"position":` + strconv.FormatUint(position, 10))
	if len(body) > 2 { // not "{}"
		line = append(line, ',')
	}
	return append(line, body[1:]...), nil
}

// textLine is position, time, type, tenant, aggregate (with the aggregate's
// version after the @) and actor.
func textLine(e Envelope) string {
	actor := e.Actor.Type
	if e.Actor.ID != "" {
		actor += ":" + e.Actor.ID
	}
	if actor == "" {
		actor = "-"
	}
	return fmt.Sprintf("%d %s %s tenant=%s %s/%s@%d actor=%s", e.Position,
		e.OccurredAt.UTC().Format(time.RFC3339Nano), e.Type, e.TenantID, e.AggregateType, e.AggregateID, e.AggregateVersion, actor)
}
