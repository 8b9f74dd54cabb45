package epciscc_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/epcis"
	"github.com/cxledger/cxledger/chaincode/epcis/epciscc"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
	gepcis "github.com/cxledger/cxledger/gs1/epcis"
)

const (
	brand = "BrandMSP"
	audit = "AuditMSP"
	other = "OtherMSP"
)

type env struct {
	t    *testing.T
	stub *ledgertest.Stub
	c    *epciscc.Contract
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, stub: ledgertest.New(), c: epciscc.NewContract(nil, nil)}
	for _, g := range []struct {
		msp  string
		role ledgertypes.Role
	}{{brand, ledgertypes.Brand}, {audit, ledgertypes.Auditor}} {
		approver := audit
		if g.msp == audit {
			approver = brand
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

// staff is a staff identity of msp whose certificate carries role (Fabric CA attribute
// cxl.roles).
func staff(msp string, role ledgertypes.Role) ledgertest.Identity {
	return ledgertest.Identity{MSP: msp, CN: "u", OU: "client", Attrs: map[string]string{"cxl.roles": string(role)}}
}

// captureArgs builds the capture argument of the test document's events.
func captureArgs(t *testing.T, proceed bool, extra ...json.RawMessage) string {
	data, err := os.ReadFile("../../../gs1/epcis/testdata/all-types.jsonld")
	if err != nil {
		t.Fatal(err)
	}
	d, err := gepcis.ParseDocument(data, gepcis.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	a := epcis.CaptureArgs{Namespaces: d.Namespaces, Proceed: proceed}
	for _, ev := range d.Events {
		a.Events = append(a.Events, ev.JSON)
	}
	a.Events = append(a.Events, extra...)
	raw, _ := json.Marshal(a)
	return string(raw)
}

func (e *env) capture(args string) (*epcis.CaptureResult, error) {
	r, err := e.c.Capture(ledgertest.Context(e.stub), args)
	if err != nil {
		// A failed transaction commits nothing: the stub abandons its writes.
		e.stub.Begin()
	} else {
		e.stub.Commit()
	}
	return r, err
}

func (e *env) query(a epcis.QueryArgs) []epcis.StoredEvent {
	e.t.Helper()
	r, err := e.c.Query(ledgertest.Context(e.stub), a)
	if err != nil {
		e.t.Fatal(err)
	}
	e.stub.Begin()
	return r.Events
}

var badEvent = json.RawMessage(`{"type":"ObjectEvent","eventTime":"2026-03-01T09:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:grai:9506000.00001.1"],"action":"OBSERVE"}`)

func TestCaptureAndQuery(t *testing.T) {
	e := newEnv(t)
	e.stub.AsIdentity(staff(other, ledgertypes.Brand))
	if _, err := e.capture(captureArgs(t, false)); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("organisation without role: %v", err)
	}
	e.stub.AsIdentity(ledgertest.Identity{MSP: brand, CN: "c", OU: "client"})
	if _, err := e.capture(captureArgs(t, false)); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("customer: %v", err)
	}
	// Staff whose certificate carries a role the organisation does not hold on the ledger.
	e.stub.AsIdentity(staff(brand, ledgertypes.Merchant))
	if _, err := e.capture(captureArgs(t, false)); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("staff carrying merchant of a brand: %v", err)
	}
	e.stub.AsIdentity(staff(brand, ledgertypes.Brand))
	// Rollback: one bad event and nothing is recorded.
	if _, err := e.capture(captureArgs(t, false, badEvent)); cxlerr.CodeOf(err) != cxlerr.Invalid || !strings.Contains(err.Error(), "unknown identifier") {
		t.Fatalf("rollback capture: %v", err)
	}
	if got := e.query(epcis.QueryArgs{}); len(got) != 0 {
		t.Fatalf("after a rolled back capture: %d events", len(got))
	}
	// Proceed: the good ones are recorded, the bad one reported.
	r, err := e.capture(captureArgs(t, true, badEvent))
	if err != nil || len(r.Captured) != 5 || len(r.Rejected) != 1 || r.Rejected[0].Index != 5 {
		t.Fatalf("proceed capture: %+v %v", r, err)
	}
	if ev := e.stub.Event(); ev != nil {
		t.Fatalf("event left over")
	}
	// The same events again are recorded once.
	r, err = e.capture(captureArgs(t, false))
	if err != nil || len(r.Captured) != 0 || len(r.Duplicates) != 5 {
		t.Fatalf("duplicate capture: %+v %v", r, err)
	}
	if got := e.query(epcis.QueryArgs{}); len(got) != 5 {
		t.Fatalf("all events: %d, want 5", len(got))
	}
	for _, c := range []struct {
		name string
		q    epcis.QueryArgs
		want int
	}{
		{"bizStep bare", epcis.QueryArgs{EQBizStep: "packing"}, 1},
		{"bizStep URI", epcis.QueryArgs{EQBizStep: "https://ref.gs1.org/cbv/BizStep-commissioning"}, 2},
		{"disposition", epcis.QueryArgs{EQDisposition: "in_transit"}, 1},
		{"epc as URN", epcis.QueryArgs{MatchEPC: "urn:epc:id:sgtin:9506000.013435.S1"}, 2},
		{"epc as Digital Link", epcis.QueryArgs{MatchEPC: "https://id.gs1.org/01/09506000134352/21/S1"}, 2},
		{"parentID", epcis.QueryArgs{MatchParentID: "urn:epc:id:sscc:9506000.0000000017"}, 3},
		{"inputEPC", epcis.QueryArgs{MatchInputEPC: "urn:epc:class:lgtin:9506000.013435.GREEN1"}, 1},
		{"outputEPC", epcis.QueryArgs{MatchOutputEPC: "https://id.gs1.org/01/09506000134352/10/ROAST1"}, 1},
		{"bizLocation", epcis.QueryArgs{EQBizLocation: "urn:epc:id:sgln:9506000.00001.0"}, 1},
		{"bizTransaction", epcis.QueryArgs{BizTransactionType: "po", BizTransaction: "urn:epcglobal:cbv:bt:9506000000012:PO-77"}, 1},
		{"time window", epcis.QueryArgs{MatchParentID: "urn:epc:id:sscc:9506000.0000000017", LTEventTime: mustTime("2026-03-02T00:00:00Z")}, 1},
		{"GE time", epcis.QueryArgs{GEEventTime: mustTime("2026-03-02T09:00:00Z")}, 2},
	} {
		if got := e.query(c.q); len(got) != c.want {
			t.Errorf("%s: %d events, want %d", c.name, len(got), c.want)
		}
	}
	// Paging.
	p1, err := e.c.Query(ledgertest.Context(e.stub), epcis.QueryArgs{PageSize: 2})
	if err != nil || len(p1.Events) != 2 || p1.Bookmark == "" {
		t.Fatalf("page 1: %+v %v", p1, err)
	}
	p2, err := e.c.Query(ledgertest.Context(e.stub), epcis.QueryArgs{PageSize: 2, Bookmark: p1.Bookmark})
	if err != nil || len(p2.Events) != 2 || p2.Events[0].Hash == p1.Events[0].Hash {
		t.Fatalf("page 2: %+v %v", p2, err)
	}
	e.stub.Begin()
	// An error declaration is kept beside the event it declares, which stays as it was.
	var decl map[string]any
	first := e.query(epcis.QueryArgs{EQBizStep: "packing"})[0]
	_ = json.Unmarshal(first.Event, &decl)
	decl["errorDeclaration"] = map[string]any{"declarationTime": "2026-03-04T00:00:00Z", "reason": "incorrect_data"}
	raw, _ := json.Marshal(decl)
	args, _ := json.Marshal(epcis.CaptureArgs{Events: []json.RawMessage{raw}})
	r, err = e.capture(string(args))
	if err != nil || len(r.Declared) != 1 || r.Declared[0] != first.Hash {
		t.Fatalf("error declaration: %+v %v", r, err)
	}
	got := e.query(epcis.QueryArgs{EQBizStep: "packing"})
	if len(got) != 1 || got[0].ErrorDeclaration == nil || string(got[0].Event) != string(first.Event) {
		t.Fatalf("declared event: %+v", got)
	}
	// Readers: another organisation sees none of them, an auditor all.
	e.stub.AsIdentity(staff(other, ledgertypes.Brand))
	if got := e.query(epcis.QueryArgs{}); len(got) != 0 {
		t.Errorf("stranger reads %d events", len(got))
	}
	e.stub.AsIdentity(staff(audit, ledgertypes.Auditor))
	if got := e.query(epcis.QueryArgs{}); len(got) != 5 {
		t.Errorf("auditor reads %d events", len(got))
	}
}

func TestHostileCaptures(t *testing.T) {
	e := newEnv(t)
	e.stub.AsIdentity(staff(brand, ledgertypes.Brand))
	for _, c := range []struct {
		name, args string
		code       cxlerr.Code
	}{
		{"invalid UTF-8", "{\"events\":[\"\xff\"]}", cxlerr.Invalid},
		{"not JSON", "events", cxlerr.Invalid},
		{"unknown field", `{"events":[{}],"x":1}`, cxlerr.Invalid},
		{"no events", `{"events":[]}`, cxlerr.Invalid},
		{"event a string", `{"events":["x"]}`, cxlerr.Invalid},
		{"bad prefix", `{"namespaces":{"1x":"urn:x"},"events":[{}]}`, cxlerr.Invalid},
		{"declaration of an unknown event", `{"events":[{"type":"ObjectEvent","eventTime":"2026-03-01T09:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:sgtin:9506000.013435.S9"],"action":"OBSERVE","errorDeclaration":{"declarationTime":"2026-03-02T00:00:00Z"}}]}`, cxlerr.NotFound},
		{"oversized", `{"events":["` + strings.Repeat("a", epcis.MaxCaptureBytes) + `"]}`, cxlerr.TooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := e.capture(c.args); cxlerr.CodeOf(err) != c.code {
				t.Fatalf("got %v, want %s", err, c.code)
			}
		})
	}
	if _, err := e.c.Query(ledgertest.Context(e.stub), epcis.QueryArgs{MatchEPC: "urn:epc:id:grai:1.2.3"}); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Fatalf("query by unknown identifier: %v", err)
	}
	if _, err := e.c.Query(ledgertest.Context(e.stub), epcis.QueryArgs{BizTransactionType: "po"}); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Fatalf("query by half a transaction: %v", err)
	}
}

func mustTime(s string) (t0 time.Time) {
	t0, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t0
}
