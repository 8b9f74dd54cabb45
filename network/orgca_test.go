package network

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// fakeOrgCAs writes, for each organisation of topo, a root CA and a TLS CA key pair where
// cryptogen puts them, and the organisation's NodeOU configuration.
func fakeOrgCAs(t *testing.T, home Home, topo Topology) {
	t.Helper()
	for _, org := range topo.PeerOrgs() {
		for _, dir := range []struct{ path, cert string }{
			{filepath.Dir(home.CACert(org)), home.CACert(org)},
			{filepath.Dir(home.TLSRootCert(org)), home.TLSRootCert(org)},
		} {
			key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			tmpl := &x509.Certificate{
				SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: filepath.Base(dir.cert)},
				NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
				IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
			if err != nil {
				t.Fatal(err)
			}
			keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
			if err := os.MkdirAll(dir.path, 0o755); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(dir.cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
			os.WriteFile(filepath.Join(dir.path, "priv_sk"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
		}
		msp := filepath.Join(home.OrgDir(org), "msp")
		os.MkdirAll(msp, 0o755)
		os.WriteFile(filepath.Join(msp, "config.yaml"), []byte("NodeOUs:\n  Enable: true\n"), 0o644)
	}
}

func TestPrepareCAs(t *testing.T) {
	for _, topo := range []Topology{Topology{PortOffset: 1000}.WithDefaults(), dockerTopology(1000)} {
		t.Run(string(topo.Runtime), func(t *testing.T) {
			home := Home(t.TempDir())
			fakeOrgCAs(t, home, topo)
			if err := PrepareCAs(home, topo); err != nil {
				t.Fatal(err)
			}
			secrets := map[string]bool{}
			for i, org := range topo.PeerOrgs() {
				secret, err := os.ReadFile(home.CABootstrapSecret(org))
				if err != nil {
					t.Fatal(err)
				}
				s := strings.TrimSpace(string(secret))
				if len(s) < 32 || secrets[s] {
					t.Fatalf("secret of %s is short or shared with another organisation", org.MSPID)
				}
				secrets[s] = true
				cfgFile := filepath.Join(home.CAServerDir(org), "fabric-ca-server-config.yaml")
				for _, f := range []string{home.CABootstrapSecret(org), cfgFile, filepath.Join(home.CAServerDir(org), "tls", "server.key")} {
					if info, err := os.Stat(f); err != nil || info.Mode().Perm() != 0o600 {
						t.Errorf("%s: %v mode %v, want 0600", f, err, info.Mode().Perm())
					}
				}
				var cfg struct {
					Address  string
					Port     int
					CA       struct{ Name, Certfile, Keyfile string }
					TLS      struct{ Enabled bool }
					Registry struct {
						Identities []struct {
							Name, Pass string
							Attrs      map[string]any
						}
					}
					Operations struct {
						ListenAddress string `yaml:"listenAddress"`
					}
				}
				data, _ := os.ReadFile(cfgFile)
				if err := yaml.Unmarshal(data, &cfg); err != nil {
					t.Fatal(err)
				}
				wantAddr, wantPort, wantOps := "127.0.0.1", 8980+i, "127.0.0.1:"+strconv.Itoa(8990+i)
				if topo.Runtime == Docker {
					wantAddr, wantOps = "0.0.0.0", "0.0.0.0:"+strconv.Itoa(8990+i)
				}
				if cfg.Address != wantAddr || cfg.Port != wantPort || cfg.Operations.ListenAddress != wantOps || !cfg.TLS.Enabled {
					t.Errorf("%s listens at %s:%d (operations %s, TLS %v)", org.MSPID, cfg.Address, cfg.Port, cfg.Operations.ListenAddress, cfg.TLS.Enabled)
				}
				// The CA signs with the organisation's root key pair, found beside its home.
				if got := filepath.Join(home.CAServerDir(org), cfg.CA.Certfile); got != home.CACert(org) {
					t.Errorf("CA cert file %s, want %s", got, home.CACert(org))
				}
				if got := filepath.Join(home.CAServerDir(org), cfg.CA.Keyfile); got != filepath.Join(home.OrgDir(org), "ca", "priv_sk") {
					t.Errorf("CA key file %s", got)
				}
				if len(cfg.Registry.Identities) != 1 || cfg.Registry.Identities[0].Name != CABootstrapID || cfg.Registry.Identities[0].Pass != s {
					t.Errorf("bootstrap identity %+v", cfg.Registry.Identities)
				}
				// Its TLS certificate is the TLS CA's, for every name the CA is reached by.
				root, _ := readCert(home.TLSRootCert(org))
				cert, err := readCert(filepath.Join(home.CAServerDir(org), "tls", "server.crt"))
				if err != nil {
					t.Fatal(err)
				}
				pool := x509.NewCertPool()
				pool.AddCert(root)
				for _, name := range []string{"localhost", "127.0.0.1", org.CA.Name} {
					if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: name}); err != nil {
						t.Errorf("TLS certificate of %s for %s: %v", org.MSPID, name, err)
					}
				}
			}
			// A second run keeps what exists: the CA's database knows the first secret.
			before, _ := os.ReadFile(home.CABootstrapSecret(topo.PeerOrgs()[0]))
			if err := PrepareCAs(home, topo); err != nil {
				t.Fatal(err)
			}
			if after, _ := os.ReadFile(home.CABootstrapSecret(topo.PeerOrgs()[0])); string(after) != string(before) {
				t.Error("a second PrepareCAs changed the bootstrap secret")
			}
		})
	}
}

func TestOrgIdentities(t *testing.T) {
	org := Topology{Orgs: []OrgSpec{{Name: "Org1", Users: 2, Roles: []string{"brand", "merchant"}}}}.WithDefaults().PeerOrgs()[0]
	ids := orgIdentities(org)
	var users []string
	for _, id := range ids {
		users = append(users, id.user)
		attrs := map[string]string{}
		for _, a := range id.reg.Attrs {
			attrs[a.Name] = a.Value
			if a.Name == RolesAttribute && !a.ECert {
				t.Errorf("%s: roles not in the certificate", id.user)
			}
		}
		if id.reg.ID != id.user+"@org1.example.com" || id.reg.MaxEnrollments != 1 {
			t.Errorf("%s: registration %+v", id.user, id.reg)
		}
		switch id.user {
		case "Admin", "User1", "User2":
			wantType := map[bool]string{true: "admin", false: "client"}[id.user == "Admin"]
			if id.reg.Type != wantType || attrs[RolesAttribute] != "brand,merchant" || len(attrs) != 1 {
				t.Errorf("%s: type %s attributes %v", id.user, id.reg.Type, attrs)
			}
		case RegistrarUser:
			// The registrar registers clients only, gives them no attribute and holds no role.
			if id.reg.Type != "client" || attrs["hf.Registrar.Roles"] != "client" || attrs["hf.Revoker"] != "true" ||
				len(attrs) != 2 {
				t.Errorf("registrar: type %s attributes %v", id.reg.Type, attrs)
			}
		}
	}
	if !slices.Equal(users, []string{"Admin", "User1", "User2", RegistrarUser}) {
		t.Fatalf("identities %v", users)
	}
}

func TestWriteMSPRefusesACertificateOfAnotherCA(t *testing.T) {
	topo := Topology{}.WithDefaults()
	home := Home(t.TempDir())
	fakeOrgCAs(t, home, topo)
	org, other := topo.PeerOrgs()[0], topo.PeerOrgs()[1]
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	issue := func(by Org) []byte {
		caCert, _ := readCert(home.CACert(by))
		caKey, err := readKey(filepath.Join(home.OrgDir(by), "ca", "priv_sk"))
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "User1@" + org.Domain},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	if err := writeMSP(home, org, "User1", issue(other), key); err == nil {
		t.Fatal("a certificate of Org2's CA written into Org1's MSP")
	}
	if _, err := os.Stat(home.UserMSP(org, "User1")); !os.IsNotExist(err) {
		t.Fatalf("a refused MSP was written: %v", err)
	}
	if err := writeMSP(home, org, "User1", issue(org), key); err != nil {
		t.Fatal(err)
	}
	id := home.userIdentity(org, "User1")
	if info, err := os.Stat(id.Key); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key %s: %v", id.Key, err)
	}
	for _, f := range []string{id.Cert, filepath.Join(home.UserMSP(org, "User1"), "config.yaml"),
		filepath.Join(home.UserMSP(org, "User1"), "cacerts", "ca.org1.example.com-cert.pem"),
		filepath.Join(home.UserMSP(org, "User1"), "tlscacerts", "tlsca.org1.example.com-cert.pem")} {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
	// cryptogen's certificates carry no attributes: they count as not enrolled by the CA.
	if caEnrolled(home.UserMSP(org, "User1"), "User1", org) {
		t.Error("a certificate without Fabric CA attributes counts as CA-enrolled")
	}
}

func TestCAComposeServices(t *testing.T) {
	topo := dockerTopology(3000)
	data, err := ComposeFile(topo)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Image       string   `yaml:"image"`
			User        string   `yaml:"user"`
			Environment []string `yaml:"environment"`
			Ports       []string `yaml:"ports"`
			Volumes     []string `yaml:"volumes"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	s, ok := doc.Services["ca.org2.example.com"]
	if !ok {
		t.Fatal("no service ca.org2.example.com")
	}
	if s.Image != "${CXL_CA_IMAGE:-"+CAImage+"}" || s.User != "${CXL_UID:-0}:${CXL_GID:-0}" {
		t.Errorf("image %s user %s", s.Image, s.User)
	}
	if !slices.Equal(s.Ports, []string{"127.0.0.1:10981:10981", "127.0.0.1:10991:10991"}) {
		t.Errorf("ports %v", s.Ports)
	}
	// Its own organisation's CA home and root key pair, nothing of another member.
	if !slices.Equal(s.Volumes, []string{
		"${CXL_HOME:-./.cxl}/crypto/peerOrganizations/org2.example.com/ca-server:/etc/hyperledger/fabric-ca-server",
		"${CXL_HOME:-./.cxl}/crypto/peerOrganizations/org2.example.com/ca:/etc/hyperledger/ca:ro",
	}) {
		t.Errorf("volumes %v", s.Volumes)
	}
	if !slices.Equal(s.Environment, []string{"FABRIC_CA_SERVER_HOME=/etc/hyperledger/fabric-ca-server"}) ||
		!slices.Equal(s.Healthcheck.Test, []string{"CMD", "/usr/local/bin/cxl-healthcheck", "http://127.0.0.1:10991/healthz"}) {
		t.Errorf("environment %v health check %v", s.Environment, s.Healthcheck.Test)
	}
	env, err := ComposeEnv(topo)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CXL_CA_IMAGE=" + CAImage} {
		if !strings.Contains(string(env), want+"\n") {
			t.Errorf(".env lacks %s", want)
		}
	}
}

func TestCAEndpoint(t *testing.T) {
	native, docker := Topology{PortOffset: 1000}.WithDefaults(), dockerTopology(3000)
	if got := native.CAEndpoint(native.PeerOrgs()[1]); got != "https://127.0.0.1:8981" || got != CAURL(native.PeerOrgs()[1]) {
		t.Errorf("native CA endpoint %s", got)
	}
	if got := docker.CAEndpoint(docker.PeerOrgs()[1]); got != "https://ca.org2.example.com:10981" {
		t.Errorf("docker CA endpoint %s, want the host name and the port it listens and is published on", got)
	}
	if got := CAURL(docker.PeerOrgs()[1]); got != "https://127.0.0.1:10981" {
		t.Errorf("docker CA from the host %s, want the published port", got)
	}
}
