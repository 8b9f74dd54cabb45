// Package network makes and runs a Hyperledger Fabric network for cxledger: it builds the
// pinned Fabric binaries, generates crypto material and the channel genesis block from a
// declarative Topology, runs the orderers, peers and chaincode servers, and deploys the
// cxledger chaincode as a service.
//
// A topology's Runtime says how the nodes run: Native supervises them as processes on the
// host; Docker runs them as Docker Compose services from FROM-scratch images (Images,
// BuildImages) and a Compose file generated from the topology (ComposeFile). The runtime
// also decides how nodes address each other (loopback, or host names on the project's
// network), which the generator, the node environments and the chaincode packages share.
// Supervisor acts on single nodes of either runtime.
//
// Every file it generates lives under one state directory (CXL_HOME, default .cxl at the
// repository root), so a second network runs beside the first when it is given another
// directory and a port offset.
package network

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Topology declares the shape of a network: its channel, orderers, peer organisations, ports
// and block-cutting settings. The zero value of every field is replaced by its default in
// WithDefaults, so a topology file only names what it changes.
type Topology struct {
	// Channel is the application channel every peer joins.
	Channel string `yaml:"channel"`
	// Chaincode is the name the cxledger chaincode is deployed under.
	Chaincode string `yaml:"chaincode"`
	// Consensus is the ordering service's consensus: Raft (default, crash fault tolerant) or
	// BFT (SmartBFT, Byzantine fault tolerant). It is baked into the channel's genesis
	// block, so a state directory keeps the consensus it was made with.
	Consensus Consensus `yaml:"consensus"`
	// Orderers is the number of orderers: 1 to 5 under Raft (3 or 5 tolerate failures;
	// default 3), 4 or 5 under BFT (n = 3f+1 tolerates f faulty orderers; default 4).
	Orderers int `yaml:"orderers"`
	// Orgs lists the peer organisations, each with its own peers and users.
	Orgs []OrgSpec `yaml:"orgs"`
	// PortOffset is added to every port, so two networks can run on one machine.
	PortOffset int `yaml:"portOffset"`
	// BatchTimeout is how long an orderer waits before cutting a block that is not full.
	BatchTimeout time.Duration `yaml:"batchTimeout"`
	// MaxMessageCount is the largest number of transactions in one block.
	MaxMessageCount int `yaml:"maxMessageCount"`
	// LogSpec is the FABRIC_LOGGING_SPEC every node runs with.
	LogSpec string `yaml:"logSpec"`
	// Runtime says how the nodes run: Native (default) or Docker. It decides how the nodes
	// address each other, which is baked into the channel's genesis block, so a state
	// directory keeps the runtime it was made with.
	Runtime Runtime `yaml:"runtime"`
	// Hosts says where a native network's processes run: on this machine's loopback
	// (empty, the default) or NetNS, each organisation and each orderer on a host of its own
	// in a network namespace (netns.go). It is baked into the channel's genesis block, so a
	// state directory keeps the hosts it was made with.
	Hosts Hosts `yaml:"hosts,omitempty"`
	// HostSubnet is the private /24 of a NetNS network's hosts, chosen when it is made.
	HostSubnet string `yaml:"hostSubnet,omitempty"`
}

// Runtime says how a network's nodes run, and with it how they address each other.
type Runtime string

const (
	// Native runs every node as a process on the host. Nodes listen on 127.0.0.1 at their
	// ports (offset included) and reach each other there.
	Native Runtime = "native"
	// Docker runs every node as a container of a Docker Compose project, each
	// organisation and each orderer on a Docker network of its own (see DockerHosts). A
	// node listens in its container on its ports, offset included, and is reached by host
	// name at them (orderer1.example.com:7050+offset): by the containers of its own
	// network directly, by the others at the ports it publishes, and by this machine on
	// 127.0.0.1.
	Docker Runtime = "docker"
)

// Consensus is the consensus protocol of the ordering service.
type Consensus string

const (
	// Raft is etcdraft: crash fault tolerant, a majority of the orderers must run.
	Raft Consensus = "raft"
	// BFT is SmartBFT (Fabric 3, channel capability V3_0): Byzantine fault tolerant,
	// n = 3f+1 orderers tolerate f that crash, are cut off or lie; every block carries the
	// signatures of a quorum of them.
	BFT Consensus = "bft"
)

// ordererType is the channel configuration's OrdererType for the consensus.
func (c Consensus) ordererType() string {
	if c == BFT {
		return "BFT"
	}
	return "etcdraft"
}

// MinBFTOrderers is the least number of orderers a BFT network runs: 3f+1 with f = 1.
const MinBFTOrderers = 4

// OrgSpec declares one peer organisation.
type OrgSpec struct {
	// Name is the organisation's short name, e.g. "Org1"; its MSP ID is Name+"MSP".
	Name string `yaml:"name"`
	// Peers is how many peers the organisation runs (default 1).
	Peers int `yaml:"peers"`
	// Users is how many client identities (User1..UserN) besides Admin it is issued (default 3).
	Users int `yaml:"users"`
	// Roles are the consortium roles (brand, merchant, carrier, payment, auditor, arbiter)
	// granted to the organisation when the network comes up. Default: the first
	// organisation is brand, merchant, payment provider and arbiter; the second carrier,
	// merchant and auditor; any other a merchant.
	Roles []string `yaml:"roles"`
}

// defaultRoles are the roles of the i-th organisation when its spec names none.
func defaultRoles(i int) []string {
	switch i {
	case 0:
		return []string{"brand", "merchant", "payment", "arbiter"}
	case 1:
		return []string{"carrier", "merchant", "auditor"}
	}
	return []string{"merchant"}
}

// Defaults chosen for a small consortium on one machine.
const (
	DefaultChannel   = "cxledger"
	DefaultChaincode = "cxledger"
	// DefaultBatchTimeout keeps a lone transaction's latency near a quarter of a second
	// instead of Fabric's 2 s, while still batching under load.
	DefaultBatchTimeout = 250 * time.Millisecond
	// DefaultMaxMessageCount lets a block carry a whole burst of 128 in-flight transactions,
	// so throughput is bound by validation, not by block cutting.
	DefaultMaxMessageCount = 200
	// DefaultLogSpec keeps node logs quiet: INFO writes ~40 MB per 10k transactions.
	DefaultLogSpec = "warning"
	domain         = "example.com"
)

// DefaultTopology is the network `cxl network up` starts: 3 Raft orderers, Org1 and Org2
// with one peer each.
func DefaultTopology() Topology {
	return Topology{}.WithDefaults()
}

// LoadTopology reads a topology file (YAML) and applies defaults. An empty path gives the
// default topology.
func LoadTopology(path string) (Topology, error) {
	return LoadTopologyWithConsensus(path, "")
}

// LoadTopologyWithConsensus is LoadTopology with the consensus given on the command line
// (empty: the file's, or Raft). It applies before the defaults, so a BFT network whose file
// names no orderer count gets BFT's four; a file that names another consensus is an error.
func LoadTopologyWithConsensus(path string, consensus Consensus) (Topology, error) {
	var t Topology
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Topology{}, fmt.Errorf("read topology: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&t); err != nil {
			return Topology{}, fmt.Errorf("parse topology %s: %w", path, err)
		}
	}
	if consensus != "" {
		if t.Consensus != "" && t.Consensus != consensus {
			return Topology{}, fmt.Errorf("topology %s names consensus %q, not %q", path, t.Consensus, consensus)
		}
		t.Consensus = consensus
	}
	t = t.WithDefaults()
	if err := t.Validate(); err != nil {
		if path == "" {
			return Topology{}, err
		}
		return Topology{}, fmt.Errorf("topology %s: %w", path, err)
	}
	return t, nil
}

// WithDefaults returns the topology with every unset field given its default.
func (t Topology) WithDefaults() Topology {
	if t.Channel == "" {
		t.Channel = DefaultChannel
	}
	if t.Chaincode == "" {
		t.Chaincode = DefaultChaincode
	}
	if t.Consensus == "" {
		t.Consensus = Raft
	}
	if t.Orderers == 0 {
		t.Orderers = 3
		if t.Consensus == BFT {
			t.Orderers = MinBFTOrderers
		}
	}
	if len(t.Orgs) == 0 {
		t.Orgs = []OrgSpec{{Name: "Org1"}, {Name: "Org2"}}
	}
	orgs := make([]OrgSpec, len(t.Orgs))
	for i, o := range t.Orgs {
		if o.Peers == 0 {
			o.Peers = 1
		}
		if o.Users == 0 {
			o.Users = 3
		}
		if o.Roles == nil {
			o.Roles = defaultRoles(i)
		}
		orgs[i] = o
	}
	t.Orgs = orgs
	if t.BatchTimeout == 0 {
		t.BatchTimeout = DefaultBatchTimeout
	}
	if t.MaxMessageCount == 0 {
		t.MaxMessageCount = DefaultMaxMessageCount
	}
	if t.LogSpec == "" {
		t.LogSpec = DefaultLogSpec
	}
	if t.Runtime == "" {
		t.Runtime = Native
	}
	return t
}

// Validate reports the first thing in the topology that cannot make a working network.
func (t Topology) Validate() error {
	switch {
	case t.Consensus != Raft && t.Consensus != BFT:
		return fmt.Errorf("consensus must be %q or %q, got %q", Raft, BFT, t.Consensus)
	case t.Consensus == BFT && t.Orderers < MinBFTOrderers:
		return fmt.Errorf("BFT ordering needs at least %d orderers (n = 3f+1 orderers tolerate f faulty ones), got %d", MinBFTOrderers, t.Orderers)
	case t.Orderers < 1 || t.Orderers > 5:
		// Orderer ports (7050 + 10i) must stay below the first peer port (7100).
		return fmt.Errorf("orderers must be between 1 and 5, got %d", t.Orderers)
	case len(t.Orgs) < 1 || len(t.Orgs) > 8:
		return fmt.Errorf("between 1 and 8 peer organisations are supported, got %d", len(t.Orgs))
	case t.PortOffset < 0 || t.PortOffset > 50000:
		return fmt.Errorf("portOffset must be between 0 and 50000, got %d", t.PortOffset)
	case t.BatchTimeout < 10*time.Millisecond || t.BatchTimeout > 10*time.Second:
		return fmt.Errorf("batchTimeout must be between 10ms and 10s, got %s", t.BatchTimeout)
	case t.MaxMessageCount < 1 || t.MaxMessageCount > 10000:
		return fmt.Errorf("maxMessageCount must be between 1 and 10000, got %d", t.MaxMessageCount)
	case t.Runtime != Native && t.Runtime != Docker:
		return fmt.Errorf("runtime must be %q or %q, got %q", Native, Docker, t.Runtime)
	}
	if err := t.validateHosts(); err != nil {
		return err
	}
	if !validName(t.Channel, true) {
		return fmt.Errorf("channel %q must be lowercase letters, digits, '.' or '-', starting with a letter", t.Channel)
	}
	if !validName(t.Chaincode, true) {
		return fmt.Errorf("chaincode name %q must be lowercase letters, digits, '.' or '-', starting with a letter", t.Chaincode)
	}
	if t.Chaincode == BaselineChaincode {
		return fmt.Errorf("chaincode name %q is taken by the benchmarks' baseline chaincode", t.Chaincode)
	}
	seen := map[string]bool{}
	for _, o := range t.Orgs {
		if !validName(o.Name, false) {
			return fmt.Errorf("org name %q must be letters and digits, starting with a letter", o.Name)
		}
		if seen[strings.ToLower(o.Name)] {
			return fmt.Errorf("org %q is listed twice", o.Name)
		}
		seen[strings.ToLower(o.Name)] = true
		if o.Peers < 1 || o.Peers > 9 {
			return fmt.Errorf("org %s: peers must be between 1 and 9, got %d", o.Name, o.Peers)
		}
		if o.Users < 1 || o.Users > 50 {
			return fmt.Errorf("org %s: users must be between 1 and 50, got %d", o.Name, o.Users)
		}
	}
	return nil
}

func validName(s string, lower bool) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
		case r >= 'A' && r <= 'Z' && !lower:
		case r >= '0' && r <= '9' && i > 0:
		case (r == '-' || r == '.') && lower && i > 0:
		default:
			return false
		}
	}
	return true
}

// Node is one orderer or peer process of the network, with the ports and paths it uses.
type Node struct {
	// Name is the node's host name, e.g. "peer0.org1.example.com".
	Name string `json:"name"`
	// Kind is "orderer" or "peer".
	Kind string `json:"kind"`
	// MSPID is the MSP of the organisation the node belongs to.
	MSPID string `json:"mspId"`
	// Port is the node's main gRPC port (peer or orderer service).
	Port int `json:"port"`
	// AdminPort is the orderer's channel participation API port (orderers only).
	AdminPort int `json:"adminPort,omitempty"`
	// ChaincodePort is the peer's chaincode listen port (peers only).
	ChaincodePort int `json:"chaincodePort,omitempty"`
	// OperationsPort serves /healthz and /metrics.
	OperationsPort int `json:"operationsPort"`
	// OrgDomain is the domain of the node's organisation, e.g. "org1.example.com".
	OrgDomain string `json:"orgDomain"`
	// Host is the address of the node's own host when it has one (a NetNS network); empty
	// when it runs on this machine's loopback.
	Host string `json:"host,omitempty"`
}

// Address is the node's main endpoint as this machine reaches it: the loopback interface
// for both runtimes (under Docker it is the published port), or the node's host on a NetNS
// network.
func (n Node) Address() string { return n.at(n.Port) }

// Endpoint is the address other nodes (and the orderer endpoints and anchor peers in the
// channel configuration) use for n's main port.
func (t Topology) Endpoint(n Node) string { return t.reach(n.Name, n.Port) }

// hostPort splits where other nodes reach port (a host port, offset included) of the node
// named host: 127.0.0.1 natively, the host name under Docker; the port is the same, so
// a container publishes each port at the number it listens on.
func (t Topology) hostPort(host string, port int) (string, int) {
	if t.Runtime == Docker {
		return host, port
	}
	if addr := t.hostAddrOf(host); addr != "" {
		return addr, port
	}
	return "127.0.0.1", port
}

// reach is hostPort as one address.
func (t Topology) reach(host string, port int) string {
	h, p := t.hostPort(host, port)
	return net.JoinHostPort(h, strconv.Itoa(p))
}

// listen is the address a node binds port (a host port, offset included) on: loopback
// natively, every interface of its container under Docker or of its host on a NetNS network.
func (t Topology) listen(port int) string {
	if t.Runtime == Docker {
		return fmt.Sprintf("0.0.0.0:%d", port)
	}
	if t.Hosts == NetNS {
		return fmt.Sprintf("0.0.0.0:%d", port)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// Org is a peer organisation with its derived names.
type Org struct {
	OrgSpec
	// MSPID is the organisation's MSP ID, e.g. "Org1MSP".
	MSPID string `json:"mspId"`
	// Domain is the organisation's domain, e.g. "org1.example.com".
	Domain string `json:"domain"`
	// Peers are the organisation's peer nodes.
	PeerNodes []Node `json:"peers"`
	// ChaincodePort is where the organisation's chaincode server listens.
	ChaincodePort int `json:"chaincodePort"`
	// BaselinePort is where the organisation's server of the baseline chaincode listens.
	BaselinePort int `json:"baselinePort"`
	// CA is the organisation's Fabric CA: Port is its TLS REST API, OperationsPort its
	// /healthz.
	CA Node `json:"ca"`
}

// Port layout (before the offset): orderer i uses 7050+10i (service), +1 (admin),
// +2 (operations); peer p of org o uses 7100+100o+10p (service), +1 (chaincode),
// +2 (operations); org o's chaincode server listens on 7900+o (and 7950+o for the next
// definition during an upgrade), its baseline chaincode server on 7920+o, its Fabric CA on
// 7980+o (operations 7990+o).
const (
	ordererBasePort      = 7050
	peerBasePort         = 7100
	chaincodeBasePort    = 7900
	baselineBasePort     = 7920
	caBasePort           = 7980
	caOperationsBasePort = 7990
)

// OrdererNodes lists the orderer nodes in order.
func (t Topology) OrdererNodes() []Node {
	nodes := make([]Node, t.Orderers)
	for i := range nodes {
		base := t.PortOffset + ordererBasePort + 10*i
		nodes[i] = Node{
			Name:           fmt.Sprintf("orderer%d.%s", i+1, domain),
			Kind:           "orderer",
			MSPID:          "OrdererMSP",
			Port:           base,
			AdminPort:      base + 1,
			OperationsPort: base + 2,
			OrgDomain:      domain,
			Host:           t.ordererHostAddr(i),
		}
	}
	return nodes
}

// PeerOrgs lists the peer organisations with their peers and ports.
func (t Topology) PeerOrgs() []Org {
	orgs := make([]Org, len(t.Orgs))
	for o, spec := range t.Orgs {
		org := Org{
			OrgSpec:       spec,
			MSPID:         spec.Name + "MSP",
			Domain:        strings.ToLower(spec.Name) + "." + domain,
			ChaincodePort: t.PortOffset + chaincodeBasePort + o,
			BaselinePort:  t.PortOffset + baselineBasePort + o,
		}
		org.CA = Node{
			Name:           "ca." + org.Domain,
			Kind:           "ca",
			MSPID:          org.MSPID,
			Port:           t.PortOffset + caBasePort + o,
			OperationsPort: t.PortOffset + caOperationsBasePort + o,
			OrgDomain:      org.Domain,
			Host:           t.orgHostAddr(o),
		}
		for p := 0; p < spec.Peers; p++ {
			base := t.PortOffset + peerBasePort + 100*o + 10*p
			org.PeerNodes = append(org.PeerNodes, Node{
				Name:           fmt.Sprintf("peer%d.%s", p, org.Domain),
				Kind:           "peer",
				MSPID:          org.MSPID,
				Port:           base,
				ChaincodePort:  base + 1,
				OperationsPort: base + 2,
				OrgDomain:      org.Domain,
				Host:           t.orgHostAddr(o),
			})
		}
		orgs[o] = org
	}
	return orgs
}

// CANodes lists the organisations' Fabric CAs, in the order of the organisations.
func (t Topology) CANodes() []Node {
	var nodes []Node
	for _, org := range t.PeerOrgs() {
		nodes = append(nodes, org.CA)
	}
	return nodes
}

// Nodes lists every orderer and peer.
func (t Topology) Nodes() []Node {
	nodes := t.OrdererNodes()
	for _, org := range t.PeerOrgs() {
		nodes = append(nodes, org.PeerNodes...)
	}
	return nodes
}

// Ports lists every port the network listens on, for a check before start-up.
func (t Topology) Ports() []int {
	var ports []int
	for _, n := range t.Nodes() {
		ports = append(ports, n.Port, n.OperationsPort)
		if n.AdminPort != 0 {
			ports = append(ports, n.AdminPort)
		}
		if n.ChaincodePort != 0 {
			ports = append(ports, n.ChaincodePort)
		}
	}
	for _, org := range t.PeerOrgs() {
		ports = append(ports, org.ChaincodePort, org.BaselinePort, org.CA.Port, org.CA.OperationsPort)
	}
	return ports
}

// Home is the layout of a network's state directory.
type Home string

// HomeAt adapts dir, a function that returns the path of the state directory (the CLI's
// cmdutil.Factory.Home), to one that returns it as a Home.
func HomeAt(dir func() (string, error)) func() (Home, error) {
	return func() (Home, error) {
		d, err := dir()
		return Home(d), err
	}
}

// Path joins elements under the state directory.
func (h Home) Path(elem ...string) string {
	return filepath.Join(append([]string{string(h)}, elem...)...)
}

// Bin is where built binaries go.
func (h Home) Bin() string { return h.Path("bin") }

// Crypto is where cryptogen writes the organisations' MSPs and TLS material.
func (h Home) Crypto() string { return h.Path("crypto") }

// Logs is where every process writes its log.
func (h Home) Logs() string { return h.Path("logs") }

// Run is where PID files live.
func (h Home) Run() string { return h.Path("run") }

// Data is where ledgers live.
func (h Home) Data() string { return h.Path("data") }
