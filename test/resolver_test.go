//go:build integration

package test

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/provenance"
)

// TestResolverPagesInABrowser registers a product, two lots, items, a certificate and a
// recall through the gateway service, then opens the GS1 Digital Link page of a genuine
// item, a recalled one and an unregistered serial in headless Chromium at a phone's size:
// the verdict must be in the DOM Chromium built, and each screenshot a PNG of that size.
// Chromium is Debian's package `chromium` (`make chromium` installs it); CXL_SCREENSHOTS
// names a directory to keep the PNGs in.
func TestResolverPagesInABrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("headless Chromium is needed (make chromium, or apt-get install chromium): %v", err)
	}
	g := gwStart(t)
	run := fmt.Sprintf("%010d", time.Now().UnixNano()%1e10)
	gtin := gwGTIN(run + "07")
	good, bad := "R"+run[4:], "X"+run[4:]
	const brand, auditor = "org1-user1", "org2-user1"

	g.post(t, "/v1/provenance/products", brand, map[string]any{"gtin": gtin, "name": "Resolver roast, 250 g",
		"attributes": map[string]string{"variety": "Bourbon"}}, 200)
	for _, lot := range []string{good, bad} {
		g.post(t, "/v1/provenance/lots", brand, map[string]any{"gtin": gtin, "lot": lot, "quantity": 40, "unit": "kg",
			"attributes": map[string]string{"farm": "Finca Esperanza"}}, 200)
	}
	g.post(t, "/v1/provenance/items", brand, map[string]any{"gtin": gtin, "lot": good, "serials": []string{"S1"}}, 200)
	g.post(t, "/v1/provenance/items", brand, map[string]any{"gtin": gtin, "lot": bad, "serials": []string{"S2"}}, 200)
	g.post(t, "/v1/provenance/certificates", auditor, map[string]any{
		"subject": map[string]any{"kind": "lot", "gtin": gtin, "lot": good}, "id": "organic-" + run, "type": "organic",
		"hash": strings.Repeat("cd", 32), "validFrom": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
		"validUntil": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}, 200)
	g.post(t, "/v1/provenance/recalls", brand, map[string]any{"gtin": gtin, "lot": bad, "reason": "foreign matter"}, 200)

	// The JSON of the same URI, first: the verification cache has dropped what it held.
	verify := func() provenance.Verification {
		var v provenance.Verification
		status, body := resolverGet(t, g.url+"/01/"+gtin+"/21/S2", "application/json")
		if status != 200 {
			t.Fatalf("the recalled item's JSON: %d %s", status, body)
		}
		gwDecode(t, body, &v)
		return v
	}
	awaitVerification(t, "the recall", verify, func(v provenance.Verification) bool { return v.Recalled })

	dir := os.Getenv("CXL_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, shot := range []struct{ name, path, verdict, text string }{
		{"genuine", "/01/" + gtin + "/21/S1", "Genuine", "organic"},
		{"recalled", "/01/" + gtin + "/21/S2", "RECALLED", "foreign matter"},
		{"unknown-serial", "/01/" + gtin + "/21/NOSUCH", "NOT genuine", "was never registered"},
	} {
		url := g.url + shot.path
		if status, body := resolverGet(t, url, "text/html"); status != 200 || !strings.HasPrefix(string(body), "<!doctype html>") {
			t.Fatalf("%s: %d %s", shot.name, status, body)
		}
		args := append([]string{"--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", "--window-size=412,915"}, chromiumTrust(t)...)
		dom, err := exec.Command(chromium, append(args, "--dump-dom", url)...).Output()
		if err != nil {
			t.Fatalf("%s: chromium --dump-dom: %v", shot.name, err)
		}
		_, heading, _ := strings.Cut(string(dom), `<h1 id="verdict">`)
		heading, _, _ = strings.Cut(heading, "</h1>")
		if !strings.HasSuffix(heading, "</span>"+shot.verdict) || !strings.Contains(string(dom), shot.text) {
			t.Errorf("%s: verdict %q in the DOM, want %q and %q in the page\n%s", shot.name, heading, shot.verdict, shot.text, dom)
		}
		file := filepath.Join(dir, shot.name+".png")
		if out, err := exec.Command(chromium, append(args, "--screenshot="+file, url)...).CombinedOutput(); err != nil {
			t.Fatalf("%s: chromium --screenshot: %v\n%s", shot.name, err, out)
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
	for _, accept := range []string{"text/html", "application/json"} {
		if status, body := resolverGet(t, g.url+"/01/"+gwGTIN(run+"08")+"/21/S1", accept); status != 404 {
			t.Errorf("an unregistered GTIN as %s: %d %s", accept, status, body)
		}
	}
}

// chromiumTrust are the Chromium flags that make it trust the first member's gateway
// service, which the pages are read from: none on plain HTTP; over HTTPS the SHA-256 of the
// service's public key, the only one Chromium then accepts besides its own roots (it has no
// flag for a CA file, and the service's TLS root is in no system store).
func chromiumTrust(t *testing.T) []string {
	t.Helper()
	if gwSvc.members[gwSvc.first].TLSRoot == "" {
		return nil
	}
	data, err := os.ReadFile(h.home.Path("gateway", gwSvc.first, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatal("no PEM certificate for the gateway service")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	spki := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return []string{"--user-data-dir=" + t.TempDir(), "--ignore-certificate-errors-spki-list=" + base64.StdEncoding.EncodeToString(spki[:])}
}

// resolverGet gets url as accept, without credentials, from the first member's service.
func resolverGet(t *testing.T, url, accept string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	resp, err := gwSvc.http.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}
