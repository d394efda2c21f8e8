package query

import (
	"fmt"
	"testing"
)

func TestADecodedValueIsServedOnlyForTheSameKeyAndTheSameJSON(t *testing.T) {
	d := &decodedValues{m: map[string]decodedValue{}}
	d.put("t:a:users:v1:g1:me:u1", []byte(`{"id":"u1"}`), Me{ID: "u1"})
	if v, ok := d.get("t:a:users:v1:g1:me:u1", []byte(`{"id":"u1"}`)).(Me); !ok || v.ID != "u1" {
		t.Fatalf("same key, same JSON: %v %v", v, ok)
	}
	if v := d.get("t:a:users:v1:g1:me:u1", []byte(`{"id":"u2"}`)); v != nil {
		t.Errorf("same key, other JSON: %v, want nothing", v)
	}
	if v := d.get("t:b:users:v1:g1:me:u1", []byte(`{"id":"u1"}`)); v != nil {
		t.Errorf("another tenant's key: %v, want nothing", v)
	}
	for i := range decodedMax + 10 {
		d.put(fmt.Sprint("k", i), []byte("{}"), Me{})
	}
	if n := len(d.m); n > decodedMax {
		t.Errorf("%d values kept, over the bound %d", n, decodedMax)
	}
}
