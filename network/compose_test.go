package network

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func dockerTopology(offset int) Topology {
	return Topology{Runtime: Docker, PortOffset: offset, Orgs: []OrgSpec{{Name: "Org1"}, {Name: "Org2", Peers: 2}}}.WithDefaults()
}

func TestAddressingByRuntime(t *testing.T) {
	native := Topology{PortOffset: 1000}.WithDefaults()
	docker := dockerTopology(2000)
	o, p := native.OrdererNodes()[1], native.PeerOrgs()[1].PeerNodes[0]
	if got := native.Endpoint(o); got != "127.0.0.1:8060" {
		t.Errorf("native orderer endpoint = %s", got)
	}
	if got := native.listen(p.OperationsPort); got != "127.0.0.1:8202" {
		t.Errorf("native listen = %s", got)
	}
	o, p = docker.OrdererNodes()[1], docker.PeerOrgs()[1].PeerNodes[1]
	if got := docker.Endpoint(o); got != "orderer2.example.com:9060" {
		t.Errorf("docker orderer endpoint = %s, want the host name and the port it listens and is published on", got)
	}
	if got := docker.listen(p.OperationsPort); got != "0.0.0.0:9212" {
		t.Errorf("docker listen = %s", got)
	}
	if got := p.Address(); got != "127.0.0.1:9210" {
		t.Errorf("docker peer address on the host = %s, want the published port", got)
	}
	_, reach := docker.chaincodeServer(docker.PeerOrgs()[0], 3)
	if reach != "chaincode.org1.example.com:9900" {
		t.Errorf("docker chaincode server = %s", reach)
	}
	_, reach = native.chaincodeServer(native.PeerOrgs()[0], 3)
	if reach != "127.0.0.1:8950" {
		t.Errorf("native chaincode server for an odd sequence = %s", reach)
	}
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func TestNodeEnvByRuntime(t *testing.T) {
	home := Home("/state")
	for _, tc := range []struct {
		topo                                Topology
		address, bootstrap, msp, ordererWAL string
	}{
		{Topology{PortOffset: 1000}.WithDefaults(), "127.0.0.1:8200", "127.0.0.1:8200",
			"/state/crypto/peerOrganizations/org2.example.com/peers/peer0.org2.example.com/msp", "/state/data/orderer1.example.com/etcdraft/wal"},
		{dockerTopology(1000), "peer0.org2.example.com:8200", "peer0.org2.example.com:8200",
			"/etc/hyperledger/node/msp", "/var/hyperledger/production/etcdraft/wal"},
	} {
		org := tc.topo.PeerOrgs()[1]
		peer := envMap(peerEnv(home, tc.topo, org, org.PeerNodes[0]))
		if peer["CORE_PEER_ADDRESS"] != tc.address || peer["CORE_PEER_GOSSIP_BOOTSTRAP"] != tc.bootstrap ||
			peer["CORE_PEER_MSPCONFIGPATH"] != tc.msp {
			t.Errorf("%s peer env = %v", tc.topo.Runtime, peer)
		}
		orderer := envMap(ordererEnv(home, tc.topo, tc.topo.OrdererNodes()[0]))
		if orderer["ORDERER_CONSENSUS_WALDIR"] != tc.ordererWAL {
			t.Errorf("%s orderer WAL dir = %s", tc.topo.Runtime, orderer["ORDERER_CONSENSUS_WALDIR"])
		}
	}
	docker := dockerTopology(0)
	if b := envMap(peerEnv(home, docker, docker.PeerOrgs()[0], docker.PeerOrgs()[0].PeerNodes[0]))["CORE_CHAINCODE_EXTERNALBUILDERS"]; b != "[{name: ccaas, path: /builders/ccaas}]" {
		t.Errorf("docker builder = %s, want the path the peer image carries", b)
	}
}

func TestRenderConfigsAddressesContainersUnderDocker(t *testing.T) {
	home := Home(t.TempDir())
	if _, err := renderConfigs(home, dockerTopology(2000)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(home.Path("config", "configtx.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"- orderer3.example.com:9070", "Host: peer1.org2.example.com\n        Port: 9210", "Host: orderer1.example.com\n            Port: 9050"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("configtx.yaml lacks %q", want)
		}
	}
	if strings.Contains(string(data), "127.0.0.1") {
		t.Errorf("configtx.yaml of a Docker network addresses the host:\n%s", data)
	}
}

// The files at the repository root are what `cxl network compose` writes for the default
// topology; regenerate them with `go run ./cmd/cxl network compose`.
func TestRootComposeFilesAreGenerated(t *testing.T) {
	file, err := ComposeFile(DefaultTopology())
	if err != nil {
		t.Fatal(err)
	}
	env, err := ComposeEnv(DefaultTopology())
	if err != nil {
		t.Fatal(err)
	}
	override, err := HyperledgerOverride(DefaultTopology())
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"docker-compose.yaml": file, ".env": env, "docker-compose.hyperledger.yaml": override} {
		got, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what the generator writes; run `go run ./cmd/cxl network compose`", name)
		}
	}
}

func TestComposeFile(t *testing.T) {
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
		Volumes map[string]any `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("compose file is not YAML: %v", err)
	}
	want := slices.Clone(topo.Services())
	var got []string
	for name := range doc.Services {
		got = append(got, name)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("services = %v, want %v", got, want)
	}
	if len(doc.Volumes) != len(topo.Nodes()) {
		t.Errorf("%d volumes for %d nodes", len(doc.Volumes), len(topo.Nodes()))
	}
	for name, s := range doc.Services {
		// A gateway's probe also names the TLS root that verifies it.
		if n := len(s.Healthcheck.Test); n < 3 || n > 4 || s.Healthcheck.Test[1] != "/usr/local/bin/cxl-healthcheck" {
			t.Errorf("%s: health check %v", name, s.Healthcheck.Test)
		}
	}
	peer := doc.Services["peer1.org2.example.com"]
	if !slices.Equal(peer.Ports, []string{"127.0.0.1:10210:10210", "${CXL_HOST_GATEWAY:-172.17.0.1}:10210:10210", "127.0.0.1:10212:10212"}) {
		t.Errorf("peer ports = %v: want each port published at the number it listens on, the service port also to the other hosts", peer.Ports)
	}
	if peer.User != "10001:${CXL_GID:-0}" || !strings.HasSuffix(peer.Volumes[0], "/crypto/peerOrganizations/org2.example.com/peers/peer1.org2.example.com:/etc/hyperledger/node:ro") {
		t.Errorf("peer user %s, volumes %v", peer.User, peer.Volumes)
	}
	if env := envMap(peer.Environment); env["CORE_PEER_GOSSIP_BOOTSTRAP"] != "peer0.org2.example.com:10200" || env["FABRIC_LOGGING_SPEC"] != "${CXL_LOG_SPEC:-warning}" {
		t.Errorf("peer environment = %v", env)
	}
	cc := envMap(doc.Services["chaincode.org2.example.com"].Environment)
	pkg, err := chaincodePackage(topo, topo.Chaincode, topo.PeerOrgs()[1], 1, "1")
	if err != nil {
		t.Fatal(err)
	}
	if cc["CHAINCODE_ID"] != "${CXL_CHAINCODE_ORG2_ID:-"+pkg.id+"}" || cc["CHAINCODE_SERVER_ADDRESS"] != "0.0.0.0:10901" {
		t.Errorf("chaincode environment = %v", cc)
	}
	bl := envMap(doc.Services["baseline.org2.example.com"].Environment)
	bpkg, err := chaincodePackage(topo, BaselineChaincode, topo.PeerOrgs()[1], 1, baselineVersion)
	if err != nil {
		t.Fatal(err)
	}
	if bl["CHAINCODE_ID"] != "${CXL_BASELINE_ORG2_ID:-"+bpkg.id+"}" || bl["CHAINCODE_SERVER_ADDRESS"] != "0.0.0.0:10921" || bl["CXL_CHAINCODE"] != "baseline" {
		t.Errorf("baseline chaincode environment = %v", bl)
	}
}

func TestBaselineBesideCxledger(t *testing.T) {
	native, docker := Topology{PortOffset: 1000}.WithDefaults(), dockerTopology(3000)
	org := native.PeerOrgs()[1]
	if listen, reach := native.baselineServer(org); listen != "127.0.0.1:8921" || reach != "127.0.0.1:8921" {
		t.Errorf("native baseline server listens on %s, reached at %s", listen, reach)
	}
	if listen, reach := docker.baselineServer(docker.PeerOrgs()[1]); listen != "0.0.0.0:10921" || reach != "baseline.org2.example.com:10921" {
		t.Errorf("docker baseline server listens on %s, reached at %s", listen, reach)
	}
	for _, topo := range []Topology{native, docker} {
		b, err := newDeployment(topo, BaselineChaincode, baselineVersion, 1)
		if err != nil {
			t.Fatal(err)
		}
		c, err := newDeployment(topo, topo.Chaincode, "1", 1)
		if err != nil {
			t.Fatal(err)
		}
		for msp, id := range b.Packages {
			if id == c.Packages[msp] || !strings.HasPrefix(id, "baseline") || b.Servers[msp] == c.Servers[msp] {
				t.Errorf("%s %s: baseline package %s at %s, cxledger %s at %s", topo.Runtime, msp, id, b.Servers[msp], c.Packages[msp], c.Servers[msp])
			}
		}
		r, err := newRunner(Home(t.TempDir()), topo)
		if topo.Runtime == Docker {
			r, err = &composeRunner{t: topo}, nil
		}
		if err != nil {
			t.Fatal(err)
		}
		bs, cs := r.servers(b), r.servers(c)
		if len(bs) != len(topo.Orgs) || slices.ContainsFunc(bs, func(s string) bool { return slices.Contains(cs, s) }) {
			t.Errorf("%s servers: baseline %v, cxledger %v", topo.Runtime, bs, cs)
		}
	}
	if got := serverName(BaselineChaincode, "Org1MSP", 1); got != "baseline-Org1MSP-1" {
		t.Errorf("baseline server process = %s", got)
	}
	if err := (Topology{Chaincode: BaselineChaincode}).WithDefaults().Validate(); err == nil {
		t.Error("a topology may name its chaincode after the baseline")
	}
}

func TestChaincodePackageIDs(t *testing.T) {
	docker, native := dockerTopology(0), DefaultTopology()
	id := func(topo Topology, seq int, version string) string {
		pkg, err := chaincodePackage(topo, topo.Chaincode, topo.PeerOrgs()[0], seq, version)
		if err != nil {
			t.Fatal(err)
		}
		return pkg.id
	}
	if id(docker, 1, "1") != id(docker, 2, "2") {
		t.Error("under Docker the package ID changes with the definition; the chaincode container could not serve an upgrade")
	}
	if id(native, 1, "1") == id(native, 2, "2") {
		t.Error("natively two definitions share a package ID; their servers could not run side by side")
	}
	if !strings.HasPrefix(id(docker, 1, "1"), "cxledger:") || !strings.HasPrefix(id(native, 1, "1"), "cxledger_1:") {
		t.Errorf("labels: docker %s, native %s", id(docker, 1, "1"), id(native, 1, "1"))
	}
}

func TestComposeProjectName(t *testing.T) {
	repo := t.TempDir()
	if got := ComposeProjectName(repo, Home(filepath.Join(repo, ".cxl"))); got != "cxledger" {
		t.Errorf("project of the repository's state = %s", got)
	}
	a := ComposeProjectName(repo, Home(filepath.Join(repo, ".cxl", "test-docker")))
	b := ComposeProjectName(repo, Home(filepath.Join(t.TempDir(), "test-docker")))
	if a == b || !strings.HasPrefix(a, "cxledger-test-docker-") {
		t.Errorf("projects of two state directories: %s and %s", a, b)
	}
	if strings.Trim(a, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		t.Errorf("project name %s has characters Compose rejects", a)
	}
}

func TestWriteComposeUsesTheRootFileOnlyForItsTopology(t *testing.T) {
	repo, home := t.TempDir(), Home(t.TempDir())
	if err := os.MkdirAll(home.Crypto(), 0o755); err != nil {
		t.Fatal(err)
	}
	root, err := ComposeFile(DefaultTopology())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "docker-compose.yaml"), root, 0o644); err != nil {
		t.Fatal(err)
	}
	def := DefaultTopology()
	def.Runtime = Docker
	override := filepath.Join(repo, "docker-compose.hyperledger.yaml")
	if err := os.WriteFile(override, []byte("services: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := writeCompose(repo, home, def, "7", []string{override})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.files, []string{filepath.Join(repo, "docker-compose.yaml"), override}) {
		t.Errorf("default topology runs %v, want the root file and the override", p.files)
	}
	loaded, err := loadCompose(home)
	if err != nil || !reflect.DeepEqual(loaded, p) {
		t.Fatalf("loadCompose = %+v, %v; want %+v", loaded, err, p)
	}
	env, err := os.ReadFile(p.envFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("CXL_HOST_GATEWAY", "")
	gateway, err := hostGateway()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CXL_HOST_GATEWAY=" + gateway + "\n", "CXL_CHAINCODE_VERSION=7\n", "CXL_HOME=" + string(home) + "\n", "COMPOSE_PROJECT_NAME=" + p.name + "\n"} {
		if !strings.Contains(string(env), want) {
			t.Errorf("compose.env lacks %q:\n%s", want, env)
		}
	}
	for _, other := range []Topology{dockerTopology(0), {Runtime: Docker, PortOffset: 2000}} {
		p, err = writeCompose(repo, home, other.WithDefaults(), "1", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.files, []string{filepath.Join(string(home), "docker-compose.yaml")}) {
			t.Errorf("another topology or port offset runs %v, want a file in the state directory", p.files)
		}
	}
	if _, err := writeCompose(repo, home, def, "1", []string{filepath.Join(repo, "missing.yaml")}); err == nil {
		t.Error("a missing override file: no error")
	}
}

func TestLoadComposeWithoutProject(t *testing.T) {
	if _, err := loadCompose(Home(t.TempDir())); err == nil || !strings.Contains(err.Error(), "--docker") {
		t.Fatalf("loadCompose of an empty state directory = %v", err)
	}
}

func TestShareNodeKeys(t *testing.T) {
	home := Home(t.TempDir())
	topo := dockerTopology(0)
	nodeKey := filepath.Join(home.PeerDir(topo.PeerOrgs()[0].PeerNodes[0]), "msp", "keystore", "priv_sk")
	userKey := filepath.Join(home.UserMSP(topo.PeerOrgs()[0], "User1"), "keystore", "priv_sk")
	for _, f := range []string{nodeKey, userKey} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("key"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range topo.Nodes() {
		dir := home.PeerDir(n)
		if n.Kind == "orderer" {
			dir = home.OrdererDir(n)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := shareNodeKeys(home, topo); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]os.FileMode{nodeKey: 0o640, userKey: 0o600} {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %o, want %o", f, info.Mode().Perm(), want)
		}
	}
}

func TestBuildContext(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "peer")
	conf := filepath.Join(dir, "core.yaml")
	if err := os.WriteFile(bin, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("peer: {}"), 0o600); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"peer": bin, "core.yaml": conf}
	var buf bytes.Buffer
	if err := writeContext(&buf, []byte("FROM scratch\n"), files); err != nil {
		t.Fatal(err)
	}
	modes := map[string]int64{}
	tr := tar.NewReader(&buf)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		modes[hdr.Name] = hdr.Mode
	}
	want := map[string]int64{"Dockerfile": 0o644, "empty/": 0o755, "peer": 0o755, "core.yaml": 0o644}
	if len(modes) != len(want) {
		t.Fatalf("context holds %v, want %v", modes, want)
	}
	for name, mode := range want {
		if modes[name] != mode {
			t.Errorf("%s: mode %o, want %o", name, modes[name], mode)
		}
	}
	a, err := contextDigest([]byte("FROM scratch\n"), files)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("binary v2"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := contextDigest([]byte("FROM scratch\n"), files)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("a changed binary leaves the context digest unchanged; the image would not be rebuilt")
	}
}

func TestImagesHaveDockerfiles(t *testing.T) {
	for _, img := range Images(Home("/state")) {
		data, err := os.ReadFile(filepath.Join("..", "docker", img.Dockerfile))
		if err != nil {
			t.Fatalf("%s: %v", img.Tag, err)
		}
		for name := range img.Files {
			if !strings.Contains(string(data), name) {
				t.Errorf("%s copies no %s from its context", img.Dockerfile, name)
			}
		}
		if !strings.Contains(string(data), "FROM scratch") || !strings.Contains(string(data), "USER 10001") {
			t.Errorf("%s is not FROM scratch with USER 10001", img.Dockerfile)
		}
	}
}

func TestHyperledgerOverride(t *testing.T) {
	data, err := HyperledgerOverride(dockerTopology(0))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Image   string   `yaml:"image"`
			User    string   `yaml:"user"`
			Volumes []string `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Services) != 6 {
		t.Fatalf("override has %d services, want the 3 orderers and 3 peers", len(doc.Services))
	}
	peer := doc.Services["peer1.org2.example.com"]
	if peer.Image != "hyperledger/fabric-peer:${CXL_FABRIC_TAG:-3.1.1}" || peer.User != "0:0" || len(peer.Volumes) != 4 ||
		peer.Volumes[3] != "${CXL_HOME:-./.cxl}/bin/ccaas-builder:/builders/ccaas/bin/release:ro" {
		t.Errorf("peer override = %+v", peer)
	}
	if o := doc.Services["orderer2.example.com"]; o.Image != "hyperledger/fabric-orderer:${CXL_FABRIC_TAG:-3.1.1}" || len(o.Volumes) != 1 {
		t.Errorf("orderer override = %+v", o)
	}
}

// TestGatewayServices: each member's gateway runs the gateway image as the owner of the
// state directory, with its own state directory, its own organisation's users and the
// peers' public TLS roots mounted, its port (8080 + the member's index) published on the
// loopback with the offset in the env file, and a readiness probe over verified TLS.
func TestGatewayServices(t *testing.T) {
	topo := dockerTopology(3000)
	data, err := ComposeFile(topo)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.Services["cxl-gateway"]; ok {
		t.Error("the single gateway service of every organisation is still there")
	}
	for i, org := range []string{"org1", "org2"} {
		g, ok := doc.Services["cxl-gateway-"+org]
		if !ok {
			t.Fatalf("no cxl-gateway-%s service", org)
		}
		port := fmt.Sprintf("127.0.0.1:${CXL_GATEWAY_%s_PORT:-%d}:8080", strings.ToUpper(org), 11080+i)
		volumes := []string{
			"${CXL_HOME:-./.cxl}/gateway/" + org + ":" + GatewayContainerDir,
			"${CXL_HOME:-./.cxl}/crypto/peerOrganizations/" + org + ".example.com/users:" + GatewayContainerKeys + "/users:ro",
			"${CXL_HOME:-./.cxl}/crypto/peerOrganizations/org1.example.com/tlsca/tlsca.org1.example.com-cert.pem:" + GatewayContainerTLSRoots + "/org1.example.com.pem:ro",
			"${CXL_HOME:-./.cxl}/crypto/peerOrganizations/org2.example.com/tlsca/tlsca.org2.example.com-cert.pem:" + GatewayContainerTLSRoots + "/org2.example.com.pem:ro",
		}
		probe := []string{"CMD", "/usr/local/bin/cxl-healthcheck", "https://localhost:8080/readyz", GatewayContainerTLSRoots + "/" + org + ".example.com.pem"}
		if g.Image != "${CXL_GATEWAY_IMAGE:-"+GatewayImage+"}" || g.User != "${CXL_UID:-0}:${CXL_GID:-0}" ||
			!slices.Equal(g.Ports, []string{port}) || !slices.Equal(g.Volumes, volumes) || !slices.Equal(g.Healthcheck.Test, probe) {
			t.Errorf("gateway service of %s: %+v", org, g)
		}
	}
	vars, err := composeVars(topo, composeSettings{home: "/state", uid: 1000, gid: 1001, chaincodeVersion: "1"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"CXL_GATEWAY_ORG1_PORT": "11080", "CXL_GATEWAY_ORG2_PORT": "11081", "CXL_UID": "1000", "CXL_GID": "1001", "CXL_GATEWAY_IMAGE": GatewayImage}
	for _, v := range vars {
		if w, ok := want[v.name]; ok && v.value != w {
			t.Errorf("%s=%s, want %s", v.name, v.value, w)
		}
		delete(want, v.name)
	}
	if len(want) > 0 {
		t.Errorf("variables missing: %v", want)
	}
}

// TestGatewayMountsHoldNoOtherMembersKey: nothing a member's gateway container mounts is
// another member's directory, and only the public TLS root certificate of another member
// is mounted at all: no key directory, no MSP, no CA directory of another organisation.
func TestGatewayMountsHoldNoOtherMembersKey(t *testing.T) {
	topo := Topology{Runtime: Docker, Orgs: []OrgSpec{{Name: "Org1"}, {Name: "Org2", Peers: 2}, {Name: "Org3"}}}.WithDefaults()
	for _, org := range topo.PeerOrgs() {
		for _, m := range topo.GatewayMounts(org) {
			for _, other := range topo.PeerOrgs() {
				if other.MSPID == org.MSPID {
					continue
				}
				public := m.Host == "crypto/peerOrganizations/"+other.Domain+"/tlsca/tlsca."+other.Domain+"-cert.pem" && m.ReadOnly
				if !public && (strings.Contains(m.Host, other.Domain) || strings.Contains(m.Host, "/"+GatewayName(other))) {
					t.Errorf("the gateway of %s mounts %s of %s", org.Name, m.Host, other.Name)
				}
			}
			if strings.Contains(m.Host, "keystore") || strings.HasSuffix(m.Host, "_sk") || m.Host == "crypto" || m.Host == "gateway" {
				t.Errorf("the gateway of %s mounts %s", org.Name, m.Host)
			}
		}
	}
}

// TestEachHostOnItsOwnNetwork: under Docker every organisation and every orderer is a host
// with a Docker network of its own; every service is on its host's network and no other;
// the only names of other hosts a service resolves are the peers and orderers it dials,
// mapped to the Docker host; and the only ports published beyond this machine's loopback
// are the peers' and orderers' service ports, each at the number it listens on.
func TestEachHostOnItsOwnNetwork(t *testing.T) {
	topo := Topology{Runtime: Docker, PortOffset: 3000, Orgs: []OrgSpec{{Name: "Org1"}, {Name: "Org2", Peers: 2}, {Name: "Org3"}}}.WithDefaults()
	data, err := ComposeFile(topo)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]composeService `yaml:"services"`
		Networks map[string]any            `yaml:"networks"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	hosts := topo.DockerHosts()
	if len(hosts) != 3+3 || len(doc.Networks) != len(hosts) {
		t.Fatalf("%d hosts, %d networks; want one per orderer and per organisation", len(hosts), len(doc.Networks))
	}
	const gw = "${CXL_HOST_GATEWAY:-172.17.0.1}"
	wan := map[string]int{}
	for _, n := range topo.Nodes() {
		wan[n.Name] = n.Port
	}
	var all []string
	for _, h := range hosts {
		if _, ok := doc.Networks[h.Name]; !ok {
			t.Errorf("no network for host %s", h.Name)
		}
		for _, name := range h.Services {
			all = append(all, name)
			s := doc.Services[name]
			if !slices.Equal(s.Networks, []string{h.Name}) {
				t.Errorf("%s is on %v, want only its host's network %s", name, s.Networks, h.Name)
			}
			for _, e := range s.ExtraHosts {
				other, addr, _ := strings.Cut(e, ":")
				oh, ok := topo.DockerHostOf(other)
				if _, published := wan[other]; addr != gw || !ok || oh.Name == h.Name || !published || strings.HasPrefix(other, "ca.") {
					t.Errorf("%s maps %q: want only another host's peer or orderer, at the Docker host", name, e)
				}
			}
			for _, p := range s.Ports {
				on, rest, _ := strings.Cut(p, ":")
				if on == "${CXL_HOST_GATEWAY" {
					on, rest = gw, strings.TrimPrefix(p, gw+":")
				}
				i := strings.LastIndex(rest, ":")
				hostPort, containerPort := rest[:max(i, 0)], rest[i+1:]
				switch {
				case on == gw && (hostPort != fmt.Sprint(wan[name]) || containerPort != hostPort):
					t.Errorf("%s publishes %s to the other hosts: only a peer's or an orderer's service port may be", name, p)
				case on != gw && on != "127.0.0.1":
					t.Errorf("%s publishes %s beyond the loopback", name, p)
				case on == "127.0.0.1" && containerPort != hostPort && containerPort != fmt.Sprint(GatewayPort):
					t.Errorf("%s publishes %s: a node's port is published at the number it listens on", name, p)
				}
			}
		}
	}
	slices.Sort(all)
	want := slices.Sorted(slices.Values(topo.Services()))
	if !slices.Equal(all, want) {
		t.Errorf("services on hosts %v, want every service once: %v", all, want)
	}
	peers := func(except string) []string {
		var names []string
		for _, org := range topo.PeerOrgs() {
			for _, p := range org.PeerNodes {
				if org.Domain != except {
					names = append(names, p.Name)
				}
			}
		}
		return names
	}
	orderers := []string{"orderer1.example.com", "orderer2.example.com", "orderer3.example.com"}
	for name, dials := range map[string][]string{
		"orderer1.example.com":       orderers[1:],
		"peer0.org1.example.com":     append(slices.Clone(orderers), peers("org1.example.com")...),
		"peer1.org2.example.com":     append(slices.Clone(orderers), peers("org2.example.com")...),
		"cxl-gateway-org3":           peers("org3.example.com"),
		"ca.org1.example.com":        nil,
		"chaincode.org2.example.com": nil,
		"baseline.org3.example.com":  nil,
		"no.such.service":            nil,
		"org1.example.com":           nil,
		"":                           nil,
		"peer0.org1.example.com\x00": nil,
	} {
		slices.Sort(dials)
		if got := topo.dialsAcross(name); !slices.Equal(got, dials) {
			t.Errorf("%q dials across hosts %v, want %v", name, got, dials)
		}
	}
	if h, ok := topo.DockerHostOf("peer1.org2.example.com"); !ok || h.Name != "org2.example.com" || h.MSPID != "Org2MSP" {
		t.Errorf("host of peer1.org2: %+v %v", h, ok)
	}
	if _, ok := topo.DockerHostOf("peer9.org2.example.com"); ok {
		t.Error("a service that is not in the topology has a host")
	}
}

// TestHostGateway: CXL_HOST_GATEWAY names the Docker host's address when set, and must be
// an IPv4 address; unset, it is docker0's address or the default.
func TestHostGateway(t *testing.T) {
	t.Setenv("CXL_HOST_GATEWAY", "")
	if got, err := hostGateway(); err != nil || net.ParseIP(got).To4() == nil {
		t.Errorf("unset: %q %v", got, err)
	}
	for v, want := range map[string]string{"10.20.30.1": "10.20.30.1", "192.168.001.1": "", "::1": "", "0.0.0.0": "", "host-gateway": "",
		"172.17.0.1 ": "", "172.17.0.1\xff": "", "1.2.3.4:80": "", "300.1.1.1": ""} {
		t.Setenv("CXL_HOST_GATEWAY", v)
		got, err := hostGateway()
		if want == "" {
			if err == nil || !strings.Contains(err.Error(), "CXL_HOST_GATEWAY") {
				t.Errorf("CXL_HOST_GATEWAY=%q: %q %v, want an error naming it", v, got, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("CXL_HOST_GATEWAY=%q: %q %v", v, got, err)
		}
	}
	home := Home(t.TempDir())
	if err := os.MkdirAll(home.Crypto(), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CXL_HOST_GATEWAY", "not an address")
	if _, err := writeCompose("", home, dockerTopology(0), "1", nil); err == nil || !strings.Contains(err.Error(), "CXL_HOST_GATEWAY") {
		t.Errorf("writeCompose with a bad CXL_HOST_GATEWAY: %v", err)
	}
	t.Setenv("CXL_HOST_GATEWAY", "10.9.8.7")
	p, err := writeCompose("", home, dockerTopology(0), "1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if env, err := os.ReadFile(p.envFile); err != nil || !strings.Contains(string(env), "\nCXL_HOST_GATEWAY=10.9.8.7\n") {
		t.Errorf("compose.env with CXL_HOST_GATEWAY set: %v\n%s", err, env)
	}
}
