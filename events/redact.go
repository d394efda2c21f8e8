package events

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

// What a field of event data means to the audit log is declared on the
// field, not guessed from its name: `audit:"secret"` marks a secret (the
// hash of a refresh token or an API key), shown as Redacted; `audit:"shown"`
// marks a field whose name only sounds like a secret's (the password
// policy, the token lifetimes). A test checks that every field whose name
// sounds like a secret says which it is.
const (
	auditTag    = "audit"
	auditSecret = "secret"
	auditShown  = "shown"
)

// Redacted stands in the audit log for a secret value.
const Redacted = "[redacted]"

// anyElement stands in a path for every element of a list or map.
const anyElement = "*"

// secretPaths lists the JSON paths of t's secret fields.
func secretPaths(t reflect.Type, prefix []string, seen map[reflect.Type]bool) [][]string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return secretPaths(t.Elem(), append(slices.Clip(prefix), anyElement), seen)
	case reflect.Struct:
	default:
		return nil
	}
	if seen[t] {
		return nil
	}
	seen[t] = true
	defer delete(seen, t)
	var out [][]string
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || len(f.Index) > 1 {
			continue // promoted fields are reached through their embedded struct
		}
		name, named := jsonName(f)
		if name == "-" {
			continue
		}
		path := prefix
		if !f.Anonymous || named {
			path = append(slices.Clip(prefix), name)
		}
		if f.Tag.Get(auditTag) == auditSecret {
			out = append(out, path)
			continue
		}
		out = append(out, secretPaths(f.Type, path, seen)...)
	}
	return out
}

// jsonName is the name encoding/json gives f, and whether its tag names it.
func jsonName(f reflect.StructField) (string, bool) {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name, false
	}
	return name, true
}

// Redact returns e with its data upcast to the current version, as every
// reader sees it, and its secret fields replaced by Redacted. The data of a
// type this build does not know, or of a newer version, is hidden whole:
// which of its fields are secret is not known.
func (r *Registry) Redact(e Envelope) Envelope {
	r.mu.RLock()
	reg, ok := r.types[e.Type]
	r.mu.RUnlock()
	var v any
	if !ok || upcast(reg, &e) != nil || json.Unmarshal(e.Data, &v) != nil {
		e.Data = json.RawMessage(`"` + Redacted + `"`)
		return e
	}
	for _, path := range reg.secrets {
		v = hide(v, path)
	}
	e.Data, _ = json.Marshal(v)
	return e
}

// hide replaces the value at path in v, decoded JSON, by Redacted.
func hide(v any, path []string) any {
	if len(path) == 0 {
		if v == nil {
			return nil // nothing to hide
		}
		return Redacted
	}
	switch t := v.(type) {
	case map[string]any:
		if path[0] == anyElement {
			for k, x := range t {
				t[k] = hide(x, path[1:])
			}
		} else if x, ok := t[path[0]]; ok {
			t[path[0]] = hide(x, path[1:])
		}
	case []any:
		if path[0] == anyElement {
			for i, x := range t {
				t[i] = hide(x, path[1:])
			}
		}
	}
	return v
}
