package cache

import (
	"bytes"
	"errors"
	"strconv"
)

// Entry is one cached answer: the JSON of a read, its ETag, the stream
// position its data reflects at least, and the tenant whose rows it
// holds, checked again on every hit whatever the key said.
type Entry struct {
	Tenant  string
	Through uint64
	ETag    string
	JSON    []byte
}

var errBadEntry = errors.New("unreadable cache entry")

// encode is the entry as stored: three header lines, then the JSON.
func (e Entry) encode() []byte {
	b := make([]byte, 0, len(e.Tenant)+len(e.ETag)+len(e.JSON)+24)
	b = append(b, e.Tenant...)
	b = append(b, '\n')
	b = strconv.AppendUint(b, e.Through, 10)
	b = append(b, '\n')
	b = append(b, e.ETag...)
	b = append(b, '\n')
	return append(b, e.JSON...)
}

// decodeEntry reads what encode wrote. The JSON shares b's memory.
func decodeEntry(b []byte) (Entry, error) {
	var e Entry
	var line []byte
	var ok bool
	if line, b, ok = bytes.Cut(b, []byte{'\n'}); !ok {
		return e, errBadEntry
	}
	e.Tenant = string(line)
	if line, b, ok = bytes.Cut(b, []byte{'\n'}); !ok {
		return e, errBadEntry
	}
	through, err := strconv.ParseUint(string(line), 10, 64)
	if err != nil {
		return e, errBadEntry
	}
	e.Through = through
	if line, b, ok = bytes.Cut(b, []byte{'\n'}); !ok {
		return e, errBadEntry
	}
	e.ETag, e.JSON = string(line), b
	return e, nil
}
