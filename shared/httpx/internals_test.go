package httpx_test

import (
	"encoding/json"
	"strings"
)

// decoderWords are what decoders and the runtime say, never a person:
// Go type names, decoder phrasing, stack traces and file paths.
var decoderWords = []string{
	"json:", "Go value", "Go struct", "unmarshal", "Unmarshal", "goroutine", ".go:", "of type",
	"float32", "float64", "int8", "int16", "int32", "int64", "uint", "map[", "[]interface", "interface {}",
	"reflect", "runtime", "panic", "/usr/", "/home/", "/root/", "invalid character",
}

// internals returns the first decoder word a problem body shows to the
// client in its sentences (detail, title, messages), or "". The field
// names of errors echo the client's own keys and are not searched.
func internals(body string) string {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	text := body
	if json.Unmarshal([]byte(body), &p) == nil {
		text = p.Title + "\n" + p.Detail
		for _, e := range p.Errors {
			text += "\n" + e.Message
		}
	}
	for _, w := range decoderWords {
		if strings.Contains(text, w) {
			return w
		}
	}
	return ""
}
