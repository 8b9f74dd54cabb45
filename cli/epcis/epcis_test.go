package epcis

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/epcis"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

const document = "../../gs1/epcis/testdata/all-types.jsonld"

// withEvent writes the test document with one more event first.
func withEvent(t *testing.T, event string) string {
	data, err := os.ReadFile(document)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "doc.jsonld")
	doc := strings.Replace(string(data), `"eventList": [`, `"eventList": [`+event+",", 1)
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestEPCIS(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l := clitest.New(t)
			l.Grant(t, "Org1MSP", ledgertypes.Brand)
			c := tr.Open(t, l)
			cx := func(args ...string) clitest.Result { return clitest.Run(t, c, NewCmdEPCIS, args...) }
			bad := withEvent(t, `{"type":"ObjectEvent","eventTime":"2026-03-01T09:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:grai:9506000.00001.1"],"action":"OBSERVE"}`)
			cx("capture", bad).Fails(t, cmdutil.ExitUsage, "nothing captured")
			var res ledgerapi.Committed[epcis.CaptureResult]
			cx("capture", bad, "--proceed", "--json").OK(t).JSON(t, &res)
			if len(res.Result.Captured) != 5 || res.TransactionID == "" {
				t.Fatalf("proceed: %+v", res)
			}
			r := cx("capture", document).OK(t)
			if !strings.Contains(r.Stderr, "captured 0 events (5 already on the ledger") {
				t.Fatalf("second capture said %q", r.Stderr)
			}
			cx("capture", filepath.Join(t.TempDir(), "missing.json")).Fails(t, cmdutil.ExitUsage, "read")
			var q epcis.QueryResult
			cx("events", "--epc", "urn:epc:id:sgtin:9506000.013435.S1", "--json").OK(t).JSON(t, &q)
			if len(q.Events) != 2 {
				t.Fatalf("events by EPC: %d", len(q.Events))
			}
			cx("events", "--biz-transaction", "po=urn:epcglobal:cbv:bt:9506000000012:PO-77", "--json").OK(t).JSON(t, &q)
			if len(q.Events) != 1 || q.Events[0].Type != "TransactionEvent" {
				t.Fatalf("events by transaction: %+v", q.Events)
			}
			cx("events", "--limit", "2", "--json").OK(t).JSON(t, &q)
			if len(q.Events) != 2 || q.Bookmark == "" {
				t.Fatalf("limited listing: %d events, bookmark %q", len(q.Events), q.Bookmark)
			}
			out := cx("events", "--biz-step", "packing").OK(t).Stdout
			if !strings.Contains(out, "AggregationEvent") || !strings.Contains(out, "packing") {
				t.Fatalf("table: %q", out)
			}
			cx("events", "--from", "yesterday").Fails(t, cmdutil.ExitUsage, "--from")
			cx("events", "--biz-transaction", "po").Fails(t, cmdutil.ExitUsage, "TYPE=ID")
			cx("events", "--biz-step", "teleporting").Fails(t, cmdutil.ExitUsage, "bizStep")
			rows, err := csv.NewReader(strings.NewReader(cx("fsma204", "--tlc", "urn:epc:class:lgtin:9506000.013435.ROAST1").OK(t).Stdout)).ReadAll()
			if err != nil || len(rows) != 2 || rows[1][1] != "Transformation" || rows[1][16] != res.TransactionID {
				t.Fatalf("fsma204: %q %v", rows, err)
			}
			cx("fsma204", "--tlc", "urn:epc:id:sgtin:9506000.013435.S1").Fails(t, cmdutil.ExitUsage, "lot")
			cx("fsma204").Fails(t, cmdutil.ExitUsage, "--tlc")
		})
	}
}

// TestCaptureProofOfDelivery: `cxl epcis capture` of the carrier's receiving event naming
// an order delivers it and says so; a mismatching one says why nothing was released.
func TestCaptureProofOfDelivery(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l := clitest.New(t)
			l.Grant(t, "Org1MSP", ledgertypes.Brand, ledgertypes.Merchant, ledgertypes.Payment)
			l.Grant(t, "Org2MSP", ledgertypes.Carrier)
			// Not the product the test document commissions items of.
			const gtin = "09506000134369"
			customer := clitest.Customer("Org2MSP", "ann")
			l.As(clitest.User("Org1MSP", "User1"))
			clitest.Must(t, l, ledgerapi.OrdersRegisterCurrency, ledgerapi.RegisterCurrencyRequest{Currency: "EUR"})
			clitest.Must(t, l, ledgerapi.OrdersDeposit, ledgerapi.DepositRequest{Ref: "d1", Currency: "EUR",
				Credits: []orders.TransferEntry{{Account: "Org2MSP/ann", Amount: 900}}})
			clitest.Must(t, l, ledgerapi.ProvenanceRegisterProduct, ledgerapi.RegisterProductRequest{GTIN: gtin, Name: "Beans"})
			clitest.Must(t, l, ledgerapi.ProvenanceRegisterLot, ledgerapi.RegisterLotRequest{GTIN: gtin, Lot: "L1", Quantity: 1})
			l.As(customer)
			clitest.Must(t, l, ledgerapi.OrdersPlace, ledgerapi.PlaceOrderRequest{ID: "o1", Merchant: "Org1MSP", Amount: 900, Currency: "EUR",
				Deadline: l.Now().Add(time.Hour), Items: []orders.OrderItem{{SKU: "beans", Quantity: 1}}, Carrier: "Org2MSP",
				Shipment: &orders.Shipment{GTIN: gtin, Lot: "L1"}})
			l.As(clitest.User("Org2MSP", "User1"))
			c := tr.Open(t, l)
			receiving := func(min int, lot string) string {
				return fmt.Sprintf(`{"type":"ObjectEvent","eventTime":"2026-03-05T10:%02d:00Z","eventTimeZoneOffset":"+00:00",
				  "quantityList":[{"epcClass":"urn:epc:class:lgtin:9506000.013436.%s","quantity":1}],"action":"OBSERVE","bizStep":"receiving",
				  "bizTransactionList":[{"type":"po","bizTransaction":"urn:cxledger:order:o1"}],
				  "destinationList":[{"type":"possessing_party","destination":"urn:cxledger:party:Org2MSP/ann"}]}`, min, lot)
			}
			r := clitest.Run(t, c, NewCmdEPCIS, "capture", withEvent(t, receiving(1, "L2"))).OK(t)
			if !strings.Contains(r.Stderr, "not delivered: event 0: order o1: the event does not name lot "+gtin+"/L1") {
				t.Fatalf("mismatch said %q", r.Stderr)
			}
			r = clitest.Run(t, c, NewCmdEPCIS, "capture", withEvent(t, receiving(2, "L1"))).OK(t)
			if !strings.Contains(r.Stderr, "delivered: event 0: order o1: 900 EUR released to the merchant") {
				t.Fatalf("proof said %q", r.Stderr)
			}
			l.As(customer)
			if o := clitest.Must(t, l, ledgerapi.OrdersGetOrder, ledgerapi.OrderRequest{ID: "o1"}); o.State != orders.StateDelivered || o.DeliveredBy != "Org2MSP" {
				t.Fatalf("order %+v", o)
			}
		})
	}
}
