package deadletter

import (
	"fmt"
	"strings"
	"time"
)

// FormatLine renders a letter as one readable line: id, consumer,
// position, type, tries, state and error.
func FormatLine(l Letter) string {
	state := "open"
	if !l.Open() {
		state = *l.Resolution + " " + l.ResolvedAt.UTC().Format(time.RFC3339)
		if l.ResolvedBy != nil {
			state += " by " + strings.TrimSuffix(l.ResolvedBy.Type+":"+l.ResolvedBy.ID, ":")
		}
	}
	return fmt.Sprintf("%s  %-16s %8d  %-28s tries=%d  parked %s  %s  %s", l.ID, l.Consumer, l.Position, l.EventType,
		l.Attempts, l.ParkedAt.UTC().Format(time.RFC3339), state, strings.Join(strings.Fields(l.Error), " "))
}
