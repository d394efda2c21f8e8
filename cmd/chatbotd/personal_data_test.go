package main

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

func writeKEK(t *testing.T, dir, name string) string {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestThePersonalDataKeyIsRotated: users' data keys wrapped under the old
// key are rewrapped under the new one, after which the new key alone
// rebuilds the users read model (personal fields included) as it was.
func TestThePersonalDataKeyIsRotated(t *testing.T) {
	db := testkit.NewEmptyDatabase(t)
	settings := settingsFor(t, db.URL)
	keys := t.TempDir()
	oldKey, newKey := writeKEK(t, keys, "old.key"), writeKEK(t, keys, "new.key")
	settings["PERSONAL_DATA_KEY_FILE"] = oldKey
	p := start(t, settings, "serve")
	c := client{t: t, base: "http://" + settings["HTTP_ADDR"]}
	waitReady(t, c.base, 200, 15*time.Second)
	for _, email := range []string{"ada@example.com", "grace@example.com"} {
		c.signup(email)
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("serve exited %d", code)
	}

	newAlone := map[string]string{}
	for k, v := range settings {
		newAlone[k] = v
	}
	newAlone["PERSONAL_DATA_KEY_FILE"] = newKey
	if code, _, _ := runOnce(newAlone, "projections", "verify", "users"); code == 0 {
		t.Fatal("before the rewrap, the new key alone rebuilt the users read model: the check below shows nothing")
	}

	rotating := map[string]string{}
	for k, v := range settings {
		rotating[k] = v
	}
	rotating["PERSONAL_DATA_KEY_FILE"], rotating["PERSONAL_DATA_PREVIOUS_KEY_FILE"] = newKey, oldKey
	code, out, errOut := runOnce(rotating, "personal-data", "rewrap")
	if code != 0 || !strings.Contains(out, "\n2 data keys rewrapped under the new key, 0 already under it") {
		t.Fatalf("rewrap: %d %q %q", code, out, errOut)
	}
	if code, out, _ := runOnce(rotating, "personal-data", "rewrap"); code != 0 || !strings.Contains(out, "\n0 data keys rewrapped under the new key, 2 already under it") {
		t.Errorf("a second rewrap: %d %q", code, out)
	}

	settings["PERSONAL_DATA_KEY_FILE"] = newKey // the old key is gone
	if code, out, errOut := runOnce(settings, "projections", "verify", "users"); code != 0 {
		t.Fatalf("the users read model rebuilt under the new key alone differs: %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := runOnce(settings, "personal-data", "rewrap"); code == 0 || !strings.Contains(errOut, "PERSONAL_DATA_PREVIOUS_KEY_FILE") {
		t.Errorf("rewrap without an old key: %d %q", code, errOut)
	}
}
