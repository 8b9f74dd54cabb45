package transport

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
	"github.com/cxledger/cxledger/network"
)

// factory has a configuration with profiles gw (gateway, key k-gw) and fab (Fabric), current
// current, and a network in home with Org1MSP/User1 (Org1 has two peers, Org0 one).
func factory(t *testing.T, current string, sel cmdutil.Selection) *cmdutil.Factory {
	t.Helper()
	dir := t.TempDir()
	cfg, _ := cmdutil.LoadConfig(filepath.Join(dir, "config.yaml"))
	cfg.Current = current
	cfg.Profiles["gw"] = &cmdutil.Profile{Gateway: "http://gw.example:8080", APIKey: "k-gw"}
	cfg.Profiles["tls"] = &cmdutil.Profile{Gateway: "https://tls.example:8081", APIKey: "k-tls", GatewayCA: "/profile-ca.pem"}
	cfg.Profiles["fab"] = &cmdutil.Profile{Peer: "peer:7051", TLSRootCert: "/tls.pem", MSPID: "Org9MSP", Cert: "/c.pem", Key: "/k.pem"}
	if err := cfg.Save(); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	prof := network.Profile{Channel: "ch", Chaincode: "cc", Orgs: []network.OrgProfile{
		{MSPID: "Org0MSP", Peers: []network.EndpointInfo{{Name: "peer0", Address: "127.0.0.1:7000", TLSRootCert: "/org0-tls.pem"}}},
		{MSPID: "Org1MSP", Peers: []network.EndpointInfo{{Name: "peer0", Address: "127.0.0.1:7100", TLSRootCert: "/org1-tls.pem"},
			{Name: "peer1", Address: "127.0.0.1:7110", TLSRootCert: "/org1-tls.pem"}},
			Users: map[string]network.IdentityInfo{"User1": {Cert: "/u1.pem", Key: "/u1.key"}}}}}
	data, _ := json.Marshal(prof)
	os.MkdirAll(home, 0o755)
	os.WriteFile(network.Home(home).ProfileFile(), data, 0o644)
	return &cmdutil.Factory{
		Config:    func() (*cmdutil.Config, error) { return cmdutil.LoadConfig(cfg.Path()) },
		Home:      func() (string, error) { return home, nil },
		Selection: &sel,
	}
}

func TestResolve(t *testing.T) {
	cases := []struct {
		name    string
		current string
		sel     cmdutil.Selection
		env     map[string]string
		source  string
		gateway string
		key     string
		msp     string
		ca      string
		wantErr string
		code    cmdutil.ExitCode
	}{
		{name: "current profile", current: "gw", source: "config", gateway: "http://gw.example:8080", key: "k-gw"},
		{name: "env key beats the profile's", current: "gw", env: map[string]string{"CXL_API_KEY": "k-env"}, source: "config", gateway: "http://gw.example:8080", key: "k-env"},
		{name: "env URL replaces the profile's", current: "gw", env: map[string]string{"CXL_GATEWAY": "http://other:1"}, source: "config", gateway: "http://other:1", key: "k-gw"},
		{name: "CXL_GATEWAY over a Fabric profile", current: "fab", env: map[string]string{"CXL_GATEWAY": "http://other:1"}, source: "CXL_GATEWAY", gateway: "http://other:1"},
		{name: "CXL_PROFILE beats the current one", current: "gw", env: map[string]string{"CXL_PROFILE": "fab"}, source: "CXL_PROFILE", msp: "Org9MSP"},
		{name: "--profile beats CXL_PROFILE", env: map[string]string{"CXL_PROFILE": "gw"}, sel: cmdutil.Selection{Profile: "fab"}, source: "--profile", msp: "Org9MSP"},
		{name: "--gateway beats CXL_PROFILE", env: map[string]string{"CXL_PROFILE": "fab", "CXL_API_KEY": "k"}, sel: cmdutil.Selection{Gateway: "http://flag:2"}, source: "--gateway", gateway: "http://flag:2", key: "k"},
		{name: "--profile a network user", sel: cmdutil.Selection{Profile: "Org1MSP/User1"}, source: "--profile (network)", msp: "Org1MSP"},
		{name: "network user, any case", sel: cmdutil.Selection{Profile: "org1msp/user1"}, source: "--profile (network)", msp: "Org1MSP"},
		{name: "unknown network user", sel: cmdutil.Selection{Profile: "Org1MSP/User9"}, wantErr: "no such user", code: cmdutil.ExitNotFound},
		{name: "unknown organisation", sel: cmdutil.Selection{Profile: "Org7MSP/User1"}, wantErr: "organisations: Org0MSP, Org1MSP", code: cmdutil.ExitNotFound},
		{name: "unknown profile", sel: cmdutil.Selection{Profile: "nobody"}, wantErr: "configured: fab, gw", code: cmdutil.ExitNotFound},
		{name: "both flags", sel: cmdutil.Selection{Profile: "gw", Gateway: "http://x"}, wantErr: "choose one", code: cmdutil.ExitUsage},
		{name: "nothing", wantErr: "no ledger to reach", code: cmdutil.ExitUsage},
		{name: "a bad URL", sel: cmdutil.Selection{Gateway: "gw:8080"}, wantErr: "http://", code: cmdutil.ExitUsage},
		{name: "current profile gone", current: "old", wantErr: `current profile "old"`, code: cmdutil.ExitNotFound},
		{name: "--gateway-ca", sel: cmdutil.Selection{Gateway: "https://gw:8443", GatewayCA: "/org1-ca.pem"}, source: "--gateway", gateway: "https://gw:8443", ca: "/org1-ca.pem"},
		{name: "CXL_GATEWAY_CA", current: "tls", env: map[string]string{"CXL_GATEWAY_CA": "/env-ca.pem"}, source: "config", gateway: "https://tls.example:8081", key: "k-tls", ca: "/env-ca.pem"},
		{name: "--gateway-ca beats CXL_GATEWAY_CA and the profile's", current: "tls", sel: cmdutil.Selection{GatewayCA: "/flag-ca.pem"}, env: map[string]string{"CXL_GATEWAY_CA": "/env-ca.pem"},
			source: "config", gateway: "https://tls.example:8081", key: "k-tls", ca: "/flag-ca.pem"},
		{name: "the profile's CA", current: "tls", source: "config", gateway: "https://tls.example:8081", key: "k-tls", ca: "/profile-ca.pem"},
		{name: "--gateway-ca for plain HTTP", sel: cmdutil.Selection{Gateway: "http://gw:8080", GatewayCA: "/ca.pem"}, wantErr: "plain HTTP", code: cmdutil.ExitUsage},
		{name: "CXL_GATEWAY_CA is for https only", sel: cmdutil.Selection{Gateway: "http://gw:8080"}, env: map[string]string{"CXL_GATEWAY_CA": "/ca.pem"}, source: "--gateway", gateway: "http://gw:8080"},
		{name: "--gateway-ca for a peer", current: "fab", sel: cmdutil.Selection{GatewayCA: "/ca.pem"}, wantErr: "reaches a peer directly", code: cmdutil.ExitUsage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := factory(t, tc.current, tc.sel)
			r, err := Resolve(f, func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || cmdutil.CodeOf(err) != tc.code {
					t.Fatalf("err = %v (exit %d), want %q (exit %d)", err, cmdutil.CodeOf(err), tc.wantErr, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Source != tc.source || r.Profile.Gateway != tc.gateway || r.Profile.APIKey != tc.key || r.Profile.MSPID != tc.msp || r.Profile.GatewayCA != tc.ca {
				t.Fatalf("resolved %+v", r)
			}
		})
	}
}

func TestNetworkUserProfile(t *testing.T) {
	f := factory(t, "", cmdutil.Selection{})
	p, err := NetworkUser(f, "Org1MSP", "User1")
	if err != nil {
		t.Fatal(err)
	}
	want := cmdutil.Profile{Peer: "127.0.0.1:7100", TLSRootCert: "/org1-tls.pem", MSPID: "Org1MSP", Cert: "/u1.pem", Key: "/u1.key", Channel: "ch", Chaincode: "cc",
		OtherPeers: []cmdutil.PeerEndpoint{{Address: "127.0.0.1:7110", TLSRootCert: "/org1-tls.pem"}, {Address: "127.0.0.1:7000", TLSRootCert: "/org0-tls.pem"}}}
	if !reflect.DeepEqual(*p, want) {
		t.Fatalf("profile %+v", *p)
	}
	if got := NetworkUsers(f); len(got) != 1 || got[0] != "Org1MSP/User1" {
		t.Fatalf("users %v", got)
	}
}

func TestGatewayExplainsWhatToDo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"code":"UNAUTHENTICATED","message":"an API key is required: send it as \"Authorization: Bearer <key>\""}`))
	}))
	defer srv.Close()
	_, err := ledgerapi.ConsortiumListRoles.Query(context.Background(), gateway(t, srv.URL, "", ""), ledgerapi.NoArgs{})
	if cmdutil.CodeOf(err) != cmdutil.ExitForbidden || !strings.Contains(err.Error(), "no API key for the gateway service at "+srv.URL+": set CXL_API_KEY") {
		t.Fatalf("no key: %v", err)
	}
	_, err = ledgerapi.ConsortiumListRoles.Query(context.Background(), gateway(t, srv.URL, "wrong", ""), ledgerapi.NoArgs{})
	if !strings.Contains(err.Error(), "does not know this API key") {
		t.Fatalf("bad key: %v", err)
	}
	_, err = ledgerapi.ConsortiumListRoles.Query(context.Background(), gateway(t, "http://127.0.0.1:9", "k", ""), ledgerapi.NoArgs{})
	if cmdutil.CodeOf(err) != cmdutil.ExitRetryable || !strings.Contains(err.Error(), "does not answer (is it running? `cxl gateway status`)") {
		t.Fatalf("down: %v (exit %d)", err, cmdutil.CodeOf(err))
	}
	if cxlerr.CodeOf(err) != cxlerr.Unavailable {
		t.Fatalf("code %s", cxlerr.CodeOf(err))
	}
}

func gateway(t *testing.T, url, key, ca string) *Gateway {
	t.Helper()
	g, err := NewGateway(url, key, ca)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestGatewayVerifiesTLS: an https service is reached only when its certificate verifies
// against the CA given (or the system's roots); another CA, or none, is a clear error, and
// a CA file that holds no certificate is a usage error.
func TestGatewayVerifiesTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[]`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ledgerapi.ConsortiumListRoles.Query(context.Background(), gateway(t, srv.URL, "k", ca), ledgerapi.NoArgs{}); err != nil {
		t.Fatalf("verified with its CA: %v", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "another CA"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.pem")
	if err := os.WriteFile(other, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{other, ""} {
		_, err := ledgerapi.ConsortiumListRoles.Query(context.Background(), gateway(t, srv.URL, "k", c), ledgerapi.NoArgs{})
		if err == nil || !strings.Contains(err.Error(), "is not verified by the TLS CA given") || cxlerr.CodeOf(err) != cxlerr.Unauthenticated || cmdutil.CodeOf(err) != cmdutil.ExitForbidden {
			t.Fatalf("CA %q: %v (code %s, exit %d), want UNAUTHENTICATED, exit 4", c, err, cxlerr.CodeOf(err), cmdutil.CodeOf(err))
		}
	}
	if _, err := NewGateway(srv.URL, "k", filepath.Join(dir, "key.pem")); cmdutil.CodeOf(err) != cmdutil.ExitUsage {
		t.Fatalf("a missing CA file: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "empty.pem"), []byte("no PEM here"), 0o644)
	if _, err := NewGateway(srv.URL, "k", filepath.Join(dir, "empty.pem")); cmdutil.CodeOf(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("a CA file without a certificate: %v", err)
	}
}

func TestFabricProfileWithMissingFiles(t *testing.T) {
	_, err := NewFabric(context.Background(), cmdutil.Profile{Peer: "p:1", TLSRootCert: "/nope", MSPID: "M", Cert: "/nope/cert.pem", Key: "/nope/key"}, t.TempDir())
	if cmdutil.CodeOf(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("missing certificate: %v (exit %d)", err, cmdutil.CodeOf(err))
	}
}

// The journal's fingerprint of a request is what it was before operations were named by
// their descriptors, so a journal written by an earlier cxl still replays.
func TestFingerprintFormat(t *testing.T) {
	req := &ledgerapi.RegisterProductRequest{GTIN: "09506000134352", Name: "Beans"}
	got, err := Fingerprint(&ledgerapi.ProvenanceRegisterProduct.Operation, req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(*req)
	sum := sha256.Sum256([]byte("provenance.RegisterProduct\n" + string(body)))
	if got != hex.EncodeToString(sum[:]) {
		t.Fatalf("fingerprint %s, want %x", got, sum)
	}
	other, _ := Fingerprint(&ledgerapi.ProvenanceRegisterProduct.Operation, &ledgerapi.RegisterProductRequest{GTIN: "09506000134352", Name: "Tea"})
	if other == got {
		t.Fatal("two requests share a fingerprint")
	}
}
