package ca

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
)

// testCA is an in-memory certificate authority that signs what the fake CA server issues.
type testCA struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca.org1.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{key: key, cert: cert, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue signs a certificate for pub with common name cn.
func (ca *testCA) issue(t *testing.T, cn string, pub crypto.PublicKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// identity returns an identity the test CA issued.
func (ca *testCA) identity(t *testing.T, cn string) Identity {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return Identity{Cert: ca.issue(t, cn, &key.PublicKey), Key: key}
}

// verifyToken checks r's Authorization header as Fabric CA's server does and returns the
// certificate it names.
func verifyToken(t *testing.T, r *http.Request, body []byte) *x509.Certificate {
	t.Helper()
	parts := strings.Split(r.Header.Get("Authorization"), ".")
	if len(parts) != 2 {
		t.Fatalf("token has %d parts", len(parts))
	}
	certPEM, err := base64.StdEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	sig, err := base64.StdEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	payload := r.Method + "." + base64.StdEncoding.EncodeToString([]byte(r.URL.RequestURI())) + "." +
		base64.StdEncoding.EncodeToString(body) + "." + parts[0]
	digest := sha256.Sum256([]byte(payload))
	pub := cert.PublicKey.(*ecdsa.PublicKey)
	if !ecdsa.VerifyASN1(pub, digest[:], sig) {
		t.Fatalf("token signature does not verify over %q", payload)
	}
	var es ecdsaSignature
	if _, err := asn1.Unmarshal(sig, &es); err != nil || es.S.Cmp(new(big.Int).Rsh(pub.Curve.Params().N, 1)) > 0 {
		t.Fatal("token signature is not low-S")
	}
	return cert
}

// answer writes Fabric CA's envelope.
func answer(w http.ResponseWriter, status int, result any, errs ...caMessage) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if errs == nil {
		errs = []caMessage{}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"success": status < 300 && len(errs) == 0, "result": result, "errors": errs, "messages": []any{},
	})
}

// server starts a fake CA with handler and returns a client of it.
func server(t *testing.T, handler http.HandlerFunc, opts ...Option) *Client {
	t.Helper()
	srv := httptest.NewTLSServer(handler)
	t.Cleanup(srv.Close)
	root := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	c, err := New(srv.URL, root, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestNewRefusesWhatIsNotAnHTTPSCAWithARoot(t *testing.T) {
	ca := newTestCA(t)
	for _, u := range []string{"http://localhost:7054", "localhost:7054", "https://", "https://u:p@localhost:7054",
		"https://localhost:7054/api", "https://localhost:7054?x=1", "ftp://x", "https://\x00"} {
		if _, err := New(u, ca.pem); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	if _, err := New("https://localhost:7054", []byte("not pem")); err == nil {
		t.Error("a root without PEM accepted")
	}
	if _, err := New("https://localhost:7054/", ca.pem, WithTimeout(0)); err == nil {
		t.Error("a zero timeout accepted")
	}
	if _, err := New("https://localhost:7054/", ca.pem, WithRegistrar(Identity{Cert: ca.pem})); err == nil {
		t.Error("a registrar without key accepted")
	}
}

func TestRegisterSignsTheRequestAndReturnsTheSecret(t *testing.T) {
	ca := newTestCA(t)
	registrar := ca.identity(t, "registrar")
	c := server(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/register" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		if cert := verifyToken(t, r, body); cert.Subject.CommonName != "registrar" {
			t.Errorf("token names %q", cert.Subject.CommonName)
		}
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		want := `{"affiliation":"org1.staff","attrs":[{"ecert":true,"name":"cxl.roles","value":"brand,merchant"},{"name":"hf.Revoker","value":"true"}],"id":"User1","max_enrollments":1,"type":"client"}`
		if b, _ := json.Marshal(got); string(b) != want {
			t.Errorf("body %s\nwant %s", b, want)
		}
		answer(w, http.StatusCreated, map[string]string{"secret": "s3cret-from-ca"})
	})
	secret, err := c.Register(context.Background(), registrar, Registration{
		ID: "User1", Type: "client", Affiliation: "org1.staff", MaxEnrollments: 1,
		Attrs: []Attribute{{Name: "cxl.roles", Value: "brand,merchant", ECert: true}, {Name: "hf.Revoker", Value: "true"}},
	})
	if err != nil || secret != "s3cret-from-ca" {
		t.Fatalf("Register = %q, %v", secret, err)
	}
}

func TestRegisterRefusesHostileInputBeforeSending(t *testing.T) {
	ca := newTestCA(t)
	c := server(t, func(w http.ResponseWriter, r *http.Request) { t.Error("request sent") })
	long := strings.Repeat("a", 65)
	for name, reg := range map[string]Registration{
		"empty ID":               {Type: "client"},
		"long ID":                {ID: long, Type: "client"},
		"slash in ID":            {ID: "a/b", Type: "client"},
		"dot-dot path":           {ID: "..", Type: "client"},
		"space in ID":            {ID: "a b", Type: "client"},
		"invalid UTF-8 ID":       {ID: "a\xff", Type: "client"},
		"non-ASCII ID":           {ID: "Zoë", Type: "client"},
		"no type":                {ID: "a"},
		"type with space":        {ID: "a", Type: "cli ent"},
		"max below -1":           {ID: "a", Type: "client", MaxEnrollments: -2},
		"control in secret":      {ID: "a", Type: "client", Secret: "a\nb"},
		"invalid secret":         {ID: "a", Type: "client", Secret: "\xff"},
		"long secret":            {ID: "a", Type: "client", Secret: strings.Repeat("x", 257)},
		"empty affiliation part": {ID: "a", Type: "client", Affiliation: "org1..x"},
		"affiliation slash":      {ID: "a", Type: "client", Affiliation: "org1/x"},
		"attribute no name":      {ID: "a", Type: "client", Attrs: []Attribute{{Value: "x"}}},
		"attribute bad name":     {ID: "a", Type: "client", Attrs: []Attribute{{Name: "a=b", Value: "x"}}},
		"attribute twice": {ID: "a", Type: "client", Attrs: []Attribute{
			{Name: "cxl.roles", Value: "x"}, {Name: "cxl.roles", Value: "y"}}},
		"attribute control value": {ID: "a", Type: "client", Attrs: []Attribute{{Name: "n", Value: "\x00"}}},
		"attribute invalid value": {ID: "a", Type: "client", Attrs: []Attribute{{Name: "n", Value: "\xc3"}}},
	} {
		_, err := c.Register(context.Background(), ca.identity(t, "registrar"), reg)
		if cxlerr.CodeOf(err) != cxlerr.Invalid {
			t.Errorf("%s: %v, want INVALID", name, err)
		}
		if reg.Secret != "" && strings.Contains(err.Error(), reg.Secret) {
			t.Errorf("%s: the error carries the secret", name)
		}
	}
}

func TestRegistrarMustHoldItsCertificatesKey(t *testing.T) {
	ca := newTestCA(t)
	c := server(t, func(w http.ResponseWriter, r *http.Request) { t.Error("request sent") })
	a, b := ca.identity(t, "a"), ca.identity(t, "b")
	_, err := c.Register(context.Background(), Identity{Cert: a.Cert, Key: b.Key}, Registration{ID: "x", Type: "client"})
	if cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Fatalf("mismatched key: %v", err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Register(context.Background(), Identity{Cert: ca.issue(t, "r", &rsaKey.PublicKey), Key: rsaKey},
		Registration{ID: "x", Type: "client"})
	if cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Fatalf("RSA registrar: %v", err)
	}
}

func TestEnrollMakesTheCSRLocallyAndChecksWhatTheCAIssues(t *testing.T) {
	ca := newTestCA(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	c := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/enroll" {
			t.Errorf("path %s", r.URL.Path)
		}
		user, pass, ok := r.BasicAuth()
		if !ok || user != "User1" || pass != "one-time" {
			t.Errorf("basic auth %q %q %v", user, pass, ok)
		}
		var req struct {
			Hosts   []string `json:"hosts"`
			Request string   `json:"certificate_request"`
			Profile string   `json:"profile"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Fatal(err)
		}
		if strings.Join(req.Hosts, ",") != "localhost,127.0.0.1" || req.Profile != "tls" {
			t.Errorf("hosts %v profile %q", req.Hosts, req.Profile)
		}
		block, _ := pem.Decode([]byte(req.Request))
		csr, err := x509.ParseCertificateRequest(block.Bytes)
		if err != nil || csr.CheckSignature() != nil {
			t.Fatalf("CSR: %v", err)
		}
		if csr.Subject.CommonName != "User1" || len(csr.DNSNames) != 1 || len(csr.IPAddresses) != 1 {
			t.Errorf("CSR subject %v names %v %v", csr.Subject, csr.DNSNames, csr.IPAddresses)
		}
		if !key.PublicKey.Equal(csr.PublicKey) {
			t.Error("CSR is not for the caller's key")
		}
		answer(w, http.StatusCreated, map[string]any{
			"Cert":       base64.StdEncoding.EncodeToString(ca.issue(t, "User1", csr.PublicKey)),
			"ServerInfo": map[string]string{"CAName": "ca", "CAChain": base64.StdEncoding.EncodeToString(ca.pem)},
		})
	})
	cert, chain, err := c.Enroll(context.Background(), "User1", "one-time", key,
		EnrollOptions{Hosts: []string{"localhost", "127.0.0.1"}, Profile: "tls"})
	if err != nil {
		t.Fatal(err)
	}
	issued, err := parseCertPEM(cert)
	if err != nil || issued.Subject.CommonName != "User1" || string(chain) != string(ca.pem) {
		t.Fatalf("cert %v chain %q: %v", issued, chain, err)
	}
}

func TestEnrollRefusesACertificateForAnotherKeyOrName(t *testing.T) {
	ca := newTestCA(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, cert := range map[string][]byte{
		"other key":  ca.issue(t, "User1", &other.PublicKey),
		"other name": ca.issue(t, "User2", &key.PublicKey),
		"not PEM":    []byte("garbage"),
	} {
		c := server(t, func(w http.ResponseWriter, r *http.Request) {
			answer(w, http.StatusCreated, map[string]any{"Cert": base64.StdEncoding.EncodeToString(cert),
				"ServerInfo": map[string]string{"CAChain": ""}})
		})
		if _, _, err := c.Enroll(context.Background(), "User1", "s", key, EnrollOptions{}); cxlerr.CodeOf(err) != cxlerr.Internal {
			t.Errorf("%s: %v, want INTERNAL", name, err)
		}
	}
}

func TestEnrollRefusesHostileInputBeforeSending(t *testing.T) {
	c := server(t, func(w http.ResponseWriter, r *http.Request) { t.Error("request sent") })
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, tc := range map[string]struct {
		id, secret string
		key        crypto.Signer
		hosts      []string
	}{
		"empty ID":        {"", "s", key, nil},
		"slash ID":        {"../x", "s", key, nil},
		"empty secret":    {"User1", "", key, nil},
		"no key":          {"User1", "s", nil, nil},
		"bad host":        {"User1", "s", key, []string{"a b"}},
		"host injection":  {"User1", "s", key, []string{"x\r\nHost: y"}},
		"underscore host": {"User1", "s", key, []string{"a_b.example"}},
		"empty host":      {"User1", "s", key, []string{""}},
	} {
		if _, _, err := c.Enroll(context.Background(), tc.id, tc.secret, tc.key, EnrollOptions{Hosts: tc.hosts}); cxlerr.CodeOf(err) != cxlerr.Invalid {
			t.Errorf("%s: %v, want INVALID", name, err)
		}
	}
}

func TestEnrollRefusalIsUnauthenticatedAndNeverCarriesTheSecret(t *testing.T) {
	const secret = "Sup3r-Secret"
	c := server(t, func(w http.ResponseWriter, r *http.Request) {
		// A CA that (wrongly) echoes the secret must not get it into the error.
		answer(w, http.StatusUnauthorized, nil, caMessage{Code: 20, Message: "Authentication failure for " + secret})
	})
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, _, err := c.Enroll(context.Background(), "User1", secret, key, EnrollOptions{})
	if cxlerr.CodeOf(err) != cxlerr.Unauthenticated {
		t.Fatalf("err %v", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("the error carries the secret: %v", err)
	}
	if e, _ := cxlerr.As(err); e.Retryable {
		t.Error("an authentication failure is retryable")
	}
}

func TestEnrollWithARegistrarExplainsAUsedUpSecret(t *testing.T) {
	ca := newTestCA(t)
	registrar := ca.identity(t, "registrar")
	// certs is how many certificates the fake CA holds for the identity.
	for _, tc := range []struct {
		name     string
		max      int
		certs    int
		known    bool
		wantCode cxlerr.Code
	}{
		{"used up", 1, 1, true, cxlerr.Conflict},
		{"not used: the secret is wrong", 1, 0, true, cxlerr.Unauthenticated},
		{"no limit", -1, 3, true, cxlerr.Unauthenticated},
		{"unknown identity", 0, 0, false, cxlerr.Unauthenticated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := server(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/api/v1/enroll":
					answer(w, http.StatusUnauthorized, nil, caMessage{Code: 20, Message: "Authentication failure"})
				case "/api/v1/identities/User1":
					verifyToken(t, r, nil)
					if !tc.known {
						answer(w, http.StatusBadRequest, nil, caMessage{Code: 63, Message: "no such identity"})
						return
					}
					answer(w, http.StatusOK, map[string]any{"id": "User1", "max_enrollments": tc.max})
				case "/api/v1/certificates":
					verifyToken(t, r, nil)
					if r.URL.Query().Get("id") != "User1" {
						t.Errorf("query %q", r.URL.RawQuery)
					}
					certs := make([]map[string]string, tc.certs)
					for i := range certs {
						certs[i] = map[string]string{"PEM": "x"}
					}
					answer(w, http.StatusOK, map[string]any{"certs": certs, "caname": ""})
				default:
					t.Errorf("path %s", r.URL.Path)
				}
			}, WithRegistrar(registrar))
			key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			_, _, err := c.Enroll(context.Background(), "User1", "again", key, EnrollOptions{})
			if cxlerr.CodeOf(err) != tc.wantCode {
				t.Fatalf("err %v, want %s", err, tc.wantCode)
			}
			if strings.Contains(err.Error(), "again") {
				t.Fatalf("the error carries the secret: %v", err)
			}
			// A request made elsewhere (a customer's, through its gateway) is explained alike.
			csr, err := certificateRequest("User1", key, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.EnrollCSR(context.Background(), "User1", "again", csr); cxlerr.CodeOf(err) != tc.wantCode {
				t.Fatalf("EnrollCSR: %v, want %s", err, tc.wantCode)
			}
		})
	}
}

func TestCAErrorsMapToCodes(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   int
		want   cxlerr.Code
	}{
		{401, 20, cxlerr.Unauthenticated},
		{401, 73, cxlerr.Unauthenticated},
		{403, 71, cxlerr.Forbidden},
		{401, 76, cxlerr.Forbidden},
		{400, 74, cxlerr.Conflict},
		{400, 66, cxlerr.Conflict},
		{404, 10, cxlerr.NotFound},
		{400, 63, cxlerr.NotFound},
		{400, 82, cxlerr.Invalid},
		{400, 31, cxlerr.Invalid},
		{500, 0, cxlerr.Internal},
		{503, 0, cxlerr.Unavailable},
	} {
		err := decode(tc.status, mustJSON(t, map[string]any{"success": false, "result": nil,
			"errors": []caMessage{{Code: tc.code, Message: "m"}}}), nil, "")
		if cxlerr.CodeOf(err) != tc.want {
			t.Errorf("HTTP %d code %d: %v, want %s", tc.status, tc.code, err, tc.want)
		}
	}
	if err := decode(502, []byte("<html>bad gateway</html>"), nil, ""); cxlerr.CodeOf(err) != cxlerr.Unavailable {
		t.Errorf("non-JSON 502: %v", err)
	}
	if err := decode(200, []byte("{"), nil, ""); cxlerr.CodeOf(err) != cxlerr.Internal {
		t.Errorf("truncated JSON: %v", err)
	}
	if err := decode(200, []byte(`{"success":false,"errors":[]}`), nil, ""); err == nil {
		t.Error("success false accepted")
	}
	msg := cxlerr.From(decode(400, mustJSON(t, map[string]any{"errors": []caMessage{{Code: 5,
		Message: "bad\x00\n\xff" + strings.Repeat("é", 400)}}}), nil, "")).Message
	if len(msg) > 400 || strings.ContainsAny(msg, "\x00\n") || !strings.HasSuffix(msg, "...") {
		t.Errorf("unsanitised message %q", msg)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUnreachableAndUntrustedCAsAreUnavailable(t *testing.T) {
	ca := newTestCA(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := New("https://"+addr, ca.pem)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CAInfo(context.Background())
	if e, ok := cxlerr.As(err); !ok || e.Code != cxlerr.Unavailable || !e.Retryable {
		t.Fatalf("closed port: %v", err)
	}

	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("answered") }))
	defer srv.Close()
	c, err = New(srv.URL, ca.pem) // trusts another root than the server's
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, _, err = c.Enroll(context.Background(), "User1", "pw-123", key, EnrollOptions{})
	if cxlerr.CodeOf(err) != cxlerr.Unavailable || strings.Contains(err.Error(), "pw-123") {
		t.Fatalf("untrusted server: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.CAInfo(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestSlowCAIsUnavailable(t *testing.T) {
	release := make(chan struct{})
	c := server(t, func(w http.ResponseWriter, r *http.Request) { <-release }, WithTimeout(50*time.Millisecond))
	defer close(release)
	if _, err := c.CAInfo(context.Background()); cxlerr.CodeOf(err) != cxlerr.Unavailable {
		t.Fatalf("slow CA: %v", err)
	}
}

func TestCAInfoDecodesTheChain(t *testing.T) {
	ca := newTestCA(t)
	c := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/cainfo" || r.Header.Get("Authorization") != "" {
			t.Errorf("%s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		answer(w, http.StatusOK, map[string]string{"CAName": "ca.org1", "Version": "1.5.15",
			"CAChain": base64.StdEncoding.EncodeToString(ca.pem)})
	})
	info, err := c.CAInfo(context.Background())
	if err != nil || info.Name != "ca.org1" || info.Version != "1.5.15" || string(info.Chain) != string(ca.pem) {
		t.Fatalf("CAInfo = %+v, %v", info, err)
	}
	bad := server(t, func(w http.ResponseWriter, r *http.Request) {
		answer(w, http.StatusOK, map[string]string{"CAChain": "!!"})
	})
	if _, err := bad.CAInfo(context.Background()); cxlerr.CodeOf(err) != cxlerr.Internal {
		t.Fatalf("bad chain: %v", err)
	}
}

func TestRevokeAndRemoveSignTheirRequests(t *testing.T) {
	ca := newTestCA(t)
	registrar := ca.identity(t, "registrar")
	c := server(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		verifyToken(t, r, body)
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/api/v1/revoke":
			if string(body) != `{"id":"cust-1@shop","reason":"keycompromise"}` {
				t.Errorf("revoke body %s", body)
			}
			answer(w, http.StatusOK, map[string]any{"RevokedCerts": []map[string]string{{"Serial": "0a", "AKI": "bb"}}})
		case r.Method == http.MethodDelete && r.URL.EscapedPath() == "/api/v1/identities/cust-1@shop":
			answer(w, http.StatusOK, map[string]any{"id": "cust-1@shop"})
		default:
			t.Errorf("%s %s", r.Method, r.URL.EscapedPath())
		}
	})
	revoked, err := c.Revoke(context.Background(), registrar, Revocation{ID: "cust-1@shop", Reason: "keycompromise"})
	if err != nil || len(revoked) != 1 || revoked[0] != (RevokedCert{Serial: "0a", AKI: "bb"}) {
		t.Fatalf("Revoke = %v, %v", revoked, err)
	}
	if err := c.RemoveIdentity(context.Background(), registrar, "cust-1@shop"); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]Revocation{
		"nothing":      {},
		"serial alone": {Serial: "0a"},
		"bad serial":   {Serial: "0x", AKI: "bb"},
		"bad reason":   {ID: "a", Reason: "key compromise"},
		"bad id":       {ID: "a/b"},
	} {
		if _, err := c.Revoke(context.Background(), registrar, r); cxlerr.CodeOf(err) != cxlerr.Invalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := c.RemoveIdentity(context.Background(), registrar, "../../register"); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Errorf("path traversal: %v", err)
	}
}

// highS is a signer that always answers the high-S twin of its signature.
type highS struct{ *ecdsa.PrivateKey }

func (h highS) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	sig, err := h.PrivateKey.Sign(r, digest, opts)
	if err != nil {
		return nil, err
	}
	var es ecdsaSignature
	if _, err := asn1.Unmarshal(sig, &es); err != nil {
		return nil, err
	}
	n := h.Curve.Params().N
	if es.S.Cmp(new(big.Int).Rsh(n, 1)) <= 0 {
		es.S = new(big.Int).Sub(n, es.S)
	}
	return asn1.Marshal(es)
}

func TestTokenIsLowSOverMethodURIBodyAndCert(t *testing.T) {
	ca := newTestCA(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	id := Identity{Cert: ca.issue(t, "admin", &key.PublicKey), Key: highS{key}}
	tok, err := id.token("POST", "/api/v1/register?ca=x", []byte(`{"id":"a"}`))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/api/v1/register?ca=x", nil)
	r.Header.Set("Authorization", tok)
	verifyToken(t, r, []byte(`{"id":"a"}`))

	// The same token does not verify for another method, URI or body.
	parts := strings.Split(tok, ".")
	sig, _ := base64.StdEncoding.DecodeString(parts[1])
	for _, p := range []string{
		tokenPayload("GET", "/api/v1/register?ca=x", []byte(`{"id":"a"}`), id.Cert),
		tokenPayload("POST", "/api/v1/revoke?ca=x", []byte(`{"id":"a"}`), id.Cert),
		tokenPayload("POST", "/api/v1/register?ca=x", []byte(`{"id":"b"}`), id.Cert),
	} {
		d := sha256.Sum256([]byte(p))
		if ecdsa.VerifyASN1(&key.PublicKey, d[:], sig) {
			t.Errorf("token verifies for %q", p)
		}
	}
}

func TestParseIdentity(t *testing.T) {
	ca := newTestCA(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert := ca.issue(t, "a", &key.PublicKey)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	sec1, _ := x509.MarshalECPrivateKey(key)
	for _, k := range [][]byte{
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}),
	} {
		if _, err := ParseIdentity(cert, k); err != nil {
			t.Error(err)
		}
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherDER, _ := x509.MarshalPKCS8PrivateKey(other)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	for name, tc := range map[string][2][]byte{
		"other key":    {cert, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: otherDER})},
		"RSA key":      {cert, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsaDER})},
		"key not PEM":  {cert, []byte("x")},
		"key garbage":  {cert, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("x")})},
		"cert not PEM": {[]byte("x"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})},
	} {
		if _, err := ParseIdentity(tc[0], tc[1]); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
