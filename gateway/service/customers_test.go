package service

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/gateway/config"
)

// TestReplicasOf: a replica's address for the others is its listen address (plain HTTP on
// the loopback, this machine's name for an unspecified host), and over TLS its client
// trusts the replicas' shared certificate and nothing else.
func TestReplicasOf(t *testing.T) {
	cfg := config.Defaults()
	cfg.Listen = "127.0.0.1:8101"
	rep, err := replicasOf(&cfg)
	if err != nil || rep.Self != "http://127.0.0.1:8101" || rep.Client == nil || rep.Client.Timeout <= cfg.Timeouts.Request {
		t.Fatalf("loopback: %+v %v", rep, err)
	}
	host, _ := os.Hostname()
	cfg.Listen = "0.0.0.0:8102"
	if rep, err := replicasOf(&cfg); err != nil || rep.Self != "http://"+host+":8102" {
		t.Fatalf("unspecified host: %+v %v", rep, err)
	}
	for _, bad := range []string{"8101", "", "[::1"} {
		cfg.Listen = bad
		if _, err := replicasOf(&cfg); err == nil {
			t.Fatalf("listen %q accepted", bad)
		}
	}

	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	defer srv.Close()
	certFile := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Listen = srv.Listener.Addr().String()
	cfg.TLS = &config.TLS{Cert: certFile, Key: "unused"}
	rep, err = replicasOf(&cfg)
	if err != nil || !strings.HasPrefix(rep.Self, "https://127.0.0.1:") {
		t.Fatalf("TLS: %+v %v", rep, err)
	}
	resp, err := rep.Client.Get(rep.Self)
	if err != nil {
		t.Fatalf("the replicas' own certificate is not trusted: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// Another server's certificate, for the same address, is not.
	other := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	other.TLS = &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	other.StartTLS()
	defer other.Close()
	if resp, err := rep.Client.Get(other.URL); err == nil {
		resp.Body.Close()
		t.Fatal("a server with another certificate was trusted")
	}
	cfg.TLS.Cert = filepath.Join(t.TempDir(), "none.pem")
	if _, err := replicasOf(&cfg); err == nil {
		t.Fatal("a missing certificate was accepted")
	}
}

// selfSigned is a certificate of its own for 127.0.0.1.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "other"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
