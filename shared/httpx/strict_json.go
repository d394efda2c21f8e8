package httpx

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"

	"github.com/danielgtaylor/huma/v2"
)

// Keys match exactly. The schema validation huma runs before decoding
// compares keys case-insensitively by default while encoding/json matches
// them case-insensitively too, last one winning, so {"message": "hi",
// "MESSAGE": <anything>} would pass the schema with one value and reach the
// handler with the other. With strict casing a key in another letter case
// is an unknown field (400); duplicateKey refuses a key given twice.
// New sets it as it configures the first API (configureHuma).
func strictCasing() { huma.ValidateStrictCasing = true }

// jsonFormat is huma's JSON format with decoder errors put in words for
// people: encoding/json's name Go types ("cannot unmarshal number 1e400
// into Go value of type float64").
var jsonFormat = huma.Format{
	Marshal: huma.DefaultJSONFormat.Marshal,
	Unmarshal: func(data []byte, v any) error {
		if err := json.Unmarshal(data, v); err != nil {
			return plainDecodeError(err)
		}
		return nil
	},
}

// plainDecodeError says what is wrong with a body without the decoder's
// words. The value at fault is never echoed.
func plainDecodeError(err error) error {
	var typ *json.UnmarshalTypeError
	var syntax *json.SyntaxError
	at := ""
	switch {
	case errors.As(err, &typ):
		if typ.Field != "" {
			at = " at " + typ.Field
		}
		if len(typ.Value) > len("number") && typ.Value[:len("number")] == "number" && isNumber(typ.Type) {
			return errors.New("the number" + at + " is out of range")
		}
		return errors.New("the value" + at + " has the wrong type")
	case errors.As(err, &syntax):
		return errors.New("the request body is not valid JSON (at byte " + strconv.FormatInt(syntax.Offset, 10) + ")")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the request body ends before its JSON does")
	}
	return errors.New("the request body is not valid JSON")
}

func isNumber(t reflect.Type) bool {
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// maxDepth bounds the nesting walked for duplicate keys; deeper bodies are
// refused as they would be by any sane client.
const maxDepth = 64

var errTooDeep = errors.New("the request body is nested too deeply")
