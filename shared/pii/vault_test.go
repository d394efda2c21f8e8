package pii_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/pii"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

func kek(t *testing.T) []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenErase(t *testing.T) {
	ctx := context.Background()
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	key := kek(t)
	a, err := pii.Open(ctx, js, key, 1)
	if err != nil {
		t.Fatal(err)
	}
	// A second process: same bucket, same key-encryption key.
	b, err := pii.Open(ctx, js, key, 1)
	if err != nil {
		t.Fatal(err)
	}

	email, name, empty := "ada@example.com", "Ada Lovelace", ""
	if err := a.Seal(ctx, "u1", []*string{&email, &name, &empty}); err != nil {
		t.Fatal(err)
	}
	if !pii.Sealed(email) || !pii.Sealed(name) || empty != "" || strings.Contains(email+name, "ada") {
		t.Fatalf("sealed: %q %q %q", email, name, empty)
	}
	sealedEmail := email
	if err := b.Open(ctx, "u1", []*string{&email, &name}); err != nil || email != "ada@example.com" || name != "Ada Lovelace" {
		t.Fatalf("open in another process: %q %q %v", email, name, err)
	}

	// Sealed under one subject, it does not open as another's.
	other := sealedEmail
	if err := b.Seal(ctx, "u2", []*string{new(string)}); err != nil { // u2 has a key
		t.Fatalf("seal a field of u2: %v", err)
	}
	if err := b.Open(ctx, "u2", []*string{&other}); !errors.Is(err, pii.ErrUnreadable) {
		t.Errorf("opened under the wrong subject: %v", err)
	}
	// Values that were never sealed pass through.
	plain := "legacy"
	if err := a.Open(ctx, "u1", []*string{&plain}); err != nil || plain != "legacy" {
		t.Errorf("plain value: %q %v", plain, err)
	}
	// Tampering is detected: one bit of the ciphertext flipped. (Rewriting the
	// last characters of the text is not enough: they may carry only padding
	// bits, which the decoder ignores, or already be the new characters.)
	tampered := flipLastByte(t, sealedEmail)
	if err := a.Open(ctx, "u1", []*string{&tampered}); !errors.Is(err, pii.ErrUnreadable) {
		t.Errorf("tampered value opened: %v", err)
	}

	// b has the key cached; an erasure by a must still reach it.
	if err := a.Erase(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		got := sealedEmail
		if err := b.Open(ctx, "u1", []*string{&got}); err != nil {
			t.Fatal(err)
		}
		if got == pii.Erased {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("another process still opens an erased subject's data: %q", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A fresh process finds no key either.
	c, err := pii.Open(ctx, js, key, 1)
	if err != nil {
		t.Fatalf("pii.Open: %v", err)
	}
	got := sealedEmail
	if err := c.Open(ctx, "u1", []*string{&got}); err != nil || got != pii.Erased {
		t.Errorf("after erasure: %q %v", got, err)
	}

	// A vault under another key-encryption key cannot open the data keys.
	d, err := pii.Open(ctx, js, kek(t), 1)
	if err != nil {
		t.Fatalf("pii.Open: %v", err)
	}
	x := "secret"
	if err := a.Seal(ctx, "u3", []*string{&x}); err != nil {
		t.Fatalf("seal a field of u3: %v", err)
	}
	if err := d.Open(ctx, "u3", []*string{&x}); !errors.Is(err, pii.ErrUnreadable) {
		t.Errorf("opened under another key-encryption key: %v", err)
	}
}

func TestSealCopyLeavesTheOriginal(t *testing.T) {
	ctx := context.Background()
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	v, err := pii.Open(ctx, js, kek(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	type plain struct{ Tags []string } // not comparable: must not be compared
	if _, ok, err := v.SealCopy(ctx, "u", plain{Tags: []string{"x"}}); err != nil || ok {
		t.Errorf("data without personal fields: %v %v", ok, err)
	}
	in := person{Email: "a@b.c", Role: "user"}
	out, ok, err := v.SealCopy(ctx, "u", in)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	p := out.(*person)
	if in.Email != "a@b.c" || !pii.Sealed(p.Email) || p.Role != "user" {
		t.Fatalf("original %+v, copy %+v", in, p)
	}
	if err := v.OpenData(ctx, "u", p); err != nil || p.Email != "a@b.c" {
		t.Errorf("open: %+v %v", p, err)
	}
	var none *pii.Vault
	if _, ok, err := none.SealCopy(ctx, "u", in); ok || err != nil {
		t.Errorf("no vault: sealed %v (%v), want the data to go as it is", ok, err)
	}
}

type person struct {
	Email string
	Role  string
}

func (p *person) PersonalFields() []*string { return []*string{&p.Email} }

func TestLoadKEK(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	a, err := pii.LoadKEK("", dir, log)
	if err != nil || len(a) != 32 {
		t.Fatalf("generated: %d %v", len(a), err)
	}
	b, err := pii.LoadKEK("", dir, log)
	if err != nil {
		t.Fatalf("load the generated key again: %v", err)
	}
	if string(a) != string(b) {
		t.Error("a second start generated another key")
	}
	if _, err := pii.LoadKEK(dir+"/missing", dir, log); err == nil || !strings.Contains(err.Error(), "PERSONAL_DATA_KEY_FILE") {
		t.Errorf("missing file: %v", err)
	}
}

// flipLastByte flips one bit in the last byte of a sealed value's ciphertext.
func flipLastByte(t *testing.T, sealed string) string {
	t.Helper()
	const prefix = "pii1:"
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(sealed, prefix))
	if err != nil || !strings.HasPrefix(sealed, prefix) {
		t.Fatalf("not a sealed value %q: %v", sealed, err)
	}
	raw[len(raw)-1] ^= 1
	out := prefix + base64.RawURLEncoding.EncodeToString(raw)
	if out == sealed {
		t.Fatal("tampering left the value unchanged")
	}
	return out
}
