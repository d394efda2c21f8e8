package query

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/shared/auth"
)

type jwksOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         struct {
		Keys []auth.JWK `json:"keys"`
	}
}

func (s *Side) registerJWKS(api huma.API) {
	huma.Register(api, auth.Public(huma.Operation{
		OperationID: "jwks", Method: http.MethodGet, Path: "/.well-known/jwks.json", Tags: []string{"Auth"},
		Summary: "Public keys that verify access tokens (kid in each token's header)",
	}), func(context.Context, *struct{}) (*jwksOutput, error) {
		out := &jwksOutput{CacheControl: "public, max-age=300"}
		out.Body.Keys = s.deps.Keys.JWKS()
		return out, nil
	})
}
