// Package strictjson decodes JSON from callers that may be hostile: one value of bounded size,
// valid UTF-8, no repeated object key at any depth, no field the target type does not declare
// and nothing after the value. Every refusal is an INVALID *cxlerr.Error that says where: the
// field, or the byte offset in the input.
//
// The chaincode decodes every transaction argument with it, and the gateway service can decode
// request bodies with the same function, so both refuse the same input the same way.
//
// It imports only the standard library and cxlerr.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/cxledger/cxledger/cxlerr"
)

// Decode decodes data, which must hold exactly one JSON value of at most maxBytes bytes, into
// v, a non-nil pointer. It refuses, with an INVALID error:
//
//   - more than maxBytes bytes, or nothing but white space;
//   - bytes that are not valid UTF-8 (naming the offset of the first);
//   - a syntax error (naming its offset), or data after the value;
//   - an object key that appears twice in the same object, at any depth (encoding/json would
//     keep the last value silently; naming the key's path and offset);
//   - a field v's type does not declare, and a value of the wrong JSON type (naming the field).
//
// Field names are matched as encoding/json matches them: exactly, then without regard to case.
// A v that is not a non-nil pointer is a programming error, reported as INTERNAL.
func Decode(data []byte, v any, maxBytes int) error {
	if rv := reflect.ValueOf(v); rv.Kind() != reflect.Pointer || rv.IsNil() {
		return cxlerr.Errorf(cxlerr.Internal, "strictjson: decode into %T, want a non-nil pointer", v)
	}
	if len(data) > maxBytes {
		return cxlerr.Errorf(cxlerr.Invalid, "%d bytes, more than %d", len(data), maxBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return cxlerr.Errorf(cxlerr.Invalid, "empty, want a JSON value")
	}
	if i := invalidUTF8(data); i >= 0 {
		return cxlerr.Errorf(cxlerr.Invalid, "not valid UTF-8 at offset %d", i)
	}
	if err := scan(data); err != nil {
		return err
	}
	if t := reflect.TypeOf(v).Elem(); t.Kind() == reflect.Struct {
		// encoding/json leaves a struct as it is for null: a request that names nothing.
		if first := bytes.TrimSpace(data)[0]; first != '{' {
			return cxlerr.Errorf(cxlerr.Invalid, "want an object, got JSON %s", jsonKindOf(first))
		}
	}
	if i := loneSurrogate(data); i >= 0 {
		return cxlerr.Errorf(cxlerr.Invalid, "escape at offset %d is half of a UTF-16 surrogate pair, not a character", i)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	return nil
}

// invalidUTF8 returns the offset of the first byte of data that is not part of valid UTF-8,
// or -1.
func invalidUTF8(data []byte) int {
	if utf8.Valid(data) {
		return -1
	}
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// loneSurrogate returns the offset of the first \u escape in data, which scan has found to be
// valid JSON, that is half of a UTF-16 surrogate pair standing alone (encoding/json would
// silently turn it into U+FFFD), or -1. Outside strings valid JSON has no backslash, so
// every backslash starts an escape.
func loneSurrogate(data []byte) int {
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' {
			continue
		}
		if i+1 < len(data) && data[i+1] != 'u' {
			i++ // a two-byte escape, such as \\ or \"
			continue
		}
		r := hex4(data, i+2)
		switch {
		case utf16.IsSurrogate(r) && r < 0xdc00:
			if i+12 > len(data) || data[i+6] != '\\' || data[i+7] != 'u' {
				return i
			}
			if low := hex4(data, i+8); low < 0xdc00 || low > 0xdfff {
				return i
			}
			i += 11
		case utf16.IsSurrogate(r):
			return i
		default:
			i += 5
		}
	}
	return -1
}

// hex4 is the value of the four hex digits at data[at:], or -1.
func hex4(data []byte, at int) rune {
	if at+4 > len(data) {
		return -1
	}
	n, err := strconv.ParseUint(string(data[at:at+4]), 16, 32)
	if err != nil {
		return -1
	}
	return rune(n)
}

// jsonKindOf names the kind of the JSON value that starts with first.
func jsonKindOf(first byte) string {
	switch first {
	case 'n':
		return "null"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	}
	return "number"
}

// frame is an object or array being scanned.
type frame struct {
	// path names the object or array: "" for the top level, else "a.b[2]".
	path string
	// object is true for an object, false for an array.
	object bool
	// keys are the keys seen so far in an object.
	keys map[string]bool
	// key is the object's current key, once read; wantKey is true while the next token is a
	// key or the end of the object.
	key     string
	wantKey bool
	// index is the array's current element.
	index int
}

// child names the value the frame is at.
func (f *frame) child() string {
	if !f.object {
		return f.path + "[" + strconv.Itoa(f.index) + "]"
	}
	if f.path == "" {
		return f.key
	}
	return f.path + "." + f.key
}

// scan checks that data is one syntactically valid JSON value with nothing after it and no
// object with a repeated key.
func scan(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*frame
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return syntaxError(err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.wantKey {
			if key, ok := tok.(string); ok {
				// encoding/json matches field names without regard to case, so keys that
				// differ only in case would fill one field: refuse them as repeated.
				folded := strings.ToLower(key)
				if top.keys[folded] {
					return cxlerr.Errorf(cxlerr.Invalid, "duplicate key %q at offset %d", joinKey(top.path, key), keyStart(data, before))
				}
				top.keys[folded] = true
				top.key, top.wantKey = key, false
				continue
			}
			// Token only returns '}' where a key may stand.
			stack = stack[:len(stack)-1]
		} else {
			switch tok {
			case json.Delim('{'):
				stack = append(stack, &frame{path: pathOf(top), object: true, keys: map[string]bool{}, wantKey: true})
				continue
			case json.Delim('['):
				stack = append(stack, &frame{path: pathOf(top)})
				continue
			case json.Delim(']'):
				stack = stack[:len(stack)-1]
			}
		}
		// A value is complete.
		if len(stack) == 0 {
			break
		}
		if top = stack[len(stack)-1]; top.object {
			top.wantKey = true
		} else {
			top.index++
		}
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return cxlerr.Errorf(cxlerr.Invalid, "unexpected data after the JSON value, which ends at offset %d", end)
	}
	return nil
}

// pathOf names the value the innermost open frame is at, "" at the top level.
func pathOf(top *frame) string {
	if top == nil {
		return ""
	}
	return top.child()
}

// joinKey names key in the object at path.
func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// keyStart returns the offset of the key that follows offset from in data: past white space
// and a comma.
func keyStart(data []byte, from int64) int64 {
	for from < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[from]) >= 0 {
		from++
	}
	return from
}

// syntaxError renders an error of the token scan.
func syntaxError(err error) error {
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax):
		return cxlerr.Errorf(cxlerr.Invalid, "invalid JSON at offset %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return cxlerr.Errorf(cxlerr.Invalid, "JSON ends early")
	}
	return cxlerr.Errorf(cxlerr.Invalid, "invalid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// decodeError renders an error of encoding/json's decoder.
func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return syntaxError(err)
	case errors.As(err, &typ) && typ.Field != "":
		return cxlerr.Errorf(cxlerr.Invalid, "%s: want %s, got JSON %s at offset %d", typ.Field, jsonKind(typ.Type), typ.Value, typ.Offset)
	case errors.As(err, &typ):
		return cxlerr.Errorf(cxlerr.Invalid, "want %s, got JSON %s", jsonKind(typ.Type), typ.Value)
	}
	// Unknown fields and errors of UnmarshalJSON methods (a malformed time).
	return cxlerr.Errorf(cxlerr.Invalid, "%s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	default:
		return "an object"
	}
}
