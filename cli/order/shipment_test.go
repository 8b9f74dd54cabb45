package order

import (
	"reflect"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cli/product"
	"github.com/cxledger/cxledger/gs1"
	"github.com/cxledger/cxledger/ledgerapi"
)

// kettle is the GTIN-14 of the product the shipment tests order.
var kettle = "0950600013435" + string(gs1.CheckDigit("0950600013435"))

func TestPlaceShipmentFlags(t *testing.T) {
	base := []string{"o1", "--merchant", "M", "--amount", "1", "--currency", "EUR", "--deadline", "7d", "--item", "a:1", "--carrier", "C"}
	cases := []struct {
		name    string
		args    []string
		want    *orders.Shipment
		wantErr string
	}{
		{name: "no shipment", args: nil},
		{name: "lot", args: []string{"--ship-lot", kettle + "/L/1", "--ship-sscc", "106141411234567897"},
			want: &orders.Shipment{GTIN: kettle, Lot: "L/1", SSCC: "106141411234567897"}},
		{name: "items", args: []string{"--ship-item", kettle + "/S1", "--ship-item", kettle + "/S2"},
			want: &orders.Shipment{GTIN: kettle, Serials: []string{"S1", "S2"}}},
		{name: "lot and items", args: []string{"--ship-lot", kettle + "/L1", "--ship-item", kettle + "/S1"}, wantErr: "not both"},
		{name: "two GTINs", args: []string{"--ship-item", kettle + "/S1", "--ship-item", "4006381333931/S2"}, wantErr: "one GTIN"},
		{name: "no lot", args: []string{"--ship-lot", kettle}, wantErr: "want GTIN/LOT"},
		{name: "no serial", args: []string{"--ship-item", kettle + "/"}, wantErr: "want GTIN/SERIAL"},
		{name: "label alone", args: []string{"--ship-sscc", "106141411234567897"}, wantErr: "--ship-sscc labels a shipment"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := clitest.Factory(t, nil)
			var got *PlaceOptions
			r := clitest.Exec(t, f, NewCmdPlace(f, func(o *PlaceOptions) error { got = o; return nil }), append(base, tc.args...)...)
			if tc.wantErr != "" {
				r.Fails(t, cmdutil.ExitUsage, tc.wantErr)
				return
			}
			r.OK(t)
			if !reflect.DeepEqual(got.Request.Shipment, tc.want) {
				t.Fatalf("shipment %+v, want %+v", got.Request.Shipment, tc.want)
			}
		})
	}
}

// TestOrderDeliveredByHandover: an order naming its lot is delivered, and its escrow paid to
// the merchant, when the customer accepts the lot from the order's carrier; the shipment
// must exist.
func TestOrderDeliveredByHandover(t *testing.T) {
	driver := clitest.User("Org2MSP", "Driver")
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l, cx := funded(t, tr)
			l.Grant(t, "Org1MSP", ledgertypes.Brand)
			cx(product.NewCmdProduct, "register", kettle, "--name", "Kettle").OK(t)
			cx(product.NewCmdProduct, "register", kettle, "--lot", "L1", "--quantity", "1").OK(t)
			cx(product.NewCmdProduct, "handover", kettle, "--lot", "L1", "--to", "Org2MSP", "--location", "warehouse").OK(t)
			l.As(driver)
			cx(product.NewCmdProduct, "accept", kettle, "--lot", "L1").OK(t)

			l.As(customer)
			place := []string{"place", "o1", "--merchant", "Org1MSP", "--amount", "2500", "--currency", "EUR", "--deadline", "7d",
				"--item", "kettle:1", "--carrier", "Org2MSP"}
			cx(NewCmdOrder, append(place, "--ship-lot", kettle+"/NOLOT")...).Fails(t, cmdutil.ExitNotFound, "shipment: lot NOLOT")
			var placed ledgerapi.Committed[orders.Order]
			cx(NewCmdOrder, append(place, "--ship-lot", kettle+"/L1", "--json")...).OK(t).JSON(t, &placed)
			if s := placed.Result.Shipment; s == nil || s.GTIN != kettle || s.Lot != "L1" {
				t.Fatalf("placed shipment %+v", s)
			}

			l.As(driver)
			cx(product.NewCmdProduct, "handover", kettle, "--lot", "L1", "--to", "Org2MSP/User1", "--location", "front door").OK(t)
			l.As(customer)
			var accepted ledgerapi.Committed[provenance.Custody]
			cx(product.NewCmdProduct, "accept", kettle, "--lot", "L1", "--json").OK(t).JSON(t, &accepted)
			if d := accepted.Result.Delivery; d == nil || *d != (provenance.Delivery{Order: "o1", Released: true, Amount: 2500, Currency: "EUR"}) {
				t.Fatalf("acceptance delivery %+v", d)
			}
			if out := cx(NewCmdOrder, "show", "o1").OK(t).Stdout; !strings.Contains(out, "shipment:\tlot "+kettle+"/L1\n") {
				t.Fatalf("show printed %q", out)
			}
			var shown orders.Order
			cx(NewCmdOrder, "show", "o1", "--json").OK(t).JSON(t, &shown)
			if shown.State != orders.StateDelivered || shown.UpdatedTx != accepted.TransactionID || shown.Released != 2500 {
				t.Fatalf("order after the handover %+v", shown)
			}
			cx(NewCmdOrder, "confirm-delivery", "o1").Fails(t, cmdutil.ExitConflict, "it is delivered")
		})
	}
}
