// Package params carries a request type as the path and query parameters of a URL, by the
// names of its JSON fields: the gateway service binds its GET requests with Decode,
// gateway/client builds them with Encode, and the OpenAPI document lists the parameters
// Fields finds, so the three cannot disagree.
//
// A request type is a struct (embedded structs are flattened, as encoding/json does) whose
// fields are strings, integers, booleans or times (RFC 3339). A field is a path parameter
// when the route's pattern has a wildcard of its JSON name ("/v1/orders/orders/{id}"), a
// query parameter otherwise; a field without omitempty is a required one.
package params

import (
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cxledger/cxledger/cxlerr"
)

// Field is one parameter of a request type.
type Field struct {
	// Name is the field's JSON name, the parameter's name.
	Name string
	// Type is its JSON schema type: "string", "integer" or "boolean".
	Type string
	// Format is "date-time" for a time, else "".
	Format string
	// Required is set for a field without omitempty.
	Required bool
	index    []int
}

var (
	timeType = reflect.TypeFor[time.Time]()
	cache    sync.Map // reflect.Type -> fieldsOf
)

type fieldsOf struct {
	fields []Field
	err    error
}

// Fields lists the parameters of request type t, a struct, in field order. It fails on a
// field of a kind a URL cannot carry.
func Fields(t reflect.Type) ([]Field, error) {
	if c, ok := cache.Load(t); ok {
		f := c.(fieldsOf)
		return f.fields, f.err
	}
	var fields []Field
	err := collect(t, nil, &fields)
	cache.Store(t, fieldsOf{fields, err})
	return fields, err
}

func collect(t reflect.Type, index []int, out *[]Field) error {
	if t.Kind() != reflect.Struct {
		return fmt.Errorf("params: %s is not a struct", t)
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		idx := append(append([]int(nil), index...), i)
		switch {
		case tag == "-" || !f.IsExported() && !f.Anonymous:
			continue
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			if err := collect(f.Type, idx, out); err != nil {
				return err
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		field := Field{Name: name, Required: !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero"), index: idx}
		switch k := f.Type.Kind(); {
		case f.Type == timeType:
			field.Type, field.Format = "string", "date-time"
		case k == reflect.String:
			field.Type = "string"
		case k == reflect.Bool:
			field.Type = "boolean"
		case k >= reflect.Int && k <= reflect.Int64:
			field.Type = "integer"
		default:
			return fmt.Errorf("params: %s.%s: a %s cannot be a URL parameter", t, f.Name, f.Type)
		}
		*out = append(*out, field)
	}
	return nil
}

// Decode sets the fields of the struct dst points to from the route's path wildcards (path
// returns a wildcard's value by name) and the query. A query parameter the type does not
// have, a repeated one, a name or value that is not valid UTF-8, or a value that does not
// parse is Invalid.
func Decode(dst any, pattern string, path func(name string) string, query url.Values) error {
	v := reflect.ValueOf(dst).Elem()
	fields, err := Fields(v.Type())
	if err != nil {
		return err
	}
	for name, vals := range query {
		if !utf8.ValidString(name) {
			return cxlerr.Errorf(cxlerr.Invalid, "a query parameter's name is not valid UTF-8")
		}
		for _, s := range vals {
			if !utf8.ValidString(s) {
				return cxlerr.Errorf(cxlerr.Invalid, "query parameter %s: not valid UTF-8", name)
			}
		}
	}
	wild := wildcards(pattern)
	known := map[string]bool{}
	for _, f := range fields {
		known[f.Name] = true
		var s string
		if wild[f.Name] {
			if s = path(f.Name); !utf8.ValidString(s) {
				return cxlerr.Errorf(cxlerr.Invalid, "path parameter %s: not valid UTF-8", f.Name)
			}
		} else {
			vals, ok := query[f.Name]
			if !ok {
				continue
			}
			if len(vals) != 1 {
				return cxlerr.Errorf(cxlerr.Invalid, "query parameter %s: given %d times", f.Name, len(vals))
			}
			s = vals[0]
		}
		if err := set(v.FieldByIndex(f.index), s); err != nil {
			return cxlerr.Errorf(cxlerr.Invalid, "parameter %s: %q: %v", f.Name, s, err)
		}
	}
	for name := range query {
		if !known[name] || wild[name] {
			return cxlerr.Errorf(cxlerr.Invalid, "unknown query parameter %q; see /openapi.json", name)
		}
	}
	return nil
}

func set(v reflect.Value, s string) error {
	switch {
	case v.Type() == timeType:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("want an RFC 3339 time")
		}
		v.Set(reflect.ValueOf(t))
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		v.SetBool(b)
	default:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("want an integer")
		}
		v.SetInt(n)
	}
	return nil
}

// Encode renders req, a request struct, as a URL path and query for a route: each wildcard
// of pattern takes the (escaped) value of the field of its name, and every other field that
// is not its zero value becomes a query parameter.
func Encode(pattern string, req any) (string, url.Values, error) {
	v := reflect.ValueOf(req)
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	fields, err := Fields(v.Type())
	if err != nil {
		return "", nil, err
	}
	wild := wildcards(pattern)
	path, query := pattern, url.Values{}
	for _, f := range fields {
		fv := v.FieldByIndex(f.index)
		var s string
		switch {
		case fv.Type() == timeType:
			s = fv.Interface().(time.Time).Format(time.RFC3339Nano)
		case fv.Kind() == reflect.String:
			s = fv.String()
		case fv.Kind() == reflect.Bool:
			s = strconv.FormatBool(fv.Bool())
		default:
			s = strconv.FormatInt(fv.Int(), 10)
		}
		switch {
		case wild[f.Name]:
			if s == "" {
				return "", nil, cxlerr.Errorf(cxlerr.Invalid, "%s: required", f.Name)
			}
			path = strings.Replace(path, "{"+f.Name+"}", url.PathEscape(s), 1)
		case !fv.IsZero():
			query.Set(f.Name, s)
		}
	}
	return path, query, nil
}

// wildcards is the set of the wildcards of a route pattern.
func wildcards(pattern string) map[string]bool {
	w := map[string]bool{}
	for _, name := range Wildcards(pattern) {
		w[name] = true
	}
	return w
}

// Wildcards lists the wildcards of a route pattern in order.
func Wildcards(pattern string) []string {
	var names []string
	for rest := pattern; ; {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest, '}')
		if i < 0 || j < i {
			return names
		}
		names = append(names, strings.TrimSuffix(rest[i+1:j], "..."))
		rest = rest[j+1:]
	}
}
