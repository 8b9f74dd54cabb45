package provenancecc_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
	"github.com/cxledger/cxledger/cxlerr"
)

// lotNames renders trace lots as "<gtin suffix>/<lot>@<depth>:<holder>".
func lotNames(lots []provenance.TraceLot) []string {
	out := []string{}
	for _, l := range lots {
		out = append(out, fmt.Sprintf("%s@%d:%s", l.Lot, l.Depth, l.Holder))
	}
	return out
}

func itemNames(items []provenance.TraceItem) []string {
	out := []string{}
	for _, it := range items {
		s := it.Lot + "/" + it.Serial + ":" + it.Holder
		if it.OfferedTo != "" {
			s += ">" + it.OfferedTo
		}
		out = append(out, s)
	}
	return out
}

func TestTrace(t *testing.T) {
	e := newEnv(t)
	seedSupplyChain(e)
	e.as(roaster, "shipping")
	must(e, text((*provenancecc.Contract).OfferCustody), j(obj{"kind": "item", "gtin": pack, "serial": "S2", "to": shop, "location": "Dock 4"}))
	must(e, text((*provenancecc.Contract).OfferCustody), j(obj{"kind": "lot", "gtin": roasted, "lot": "R2", "to": carrier, "location": "Dock 4"}))
	e.as(farm, "quality")
	must(e, text((*provenancecc.Contract).RecallLot), j(obj{"gtin": beans, "lot": "B2", "reason": "mould"}))
	e.as(shop, "clerk") // queries are open to every member
	trace := text((*provenancecc.Contract).Trace)

	t.Run("downstream of beans", func(t *testing.T) {
		tr, _ := check(t, e, trace, j(obj{"gtin": beans, "lot": "B1"}), "", "")
		if got := lotNames([]provenance.TraceLot{tr.Lot}); !slices.Equal(got, []string{"B1@0:RoasterMSP"}) {
			t.Fatalf("lot %q", got)
		}
		if len(tr.Upstream) != 0 || tr.Upstream == nil {
			t.Fatalf("upstream %v", tr.Upstream)
		}
		if got := lotNames(tr.Downstream); !slices.Equal(got, []string{"R1@1:RoasterMSP", "R2@1:RoasterMSP", "P1@2:RoasterMSP"}) {
			t.Fatalf("downstream %q", got)
		}
		if tr.Downstream[1].OfferedTo != carrier || tr.Downstream[2].Inputs[0].Lot != "R1" {
			t.Fatalf("downstream details %+v", tr.Downstream)
		}
		want := []string{"R1/R-1:RoasterMSP", "R1/R-2:RoasterMSP", "R1/R-3:RoasterMSP", "R1/R-4:RoasterMSP", "R1/R-5:RoasterMSP",
			"P1/S1:RoasterMSP", "P1/S2:RoasterMSP>ShopMSP", "P1/S3:RoasterMSP"}
		if got := itemNames(tr.Items); !slices.Equal(got, want) || tr.Bookmark != "" {
			t.Fatalf("items %q, bookmark %q", got, tr.Bookmark)
		}
	})

	t.Run("upstream of packs", func(t *testing.T) {
		tr, _ := check(t, e, trace, j(obj{"gtin": pack[1:], "lot": "P1"}), "", "")
		if got := lotNames(tr.Upstream); !slices.Equal(got, []string{"R1@1:RoasterMSP", "B1@2:RoasterMSP", "B2@2:RoasterMSP"}) {
			t.Fatalf("upstream %q", got)
		}
		if tr.Upstream[2].Recall == nil || tr.Upstream[2].Recall.Reason != "mould" || tr.Upstream[2].Owner != farm {
			t.Fatalf("recalled input %+v", tr.Upstream[2])
		}
		if len(tr.Downstream) != 0 || len(tr.Items) != 3 {
			t.Fatalf("downstream %v, items %v", tr.Downstream, tr.Items)
		}
	})

	t.Run("pages", func(t *testing.T) {
		var all []string
		bookmark, pages := "", 0
		for {
			tr, _ := check(t, e, trace, j(obj{"gtin": beans, "lot": "B1", "pageSize": 3, "bookmark": bookmark}), "", "")
			all = append(all, itemNames(tr.Items)...)
			pages++
			if tr.Bookmark == "" {
				break
			}
			if len(tr.Items) != 3 {
				t.Fatalf("short page %d before the end", len(tr.Items))
			}
			bookmark = tr.Bookmark
		}
		if pages != 3 || len(all) != 8 || all[5] != "P1/S1:RoasterMSP" {
			t.Fatalf("%d pages: %q", pages, all)
		}
	})

	first, _ := check(t, e, trace, j(obj{"gtin": beans, "lot": "B1", "pageSize": 2}), "", "")
	for _, tt := range []struct {
		name string
		args string
		code cxlerr.Code
		want string
	}{
		{"unknown lot", j(obj{"gtin": beans, "lot": "B9"}), cxlerr.NotFound, "lot " + beans + "/B9 not found"},
		{"page too large", j(obj{"gtin": beans, "lot": "B1", "pageSize": 10001}), cxlerr.Invalid, "pageSize: must be 1 to 10000"},
		{"negative page", j(obj{"gtin": beans, "lot": "B1", "pageSize": -1}), cxlerr.Invalid, "pageSize"},
		{"garbage bookmark", j(obj{"gtin": beans, "lot": "B1", "bookmark": "!!"}), cxlerr.Invalid, "bookmark: not a trace bookmark"},
		{"bookmark of another trace", j(obj{"gtin": roasted, "lot": "R2", "bookmark": first.Bookmark}), cxlerr.Invalid, "bookmark: lot " + roasted + "/R1 is not in this trace"},
		{"bad GTIN", j(obj{"gtin": "x", "lot": "B1"}), cxlerr.Invalid, "gtin"},
		{"bad lot", j(obj{"gtin": beans, "lot": ""}), cxlerr.Invalid, "lot"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			check(t, e, trace, tt.args, tt.code, tt.want)
		})
	}
}

// TestTraceTenThousandItems registers 10,000 items in one lot and traces
// them in one call. On the fake the whole trace takes milliseconds; on a
// peer the cost is fifty 200-row range pages plus the JSON.
func TestTraceTenThousandItems(t *testing.T) {
	if testing.Short() {
		t.Skip("registers 10,000 items")
	}
	e := newEnv(t)
	registerBigLot(e, 10000)
	e.as(shop, "clerk")
	start := time.Now()
	tr, err := text((*provenancecc.Contract).Trace)(e.c, ctxOf(e), j(obj{"gtin": pack, "lot": "BIG", "pageSize": 10000}))
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Items) != 10000 || tr.Bookmark != "" || tr.Items[9999].Holder != roaster {
		t.Fatalf("%d items, bookmark %q", len(tr.Items), tr.Bookmark)
	}
	t.Logf("trace of 10,000 items: %v", elapsed)
	if e.stub.OpenIterators() != 0 {
		t.Fatal("trace left iterators open")
	}
}

// registerBigLot registers lot BIG of pack with n items, 500 per call.
func registerBigLot(e *env, n int) {
	e.t.Helper()
	e.as(roaster, "planner")
	must(e, text((*provenancecc.Contract).RegisterProduct), j(obj{"gtin": pack, "name": "Coffee 250 g"}))
	must(e, text((*provenancecc.Contract).RegisterLot), j(obj{"gtin": pack, "lot": "BIG", "quantity": n}))
	for from := 1; from <= n; from += 500 {
		must(e, text((*provenancecc.Contract).RegisterItems), j(obj{"gtin": pack, "lot": "BIG", "serials": serials("S", from, min(from+499, n))}))
	}
}

func BenchmarkTrace10k(b *testing.B) {
	t := &testing.T{}
	e := newEnv(t)
	e.t = t
	registerBigLot(e, 10000)
	e.as(shop, "clerk")
	args := j(obj{"gtin": pack, "lot": "BIG", "pageSize": 10000})
	b.ResetTimer()
	for b.Loop() {
		if _, err := text((*provenancecc.Contract).Trace)(e.c, ctxOf(e), args); err != nil {
			b.Fatal(err)
		}
	}
}
