package events

import (
	"reflect"
	"strings"
	"testing"
)

// soundsSecret is a name that may hold a password, a token, a key or a
// hash of one: whether it does is for its field's tag to say.
func soundsSecret(name string) bool {
	name = strings.ToLower(name)
	for _, w := range []string{"hash", "token", "secret", "password", "passwd", "credential", "salt", "seed"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return strings.HasSuffix(name, "key")
}

// Every field of every registered event whose name sounds like a secret's
// says, with its audit tag, whether it is one: a new hash field cannot
// reach the audit log by being forgotten.
func TestFieldsThatSoundSecretDeclareWhetherTheyAre(t *testing.T) {
	var walk func(event string, typ reflect.Type, path string, seen map[reflect.Type]bool)
	walk = func(event string, typ reflect.Type, path string, seen map[reflect.Type]bool) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] {
			return
		}
		seen[typ] = true
		for _, f := range reflect.VisibleFields(typ) {
			name, _ := jsonName(f)
			if !f.IsExported() || len(f.Index) > 1 || name == "-" {
				continue
			}
			tag := f.Tag.Get(auditTag)
			switch {
			case tag != "" && tag != auditSecret && tag != auditShown:
				t.Errorf("%s: %s%s has audit tag %q, want %q or %q", event, path, name, tag, auditSecret, auditShown)
			case tag == "" && soundsSecret(name):
				t.Errorf("%s: %s%s sounds like a secret: tag it audit:%q or audit:%q", event, path, name, auditSecret, auditShown)
			}
			walk(event, f.Type, path+name+".", seen)
		}
	}
	for name, reg := range Default.types {
		walk(name, reg.dataType, "", map[reflect.Type]bool{})
	}
}
