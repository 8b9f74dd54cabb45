package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
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
)

func TestProbe(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ok.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	cases := []struct {
		target string
		want   string // "" for healthy, else part of the error
	}{
		{ok.URL + "/healthz", ""},
		{failing.URL + "/healthz", "503"},
		{"tcp://" + l.Addr().String(), ""},
		{"tcp://" + closedAddr, "refused"},
		{"tcp://", "host:port"},
		{"ftp://example.com", "unsupported"},
	}
	for _, tc := range cases {
		err := probe(tc.target)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("probe(%s) = %v, want healthy", tc.target, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("probe(%s) = %v, want an error with %q", tc.target, err, tc.want)
		}
	}

	// HTTPS is verified with the CA file given, never accepted unverified.
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer secure.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: secure.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	// Every httptest server has the same certificate: the wrong CA is made here.
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
	wrong := filepath.Join(dir, "other.pem")
	if err := os.WriteFile(wrong, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ca, want string
	}{
		{ca, ""},
		{wrong, "certificate"},
		{"", "certificate"},
		{filepath.Join(dir, "missing.pem"), "read CA certificate"},
	} {
		var args []string
		if tc.ca != "" {
			args = []string{tc.ca}
		}
		err := probe(secure.URL+"/readyz", args...)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("probe(%s) = %v, want healthy", tc.ca, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("probe(%s) = %v, want an error with %q", tc.ca, err, tc.want)
		}
	}
}
