//go:build integration

package test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
)

// gwGTIN appends the GS1 check digit to 12 digits and pads the GTIN-13 to a GTIN-14.
func gwGTIN(digits string) string {
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

// TestGatewayProvenance walks a product through every provenance endpoint of the service,
// as the organisations whose roles the contract checks (Org1 the brand, Org2 the auditor and
// carrier), with the main refusal of each step, and verifies an item without credentials.
func TestGatewayProvenance(t *testing.T) {
	g := gwStart(t)
	run := fmt.Sprintf("%010d", time.Now().UnixNano()%1e10)
	gtin, other := gwGTIN(run+"01"), gwGTIN(run+"02")
	lot := "GW" + run[4:]
	const brand, carrier = "org1-user1", "org2-user1"

	var product provenance.Product
	gwDecode(t, g.post(t, "/v1/provenance/products", brand, map[string]any{"gtin": gtin, "name": "Gateway roast"}, 200).committed(t).Result, &product)
	if product.GTIN != gtin || product.Owner != "Org1MSP" {
		t.Fatalf("product %+v", product)
	}
	g.post(t, "/v1/provenance/products", brand, map[string]any{"gtin": gtin, "name": "again"}, 409)
	g.post(t, "/v1/provenance/products", carrier, map[string]any{"gtin": other, "name": "not a brand"}, 403)
	g.post(t, "/v1/provenance/products", brand, map[string]any{"gtin": "123", "name": "bad"}, 400)

	var pl provenance.ProductLot
	gwDecode(t, g.post(t, "/v1/provenance/lots", brand, map[string]any{"gtin": gtin, "lot": lot, "quantity": 100, "unit": "kg"}, 200).committed(t).Result, &pl)
	if pl.Lot != lot || pl.Quantity != 100 {
		t.Fatalf("lot %+v", pl)
	}
	g.post(t, "/v1/provenance/lots", brand, map[string]any{"gtin": other, "lot": lot, "quantity": 1}, 404)

	var items provenance.ItemsRegistered
	gwDecode(t, g.post(t, "/v1/provenance/items", brand, map[string]any{"gtin": gtin, "lot": lot, "serials": []string{"S1", "S2", "S3"}}, 200).committed(t).Result, &items)
	if len(items.Serials) != 3 || items.Holder != "Org1MSP" {
		t.Fatalf("items %+v", items)
	}
	g.post(t, "/v1/provenance/items", brand, map[string]any{"gtin": gtin, "lot": lot, "serials": []string{"S1"}}, 409)

	lotSubject := map[string]any{"kind": "lot", "gtin": gtin, "lot": lot}
	with := func(m map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	g.post(t, "/v1/provenance/custody/offers", brand, with(lotSubject, "to", "Org2MSP", "location", "roastery dock"), 200)
	g.post(t, "/v1/provenance/custody/offers", brand, with(lotSubject, "to", "Org2MSP", "location", "again"), 409)
	g.post(t, "/v1/provenance/custody/acceptances", brand, lotSubject, 403)
	var custody provenance.Custody
	gwDecode(t, g.post(t, "/v1/provenance/custody/acceptances", carrier, lotSubject, 200).committed(t).Result, &custody)
	if custody.Holder != "Org2MSP" {
		t.Fatalf("custody after acceptance %+v", custody)
	}

	item := map[string]any{"kind": "item", "gtin": gtin, "serial": "S1"}
	g.post(t, "/v1/provenance/custody/offers", brand, with(item, "to", "Org2MSP", "location", "shelf"), 200)
	g.post(t, "/v1/provenance/custody/rejections", carrier, with(item, "reason", "damaged"), 200)
	g.post(t, "/v1/provenance/custody/rejections", carrier, item, 409)
	g.post(t, "/v1/provenance/custody/offers", brand, with(item, "to", "Org2MSP", "location", "shelf"), 200)
	g.post(t, "/v1/provenance/custody/withdrawals", carrier, item, 403)
	g.post(t, "/v1/provenance/custody/withdrawals", brand, item, 200)
	g.post(t, "/v1/provenance/custody/withdrawals", brand, item, 409)

	cert := map[string]any{"subject": lotSubject, "id": "organic-" + run, "type": "organic", "hash": strings.Repeat("ab", 32),
		"validFrom": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "validUntil": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}
	g.post(t, "/v1/provenance/certificates", carrier, cert, 200)
	g.post(t, "/v1/provenance/certificates", carrier, cert, 409)
	revoke := map[string]any{"subject": lotSubject, "id": "organic-" + run, "reason": "audit withdrawn"}
	g.post(t, "/v1/provenance/certificate-revocations", brand, revoke, 403)
	g.post(t, "/v1/provenance/certificate-revocations", carrier, revoke, 200)

	recall := map[string]any{"gtin": gtin, "lot": lot, "reason": "foreign matter"}
	g.post(t, "/v1/provenance/recalls", carrier, recall, 403)
	gwDecode(t, g.post(t, "/v1/provenance/recalls", brand, recall, 200).committed(t).Result, &pl)
	if pl.Recall == nil {
		t.Fatalf("recalled lot without recall: %+v", pl)
	}
	g.post(t, "/v1/provenance/recalls", brand, recall, 409)

	var trace provenance.LotTrace
	gwDecode(t, g.get(t, "/v1/provenance/lots/"+gtin+"/"+lot+"/trace?pageSize=2", carrier, 200).body, &trace)
	if trace.Lot.Holder != "Org2MSP" || len(trace.Items) != 2 || trace.Bookmark == "" {
		t.Fatalf("trace page 1: %+v", trace)
	}
	gwDecode(t, g.get(t, "/v1/provenance/lots/"+gtin+"/"+lot+"/trace?pageSize=2&bookmark="+trace.Bookmark, carrier, 200).body, &trace)
	if len(trace.Items) != 1 || trace.Items[0].Serial != "S3" {
		t.Fatalf("trace page 2: %+v", trace)
	}
	g.get(t, "/v1/provenance/lots/"+gtin+"/NOLOT/trace", carrier, 404)
	g.get(t, "/v1/provenance/lots/"+gtin+"/"+lot+"/trace?pageSize=5000", carrier, 400).wantError(t, 400, cxlerr.Invalid, "page size over the cap")

	var v provenance.Verification
	gwDecode(t, g.get(t, "/v1/provenance/verify/"+gtin+"/S2", "", 200).body, &v)
	if !v.Genuine || !v.Recalled || v.Product == nil || v.Product.Owner != "Org1MSP" {
		t.Fatalf("verification %+v", v)
	}
	gwDecode(t, g.get(t, "/v1/provenance/verify/"+gtin+"/NOSUCH", "", 200).body, &v)
	if v.Genuine {
		t.Fatalf("unknown item verified genuine: %+v", v)
	}
	g.get(t, "/v1/provenance/verify/123/S1", "", 400)

	var hist provenance.ProvenanceHistory
	gwDecode(t, g.get(t, "/v1/provenance/history?kind=lot-custody&gtin="+gtin+"&lot="+lot, carrier, 200).body, &hist)
	if len(hist.Versions) < 3 {
		t.Fatalf("custody history of the lot: %d versions", len(hist.Versions))
	}
	g.get(t, "/v1/provenance/history?kind=bogus&gtin="+gtin, carrier, 400)
}

// TestGatewayVerificationCache checks that the service answers repeated verifications from
// memory and that what the ledger commits reaches them well inside the cache's TTL (10 s by
// default): a certificate and a recall, both submitted directly to Fabric so that only the
// ledger's events, not the service's own requests, can tell the service.
func TestGatewayVerificationCache(t *testing.T) {
	g := gwStart(t)
	brand := ccAs(t, "Org1MSP", "User1", provenance.Name).syncing(t)
	auditor := ccAs(t, "Org2MSP", "User1", provenance.Name).syncing(t)
	run := fmt.Sprintf("%010d", time.Now().UnixNano()%1e10)
	gtin, lot := gwGTIN(run+"03"), "VC"+run[4:]
	brand.submit(t, "RegisterProduct", map[string]any{"gtin": gtin, "name": "Cached roast"}, nil)
	brand.submit(t, "RegisterLot", map[string]any{"gtin": gtin, "lot": lot, "quantity": 10, "unit": "kg"}, nil)
	brand.submit(t, "RegisterItems", map[string]any{"gtin": gtin, "lot": lot, "serials": []string{"S1"}}, nil)

	path := "/v1/provenance/verify/" + gtin + "/S1"
	verify := func() provenance.Verification {
		var v provenance.Verification
		gwDecode(t, g.get(t, path, "", 200).body, &v)
		return v
	}
	// The service's event stream may see the registration's blocks a moment after the
	// submit returned: wait until the item is genuine, and until a repeat is answered from
	// memory (a registration event arriving after the first answer empties the cache once).
	awaitVerification(t, "the registered item", verify, func(v provenance.Verification) bool { return v.Genuine })
	for start := time.Now(); ; {
		hits := gwCacheHits(t, g)
		if v := verify(); !v.Genuine || v.Recalled || len(v.Certificates) != 0 {
			t.Fatalf("fresh item: %+v", v)
		}
		after := gwCacheHits(t, g)
		if after > hits {
			break
		}
		if time.Since(start) > 3*time.Second {
			t.Fatalf("no repeated verification was answered from the cache in 3 s (hits %v then %v)", hits, after)
		}
		time.Sleep(250 * time.Millisecond) // within the public rate limit of 5 requests/s
	}

	auditor.submit(t, "IssueCertificate", map[string]any{
		"subject": map[string]any{"kind": "lot", "gtin": gtin, "lot": lot}, "id": "organic-" + run, "type": "organic",
		"hash": strings.Repeat("cd", 32), "validFrom": time.Now().Add(-time.Hour).UTC(), "validUntil": time.Now().Add(24 * time.Hour).UTC(),
	}, nil)
	awaitVerification(t, "the new certificate", verify, func(v provenance.Verification) bool { return len(v.Certificates) == 1 })

	brand.submit(t, "RecallLot", map[string]any{"gtin": gtin, "lot": lot, "reason": "label misprint"}, nil)
	awaitVerification(t, "the recall", verify, func(v provenance.Verification) bool { return v.Recalled })
}

// awaitVerification polls verify until ok, and fails if the change is not seen within 3
// s of its commit: a third of the cache's TTL, so only the event-driven invalidation can
// pass.
func awaitVerification(t *testing.T, what string, verify func() provenance.Verification, ok func(provenance.Verification) bool) {
	t.Helper()
	start := time.Now()
	for {
		v := verify()
		if ok(v) {
			t.Logf("%s reached the public verification %s after its commit", what, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > 3*time.Second {
			t.Fatalf("%s not in the public verification 3 s after its commit: %+v", what, v)
		}
		time.Sleep(250 * time.Millisecond) // within the public rate limit of 5 requests/s
	}
}

// gwCacheHits is the service's count of verifications answered from memory.
func gwCacheHits(t *testing.T, g *gwService) float64 {
	t.Helper()
	const series = `cxl_gateway_cache_lookups_total{cache="verify",outcome="hit"} `
	for line := range strings.SplitSeq(string(g.get(t, "/metrics", "", 200).body), "\n") {
		if n, ok := strings.CutPrefix(line, series); ok {
			var v float64
			if _, err := fmt.Sscan(n, &v); err != nil {
				t.Fatalf("metric line %q: %v", line, err)
			}
			return v
		}
	}
	return 0
}
