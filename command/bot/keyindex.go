package bot

import (
	"encoding/hex"
	"slices"
	"sync"
)

// keyIndex maps every API key ever issued to its chatbot, compactly: the
// first 64 bits of the key's hash and the chatbot's number, 12 bytes a key
// in sorted arrays, plus a small map of the keys added since they were last
// merged. Two keys may share 64 bits; the chatbot's own keys (full hashes)
// decide, so a shared prefix costs a second look-up, never a wrong answer.
type keyIndex struct {
	mu       sync.RWMutex
	owners   []owner          // chatbot number → chatbot
	numbers  map[owner]uint32 // chatbot → number
	prefixes []uint64         // sorted
	numbered []uint32         // numbered[i] owns prefixes[i]
	recent   map[uint64][]uint32
	tenants  map[string]string // one copy of each tenant id
	position uint64            // stream position of the last ApiKeyIssued applied
}

// owner is a chatbot: its tenant and id.
type owner struct{ tenant, id string }

// mergeAt is how many recent keys are merged into the sorted arrays at once.
const mergeAt = 16 << 10

func newKeyIndex() *keyIndex {
	return &keyIndex{numbers: map[owner]uint32{}, recent: map[uint64][]uint32{}, tenants: map[string]string{}}
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

// add records a key of the chatbot, issued at position.
func (x *keyIndex) add(hash string, o owner, position uint64) {
	p, ok := prefixOf(hash)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.position = max(x.position, position)
	if !ok {
		return
	}
	x.recent[p] = append(x.recent[p], x.number(o))
	if len(x.recent) >= mergeAt {
		x.merge()
	}
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

// owners returns the chatbots that may own the key with this hash.
func (x *keyIndex) candidates(hash string) []owner {
	p, ok := prefixOf(hash)
	if !ok {
		return nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []owner
	for i, _ := slices.BinarySearch(x.prefixes, p); i < len(x.prefixes) && x.prefixes[i] == p; i++ {
		out = append(out, x.owners[x.numbered[i]])
	}
	for _, n := range x.recent[p] {
		out = append(out, x.owners[n])
	}
	return out
}

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
