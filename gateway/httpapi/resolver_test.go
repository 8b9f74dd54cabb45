package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"image/png"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/ledgerapi"
)

// The resolver's tests run it over ledgerFixture: a ledger that answers the provenance
// queries with fixed JSON, as the contract would have answered (it applies no rule of the
// contract: which item is genuine or recalled is in the fixture's data).

const (
	fixGTIN  = "09506000134352"
	fixGTIN8 = "96385074" // a GTIN no brand registered
)

var fixTime = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

func fixProduct() provenance.Product {
	return provenance.Product{GTIN: fixGTIN, Name: "Finca Esperanza coffee, 250 g", Owner: "Org1MSP",
		Attributes: map[string]string{"variety": "Bourbon", "roast": "medium"}, Registered: fixTime, RegisteredTx: "tx-product"}
}

func fixLot(lot string, recalled bool) provenance.ProductLot {
	l := provenance.ProductLot{GTIN: fixGTIN, Lot: lot, Owner: "Org1MSP", Quantity: 1200, Unit: "kg",
		Attributes: map[string]string{"farm": "Finca Esperanza, Huila", "harvest": "2026-02"}, Registered: fixTime.Add(time.Hour), RegisteredTx: "tx-lot-" + lot}
	if recalled {
		l.Recall = &provenance.LotRecall{Reason: "possible glass fragments", At: fixTime.Add(72 * time.Hour), TxID: "tx-recall"}
	}
	return l
}

// fixVerifications are the ledger's verifications by serial: S1 genuine, S2 of a recalled
// lot; any other serial is unknown.
func fixVerifications() map[string]provenance.Verification {
	p := fixProduct()
	good, bad := fixLot("L1", false), fixLot("L2", true)
	custody := []provenance.CustodyStep{
		{Holder: "Org1MSP", Location: "Roastery, Neiva", Since: fixTime.Add(2 * time.Hour), TxID: "tx-c1"},
		{Holder: "Org2MSP", Location: "Warehouse, Rotterdam", Since: fixTime.Add(50 * time.Hour), TxID: "tx-c2"},
		{Holder: "Org1MSP/shop-berlin", Location: "Shop, Berlin", Since: fixTime.Add(100 * time.Hour), TxID: "tx-c3"},
	}
	cert := provenance.Certificate{ID: "organic-1", Subject: provenance.CertificateSubject{Kind: provenance.KindLot, GTIN: fixGTIN, Lot: "L1"},
		Issuer: "Org2MSP", Type: "organic", Hash: strings.Repeat("ab", 32), ValidFrom: fixTime.Add(-24 * time.Hour), ValidUntil: fixTime.AddDate(1, 0, 0), Issued: fixTime, IssuedTx: "tx-cert"}
	checked := fixTime.Add(200 * time.Hour)
	return map[string]provenance.Verification{
		"S1": {Genuine: true, GTIN: fixGTIN, Serial: "S1", CheckedAt: checked, Product: &p, Lot: &good,
			ItemCustody: custody, Certificates: []provenance.Certificate{cert}},
		"S2": {Genuine: true, GTIN: fixGTIN, Serial: "S2", CheckedAt: checked, Product: &p, Lot: &bad,
			ItemCustody: custody[:1], Recalled: true,
			Recalls: []provenance.RecallNotice{{GTIN: fixGTIN, Lot: "L2", Reason: bad.Recall.Reason, At: bad.Recall.At}}},
	}
}

// ledgerFixture is the Backend of the resolver's tests.
type ledgerFixture struct {
	mu sync.Mutex
	// calls are the operations evaluated, and the identities they were evaluated as.
	calls      []string
	identities []string
	// fail, when set, is the answer to every query.
	fail error
}

func (l *ledgerFixture) Transport(identity string, _ fabric.Journal) (ledgerapi.Transport, error) {
	return fixtureTransport{l: l, identity: identity}, nil
}

func (l *ledgerFixture) Lookup(context.Context, string) (*ledgerapi.TransactionStatus, error) {
	return nil, cxlerr.Errorf(cxlerr.NotFound, "no transactions here")
}

func (l *ledgerFixture) Ready(context.Context) error { return nil }

func (l *ledgerFixture) called() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls...)
}

type fixtureTransport struct {
	l        *ledgerFixture
	identity string
}

func (t fixtureTransport) Submit(context.Context, *ledgerapi.Operation, any) (*ledgerapi.Committed[json.RawMessage], error) {
	return nil, cxlerr.Errorf(cxlerr.Forbidden, "the fixture takes no transactions")
}

// Evaluate answers the three queries the resolver may ask with the fixture's JSON.
func (t fixtureTransport) Evaluate(_ context.Context, op *ledgerapi.Operation, req any) (json.RawMessage, error) {
	t.l.mu.Lock()
	t.l.calls = append(t.l.calls, op.Name())
	t.l.identities = append(t.l.identities, t.identity)
	fail := t.l.fail
	t.l.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	var v any
	switch r := req.(type) {
	case *ledgerapi.VerifyRequest:
		ver, ok := fixVerifications()[r.Serial]
		if !ok || r.GTIN != fixGTIN {
			ver = provenance.Verification{GTIN: r.GTIN, Serial: r.Serial, CheckedAt: fixTime.Add(200 * time.Hour)}
		}
		v = ver
	case *provenance.GetProductArgs:
		if r.GTIN != fixGTIN {
			return nil, cxlerr.Errorf(cxlerr.NotFound, "product %s not found", r.GTIN)
		}
		v = fixProduct()
	case *provenance.GetLotArgs:
		switch {
		case r.GTIN == fixGTIN && r.Lot == "L1":
			v = fixLot("L1", false)
		case r.GTIN == fixGTIN && r.Lot == "L2":
			v = fixLot("L2", true)
		default:
			return nil, cxlerr.Errorf(cxlerr.NotFound, "lot %s/%s not found", r.GTIN, r.Lot)
		}
	default:
		return nil, fmt.Errorf("the resolver asked the fixture for %s", op.Name())
	}
	return json.Marshal(v)
}

func (t fixtureTransport) Transactions() ledgerapi.Transactions { return nil }
func (t fixtureTransport) Events() ledgerapi.Events             { return nil }

func newResolverServer(t *testing.T, tune func(*Options)) (*testServer, *ledgerFixture) {
	t.Helper()
	fix := &ledgerFixture{}
	ts := newTestServer(t, func(o *Options) {
		o.Backend = fix
		if tune != nil {
			tune(o)
		}
	})
	return ts, fix
}

const (
	browser = "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	apiJSON = "Accept: application/json"
	linkset = "Accept: application/linkset+json"
)

// verdictOf is the text of the page's verdict heading.
func verdictOf(t *testing.T, body string) string {
	t.Helper()
	_, after, ok := strings.Cut(body, `<h1 id="verdict">`)
	head, _, ok2 := strings.Cut(after, "</h1>")
	if !ok || !ok2 {
		t.Fatalf("no verdict heading in\n%s", body)
	}
	_, text, _ := strings.Cut(head, "</span>")
	return text
}

// checkSelfContained checks the headers and markup that keep a page from loading anything:
// a strict CSP allowing exactly the page's inline style, no script, image, font or link.
func checkSelfContained(t *testing.T, r response) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	csp := r.header.Get("Content-Security-Policy")
	_, style, _ := strings.Cut(r.body, "<style>")
	style, _, _ = strings.Cut(style, "</style>")
	sum := sha256.Sum256([]byte(style))
	if !strings.HasPrefix(csp, "default-src 'none'; ") || !strings.Contains(csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Errorf("CSP %q does not allow exactly the inline style", csp)
	}
	for _, bad := range []string{"<script", "<img", "<link", "<iframe", "src=", "url(", "@import", "@font-face"} {
		if strings.Contains(r.body, bad) {
			t.Errorf("the page holds %q", bad)
		}
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(r.header.Get("Vary"), "Accept") {
		t.Errorf("headers %v", r.header)
	}
}

// TestResolverPages: what a browser scanning a code gets: the verdict first, then the
// product, origin, custody and certificates, all on one page that loads nothing else.
func TestResolverPages(t *testing.T) {
	ts, fix := newResolverServer(t, nil)
	tests := []struct {
		name, path, verdict string
		contains            []string
		status              int
	}{
		{"genuine item", "/01/" + fixGTIN + "/21/S1", "Genuine",
			[]string{"Finca Esperanza coffee, 250 g", "Org1MSP", "Lot</dt><dd>L1", "1200 kg", "Finca Esperanza, Huila", "Warehouse, Rotterdam", "organic", "by Org2MSP, 13 Mar 2026 to 14 Mar 2027", "abababab…abababab", "Checked 22 Mar 2026, 17:30 UTC"}, 200},
		{"GTIN-13 and its lot", "/01/9506000134352/10/L1/21/S1", "Genuine", []string{"Shop, Berlin"}, 200},
		{"recalled item", "/01/" + fixGTIN + "/21/S2", "RECALLED",
			[]string{`class="verdict recall"`, `role="alert"`, "<strong>Lot L2</strong> recalled on 17 Mar 2026: possible glass fragments", "No certificate in force."}, 200},
		{"unregistered serial", "/01/" + fixGTIN + "/21/FAKE-9", "NOT genuine",
			[]string{`class="verdict bad"`, "Serial number FAKE-9 was never registered by the brand of Finca Esperanza coffee, 250 g", "Brand</dt><dd>Org1MSP"}, 200},
		{"serial of another lot", "/01/" + fixGTIN + "/10/L2/21/S1", "NOT genuine", []string{"belongs to lot L1"}, 200},
		{"lot", "/01/" + fixGTIN + "/10/L1", "Registered lot", []string{"Lot L1 of Finca Esperanza coffee", "harvest"}, 200},
		{"recalled lot", "/01/" + fixGTIN + "/10/L2", "RECALLED", []string{"possible glass fragments"}, 200},
		{"unregistered lot", "/01/" + fixGTIN + "/10/L9", "NOT genuine", []string{"Lot L9 was never registered"}, 200},
		{"product", "/01/" + fixGTIN, "Registered product", []string{"variety</dt><dd>Bourbon"}, 200},
		{"unknown GTIN", "/01/" + fixGTIN8 + "/21/S1", "Unknown product", []string{"No brand registered this product"}, 404},
		{"bad check digit", "/01/09506000134353/21/S1", "Cannot check this code", []string{"check digit 3, want 2"}, 400},
		{"serial too long", "/01/" + fixGTIN + "/21/" + strings.Repeat("9", 21), "Cannot check this code", []string{"1 to 20 characters"}, 400},
		{"serial outside set 82", "/01/" + fixGTIN + "/21/S%20%20", "Cannot check this code", []string{"character set 82"}, 400},
		{"invalid UTF-8", "/01/" + fixGTIN + "/21/S%FF", "Cannot check this code", []string{"UTF-8"}, 400},
		{"oversized segment", "/01/" + fixGTIN + "/10/" + strings.Repeat("L", 1000), "Cannot check this code", []string{"…(1002 bytes)"}, 400},
		{"oversized URI", "/01/" + fixGTIN + "/10/" + strings.Repeat("L", 5000), "Cannot check this code", []string{"at most 2048"}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(t, "GET", tt.path, "", browser)
			if r.status != tt.status {
				t.Fatalf("%d, want %d\n%s", r.status, tt.status, r.body)
			}
			checkSelfContained(t, r)
			if got := verdictOf(t, r.body); got != tt.verdict {
				t.Errorf("verdict %q, want %q", got, tt.verdict)
			}
			for _, want := range tt.contains {
				if !strings.Contains(r.body, want) {
					t.Errorf("the page lacks %q\n%s", want, r.body)
				}
			}
		})
	}
	// Custody newest first: where the item is now leads.
	r := ts.do(t, "GET", "/01/"+fixGTIN+"/21/S1", "", browser)
	if b, w, a := strings.Index(r.body, "Shop, Berlin"), strings.Index(r.body, "Warehouse"), strings.Index(r.body, "Roastery"); !(b < w && w < a) {
		t.Errorf("custody not newest first: %d %d %d", b, w, a)
	}
	// Escaping: the page writes ledger text as text.
	if strings.Contains(r.body, "<b>") {
		t.Error("unescaped markup")
	}
	for _, id := range fix.identities {
		if id != "org1-user1" {
			t.Fatalf("a resolver query ran as %q, not the public identity", id)
		}
	}
}

// TestResolverAsksTheLedgerThroughTheDescriptors: an item is one Verify (which the
// verification cache answers); the product is asked only when the item is unknown; a lot is
// GetProduct and GetLot; hostile input asks nothing.
func TestResolverAsksTheLedgerThroughTheDescriptors(t *testing.T) {
	for _, tt := range []struct {
		path string
		want []string
	}{
		{"/01/" + fixGTIN + "/21/S1", []string{"provenance.Verify"}},
		{"/01/" + fixGTIN + "/21/S7", []string{"provenance.Verify", "provenance.GetProduct"}},
		{"/01/" + fixGTIN + "/10/L1", []string{"provenance.GetProduct", "provenance.GetLot"}},
		{"/01/" + fixGTIN, []string{"provenance.GetProduct"}},
		{"/01/09506000134353", nil},
		{"/01/" + fixGTIN + "/21/S%FF", nil},
		{"/01/" + fixGTIN + "/21/S1/10/L1", nil},
		{"/01/" + fixGTIN + "/21/S1?17=%ZZ", nil},
		{"/01/" + fixGTIN + "/21/S1?10=L1", nil},
	} {
		ts, fix := newResolverServer(t, nil)
		ts.do(t, "GET", tt.path, "", apiJSON)
		if got := fix.called(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s asked %v, want %v", tt.path, got, tt.want)
		}
	}
}

// TestResolverJSON: an API client gets the verification as the ledger gave it, and errors
// as the envelope.
func TestResolverJSON(t *testing.T) {
	ts, _ := newResolverServer(t, nil)
	r := ts.do(t, "GET", "/01/"+fixGTIN+"/21/S2", "", apiJSON)
	var got provenance.Verification
	if err := json.Unmarshal([]byte(r.body), &got); r.status != 200 || err != nil {
		t.Fatalf("%d %v %s", r.status, err, r.body)
	}
	if want := fixVerifications()["S2"]; !reflect.DeepEqual(got, want) || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("verification %+v, want %+v", got, want)
	}
	r = ts.do(t, "GET", "/01/"+fixGTIN+"/21/NOPE", "", apiJSON)
	if r.status != 200 || !strings.Contains(r.body, `"genuine":false`) {
		t.Fatalf("unregistered serial: %d %s", r.status, r.body)
	}
	r = ts.do(t, "GET", "/01/"+fixGTIN+"/10/L2", "", apiJSON)
	if r.status != 200 || !strings.Contains(r.body, `"reason":"possible glass fragments"`) {
		t.Fatalf("lot: %d %s", r.status, r.body)
	}
	for _, tt := range []struct {
		path   string
		status int
		code   cxlerr.Code
		want   string
	}{
		{"/01/" + fixGTIN8, 404, cxlerr.NotFound, "not found"},
		{"/01/" + fixGTIN8 + "/21/S1", 404, cxlerr.NotFound, "not found"},
		{"/01/" + fixGTIN + "/10/L9", 404, cxlerr.NotFound, "not registered"},
		{"/01/09506000134353/21/S1", 400, cxlerr.Invalid, "check digit"},
		{"/01/" + fixGTIN + "/21/S%FF", 400, cxlerr.Invalid, "UTF-8"},
		{"/01/" + fixGTIN + "/21/" + strings.Repeat("S", 300), 400, cxlerr.Invalid, "…(302 bytes)"},
		{"/01/" + fixGTIN + "/21/S1?17=%ZZ", 400, cxlerr.Invalid, "escape"},
		{"/01/" + fixGTIN + "/21/S1/10/L1", 404, cxlerr.NotFound, "no endpoint"},
	} {
		r := ts.do(t, "GET", tt.path, "", apiJSON)
		if e := r.envelope(t); r.status != tt.status || e.Code != tt.code || !strings.Contains(e.Message, tt.want) {
			t.Errorf("%s: %d %s, want %d %s containing %q", tt.path, r.status, r.body, tt.status, tt.code, tt.want)
		}
	}
}

// TestResolverLinkset: a linkset reader gets the links of the identified thing (RFC 9264),
// by media type or ?linkType=all; a link type elsewhere is a redirect to it, one on the
// resolver's own URI is served by it.
func TestResolverLinkset(t *testing.T) {
	ts, _ := newResolverServer(t, nil)
	base := ts.http.URL
	anchor := base + "/01/" + fixGTIN + "/21/S1"
	for _, req := range []struct{ path, accept string }{{"/01/" + fixGTIN + "/21/S1", linkset}, {"/01/" + fixGTIN + "/21/S1?linkType=all", browser}} {
		r := ts.do(t, "GET", req.path, "", req.accept)
		if r.status != 200 || r.header.Get("Content-Type") != "application/linkset+json" {
			t.Fatalf("%s: %d %v %s", req.path, r.status, r.header, r.body)
		}
		var doc struct {
			Linkset []map[string]json.RawMessage `json:"linkset"`
		}
		if err := json.Unmarshal([]byte(r.body), &doc); err != nil || len(doc.Linkset) != 1 {
			t.Fatalf("linkset %v %s", err, r.body)
		}
		ctx := doc.Linkset[0]
		if string(ctx["anchor"]) != `"`+anchor+`"` {
			t.Errorf("anchor %s, want %s", ctx["anchor"], anchor)
		}
		want := map[string]string{
			"pip":                 anchor,
			"defaultLink":         anchor,
			"verificationService": base + "/v1/provenance/verify/" + fixGTIN + "/S1",
			"certificationInfo":   base + "/v1/provenance/verify/" + fixGTIN + "/S1",
			"recallStatus":        base + "/v1/provenance/verify/" + fixGTIN + "/S1",
			"traceability":        base + "/v1/provenance/history?gtin=" + fixGTIN + "&kind=item-custody&serial=S1",
			"epcis":               base + "/v1/provenance/lots/" + fixGTIN + "/L1/trace",
		}
		for rel, href := range want {
			var targets []linkTarget
			if err := json.Unmarshal(ctx["https://gs1.org/voc/"+rel], &targets); err != nil || len(targets) != 1 || targets[0].Href != href || targets[0].Type == "" || targets[0].Title == "" {
				t.Errorf("gs1:%s: %s (%v), want href %s", rel, ctx["https://gs1.org/voc/"+rel], err, href)
			}
		}
		if l := r.header.Get("Link"); l != "<"+anchor+`?linkType=all>; rel="linkset"; type="application/linkset+json"` {
			t.Errorf("Link %q", l)
		}
	}
	// A lot's and a product's linksets name all the link types too.
	for _, path := range []string{"/01/" + fixGTIN + "/10/L2", "/01/" + fixGTIN} {
		r := ts.do(t, "GET", path, "", linkset)
		for _, rel := range []string{"pip", "traceability", "epcis", "certificationInfo", "recallStatus", "verificationService"} {
			if !strings.Contains(r.body, `"https://gs1.org/voc/`+rel+`"`) {
				t.Errorf("%s: no gs1:%s in %s", path, rel, r.body)
			}
		}
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(anchor + "?linkType=gs1:verificationService")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 307 || resp.Header.Get("Location") != base+"/v1/provenance/verify/"+fixGTIN+"/S1" {
		t.Fatalf("verification service: %d %v", resp.StatusCode, resp.Header)
	}
	if r := ts.do(t, "GET", "/01/"+fixGTIN+"/10/L2?linkType=gs1:recallStatus", "", browser); r.status != 200 || !strings.Contains(r.body, `"recall":{`) {
		t.Fatalf("a lot's recall status: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/01/"+fixGTIN+"/21/S1?linkType=https://gs1.org/voc/pip", "", apiJSON); r.status != 200 || verdictOf(t, r.body) != "Genuine" {
		t.Fatalf("pip by its full name: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/01/"+fixGTIN+"/21/S1?linkType=gs1:nutritionalInfo", "", apiJSON); r.status != 200 || !strings.Contains(r.body, `"genuine":true`) {
		t.Fatalf("a link type without a link falls back to the default: %d %s", r.status, r.body)
	}
}

// TestResolverLimitsAndFailures: the resolver is limited per client address like Verify,
// and answers a browser with a page when limited or when the ledger fails.
func TestResolverLimitsAndFailures(t *testing.T) {
	ts, _ := newResolverServer(t, func(o *Options) { o.Limits.PublicRate, o.Limits.PublicBurst = 0.2, 1 })
	path := "/01/" + fixGTIN + "/21/S1"
	if r := ts.do(t, "GET", path, "", browser); r.status != 200 {
		t.Fatalf("first: %d", r.status)
	}
	r := ts.do(t, "GET", path, "", browser)
	if r.status != 429 || r.header.Get("Retry-After") != "5" || verdictOf(t, r.body) != "Too many checks" {
		t.Fatalf("limited: %d %v %s", r.status, r.header, r.body)
	}
	checkSelfContained(t, r)
	if r := ts.do(t, "GET", "/v1/provenance/verify/"+fixGTIN+"/S1", ""); r.status != 429 {
		t.Fatalf("the resolver and Verify share the address's limit: %d", r.status)
	}

	ts, fix := newResolverServer(t, nil)
	fix.fail = cxlerr.Errorf(cxlerr.Unavailable, "no peer answers")
	if r := ts.do(t, "GET", path, "", browser); r.status != 503 || r.header.Get("Retry-After") != "1" || verdictOf(t, r.body) != "Cannot check right now" {
		t.Fatalf("unavailable: %d %v %s", r.status, r.header, r.body)
	}
	fix.fail = fmt.Errorf("disk on fire at /secret/path")
	r = ts.do(t, "GET", path, "", browser)
	if r.status != 500 || strings.Contains(r.body, "secret") || !strings.Contains(r.body, "internal error (request ") {
		t.Fatalf("internal: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "GET", path, "", apiJSON); r.status != 500 || r.envelope(t).Code != cxlerr.Internal || strings.Contains(r.body, "secret") {
		t.Fatalf("internal, JSON: %d %s", r.status, r.body)
	}
}

func TestNegotiate(t *testing.T) {
	for _, tt := range []struct {
		accept string
		want   media
	}{
		{"", mediaHTML},
		{"*/*", mediaHTML},
		{"text/html", mediaHTML},
		{"application/json", mediaJSON},
		{"application/linkset+json", mediaLinkset},
		{"application/json, text/html;q=0.5", mediaJSON},
		{"text/html;q=0.4, application/*;q=0.5", mediaLinkset},
		{"application/json;q=0.9, application/linkset+json", mediaLinkset},
		{"text/*;q=0.1, application/json;q=0.2", mediaJSON},
		{"text/html;q=0, */*", mediaLinkset},
		{"image/png", mediaHTML},
		{"text/html;q=abc, application/json;q=0.5", mediaHTML},
		{";;;,,,", mediaHTML},
		{browser[len("Accept: "):], mediaHTML},
	} {
		if got := negotiate(tt.accept); got != tt.want {
			t.Errorf("negotiate(%q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}

// TestResolverScreenshots renders the pages of a genuine item, a recalled one and an
// unregistered serial in headless Chromium at a phone's size, when CXL_SCREENSHOTS names a
// directory to keep the PNGs in (the integration tests take the same pictures from a real
// network); it checks the verdict in the DOM Chromium built and the size of each PNG.
func TestResolverScreenshots(t *testing.T) {
	dir := os.Getenv("CXL_SCREENSHOTS")
	if dir == "" {
		t.Skip("set CXL_SCREENSHOTS=DIR to render the pages in headless Chromium")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("CXL_SCREENSHOTS is set but chromium is not installed: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ts, _ := newResolverServer(t, nil)
	for _, shot := range []struct{ name, path, verdict string }{
		{"genuine", "/01/" + fixGTIN + "/21/S1", "Genuine"},
		{"recalled", "/01/" + fixGTIN + "/21/S2", "RECALLED"},
		{"unknown-serial", "/01/" + fixGTIN + "/21/FAKE-9", "NOT genuine"},
	} {
		url := ts.http.URL + shot.path
		file := filepath.Join(dir, shot.name+".png")
		args := []string{"--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", "--window-size=412,915"}
		dom, err := exec.Command(chromium, append(args, "--dump-dom", url)...).Output()
		if err != nil {
			t.Fatalf("%s: dump DOM: %v", shot.name, err)
		}
		if got := verdictOf(t, string(dom)); got != shot.verdict {
			t.Errorf("%s: verdict %q in the DOM, want %q", shot.name, got, shot.verdict)
		}
		if out, err := exec.Command(chromium, append(args, "--screenshot="+file, url)...).CombinedOutput(); err != nil {
			t.Fatalf("%s: screenshot: %v\n%s", shot.name, err, out)
		}
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != 412 || cfg.Height != 915 {
			t.Errorf("%s: %s is %dx%d (%v), want a 412x915 PNG", shot.name, file, cfg.Width, cfg.Height, err)
		}
	}
}
