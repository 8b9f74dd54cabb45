package network

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/hyperledger/fabric-admin-sdk/pkg/chaincode"
	"gopkg.in/yaml.v3"
)

// Member is an organisation that joins a running channel from its own state directory,
// like any member of the network: its own cryptogen run (its CA and TLS CA roots, its
// peers' identities), its own Fabric CA, which enrols its Admin, users and registrar, its
// own peers, its own chaincode server and, through `cxl gateway up` on its state
// directory, its own gateway service. It holds nothing of the other members but what they
// publish (the network's topology, which names the channel and the orderers, and the
// channel's genesis block or a snapshot of a trusted peer's ledger).
//
// Its state directory holds topology.yaml (the network's topology with the member as its
// last organisation, which gives its nodes their ports) and network.json naming only the
// member's own organisation, so that `cxl gateway up --org <member>` serves it from there.
//
// Natively only: the member's anchor peers are published at this machine's address, which
// the other members' containers do not reach. On a network whose hosts are network
// namespaces (--hosts netns) the member has a host of its own on the network's bridge: a
// namespace named after its state directory at its organisation's address, where its CA,
// peers and chaincode server run and which its anchor peers, TLS certificates, CA URL and
// network.json name; Down on its state directory removes that host alone.
type Member struct {
	// Home is the member's own state directory.
	Home Home
	// Topology is the network's topology with the member as its last organisation, which
	// gives its nodes their ports.
	Topology Topology
	// Org is the member.
	Org Org
}

// NewMember makes the material of organisation spec, which joins the network whose
// topology is network, in home, and starts its Fabric CA: cryptogen run for that
// organisation alone (its roots and its nodes' identities), its CA configured with a
// bootstrap secret of its own and started, and its Admin, User1..UserN (cxl.roles = the
// spec's roles, by default merchant) and gateway registrar registered and enrolled through
// it. home/bin must hold the Fabric and Fabric CA binaries. Run again on the same home, it
// makes nothing that exists and starts only what is not running.
func NewMember(ctx context.Context, home Home, network Topology, spec OrgSpec) (Member, error) {
	t, err := MemberTopology(network, spec)
	if err != nil {
		return Member{}, err
	}
	orgs := t.PeerOrgs()
	m := Member{Home: home, Topology: t, Org: orgs[len(orgs)-1]}
	if old, ok, err := LoadHomeTopology(home); err != nil {
		return Member{}, err
	} else if ok && (len(old.Orgs) != len(t.Orgs) || old.Orgs[len(old.Orgs)-1].Name != spec.Name || old.Channel != t.Channel || old.PortOffset != t.PortOffset) {
		return Member{}, cxlerr.Errorf(cxlerr.Conflict, "%s holds another network or member (%s); use another CXL_HOME", home, old.Orgs[len(old.Orgs)-1].Name)
	}
	if t.Hosts == NetNS {
		if err := checkHostTools(); err != nil {
			return Member{}, err
		}
		if _, err := bridgeWithAddr(t.hostByte(bridgeHostByte)); err != nil {
			return Member{}, err
		}
	}
	if err := os.MkdirAll(string(home), 0o755); err != nil {
		return Member{}, fmt.Errorf("create %s: %w", home, err)
	}
	data, err := yaml.Marshal(t)
	if err != nil {
		return Member{}, fmt.Errorf("encode the member's topology: %w", err)
	}
	if err := os.WriteFile(home.topologyFile(), data, 0o644); err != nil {
		return Member{}, fmt.Errorf("write the member's topology: %w", err)
	}
	cfg := home.Path("config", "crypto-config-"+strings.ToLower(m.Org.Name)+".yaml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o755); err != nil {
		return Member{}, fmt.Errorf("create config dir: %w", err)
	}
	if err := renderFile(cfg, peerOrgCryptoTemplate, nil, map[string]any{"Org": m.Org}); err != nil {
		return Member{}, err
	}
	if _, err := os.Stat(home.OrgDir(m.Org)); errors.Is(err, os.ErrNotExist) {
		if err := runTool(ctx, home, "cryptogen", nil, "generate", "--config", cfg, "--output", home.Crypto()); err != nil {
			return Member{}, err
		}
	}
	if err := ensureMemberHost(ctx, home, t); err != nil {
		return Member{}, fmt.Errorf("make the host of %s: %w", m.Org.MSPID, err)
	}
	if err := prepareCA(home, t, m.Org); err != nil {
		return Member{}, fmt.Errorf("prepare the CA of %s: %w", m.Org.MSPID, err)
	}
	if err := m.startNodes(ctx, []Node{m.Org.CA}); err != nil {
		return Member{}, err
	}
	if err := enrolOrg(ctx, home, m.Org, io.Discard); err != nil {
		return Member{}, err
	}
	return m, m.Profile(Deployment{}).Save(home)
}

// LoadMember reads the member whose state directory is home, as NewMember made it: the
// last organisation of its topology.
func LoadMember(home Home) (Member, error) {
	t, ok, err := LoadHomeTopology(home)
	if err != nil {
		return Member{}, err
	}
	if !ok {
		return Member{}, cxlerr.Errorf(cxlerr.NotFound, "no member in %s: run `cxl member init` first", home)
	}
	if err := t.Validate(); err != nil {
		return Member{}, fmt.Errorf("the topology in %s: %w", home, err)
	}
	if len(t.Orgs) < 2 {
		return Member{}, cxlerr.Errorf(cxlerr.Invalid, "%s holds a network of %d organisation(s), not a member joining one", home, len(t.Orgs))
	}
	orgs := t.PeerOrgs()
	m := Member{Home: home, Topology: t, Org: orgs[len(orgs)-1]}
	if _, err := os.Stat(home.OrgDir(m.Org)); err != nil {
		return Member{}, cxlerr.Errorf(cxlerr.NotFound, "no material of %s in %s: run `cxl member init` first", m.Org.MSPID, home)
	}
	// A network's own state directory names every organisation in its network.json; a
	// member's names the member alone.
	if p, err := LoadProfile(home); err != nil || len(p.Orgs) != 1 || p.Orgs[0].MSPID != m.Org.MSPID {
		return Member{}, cxlerr.Errorf(cxlerr.Invalid, "%s is not the state directory of a member made by `cxl member init`", home)
	}
	return m, nil
}

// Network is the topology of the network the member joins, without the member: what the
// network's chaincode definition (its collections) was committed for.
func (m Member) Network() Topology {
	t := m.Topology
	t.Orgs = slices.Clone(t.Orgs[:len(t.Orgs)-1])
	return t
}

// MemberTopology is the topology of the network with spec as its next organisation, which
// gives the member's nodes their ports and, on a --hosts netns network, their host's
// address: the next organisation's on the network's subnet. A Docker network, a netns
// network whose subnet is not chosen yet (never started), or a spec the network cannot
// take (a name it has, an invalid name, too many peers or users), is INVALID.
func MemberTopology(network Topology, spec OrgSpec) (Topology, error) {
	if network.Runtime == Docker {
		return Topology{}, cxlerr.Errorf(cxlerr.Invalid, "a member joins a native network only: its peers are published at 127.0.0.1")
	}
	if network.Hosts == NetNS && network.HostSubnet == "" {
		return Topology{}, cxlerr.Errorf(cxlerr.Invalid, "the network's hosts are network namespaces (--hosts netns) but its topology names no hostSubnet: give the topology.yaml of a network that was started")
	}
	t := network
	t.Orgs = append(slices.Clone(network.Orgs), spec)
	t = t.WithDefaults()
	if err := t.Validate(); err != nil {
		return Topology{}, cxlerr.Errorf(cxlerr.Invalid, "member %q of the network: %v", spec.Name, err)
	}
	return t, nil
}

// startNodes starts those of the member's nodes that are not running, after checking that
// their ports are free, and waits until they are healthy.
func (m Member) startNodes(ctx context.Context, nodes []Node) error {
	var ports []int
	for _, n := range nodes {
		if _, ok := Running(m.Home, n.Name); !ok {
			ports = append(ports, nodeHostPorts(m.Topology, n)...)
		}
	}
	if err := CheckPortsFree(ports); err != nil {
		return err
	}
	return startNodes(ctx, processRunner{home: m.Home, t: m.Topology}, nodes)
}

// Profile is the member's network.json: its own organisation alone (its peers, its
// identities, its CA and registrar) and d, its share of the chaincode's deployment. It
// names no orderer and no other member: a member's gateway service submits through its
// own peers only.
func (m Member) Profile(d Deployment) *Profile {
	p := NewProfile(m.Home, m.Topology, d)
	p.Orderers = nil
	for _, o := range p.Orgs {
		if o.MSPID == m.Org.MSPID {
			p.Orgs = []OrgProfile{o}
		}
	}
	return p
}

// Definition is the member's public definition, to hand to the channel's members: its MSP's
// CA and TLS CA roots and its peers as anchor peers.
func (m Member) Definition() (OrgDefinition, error) {
	d := OrgDefinition{MSPID: m.Org.MSPID}
	for _, dir := range []struct {
		name string
		into *[]string
	}{{"cacerts", &d.RootCerts}, {"tlscacerts", &d.TLSRootCerts}} {
		files, err := filepath.Glob(filepath.Join(m.Home.OrgDir(m.Org), "msp", dir.name, "*.pem"))
		if err != nil || len(files) == 0 {
			return OrgDefinition{}, fmt.Errorf("no %s in the MSP of %s", dir.name, m.Org.MSPID)
		}
		for _, f := range files {
			pem, err := os.ReadFile(f)
			if err != nil {
				return OrgDefinition{}, fmt.Errorf("read %s: %w", f, err)
			}
			*dir.into = append(*dir.into, string(pem))
		}
	}
	for _, p := range m.Org.PeerNodes {
		host, port := m.Topology.hostPort(p.Name, p.Port)
		d.AnchorPeers = append(d.AnchorPeers, AnchorPeer{Host: host, Port: port})
	}
	return d, d.Validate()
}

// Start starts the member's peers and waits until they are healthy.
func (m Member) Start(ctx context.Context) error {
	return m.startNodes(ctx, m.Org.PeerNodes)
}

// Join joins the member's peers to the channel from genesis (the channel's genesis block
// file): each peer then pulls every block since from the orderers, which deliver them
// once the member is in the channel's configuration.
func (m Member) Join(ctx context.Context, genesis string) error {
	for _, p := range m.Org.PeerNodes {
		if err := m.JoinPeer(ctx, p, genesis); err != nil {
			return err
		}
	}
	return nil
}

// JoinPeer joins the member's peer p to the channel from genesis, like Join.
func (m Member) JoinPeer(ctx context.Context, p Node, genesis string) error {
	block, err := readBlock(genesis)
	if err != nil {
		return err
	}
	return joinPeerWith(ctx, m.Home, m.Topology.Channel, m.Org, p, block)
}

// WaitHeight waits until every peer of the member has at least height blocks.
func (m Member) WaitHeight(ctx context.Context, height uint64, within time.Duration) error {
	deadline := time.Now().Add(within)
	for _, p := range m.Org.PeerNodes {
		if err := m.WaitPeerHeight(ctx, p, height, time.Until(deadline)); err != nil {
			return err
		}
	}
	return nil
}

// WaitPeerHeight waits until the member's peer p has at least height blocks.
func (m Member) WaitPeerHeight(ctx context.Context, p Node, height uint64, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		h, err := PeerHeight(ctx, m.Home, m.Topology, m.Org, p)
		if err == nil && h >= height {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s at height %d, not %d, after %s (%v)", p.Name, h, height, within.Round(time.Millisecond), err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Approve installs the member's package of the committed definition d of the cxledger
// chaincode on its peers, starts its own chaincode server for it (so that its peers
// endorse: custody held by or offered to the member needs its peer, and MAJORITY may pick
// it), approves that definition (the same version, sequence and collections as the
// network committed: network is the topology it was committed for), and records its
// share of the deployment in its network.json.
func (m Member) Approve(ctx context.Context, network Topology, d Deployment) error {
	name := d.Name
	if name == "" {
		name = network.Chaincode
	}
	pkg, err := chaincodePackage(m.Topology, name, m.Org, d.Sequence, d.Version)
	if err != nil {
		return err
	}
	for _, p := range m.Org.PeerNodes {
		if err := install(ctx, m.Home, m.Org, p, pkg); err != nil {
			return fmt.Errorf("install chaincode %s on %s: %w", name, p.Name, err)
		}
	}
	own := Deployment{Name: d.Name, Sequence: d.Sequence, Version: d.Version,
		Packages: map[string]string{m.Org.MSPID: pkg.id}, Servers: map[string]string{m.Org.MSPID: pkg.server}}
	if err := CheckPortsFree(m.serverPorts(own)); err != nil {
		return err
	}
	if err := startChaincodeServer(m.Home, m.Topology, own, m.Org); err != nil {
		return fmt.Errorf("start the chaincode server of %s: %w", m.Org.MSPID, err)
	}
	def := &chaincode.Definition{ChannelName: network.Channel, Name: name, Version: d.Version, Sequence: int64(d.Sequence), PackageID: pkg.id}
	if name == network.Chaincode {
		if def.Collections, err = collections(network); err != nil {
			return err
		}
	}
	if err := approve(ctx, m.Home, m.Org, def); err != nil {
		return fmt.Errorf("approve chaincode %s for %s: %w", name, m.Org.MSPID, err)
	}
	return m.Profile(own).Save(m.Home)
}

// serverPorts is the port of the member's chaincode server of d when it is not running yet.
func (m Member) serverPorts(d Deployment) []int {
	if _, ok := Running(m.Home, serverName(d.Name, m.Org.MSPID, d.Sequence)); ok {
		return nil
	}
	listen, _ := m.Topology.serverOf(d.Name, m.Org, d.Sequence)
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil
	}
	n, _ := strconv.Atoi(port)
	return []int{n}
}
