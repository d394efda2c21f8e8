package app

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParseRefreshToken feeds arbitrary strings to the refresh-token
// parser: none panics, what it accepts has the parts a token has (its
// tenant and session among them), and every token minted is read back as
// minted. Seeds are in testdata/fuzz/FuzzParseRefreshToken.
func FuzzParseRefreshToken(f *testing.F) {
	f.Add("acme", "s1", uint64(0), "fam", "acme.s1.0.fam.secret")
	f.Add("t", "s", uint64(1<<63), "f", "t.s.secret")
	f.Add("a.b", "c", uint64(7), "", "a..b.c")
	f.Fuzz(func(t *testing.T, tenant, session string, gen uint64, family, presented string) {
		if tok, ok := parseRefreshToken(presented); ok {
			parts := strings.Split(presented, ".")
			if len(presented) > maxRefreshToken || tok.tenant != parts[0] || tok.session != parts[1] || tok.raw != presented {
				t.Fatalf("%q read as %+v", presented, tok)
			}
			if len(parts) == 5 && tok.family != parts[3] || len(parts) == 3 && tok.family != "" {
				t.Fatalf("%q read with family %q", presented, tok.family)
			}
		}
		for _, p := range []string{tenant, session, family} {
			if p == "" || strings.ContainsAny(p, ".*> \t\r\n") || len(p) > 40 {
				return // not what a token is minted from
			}
		}
		minted, _, err := mintRefreshToken(tenant, session, gen, family)
		if err != nil {
			t.Fatal(err)
		}
		tok, ok := parseRefreshToken(minted)
		if !ok || tok.tenant != tenant || tok.session != session || tok.family != family || tok.raw != minted {
			t.Fatalf("minted %q (generation %s) read back as %+v, %v", minted, strconv.FormatUint(gen, 10), tok, ok)
		}
	})
}
