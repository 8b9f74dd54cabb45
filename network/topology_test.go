package network

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestDefaultTopology(t *testing.T) {
	topo := DefaultTopology()
	if topo.Orderers != 3 || len(topo.Orgs) != 2 || topo.Channel != "cxledger" {
		t.Fatalf("default topology = %+v", topo)
	}
	if topo.BatchTimeout != 250*time.Millisecond || topo.MaxMessageCount != 200 || topo.LogSpec != "warning" {
		t.Fatalf("default block cutting / logging = %s %d %s", topo.BatchTimeout, topo.MaxMessageCount, topo.LogSpec)
	}
	if err := topo.Validate(); err != nil {
		t.Fatalf("default topology invalid: %v", err)
	}
	orgs := topo.PeerOrgs()
	if orgs[0].MSPID != "Org1MSP" || orgs[1].Domain != "org2.example.com" || orgs[0].PeerNodes[0].Name != "peer0.org1.example.com" {
		t.Fatalf("derived names: %+v", orgs)
	}
}

func TestTopologyValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Topology)
		want string
	}{
		{"too many orderers", func(t *Topology) { t.Orderers = 6 }, "orderers"},
		{"negative offset", func(t *Topology) { t.PortOffset = -1 }, "portOffset"},
		{"batch timeout too small", func(t *Topology) { t.BatchTimeout = time.Millisecond }, "batchTimeout"},
		{"max message count", func(t *Topology) { t.MaxMessageCount = 20000 }, "maxMessageCount"},
		{"upper-case channel", func(t *Topology) { t.Channel = "Chan" }, "channel"},
		{"org name with dash", func(t *Topology) { t.Orgs[0].Name = "Org-1" }, "org name"},
		{"duplicate org", func(t *Topology) { t.Orgs[1].Name = "org1" }, "listed twice"},
		{"too many peers", func(t *Topology) { t.Orgs[0].Peers = 10 }, "peers"},
		{"too many users", func(t *Topology) { t.Orgs[0].Users = 51 }, "users"},
		{"unknown consensus", func(t *Topology) { t.Consensus = "pbft" }, "consensus"},
		{"BFT on three orderers", func(t *Topology) { t.Consensus = BFT }, "at least 4 orderers"},
		{"BFT on one orderer", func(t *Topology) { t.Consensus, t.Orderers = BFT, 1 }, "at least 4 orderers"},
		{"BFT on six orderers", func(t *Topology) { t.Consensus, t.Orderers = BFT, 6 }, "orderers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			topo := DefaultTopology()
			tc.edit(&topo)
			err := topo.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error about %q", err, tc.want)
			}
		})
	}
}

func TestPortsAreDistinctAtTheLimits(t *testing.T) {
	topo := Topology{Orderers: 5, PortOffset: 1000}
	for i := range 8 {
		topo.Orgs = append(topo.Orgs, OrgSpec{Name: "Org" + string(rune('A'+i)), Peers: 9})
	}
	topo = topo.WithDefaults()
	if err := topo.Validate(); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	ports := topo.Ports()
	for _, org := range topo.PeerOrgs() {
		ports = append(ports, serverPort(org, 1))
	}
	for i := range topo.Orgs {
		ports = append(ports, topo.PortOffset+8080+i) // each member's gateway service
	}
	for _, p := range ports {
		if seen[p] {
			t.Fatalf("port %d is used twice", p)
		}
		seen[p] = true
		if p < 8000 {
			t.Fatalf("port %d ignores the offset", p)
		}
	}
	for i, org := range topo.PeerOrgs() {
		if org.CA.Port != 1000+7980+i || !seen[org.CA.Port] || !seen[org.CA.OperationsPort] {
			t.Fatalf("CA of %s at %d/%d, want 8980+%d among the ports", org.Name, org.CA.Port, org.CA.OperationsPort, i)
		}
	}
}

func TestLoadTopology(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("orderers: 1\norgs:\n  - {name: Org1, peers: 2}\n  - {name: Org2}\n  - {name: Org3}\nbatchTimeout: 100ms\n"), 0o644)
	topo, err := LoadTopology(good)
	if err != nil {
		t.Fatal(err)
	}
	if topo.Orderers != 1 || len(topo.Orgs) != 3 || topo.Orgs[0].Peers != 2 || topo.Orgs[2].Peers != 1 || topo.BatchTimeout != 100*time.Millisecond {
		t.Fatalf("loaded %+v", topo)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("orderer: 3\n"), 0o644)
	if _, err := LoadTopology(bad); err == nil || !strings.Contains(err.Error(), "orderer") {
		t.Fatalf("unknown field: err = %v", err)
	}
	if _, err := LoadTopology(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("missing file: no error")
	}
}

func TestRenderConfigs(t *testing.T) {
	home := Home(t.TempDir())
	topo := Topology{Orgs: []OrgSpec{{Name: "Org1", Peers: 2}, {Name: "Org2"}}}.WithDefaults()
	if _, err := renderConfigs(home, topo); err != nil {
		t.Fatal(err)
	}
	var configtx struct {
		Profiles struct {
			Channel struct {
				Capabilities map[string]bool `yaml:"Capabilities"`
				Orderer      struct {
					OrdererType  string `yaml:"OrdererType"`
					BatchTimeout string `yaml:"BatchTimeout"`
					EtcdRaft     struct {
						Consenters []struct {
							Port int `yaml:"Port"`
						} `yaml:"Consenters"`
					} `yaml:"EtcdRaft"`
				} `yaml:"Orderer"`
				Application struct {
					Capabilities map[string]bool `yaml:"Capabilities"`
				} `yaml:"Application"`
			} `yaml:"Channel"`
		} `yaml:"Profiles"`
		Organizations []struct {
			ID          string `yaml:"ID"`
			AnchorPeers []struct {
				Port int `yaml:"Port"`
			} `yaml:"AnchorPeers"`
		} `yaml:"Organizations"`
	}
	data, err := os.ReadFile(home.Path("config", "configtx.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &configtx); err != nil {
		t.Fatalf("configtx.yaml is not YAML: %v\n%s", err, data)
	}
	ch := configtx.Profiles.Channel
	if !ch.Capabilities["V3_0"] || !ch.Application.Capabilities["V2_5"] || ch.Orderer.OrdererType != "etcdraft" || ch.Orderer.BatchTimeout != "250ms" {
		t.Fatalf("channel profile = %+v", ch)
	}
	if len(ch.Orderer.EtcdRaft.Consenters) != 3 {
		t.Fatalf("consenters = %d, want 3", len(ch.Orderer.EtcdRaft.Consenters))
	}
	if len(configtx.Organizations) != 3 || configtx.Organizations[1].ID != "Org1MSP" || len(configtx.Organizations[1].AnchorPeers) != 2 {
		t.Fatalf("organizations = %+v", configtx.Organizations)
	}
	// cryptogen runs once per organisation, each configuration naming that organisation
	// alone, with no users beyond the Admin its CA replaces.
	for file, want := range map[string][]string{
		"crypto-config-orderer.yaml": {"EnableNodeOUs: true", "SANS: [localhost, 127.0.0.1]", "Hostname: orderer3", "Count: 0"},
		"crypto-config-org1.yaml":    {"EnableNodeOUs: true", "SANS: [localhost, 127.0.0.1]", "Domain: org1.example.com", "Count: 2", "Users:\n      Count: 0"},
		"crypto-config-org2.yaml":    {"EnableNodeOUs: true", "Domain: org2.example.com", "Count: 1", "Users:\n      Count: 0"},
	} {
		crypto, err := os.ReadFile(home.Path("config", file))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(string(crypto), w) {
				t.Errorf("%s lacks %q:\n%s", file, w, crypto)
			}
		}
		for _, other := range []string{"Org1", "Org2", "Orderer"} {
			if !strings.Contains(file, strings.ToLower(other)) && strings.Contains(string(crypto), "Name: "+other) {
				t.Errorf("%s names %s too:\n%s", file, other, crypto)
			}
		}
	}
}

func TestConsensusDefaultsAndFile(t *testing.T) {
	if c := DefaultTopology().Consensus; c != Raft {
		t.Fatalf("default consensus %q, want raft", c)
	}
	bft := Topology{Consensus: BFT}.WithDefaults()
	if bft.Orderers != MinBFTOrderers {
		t.Fatalf("BFT default orderers %d, want %d", bft.Orderers, MinBFTOrderers)
	}
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.yaml")
	os.WriteFile(plain, []byte("orgs:\n  - {name: Org1}\n"), 0o644)
	topo, err := LoadTopologyWithConsensus(plain, BFT)
	if err != nil || topo.Consensus != BFT || topo.Orderers != 4 {
		t.Fatalf("--consensus bft over a file naming no orderers: %+v, %v", topo, err)
	}
	if topo, err := LoadTopologyWithConsensus("", BFT); err != nil || topo.Orderers != 4 {
		t.Fatalf("--consensus bft without a file: %+v, %v", topo, err)
	}
	three := filepath.Join(dir, "three.yaml")
	os.WriteFile(three, []byte("orderers: 3\n"), 0o644)
	if _, err := LoadTopologyWithConsensus(three, BFT); err == nil || !strings.Contains(err.Error(), "at least 4 orderers") {
		t.Fatalf("BFT on a file with 3 orderers: err = %v", err)
	}
	raft := filepath.Join(dir, "raft.yaml")
	os.WriteFile(raft, []byte("consensus: raft\n"), 0o644)
	if _, err := LoadTopologyWithConsensus(raft, BFT); err == nil || !strings.Contains(err.Error(), "names consensus") {
		t.Fatalf("--consensus bft over a Raft file: err = %v", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("consensus: [bft]\n"), 0o644)
	if _, err := LoadTopology(bad); err == nil {
		t.Fatal("consensus of the wrong type: no error")
	}
}

func TestRenderConfigsBFT(t *testing.T) {
	home := Home(t.TempDir())
	topo := Topology{Consensus: BFT, PortOffset: 11000}.WithDefaults()
	if _, err := renderConfigs(home, topo); err != nil {
		t.Fatal(err)
	}
	var configtx struct {
		Profiles struct {
			Channel struct {
				Capabilities map[string]bool `yaml:"Capabilities"`
				Orderer      struct {
					OrdererType      string `yaml:"OrdererType"`
					ConsenterMapping []struct {
						ID            int    `yaml:"ID"`
						Host          string `yaml:"Host"`
						Port          int    `yaml:"Port"`
						MSPID         string `yaml:"MSPID"`
						Identity      string `yaml:"Identity"`
						ClientTLSCert string `yaml:"ClientTLSCert"`
						ServerTLSCert string `yaml:"ServerTLSCert"`
					} `yaml:"ConsenterMapping"`
					SmartBFT map[string]any `yaml:"SmartBFT"`
					EtcdRaft any            `yaml:"EtcdRaft"`
				} `yaml:"Orderer"`
			} `yaml:"Channel"`
		} `yaml:"Profiles"`
	}
	data, err := os.ReadFile(home.Path("config", "configtx.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &configtx); err != nil {
		t.Fatalf("configtx.yaml is not YAML: %v\n%s", err, data)
	}
	ord := configtx.Profiles.Channel.Orderer
	if !configtx.Profiles.Channel.Capabilities["V3_0"] || ord.OrdererType != "BFT" || ord.EtcdRaft != nil {
		t.Fatalf("BFT channel: capabilities %v, orderer type %q, etcdraft %v", configtx.Profiles.Channel.Capabilities, ord.OrdererType, ord.EtcdRaft)
	}
	if len(ord.ConsenterMapping) != 4 {
		t.Fatalf("consenter mapping has %d entries, want 4", len(ord.ConsenterMapping))
	}
	for i, c := range ord.ConsenterMapping {
		n := topo.OrdererNodes()[i]
		dir := home.OrdererDir(n)
		if c.ID != i+1 || c.Host != "127.0.0.1" || c.Port != n.Port || c.MSPID != "OrdererMSP" ||
			c.Identity != dir+"/msp/signcerts/"+n.Name+"-cert.pem" || c.ClientTLSCert != dir+"/tls/server.crt" || c.ServerTLSCert != dir+"/tls/server.crt" {
			t.Errorf("consenter %d = %+v", i, c)
		}
	}
	for _, key := range []string{"RequestBatchMaxInterval", "RequestPoolSize", "RequestForwardTimeout", "RequestComplainTimeout",
		"RequestAutoRemoveTimeout", "ViewChangeResendInterval", "ViewChangeTimeout", "LeaderHeartbeatTimeout", "LeaderHeartbeatCount", "CollectTimeout"} {
		if ord.SmartBFT[key] == nil {
			t.Errorf("SmartBFT options lack %s", key)
		}
	}
	if ord.SmartBFT["RequestBatchMaxInterval"] != "250ms" {
		t.Errorf("batch interval %v, want the batch timeout 250ms", ord.SmartBFT["RequestBatchMaxInterval"])
	}
	env := strings.Join(ordererEnv(home, topo, topo.OrdererNodes()[0]), "\n")
	if !strings.Contains(env, "smartbft/wal") || strings.Contains(env, "etcdraft") || !strings.Contains(env, "REPLICATIONPOLICY=consensus") {
		t.Errorf("BFT orderer environment:\n%s", env)
	}
}
