package query

import (
	"slices"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/humatest"
)

func TestIfNoneMatch(t *testing.T) {
	for _, c := range []struct {
		header string
		match  bool
	}{
		{`"a1"`, true}, {`W/"a1"`, true}, {`"b", "a1"`, true}, {`*`, true}, {` * `, true},
		{`"a2"`, false}, {`a1`, false}, {`"b","c"`, false},
	} {
		if got := noneMatchHas(c.header, `"a1"`); got != c.match {
			t.Errorf("If-None-Match %s against \"a1\": %v, want %v", c.header, got, c.match)
		}
	}
}

// Every GET of the read side documents its ETag, Cache-Control, the
// If-None-Match it takes and its 304.
func TestEveryReadDeclaresItsConditionalGet(t *testing.T) {
	_, api := humatest.New(t)
	New(Deps{}).Register(api)
	n := 0
	for path, item := range api.OpenAPI().Paths {
		op := item.Get
		if op == nil || path == "/.well-known/jwks.json" {
			continue
		}
		n++
		ok, nm := op.Responses["200"], op.Responses["304"]
		if ok == nil || ok.Headers["ETag"] == nil || ok.Headers["Cache-Control"] == nil || nm == nil || nm.Headers["ETag"] == nil {
			t.Errorf("GET %s: 200 %+v, 304 %+v", path, ok, nm)
		}
		if !slices.ContainsFunc(op.Parameters, func(p *huma.Param) bool { return p.Name == "If-None-Match" && p.In == "header" }) {
			t.Errorf("GET %s takes no If-None-Match", path)
		}
	}
	if n < 15 {
		t.Fatalf("%d GETs registered", n)
	}
}
