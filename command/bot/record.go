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

// botRecord is what calls need of one chatbot: the chatbot as the domain
// folds it (chatbot.Apply), without what no call reads (its name,
// description, creation time and keys), and its live keys in compact form.
// A record is never changed once made: an event makes a new one, so calls
// share it unlocked.
type botRecord struct {
	bot      *chatbot.Chatbot
	settings *events.ChatbotSettings // the interned copy bot.Settings shares
	keys     []keyRecord
}

// keyRecord is one live key: the first 128 bits of its hash (a guess at
// them costs 2^128 tries over every key), its id, and what few keys have.
// A revoked key, or any key of a deleted chatbot, is dropped: it never
// works again.
type keyRecord struct {
	prefix, rest uint64
	id           uuid.UUID
	extra        *keyExtra // nil: an id that is a UUID, no expiry, no limits of its own
}

type keyExtra struct {
	id        string // an id that is not a UUID
	expiresAt *time.Time
	limits    events.Limits
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

// key is the record as the domain's key, for its liveness and limits.
func (k keyRecord) key() chatbot.Key {
	out := chatbot.Key{ID: k.id.String()}
	if k.extra != nil {
		if k.extra.id != "" {
			out.ID = k.extra.id
		}
		out.ExpiresAt, out.Limits = k.extra.expiresAt, k.extra.limits
	}
	return out
}

func (k *keyRecord) setKey(key chatbot.Key) {
	var extra keyExtra
	if id, err := uuid.Parse(key.ID); err == nil && id.String() == key.ID {
		k.id = id
	} else {
		extra.id = key.ID
	}
	extra.expiresAt, extra.limits = key.ExpiresAt, key.Limits
	if extra != (keyExtra{}) {
		k.extra = &extra
	} else {
		k.extra = nil
	}
}

// fold applies one of the chatbot's events to the record r (nil before the
// chatbot's first event) through the domain's Apply, and returns the new
// record.
func fold(r *botRecord, o owner, env events.Envelope, data any) *botRecord {
	var c chatbot.Chatbot
	var old []keyRecord
	if r != nil {
		c, old = *r.bot, r.keys
		c.Keys = make([]chatbot.Key, len(old), len(old)+1)
		for i, k := range old {
			c.Keys[i] = k.key()
		}
	}
	c.Apply(env, data)
	// Apply keeps the keys in order and appends new ones: the first
	// len(old) are old's, each with its hash bits.
	_, keyLimits := data.(*events.ApiKeyLimitsSetData)
	keys := make([]keyRecord, 0, len(c.Keys))
	for i, k := range c.Keys {
		if k.RevokedAt != nil || c.Status == chatbot.StatusDeleted {
			continue
		}
		var kr keyRecord
		switch p, rest, ok := hashBits(k.Hash); {
		case i < len(old):
			kr = old[i]
			if keyLimits {
				kr.setKey(k)
			}
		case ok:
			kr.prefix, kr.rest = p, rest
			kr.setKey(k)
		default:
			continue // not a SHA-256: no call can present it
		}
		keys = append(keys, kr)
	}
	var settings *events.ChatbotSettings
	if r != nil && !changesSettings(data) {
		settings = r.settings
	} else {
		settings = interned(c.Settings)
	}
	c.Name, c.Description, c.CreatedAt, c.Keys, c.Settings = "", "", time.Time{}, nil, *settings
	c.ID, c.CompanyID = o.id, o.tenant // the index's copies
	return &botRecord{bot: &c, settings: settings, keys: keys}
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

// find returns the live key whose hash starts with these bits.
func (r *botRecord) find(prefix, rest uint64) (keyRecord, bool) {
	for _, k := range r.keys {
		if k.prefix == prefix && k.rest == rest {
			return k, true
		}
	}
	return keyRecord{}, false
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
