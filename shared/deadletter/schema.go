package deadletter

import "github.com/danielgtaylor/huma/v2"

// TransformSchema shows resolved_by as an Actor or null (an open letter):
// huma does not mark a reference to an object nullable itself, and a
// client generated from the document would otherwise refuse the null.
// LetterDetail has it too, through Letter.
func (Letter) TransformSchema(_ huma.Registry, s *huma.Schema) *huma.Schema {
	if p, ok := s.Properties["resolved_by"]; ok && p.Ref != "" {
		s.Properties["resolved_by"] = &huma.Schema{Description: p.Description,
			AnyOf: []*huma.Schema{{Ref: p.Ref}, {Type: "null"}}}
	}
	return s
}
