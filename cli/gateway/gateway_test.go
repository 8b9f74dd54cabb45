package gateway

import (
	"bytes"
	"encoding/hex"
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
		{name: "listen and json", args: []string{"--listen", "0.0.0.0:9000", "--json"}, want: UpOptions{Listen: "0.0.0.0:9000", JSON: true}},
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
			if got.Listen != tc.want.Listen || got.JSON != tc.want.JSON || got.Runtime != tc.want.Runtime {
				t.Fatalf("options %+v, want %+v", *got, tc.want)
			}
		})
	}
}

// testProfile is a network of two organisations with identity files on disk, under the
// crypto directory of home.
func testProfile(t *testing.T, home network.Home) *network.Profile {
	t.Helper()
	dir := filepath.Join(home.Crypto(), "peerOrganizations")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("pem"), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	prof := &network.Profile{Channel: "cxledger", Chaincode: "cxledger"}
	for _, org := range []string{"Org1", "Org2"} {
		op := network.OrgProfile{MSPID: org + "MSP", Users: map[string]network.IdentityInfo{}}
		op.Peers = []network.EndpointInfo{{Name: "peer0." + strings.ToLower(org) + ".example.com", Address: "127.0.0.1:7" + org[3:] + "00", TLSRootCert: file(org+"-tls.pem", 0o644)}}
		for _, u := range []string{"Admin", "User1"} {
			op.Users[u] = network.IdentityInfo{Cert: file(org+u+"-cert.pem", 0o644), Key: file(org+u+"-key.pem", 0o600)}
		}
		prof.Orgs = append(prof.Orgs, op)
	}
	return prof
}

func TestKeysAreCreatedOnceAndPrivate(t *testing.T) {
	home := network.Home(t.TempDir())
	prof := testProfile(t, home)
	f := filesOf(home)
	keys, created, err := loadOrCreateKeys(f, prof)
	if err != nil || !created || len(keys) != 4 {
		t.Fatalf("first: %d keys, created %v, %v", len(keys), created, err)
	}
	if keys[1].Principal != "org1-user1" || !strings.HasPrefix(keys[1].Key, "cxl_") {
		t.Fatalf("keys %+v", keys)
	}
	if info, _ := os.Stat(f.keys()); info.Mode().Perm() != 0o600 {
		t.Fatalf("keys file mode %#o", info.Mode().Perm())
	}
	again, created, err := loadOrCreateKeys(f, prof)
	if err != nil || created || again[1].Key != keys[1].Key {
		t.Fatalf("second: created %v, %v; keys changed: %v", created, err, again[1].Key != keys[1].Key)
	}
}

// TestConfigForTheNetwork: every peer is a gateway peer, every user an identity, every key
// a principal known only by its hash, and the result is a valid configuration.
func TestConfigForTheNetwork(t *testing.T) {
	home := network.Home(t.TempDir())
	prof := testProfile(t, home)
	f := filesOf(home)
	keys, _, err := loadOrCreateKeys(f, prof)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := buildConfig(nativeSite(home, "127.0.0.1:9080"), prof, keys, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("generated configuration invalid: %v", err)
	}
	if len(cfg.Peers) != 2 || len(cfg.Identities) != 4 || len(cfg.Principals) != 4 || cfg.Store != f.store() || cfg.Listen != "127.0.0.1:9080" {
		t.Fatalf("peers %d identities %d principals %d, store %s, listen %s", len(cfg.Peers), len(cfg.Identities), len(cfg.Principals), cfg.Store, cfg.Listen)
	}
	if id := cfg.Identities["org2-admin"]; id.MSPID != "Org2MSP" || id.Key != prof.Orgs[1].Users["Admin"].Key {
		t.Fatalf("org2-admin: %+v", id)
	}
	if err := cfg.Save(f.config()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(f.config())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.Contains(string(data), k.Key) {
			t.Fatalf("the configuration holds the API key of %s", k.Principal)
		}
	}
	loaded, err := config.Load(f.config(), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	h := config.HashKey(keys[0].Key)
	if loaded.Principals[0].Identity != keys[0].Principal || loaded.Principals[0].KeySHA256 != hex.EncodeToString(h[:]) {
		t.Fatalf("principal %+v", loaded.Principals[0])
	}
}

// TestConfigForTheContainer: the gateway container's configuration is the native one with
// the container's view of the network: the peers by their names in the Compose network, the
// files under the container's mounts, its own listen address and store; the CXL_GATEWAY_*
// settings of up's environment are in both, except the address and the store.
func TestConfigForTheContainer(t *testing.T) {
	home := network.Home(t.TempDir())
	prof := testProfile(t, home)
	keys, _, err := loadOrCreateKeys(filesOf(home), prof)
	if err != nil {
		t.Fatal(err)
	}
	topo := network.Topology{Runtime: network.Docker, PortOffset: 3000, Orgs: []network.OrgSpec{{Name: "Org1"}, {Name: "Org2"}}}.WithDefaults()
	env := map[string]string{"CXL_GATEWAY_RECONCILE_EVERY": "1s", "CXL_GATEWAY_LISTEN": "127.0.0.1:1", "CXL_GATEWAY_STORE": "/elsewhere"}
	getenv := func(k string) string { return env[k] }
	s := dockerSite(home, topo)
	docker, err := buildConfig(s, prof, keys, getenv)
	if err != nil {
		t.Fatal(err)
	}
	native, err := buildConfig(s.onHost(home), prof, keys, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if err := native.Validate(); err != nil {
		t.Fatalf("the container's configuration, as the host sees it: %v", err)
	}
	if s.url != "http://127.0.0.1:11080" || docker.Listen != "0.0.0.0:8080" || docker.Store != network.GatewayContainerDir+"/gateway.db" ||
		docker.Reconcile.Interval != time.Second || native.Reconcile.Interval != time.Second {
		t.Fatalf("url %s, listen %s, store %s, reconcile every %s", s.url, docker.Listen, docker.Store, docker.Reconcile.Interval)
	}
	if p := docker.Peers[1]; p.Address != "peer0.org2.example.com:7200" || p.TLSRootCert != network.GatewayContainerKeys+"/peerOrganizations/Org2-tls.pem" {
		t.Fatalf("peer as the container sees it: %+v", p)
	}
	if id := docker.Identities["org1-user1"]; id.Key != network.GatewayContainerKeys+"/peerOrganizations/Org1User1-key.pem" {
		t.Fatalf("identity as the container sees it: %+v", id)
	}
	if len(docker.Identities) != len(native.Identities) || !slices.Equal(docker.Principals, native.Principals) || docker.PublicIdentity != native.PublicIdentity {
		t.Fatal("the container's and the native configuration differ in more than their view of the network")
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
	if cmdutil.CodeOf(err) != cmdutil.ExitFailure || !strings.Contains(out.String(), `"running": false`) {
		t.Fatalf("status of a stopped service: %v\n%s", err, out)
	}
}
