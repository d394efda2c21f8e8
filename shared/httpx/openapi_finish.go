package httpx

import (
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// FinishSpec settles the schemas once every route is registered:
//   - a schema only answers use is open (no additionalProperties: false):
//     API.md lets an answer gain fields, and a strict client must not
//     break then. Request schemas stay closed: an unknown field is refused.
//   - an array in an answer is never null: the server sends [] for none.
//   - each pair in same names one thing answered under two schemas (a
//     chatbot as a write and as a read answer it): the first is folded
//     into the second, which requires what both always carry.
func FinishSpec(api huma.API, same map[string]string) {
	oapi := api.OpenAPI()
	schemas := oapi.Components.Schemas.Map()
	for from, into := range same {
		fold(oapi, schemas, from, into)
	}
	inRequests := map[*huma.Schema]bool{}
	for _, op := range operations(oapi) {
		for _, p := range op.Parameters {
			reach(schemas, p.Schema, inRequests)
		}
		if op.RequestBody != nil {
			for _, mt := range op.RequestBody.Content {
				reach(schemas, mt.Schema, inRequests)
			}
		}
	}
	seen := map[*huma.Schema]bool{}
	for _, op := range operations(oapi) {
		for _, r := range op.Responses {
			for _, mt := range r.Content {
				reach(schemas, mt.Schema, seen)
			}
		}
	}
	for s := range seen {
		if inRequests[s] {
			continue
		}
		if s.Type == "object" && s.AdditionalProperties == false {
			s.AdditionalProperties = nil
		}
		if s.Type == "array" {
			s.Nullable = false
		}
	}
}

// operations are every operation of the spec.
func operations(oapi *huma.OpenAPI) []*huma.Operation {
	var ops []*huma.Operation
	for _, item := range oapi.Paths {
		for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Patch, item.Head, item.Options} {
			if op != nil {
				ops = append(ops, op)
			}
		}
	}
	return ops
}

// reach marks s and every schema it leads to (through $ref, properties,
// items and compositions).
func reach(schemas map[string]*huma.Schema, s *huma.Schema, marked map[*huma.Schema]bool) {
	if s == nil || marked[s] {
		return
	}
	marked[s] = true
	if s.Ref != "" {
		reach(schemas, schemas[refName(s.Ref)], marked)
	}
	reach(schemas, s.Items, marked)
	if extra, ok := s.AdditionalProperties.(*huma.Schema); ok {
		reach(schemas, extra, marked)
	}
	for _, p := range s.Properties {
		reach(schemas, p, marked)
	}
	for _, list := range [][]*huma.Schema{s.OneOf, s.AnyOf, s.AllOf} {
		for _, c := range list {
			reach(schemas, c, marked)
		}
	}
	reach(schemas, s.Not, marked)
}

func refName(ref string) string { return ref[strings.LastIndex(ref, "/")+1:] }

// fold makes every reference to the schema from point to into instead, into
// gaining the properties only from has and requiring only what both
// require, and drops from. When into is not registered, from is renamed.
func fold(oapi *huma.OpenAPI, schemas map[string]*huma.Schema, from, into string) {
	src, ok := schemas[from]
	if !ok {
		return
	}
	dst, ok := schemas[into]
	if !ok {
		schemas[into] = src
	} else {
		for name, p := range src.Properties {
			if _, has := dst.Properties[name]; !has {
				dst.Properties[name] = p
			}
		}
		dst.Required = slices.DeleteFunc(dst.Required, func(r string) bool { return !slices.Contains(src.Required, r) })
	}
	delete(schemas, from)
	fromRef, intoRef := "#/components/schemas/"+from, "#/components/schemas/"+into
	all := map[*huma.Schema]bool{}
	for _, s := range schemas {
		reach(schemas, s, all)
	}
	for _, op := range operations(oapi) {
		for _, r := range op.Responses {
			for _, mt := range r.Content {
				reach(schemas, mt.Schema, all)
			}
		}
	}
	for s := range all {
		if s.Ref == fromRef {
			s.Ref = intoRef
		}
	}
}
