package eventschema

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/pii"
)

// Dialect is the JSON Schema version of every schema here.
const Dialect = "https://json-schema.org/draft/2020-12/schema"

// sealedPattern is what a personal field holds in the stream: empty, or
// sealed by the event store.
const sealedPattern = "^(pii1:[A-Za-z0-9_-]+)?$"

// Schema is one JSON Schema document, as generic JSON so that it prints
// with sorted keys.
type Schema = map[string]any

// ForType returns the JSON Schema of the data of event type name at
// version in reg.
func ForType(reg *events.Registry, name string, version int) (Schema, error) {
	t := reg.DataType(name, version)
	if t == nil {
		return nil, fmt.Errorf("no Go type for %s version %d (an older version is kept with events.RegisterPast)", name, version)
	}
	s, err := fromType(t)
	if err != nil {
		return nil, fmt.Errorf("schema of %s: %w", name, err)
	}
	s["title"] = fmt.Sprintf("%s data, version %d", name, version)
	if doc := reg.Doc(name); doc != "" {
		s["description"] = doc
	}
	markPersonal(s, t)
	return s, nil
}

// ForEnvelope returns the JSON Schema of the envelope around every event.
func ForEnvelope() (Schema, error) {
	s, err := fromType(reflect.TypeFor[events.Envelope]())
	if err != nil {
		return nil, err
	}
	s["title"] = "Event envelope"
	return s, nil
}

// fromType is huma's schema of t, made a standalone document: nested
// structs under $defs. Objects stay open (no additionalProperties: false):
// a field added later keeps the version, and readers ignore what they do
// not know.
func fromType(t reflect.Type) (Schema, error) {
	registry := huma.NewMapRegistry("#/$defs/", huma.DefaultSchemaNamer)
	top := registry.Schema(t, false, "")
	b, err := json.Marshal(top)
	if err != nil {
		return nil, err
	}
	var s Schema
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	defs := Schema{}
	topName := huma.DefaultSchemaNamer(t, "")
	for name, def := range registry.Map() {
		if name == topName {
			continue
		}
		var d Schema
		if b, err = json.Marshal(def); err == nil {
			err = json.Unmarshal(b, &d)
		}
		if err != nil {
			return nil, err
		}
		defs[name] = d
	}
	if len(defs) > 0 {
		s["$defs"] = defs
	}
	s["$schema"] = Dialect
	open(s)
	return s, nil
}

// open drops every additionalProperties: false.
func open(v any) {
	switch x := v.(type) {
	case map[string]any:
		if ap, ok := x["additionalProperties"].(bool); ok && !ap {
			delete(x, "additionalProperties")
		}
		for _, c := range x {
			open(c)
		}
	case []any:
		for _, c := range x {
			open(c)
		}
	}
}

// markPersonal describes the fields the event store seals (those the data's
// PersonalFields returns) as they are stored.
func markPersonal(s Schema, t reflect.Type) {
	v := reflect.New(t)
	f, ok := v.Interface().(pii.Fields)
	if !ok {
		return
	}
	props, _ := s["properties"].(map[string]any)
	for _, p := range f.PersonalFields() {
		for i := range t.NumField() {
			if v.Elem().Field(i).Addr().Pointer() != reflect.ValueOf(p).Pointer() {
				continue
			}
			if prop, ok := props[jsonName(t.Field(i))].(map[string]any); ok {
				prop["pattern"] = sealedPattern
				prop["description"] = "personal data, sealed: pii1:<base64url(nonce ‖ AES-256-GCM ciphertext)> under the data subject's key, or empty"
			}
		}
	}
}

func jsonName(f reflect.StructField) string {
	name := f.Tag.Get("json")
	for i := range len(name) {
		if name[i] == ',' {
			name = name[:i]
			break
		}
	}
	if name == "" {
		return f.Name
	}
	return name
}
