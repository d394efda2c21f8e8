package events

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"sync"
)

// Upcaster turns the data of one schema version into the next version's.
type Upcaster func(data json.RawMessage) (json.RawMessage, error)

// Registry maps event type names to their data structs, current schema
// versions and upcasters. Wire names are registered strings, never Go type
// names, so renaming a struct never changes the stream.
type Registry struct {
	mu    sync.RWMutex
	types map[string]*registration
}

type registration struct {
	name      string
	version   int
	dataType  reflect.Type
	upcasters map[int]Upcaster     // from version → version+1
	past      map[int]reflect.Type // data types of older versions, for their schemas
	doc       string
	secrets   [][]string // JSON paths of the fields tagged audit:"secret"
	aggregate string     // the one aggregate type it is recorded on; "" if not declared
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{types: map[string]*registration{}} }

// Default is the registry of the product's events; each aggregate's file
// registers its events in init.
var Default = NewRegistry()

// Register records that events named name carry data of type T at schema
// version. Registering a name twice panics: it is a programming error.
func Register[T any](r *Registry, name string, version int, doc string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.types[name]; dup {
		panic("events: type registered twice: " + name)
	}
	if version < 1 {
		panic("events: version must be at least 1: " + name)
	}
	r.types[name] = &registration{
		name: name, version: version, dataType: reflect.TypeFor[T](),
		upcasters: map[int]Upcaster{}, past: map[int]reflect.Type{}, doc: doc,
		secrets: secretPaths(reflect.TypeFor[T](), nil, map[reflect.Type]bool{}),
	}
}

// Owns declares that events named names are recorded on aggregate alone.
// Filters of one type then name the aggregate too, which lets the broker
// skip every other aggregate's subjects when it looks for a consumer's
// next message, and the event store refuses such an event on another
// aggregate. Declaring an unregistered name, or a second owner, panics.
func (r *Registry) Owns(aggregate string, names ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, name := range names {
		reg, ok := r.types[name]
		if !ok || (reg.aggregate != "" && reg.aggregate != aggregate) || !ValidToken(aggregate) {
			panic("events: cannot give " + name + " the aggregate " + aggregate)
		}
		reg.aggregate = aggregate
	}
}

// Aggregate returns the aggregate type name is recorded on, or "" if it
// is unknown or not declared.
func (r *Registry) Aggregate(name string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if reg, ok := r.types[name]; ok {
		return reg.aggregate
	}
	return ""
}

// Upcast registers how data of name at version from becomes version from+1.
func (r *Registry) Upcast(name string, from int, up Upcaster) {
	r.mu.Lock()
	defer r.mu.Unlock()
	reg, ok := r.types[name]
	if !ok {
		panic("events: upcaster for an unregistered type: " + name)
	}
	reg.upcasters[from] = up
}

// Version returns the current schema version of name, or 0 if unknown.
func (r *Registry) Version(name string) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if reg, ok := r.types[name]; ok {
		return reg.version
	}
	return 0
}

// Known reports whether name is registered.
func (r *Registry) Known(name string) bool { return r.Version(name) > 0 }

// Names lists the registered type names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.types))
	for n := range r.types {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Doc returns the one-line description of name.
func (r *Registry) Doc(name string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if reg, ok := r.types[name]; ok {
		return reg.doc
	}
	return ""
}

// RegisterPast records the data type T of an older version of name, kept
// when the version is raised so that the documented schemas still cover
// the events stored before (the upcaster reads them; this only describes
// them).
func RegisterPast[T any](r *Registry, name string, version int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	reg, ok := r.types[name]
	if !ok || version < 1 || version >= reg.version {
		panic(fmt.Sprintf("events: no older version %d of %s", version, name))
	}
	reg.past[version] = reflect.TypeFor[T]()
}

// DataType returns the Go type of name's data at version, or nil if it is
// unknown: the source of its documented JSON Schema.
func (r *Registry) DataType(name string, version int) reflect.Type {
	r.mu.RLock()
	defer r.mu.RUnlock()
	reg, ok := r.types[name]
	switch {
	case !ok:
		return nil
	case version == reg.version:
		return reg.dataType
	default:
		return reg.past[version]
	}
}

// Decode returns the envelope's data as a pointer to its registered struct,
// upcast to the current version. The envelope's Version and Data are
// updated to what was decoded.
func (r *Registry) Decode(e *Envelope) (any, error) {
	r.mu.RLock()
	reg, ok := r.types[e.Type]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown event type %q at position %d", e.Type, e.Position)
	}
	if err := upcast(reg, e); err != nil {
		return nil, err
	}
	v := reflect.New(reg.dataType)
	if err := json.Unmarshal(e.Data, v.Interface()); err != nil {
		return nil, fmt.Errorf("decode %s at position %d: %w", e.Type, e.Position, err)
	}
	return v.Interface(), nil
}

// upcast brings e's data to reg's current version.
func upcast(reg *registration, e *Envelope) error {
	if e.Version > reg.version {
		return fmt.Errorf("event %s at position %d has version %d, newer than this build's %d", e.Type, e.Position, e.Version, reg.version)
	}
	for e.Version < reg.version {
		up, ok := reg.upcasters[e.Version]
		if !ok {
			return fmt.Errorf("no upcaster for %s from version %d", e.Type, e.Version)
		}
		data, err := up(e.Data)
		if err != nil {
			return fmt.Errorf("upcast %s from version %d at position %d: %w", e.Type, e.Version, e.Position, err)
		}
		e.Data, e.Version = data, e.Version+1
	}
	return nil
}
