package provenancecc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
	"github.com/cxledger/cxledger/cxlerr"
)

const docHash = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"

func TestCertificates(t *testing.T) {
	e := newEnv(t)
	seedSupplyChain(e)
	cert := func(subject obj, id string, extra obj) string {
		a := obj{"subject": subject, "id": id, "type": "organic", "hash": docHash,
			"validFrom": "2025-06-01T00:00:00Z", "validUntil": "2027-06-01T00:00:00+02:00"}
		for k, v := range extra {
			a[k] = v
		}
		return j(a)
	}
	lotB1 := obj{"kind": "lot", "gtin": beans, "lot": "B1"}
	product := obj{"kind": "product", "gtin": roasted}
	item := obj{"kind": "item", "gtin": pack, "serial": "S1"}
	issue, revoke := text((*provenancecc.Contract).IssueCertificate), text((*provenancecc.Contract).RevokeCertificate)

	steps := []struct {
		name      string
		msp       string
		fn        method[*provenance.Certificate]
		args      string
		code      cxlerr.Code
		want      string
		wantEvent string
	}{
		{"auditor certifies any lot", audit, issue, cert(lotB1, "EU-ORG-1", nil), "", "", "provenance.CertificateIssued"},
		{"brand certifies its own product", roaster, issue, cert(product, "DECL-7", obj{"type": "ce-conformity"}), "", "", "provenance.CertificateIssued"},
		{"brand certifies its own item", roaster, issue, cert(item, "AUTH-1", obj{"type": "authenticity"}), "", "", "provenance.CertificateIssued"},
		{"duplicate id", audit, issue, cert(lotB1, "EU-ORG-1", nil), cxlerr.Conflict, "certificate \"EU-ORG-1\" of lot " + beans + "/B1 already exists (issued by AuditMSP)", ""},
		{"brand certifies another brand's lot", roaster, issue, cert(lotB1, "X", nil), cxlerr.Forbidden, "belongs to FarmMSP; a brand certifies only its own products", ""},
		{"carrier certifies", carrier, issue, cert(lotB1, "X", nil), cxlerr.Forbidden, "CarrierMSP/quality plays neither the auditor nor the brand role", ""},
		{"unknown lot", audit, issue, cert(obj{"kind": "lot", "gtin": beans, "lot": "B9"}, "X", nil), cxlerr.NotFound, "lot " + beans + "/B9 not found", ""},
		{"unknown item", audit, issue, cert(obj{"kind": "item", "gtin": pack, "serial": "S9"}, "X", nil), cxlerr.NotFound, "item " + pack + "/S9 not found", ""},
		{"unknown product", audit, issue, cert(obj{"kind": "product", "gtin": gtin("400000000001")}, "X", nil), cxlerr.NotFound, "not found", ""},
		{"short hash", audit, issue, cert(lotB1, "X", obj{"hash": "abc"}), cxlerr.Invalid, "hash: want the 64 hex digits", ""},
		{"non-hex hash", audit, issue, cert(lotB1, "X", obj{"hash": strings.Repeat("g", 64)}), cxlerr.Invalid, "hash", ""},
		{"window backwards", audit, issue, cert(lotB1, "X", obj{"validUntil": "2025-05-01T00:00:00Z"}), cxlerr.Invalid, "validUntil: must be after validFrom", ""},
		{"no window", audit, issue, j(obj{"subject": lotB1, "id": "X", "type": "organic", "hash": docHash}), cxlerr.Invalid, "validFrom and validUntil: both required", ""},
		{"bad time", audit, issue, cert(lotB1, "X", obj{"validFrom": "June 2025"}), cxlerr.Invalid, "arguments", ""},
		{"bad type", audit, issue, cert(lotB1, "X", obj{"type": "Organic!"}), cxlerr.Invalid, "type: \"Organic!\"", ""},
		{"bad id", audit, issue, cert(lotB1, " X", nil), cxlerr.Invalid, "id: leading or trailing space", ""},
		{"bad subject kind", audit, issue, cert(obj{"kind": "pallet", "gtin": beans}, "X", nil), cxlerr.Invalid, "subject.kind", ""},
		{"product subject with a lot", audit, issue, cert(obj{"kind": "product", "gtin": beans, "lot": "B1"}, "X", nil), cxlerr.Invalid, "subject.lot and subject.serial: not used for kind product", ""},
		{"bad subject GTIN", audit, issue, cert(obj{"kind": "product", "gtin": "1"}, "X", nil), cxlerr.Invalid, "subject.gtin", ""},

		{"revoke by a non-issuer", farm, revoke, j(obj{"subject": lotB1, "id": "EU-ORG-1", "reason": "fraud"}), cxlerr.Forbidden, "was issued by AuditMSP; only the issuer can revoke it", ""},
		{"revoke unknown", audit, revoke, j(obj{"subject": lotB1, "id": "NOPE", "reason": "x"}), cxlerr.NotFound, "certificate \"NOPE\" of lot " + beans + "/B1 not found", ""},
		{"revoke without reason", audit, revoke, j(obj{"subject": lotB1, "id": "EU-ORG-1"}), cxlerr.Invalid, "reason: required", ""},
		{"revoke", audit, revoke, j(obj{"subject": lotB1, "id": "EU-ORG-1", "reason": "audit failed"}), "", "", "provenance.CertificateRevoked"},
		{"revoke twice", audit, revoke, j(obj{"subject": lotB1, "id": "EU-ORG-1", "reason": "again"}), cxlerr.Conflict, "already revoked", ""},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			e.as(s.msp, "quality")
			c, ev := check(t, e, s.fn, s.args, s.code, s.want)
			if s.code != "" {
				return
			}
			if ev != s.wantEvent || c.Issuer == "" || c.Hash != strings.ToLower(docHash) || c.ValidUntil != time.Date(2027, 5, 31, 22, 0, 0, 0, time.UTC) {
				t.Fatalf("certificate %+v, event %q", c, ev)
			}
			if s.wantEvent == "provenance.CertificateRevoked" && (c.Revocation == nil || c.Revocation.Reason != "audit failed" || c.ValidAt(e.stub.Now())) {
				t.Fatalf("revocation %+v", c.Revocation)
			}
		})
	}
}

func TestCertificateValidAt(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := provenance.Certificate{ValidFrom: from, ValidUntil: from.Add(time.Hour)}
	for _, tt := range []struct {
		at   time.Time
		want bool
	}{{from.Add(-time.Nanosecond), false}, {from, true}, {from.Add(time.Hour - 1), true}, {from.Add(time.Hour), false}} {
		if got := c.ValidAt(tt.at); got != tt.want {
			t.Errorf("ValidAt(%v) = %v", tt.at, got)
		}
	}
	c.Revocation = &provenance.CertificateRevocation{}
	if c.ValidAt(from) {
		t.Error("revoked certificate valid")
	}
}

func TestRecallLot(t *testing.T) {
	e := newEnv(t)
	seedSupplyChain(e)
	recall := text((*provenancecc.Contract).RecallLot)
	steps := []struct {
		name string
		msp  string
		args string
		code cxlerr.Code
		want string
	}{
		{"another brand", roaster, j(obj{"gtin": beans, "lot": "B1", "reason": "x"}), cxlerr.Forbidden, "lot " + beans + "/B1 belongs to FarmMSP; only the owner of the product recalls it"},
		{"the holder is not the owner", roaster, j(obj{"gtin": beans, "lot": "B2", "reason": "x"}), cxlerr.Forbidden, "belongs to FarmMSP"},
		{"unknown lot", farm, j(obj{"gtin": beans, "lot": "B9", "reason": "x"}), cxlerr.NotFound, "lot " + beans + "/B9 not found"},
		{"no reason", farm, j(obj{"gtin": beans, "lot": "B1"}), cxlerr.Invalid, "reason: required"},
		{"bad lot", farm, j(obj{"gtin": beans, "lot": "B 1", "reason": "x"}), cxlerr.Invalid, "lot: lot number"},
		{"bad GTIN", farm, j(obj{"gtin": beans + "0", "lot": "B1", "reason": "x"}), cxlerr.Invalid, "gtin"},
		{"recall", farm, j(obj{"gtin": beans, "lot": "B1", "reason": "Ochratoxin above limit"}), "", ""},
		{"recall twice", farm, j(obj{"gtin": beans, "lot": "B1", "reason": "again"}), cxlerr.Conflict, "lot " + beans + "/B1 is already recalled"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			e.as(s.msp, "quality")
			if s.code != "" {
				check(t, e, recall, s.args, s.code, s.want)
				return
			}
			lot, err := recall(e.c, ctxOf(e), s.args)
			if err != nil {
				t.Fatal(err)
			}
			p := e.eventPayload()
			e.stub.Commit()
			if lot.Recall == nil || lot.Recall.Reason != "Ochratoxin above limit" || p.Type != "LotRecalled" || p.Keys["lot"] != "B1" {
				t.Fatalf("lot %+v, event %+v", lot, p)
			}
		})
	}
	// The owner's customers and its staff in other roles recall nothing.
	e.asCustomer(farm, "quality")
	check(t, e, recall, j(obj{"gtin": beans, "lot": "B2", "reason": "x"}), cxlerr.Forbidden, "FarmMSP/quality is not staff of FarmMSP")
	e.stub.AsIdentity(ledgertest.Staff(farm, "quality", ledgertypes.Merchant))
	check(t, e, recall, j(obj{"gtin": beans, "lot": "B2", "reason": "x"}), cxlerr.Forbidden, "the certificate of FarmMSP/quality does not carry the brand role")
}
