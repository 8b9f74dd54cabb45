package ca

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/cxlerr"
)

func csrFor(t *testing.T, cn string, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// TestEnrollCSRSendsTheCallersRequestAndChecksWhatTheCAIssues: the request is the caller's
// CSR as it is; a certificate for another key is refused; a CSR that is not signed by its
// key, names another identity or is not PEM never leaves the process.
func TestEnrollCSRSendsTheCallersRequestAndChecksWhatTheCAIssues(t *testing.T) {
	ca := newTestCA(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	csr := csrFor(t, "c-1", key)
	issueFor := &key.PublicKey
	c := server(t, func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		var req struct {
			Request string `json:"certificate_request"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Fatal(err)
		}
		if user != "c-1" || pass != "one-time" || req.Request != string(csr) {
			t.Errorf("sent %q %q %q", user, pass, req.Request)
		}
		answer(w, http.StatusCreated, map[string]any{
			"Cert":       base64.StdEncoding.EncodeToString(ca.issue(t, "c-1", issueFor)),
			"ServerInfo": map[string]string{"CAChain": base64.StdEncoding.EncodeToString(ca.pem)},
		})
	})
	cert, chain, err := c.EnrollCSR(context.Background(), "c-1", "one-time", csr)
	if err != nil || !strings.Contains(string(cert), "CERTIFICATE") || string(chain) != string(ca.pem) {
		t.Fatalf("enrol: %v", err)
	}
	issueFor = &other.PublicKey
	if _, _, err := c.EnrollCSR(context.Background(), "c-1", "one-time", csr); cxlerr.CodeOf(err) != cxlerr.Internal {
		t.Fatalf("a certificate for another key: %v", err)
	}
	bad := csrFor(t, "c-1", key)
	block, _ := pem.Decode(bad)
	block.Bytes[len(block.Bytes)-3] ^= 0xff
	quiet := server(t, func(w http.ResponseWriter, r *http.Request) { t.Error("request sent") })
	for name, tc := range map[string]struct {
		id, secret string
		csr        []byte
	}{
		"not signed by its key": {"c-1", "s", pem.EncodeToMemory(block)},
		"another identity":      {"c-1", "s", csrFor(t, "c-2", key)},
		"not PEM":               {"c-1", "s", []byte("junk")},
		"a certificate":         {"c-1", "s", ca.pem},
		"empty secret":          {"c-1", "", csr},
		"bad ID":                {"../x", "s", csr},
	} {
		if _, _, err := quiet.EnrollCSR(context.Background(), tc.id, tc.secret, tc.csr); cxlerr.CodeOf(err) != cxlerr.Invalid {
			t.Errorf("%s: %v, want INVALID", name, err)
		}
	}
}
