package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// The scanner finds what the decoder's tokens show: the same duplicate at
// the same path, and none where there is none.
func TestDuplicateKeyAgreesWithTheDecoder(t *testing.T) {
	many := func(dupAt int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range 40 {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"k` + strconv.Itoa(i) + `":` + strconv.Itoa(i))
		}
		if dupAt >= 0 {
			b.WriteString(`,"k` + strconv.Itoa(dupAt) + `":0`)
		}
		return b.String() + "}"
	}
	for _, c := range []struct{ body, want string }{
		{`{"message":"hi"}`, ""},
		{`{"message":"hi","message":"x"}`, "message"},
		{`{"message":"hi","mess\u0061ge":"x"}`, "message"},
		{`{"a\"b":1,"a\u0022b":2}`, `a"b`},
		{`{"message":"hi","settings":{"greeting":"a","greeting":"b"}}`, "settings.greeting"},
		{`{"settings":{"replies":[{"keywords":["a"],"reply":"r"},{"reply":"r","reply":"s"}]}}`, "settings.replies[1].reply"},
		{`[{"a":1},[{"b":1,"b":2}]]`, "[1][0].b"},
		{`{"a":{"x":1},"b":{"x":1},"c":[],"d":{},"e":"a\\","f":[1,2.5e3,true,null]}`, ""},
		{` { "a" : 1 , "b" : [ ] , "a" : 2 } `, "a"},
		{`{"a":{"b":1},"a":2}`, "a"},
		{many(-1), ""},
		{many(3), "k3"},
		{many(39), "k39"},
		{`"text"`, ""},
		{`12`, ""},
	} {
		got, err := duplicateKey([]byte(c.body))
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.body, got, err, c.want)
		}
		ref, err := decoderDuplicateKey([]byte(c.body))
		if err != nil || ref != c.want {
			t.Errorf("%s: the decoder finds %q, %v; want %q", c.body, ref, err, c.want)
		}
	}
}

// Malformed JSON is no duplicate and no error: the decoder reports it.
func TestDuplicateKeyLeavesMalformedJSONToTheDecoder(t *testing.T) {
	for _, body := range []string{`{"a":1 "a":2}`, `{"a":1,`, `{"a"`, `{"a":"\x"}`, `{"\ud8":1,"\ud8":2`, `{a:1}`, `[1,2`, ``, `{"a":1]`} {
		if got, err := duplicateKey([]byte(body)); got != "" || err != nil {
			t.Errorf("%s: %q, %v; want nothing", body, got, err)
		}
	}
}

func TestDuplicateKeyRefusesDeepNesting(t *testing.T) {
	deep := strings.Repeat(`{"a":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1)
	if _, err := duplicateKey([]byte(deep)); !errors.Is(err, errTooDeep) {
		t.Fatalf("%d objects deep: %v, want errTooDeep", maxDepth+1, err)
	}
	ok := strings.Repeat(`[`, maxDepth) + "1" + strings.Repeat("]", maxDepth)
	if got, err := duplicateKey([]byte(ok)); got != "" || err != nil {
		t.Fatalf("%d lists deep: %q, %v; want nothing", maxDepth, got, err)
	}
}

// A body without duplicates or escaped keys costs the scanner's two stacks
// and nothing for each key or value: the scan runs on every request body.
func TestDuplicateKeyAllocatesNothingPerKey(t *testing.T) {
	small := []byte(`{"message":"what is the price?","conversation_id":"c-1"}`)
	large := []byte(`{"name":"Support","description":"answers","settings":{"greeting":"hello","fallback_reply":"sorry",` +
		`"replies":[{"keywords":["a","b"],"reply":"r"},{"keywords":["c"],"reply":"s"},{"keywords":["d","e","f"],"reply":"t"}]},` +
		`"limits":{"requests_per_minute":60,"daily_requests":1000,"monthly_requests":null}}`)
	for _, body := range [][]byte{small, large} {
		if n := testing.AllocsPerRun(100, func() {
			if dup, err := duplicateKey(body); dup != "" || err != nil {
				t.Fatalf("%q, %v", dup, err)
			}
		}); n > 2 {
			t.Fatalf("%.0f allocations to scan %s, want 2 at most", n, body)
		}
	}
}

// FuzzDuplicateKey holds the scanner to the decoder's tokens on every valid
// JSON text; on others it must only not fail.
func FuzzDuplicateKey(f *testing.F) {
	for _, seed := range []string{`{"a":1,"a":2}`, `{"a":{"b":[{"c":1,"c\u0000":2}]}}`, `[{"x":"\"","x":1}]`, `{"k1":1,"k2":2}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := duplicateKey(body)
		if !json.Valid(body) {
			return
		}
		ref, refErr := decoderDuplicateKey(body)
		if got != ref || !errors.Is(err, refErr) && (err != nil || refErr != nil) {
			t.Fatalf("%q: scanner %q, %v; decoder %q, %v", body, got, err, ref, refErr)
		}
	})
}

// decoderDuplicateKey is duplicateKey as encoding/json's token reader
// sees it: the reference the scanner is held to.
func decoderDuplicateKey(body []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // numbers are not parsed here, only walked past
	path, err := walkTokens(dec, "", 0)
	if errors.Is(err, errTooDeep) {
		return "", err
	}
	return path, nil
}

// walkTokens reads one value; it returns the path of a duplicate key within
// it, or an error if the value cannot be read.
func walkTokens(dec *json.Decoder, path string, depth int) (string, error) {
	if depth > maxDepth {
		return "", errTooDeep
	}
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]struct{}{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return "", err
			}
			key, _ := kt.(string)
			at := key
			if path != "" {
				at = path + "." + key
			}
			if _, dup := seen[key]; dup {
				return at, nil
			}
			seen[key] = struct{}{}
			if dup, err := walkTokens(dec, at, depth+1); dup != "" || err != nil {
				return dup, err
			}
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if dup, err := walkTokens(dec, path+"["+strconv.Itoa(i)+"]", depth+1); dup != "" || err != nil {
				return dup, err
			}
		}
	default:
		return "", nil
	}
	_, err = dec.Token() // the closing delimiter
	return "", err
}

// BenchmarkDuplicateKey is the scan of a bot call's body, beside the
// decoder's token walk it replaced.
func BenchmarkDuplicateKey(b *testing.B) {
	body := []byte(`{"message":"what is the price?","conversation_id":"c-1"}`)
	b.Run("scanner", func(b *testing.B) {
		for b.Loop() {
			if _, err := duplicateKey(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decoder", func(b *testing.B) {
		for b.Loop() {
			if _, err := decoderDuplicateKey(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
