package consortium_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/consortium"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// call is a role change.
type call func(*consortium.Contract, contractapi.TransactionContextInterface, consortium.RoleArgs) (*ledgertypes.RoleGrant, error)

var (
	propose call = (*consortium.Contract).ProposeRole
	approve call = (*consortium.Contract).ApproveRole
	revoke  call = (*consortium.Contract).RevokeRole
)

// step runs fn as an identity of msp with NodeOU ou; on failure it abandons the transaction.
func step(t *testing.T, stub *ledgertest.Stub, msp, ou string, fn call, args string) (*ledgertypes.RoleGrant, error) {
	t.Helper()
	stub.As(msp, "user@"+msp, ou)
	a, err := ledgertest.Arg[consortium.RoleArgs](args)
	if err != nil {
		return nil, err
	}
	g, err := fn(consortium.NewContract(), ledgertest.Context(stub), a)
	if err != nil {
		stub.Begin()
		return nil, err
	}
	return g, nil
}

func TestRoleChanges(t *testing.T) {
	const brand = `{"msp":"Org1MSP","role":"brand"}`
	tests := []struct {
		name      string
		msp, ou   string
		fn        call
		args      string
		wantEvent string
		wantCode  cxlerr.Code
		wantErr   string
	}{
		{"propose", "Org1MSP", "admin", propose, brand, "RoleProposed", "", ""},
		{"propose again", "Org2MSP", "admin", propose, brand, "", cxlerr.Conflict, "already proposed by Org1MSP"},
		{"approve own proposal", "Org1MSP", "admin", approve, brand, "", cxlerr.Forbidden, "an admin of another organisation must approve it"},
		{"approve as client", "Org2MSP", "client", approve, brand, "", cxlerr.Forbidden, "is not an admin of Org2MSP"},
		{"approve", "Org2MSP", "admin", approve, brand, "RoleGranted", "", ""},
		{"approve again", "Org3MSP", "admin", approve, brand, "", cxlerr.Conflict, "nothing to approve"},
		{"revoke as client", "Org2MSP", "client", revoke, brand, "", cxlerr.Forbidden, "only admins revoke roles"},
		{"propose revocation", "Org2MSP", "admin", revoke, brand, "RoleRevocationProposed", "", ""},
		{"propose revocation again", "Org3MSP", "admin", revoke, brand, "", cxlerr.Conflict, "already proposed by Org2MSP"},
		{"approve revocation", "Org3MSP", "admin", approve, brand, "RoleRevoked", "", ""},
		{"revoke missing", "Org3MSP", "admin", revoke, brand, "", cxlerr.NotFound, "Org1MSP has no brand role to revoke"},
		{"approve missing", "Org3MSP", "admin", approve, `{"msp":"Org4MSP","role":"arbiter"}`, "", cxlerr.NotFound, "no proposal"},
		{"propose carrier", "Org3MSP", "admin", propose, `{"msp":"Org2MSP","role":"carrier"}`, "RoleProposed", "", ""},
		{"withdraw other org's proposal", "Org2MSP", "admin", revoke, `{"msp":"Org2MSP","role":"carrier"}`, "", cxlerr.Forbidden, "only Org3MSP"},
		{"withdraw own proposal", "Org3MSP", "admin", revoke, `{"msp":"Org2MSP","role":"carrier"}`, "RoleProposalWithdrawn", "", ""},
		{"unknown role", "Org1MSP", "admin", propose, `{"msp":"Org1MSP","role":"king"}`, "", cxlerr.Invalid, `role "king"`},
		{"missing role", "Org1MSP", "admin", propose, `{"msp":"Org1MSP"}`, "", cxlerr.Invalid, `role ""`},
		{"bad msp", "Org1MSP", "admin", propose, `{"msp":"Org 1","role":"brand"}`, "", cxlerr.Invalid, "msp: MSP ID"},
		{"unknown field", "Org1MSP", "admin", propose, `{"msp":"Org1MSP","role":"brand","until":"never"}`, "", cxlerr.Invalid, `unknown field "until"`},
		{"not JSON", "Org1MSP", "admin", propose, `brand`, "", cxlerr.Invalid, "invalid JSON"},
	}
	stub := ledgertest.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := step(t, stub, tt.msp, tt.ou, tt.fn, tt.args)
			if tt.wantCode != "" {
				if cxlerr.CodeOf(err) != tt.wantCode || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %s containing %q", err, tt.wantCode, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ev := stub.Event()
			if ev == nil || ev.EventName != "consortium."+tt.wantEvent {
				t.Fatalf("event %v, want consortium.%s", ev, tt.wantEvent)
			}
			var p ledger.EventPayload
			if err := json.Unmarshal(ev.Payload, &p); err != nil {
				t.Fatal(err)
			}
			var data ledgertypes.RoleGrant
			if err := json.Unmarshal(p.Data, &data); err != nil || data.Status != g.Status || p.Keys["msp"] != g.MSP || p.Keys["role"] != string(g.Role) {
				t.Fatalf("payload %s, grant %+v", ev.Payload, g)
			}
			stub.Commit()
		})
	}
}

func TestListRoles(t *testing.T) {
	stub := ledgertest.New()
	for _, s := range []struct {
		msp  string
		fn   call
		args string
	}{
		{"Org1MSP", propose, `{"msp":"Org2MSP","role":"merchant"}`},
		{"Org1MSP", propose, `{"msp":"Org1MSP","role":"brand"}`},
		{"Org2MSP", approve, `{"msp":"Org1MSP","role":"brand"}`},
	} {
		if _, err := step(t, stub, s.msp, "admin", s.fn, s.args); err != nil {
			t.Fatal(err)
		}
		stub.Commit()
	}
	stub.As("Org3MSP", "auditor", "client")
	grants, err := consortium.NewContract().ListRoles(ledgertest.Context(stub))
	if err != nil {
		t.Fatal(err)
	}
	if len(grants) != 2 || grants[0].MSP != "Org1MSP" || grants[0].Status != ledgertypes.RoleActive || grants[1].Status != ledgertypes.RoleProposed {
		t.Fatalf("ListRoles = %+v", grants)
	}
	if _, err := consortium.NewContract().ListRoles(ledgertest.Context(ledgertest.New())); cxlerr.CodeOf(err) != cxlerr.Unauthenticated {
		t.Fatalf("ListRoles without caller: %v", err)
	}
}

// TestThroughContractAPI drives the contract through contractapi with the
// chaincode's serializer, as a peer does.
func TestThroughContractAPI(t *testing.T) {
	cc, err := contractapi.NewChaincode(consortium.NewContract())
	if err != nil {
		t.Fatal(err)
	}
	cc.TransactionSerializer = ledger.Serializer{}
	stub := ledgertest.New()
	invoke := func(args ...string) (int32, string) {
		resp := cc.Invoke(stub.SetArgs(args...))
		if resp.Status == 200 {
			stub.Commit()
		} else {
			stub.Begin()
		}
		return resp.Status, resp.Message + string(resp.Payload)
	}
	stub.As("Org1MSP", "Admin@org1", "admin")
	if status, out := invoke("consortium:ProposeRole", `{"msp":"Org1MSP","role":"brand"}`); status != 200 || !strings.Contains(out, `"status":"proposed"`) {
		t.Fatalf("ProposeRole: %d %s", status, out)
	}
	stub.As("Org2MSP", "Admin@org2", "admin")
	if status, out := invoke("consortium:ApproveRole", `{"msp":"Org1MSP","role":"brand"}`); status != 200 || !strings.Contains(out, `"grantedBy":["Org1MSP","Org2MSP"]`) {
		t.Fatalf("ApproveRole: %d %s", status, out)
	}
	if status, out := invoke("consortium:ListRoles"); status != 200 || !strings.HasPrefix(out, `[{"msp":"Org1MSP","role":"brand","status":"active"`) {
		t.Fatalf("ListRoles: %d %s", status, out)
	}
	status, out := invoke("consortium:ApproveRole", `{"msp":"Org1MSP","role":"brand"}`)
	if e, ok := cxlerr.Parse(out); status != 500 || !ok || e.Code != cxlerr.Conflict {
		t.Fatalf("ApproveRole again: %d %s", status, out)
	}
	status, out = invoke("org.hyperledger.fabric:GetMetadata")
	var md struct {
		Contracts map[string]struct {
			Transactions []struct {
				Name string   `json:"name"`
				Tag  []string `json:"tag"`
			} `json:"transactions"`
		} `json:"contracts"`
	}
	if err := json.Unmarshal([]byte(out), &md); status != 200 || err != nil {
		t.Fatalf("metadata: %d %v", status, err)
	}
	tags := map[string]string{}
	for _, tr := range md.Contracts["consortium"].Transactions {
		tags[tr.Name] = strings.Join(tr.Tag, ",")
	}
	if tags["ListRoles"] != "evaluate,EVALUATE" || tags["ProposeRole"] != "submit,SUBMIT" || len(tags) != 4 {
		t.Fatalf("transaction tags %v", tags)
	}
}
