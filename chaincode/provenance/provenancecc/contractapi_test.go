package provenancecc_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
	"github.com/cxledger/cxledger/cxlerr"
)

// TestThroughContractAPI drives every function through contractapi, which
// builds the metadata from the Go types and validates each result against
// its schema, as the chaincode does on a peer.
func TestThroughContractAPI(t *testing.T) {
	cc, err := contractapi.NewChaincode(provenancecc.NewContract(nil))
	if err != nil {
		t.Fatal(err)
	}
	cc.TransactionSerializer = ledgertest.Serializer{}
	e := newEnv(t)
	invoke := func(msp, fn, args string) string {
		t.Helper()
		e.as(msp, "clerk")
		resp := cc.Invoke(e.stub.SetArgs("provenance:"+fn, args))
		if resp.Status != 200 {
			t.Fatalf("%s %s: %d %s", fn, args, resp.Status, resp.Message)
		}
		e.stub.Commit()
		return string(resp.Payload)
	}
	invoke(farm, "RegisterProduct", j(obj{"gtin": beans, "name": "Green beans"}))
	invoke(farm, "RegisterLot", j(obj{"gtin": beans, "lot": "B1", "quantity": 10, "unit": "kg", "attributes": obj{"farm": "x"}}))
	invoke(farm, "OfferCustody", j(obj{"kind": "lot", "gtin": beans, "lot": "B1", "to": roaster, "location": "Port"}))
	invoke(roaster, "RejectCustody", j(obj{"kind": "lot", "gtin": beans, "lot": "B1"}))
	invoke(farm, "OfferCustody", j(obj{"kind": "lot", "gtin": beans, "lot": "B1", "to": roaster, "location": "Port"}))
	invoke(farm, "WithdrawCustodyOffer", j(obj{"kind": "lot", "gtin": beans, "lot": "B1"}))
	invoke(farm, "OfferCustody", j(obj{"kind": "lot", "gtin": beans, "lot": "B1", "to": roaster, "location": "Port"}))
	invoke(roaster, "AcceptCustody", j(obj{"kind": "lot", "gtin": beans, "lot": "B1"}))
	invoke(roaster, "RegisterProduct", j(obj{"gtin": pack, "name": "Coffee"}))
	invoke(roaster, "RegisterLot", j(obj{"gtin": pack, "lot": "P1", "quantity": 2, "inputs": []obj{{"gtin": beans, "lot": "B1"}}}))
	invoke(roaster, "RegisterItems", j(obj{"gtin": pack, "lot": "P1", "serials": []string{"S1", "S2"}}))
	invoke(roaster, "OfferCustody", j(obj{"kind": "item", "gtin": pack, "serial": "S1", "to": shop, "location": "Dock"}))
	cert := obj{"subject": obj{"kind": "lot", "gtin": beans, "lot": "B1"}, "id": "C1", "type": "organic", "hash": docHash,
		"validFrom": "2025-01-01T00:00:00Z", "validUntil": "2027-01-01T00:00:00Z"}
	invoke(audit, "IssueCertificate", j(cert))
	invoke(audit, "IssueCertificate", j(obj{"subject": obj{"kind": "item", "gtin": pack, "serial": "S1"}, "id": "C2", "type": "authenticity", "hash": docHash,
		"validFrom": "2025-01-01T00:00:00Z", "validUntil": "2027-01-01T00:00:00Z"}))
	invoke(audit, "RevokeCertificate", j(obj{"subject": cert["subject"], "id": "C1", "reason": "lapsed"}))
	invoke(farm, "RecallLot", j(obj{"gtin": beans, "lot": "B1", "reason": "mould"}))

	out := invoke(shop, "Trace", j(obj{"gtin": beans, "lot": "B1", "pageSize": 1}))
	var tr provenance.LotTrace
	if err := json.Unmarshal([]byte(out), &tr); err != nil || len(tr.Downstream) != 1 || len(tr.Items) != 1 || tr.Bookmark == "" {
		t.Fatalf("Trace: %s", out)
	}
	out = invoke(shop, "Verify", j(obj{"gtin": pack, "serial": "S1"}))
	var v provenance.Verification
	if err := json.Unmarshal([]byte(out), &v); err != nil || !v.Genuine || !v.Recalled || v.Custody.Offer == nil || len(v.Certificates) != 1 {
		t.Fatalf("Verify: %s", out)
	}
	if out = invoke(shop, "Verify", j(obj{"gtin": pack, "serial": "FAKE"})); !strings.HasPrefix(out, `{"genuine":false,`) {
		t.Fatalf("Verify unknown: %s", out)
	}
	for _, kind := range []obj{
		{"kind": "product", "gtin": beans}, {"kind": "lot", "gtin": beans, "lot": "B1"}, {"kind": "item", "gtin": pack, "serial": "S1"},
		{"kind": "lot-custody", "gtin": beans, "lot": "B1"}, {"kind": "item-custody", "gtin": pack, "serial": "S1"},
	} {
		out = invoke(shop, "History", j(kind))
		var h provenance.ProvenanceHistory
		if err := json.Unmarshal([]byte(out), &h); err != nil || len(h.Versions) == 0 {
			t.Fatalf("History %v: %s", kind, out)
		}
	}

	e.as(shop, "clerk")
	resp := cc.Invoke(e.stub.SetArgs("provenance:Verify", `{"gtin":"123","serial":"S1"}`))
	if perr, ok := cxlerr.Parse(resp.Message); resp.Status != 500 || !ok || perr.Code != cxlerr.Invalid {
		t.Fatalf("error response %d %q", resp.Status, resp.Message)
	}
	e.stub.Begin()

	resp = cc.Invoke(e.stub.SetArgs("org.hyperledger.fabric:GetMetadata"))
	var md struct {
		Contracts map[string]struct {
			Transactions []struct {
				Name string   `json:"name"`
				Tag  []string `json:"tag"`
			} `json:"transactions"`
		} `json:"contracts"`
	}
	if err := json.Unmarshal(resp.Payload, &md); err != nil {
		t.Fatal(err)
	}
	var evaluate []string
	for _, tx := range md.Contracts["provenance"].Transactions {
		if slices.Contains(tx.Tag, "evaluate") {
			evaluate = append(evaluate, tx.Name)
		}
	}
	slices.Sort(evaluate)
	if !slices.Equal(evaluate, []string{"GetItem", "GetLot", "GetProduct", "History", "Trace", "Verify"}) || len(md.Contracts["provenance"].Transactions) != 16 {
		t.Fatalf("evaluate transactions %q of %d", evaluate, len(md.Contracts["provenance"].Transactions))
	}
}

// TestRecallAfterLosingBrandRole: a recall stays possible for the owner.
func TestRecallAfterLosingBrandRole(t *testing.T) {
	e := newEnv(t)
	e.as(farm, "planner")
	must(e, text((*provenancecc.Contract).RegisterProduct), j(obj{"gtin": beans, "name": "Green beans"}))
	must(e, text((*provenancecc.Contract).RegisterLot), j(obj{"gtin": beans, "lot": "B1", "quantity": 1}))
	for i, msp := range []string{audit, roaster} {
		e.stub.As(msp, "admin", "admin")
		tx, err := ledger.NewTx(e.stub)
		if err != nil {
			t.Fatal(err)
		}
		op := ledger.RevokeRole
		if i == 1 {
			op = ledger.ApproveRole
		}
		if _, err := op(tx, farm, ledgertypes.Brand); err != nil {
			t.Fatal(err)
		}
		e.stub.Commit()
	}
	e.as(farm, "planner")
	check(t, e, text((*provenancecc.Contract).RegisterLot), j(obj{"gtin": beans, "lot": "B2", "quantity": 1}), cxlerr.Forbidden, "FarmMSP does not hold the brand role")
	lot, _ := check(t, e, text((*provenancecc.Contract).RecallLot), j(obj{"gtin": beans, "lot": "B1", "reason": "mould"}), "", "")
	if lot.Recall == nil {
		t.Fatal("not recalled")
	}
}
