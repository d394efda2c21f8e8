package events_test

import (
	"encoding/json"
	"testing"

	"github.com/chatbotsaas/chatbot/events"
)

// FuzzUpcastAndDecode feeds arbitrary stored messages through what a
// reader does with them: the envelope is parsed, its data brought to the
// current version by the upcasters and decoded. None panics; a message of
// a version newer than the build's, or one no upcaster covers, is refused;
// one that decodes comes out at the current version. It runs on the
// product's registry and on one with a chain of two upcasters. Seeds are
// in testdata/fuzz/FuzzUpcastAndDecode.
func FuzzUpcastAndDecode(f *testing.F) {
	chain := events.NewRegistry()
	events.Register[renamedV3](chain, "Rated", 3, "test")
	chain.Upcast("Rated", 1, func(d json.RawMessage) (json.RawMessage, error) {
		var v struct{ Name string }
		if err := json.Unmarshal(d, &v); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"title": v.Name})
	})
	chain.Upcast("Rated", 2, func(d json.RawMessage) (json.RawMessage, error) {
		var v map[string]any
		if err := json.Unmarshal(d, &v); err != nil {
			return nil, err
		}
		v["stars"] = 5
		return json.Marshal(v)
	})
	for _, seed := range []string{
		`{"id":"e1","type":"Rated","version":1,"tenant_id":"t","aggregate_type":"film","aggregate_id":"f","data":{"Name":"x"}}`,
		`{"id":"e1","type":"Rated","version":4,"tenant_id":"t","aggregate_type":"film","aggregate_id":"f","data":{}}`,
		`{"id":"e1","type":"ChatbotCreated","version":1,"tenant_id":"t","aggregate_type":"chatbot","aggregate_id":"b","data":{"name":"n"}}`,
		`{"id":"e1","type":"ChatbotCreated","version":0,"tenant_id":"t","aggregate_type":"chatbot","aggregate_id":"b","data":null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		env, err := events.Unmarshal(raw, 1)
		if err != nil {
			return
		}
		for _, reg := range []*events.Registry{events.Default, chain} {
			e := env
			current := reg.Version(e.Type)
			if _, err := reg.Decode(&e); err == nil {
				if e.Version != current {
					t.Fatalf("%s decoded at version %d, not the current %d", raw, e.Version, current)
				}
			} else if current > 0 && env.Version == current && json.Valid(env.Data) && reg == chain {
				var v renamedV3
				if json.Unmarshal(env.Data, &v) == nil {
					t.Fatalf("%s: current data refused: %v", raw, err)
				}
			}
		}
	})
}
