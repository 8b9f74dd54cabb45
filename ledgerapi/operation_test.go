package ledgerapi_test

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
	"github.com/cxledger/cxledger/ledgerapi/ledgerapitest"
)

// recorder is a Transport that records the operation it is asked for and refuses it.
type recorder struct{ got *ledgerapi.Operation }

var errRecorded = cxlerr.New(cxlerr.Unavailable, "recorded")

func (r *recorder) Submit(_ context.Context, op *ledgerapi.Operation, _ any) (*ledgerapi.Committed[json.RawMessage], error) {
	r.got = op
	return nil, errRecorded
}

func (r *recorder) Evaluate(_ context.Context, op *ledgerapi.Operation, _ any) (json.RawMessage, error) {
	r.got = op
	return nil, errRecorded
}

func (r *recorder) Transactions() ledgerapi.Transactions { return nil }
func (r *recorder) Events() ledgerapi.Events             { return nil }

// contracts are the contract interfaces of Ledger, by the name of the Ledger method.
var contracts = []string{"Health", "Consortium", "Provenance", "Orders", "Loyalty", "Care", "Epcis"}

// TestEveryMethodRunsItsOperation calls every method of every contract interface over a
// recording transport and checks it ran the operation of the same contract and function,
// and that every declared operation is some method's.
func TestEveryMethodRunsItsOperation(t *testing.T) {
	rec := &recorder{}
	l := reflect.ValueOf(ledgerapi.Over(rec))
	used := map[*ledgerapi.Operation]string{}
	for _, name := range contracts {
		c := l.MethodByName(name).Call(nil)[0]
		for i := range c.NumMethod() {
			m := c.Type().Method(i)
			rec.got = nil
			args := []reflect.Value{reflect.ValueOf(context.Background())}
			if m.Type.NumIn() == 2 {
				args = append(args, validRequest(t, m.Type.In(1)))
			}
			c.Method(i).Call(args)
			want := strings.ToLower(name) + "." + m.Name
			switch {
			case rec.got == nil:
				t.Errorf("%s ran no operation (its request may not validate)", want)
			case rec.got.Name() != want:
				t.Errorf("%s ran %s", want, rec.got.Name())
			case rec.got.Request != requestType(m.Type):
				t.Errorf("%s takes %v, its operation %v", want, requestType(m.Type), rec.got.Request)
			}
			if rec.got != nil {
				used[rec.got] = want
			}
		}
	}
	for _, op := range ledgerapi.Operations() {
		if _, ok := used[op]; !ok {
			t.Errorf("operation %s is no interface method's", op.Name())
		}
	}
}

func requestType(m reflect.Type) reflect.Type {
	if m.NumIn() == 2 {
		return m.In(1)
	}
	return reflect.TypeFor[ledgerapi.NoArgs]()
}

// validRequest is the example request of type typ, which passes validation: a request
// type without an example fails the test.
func validRequest(t *testing.T, typ reflect.Type) reflect.Value {
	t.Helper()
	v := reflect.New(typ)
	if err := json.Unmarshal(ledgerapitest.Example(typ), v.Interface()); err != nil {
		t.Fatalf("example of %v: %v", typ, err)
	}
	return v.Elem()
}

var pathWildcard = regexp.MustCompile(`\{([^}]+)\}`)

// TestOperationsAreWellFormed checks every descriptor: unique names and routes, a summary,
// paths under /v1/ whose wildcards are fields of the request, and JSON-able types.
func TestOperationsAreWellFormed(t *testing.T) {
	names, routes := map[string]bool{}, map[string]string{}
	for _, op := range ledgerapi.Operations() {
		route := op.Method() + " " + op.Path
		if names[op.Name()] {
			t.Errorf("%s declared twice", op.Name())
		}
		if other, ok := routes[route]; ok {
			t.Errorf("%s and %s share the route %s", op.Name(), other, route)
		}
		names[op.Name()], routes[route] = true, op.Name()
		if op.Summary == "" || !strings.HasPrefix(op.Path, "/v1/"+op.Contract+"/") {
			t.Errorf("%s: summary %q, path %q", op.Name(), op.Summary, op.Path)
		}
		for _, w := range pathWildcard.FindAllStringSubmatch(op.Path, -1) {
			if !hasJSONField(op.Request, w[1]) {
				t.Errorf("%s: path wildcard {%s} is no field of %v", op.Name(), w[1], op.Request)
			}
		}
		if ledgerapi.Lookup(op.Contract, op.Function) != op {
			t.Errorf("Lookup(%s) does not find it", op.Name())
		}
	}
}

func hasJSONField(t reflect.Type, name string) bool {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct && hasJSONField(f.Type, name) {
			return true
		}
		if tag == name {
			return true
		}
	}
	return false
}
