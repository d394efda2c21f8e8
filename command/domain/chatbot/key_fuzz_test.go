package chatbot

import (
	"strings"
	"testing"
)

// FuzzParseKey feeds arbitrary Authorization headers to the API-key
// parser: none panics, what it accepts is a key as FormatKey writes it,
// and every key FormatKey writes is accepted. Seeds are in
// testdata/fuzz/FuzzParseKey.
func FuzzParseKey(f *testing.F) {
	var raw [32]byte
	f.Add("Bearer "+FormatKey(raw), raw[:])
	for i := range raw {
		raw[i] = 0xff
	}
	f.Add("Bearer "+FormatKey(raw), raw[:])
	f.Add("Bearer cbk_", []byte("x"))
	f.Add("bearer "+FormatKey(raw), []byte{})
	f.Fuzz(func(t *testing.T, header string, bits []byte) {
		if key, ok := ParseKey(header); ok {
			if "Bearer "+key != header || len(key) != keyLength || !strings.HasPrefix(key, KeyPrefix) {
				t.Fatalf("%q accepted as %q", header, key)
			}
			for _, c := range key[len(KeyPrefix):] {
				if !strings.ContainsRune(base62, c) {
					t.Fatalf("%q accepted with %q in it", header, c)
				}
			}
		}
		var b [32]byte
		copy(b[:], bits)
		formatted := FormatKey(b)
		if key, ok := ParseKey("Bearer " + formatted); !ok || key != formatted {
			t.Fatalf("the key %q FormatKey wrote is refused", formatted)
		}
	})
}
