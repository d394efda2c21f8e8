package config

import (
	"os"
	"strings"
)

// pepper is PASSWORD_PEPPER, or the content of PASSWORD_PEPPER_FILE (less
// its trailing newline), so that a container can take it as a secret file
// rather than an environment variable anyone inspecting it can read.
func (r *reader) pepper() string {
	inline, file := r.get("PASSWORD_PEPPER"), r.file("PASSWORD_PEPPER_FILE")
	if file == "" {
		return inline
	}
	if inline != "" {
		r.fail("PASSWORD_PEPPER_FILE", "set it or PASSWORD_PEPPER, not both")
		return ""
	}
	b, err := os.ReadFile(file)
	if err != nil {
		r.fail("PASSWORD_PEPPER_FILE", "%v", err)
		return ""
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		r.fail("PASSWORD_PEPPER_FILE", "%s is empty", file)
	}
	return v
}
