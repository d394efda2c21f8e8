package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// reader parses settings and keeps the first error, so Load reads as a list.
type reader struct {
	lookup func(string) (string, bool)
	err    error
}

func (r *reader) get(name string) string {
	if v, ok := r.lookup(name); ok {
		return strings.TrimSpace(v)
	}
	for _, s := range Settings {
		if s.Name == name {
			return s.Default
		}
	}
	panic("config: unknown setting " + name)
}

func (r *reader) fail(name, format string, args ...any) {
	if r.err == nil {
		r.err = &Error{Name: name, Reason: fmt.Sprintf(format, args...)}
	}
}

func (r *reader) nonEmpty(name string) string {
	v := r.get(name)
	if v == "" {
		r.fail(name, "must not be empty")
	}
	return v
}

func (r *reader) addr(name string) string {
	v := r.nonEmpty(name)
	if v == "" {
		return v
	}
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		r.fail(name, "%q is not host:port", v)
		return v
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		r.fail(name, "port %q is not a number from 0 to 65535", port)
	}
	return v
}

func (r *reader) optionalAddr(name string) string {
	if r.get(name) == "" {
		return ""
	}
	return r.addr(name)
}

func (r *reader) duration(name string) time.Duration {
	v := r.nonEmpty(name)
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, "%q is not a positive duration such as 10s or 2m", v)
	}
	return d
}

// optionalDuration is a duration where 0 turns the feature off.
func (r *reader) optionalDuration(name string) time.Duration {
	v := r.nonEmpty(name)
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		r.fail(name, "%q is not a duration such as 500ms or 2s (0 for none)", v)
	}
	return d
}

func (r *reader) boolean(name string) bool {
	v := r.get(name)
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "%q is not true or false", v)
	}
	return b
}

func (r *reader) intRange(name string, lo, hi int) int {
	v := r.get(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, "%q is not a whole number from %d to %d", v, lo, hi)
	}
	return n
}

func (r *reader) oneOf(name string, allowed ...string) string {
	v := strings.ToLower(r.get(name))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	return v
}

var sizeUnits = []struct {
	suffix string
	factor int
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"KB", 1000}, {"MB", 1000 * 1000}, {"B", 1}}

func (r *reader) size(name string) int {
	v := r.nonEmpty(name)
	num, factor := v, 1
	for _, u := range sizeUnits {
		if strings.HasSuffix(v, u.suffix) {
			num, factor = strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), u.factor
			break
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 || n > (1<<30)/factor {
		r.fail(name, "%q is not a size from 1 byte to 1GiB (e.g. 1048576, 512KiB, 1MiB)", v)
		return 0
	}
	return n * factor
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
