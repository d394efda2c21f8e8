package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// duplicateKey finds a key given twice in one object, at any depth, and
// returns its path ("settings.replies[0].reply"). Keys are compared as the
// decoder reads them, escapes undone. Malformed JSON is left to the
// decoder to report: the scan stops where it cannot go on, with no error.
//
// It runs on every request body, so it walks the bytes once and allocates
// nothing for a body without escaped keys or duplicates. An object's keys
// are compared one by one while it has few and through a map past that, so
// a body of many keys cannot make the scan quadratic.
func duplicateKey(body []byte) (string, error) {
	var keys [16][]byte // room for the usual body's keys and depth
	var path [8]pathPart
	s := keyScanner{b: body, keys: keys[:0], path: path[:0]}
	dup, err := s.value(0)
	switch {
	case errors.Is(err, errTooDeep):
		return "", err
	case err != nil || !dup:
		return "", nil
	}
	return s.at(), nil
}

// linearKeys is how many keys of one object are compared one by one; past
// it they go to a map.
const linearKeys = 16

// errMalformed stops a scan at JSON it cannot read.
var errMalformed = errors.New("malformed JSON")

type keyScanner struct {
	b    []byte
	i    int
	keys [][]byte   // the keys of the open objects, innermost last
	path []pathPart // where the scan is
}

// pathPart is an object's key, or a list's index when key is nil.
type pathPart struct {
	key   []byte
	index int
}

// at is the path of the scan's position.
func (s *keyScanner) at() string {
	var b strings.Builder
	for _, p := range s.path {
		if p.key == nil {
			b.WriteString("[" + strconv.Itoa(p.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.Write(p.key)
	}
	return b.String()
}

// value scans one value; true means a duplicate was found, at s.path.
func (s *keyScanner) value(depth int) (bool, error) {
	if depth > maxDepth {
		return false, errTooDeep
	}
	s.space()
	if s.i >= len(s.b) {
		return false, errMalformed
	}
	switch s.b[s.i] {
	case '{':
		return s.object(depth)
	case '[':
		return s.list(depth)
	case '"':
		_, err := s.str()
		return false, err
	}
	for s.i < len(s.b) && !endsLiteral(s.b[s.i]) {
		s.i++ // a number, true, false or null
	}
	return false, nil
}

func (s *keyScanner) object(depth int) (bool, error) {
	s.i++
	start := len(s.keys)
	var many map[string]struct{} // the keys once there are more than linearKeys
	for n := 0; ; n++ {
		s.space()
		if n == 0 && s.i < len(s.b) && s.b[s.i] == '}' {
			s.i++
			return false, nil
		}
		key, err := s.str()
		if err != nil {
			return false, err
		}
		s.path = append(s.path, pathPart{key: key})
		if s.seen(start, key, &many) {
			return true, nil
		}
		if s.space(); s.i >= len(s.b) || s.b[s.i] != ':' {
			return false, errMalformed
		}
		s.i++
		if dup, err := s.value(depth + 1); dup || err != nil {
			return dup, err
		}
		s.path = s.path[:len(s.path)-1]
		if done, err := s.next('}'); done || err != nil {
			s.keys = s.keys[:start]
			return false, err
		}
	}
}

func (s *keyScanner) list(depth int) (bool, error) {
	s.i++
	s.space()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return false, nil
	}
	for n := 0; ; n++ {
		s.path = append(s.path, pathPart{index: n})
		if dup, err := s.value(depth + 1); dup || err != nil {
			return dup, err
		}
		s.path = s.path[:len(s.path)-1]
		if done, err := s.next(']'); done || err != nil {
			return false, err
		}
	}
}

// seen says whether key was given before in the object whose keys start at
// start, and records it.
func (s *keyScanner) seen(start int, key []byte, many *map[string]struct{}) bool {
	if *many != nil {
		if _, dup := (*many)[string(key)]; dup {
			return true
		}
		(*many)[string(key)] = struct{}{}
		return false
	}
	for _, k := range s.keys[start:] {
		if bytes.Equal(k, key) {
			return true
		}
	}
	s.keys = append(s.keys, key)
	if len(s.keys)-start > linearKeys {
		*many = make(map[string]struct{}, 2*linearKeys)
		for _, k := range s.keys[start:] {
			(*many)[string(k)] = struct{}{}
		}
	}
	return false
}

// next passes the comma after a member or an element; done says the
// closing delimiter came instead.
func (s *keyScanner) next(closing byte) (done bool, err error) {
	s.space()
	switch {
	case s.i >= len(s.b):
		return false, errMalformed
	case s.b[s.i] == ',':
		s.i++
		return false, nil
	case s.b[s.i] == closing:
		s.i++
		return true, nil
	}
	return false, errMalformed
}

// str reads a string and returns it as the decoder would, escapes undone.
func (s *keyScanner) str() ([]byte, error) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, errMalformed
	}
	escaped := false
	for j := s.i + 1; j < len(s.b); j++ {
		switch s.b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			raw := s.b[s.i : j+1]
			s.i = j + 1
			if !escaped {
				return raw[1 : len(raw)-1], nil
			}
			var v string
			if json.Unmarshal(raw, &v) != nil {
				return nil, errMalformed
			}
			return []byte(v), nil
		}
	}
	return nil, errMalformed
}

func (s *keyScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func endsLiteral(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ',', ']', '}', ':':
		return true
	}
	return false
}
