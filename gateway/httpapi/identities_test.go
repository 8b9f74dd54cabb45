package httpapi

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
)

// fakeRegistrar stands in for the organisation's CA: it remembers the identities registered
// and the certificate requests enrolled.
type fakeRegistrar struct {
	mu         sync.Mutex
	registered map[string]string
	enrolled   []string
}

func (f *fakeRegistrar) RegisterCustomer(_ context.Context, id, secret string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.registered == nil {
		f.registered = map[string]string{}
	}
	f.registered[id] = secret
	return nil
}

func (f *fakeRegistrar) EnrollCSR(_ context.Context, id, secret string, csrPEM []byte) ([]byte, []byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.registered[id] != secret {
		return nil, nil, cxlerr.Errorf(cxlerr.Unauthenticated, "CA: wrong secret")
	}
	f.enrolled = append(f.enrolled, id)
	return []byte("CERT " + id), []byte("CHAIN"), nil
}

func newCSR(t *testing.T) string {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "x"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// TestInviteAndEnroll: staff (an API key) invite; the customer enrols once with the secret;
// a reused, wrong or expired secret, an unknown ID and a bad CSR are coded refusals that do
// not reach the CA; the secret is neither logged nor stored.
func TestInviteAndEnroll(t *testing.T) {
	reg := &fakeRegistrar{}
	e := newCustomerEnv(t, reg)
	wantCode(t, e.do(t, http.MethodPost, "/v1/identities/invitations", `{}`), cxlerr.Unauthenticated)
	wantCode(t, e.do(t, http.MethodPost, "/v1/identities/invitations", `{"expiresIn":"10s"}`, alice), cxlerr.Invalid)
	wantCode(t, e.do(t, http.MethodPost, "/v1/identities/invitations", `{"expiresIn":"9000h"}`, alice), cxlerr.Invalid)
	wantCode(t, e.do(t, http.MethodPost, "/v1/identities/invitations", `{"expiresIn":1}`, alice), cxlerr.Invalid)
	r := e.do(t, http.MethodPost, "/v1/identities/invitations", `{"expiresIn":"1h"}`, alice)
	if r.status != http.StatusCreated {
		t.Fatalf("invite: %d %s", r.status, r.body)
	}
	var inv Invitation
	if err := json.Unmarshal([]byte(r.body), &inv); err != nil {
		t.Fatal(err)
	}
	if reg.registered[inv.ID] != inv.Secret || !strings.HasSuffix(inv.EnrolURL, "/v1/identities/enrollments") || inv.ExpiresAt.Sub(e.clock()) != time.Hour {
		t.Fatalf("invitation %+v, registered %v", inv, reg.registered)
	}
	enrol := func(id, secret, csr string) response {
		body, _ := json.Marshal(map[string]string{"id": id, "secret": secret, "csr": csr})
		return e.do(t, http.MethodPost, "/v1/identities/enrollments", string(body))
	}
	csr := newCSR(t)
	generic := wantCode(t, enrol(inv.ID, "wrong", csr), cxlerr.Unauthenticated)
	if unknown := wantCode(t, enrol("c-nobody", inv.Secret, csr), cxlerr.Unauthenticated); unknown.Message != generic.Message {
		t.Fatalf("an unknown ID and a wrong secret are told apart: %q, %q", unknown.Message, generic.Message)
	}
	wantCode(t, enrol(inv.ID, inv.Secret, "not a csr"), cxlerr.Invalid)
	bad := strings.Replace(csr, "REQUEST", "REQUESTS", 2)
	wantCode(t, enrol(inv.ID, inv.Secret, bad), cxlerr.Invalid)
	r = enrol(inv.ID, inv.Secret, csr)
	if r.status != http.StatusOK || !strings.Contains(r.body, "CERT "+inv.ID) {
		t.Fatalf("enrol: %d %s", r.status, r.body)
	}
	wantCode(t, enrol(inv.ID, inv.Secret, csr), cxlerr.Conflict)
	// Another invitation, left to expire.
	r = e.do(t, http.MethodPost, "/v1/identities/invitations", `{}`, alice)
	var late Invitation
	_ = json.Unmarshal([]byte(r.body), &late)
	e.advance(73 * time.Hour)
	if msg := wantCode(t, enrol(late.ID, late.Secret, csr), cxlerr.Unauthenticated).Message; !strings.Contains(msg, "expired") {
		t.Fatalf("expired: %q", msg)
	}
	if len(reg.enrolled) != 1 {
		t.Fatalf("the CA enrolled %v", reg.enrolled)
	}
	if strings.Contains(e.logs.String(), inv.Secret) || strings.Contains(e.logs.String(), late.Secret) {
		t.Fatal("a secret is in the log")
	}
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), inv.Secret) || strings.Contains(string(data), late.Secret) {
		t.Fatal("a secret is in the store")
	}
}
