package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestThePepperComesFromTheVariableOrItsFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pepper")
	if err := os.WriteFile(file, []byte("s3cret pepper\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(lookupFrom(map[string]string{"PASSWORD_PEPPER_FILE": file}))
	if err != nil || c.PasswordPepper != "s3cret pepper" {
		t.Fatalf("from the file: %q %v", c.PasswordPepper, err)
	}
	c, err = Load(lookupFrom(map[string]string{"PASSWORD_PEPPER": "inline"}))
	if err != nil || c.PasswordPepper != "inline" {
		t.Fatalf("from the variable: %q %v", c.PasswordPepper, err)
	}

	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, settings := range map[string]map[string]string{
		"both":         {"PASSWORD_PEPPER": "inline", "PASSWORD_PEPPER_FILE": file},
		"empty file":   {"PASSWORD_PEPPER_FILE": empty},
		"missing file": {"PASSWORD_PEPPER_FILE": filepath.Join(dir, "none")},
	} {
		_, err := Load(lookupFrom(settings))
		var cerr *Error
		if !errors.As(err, &cerr) || cerr.Name != "PASSWORD_PEPPER_FILE" {
			t.Errorf("%s: %v, want an error naming PASSWORD_PEPPER_FILE", name, err)
		}
	}
}
