package bot

import (
	"encoding/hex"
	"slices"
	"sync"

	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/events"
)

// keyIndex is everything calls need, compactly: every chatbot's record
// (record.go), every company as the domain folds it, and every API key ever
// issued mapped to its chatbot by the first 64 bits of the key's hash and
// the chatbot's number, 12 bytes a key in sorted arrays, plus a small map of
// the keys added since they were last merged. Two keys may share 64 bits;
// the chatbot's record (128 bits of each live key) decides, so a shared
// prefix costs a second look, never a wrong answer.
type keyIndex struct {
	mu        sync.RWMutex
	owners    []owner          // chatbot number → chatbot
	records   []*botRecord     // chatbot number → what calls need of it; nil before its first event
	numbers   map[owner]uint32 // chatbot → number
	prefixes  []uint64         // sorted
	numbered  []uint32         // numbered[i] owns prefixes[i]
	recent    map[uint64][]uint32
	tenants   map[string]string // one copy of each tenant id
	companies map[string]*company.Company
	position  uint64 // every event up to here is applied
}

// owner is a chatbot: its tenant and id.
type owner struct{ tenant, id string }

// mergeAt is how many recent keys are merged into the sorted arrays at once.
const mergeAt = 16 << 10

func newKeyIndex() *keyIndex {
	return &keyIndex{numbers: map[owner]uint32{}, recent: map[uint64][]uint32{}, tenants: map[string]string{},
		companies: map[string]*company.Company{}}
}

// prefixOf reads the first 64 bits of a hex SHA-256; ok is false for a
// string that is not one.
func prefixOf(hash string) (uint64, bool) {
	if len(hash) != 64 {
		return 0, false
	}
	var b [8]byte
	if _, err := hex.Decode(b[:], []byte(hash[:16])); err != nil {
		return 0, false
	}
	var p uint64
	for _, x := range b {
		p = p<<8 | uint64(x)
	}
	return p, true
}

// applyChatbot folds one of the chatbot's events, stored at position, into
// its record; a key it issues is indexed.
func (x *keyIndex) applyChatbot(o owner, env events.Envelope, data any, position uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.position = max(x.position, position)
	n := x.number(o)
	x.records[n] = fold(x.records[n], x.owners[n], env, data)
	if issued, ok := data.(*events.ApiKeyIssuedData); ok {
		if p, ok := prefixOf(issued.KeyHash); ok {
			x.recent[p] = append(x.recent[p], n)
		}
		if len(x.recent) >= mergeAt {
			x.merge()
		}
	}
}

// applyCompany folds one of a company's events, stored at position.
func (x *keyIndex) applyCompany(id string, env events.Envelope, data any, position uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.position = max(x.position, position)
	var c company.Company
	if old := x.companies[id]; old != nil {
		c = *old
		c.Managers = slices.Clone(old.Managers) // the old state stays as calls read it
	}
	c.Apply(env, data)
	x.companies[id] = &c
}

// number is the chatbot's number, given on first sight. Callers hold mu.
func (x *keyIndex) number(o owner) uint32 {
	if n, ok := x.numbers[o]; ok {
		return n
	}
	if t, ok := x.tenants[o.tenant]; ok {
		o.tenant = t
	} else {
		x.tenants[o.tenant] = o.tenant
	}
	n := uint32(len(x.owners))
	x.owners = append(x.owners, o)
	x.records = append(x.records, nil)
	x.numbers[o] = n
	return n
}

// merge moves the recent keys into new sorted arrays; the old ones stay
// untouched for a snapshot being written from them. Callers hold mu.
func (x *keyIndex) merge() {
	if len(x.recent) == 0 {
		return
	}
	add := make([]uint64, 0, len(x.recent))
	for p := range x.recent {
		add = append(add, p)
	}
	slices.Sort(add)
	n := len(x.prefixes) + len(add)
	for _, p := range add {
		n += len(x.recent[p]) - 1
	}
	prefixes, numbered := make([]uint64, 0, n), make([]uint32, 0, n)
	i := 0
	for _, p := range add {
		for ; i < len(x.prefixes) && x.prefixes[i] <= p; i++ {
			prefixes, numbered = append(prefixes, x.prefixes[i]), append(numbered, x.numbered[i])
		}
		for _, o := range x.recent[p] {
			prefixes, numbered = append(prefixes, p), append(numbered, o)
		}
	}
	prefixes, numbered = append(prefixes, x.prefixes[i:]...), append(numbered, x.numbered[i:]...)
	x.prefixes, x.numbered, x.recent = prefixes, numbered, map[uint64][]uint32{}
}

// find returns the live key with this hash, its chatbot and company;
// indexed is false when no key ever issued starts like it.
func (x *keyIndex) find(hash string) (f Found, ok, indexed bool) {
	p, rest, valid := hashBits(hash)
	if !valid {
		return Found{}, false, false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	look := func(n uint32) bool {
		indexed = true
		r := x.records[n]
		if r == nil {
			return false
		}
		i, live := r.find(p, rest)
		if !live {
			return false
		}
		co := x.companies[x.owners[n].tenant]
		if co == nil {
			co = &noCompany
		}
		f = Found{Key: r.key(i), Chatbot: r.chatbot(x.owners[n]), Company: co}
		f.Key.Hash = hash
		return true
	}
	for i, _ := slices.BinarySearch(x.prefixes, p); i < len(x.prefixes) && x.prefixes[i] == p; i++ {
		if look(x.numbered[i]) {
			return f, true, true
		}
	}
	for _, n := range x.recent[p] {
		if look(n) {
			return f, true, true
		}
	}
	return Found{}, false, indexed
}

// noCompany is the company of a chatbot whose company's events are not
// there: it never was registered.
var noCompany company.Company

func (x *keyIndex) at() uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.position
}

// size is how many keys the index holds.
func (x *keyIndex) size() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	n := len(x.prefixes)
	for _, o := range x.recent {
		n += len(o)
	}
	return n
}

// through records that every event up to position is applied.
func (x *keyIndex) through(position uint64) {
	x.mu.Lock()
	x.position = max(x.position, position)
	x.mu.Unlock()
}
