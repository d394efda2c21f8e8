package auth

import (
	"context"
	"strings"
	"testing"
)

func TestPasswords(t *testing.T) {
	h, err := NewHasher(4, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	p72 := strings.Repeat("a", 72)
	hash := mustHash(t, h, p72)
	if ok, _ := check(t, h, hash, p72); !ok {
		t.Fatal("the right password does not match")
	}
	t.Run("a 72-byte password plus one byte does not match", func(t *testing.T) {
		if ok, _ := check(t, h, hash, p72+"x"); ok {
			t.Fatal("matched: truncated at 72 bytes")
		}
	})
	t.Run("NFKC forms of one password match", func(t *testing.T) {
		hash := mustHash(t, h, "ﬁnal password") // the ligature ﬁ normalises to fi
		if ok, _ := check(t, h, hash, "final password"); !ok {
			t.Fatal("NFKC-equal passwords differ")
		}
	})
	t.Run("an unknown account never matches", func(t *testing.T) {
		if ok, _ := check(t, h, nil, "dummy password for unknown accounts"); ok {
			t.Fatal("the dummy hash matched")
		}
	})
	t.Run("a lower-cost hash asks to be redone", func(t *testing.T) {
		stronger, err := NewHasher(5, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		if ok, rehash := check(t, stronger, hash, p72); !ok || !rehash {
			t.Fatalf("ok %v rehash %v", ok, rehash)
		}
	})
	t.Run("the pepper matters", func(t *testing.T) {
		other, err := NewHasher(4, []byte("another pepper"), true)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := check(t, other, hash, p72); ok {
			t.Fatal("matched under another pepper")
		}
	})
	t.Run("costs under 10 need the test switch", func(t *testing.T) {
		if _, err := NewHasher(9, nil, false); err == nil {
			t.Fatal("cost 9 accepted")
		}
	})
	t.Run("length counts characters after NFKC", func(t *testing.T) {
		if Length("ﬁ") != 2 || Length("日本") != 2 {
			t.Fatal("wrong length")
		}
	})
}

func mustHash(t *testing.T, h *Hasher, password string) []byte {
	t.Helper()
	hash, err := h.Hash(password)
	if err != nil {
		t.Fatalf("hash: %v", err)
	}
	return hash
}

// check is h.Check, failing t when the compare could not be done.
func check(t *testing.T, h *Hasher, hash []byte, password string) (ok, rehash bool) {
	t.Helper()
	ok, rehash, err := h.Check(context.Background(), hash, password)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	return ok, rehash
}
