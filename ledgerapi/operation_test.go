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
var contracts = []string{"Health", "Consortium", "Provenance", "Orders", "Loyalty", "Care"}

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

// validRequest is a request of type t that passes validation: a fixture per type, so a
// request type without one fails the test.
func validRequest(t *testing.T, typ reflect.Type) reflect.Value {
	t.Helper()
	v := reflect.New(typ)
	if fixture, ok := fixtures[typ.String()]; ok {
		if err := json.Unmarshal([]byte(fixture), v.Interface()); err != nil {
			t.Fatalf("fixture of %v: %v", typ, err)
		}
	}
	return v.Elem()
}

// fixtures are valid requests by type name; a type that validates at its zero value needs
// none.
var fixtures = map[string]string{
	"ledgerapi.PingRequest":              `{"nonce":"n1"}`,
	"ledgerapi.RoleRequest":              `{"msp":"Org1MSP","role":"brand"}`,
	"ledgerapi.CustodyRequest":           `{"kind":"lot","gtin":"09506000134352","lot":"L1"}`,
	"ledgerapi.HistoryRequest":           `{"kind":"lot","gtin":"09506000134352","lot":"L1"}`,
	"ledgerapi.IssueCertificateRequest":  `{"id":"c1","subject":{"kind":"lot","gtin":"09506000134352","lot":"L1"},"type":"organic","sha256":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","validFrom":"2030-01-01T00:00:00Z","validUntil":"2031-01-01T00:00:00Z"}`,
	"ledgerapi.OfferCustodyRequest":      `{"kind":"lot","gtin":"09506000134352","lot":"L1","to":"Org2MSP"}`,
	"ledgerapi.RecallLotRequest":         `{"gtin":"09506000134352","lot":"L1","reason":"salmonella"}`,
	"ledgerapi.RegisterItemsRequest":     `{"gtin":"09506000134352","lot":"L1","serials":["S1"]}`,
	"ledgerapi.RegisterLotRequest":       `{"gtin":"09506000134352","lot":"L1","quantity":1,"unit":"each"}`,
	"ledgerapi.RegisterProductRequest":   `{"gtin":"09506000134352","name":"Kettle"}`,
	"ledgerapi.RejectCustodyRequest":     `{"kind":"lot","gtin":"09506000134352","lot":"L1"}`,
	"ledgerapi.RevokeCertificateRequest": `{"id":"c1","subject":{"kind":"lot","gtin":"09506000134352","lot":"L1"}}`,
	"ledgerapi.TraceRequest":             `{"gtin":"09506000134352","lot":"L1"}`,
	"ledgerapi.VerifyRequest":            `{"gtin":"09506000134352","serial":"S1"}`,
	"orders.AccountArgs":                 `{"account":"Org1MSP/alice","currency":"EUR"}`,
	"orders.IDArgs":                      `{"id":"o1"}`,
	"orders.DepositArgs":                 `{"ref":"r1","currency":"EUR","credits":[{"account":"Org1MSP/alice","amount":100}]}`,
	"orders.MerchantOrdersArgs":          `{"merchant":"Org1MSP"}`,
	"orders.ReasonArgs":                  `{"id":"o1"}`,
	"orders.PlaceArgs":                   `{"id":"o1","merchant":"Org1MSP","amount":1200,"currency":"EUR","deadline":"2030-01-02T03:04:05Z","items":[{"sku":"kettle","quantity":1}]}`,
	"orders.RefundArgs":                  `{"id":"o1","refundId":"r1"}`,
	"orders.RegisterCurrencyArgs":        `{"currency":"EUR"}`,
	"orders.ResolveDisputeArgs":          `{"id":"o1","refund":0}`,
	"orders.WithdrawArgs":                `{"ref":"r1","account":"Org1MSP/alice","currency":"EUR","amount":1}`,
	"loyalty.ProgramArgs":                `{"program":"p1"}`,
	"loyalty.BalanceArgs":                `{"program":"p1"}`,
	"loyalty.CreateProgramArgs":          `{"id":"p1","name":"Stars","unit":"star","currency":"EUR","earn":{"per":100,"points":1},"expiryDays":365}`,
	"loyalty.EarnArgs":                   `{"program":"p1","id":"e1","account":"Org1MSP/alice","points":5}`,
	"loyalty.ExpireArgs":                 `{"program":"p1","accounts":["Org1MSP/alice"]}`,
	"loyalty.HistoryArgs":                `{"program":"p1"}`,
	"loyalty.OrderArgs":                  `{"order":"o1"}`,
	"loyalty.RedeemArgs":                 `{"program":"p1","id":"r1","account":"Org1MSP/alice","points":5,"merchant":"Org1MSP"}`,
	"loyalty.StatementArgs":              `{"merchant":"Org1MSP","counterparty":"Org2MSP","from":"2030-01-01T00:00:00Z","to":"2030-02-01T00:00:00Z"}`,
	"loyalty.TransferArgs":               `{"program":"p1","id":"t1","account":"Org1MSP/alice","to":"Org1MSP/bob","points":5}`,
	"care.AssignTicketArgs":              `{"id":"t1","agent":"Org1MSP/agent-1"}`,
	"care.BreachReportArgs":              `{"merchant":"Org1MSP"}`,
	"care.IDArgs":                        `{"id":"t1"}`,
	"care.EditReviewArgs":                `{"id":"rv1","rating":4,"text":"good"}`,
	"care.MerchantArgs":                  `{"merchant":"Org1MSP"}`,
	"care.ListReviewsArgs":               `{"merchant":"Org1MSP"}`,
	"ledgerapi.OpenTicketRequest":        `{"id":"t1","merchant":"Org1MSP","category":"delivery","priority":"normal","personal":{"salt":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","message":"where is it"}}`,
	"care.PostReviewArgs":                `{"id":"rv1","orderId":"o1","rating":4,"text":"good"}`,
	"ledgerapi.TicketStepRequest":        `{"id":"t1"}`,
	"care.ReplyToReviewArgs":             `{"id":"rv1","text":"thanks"}`,
	"ledgerapi.RespondTicketRequest":     `{"id":"t1","personal":{"salt":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","message":"on its way"}}`,
	"care.SLAPolicyArgs":                 `{"urgent":{"firstResponse":"1h","resolution":"4h"},"high":{"firstResponse":"2h","resolution":"8h"},"normal":{"firstResponse":"4h","resolution":"24h"},"low":{"firstResponse":"8h","resolution":"72h"}}`,
	"care.SweepSLAArgs":                  `{"merchant":"Org1MSP"}`,
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
