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
	hash, _ := h.Hash(p72)
	if ok, _, _ := h.Check(context.Background(), hash, p72); !ok {
		t.Fatal("the right password does not match")
	}
	t.Run("a 72-byte password plus one byte does not match", func(t *testing.T) {
		if ok, _, _ := h.Check(context.Background(), hash, p72+"x"); ok {
			t.Fatal("matched: truncated at 72 bytes")
		}
	})
	t.Run("NFKC forms of one password match", func(t *testing.T) {
		hash, _ := h.Hash("ﬁnal password") // the ligature ﬁ normalises to fi
		if ok, _, _ := h.Check(context.Background(), hash, "final password"); !ok {
			t.Fatal("NFKC-equal passwords differ")
		}
	})
	t.Run("an unknown account never matches", func(t *testing.T) {
		if ok, _, _ := h.Check(context.Background(), nil, "dummy password for unknown accounts"); ok {
			t.Fatal("the dummy hash matched")
		}
	})
	t.Run("a lower-cost hash asks to be redone", func(t *testing.T) {
		stronger, _ := NewHasher(5, nil, true)
		if ok, rehash, _ := stronger.Check(context.Background(), hash, p72); !ok || !rehash {
			t.Fatalf("ok %v rehash %v", ok, rehash)
		}
	})
	t.Run("the pepper matters", func(t *testing.T) {
		other, _ := NewHasher(4, []byte("another pepper"), true)
		if ok, _, _ := other.Check(context.Background(), hash, p72); ok {
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
