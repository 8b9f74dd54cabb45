package provenancecc_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
	"github.com/cxledger/cxledger/cxlerr"
)

// The consortium of the tests.
const (
	farm    = "FarmMSP"    // brand: grows and ships green beans
	roaster = "RoasterMSP" // brand: roasts and packs
	carrier = "CarrierMSP" // carrier
	shop    = "ShopMSP"    // merchant
	audit   = "AuditMSP"   // auditor
	nobody  = "OtherMSP"   // no role
)

// GTINs with valid check digits.
var (
	beans   = gtin("950600013435") // green beans, by farm
	roasted = gtin("950600013436") // roasted coffee, by roaster
	pack    = gtin("950600013437") // retail pack, by roaster
)

// gtin appends the GS1 check digit to 12 digits and pads to GTIN-14.
func gtin(digits string) string {
	sum := 0
	for i := range len(digits) {
		w := 1
		if (len(digits)-i)%2 == 1 {
			w = 3
		}
		sum += w * int(digits[i]-'0')
	}
	return "0" + digits + string(rune('0'+(10-sum%10)%10))
}

// env is a ledger with the consortium's roles granted and a caller.
type env struct {
	t    *testing.T
	stub *ledgertest.Stub
	c    *provenancecc.Contract
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, stub: ledgertest.New(), c: provenancecc.NewContract(nil)}
	for _, g := range []struct {
		msp  string
		role ledgertypes.Role
	}{{farm, ledgertypes.Brand}, {roaster, ledgertypes.Brand}, {carrier, ledgertypes.Carrier}, {shop, ledgertypes.Merchant}, {audit, ledgertypes.Auditor}} {
		approver := audit
		if g.msp == audit {
			approver = farm
		}
		for i, msp := range []string{g.msp, approver} {
			e.stub.As(msp, "admin", "admin")
			tx, err := ledger.NewTx(e.stub)
			if err != nil {
				t.Fatal(err)
			}
			op := ledger.ProposeRole
			if i == 1 {
				op = ledger.ApproveRole
			}
			if _, err := op(tx, g.msp, g.role); err != nil {
				t.Fatal(err)
			}
			e.stub.Commit()
		}
	}
	return e
}

// staffRoles are the roles the staff of each organisation of the tests
// carry: their organisation's, and brand for the organisation without any,
// so that what refuses it is the ledger.
var staffRoles = map[string]ledgertypes.Role{
	farm: ledgertypes.Brand, roaster: ledgertypes.Brand, carrier: ledgertypes.Carrier,
	shop: ledgertypes.Merchant, audit: ledgertypes.Auditor, nobody: ledgertypes.Brand,
}

// as switches the caller to staff of msp named cn, carrying its
// organisation's role (staffRoles).
func (e *env) as(msp, cn string) *env {
	e.stub.AsIdentity(ledgertest.Staff(msp, cn, staffRoles[msp]))
	return e
}

// asCustomer switches the caller to a customer of msp named cn: a client
// without roles.
func (e *env) asCustomer(msp, cn string) *env {
	e.stub.AsIdentity(ledgertest.Customer(msp, cn))
	return e
}

// method is a contract function taking its argument as the text a client sends.
type method[R any] func(*provenancecc.Contract, contractapi.TransactionContextInterface, string) (R, error)

// text adapts a transaction function to take its argument as the text a client sends,
// converted as the assembled chaincode converts it.
func text[A, R any](fn func(*provenancecc.Contract, contractapi.TransactionContextInterface, A) (R, error)) method[R] {
	return func(c *provenancecc.Contract, ctx contractapi.TransactionContextInterface, args string) (R, error) {
		a, err := ledgertest.Arg[A](args)
		if err != nil {
			var zero R
			return zero, err
		}
		return fn(c, ctx, a)
	}
}

// call runs fn with args as the current caller: it commits on success and
// abandons the transaction on error.
func call[R any](e *env, fn method[R], args string) (R, error) {
	r, err := fn(e.c, ledgertest.Context(e.stub), args)
	if err != nil {
		e.stub.Begin()
	} else {
		e.stub.Commit()
	}
	return r, err
}

// must is call for steps that must succeed.
func must[R any](e *env, fn method[R], args string) R {
	e.t.Helper()
	r, err := call(e, fn, args)
	if err != nil {
		e.t.Fatalf("%s: %v", args, err)
	}
	return r
}

// check runs fn with args, expects an error of code containing want (or
// success when code is ""), and on success returns the event type set.
func check[R any](t *testing.T, e *env, fn method[R], args string, code cxlerr.Code, want string) (R, string) {
	t.Helper()
	r, err := fn(e.c, ledgertest.Context(e.stub), args)
	if code != "" {
		if err == nil || cxlerr.CodeOf(err) != code || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: error %v, want %s containing %q", args, err, code, want)
		}
		if len(e.stub.Writes()) != 0 || e.stub.Event() != nil {
			t.Fatalf("%s: failed call wrote %d keys / set event %v", args, len(e.stub.Writes()), e.stub.Event())
		}
		e.stub.Begin()
		return r, ""
	}
	if err != nil {
		t.Fatalf("%s: %v", args, err)
	}
	ev := e.stub.Event()
	name := ""
	if ev != nil {
		name = ev.EventName
	}
	e.stub.Commit()
	return r, name
}

// j encodes a JSON argument.
func j(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(raw)
}

// obj is a JSON object literal.
type obj = map[string]any

// policyOrgs returns the organisations of the committed key-level policy
// of key, sorted.
func (e *env) policyOrgs(objectType string, parts ...string) []string {
	e.t.Helper()
	key, err := e.stub.CreateCompositeKey(objectType, parts)
	if err != nil {
		e.t.Fatal(err)
	}
	raw, err := e.stub.GetStateValidationParameter(key)
	if err != nil || raw == nil {
		e.t.Fatalf("no validation parameter on %q: %v", key, err)
	}
	ep, err := statebased.NewStateEP(raw)
	if err != nil {
		e.t.Fatal(err)
	}
	orgs := ep.ListOrgs()
	slices.Sort(orgs)
	return orgs
}

// eventData decodes the data of the current transaction's event.
func (e *env) eventPayload() ledger.EventPayload {
	e.t.Helper()
	ev := e.stub.Event()
	if ev == nil {
		e.t.Fatal("no event")
	}
	var p ledger.EventPayload
	if err := json.Unmarshal(ev.Payload, &p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// seedSupplyChain registers beans lot B1 (farm) and B2, hands B1 and B2 to
// the roaster, roasts R1 from B1+B2 and R2 from B1, packs P1 from R1 with
// items S1..S3, and serialises R1 with items R-1..R-5.
func seedSupplyChain(e *env) {
	e.t.Helper()
	e.as(farm, "planner")
	must(e, text((*provenancecc.Contract).RegisterProduct), j(obj{"gtin": beans, "name": "Green beans"}))
	for _, lot := range []string{"B1", "B2"} {
		must(e, text((*provenancecc.Contract).RegisterLot), j(obj{"gtin": beans, "lot": lot, "quantity": 1000, "unit": "kg", "location": "Farm, Huila"}))
		must(e, text((*provenancecc.Contract).OfferCustody), j(obj{"kind": "lot", "gtin": beans, "lot": lot, "to": roaster, "location": "Port of Cartagena"}))
		e.as(roaster, "receiving")
		must(e, text((*provenancecc.Contract).AcceptCustody), j(obj{"kind": "lot", "gtin": beans, "lot": lot}))
		e.as(farm, "planner")
	}
	e.as(roaster, "planner")
	must(e, text((*provenancecc.Contract).RegisterProduct), j(obj{"gtin": roasted, "name": "Roasted coffee"}))
	must(e, text((*provenancecc.Contract).RegisterProduct), j(obj{"gtin": pack, "name": "Coffee 250 g"}))
	must(e, text((*provenancecc.Contract).RegisterLot), j(obj{"gtin": roasted, "lot": "R1", "quantity": 800, "unit": "kg",
		"inputs": []obj{{"gtin": beans, "lot": "B1"}, {"gtin": beans, "lot": "B2"}}}))
	must(e, text((*provenancecc.Contract).RegisterLot), j(obj{"gtin": roasted, "lot": "R2", "quantity": 100, "unit": "kg",
		"inputs": []obj{{"gtin": beans, "lot": "B1"}}}))
	must(e, text((*provenancecc.Contract).RegisterLot), j(obj{"gtin": pack, "lot": "P1", "quantity": 3,
		"inputs": []obj{{"gtin": roasted, "lot": "R1"}}}))
	must(e, text((*provenancecc.Contract).RegisterItems), j(obj{"gtin": pack, "lot": "P1", "serials": []string{"S1", "S2", "S3"}}))
	must(e, text((*provenancecc.Contract).RegisterItems), j(obj{"gtin": roasted, "lot": "R1", "serials": serials("R-", 1, 5)}))
}

// serials returns prefix+n for n in [from, to].
func serials(prefix string, from, to int) []string {
	var out []string
	for n := from; n <= to; n++ {
		out = append(out, fmt.Sprintf("%s%d", prefix, n))
	}
	return out
}

// ctxOf is the contract context of e's stub.
func ctxOf(e *env) contractapi.TransactionContextInterface { return ledgertest.Context(e.stub) }
