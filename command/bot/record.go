package bot

import (
	"encoding/json"
	"runtime"
	"sync"
	"time"
	"weak"

	"github.com/google/uuid"

	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/events"
)

// botRecord is what calls need of one chatbot, compactly: its status,
// limits and settings as the domain folds them (chatbot.Apply), without
// what no call reads (its name, description, creation time and keys), and
// its live keys. A record is never changed once made: an event makes a new
// one, so calls share it unlocked. At 1,000,000 keys over 100,000 chatbots
// the records are most of the directory's memory: 10 keys take 320 bytes,
// the rest of a record under 100.
type botRecord struct {
	settings *events.ChatbotSettings // interned: most chatbots share a few
	status   string                  // one copy of each status (statuses)
	limits   events.Limits
	keys     []keyRecord
	extras   []*keyExtra // nil when no key has any; else one per key, nil for a key without
}

// keyRecord is one live key: the first 128 bits of its hash (a guess at
// them costs 2^128 tries over every key) and its id. A revoked key, or any
// key of a deleted chatbot, is dropped: it never works again.
type keyRecord struct {
	prefix, rest uint64
	id           uuid.UUID
}

// keyExtra is what few keys have: an id that is not a UUID, an expiry,
// limits of their own.
type keyExtra struct {
	id        string
	expiresAt *time.Time
	limits    events.Limits
}

// statuses are the chatbot statuses, one copy each.
var statuses = map[string]string{chatbot.StatusActive: chatbot.StatusActive, chatbot.StatusPaused: chatbot.StatusPaused,
	chatbot.StatusDeleted: chatbot.StatusDeleted}

func internStatus(s string) string {
	if v, ok := statuses[s]; ok {
		return v
	}
	return s
}

// hashBits reads the first 128 bits of a hex SHA-256.
func hashBits(hash string) (prefix, rest uint64, ok bool) {
	if len(hash) != 64 {
		return 0, 0, false
	}
	prefix, ok = hexUint64(hash[:16])
	rest, ok2 := hexUint64(hash[16:32])
	return prefix, rest, ok && ok2
}

func hexUint64(s string) (uint64, bool) {
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			return 0, false
		}
		n = n<<4 | uint64(c)
	}
	return n, true
}

// extra is key i's extra, nil for none.
func (r *botRecord) extra(i int) *keyExtra {
	if r.extras == nil {
		return nil
	}
	return r.extras[i]
}

// key is key i as the domain's key, for its liveness and limits.
func (r *botRecord) key(i int) chatbot.Key {
	out := chatbot.Key{ID: r.keys[i].id.String()}
	if e := r.extra(i); e != nil {
		if e.id != "" {
			out.ID = e.id
		}
		out.ExpiresAt, out.Limits = e.expiresAt, e.limits
	}
	return out
}

// chatbot is the record as the domain's chatbot o, without its keys.
func (r *botRecord) chatbot(o owner) *chatbot.Chatbot {
	return &chatbot.Chatbot{ID: o.id, CompanyID: o.tenant, Status: r.status, Limits: r.limits, Settings: *r.settings}
}

// identity is the compact form of a key's id and extras.
func identity(key chatbot.Key) (uuid.UUID, *keyExtra) {
	var extra keyExtra
	id, err := uuid.Parse(key.ID)
	if err != nil || id.String() != key.ID {
		id, extra.id = uuid.UUID{}, key.ID
	}
	extra.expiresAt, extra.limits = key.ExpiresAt, key.Limits
	if extra == (keyExtra{}) {
		return id, nil
	}
	return id, &extra
}

// fold applies one of the chatbot's events to the record r (nil before the
// chatbot's first event) through the domain's Apply, and returns the new
// record.
func fold(r *botRecord, o owner, env events.Envelope, data any) *botRecord {
	var c chatbot.Chatbot
	old := 0
	if r != nil {
		c, old = *r.chatbot(o), len(r.keys)
		c.Keys = make([]chatbot.Key, old, old+1)
		for i := range r.keys {
			c.Keys[i] = r.key(i)
		}
	}
	c.Apply(env, data)
	// Apply keeps the keys in order and appends new ones: the first old
	// are r's, each with its hash bits.
	_, keyLimits := data.(*events.ApiKeyLimitsSetData)
	out := &botRecord{keys: make([]keyRecord, 0, len(c.Keys))}
	for i, k := range c.Keys {
		if k.RevokedAt != nil || c.Status == chatbot.StatusDeleted {
			continue
		}
		var kr keyRecord
		var extra *keyExtra
		switch p, rest, ok := hashBits(k.Hash); {
		case i < old:
			kr, extra = r.keys[i], r.extra(i)
			if keyLimits {
				kr.id, extra = identity(k)
			}
		case ok:
			kr.prefix, kr.rest = p, rest
			kr.id, extra = identity(k)
		default:
			continue // not a SHA-256: no call can present it
		}
		out.add(kr, extra)
	}
	if r != nil && !changesSettings(data) {
		out.settings = r.settings
	} else {
		out.settings = interned(c.Settings)
	}
	out.status, out.limits = internStatus(c.Status), c.Limits
	return out
}

// add appends a key, making the extras only for the first key that has any.
func (r *botRecord) add(k keyRecord, extra *keyExtra) {
	if extra != nil && r.extras == nil {
		r.extras = make([]*keyExtra, len(r.keys), cap(r.keys))
	}
	r.keys = append(r.keys, k)
	if r.extras != nil {
		r.extras = append(r.extras, extra)
	}
}

func changesSettings(data any) bool {
	switch d := data.(type) {
	case *events.ChatbotCreatedData:
		return true
	case *events.ChatbotUpdatedData:
		return d.Settings != nil
	}
	return false
}

// find returns the index of the live key whose hash starts with these bits.
func (r *botRecord) find(prefix, rest uint64) (int, bool) {
	for i, k := range r.keys {
		if k.prefix == prefix && k.rest == rest {
			return i, true
		}
	}
	return 0, false
}

// settingsPool holds one copy of each distinct chatbot settings: most
// chatbots share a few. An entry goes when no record holds it any more.
var settingsPool = struct {
	sync.Mutex
	m map[string]weak.Pointer[events.ChatbotSettings]
}{m: map[string]weak.Pointer[events.ChatbotSettings]{}}

func interned(s events.ChatbotSettings) *events.ChatbotSettings {
	b, err := json.Marshal(s)
	if err != nil {
		return &s
	}
	key := string(b)
	settingsPool.Lock()
	defer settingsPool.Unlock()
	if p := settingsPool.m[key].Value(); p != nil {
		return p
	}
	p := &s
	wp := weak.Make(p)
	settingsPool.m[key] = wp
	runtime.AddCleanup(p, func(key string) {
		settingsPool.Lock()
		defer settingsPool.Unlock()
		if settingsPool.m[key] == wp {
			delete(settingsPool.m, key)
		}
	}, key)
	return p
}
