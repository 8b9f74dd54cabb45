//go:build integration

package test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
)

// TestProvenanceLifecycle drives the provenance contract on the real network: Org1 (brand)
// registers coffee from green beans to a roasted batch to retail packs and serialises the
// packs, hands a lot and items over to Org2 in two steps (accept, reject, withdraw, a
// wrong receiver), certificates are issued and revoked, the beans are recalled, and Trace,
// Verify and History show all of it. Along the way it checks that a handover needs
// endorsements from both organisations' peers: the custody keys carry state-based
// endorsement policies.
func TestProvenanceLifecycle(t *testing.T) {
	run := newProvRun()
	var (
		brand    = provAs(t, "Org1MSP", "User1") // Org1: brand
		brand2   = provAs(t, "Org1MSP", "User2") // another client of Org1
		carrier  = provAs(t, "Org2MSP", "User1") // Org2: carrier, auditor
		carrier2 = provAs(t, "Org2MSP", "User2") // another client of Org2
		driver   = ccAccount(t, "Org2MSP", "User1")

		beans   = run.gtin(1)
		roasted = run.gtin(2)
		pack    = run.gtin(3)
		lotB    = provenance.LotRef{GTIN: beans, Lot: "GREEN-1"}
		lotR    = provenance.LotRef{GTIN: roasted, Lot: "ROAST-1"}
		lotP1   = provenance.LotRef{GTIN: pack, Lot: "PACK-A"}
		lotP2   = provenance.LotRef{GTIN: pack, Lot: "PACK-B"}
		// Serials of the two pack lots; the first three of PACK-A are handed over.
		serialsP1 = []string{"A001", "A002", "A003", "A004", "A005"}
		serialsP2 = []string{"B001", "B002", "B003"}
		now       = time.Now().UTC().Truncate(time.Second)
	)
	step := func(name string, fn func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}

	step("register products", func(t *testing.T) {
		for _, p := range []struct{ gtin, name string }{
			{beans, "Green coffee beans, Huila"}, {roasted, "Roasted coffee, house blend"}, {pack, "Coffee 250 g retail pack"},
		} {
			var got provenance.Product
			// GTIN-13 in, GTIN-14 out.
			brand.submit(t, "RegisterProduct", map[string]any{"gtin": p.gtin[1:], "name": p.name, "attributes": map[string]string{"origin": "CO"}}, &got)
			if got.GTIN != p.gtin || got.Owner != "Org1MSP" || got.Name != p.name || got.RegisteredTx == "" {
				t.Fatalf("RegisterProduct %s returned %+v", p.gtin, got)
			}
		}
		brand.wantCode(t, cxlerr.Conflict, "RegisterProduct", map[string]any{"gtin": beans, "name": "again"})
		carrier.wantCode(t, cxlerr.Forbidden, "RegisterProduct", map[string]any{"gtin": run.gtin(4), "name": "not a brand"})
		brand.wantCode(t, cxlerr.Invalid, "RegisterProduct", map[string]any{"gtin": "09506000134353", "name": "bad check digit"})
		brand.wantCode(t, cxlerr.Invalid, "RegisterProduct", map[string]any{"gtin": run.gtin(5), "name": "x", "colour": "unknown field"})
	})

	step("register lots with lineage", func(t *testing.T) {
		lots := []struct {
			ref      provenance.LotRef
			quantity int64
			unit     string
			inputs   []provenance.LotRef
		}{
			{lotB, 1200, "kg", nil},
			{lotR, 1000, "kg", []provenance.LotRef{lotB}},
			{lotP1, 5, "", []provenance.LotRef{lotR}},
			{lotP2, 3, "", []provenance.LotRef{lotR}},
		}
		for _, l := range lots {
			var got provenance.ProductLot
			brand.submit(t, "RegisterLot", map[string]any{
				"gtin": l.ref.GTIN, "lot": l.ref.Lot, "quantity": l.quantity, "unit": l.unit,
				"inputs": l.inputs, "location": "Org1 plant, Neiva",
			}, &got)
			if got.GTIN != l.ref.GTIN || got.Lot != l.ref.Lot || got.Owner != "Org1MSP" || got.Quantity != l.quantity || !slices.Equal(got.Inputs, l.inputs) {
				t.Fatalf("RegisterLot %v returned %+v", l.ref, got)
			}
		}
		brand.wantCode(t, cxlerr.Conflict, "RegisterLot", map[string]any{"gtin": lotB.GTIN, "lot": lotB.Lot, "quantity": 1})
		brand.wantCode(t, cxlerr.NotFound, "RegisterLot", map[string]any{"gtin": pack, "lot": "PACK-X", "quantity": 1, "inputs": []provenance.LotRef{{GTIN: roasted, Lot: "NO-SUCH-LOT"}}})
		brand.wantCode(t, cxlerr.Invalid, "RegisterLot", map[string]any{"gtin": pack, "lot": "PACK-X", "quantity": 0})
		carrier.wantCode(t, cxlerr.Forbidden, "RegisterLot", map[string]any{"gtin": pack, "lot": "PACK-X", "quantity": 1})
	})

	step("register items", func(t *testing.T) {
		for _, batch := range []struct {
			lot     provenance.LotRef
			serials []string
		}{{lotP1, serialsP1}, {lotP2, serialsP2}} {
			var got provenance.ItemsRegistered
			brand.submit(t, "RegisterItems", map[string]any{"gtin": batch.lot.GTIN, "lot": batch.lot.Lot, "serials": batch.serials}, &got)
			if got.Holder != "Org1MSP" || !slices.Equal(got.Serials, batch.serials) {
				t.Fatalf("RegisterItems %v returned %+v", batch.lot, got)
			}
		}
		brand.wantCode(t, cxlerr.Conflict, "RegisterItems", map[string]any{"gtin": pack, "lot": lotP2.Lot, "serials": []string{"B004", "A001"}})
		brand.wantCode(t, cxlerr.Invalid, "RegisterItems", map[string]any{"gtin": pack, "lot": lotP2.Lot, "serials": []string{}})
		brand.wantCode(t, cxlerr.Invalid, "RegisterItems", map[string]any{"gtin": pack, "lot": lotP2.Lot, "serials": []string{"B009", "B009"}})
	})

	lotArgs := func(l provenance.LotRef) map[string]any {
		return map[string]any{"kind": "lot", "gtin": l.GTIN, "lot": l.Lot}
	}
	itemArgs := func(serial string) map[string]any {
		return map[string]any{"kind": "item", "gtin": pack, "serial": serial}
	}
	with := func(args map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for k, v := range args {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}

	step("hand a lot over to Org2", func(t *testing.T) {
		carrier.wantCode(t, cxlerr.Forbidden, "OfferCustody", with(lotArgs(lotP1), "to", "Org2MSP", "location", "dock 4"))
		brand.wantCode(t, cxlerr.Conflict, "OfferCustody", with(lotArgs(lotP1), "to", "Org1MSP", "location", "dock 4"))
		brand.wantCode(t, cxlerr.NotFound, "OfferCustody", with(lotArgs(lotP1), "to", "Org9MSP", "location", "dock 4"))
		brand.wantCode(t, cxlerr.NotFound, "OfferCustody", with(lotArgs(lotP1), "to", "Org2MSPX/bob", "location", "dock 4"))
		var offered provenance.Custody
		brand.submit(t, "OfferCustody", with(lotArgs(lotP1), "to", "Org2MSP", "location", "Org1 dock 4, Neiva"), &offered)
		if offered.Holder != "Org1MSP" || offered.Offer == nil || offered.Offer.To != "Org2MSP" || offered.Offer.Location != "Org1 dock 4, Neiva" {
			t.Fatalf("OfferCustody returned %+v", offered)
		}
		brand.wantCode(t, cxlerr.Conflict, "OfferCustody", with(lotArgs(lotP1), "to", "Org2MSP", "location", "dock 5"))
		// The receiver is Org2: neither the holder's other clients nor anyone else accepts.
		brand2.wantCode(t, cxlerr.Forbidden, "AcceptCustody", lotArgs(lotP1))
		brand.wantCode(t, cxlerr.Forbidden, "RejectCustody", lotArgs(lotP1))
		carrier.wantCode(t, cxlerr.Forbidden, "WithdrawCustodyOffer", lotArgs(lotP1))
		carrier.wantCode(t, cxlerr.Conflict, "AcceptCustody", lotArgs(lotP2)) // nothing offered
		carrier.wantCode(t, cxlerr.NotFound, "AcceptCustody", lotArgs(provenance.LotRef{GTIN: pack, Lot: "NO-SUCH-LOT"}))
	})

	step("handover needs both organisations' endorsements", func(t *testing.T) {
		// The pending offer put AND(Org1MSP.peer, Org2MSP.peer) on the custody key: an
		// acceptance endorsed by one organisation's peers alone is endorsed (the chaincode
		// approves it) but must be invalidated at commit, and change nothing.
		for _, only := range []string{"Org2MSP", "Org1MSP"} {
			_, _, err := carrier.trySubmit("AcceptCustody", lotArgs(lotP1), client.WithEndorsingOrganizations(only))
			var ce *ccCommitError
			if !errors.As(err, &ce) || ce.Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
				t.Fatalf("AcceptCustody endorsed by %s alone: got %v (%T), want a commit error ENDORSEMENT_POLICY_FAILURE", only, err, err)
			}
		}
		var tr provenance.LotTrace
		brand.evaluate(t, "Trace", map[string]any{"gtin": lotP1.GTIN, "lot": lotP1.Lot}, &tr)
		if tr.Lot.Holder != "Org1MSP" || tr.Lot.OfferedTo != "Org2MSP" {
			t.Fatalf("after the invalid acceptances the lot is %+v, want held by Org1MSP and offered to Org2MSP", tr.Lot)
		}
	})

	step("accept the lot", func(t *testing.T) {
		var got provenance.Custody
		carrier2.submit(t, "AcceptCustody", lotArgs(lotP1), &got) // any client of Org2 acts for Org2
		if got.Holder != "Org2MSP" || got.Offer != nil || got.Location != "Org1 dock 4, Neiva" || got.SinceTx == "" {
			t.Fatalf("AcceptCustody returned %+v", got)
		}
		carrier.wantCode(t, cxlerr.Conflict, "AcceptCustody", lotArgs(lotP1))
		brand.wantCode(t, cxlerr.Forbidden, "OfferCustody", with(lotArgs(lotP1), "to", "Org1MSP", "location", "back"))
	})

	step("hand items over, reject, withdraw", func(t *testing.T) {
		// A001 goes to one identity of Org2: only that identity accepts.
		brand.submit(t, "OfferCustody", with(itemArgs("A001"), "to", driver, "location", "Org1 dock 4, Neiva"), nil)
		carrier2.wantCode(t, cxlerr.Forbidden, "AcceptCustody", itemArgs("A001"))
		brand.wantCode(t, cxlerr.Forbidden, "AcceptCustody", itemArgs("A001"))
		var got provenance.Custody
		carrier.submit(t, "AcceptCustody", itemArgs("A001"), &got)
		if got.Kind != "item" || got.Lot != lotP1.Lot || got.Serial != "A001" || got.Holder != driver {
			t.Fatalf("AcceptCustody of A001 returned %+v", got)
		}
		// A002 goes to Org2, which rejects it.
		brand.submit(t, "OfferCustody", with(itemArgs("A002"), "to", "Org2MSP", "location", "Org1 dock 4, Neiva"), nil)
		brand.wantCode(t, cxlerr.Forbidden, "RejectCustody", itemArgs("A002"))
		carrier2.submit(t, "RejectCustody", with(itemArgs("A002"), "reason", "damaged carton"), &got)
		if got.Holder != "Org1MSP" || got.Offer != nil {
			t.Fatalf("RejectCustody of A002 returned %+v", got)
		}
		carrier.wantCode(t, cxlerr.Conflict, "AcceptCustody", itemArgs("A002"))
		// A003 is offered and withdrawn.
		brand.submit(t, "OfferCustody", with(itemArgs("A003"), "to", "Org2MSP", "location", "Org1 dock 4, Neiva"), nil)
		brand2.submit(t, "WithdrawCustodyOffer", itemArgs("A003"), &got)
		if got.Holder != "Org1MSP" || got.Offer != nil {
			t.Fatalf("WithdrawCustodyOffer of A003 returned %+v", got)
		}
		carrier.wantCode(t, cxlerr.NotFound, "OfferCustody", with(itemArgs("Z999"), "to", "Org1MSP", "location", "x"))
	})

	step("the holder's key policy alone governs its custody key", func(t *testing.T) {
		// Since the acceptance, A001's custody key needs a peer of Org2 only: the holder
		// offering it endorsed by Org2 alone is VALID although the chaincode's policy
		// (MAJORITY of two organisations) would need both. Settling the offer needs both
		// again: Org2 withdrawing it endorsed by Org2 alone is invalid.
		var got provenance.Custody
		carrier.submit(t, "OfferCustody", with(itemArgs("A001"), "to", "Org1MSP", "location", "Org2 hub, Bogota"), &got, client.WithEndorsingOrganizations("Org2MSP"))
		if got.Offer == nil || got.Offer.To != "Org1MSP" {
			t.Fatalf("OfferCustody of A001 returned %+v", got)
		}
		_, _, err := carrier.trySubmit("WithdrawCustodyOffer", itemArgs("A001"), client.WithEndorsingOrganizations("Org2MSP"))
		var ce *ccCommitError
		if !errors.As(err, &ce) || ce.Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
			t.Fatalf("WithdrawCustodyOffer endorsed by Org2MSP alone: got %v, want a commit error ENDORSEMENT_POLICY_FAILURE", err)
		}
		carrier.submit(t, "WithdrawCustodyOffer", itemArgs("A001"), &got)
		if got.Holder != driver || got.Offer != nil {
			t.Fatalf("WithdrawCustodyOffer of A001 returned %+v", got)
		}
		// A write to a key without a key-level policy falls back to the chaincode's policy.
		_, _, err = brand.trySubmit("RegisterProduct", map[string]any{"gtin": run.gtin(6), "name": "one org only"}, client.WithEndorsingOrganizations("Org1MSP"))
		if !errors.As(err, &ce) || ce.Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
			t.Fatalf("RegisterProduct endorsed by Org1MSP alone: got %v, want a commit error ENDORSEMENT_POLICY_FAILURE", err)
		}
	})

	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	cert := func(subject map[string]any, id, typ string, from, until time.Time) map[string]any {
		return map[string]any{"subject": subject, "id": id, "type": typ, "hash": hash(id), "validFrom": from, "validUntil": until}
	}
	year := 365 * 24 * time.Hour

	step("certificates", func(t *testing.T) {
		var got provenance.Certificate
		// Org2 is an auditor: it certifies anything.
		carrier.submit(t, "IssueCertificate", cert(lotArgs(lotB), "ORG-2025-001", "organic", now.Add(-year), now.Add(year)), &got)
		if got.Issuer != "Org2MSP" || got.Subject.Kind != "lot" || got.Subject.GTIN != beans || got.Hash != hash("ORG-2025-001") {
			t.Fatalf("IssueCertificate returned %+v", got)
		}
		// Org1 is a brand: it certifies its own products.
		brand.submit(t, "IssueCertificate", cert(map[string]any{"kind": "product", "gtin": pack}, "CE-1", "ce-conformity", now.Add(-year), now.Add(year)), nil)
		brand.submit(t, "IssueCertificate", cert(itemArgs("A001"), "SEAL-A001", "tamper-seal", now.Add(-time.Hour), now.Add(year)), nil)
		// Not valid now: expired, not yet valid, revoked.
		brand.submit(t, "IssueCertificate", cert(lotArgs(lotP1), "QC-OLD", "quality-check", now.Add(-2*year), now.Add(-year)), nil)
		brand.submit(t, "IssueCertificate", cert(lotArgs(lotR), "QC-NEXT", "quality-check", now.Add(year), now.Add(2*year)), nil)
		brand.submit(t, "IssueCertificate", cert(lotArgs(lotR), "QC-1", "quality-check", now.Add(-year), now.Add(year)), nil)
		carrier.wantCode(t, cxlerr.Forbidden, "RevokeCertificate", map[string]any{"subject": lotArgs(lotR), "id": "QC-1", "reason": "not mine"})
		brand.submit(t, "RevokeCertificate", map[string]any{"subject": lotArgs(lotR), "id": "QC-1", "reason": "sample contaminated"}, &got)
		if got.Revocation == nil || got.Revocation.Reason != "sample contaminated" {
			t.Fatalf("RevokeCertificate returned %+v", got)
		}
		brand.wantCode(t, cxlerr.Conflict, "RevokeCertificate", map[string]any{"subject": lotArgs(lotR), "id": "QC-1", "reason": "again"})
		brand.wantCode(t, cxlerr.Conflict, "IssueCertificate", cert(lotArgs(lotR), "QC-1", "quality-check", now.Add(-year), now.Add(year)))
		brand.wantCode(t, cxlerr.NotFound, "RevokeCertificate", map[string]any{"subject": lotArgs(lotR), "id": "QC-404", "reason": "x"})
		brand.wantCode(t, cxlerr.Invalid, "IssueCertificate", cert(lotArgs(lotR), "QC-2", "quality-check", now.Add(year), now))
	})

	step("recall the beans", func(t *testing.T) {
		carrier.wantCode(t, cxlerr.Forbidden, "RecallLot", map[string]any{"gtin": beans, "lot": lotB.Lot, "reason": "not the owner"})
		var got provenance.ProductLot
		brand.submit(t, "RecallLot", map[string]any{"gtin": beans, "lot": lotB.Lot, "reason": "ochratoxin above limit"}, &got)
		if got.Recall == nil || got.Recall.Reason != "ochratoxin above limit" || got.Recall.TxID == "" {
			t.Fatalf("RecallLot returned %+v", got)
		}
		brand.wantCode(t, cxlerr.Conflict, "RecallLot", map[string]any{"gtin": beans, "lot": lotB.Lot, "reason": "again"})
	})

	// The items of the trace of the beans, lot by lot (beans, roast, PACK-A, PACK-B), each
	// lot's by serial, with their holders now.
	wantItems := []provenance.TraceItem{}
	for _, s := range serialsP1 {
		holder := "Org1MSP"
		if s == "A001" {
			holder = driver
		}
		wantItems = append(wantItems, provenance.TraceItem{GTIN: pack, Lot: lotP1.Lot, Serial: s, Holder: holder})
	}
	for _, s := range serialsP2 {
		wantItems = append(wantItems, provenance.TraceItem{GTIN: pack, Lot: lotP2.Lot, Serial: s, Holder: "Org1MSP"})
	}

	step("trace the recalled lot", func(t *testing.T) {
		for _, who := range []ccClient{brand, carrier} { // any member traces
			var tr provenance.LotTrace
			who.evaluate(t, "Trace", map[string]any{"gtin": beans[1:], "lot": lotB.Lot}, &tr)
			if tr.Lot.GTIN != beans || tr.Lot.Lot != lotB.Lot || tr.Lot.Depth != 0 || tr.Lot.Holder != "Org1MSP" || tr.Lot.Recall == nil || tr.Lot.Recall.Reason != "ochratoxin above limit" {
				t.Fatalf("%s: traced lot %+v", who.name, tr.Lot)
			}
			if len(tr.Upstream) != 0 {
				t.Fatalf("%s: the beans have upstream lots %+v", who.name, tr.Upstream)
			}
			got := provLots(tr.Downstream)
			want := []string{
				fmt.Sprintf("%s/%s depth 1 holder Org1MSP", roasted, lotR.Lot),
				fmt.Sprintf("%s/%s depth 2 holder Org2MSP", pack, lotP1.Lot),
				fmt.Sprintf("%s/%s depth 2 holder Org1MSP", pack, lotP2.Lot),
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s: downstream\n got %q\nwant %q", who.name, got, want)
			}
			if !slices.Equal(tr.Items, wantItems) || tr.Bookmark != "" {
				t.Fatalf("%s: items\n got %+v (bookmark %q)\nwant %+v", who.name, tr.Items, tr.Bookmark, wantItems)
			}
		}
		// Upstream from a pack: nearest first, with the recall.
		var tr provenance.LotTrace
		carrier.evaluate(t, "Trace", map[string]any{"gtin": pack, "lot": lotP1.Lot}, &tr)
		if got, want := provLots(tr.Upstream), []string{
			fmt.Sprintf("%s/%s depth 1 holder Org1MSP", roasted, lotR.Lot),
			fmt.Sprintf("%s/%s depth 2 holder Org1MSP", beans, lotB.Lot),
		}; !slices.Equal(got, want) {
			t.Fatalf("upstream of PACK-A\n got %q\nwant %q", got, want)
		}
		if tr.Upstream[1].Recall == nil || len(tr.Downstream) != 0 || !slices.Equal(tr.Items, wantItems[:len(serialsP1)]) {
			t.Fatalf("trace of PACK-A: %+v", tr)
		}
		carrier.wantEvalCode(t, cxlerr.NotFound, "Trace", map[string]any{"gtin": beans, "lot": "NO-SUCH-LOT"})
		carrier.wantEvalCode(t, cxlerr.Invalid, "Trace", map[string]any{"gtin": beans, "lot": lotB.Lot, "pageSize": 10001})
		carrier.wantEvalCode(t, cxlerr.Invalid, "Trace", map[string]any{"gtin": beans, "lot": lotB.Lot, "bookmark": "bogus"})
	})

	step("trace in pages", func(t *testing.T) {
		var all []provenance.TraceItem
		bookmark, pages := "", 0
		for {
			var tr provenance.LotTrace
			brand.evaluate(t, "Trace", map[string]any{"gtin": beans, "lot": lotB.Lot, "pageSize": 3, "bookmark": bookmark}, &tr)
			pages++
			if len(tr.Items) > 3 || len(tr.Downstream) != 3 {
				t.Fatalf("page %d: %d items, %d downstream lots", pages, len(tr.Items), len(tr.Downstream))
			}
			all = append(all, tr.Items...)
			if bookmark = tr.Bookmark; bookmark == "" {
				break
			}
			if pages > 10 {
				t.Fatalf("more than 10 pages of 3 for %d items", len(wantItems))
			}
		}
		if pages != 3 || !slices.Equal(all, wantItems) {
			t.Fatalf("%d pages of items\n got %+v\nwant %+v", pages, all, wantItems)
		}
	})

	step("verify items", func(t *testing.T) {
		var v provenance.Verification
		carrier2.evaluate(t, "Verify", map[string]any{"gtin": pack[1:], "serial": "A001"}, &v)
		if !v.Genuine || v.GTIN != pack || v.Serial != "A001" || v.CheckedAt.IsZero() {
			t.Fatalf("Verify A001: %+v", v)
		}
		if v.Product == nil || v.Product.Owner != "Org1MSP" || v.Lot == nil || v.Lot.Lot != lotP1.Lot {
			t.Fatalf("Verify A001: origin product %+v lot %+v", v.Product, v.Lot)
		}
		if v.Custody == nil || v.Custody.Holder != driver || v.Custody.Offer != nil {
			t.Fatalf("Verify A001: custody %+v", v.Custody)
		}
		if got := provHolders(v.ItemCustody); !slices.Equal(got, []string{"Org1MSP@Org1 plant, Neiva", driver + "@Org1 dock 4, Neiva"}) {
			t.Fatalf("Verify A001: item custody chain %q", got)
		}
		if got := provHolders(v.LotCustody); !slices.Equal(got, []string{"Org1MSP@Org1 plant, Neiva", "Org2MSP@Org1 dock 4, Neiva"}) {
			t.Fatalf("Verify A001: lot custody chain %q", got)
		}
		if got := provLots(v.Upstream); len(got) != 2 {
			t.Fatalf("Verify A001: upstream %q", got)
		}
		var certs []string
		for _, c := range v.Certificates {
			certs = append(certs, c.Issuer+":"+c.Type+":"+c.ID)
		}
		slices.Sort(certs)
		if want := []string{"Org1MSP:ce-conformity:CE-1", "Org1MSP:tamper-seal:SEAL-A001", "Org2MSP:organic:ORG-2025-001"}; !slices.Equal(certs, want) {
			t.Fatalf("Verify A001: valid certificates %q, want %q (not the expired, future or revoked ones)", certs, want)
		}
		if !v.Recalled || len(v.Recalls) != 1 || v.Recalls[0].GTIN != beans || v.Recalls[0].Lot != lotB.Lot || v.Recalls[0].Reason != "ochratoxin above limit" {
			t.Fatalf("Verify A001: recalled %v %+v, want the beans' recall", v.Recalled, v.Recalls)
		}

		// A rejected offer does not enter the custody chain.
		brand.evaluate(t, "Verify", map[string]any{"gtin": pack, "serial": "A002"}, &v)
		if !v.Genuine || v.Custody.Holder != "Org1MSP" || len(v.ItemCustody) != 1 || !v.Recalled {
			t.Fatalf("Verify A002: %+v", v)
		}

		var unknown provenance.Verification
		carrier.evaluate(t, "Verify", map[string]any{"gtin": pack, "serial": "FAKE-0001"}, &unknown)
		if unknown.Genuine || unknown.GTIN != pack || unknown.Serial != "FAKE-0001" || unknown.Product != nil || unknown.Custody != nil || unknown.Recalled {
			t.Fatalf("Verify of an unknown serial: %+v", unknown)
		}
		carrier.wantEvalCode(t, cxlerr.Invalid, "Verify", map[string]any{"gtin": "123", "serial": "A001"})
	})

	step("history", func(t *testing.T) {
		// pages lists every version of a record one per page, newest first.
		pages := func(t *testing.T, who ccClient, args map[string]any) []provenance.ProvenanceVersion {
			t.Helper()
			var versions []provenance.ProvenanceVersion
			bookmark := ""
			for n := 1; ; n++ {
				var page provenance.ProvenanceHistory
				who.evaluate(t, "History", with(args, "pageSize", 1, "bookmark", bookmark), &page)
				if len(page.Versions) != 1 {
					t.Fatalf("History %s page %d has %d versions, want 1", ccJSON(args), n, len(page.Versions))
				}
				versions = append(versions, page.Versions...)
				if bookmark = page.Bookmark; bookmark == "" {
					return versions
				}
				if n == 10 {
					t.Fatalf("History %s: more than 10 pages", ccJSON(args))
				}
			}
		}

		// The beans lot: registered, then recalled.
		lot := pages(t, brand, map[string]any{"kind": "lot", "gtin": beans, "lot": lotB.Lot})
		if len(lot) != 2 || lot[0].Lot == nil || lot[0].Lot.Recall == nil || lot[1].Lot == nil || lot[1].Lot.Recall != nil || lot[1].TxID != lot[1].Lot.RegisteredTx {
			t.Fatalf("history of the beans lot: %+v", lot)
		}

		// The lot-custody record of PACK-A: registration, offer, acceptance. The two
		// acceptances that failed endorsement validation wrote nothing.
		versions := pages(t, carrier, map[string]any{"kind": "lot-custody", "gtin": pack, "lot": lotP1.Lot})
		var got []string
		for _, v := range versions {
			c := v.Custody
			if c == nil || v.IsDelete || v.TxID == "" || v.Time.IsZero() {
				t.Fatalf("history version %+v", v)
			}
			s := c.Holder
			if c.Offer != nil {
				s += " offered to " + c.Offer.To
			}
			got = append(got, s)
		}
		if want := []string{"Org2MSP", "Org1MSP offered to Org2MSP", "Org1MSP"}; !slices.Equal(got, want) {
			t.Fatalf("custody history of PACK-A, newest first: %q, want %q", got, want)
		}
		if versions[0].Time.Before(versions[2].Time) {
			t.Fatalf("history not newest first: %v then %v", versions[0].Time, versions[2].Time)
		}

		var item provenance.ProvenanceHistory
		brand.evaluate(t, "History", map[string]any{"kind": "item-custody", "gtin": pack, "serial": "A001"}, &item)
		// registration, offer, acceptance, offer back, withdrawal (the invalid withdrawal wrote nothing)
		if len(item.Versions) != 5 || item.Versions[0].Custody == nil || item.Versions[0].Custody.Holder != driver || item.Versions[0].Custody.Serial != "A001" {
			t.Fatalf("custody history of A001: %+v", item)
		}
		carrier.wantEvalCode(t, cxlerr.Invalid, "History", map[string]any{"kind": "lot", "gtin": beans, "lot": lotB.Lot, "pageSize": 201})
		carrier.wantEvalCode(t, cxlerr.Invalid, "History", map[string]any{"kind": "lot", "gtin": beans, "lot": lotB.Lot, "bookmark": "x"})
		carrier.wantEvalCode(t, cxlerr.NotFound, "History", map[string]any{"kind": "item-custody", "gtin": pack, "serial": "Z999"})
	})
}

// provRun names the products of one test run: the network outlives a run when tests are
// repeated against it, so GTINs are unique per run.
type provRun struct{ prefix string }

func newProvRun() provRun {
	return provRun{prefix: fmt.Sprintf("9%09d", time.Now().UnixNano()/1000%1_000_000_000)}
}

// gtin returns the run's GTIN-14 number i (0..99) with its check digit.
func (r provRun) gtin(i int) string {
	return provGTIN(fmt.Sprintf("%s%02d", r.prefix, i))
}

// provGTIN appends the GS1 check digit to 12 digits and pads the GTIN-13 to GTIN-14.
func provGTIN(digits string) string {
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

// provAs returns user of msp's client of the provenance contract, which waits for every
// peer to reach one height before a call that follows a submit through another
// organisation.
func provAs(t testing.TB, msp, user string) ccClient {
	t.Helper()
	return ccAs(t, msp, user, provenance.Name).syncing(t)
}

// provLots renders trace lots as "gtin/lot depth N holder H".
func provLots(lots []provenance.TraceLot) []string {
	out := []string{}
	for _, l := range lots {
		out = append(out, fmt.Sprintf("%s/%s depth %d holder %s", l.GTIN, l.Lot, l.Depth, l.Holder))
	}
	return out
}

// provHolders renders a custody chain as "holder@location".
func provHolders(chain []provenance.CustodyStep) []string {
	out := []string{}
	for _, s := range chain {
		out = append(out, s.Holder+"@"+s.Location)
	}
	return out
}
