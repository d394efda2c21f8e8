package cache

import (
	"strconv"
	"strings"
)

// Spec says where an entry lives: the tenant whose rows it holds, the
// read model version, the projections its data comes from (each with a
// generation in the key), and what distinguishes it within them.
type Spec struct {
	Tenant      string
	Version     string   // the read model's version, "v1": a new version is a new key space
	Projections []string // the first names the key; each one's generation is in it
	Parts       []string // the entry within them ("chatbot", id), never empty
}

// epochKey is bumped when invalidations may have been lost (Redis was
// unreachable for a projector, a projector took over from another, or a
// rebuild swapped tables in): every entry of every tenant is retired.
const epochKey = "cache:epoch"

// genKey is the generation of one tenant's rows of one projection.
func genKey(tenant, projection string) string {
	return "t:" + tenant + ":" + projection + ":gen"
}

// key is the entry's key: t:<tenant>:<projection>:<version>:<epoch>.<gens>:<parts>.
func (s Spec) key(epoch string, gens []string) string {
	var b strings.Builder
	b.Grow(96)
	b.WriteString("t:")
	b.WriteString(s.Tenant)
	b.WriteByte(':')
	b.WriteString(s.Projections[0])
	b.WriteByte(':')
	b.WriteString(s.Version)
	b.WriteByte(':')
	b.WriteString(epoch)
	for _, g := range gens {
		b.WriteByte('.')
		b.WriteString(g)
	}
	for _, p := range s.Parts {
		b.WriteByte(':')
		b.WriteString(p)
	}
	return b.String()
}

// genKeys are the epoch's and the spec's generations' keys, in key order.
func (s Spec) genKeys() []string {
	keys := make([]string, 0, len(s.Projections)+1)
	keys = append(keys, epochKey)
	for _, p := range s.Projections {
		keys = append(keys, genKey(s.Tenant, p))
	}
	return keys
}

// valid refuses a spec that could not name its entry unambiguously: no
// tenant, no projection, or a part holding the separator.
func (s Spec) valid() bool {
	if s.Tenant == "" || strings.Contains(s.Tenant, ":") || len(s.Projections) == 0 || len(s.Parts) == 0 {
		return false
	}
	for _, p := range s.Parts {
		if strings.Contains(p, ":") {
			return false
		}
	}
	return true
}

// Itoa is a key part for a number.
func Itoa(n int) string { return strconv.Itoa(n) }
