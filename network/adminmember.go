package network

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-admin-sdk/pkg/chaincode"
)

// Member is an organisation that joins a running channel from its own state directory: its
// own cryptogen run (its CA and TLS CA roots, its peers' identities, its Admin), its own
// peers, and nothing of the other members but what they publish (the network's topology,
// which names the channel and the orderers, and the channel's genesis block).
//
// Natively only: the member's anchor peers are published at this machine's address, which
// the other members' containers do not reach.
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
// topology is network, in home: cryptogen run for that organisation alone. home/bin must
// hold the Fabric binaries.
func NewMember(ctx context.Context, home Home, network Topology, spec OrgSpec) (Member, error) {
	if network.Runtime == Docker {
		return Member{}, fmt.Errorf("a member joins a native network only: its peers are published at 127.0.0.1")
	}
	t := network
	t.Orgs = append(slices.Clone(network.Orgs), spec)
	t = t.WithDefaults()
	if err := t.Validate(); err != nil {
		return Member{}, err
	}
	orgs := t.PeerOrgs()
	m := Member{Home: home, Topology: t, Org: orgs[len(orgs)-1]}
	cfg := home.Path("config", "crypto-config-"+strings.ToLower(m.Org.Name)+".yaml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o755); err != nil {
		return Member{}, fmt.Errorf("create config dir: %w", err)
	}
	if err := renderFile(cfg, peerOrgCryptoTemplate, nil, map[string]any{"Org": m.Org}); err != nil {
		return Member{}, err
	}
	if _, err := os.Stat(home.OrgDir(m.Org)); err == nil {
		return m, nil
	}
	if err := runTool(ctx, home, "cryptogen", nil, "generate", "--config", cfg, "--output", home.Crypto()); err != nil {
		return Member{}, err
	}
	return m, nil
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
	return startNodes(ctx, processRunner{home: m.Home, t: m.Topology}, m.Org.PeerNodes)
}

// Join joins the member's peers to the channel from genesis (the channel's genesis block
// file): each peer then pulls every block since from the orderers, which deliver them
// once the member is in the channel's configuration.
func (m Member) Join(ctx context.Context, genesis string) error {
	block, err := readBlock(genesis)
	if err != nil {
		return err
	}
	for _, p := range m.Org.PeerNodes {
		if err := joinPeerWith(ctx, m.Home, m.Topology.Channel, m.Org, p, block); err != nil {
			return err
		}
	}
	return nil
}

// WaitHeight waits until every peer of the member has at least height blocks.
func (m Member) WaitHeight(ctx context.Context, height uint64, within time.Duration) error {
	deadline := time.Now().Add(within)
	for _, p := range m.Org.PeerNodes {
		for {
			h, err := PeerHeight(ctx, m.Home, m.Topology, m.Org, p)
			if err == nil && h >= height {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s at height %d, not %d, after %s (%v)", p.Name, h, height, within, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	return nil
}

// Approve installs the member's package of the committed definition d of the cxledger
// chaincode on its peers and approves that definition (the same version, sequence and
// collections as the network committed: network is the topology it was committed for).
// The member's chaincode server is not started here.
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
	def := &chaincode.Definition{ChannelName: network.Channel, Name: name, Version: d.Version, Sequence: int64(d.Sequence), PackageID: pkg.id}
	if name == network.Chaincode {
		if def.Collections, err = collections(network); err != nil {
			return err
		}
	}
	if err := approve(ctx, m.Home, m.Org, def); err != nil {
		return fmt.Errorf("approve chaincode %s for %s: %w", name, m.Org.MSPID, err)
	}
	return nil
}
