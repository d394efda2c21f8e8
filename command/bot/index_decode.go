package bot

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/events"
)

// errBadSnapshot is a snapshot whose content is not one: reading it again
// would not help.
var errBadSnapshot = errors.New("not a readable snapshot")

// snapshotReader reads what snapshotWriter wrote; the first error sticks,
// and every count is bounded so that a damaged object fails, never
// allocates without end.
type snapshotReader struct {
	r   *bufio.Reader
	err error
}

func (r *snapshotReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *snapshotReader) uv() uint64 {
	var n uint64
	if r.err == nil {
		n, r.err = binary.ReadUvarint(r.r)
	}
	return n
}

func (r *snapshotReader) count(bound uint64, what string) uint64 {
	n := r.uv()
	if n > bound {
		r.fail(fmt.Errorf("%w: bad %s count %d", errBadSnapshot, what, n))
		return 0
	}
	return n
}

func (r *snapshotReader) u64() uint64 {
	var b [8]byte
	r.full(b[:])
	return binary.BigEndian.Uint64(b[:])
}

func (r *snapshotReader) full(b []byte) {
	if r.err == nil {
		_, r.err = io.ReadFull(r.r, b)
	}
}

func (r *snapshotReader) str(bound uint64) string {
	n := r.count(bound, "byte")
	if r.err != nil {
		return ""
	}
	b := make([]byte, n)
	r.full(b)
	return string(b)
}

func (r *snapshotReader) limit() *int {
	n := r.uv()
	if n == 0 || r.err != nil {
		return nil
	}
	v := int(n - 1)
	return &v
}

func (r *snapshotReader) limits() events.Limits {
	return events.Limits{RequestsPerMinute: r.limit(), DailyRequests: r.limit(), MonthlyRequests: r.limit()}
}

// decodeIndex reads a snapshot into a new index.
func decodeIndex(in io.Reader) (*keyIndex, error) {
	r := &snapshotReader{r: bufio.NewReaderSize(in, 64<<10)}
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(r.r, magic); err != nil {
		return nil, err
	}
	if string(magic) != snapshotMagic {
		return nil, fmt.Errorf("%w: not a directory snapshot of this version", errBadSnapshot)
	}
	x := newKeyIndex()
	x.position = r.uv()
	settings := make([]*events.ChatbotSettings, r.count(1<<24, "settings"))
	for i := range settings {
		var s events.ChatbotSettings
		if err := json.Unmarshal([]byte(r.str(1<<24)), &s); err != nil && r.err == nil {
			r.fail(fmt.Errorf("%w: %v", errBadSnapshot, err))
		}
		settings[i] = interned(s)
	}
	owners := r.count(1<<32, "chatbot")
	var slab slabs
	for i := uint64(0); i < owners && r.err == nil; i++ {
		tenant := r.str(1024)
		if t, ok := x.tenants[tenant]; ok {
			tenant = t
		}
		n := x.number(owner{tenant: tenant, id: r.str(1024)})
		x.records[n] = r.record(settings, &slab)
	}
	companies := r.count(1<<32, "company")
	for i := uint64(0); i < companies && r.err == nil; i++ {
		id := r.str(1024)
		var c company.Company
		if err := json.Unmarshal([]byte(r.str(1<<24)), &c); err != nil && r.err == nil {
			r.fail(fmt.Errorf("%w: %v", errBadSnapshot, err))
		}
		x.companies[id] = &c
	}
	keys := r.count(1<<32, "key")
	x.prefixes, x.numbered = make([]uint64, 0, keys), make([]uint32, 0, keys)
	for i := uint64(0); i < keys && r.err == nil; i++ {
		x.prefixes = append(x.prefixes, r.u64())
	}
	for i := uint64(0); i < keys && r.err == nil; i++ {
		n := r.uv()
		if n >= uint64(len(x.owners)) {
			r.fail(fmt.Errorf("%w: bad chatbot number", errBadSnapshot))
		}
		x.numbered = append(x.numbered, uint32(n))
	}
	if r.err != nil {
		return nil, fmt.Errorf("directory snapshot: %w", r.err)
	}
	return x, nil
}

// slabs hold the records a snapshot holds, a few allocations for them all
// rather than several for each: a start reads them faster and the
// collector has fewer objects to scan.
type slabs struct {
	records []botRecord
	keys    []keyRecord
}

func (s *slabs) take(keys int) (*botRecord, []keyRecord) {
	if len(s.records) == 0 {
		s.records = make([]botRecord, 4096)
	}
	if len(s.keys) < keys {
		s.keys = make([]keyRecord, max(keys, 64<<10))
	}
	r, k := &s.records[0], s.keys[:0:keys]
	s.records, s.keys = s.records[1:], s.keys[keys:]
	return r, k
}

// record reads one chatbot's record, nil for a chatbot with no event yet.
func (r *snapshotReader) record(settings []*events.ChatbotSettings, slab *slabs) *botRecord {
	status := internStatus(r.str(64))
	if status == "" || r.err != nil {
		return nil
	}
	limits := r.limits()
	s := r.uv()
	if s >= uint64(len(settings)) {
		r.fail(fmt.Errorf("%w: bad settings number", errBadSnapshot))
		return nil
	}
	rec, keys := slab.take(int(r.count(1<<16, "live key")))
	*rec = botRecord{settings: settings[s], status: status, limits: limits, keys: keys}
	for range cap(keys) {
		var k keyRecord
		k.prefix, k.rest = r.u64(), r.u64()
		r.full(k.id[:])
		var extra keyExtra
		if expires := int64(r.uv()); expires != 0 {
			at := time.Unix(0, expires).UTC()
			extra.expiresAt = &at
		}
		extra.limits, extra.id = r.limits(), r.str(1024)
		if extra != (keyExtra{}) {
			rec.add(k, &extra)
		} else {
			rec.add(k, nil)
		}
	}
	return rec
}
