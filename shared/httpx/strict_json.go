package httpx

import (
	"bytes"
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

// duplicateKey finds a key given twice in one object, at any depth, and
// returns its path. Malformed JSON is left to the decoder to report.
func duplicateKey(body []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // numbers are not parsed here, only walked past
	path, err := walkValue(dec, "", 0)
	if errors.Is(err, errTooDeep) {
		return "", err
	}
	return path, nil
}

// walkValue reads one value; it returns the path of a duplicate key within
// it, or an error if the value cannot be read.
func walkValue(dec *json.Decoder, path string, depth int) (string, error) {
	if depth > maxDepth {
		return "", errTooDeep
	}
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]struct{}{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return "", err
			}
			key, _ := kt.(string)
			at := key
			if path != "" {
				at = path + "." + key
			}
			if _, dup := seen[key]; dup {
				return at, nil
			}
			seen[key] = struct{}{}
			if dup, err := walkValue(dec, at, depth+1); dup != "" || err != nil {
				return dup, err
			}
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if dup, err := walkValue(dec, path+"["+strconv.Itoa(i)+"]", depth+1); dup != "" || err != nil {
				return dup, err
			}
		}
	default:
		return "", nil
	}
	_, err = dec.Token() // the closing delimiter
	return "", err
}
