package bot

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"maps"

	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/events"
)

// The directory's snapshot is one binary object: a magic line, the stream
// position it covers, the distinct chatbot settings (JSON), the chatbots
// (tenant, id, status, limits, settings, live keys), the companies (JSON),
// then the key index: the sorted 64-bit prefixes and the number of each
// one's chatbot. 1,000,000 keys over 100,000 chatbots take about 50 MB.
const snapshotMagic = "chatbot directory v2\n"

// indexView is the directory as of one position. Its arrays and records are
// never changed afterwards (a merge makes new arrays, an event a new
// record), so it is written unlocked.
type indexView struct {
	position  uint64
	owners    []owner
	records   []*botRecord
	companies map[string]*company.Company
	prefixes  []uint64
	numbered  []uint32
}

// view merges the recent keys and returns what the index holds now.
func (x *keyIndex) view() indexView {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.merge()
	n := len(x.owners)
	return indexView{position: x.position, owners: x.owners[:n:n], records: append([]*botRecord(nil), x.records...),
		companies: maps.Clone(x.companies), prefixes: x.prefixes, numbered: x.numbered}
}

// snapshotWriter writes the snapshot's fields; the first error sticks.
type snapshotWriter struct {
	w   *bufio.Writer
	buf [binary.MaxVarintLen64]byte
	err error
}

func (w *snapshotWriter) uv(n uint64)  { w.write(w.buf[:binary.PutUvarint(w.buf[:], n)]) }
func (w *snapshotWriter) u64(n uint64) { w.write(binary.BigEndian.AppendUint64(w.buf[:0], n)) }
func (w *snapshotWriter) str(s string) { w.uv(uint64(len(s))); w.write([]byte(s)) }
func (w *snapshotWriter) write(b []byte) {
	if w.err == nil {
		_, w.err = w.w.Write(b)
	}
}

// limit writes an optional limit: 0 for none, else the limit plus one.
func (w *snapshotWriter) limit(n *int) {
	if n == nil {
		w.uv(0)
		return
	}
	w.uv(uint64(*n) + 1)
}

func (w *snapshotWriter) limits(l events.Limits) {
	w.limit(l.RequestsPerMinute)
	w.limit(l.DailyRequests)
	w.limit(l.MonthlyRequests)
}

func (v indexView) encode(out io.Writer) error {
	w := &snapshotWriter{w: bufio.NewWriterSize(out, 64<<10)}
	w.write([]byte(snapshotMagic))
	w.uv(v.position)
	settings := map[*events.ChatbotSettings]uint64{}
	var distinct []*events.ChatbotSettings
	for _, r := range v.records {
		if _, ok := settings[r.settingsOrNil()]; r != nil && !ok {
			settings[r.settings] = uint64(len(distinct))
			distinct = append(distinct, r.settings)
		}
	}
	w.uv(uint64(len(distinct)))
	for _, s := range distinct {
		b, err := json.Marshal(s)
		w.err = errors.Join(w.err, err)
		w.str(string(b))
	}
	w.uv(uint64(len(v.owners)))
	for i, o := range v.owners {
		w.str(o.tenant)
		w.str(o.id)
		w.record(v.records[i], settings)
	}
	w.uv(uint64(len(v.companies)))
	for id, c := range v.companies {
		b, err := json.Marshal(c)
		w.err = errors.Join(w.err, err)
		w.str(id)
		w.str(string(b))
	}
	w.uv(uint64(len(v.prefixes)))
	for _, p := range v.prefixes {
		w.u64(p)
	}
	for _, n := range v.numbered {
		w.uv(uint64(n))
	}
	if w.err != nil {
		return w.err
	}
	return w.w.Flush()
}

func (r *botRecord) settingsOrNil() *events.ChatbotSettings {
	if r == nil {
		return nil
	}
	return r.settings
}

// record writes one chatbot's record; a chatbot with no event yet (none
// is numbered so) writes an empty status.
func (w *snapshotWriter) record(r *botRecord, settings map[*events.ChatbotSettings]uint64) {
	if r == nil {
		w.str("")
		return
	}
	w.str(r.status)
	w.limits(r.limits)
	w.uv(settings[r.settings])
	w.uv(uint64(len(r.keys)))
	for i, k := range r.keys {
		w.u64(k.prefix)
		w.u64(k.rest)
		w.write(k.id[:])
		var extra keyExtra
		if e := r.extra(i); e != nil {
			extra = *e
		}
		var expires int64
		if extra.expiresAt != nil {
			expires = extra.expiresAt.UnixNano()
		}
		w.uv(uint64(expires))
		w.limits(extra.limits)
		w.str(extra.id)
	}
}
