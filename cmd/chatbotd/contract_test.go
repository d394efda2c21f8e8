package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The contract: every answer the end-to-end tests get through client.do
// is checked against the OpenAPI document the same server serves at
// /openapi.json, with kin-openapi: its status is one the operation lists
// (or its default), and its headers and body match that response's
// schemas. Paths outside the document (/metrics, /docs) are not checked.

var contracts sync.Map // base URL → *contract

type contract struct {
	once   sync.Once
	router routers.Router
	err    error
}

// contractOf loads the document of the server at base once.
func contractOf(base string) (routers.Router, error) {
	v, _ := contracts.LoadOrStore(base, &contract{})
	c := v.(*contract)
	c.once.Do(func() {
		res, err := http.Get(base + "/openapi.json")
		if err != nil {
			c.err = err
			return
		}
		raw, err := io.ReadAll(res.Body)
		if cerr := res.Body.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			c.err = err
			return
		}
		doc, err := openapi3.NewLoader().LoadFromData(raw)
		if err != nil {
			c.err = err
			return
		}
		// The server's own address, so that the router matches its URLs.
		doc.Servers = openapi3.Servers{{URL: base}}
		c.router, c.err = gorillamux.NewRouter(doc)
	})
	return c.router, c.err
}

// checkContract fails the test when an answer breaks the document.
func checkContract(t *testing.T, base string, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	if err := contractError(base, req, status, header, body); err != nil {
		t.Errorf("%s %s answered %d against the OpenAPI document: %v\n%s", req.Method, req.URL.Path, status, err, body)
	}
}

// contractError is how an answer breaks the document, if it does.
func contractError(base string, req *http.Request, status int, header http.Header, body []byte) error {
	router, err := contractOf(base)
	if err != nil {
		return fmt.Errorf("the OpenAPI document of %s: %w", base, err)
	}
	route, params, err := router.FindRoute(req)
	if errors.Is(err, routers.ErrPathNotFound) || errors.Is(err, routers.ErrMethodNotAllowed) {
		return nil // not an operation of the document
	}
	if err != nil {
		return err
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	return openapi3filter.ValidateResponse(context.Background(), in)
}

func TestTheContractCheckFindsAnAnswerThatBreaksTheDocument(t *testing.T) {
	c, _ := startIdentity(t)
	su := c.signup("ada@example.com")
	tok := c.login("ada@example.com", "correct horse battery").str("access_token")
	me := c.do("GET", "/v1/me", nil, bearer(tok)...) // checked as every answer is
	req, err := http.NewRequest("GET", c.base+"/v1/me", nil)
	if err != nil {
		t.Fatalf("build the request: %v", err)
	}
	if err := contractError(c.base, req, me.status, me.header, []byte(me.raw)); err != nil {
		t.Fatalf("the real answer: %v", err)
	}
	for name, broken := range map[string]struct {
		status int
		body   string
	}{
		"a field of the wrong type":      {200, strings.Replace(me.raw, `"`+su.str("user_id")+`"`, "42", 1)},
		"a required field missing":       {200, `{"name":"Ada"}`},
		"an unlisted status, no problem": {418, `{}`},
		"a problem without code":         {401, `{"status":401}`},
	} {
		if err := contractError(c.base, req, broken.status, me.header, []byte(broken.body)); err == nil {
			t.Errorf("%s passed the contract: %d %s", name, broken.status, broken.body)
		}
	}
}
