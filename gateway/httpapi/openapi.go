package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// OpenAPI returns the OpenAPI 3 description of every route the server serves, with JSON
// schemas derived from the request and response types.
func (s *Server) OpenAPI() map[string]any {
	g := &schemas{defs: map[string]any{}}
	errorRef := g.of(typeOf[cxlerr.Error]())
	paths := map[string]map[string]any{}
	for _, rt := range s.routes {
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = g.operation(rt, errorRef)
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":   "cxledger gateway",
			"version": "1",
			"description": "Typed REST API over the cxledger chaincode. A mutation answers 200 only once its transaction committed VALID, " +
				"202 with Location /v1/transactions/{id} when the commit is not known by the request deadline. Every mutation needs an " +
				"Idempotency-Key: the same key with the same body returns the first outcome, with another body 422, while in progress 409. " +
				"Errors are one envelope {code, message, transactionId, retryable}.",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": g.defs,
			"securitySchemes": map[string]any{
				"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key"},
				"bearer": map[string]any{"type": "http", "scheme": "bearer"},
			},
		},
	}
}

// errorResponses are the error statuses a route can answer with, besides those every
// route shares.
func errorResponses(rt Route) []int {
	codes := []int{http.StatusInternalServerError}
	switch rt.Access {
	case AccessPrincipal:
		codes = append(codes, http.StatusUnauthorized, http.StatusTooManyRequests)
	case AccessPublic:
		codes = append(codes, http.StatusTooManyRequests)
	case AccessCustomer:
		codes = append(codes, http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusConflict)
	}
	if rt.Access != AccessOperations {
		codes = append(codes, http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusServiceUnavailable, http.StatusGatewayTimeout)
	}
	if rt.Path == "/readyz" {
		codes = append(codes, http.StatusServiceUnavailable)
	}
	if rt.Mutation {
		codes = append(codes, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity)
	}
	return codes
}

func (g *schemas) operation(rt Route, errorRef map[string]any) map[string]any {
	op := map[string]any{"operationId": rt.OperationID, "summary": rt.Summary, "tags": []string{rt.Tag}}
	var params []any
	for _, p := range rt.Params {
		schema := map[string]any{"type": p.Type}
		if p.Format != "" {
			schema["format"] = p.Format
		}
		params = append(params, map[string]any{"name": p.Name, "in": p.In, "required": p.Required || p.In == "path",
			"description": p.Description, "schema": schema})
	}
	if rt.Mutation {
		params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": true,
			"description": "unique per operation (e.g. a UUID), 1 to 128 printable ASCII characters; repeating it repeats nothing",
			"schema":      map[string]any{"type": "string", "maxLength": maxIdempotencyKey}})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if rt.Request != nil {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": g.of(rt.Request)}}}
	}
	var success map[string]any
	switch {
	case rt.Stream:
		success = map[string]any{"description": "a stream of events: id <block>:<txIndex>, event <contract>.<Type>, data the event as JSON",
			"content": map[string]any{"text/event-stream": map[string]any{"schema": g.of(rt.Response)}}}
	case rt.Mutation:
		success = map[string]any{"description": "OK", "content": map[string]any{"application/json": map[string]any{"schema": g.committed(rt.Response)}}}
	case rt.Response != nil:
		success = map[string]any{"description": "OK", "content": map[string]any{"application/json": map[string]any{"schema": g.of(rt.Response)}}}
	default:
		success = map[string]any{"description": "OK", "content": map[string]any{rt.ContentType: map[string]any{"schema": map[string]any{}}}}
	}
	if rt.Mutation {
		success["description"] = "the transaction committed VALID"
	}
	responses := map[string]any{"200": success}
	errContent := map[string]any{"application/json": map[string]any{"schema": errorRef}}
	if rt.Mutation {
		responses["202"] = map[string]any{
			"description": "submitted; the commit is not known yet (code PENDING): follow Location",
			"headers":     map[string]any{"Location": map[string]any{"schema": map[string]any{"type": "string"}, "description": "/v1/transactions/{id}"}},
			"content":     errContent,
		}
	}
	for _, code := range errorResponses(rt) {
		responses[strconv.Itoa(code)] = map[string]any{"description": http.StatusText(code), "content": errContent}
	}
	op["responses"] = responses
	if rt.Access == AccessPrincipal {
		op["security"] = []any{map[string]any{"apiKey": []string{}}, map[string]any{"bearer": []string{}}}
	} else {
		op["security"] = []any{}
	}
	return op
}

// schemas derives JSON schemas from Go types; named struct types become components.
type schemas struct {
	defs map[string]any
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
	// committedType is ledgerapi.Committed with a stand-in for its result, whose fields
	// the schema of every Committed[Result] lists with the result's type in its place.
	committedType = reflect.TypeFor[ledgerapi.Committed[resultSlot]]()
)

// resultSlot stands for the result type in committedType.
type resultSlot struct{}

// componentName is "<package>.<Type>", with the type arguments of a generic type by their
// package and name: ledgerapi.Committed_health.Ping.
func componentName(t reflect.Type) string { return shortName(t.PkgPath(), t.Name()) }

// typeArgument names t as it stands in the type arguments of a generic type's name:
// "github.com/cxledger/cxledger/chaincode/health.Ping", "[]...".
func typeArgument(t reflect.Type) string {
	switch {
	case t.Name() != "" && t.PkgPath() != "":
		return t.PkgPath() + "." + t.Name()
	case t.Kind() == reflect.Pointer:
		return "*" + typeArgument(t.Elem())
	case t.Kind() == reflect.Slice:
		return "[]" + typeArgument(t.Elem())
	}
	return t.String()
}

// committed is the schema of ledgerapi.Committed[res], the answer of a mutation whose
// contract returns a res: the component reflection would give that instance of the generic
// type, which cannot be made at run time.
func (g *schemas) committed(res reflect.Type) map[string]any {
	base, _, _ := strings.Cut(committedType.Name(), "[")
	name := shortName(committedType.PkgPath(), base+"["+typeArgument(res)+"]")
	if _, done := g.defs[name]; !done {
		g.defs[name] = map[string]any{}
		props := map[string]any{}
		var required []string
		g.fields(committedType, props, &required, res)
		obj := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			obj["required"] = required
		}
		g.defs[name] = obj
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// shortName is componentName of the type name (with its type arguments) of package
// pkgPath.
func shortName(pkgPath, typeName string) string {
	if published, ok := publishedNames[pkgPath+"."+typeName]; ok {
		return published
	}
	pkg := pkgPath[strings.LastIndex(pkgPath, "/")+1:]
	name, args, generic := strings.Cut(typeName, "[")
	if generic {
		var short []string
		for _, a := range strings.Split(strings.TrimSuffix(args, "]"), ",") {
			if published, ok := publishedNames[strings.TrimLeft(a, "*[]")]; ok {
				a = a[:len(a)-len(strings.TrimLeft(a, "*[]"))] + published
			}
			a = a[strings.LastIndex(a, "/")+1:]
			short = append(short, strings.NewReplacer("[", "_", "]", "", "*", "").Replace(a))
		}
		name += "_" + strings.Join(short, "_")
	}
	return pkg + "." + name
}

// publishedNames keeps the component names the document published before these types
// moved (the kit's role grant to ledgertypes, ledgerapi's copies of the provenance
// requests to the contract's own argument types): the shapes are the same, and a
// client generated from an earlier document keeps its names, since the document only
// grows. Keyed by the Go type's package path and name.
var publishedNames = map[string]string{
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes.RoleGrant":     "ledger.RoleGrant",
	"github.com/cxledger/cxledger/chaincode/provenance.CustodyArgs":           "ledgerapi.CustodyRequest",
	"github.com/cxledger/cxledger/chaincode/provenance.OfferCustodyArgs":      "ledgerapi.OfferCustodyRequest",
	"github.com/cxledger/cxledger/chaincode/provenance.RejectCustodyArgs":     "ledgerapi.RejectCustodyRequest",
	"github.com/cxledger/cxledger/chaincode/provenance.RegisterProductArgs":   "ledgerapi.RegisterProductRequest",
	"github.com/cxledger/cxledger/chaincode/provenance.RegisterLotArgs":       "ledgerapi.RegisterLotRequest",
	"github.com/cxledger/cxledger/chaincode/provenance.RegisterItemsArgs":     "ledgerapi.RegisterItemsRequest",
	"github.com/cxledger/cxledger/chaincode/provenance.IssueCertificateArgs":  "ledgerapi.IssueCertificateRequest",
	"github.com/cxledger/cxledger/chaincode/provenance.RevokeCertificateArgs": "ledgerapi.RevokeCertificateRequest",
	"github.com/cxledger/cxledger/chaincode/provenance.RecallLotArgs":         "ledgerapi.RecallLotRequest",
	"github.com/cxledger/cxledger/chaincode/provenance.SubjectArgs":           "provenance.CertificateSubject",
}

func (g *schemas) of(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{"description": "any JSON value"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}
		}
		return map[string]any{"type": "array", "items": g.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.of(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		name := componentName(t)
		if _, done := g.defs[name]; !done {
			g.defs[name] = map[string]any{} // placeholder: recursive types refer to it
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	default:
		return map[string]any{}
	}
}

// object is the schema of a struct's JSON encoding.
func (g *schemas) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required, nil)
	obj := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		obj["required"] = required
	}
	return obj
}

// fields adds the properties of struct t's JSON encoding to props, and the names of those
// without omitempty or omitzero to required; a field of type resultSlot has the type
// result.
func (g *schemas) fields(t reflect.Type, props map[string]any, required *[]string, result reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, props, required, result)
			continue
		}
		if name == "" {
			name = f.Name
		}
		ft := f.Type
		if ft == reflect.TypeFor[resultSlot]() {
			ft = result
		}
		props[name] = g.of(ft)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			*required = append(*required, name)
		}
	}
}
