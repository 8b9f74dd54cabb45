package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// valid writes the files of a valid configuration to a temporary directory.
func valid(t *testing.T) (*Config, string) {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("pem"), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg := Defaults()
	cfg.Store = filepath.Join(dir, "gateway.db")
	cfg.Peers = []Peer{{Address: "127.0.0.1:7100", TLSRootCert: write("tls1.pem", 0o644)}, {Address: "127.0.0.1:7200", TLSRootCert: write("tls2.pem", 0o644)}}
	cfg.Identities = map[string]Identity{"org1-user1": {MSPID: "Org1MSP", Cert: write("cert.pem", 0o644), Key: write("key.pem", 0o600)}}
	cfg.Principals = []Principal{{Name: "org1-user1", KeySHA256: strings.Repeat("ab", 32), Identity: "org1-user1"}}
	return &cfg, dir
}

func TestLoadRoundTripAndEnvironment(t *testing.T) {
	cfg, dir := valid(t)
	path := filepath.Join(dir, "gateway.yaml")
	if err := cfg.Save(path); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Fatalf("config written with mode %#o", info.Mode().Perm())
	}
	env := map[string]string{"CXL_GATEWAY_LISTEN": "127.0.0.1:9999", "CXL_GATEWAY_REQUEST_TIMEOUT": "30s", "CXL_GATEWAY_RATE": "7", "CXL_GATEWAY_VERIFY_CACHE": "0s"}
	got, err := Load(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if got.Listen != "127.0.0.1:9999" || got.Timeouts.Request != 30*time.Second || got.Limits.Rate != 7 || len(got.Peers) != 2 ||
		got.Cache.VerifyTTL != 0 || got.Cache.VerifyEntries != Defaults().Cache.VerifyEntries {
		t.Fatalf("loaded %+v", got)
	}
	env["CXL_GATEWAY_REQUEST_TIMEOUT"] = "soon"
	if _, err := Load(path, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "CXL_GATEWAY_REQUEST_TIMEOUT") {
		t.Fatalf("bad duration in the environment: %v", err)
	}
}

func TestUnknownFieldIsAnError(t *testing.T) {
	_, dir := valid(t)
	path := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(path, []byte("listne: 127.0.0.1:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, os.Getenv); err == nil || !strings.Contains(err.Error(), "listne") {
		t.Fatalf("misspelt field: %v", err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	cfg, dir := valid(t)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("valid configuration refused: %v", err)
	}
	key := cfg.Identities["org1-user1"].Key
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Listen = "nowhere"
	cfg.Peers[1].TLSRootCert = filepath.Join(dir, "missing.pem")
	cfg.Principals = append(cfg.Principals,
		Principal{Name: "org1-user1", KeySHA256: strings.Repeat("ab", 32), Identity: "ghost"},
		Principal{Name: "short", KeySHA256: "abc", Identity: "org1-user1"})
	cfg.Limits.MaxPageSize = 1000
	cfg.Timeouts.Endorse = time.Minute
	cfg.Log.Level = "loud"
	cfg.Cache.VerifyEntries = 0
	err := cfg.Validate()
	if err == nil {
		t.Fatal("invalid configuration accepted")
	}
	for _, want := range []string{
		"listen:", "peers[1].tlsRootCert", "readable by every user", "chmod 600",
		`principals[1].name: "org1-user1" appears twice`, "same API key", `no identity "ghost"`,
		"principals[2].keySha256", "limits.maxPageSize", "timeouts.endorse", "log.level", "cache.verifyEntries",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

// TestTLSRule: plain HTTP only on the loopback interface; beyond it the configuration needs a
// certificate and a private key that not every user can read.
func TestTLSRule(t *testing.T) {
	for _, tc := range []struct {
		listen  string
		tls     bool
		wantErr string
	}{
		{listen: "127.0.0.1:8080"},
		{listen: "[::1]:8080"},
		{listen: "localhost:8080"},
		{listen: "127.0.0.2:8080"},
		{listen: "0.0.0.0:8080", wantErr: "beyond the loopback interface"},
		{listen: ":8080", wantErr: "beyond the loopback interface"},
		{listen: "[::]:8080", wantErr: "beyond the loopback interface"},
		{listen: "192.0.2.10:8080", wantErr: "set tls.cert and tls.key"},
		{listen: "localhost.example.com:8080", wantErr: "beyond the loopback interface"},
		{listen: "0.0.0.0:8080", tls: true},
		{listen: "127.0.0.1:8080", tls: true},
	} {
		t.Run(tc.listen, func(t *testing.T) {
			cfg, dir := valid(t)
			cfg.Listen = tc.listen
			if tc.tls {
				cfg.TLS = &TLS{Cert: filepath.Join(dir, "cert.pem"), Key: filepath.Join(dir, "key.pem")}
			}
			err := cfg.Validate()
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("listen %s, tls %v: %v, want %q", tc.listen, tc.tls, err, tc.wantErr)
			}
		})
	}
	cfg, dir := valid(t)
	world := filepath.Join(dir, "world.key")
	if err := os.WriteFile(world, []byte("pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Listen, cfg.TLS = "0.0.0.0:8080", &TLS{Cert: filepath.Join(dir, "missing.pem"), Key: world}
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "tls.cert:") || !strings.Contains(err.Error(), "tls.key: "+world+" is readable by every user") {
		t.Fatalf("a missing certificate and a world-readable key: %v", err)
	}
}

// TestStoreURL: a PostgreSQL URL is accepted; anything else is refused without repeating
// the value, which may hold a password.
func TestStoreURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"postgres://cxl@127.0.0.1:5432/cxl", true},
		{"postgresql://cxl:Sekrit@db.example:5432/cxl?sslmode=verify-full", true},
		{"mysql://cxl:Sekrit@db/cxl", false},
		{"postgres://cxl:Sekrit@[::1/cxl", false},
		{"postgres:///cxl?password=Sekrit", false},
		{"/var/lib/cxl/Sekrit.db", false},
	} {
		c, _ := valid(t)
		c.StoreURL = tc.url
		err := c.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%q: %v, want ok=%v", tc.url, err, tc.ok)
		}
		if err != nil && strings.Contains(err.Error(), "Sekrit") {
			t.Errorf("%q: the error repeats the password: %v", tc.url, err)
		}
	}
	c, _ := valid(t)
	env := map[string]string{"CXL_GATEWAY_STORE_URL": "postgres://cxl@127.0.0.1:1/x"}
	if err := c.ApplyEnv(func(k string) string { return env[k] }); err != nil || c.StoreURL != "postgres://cxl@127.0.0.1:1/x" {
		t.Fatalf("CXL_GATEWAY_STORE_URL: %q %v", c.StoreURL, err)
	}
}
