package gateway

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/network"
)

func testFactory(home string) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return &cmdutil.Factory{
		IO:   &cmdutil.IOStreams{Out: out, ErrOut: errOut},
		Home: func() (string, error) { return home, nil },
		Repo: func() (string, error) { return "/repo", nil },
	}, out, errOut
}

func TestUpFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    UpOptions
		wantErr string
	}{
		{name: "defaults"},
		{name: "listen and json", args: []string{"--org", "Org1", "--listen", "0.0.0.0:9000", "--json"}, want: UpOptions{Org: "Org1", Listen: "0.0.0.0:9000", JSON: true}},
		{name: "listen without org", args: []string{"--listen", "127.0.0.1:9000"}, wantErr: "--listen needs --org"},
		{name: "one member", args: []string{"--org", "Org2"}, want: UpOptions{Org: "Org2"}},
		{name: "bad listen", args: []string{"--listen", "9000"}, wantErr: "host:port"},
		{name: "stray argument", args: []string{"now"}, wantErr: "unknown command"},
		{name: "docker", args: []string{"--runtime", "docker"}, want: UpOptions{Runtime: "docker"}},
		{name: "docker with listen", args: []string{"--runtime", "docker", "--listen", "0.0.0.0:9000"}, wantErr: "applies to a native service"},
		{name: "bad runtime", args: []string{"--runtime", "k8s"}, wantErr: "want native or docker"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := testFactory(t.TempDir())
			var got *UpOptions
			cmd := NewCmdUp(f, func(o *UpOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if tc.wantErr != "unknown command" && cmdutil.CodeOf(err) != cmdutil.ExitUsage {
					t.Fatalf("exit code %d, want usage", cmdutil.CodeOf(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Listen != tc.want.Listen || got.JSON != tc.want.JSON || got.Runtime != tc.want.Runtime || got.Org != tc.want.Org {
				t.Fatalf("options %+v, want %+v", *got, tc.want)
			}
		})
	}
}

// testNetwork is a network of two organisations (Org2 with two peers) with identity files
// and a TLS CA (certificate and key, as cryptogen lays them out) for each organisation on
// disk under home.
func testNetwork(t *testing.T, home network.Home, runtime network.Runtime) (network.Topology, *network.Profile) {
	t.Helper()
	topo := network.Topology{Runtime: runtime, PortOffset: 3000, Orgs: []network.OrgSpec{{Name: "Org1"}, {Name: "Org2", Peers: 2}}}.WithDefaults()
	prof := &network.Profile{Channel: "cxledger", Chaincode: "cxledger"}
	for _, org := range topo.PeerOrgs() {
		writeTLSCA(t, home, org)
		op := network.OrgProfile{MSPID: org.MSPID, Users: map[string]network.IdentityInfo{}}
		for _, n := range org.PeerNodes {
			op.Peers = append(op.Peers, network.EndpointInfo{Name: n.Name, Address: n.Address(), TLSRootCert: home.TLSRootCert(org)})
		}
		for _, u := range []string{"Admin", "User1", "User2"} {
			msp := home.UserMSP(org, u)
			op.Users[u] = network.IdentityInfo{Cert: writeFile(t, filepath.Join(msp, "signcerts", "cert.pem"), 0o644), Key: writeFile(t, filepath.Join(msp, "keystore", "priv_sk"), 0o600)}
		}
		prof.Orgs = append(prof.Orgs, op)
	}
	return topo, prof
}

func writeFile(t *testing.T, p string, mode os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("pem"), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeTLSCA writes a TLS CA certificate and its key (priv_sk, PKCS #8) for org.
func writeTLSCA(t *testing.T, home network.Home, org network.Org) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tlsca." + org.Domain}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(home.TLSRootCert(org))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(os.WriteFile(home.TLSRootCert(org), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644),
		os.WriteFile(filepath.Join(dir, "priv_sk"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)); err != nil {
		t.Fatal(err)
	}
}

func testMembers(t *testing.T, home network.Home, topo network.Topology, prof *network.Profile) []member {
	t.Helper()
	ms, err := members(home, topo, prof, "")
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestMembers(t *testing.T) {
	home := network.Home(t.TempDir())
	topo, prof := testNetwork(t, home, network.Native)
	ms := testMembers(t, home, topo, prof)
	if len(ms) != 2 || ms[0].dir != home.Path("gateway", "org1") || ms[1].dir != home.Path("gateway", "org2") || ms[1].process() != "cxl-gateway-org2" {
		t.Fatalf("members %+v", ms)
	}
	for _, only := range []string{"Org2", "org2", "Org2MSP"} {
		if one, err := members(home, topo, prof, only); err != nil || len(one) != 1 || one[0].org.MSPID != "Org2MSP" {
			t.Fatalf("--org %s: %+v %v", only, one, err)
		}
	}
	if _, err := members(home, topo, prof, "Org3"); err == nil || cmdutil.CodeOf(err) != cmdutil.ExitNotFound || !strings.Contains(err.Error(), "Org1, Org2") {
		t.Fatalf("unknown organisation: %v", err)
	}
}

func TestKeysAreCreatedOnceAndPrivate(t *testing.T) {
	home := network.Home(t.TempDir())
	topo, prof := testNetwork(t, home, network.Native)
	m := testMembers(t, home, topo, prof)[1]
	keys, created, err := loadOrCreateKeys(m)
	if err != nil || !created || len(keys) != 3 {
		t.Fatalf("first: %d keys, created %v, %v", len(keys), created, err)
	}
	for _, k := range keys {
		if k.MSPID != "Org2MSP" || !strings.HasPrefix(k.Principal, "org2-") || !strings.HasPrefix(k.Key, "cxl_") {
			t.Fatalf("a key of Org2's service: %+v", k)
		}
	}
	if keys[1].Principal != "org2-user1" {
		t.Fatalf("keys %+v", keys)
	}
	if info, _ := os.Stat(m.keys()); info.Mode().Perm() != 0o600 || filepath.Dir(m.keys()) != home.Path("gateway", "org2") {
		t.Fatalf("keys file %s mode %#o", m.keys(), info.Mode().Perm())
	}
	again, created, err := loadOrCreateKeys(m)
	if err != nil || created || again[1].Key != keys[1].Key {
		t.Fatalf("second: created %v, %v; keys changed: %v", created, err, again[1].Key != keys[1].Key)
	}
}

// TestConfigForTheNetwork: a member's service has its own organisation's peers as gateway
// peers, the others' only as peers it follows, its own users as its only identities, every
// key a principal known only by its hash, its own User1 for public queries, plain HTTP on
// the loopback, and the result is a valid configuration.
func TestConfigForTheNetwork(t *testing.T) {
	home := network.Home(t.TempDir())
	topo, prof := testNetwork(t, home, network.Native)
	for i, m := range testMembers(t, home, topo, prof) {
		keys, _, err := loadOrCreateKeys(m)
		if err != nil {
			t.Fatal(err)
		}
		s, err := siteFor(home, topo, m, "", "")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := buildConfig(s, m, prof, keys, noEnv)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("generated configuration invalid: %v", err)
		}
		own, other := prof.Orgs[i], prof.Orgs[1-i]
		if len(cfg.Peers) != len(own.Peers) || cfg.Peers[0].Address != own.Peers[0].Address || len(cfg.SettlePeers) != len(other.Peers) ||
			cfg.SettlePeers[0].Address != other.Peers[0].Address || cfg.Store != m.store() || cfg.TLS != nil || s.url != fmt.Sprintf("http://127.0.0.1:%d", 11080+i) ||
			cfg.Listen != fmt.Sprintf("127.0.0.1:%d", 11080+i) || cfg.VaultDir() != filepath.Join(m.dir, "vault") {
			t.Fatalf("%s: peers %+v settle %+v, store %s, tls %v, listen %s, url %s", m.org.Name, cfg.Peers, cfg.SettlePeers, cfg.Store, cfg.TLS, cfg.Listen, s.url)
		}
		if len(cfg.Identities) != 3 || len(cfg.Principals) != 3 || cfg.PublicIdentity != m.name()+"-user1" {
			t.Fatalf("%s: identities %v, principals %v, public %s", m.org.Name, cfg.Identities, cfg.Principals, cfg.PublicIdentity)
		}
		for u, want := range own.Users {
			if id := cfg.Identities[identityName(own.MSPID, u)]; id.MSPID != own.MSPID || id.Key != want.Key || id.Cert != want.Cert {
				t.Fatalf("%s: identity of %s %+v", m.org.Name, u, id)
			}
		}
		if err := cfg.Save(m.config()); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(m.config())
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if strings.Contains(string(data), k.Key) {
				t.Fatalf("the configuration holds the API key of %s", k.Principal)
			}
		}
		loaded, err := config.Load(m.config(), noEnv)
		if err != nil {
			t.Fatal(err)
		}
		h := config.HashKey(keys[0].Key)
		if loaded.Principals[0].Identity != keys[0].Principal || loaded.Principals[0].KeySHA256 != hex.EncodeToString(h[:]) {
			t.Fatalf("principal %+v", loaded.Principals[0])
		}
	}
}

// TestNoFileNamesAnotherMembersKey: nothing a member's service is given (its
// configuration, its keys file, its TLS files, natively and in its container) names a key
// of another member; of another member it names only the public TLS root of its peers.
func TestNoFileNamesAnotherMembersKey(t *testing.T) {
	for _, runtime := range []network.Runtime{network.Native, network.Docker} {
		home := network.Home(t.TempDir())
		topo, prof := testNetwork(t, home, runtime)
		ms := testMembers(t, home, topo, prof)
		for _, m := range ms {
			keys, _, err := loadOrCreateKeys(m)
			if err != nil {
				t.Fatal(err)
			}
			s, err := siteFor(home, topo, m, "", "")
			if err != nil {
				t.Fatal(err)
			}
			for _, view := range []site{s, s.onHost(m)} {
				cfg, err := buildConfig(view, m, prof, keys, noEnv)
				if err != nil {
					t.Fatal(err)
				}
				if err := cfg.Save(m.config()); err != nil {
					t.Fatal(err)
				}
				for _, file := range []string{m.config(), m.keys()} {
					data, err := os.ReadFile(file)
					if err != nil {
						t.Fatal(err)
					}
					for _, other := range ms {
						if other.org.MSPID == m.org.MSPID {
							continue
						}
						for u, id := range other.prof.Users {
							rel, _ := filepath.Rel(home.Crypto(), filepath.Dir(id.Key))
							if strings.Contains(string(data), id.Key) || strings.Contains(string(data), filepath.ToSlash(rel)) ||
								strings.Contains(string(data), identityName(other.org.MSPID, u)) || strings.Contains(string(data), other.org.MSPID) {
								t.Fatalf("%s (%s) names %s of %s", file, runtime, u, other.org.Name)
							}
						}
						text := strings.ReplaceAll(string(data), home.TLSRootCert(other.org), "")
						text = strings.ReplaceAll(text, network.GatewayContainerTLSRoots+"/"+other.org.Domain+".pem", "")
						for _, n := range other.org.PeerNodes {
							text = strings.ReplaceAll(text, n.Name, "")
						}
						if strings.Contains(text, other.org.Domain) {
							t.Fatalf("%s (%s) names %s beyond its peers' public TLS root:\n%s", file, runtime, other.org.Name, data)
						}
					}
				}
			}
		}
	}
}

// TestConfigForTheContainer: a member's container configuration is the native one with
// the container's view of the network: its own peers by their names in the Compose network,
// the files under its mounts, its own listen address and store, and TLS; the CXL_GATEWAY_*
// settings of up's environment are in both, except the address and the store. A file that
// is not mounted is an error, not a path the container cannot open.
func TestConfigForTheContainer(t *testing.T) {
	home := network.Home(t.TempDir())
	topo, prof := testNetwork(t, home, network.Docker)
	m := testMembers(t, home, topo, prof)[1]
	keys, _, err := loadOrCreateKeys(m)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CXL_GATEWAY_RECONCILE_EVERY": "1s", "CXL_GATEWAY_LISTEN": "127.0.0.1:1", "CXL_GATEWAY_STORE": "/elsewhere"}
	getenv := func(k string) string { return env[k] }
	s := dockerSite(home, topo, m)
	if _, err := ensureCert(home, m, tlsHosts(s, m), time.Now()); err != nil {
		t.Fatal(err)
	}
	docker, err := buildConfig(s, m, prof, keys, getenv)
	if err != nil {
		t.Fatal(err)
	}
	native, err := buildConfig(s.onHost(m), m, prof, keys, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if err := native.Validate(); err != nil {
		t.Fatalf("the container's configuration, as the host sees it: %v", err)
	}
	if s.url != "https://127.0.0.1:11081" || docker.Listen != "0.0.0.0:8080" || docker.Store != network.GatewayContainerDir+"/gateway.db" ||
		docker.Reconcile.Interval != time.Second || native.Reconcile.Interval != time.Second ||
		docker.TLS == nil || docker.TLS.Cert != network.GatewayContainerDir+"/tls/cert.pem" || native.TLS == nil || native.TLS.Key != m.tlsKey() {
		t.Fatalf("url %s, listen %s, store %s, reconcile every %s, tls %+v", s.url, docker.Listen, docker.Store, docker.Reconcile.Interval, docker.TLS)
	}
	if p := docker.Peers[1]; len(docker.Peers) != 2 || p.Address != "peer1.org2.example.com:10210" || p.TLSRootCert != network.GatewayContainerTLSRoots+"/org2.example.com.pem" {
		t.Fatalf("peer as the container sees it: %+v", docker.Peers)
	}
	if p := docker.SettlePeers[0]; p.Address != "peer0.org1.example.com:10100" || p.TLSRootCert != network.GatewayContainerTLSRoots+"/org1.example.com.pem" {
		t.Fatalf("settle peer as the container sees it: %+v", p)
	}
	if id := docker.Identities["org2-user1"]; id.Key != network.GatewayContainerKeys+"/users/User1@org2.example.com/msp/keystore/priv_sk" {
		t.Fatalf("identity as the container sees it: %+v", id)
	}
	if len(docker.Identities) != len(native.Identities) || !slices.Equal(docker.Principals, native.Principals) || docker.PublicIdentity != native.PublicIdentity {
		t.Fatal("the container's and the native configuration differ in more than their view of the network")
	}
	// An identity outside the mounts (say, of another organisation) cannot be given to it.
	stray := *prof
	stray.Orgs = slices.Clone(prof.Orgs)
	m.prof.Users = map[string]network.IdentityInfo{"User1": prof.Orgs[0].Users["User1"]}
	if _, err := buildConfig(s, m, &stray, keys, getenv); err == nil || !strings.Contains(err.Error(), "not mounted in the gateway container of Org2") {
		t.Fatalf("an identity of Org1 for Org2's container: %v", err)
	}
}

// TestTLSCertificate: the service's certificate is issued by its organisation's TLS CA for
// the names asked, verifies against that root and not another organisation's, has a
// private key only its owner reads, and is issued again only when it must be.
func TestTLSCertificate(t *testing.T) {
	home := network.Home(t.TempDir())
	topo, prof := testNetwork(t, home, network.Docker)
	ms := testMembers(t, home, topo, prof)
	m := ms[0]
	s := dockerSite(home, topo, m)
	hosts := tlsHosts(s, m)
	if !slices.Contains(hosts, "cxl-gateway-org1") || !slices.Contains(hosts, "127.0.0.1") {
		t.Fatalf("hosts %v", hosts)
	}
	now := time.Now()
	issued, err := ensureCert(home, m, hosts, now)
	if err != nil || !issued {
		t.Fatalf("first: issued %v, %v", issued, err)
	}
	if info, _ := os.Stat(m.tlsKey()); info.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %#o", info.Mode().Perm())
	}
	cert, err := readCert(m.tlsCert())
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		pool, err := rootPool(ms[i].tlsRoot(home))
		if err != nil {
			t.Fatal(err)
		}
		_, err = cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "cxl-gateway-org1", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if (err == nil) != want {
			t.Fatalf("verified with %s's root: %v, want %v", ms[i].org.Name, err, want)
		}
	}
	if issued, err := ensureCert(home, m, hosts, now); err != nil || issued {
		t.Fatalf("again: issued %v, %v", issued, err)
	}
	if issued, err := ensureCert(home, m, append(hosts, "gw.example.net"), now); err != nil || !issued {
		t.Fatalf("a new host name: issued %v, %v", issued, err)
	}
	if issued, err := ensureCert(home, m, hosts, now.Add(certValidity-certRenewal+time.Hour)); err != nil || !issued {
		t.Fatalf("close to expiry: issued %v, %v", issued, err)
	}
	// A new TLS CA (the organisation's material made again) gets a new certificate.
	writeTLSCA(t, home, m.org)
	if issued, err := ensureCert(home, m, hosts, now); err != nil || !issued {
		t.Fatalf("after a new CA: issued %v, %v", issued, err)
	}
	// No key beside the CA certificate: a clear error.
	os.Remove(filepath.Join(filepath.Dir(m.tlsRoot(home)), "priv_sk"))
	os.Remove(m.tlsCert())
	if _, err := ensureCert(home, m, hosts, now); err == nil || !strings.Contains(err.Error(), "no private key") {
		t.Fatalf("a CA without its key: %v", err)
	}
}

// TestNativeTLSRule: natively a service on the loopback serves plain HTTP; one listening
// beyond it serves HTTPS, reached at the loopback when it listens on every interface.
func TestNativeTLSRule(t *testing.T) {
	home := network.Home(t.TempDir())
	topo, prof := testNetwork(t, home, network.Native)
	m := testMembers(t, home, topo, prof)[0]
	for listen, want := range map[string]string{
		"127.0.0.1:9000":  "http://127.0.0.1:9000",
		"localhost:9000":  "http://localhost:9000",
		"0.0.0.0:9000":    "https://127.0.0.1:9000",
		"192.0.2.7:9000":  "https://192.0.2.7:9000",
		"[::]:9000":       "https://127.0.0.1:9000",
		"gw.example:9000": "https://gw.example:9000",
	} {
		s := nativeSite(m, listen)
		if s.url != want || (s.tls != nil) != strings.HasPrefix(want, "https") {
			t.Errorf("listen %s: url %s, tls %v; want %s", listen, s.url, s.tls, want)
		}
		if s.tls != nil && !slices.Contains(tlsHosts(s, m), strings.Trim(strings.Split(strings.TrimPrefix(want, "https://"), ":9000")[0], "[]")) {
			t.Errorf("listen %s: certificate hosts %v", listen, tlsHosts(s, m))
		}
	}
}

func noEnv(string) string { return "" }

func TestUpWithoutNetwork(t *testing.T) {
	f, _, _ := testFactory(t.TempDir())
	cmd := NewCmdUp(f, nil)
	cmd.SetArgs(nil)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "cxl network up") {
		t.Fatalf("up without a network: %v", err)
	}
}

func TestStatusWhenDown(t *testing.T) {
	f, out, _ := testFactory(t.TempDir())
	cmd := NewCmdStatus(f, nil)
	cmd.SetArgs([]string{"--json"})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.Execute()
	if cmdutil.CodeOf(err) != cmdutil.ExitFailure || !strings.Contains(out.String(), `"running": false`) || !strings.Contains(out.String(), "no network") ||
		!strings.Contains(err.Error(), "not ready: no network") {
		t.Fatalf("status of a stopped service: %v\n%s", err, out)
	}
}
