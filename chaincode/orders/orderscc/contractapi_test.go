package orderscc_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/orders/orderscc"
	"github.com/cxledger/cxledger/cxlerr"
)

// TestThroughContractAPI drives every function through contractapi, which
// checks the contract's metadata and validates each result against the
// schema it derives from the Go type.
func TestThroughContractAPI(t *testing.T) {
	e := newEnv(t)
	cc, err := contractapi.NewChaincode(orderscc.NewContract(e.hooks))
	if err != nil {
		t.Fatal(err)
	}
	cc.TransactionSerializer = ledgertest.Serializer{}
	invoke := func(w who, fn string, args ...string) string {
		t.Helper()
		e.stub.AsIdentity(w.id())
		resp := cc.Invoke(e.stub.SetArgs(append([]string{"orders:" + fn}, args...)...))
		if resp.Status != 200 {
			e.stub.Begin()
			t.Fatalf("%s: %d %s", fn, resp.Status, resp.Message)
		}
		e.stub.Commit()
		return string(resp.Payload)
	}
	invoke(bank, "Deposit", `{"ref":"r1","currency":"EUR","credits":[{"account":"CustMSP/alice","amount":5000}]}`)
	invoke(bank, "Withdraw", `{"ref":"r2","account":"CustMSP/alice","currency":"EUR","amount":1000}`)
	invoke(bank, "Deposit", `{"ref":"r3","currency":"EUR","credits":[{"account":"CustMSP/alice","amount":1}]}`)
	invoke(alice, "Consolidate", `{"account":"CustMSP/alice","currency":"EUR"}`)
	o := newOrder("o1", 1000)
	o.Items[0].GTIN = "09506000134352"
	o.Items[0].Serials = []string{"S1"}
	if out := invoke(alice, "Place", js(o)); !strings.Contains(out, `"serials":["S1"]`) {
		t.Fatalf("Place: %s", out)
	}
	invoke(alice, "Place", js(newOrder("o2", 1000)))
	invoke(alice, "Place", js(newOrder("o3", 1000)))
	invoke(ship, "ConfirmDelivery", `{"id":"o1"}`)
	invoke(shop, "Refund", `{"id":"o1","refundId":"r1","amount":100,"reason":"late"}`)
	invoke(alice, "RequestReturn", `{"id":"o1"}`)
	invoke(alice, "OpenDispute", `{"id":"o1","reason":"damaged"}`)
	if out := invoke(judge, "ResolveDispute", `{"id":"o1","refund":900}`); !strings.Contains(out, `"state":"resolved"`) {
		t.Fatalf("ResolveDispute: %s", out)
	}
	invoke(alice, "ConfirmDelivery", `{"id":"o2"}`)
	invoke(alice, "RequestReturn", `{"id":"o2"}`)
	invoke(ship, "ReceiveReturn", `{"id":"o2"}`)
	e.stub.At(t0.Add(1000 * time.Hour))
	if out := invoke(carol, "Sweep", `{"limit":5}`); !strings.Contains(out, `"refunded":[{"id":"o3"`) {
		t.Fatalf("Sweep: %s", out)
	}
	if out := invoke(carol, "Sweep", `{}`); out != `{"refunded":[],"remaining":0,"more":false}` {
		t.Fatalf("empty Sweep: %s", out)
	}
	for _, q := range []struct{ fn, args, want string }{
		{"GetOrder", `{"id":"o1"}`, `"dispute":{`},
		{"CustomerOrders", `{"customer":"CustMSP/alice","pageSize":1}`, `"bookmark":`},
		{"MerchantOrders", `{"merchant":"ShopMSP","state":"returned"}`, `"id":"o2"`},
		{"Balance", `{"account":"CustMSP/alice","currency":"EUR"}`, `"balance":4001`},
	} {
		if out := invoke(audit, q.fn, q.args); !strings.Contains(out, q.want) {
			t.Fatalf("%s: %s, want %s", q.fn, out, q.want)
		}
	}
	var list []orders.SettlementCurrency
	if err := json.Unmarshal([]byte(invoke(carol, "Currencies")), &list); err != nil || len(list) != 2 || list[0].Outstanding != 4001 {
		t.Fatalf("Currencies: %+v %v", list, err)
	}
	invoke(bank2, "RegisterCurrency", `{"currency":"CHF"}`)

	e.stub.AsIdentity(alice.id())
	resp := cc.Invoke(e.stub.SetArgs("orders:ConfirmDelivery", `{"id":"o2"}`))
	e.stub.Begin()
	if parsed, ok := cxlerr.Parse(resp.Message); resp.Status == 200 || !ok || parsed.Code != cxlerr.Conflict {
		t.Fatalf("second delivery: %d %s", resp.Status, resp.Message)
	}
}
