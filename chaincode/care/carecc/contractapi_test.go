package carecc_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
)

// TestThroughContractAPI drives every function through contractapi, which
// checks the metadata and validates results against their schemas, and
// checks that queries are marked evaluate.
func TestThroughContractAPI(t *testing.T) {
	e := newEnv(t)
	e.order("O1", alice, "Org2MSP", orders.StateDelivered)
	cc, err := contractapi.NewChaincode(e.c)
	if err != nil {
		t.Fatal(err)
	}
	cc.TransactionSerializer = ledgertest.Serializer{}
	invoke := func(caller who, transient map[string][]byte, args ...string) string {
		t.Helper()
		e.stub.AsIdentity(caller.id())
		transient = e.seal(args[1], transient)
		e.stub.AsIdentity(caller.id())
		e.stub.SetTransient(transient)
		resp := cc.Invoke(e.stub.SetArgs(args...))
		if resp.Status != 200 {
			t.Fatalf("%s: %d %s", args[0], resp.Status, resp.Message)
		}
		e.stub.Commit()
		return string(resp.Payload)
	}
	invoke(agent, nil, "care:SetSLAPolicy", policy("1h", "1h"))
	invoke(alice, e.personal(care.TransientMessage, "Help, please!", care.TransientContact, "alice@example.com"), "care:OpenTicket", openArgs)
	invoke(agent, nil, "care:AssignTicket", `{"id":"T1","agent":"Org2MSP/agent1"}`)
	invoke(agent, e.personal(care.TransientMessage, "On it"), "care:RespondTicket", id("T1"))
	invoke(agent, nil, "care:ResolveTicket", id("T1"))
	invoke(alice, nil, "care:ReopenTicket", id("T1"))
	invoke(agent, nil, "care:ResolveTicket", id("T1"))
	invoke(alice, nil, "care:ConfirmTicket", id("T1"))
	invoke(agent, nil, "care:SweepSLA", `{"merchant":"Org2MSP"}`)
	for _, q := range []struct{ fn, args, want string }{
		{"care:GetTicket", id("T1"), `"state":"closed"`},
		{"care:ListTickets", `{}`, `"tickets":[{"id":"T1"`},
		{"care:BreachReport", `{"merchant":"Org2MSP"}`, `"breaches":[]`},
		{"care:GetSLAPolicy", `{"merchant":"Org2MSP"}`, `"default":false`},
		{"care:GetTicketPersonalData", id("T1"), `"envelope":"`},
	} {
		caller := agent
		if q.fn == "care:ListTickets" {
			caller = alice
		}
		if out := invoke(caller, nil, q.fn, q.args); !strings.Contains(out, q.want) {
			t.Fatalf("%s: %s", q.fn, out)
		}
	}
	invoke(alice, nil, "care:EraseTicketData", id("T1"))
	var r care.Review
	if err := json.Unmarshal([]byte(invoke(alice, seed(1), "care:PostReview", review("O1", 5, "Good"))), &r); err != nil {
		t.Fatal(err)
	}
	invoke(alice, nil, "care:EditReview", `{"id":"`+r.ID+`","rating":4,"text":"Good enough"}`)
	invoke(agent, nil, "care:ReplyToReview", `{"id":"`+r.ID+`","text":"Thanks"}`)
	if out := invoke(stranger, nil, "care:GetReview", id(r.ID)); !strings.Contains(out, `"entries":[{`) {
		t.Fatalf("GetReview: %s", out)
	}
	if out := invoke(stranger, nil, "care:ListReviews", `{"merchant":"Org2MSP"}`); !strings.Contains(out, `"reply":"Thanks"`) {
		t.Fatalf("ListReviews: %s", out)
	}

	e.stub.AsIdentity(rival.id())
	resp := cc.Invoke(e.stub.SetArgs("care:GetTicket", id("T1")))
	if perr, ok := cxlerr.Parse(resp.Message); resp.Status != 500 || !ok || perr.Code != cxlerr.Forbidden {
		t.Fatalf("GetTicket as another merchant: %d %s", resp.Status, resp.Message)
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
	evaluate := map[string]bool{}
	for _, name := range e.c.GetEvaluateTransactions() {
		evaluate[name] = true
	}
	txs := md.Contracts["care"].Transactions
	if len(txs) != 21 {
		t.Fatalf("%d transactions in the metadata", len(txs))
	}
	for _, tr := range txs {
		want := "submit,SUBMIT"
		if evaluate[tr.Name] {
			want = "evaluate,EVALUATE"
		}
		if got := strings.Join(tr.Tag, ","); got != want {
			t.Fatalf("%s tagged %s, want %s", tr.Name, got, want)
		}
	}
}
