package network

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/cxledger/cxledger/network/ccaas"
	"github.com/hyperledger/fabric-admin-sdk/pkg/chaincode"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// BaselineChaincode is the name the benchmarks' baseline chaincode is deployed under, beside
// cxledger on the same channel: one blind PutState per transaction (chaincode/baseline),
// served by cxl-chaincode with CXL_CHAINCODE=baseline from its own servers, so that `cxl
// bench` can compare every business operation with what raw Fabric does on the same network.
const BaselineChaincode = "baseline"

// baselineVersion is the baseline's only version: it never changes, so its definition stays
// at sequence 1 and its servers keep their ports.
const baselineVersion = "1"

// Deployment is a chaincode definition committed on the channel and the servers that
// serve it, as recorded in the state directory.
type Deployment struct {
	// Name is the chaincode's name on the channel. Empty means the topology's chaincode
	// (cxledger), as in files written before the baseline was deployed beside it.
	Name string `json:"name,omitempty"`
	// Sequence is the committed definition's sequence number.
	Sequence int `json:"sequence"`
	// Version is the committed definition's version.
	Version string `json:"version"`
	// Packages maps each organisation's MSP ID to the package ID its peers run.
	Packages map[string]string `json:"packages"`
	// Servers maps each organisation's MSP ID to its chaincode server address.
	Servers map[string]string `json:"servers"`
}

// CollectionName is the private data collection of an organisation: only its members can
// read or write it, and it is where customer personal data lives.
func CollectionName(mspID string) string { return "pdc" + mspID }

// collections is the collections configuration of the chaincode: one collection per
// organisation, readable only by its members, kept until purged (blockToLive 0), whose
// writes the organisation's own peers must endorse. Writes are not member-only: a customer
// enrolled with another organisation must be able to hand a merchant personal data (as
// transient data) for the merchant's collection; the collection endorsement policy still
// makes the merchant's peer vouch for every write.
func collections(t Topology) (*peer.CollectionConfigPackage, error) {
	pkg := &peer.CollectionConfigPackage{}
	for _, org := range t.PeerOrgs() {
		members, err := chaincode.NewApplicationPolicy(fmt.Sprintf("OR('%s.member')", org.MSPID), "")
		if err != nil {
			return nil, fmt.Errorf("collection policy of %s: %w", org.MSPID, err)
		}
		endorsement, err := chaincode.NewApplicationPolicy(fmt.Sprintf("OR('%s.peer')", org.MSPID), "")
		if err != nil {
			return nil, fmt.Errorf("collection endorsement policy of %s: %w", org.MSPID, err)
		}
		pkg.Config = append(pkg.Config, &peer.CollectionConfig{Payload: &peer.CollectionConfig_StaticCollectionConfig{
			StaticCollectionConfig: &peer.StaticCollectionConfig{
				Name: CollectionName(org.MSPID),
				MemberOrgsPolicy: &peer.CollectionPolicyConfig{Payload: &peer.CollectionPolicyConfig_SignaturePolicy{
					SignaturePolicy: members.GetSignaturePolicy(),
				}},
				MaximumPeerCount:  int32(org.Peers - 1),
				MemberOnlyRead:    true,
				MemberOnlyWrite:   false,
				EndorsementPolicy: endorsement,
			},
		}})
	}
	return pkg, nil
}

func (h Home) deploymentFile() string { return h.Path("chaincode.json") }

func (h Home) baselineFile() string { return h.Path("baseline.json") }

// isBaseline reports whether d is the baseline chaincode's deployment.
func (d Deployment) isBaseline() bool { return d.Name == BaselineChaincode }

// LoadDeployment reads the recorded deployment of the cxledger chaincode; ok is false when
// none was made.
func LoadDeployment(home Home) (Deployment, bool, error) {
	return loadDeploymentFile(home.deploymentFile())
}

// LoadBaselineDeployment reads the recorded deployment of the baseline chaincode; ok is
// false when none was made (a network started before the baseline existed, until the next
// `cxl network up`).
func LoadBaselineDeployment(home Home) (Deployment, bool, error) {
	return loadDeploymentFile(home.baselineFile())
}

func loadDeploymentFile(path string) (Deployment, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Deployment{}, false, nil
	}
	if err != nil {
		return Deployment{}, false, fmt.Errorf("read deployment: %w", err)
	}
	var d Deployment
	if err := json.Unmarshal(data, &d); err != nil {
		return Deployment{}, false, fmt.Errorf("parse %s: %w", path, err)
	}
	return d, true, nil
}

func saveDeployment(home Home, d Deployment) error {
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("encode deployment: %w", err)
	}
	path := home.deploymentFile()
	if d.isBaseline() {
		path = home.baselineFile()
	}
	return os.WriteFile(path, data, 0o644)
}

// BuilderDir is the external builder directory the peers are configured with: bin/detect,
// bin/build and bin/release link to the ccaas-builder binary.
func (h Home) BuilderDir() string { return h.Path("builders", "ccaas") }

func installBuilder(home Home) error {
	bin := filepath.Join(home.BuilderDir(), "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return fmt.Errorf("create builder dir: %w", err)
	}
	for _, step := range []string{"detect", "build", "release"} {
		link := filepath.Join(bin, step)
		_ = os.Remove(link)
		if err := os.Symlink(filepath.Join(home.Bin(), "ccaas-builder"), link); err != nil {
			return fmt.Errorf("link builder step %s: %w", step, err)
		}
	}
	return nil
}

var labelChars = regexp.MustCompile(`[^A-Za-z0-9_.+-]`)

// serverName is the supervised process name of an organisation's server of a chaincode for
// a definition sequence: chaincode-Org1MSP-2 for cxledger, baseline-Org1MSP-1 for the
// baseline.
func serverName(chaincode, mspID string, sequence int) string {
	if chaincode == BaselineChaincode {
		return fmt.Sprintf("baseline-%s-%d", mspID, sequence)
	}
	return fmt.Sprintf("chaincode-%s-%d", mspID, sequence)
}

// serverPort alternates between two ports per organisation, so the server of a new
// definition starts beside the running one and an upgrade needs no downtime.
func serverPort(org Org, sequence int) int { return org.ChaincodePort + 50*(sequence%2) }

// chaincodeServer is where an organisation's chaincode server for a definition sequence
// listens, and where its peers reach it. Natively each sequence has its own server on the
// other of two ports; under Docker the organisation's chaincode container serves every
// sequence.
func (t Topology) chaincodeServer(org Org, sequence int) (listen, reach string) {
	if t.Runtime == Docker {
		return t.listen(org.ChaincodePort), t.reach(chaincodeService(org), org.ChaincodePort)
	}
	port := serverPort(org, sequence)
	return t.listen(port), t.reach("", port)
}

// baselineServer is where an organisation's baseline chaincode server listens and where its
// peers reach it: one port (BaselinePort) for its one definition, natively and under Docker.
func (t Topology) baselineServer(org Org) (listen, reach string) {
	if t.Runtime == Docker {
		return t.listen(org.BaselinePort), t.reach(baselineService(org), org.BaselinePort)
	}
	return t.listen(org.BaselinePort), t.reach("", org.BaselinePort)
}

// serverOf is chaincodeServer or baselineServer, by chaincode name.
func (t Topology) serverOf(chaincode string, org Org, sequence int) (listen, reach string) {
	if chaincode == BaselineChaincode {
		return t.baselineServer(org)
	}
	return t.chaincodeServer(org, sequence)
}

// ccPackage is an organisation's chaincode package for one definition.
type ccPackage struct {
	label, id, server string
	data              []byte
}

// chaincodePackage packages an organisation's server of chaincode (t.Chaincode or
// BaselineChaincode) for a definition. Natively the label carries the version, so every
// definition has its own package and server. Under Docker the label is the chaincode name
// alone, so the package ID, which the organisation's chaincode container is started with,
// is the same for every definition.
func chaincodePackage(t Topology, chaincode string, org Org, sequence int, version string) (ccPackage, error) {
	label := chaincode
	if t.Runtime != Docker {
		label = labelChars.ReplaceAllString(chaincode+"_"+version, "_")
	}
	_, server := t.serverOf(chaincode, org, sequence)
	data, err := ccaas.Package(label, ccaas.Connection{Address: server, DialTimeout: "10s"})
	if err != nil {
		return ccPackage{}, err
	}
	return ccPackage{label: label, id: ccaas.PackageID(label, data), server: server, data: data}, nil
}

// committedSequence asks the channel for the committed definition of the cxledger chaincode.
func committedSequence(ctx context.Context, home Home, t Topology) (int, string, error) {
	return committedSequenceOf(ctx, home, t, t.Chaincode)
}

// committedSequenceOf asks the channel for the committed definition of a chaincode; 0 when
// there is none.
func committedSequenceOf(ctx context.Context, home Home, t Topology, name string) (int, string, error) {
	org := t.PeerOrgs()[0]
	a, err := dialPeerAdmin(home, org, org.PeerNodes[0])
	if err != nil {
		return 0, "", err
	}
	defer a.Close()
	defs, err := chaincode.NewGateway(a.conn, a.id).QueryCommitted(ctx, t.Channel)
	if err != nil {
		return 0, "", fmt.Errorf("query committed chaincodes: %w", err)
	}
	for _, def := range defs.GetChaincodeDefinitions() {
		if def.GetName() == name {
			return int(def.GetSequence()), def.GetVersion(), nil
		}
	}
	return 0, "", nil
}

// Deploy makes version the running cxledger chaincode and makes sure the baseline chaincode
// (BaselineChaincode) runs beside it.
//
// When the channel already runs that version of cxledger it only makes sure the chaincode
// servers are up; otherwise it packages a connection for each organisation, installs it on
// every peer, starts the new servers, approves the definition (sequence + 1) for every
// organisation, commits it, and then retires the old servers. Peers are never restarted.
// Natively the new servers start beside the old ones, so the upgrade has no downtime; under
// Docker each organisation's chaincode container is recreated with the new version, and its
// peers reconnect within a second.
//
// The baseline is defined once (version 1, sequence 1, the channel's default endorsement
// policy, no collections) on a network that lacks it, and its servers are started when they
// are not running; an upgrade of cxledger leaves it alone.
func Deploy(ctx context.Context, home Home, t Topology, version string) (Deployment, error) {
	r, err := newRunner(home, t)
	if err != nil {
		return Deployment{}, err
	}
	d, err := deployCxledger(ctx, home, t, r, version)
	if err != nil {
		return Deployment{}, err
	}
	if _, err := deployBaseline(ctx, home, t, r); err != nil {
		return Deployment{}, err
	}
	return d, nil
}

func deployCxledger(ctx context.Context, home Home, t Topology, r runner, version string) (Deployment, error) {
	seq, committedVersion, err := committedSequence(ctx, home, t)
	if err != nil {
		return Deployment{}, err
	}
	if d, ok, err := LoadDeployment(home); err != nil {
		return Deployment{}, err
	} else if ok && seq > 0 && d.Sequence == seq && committedVersion == version {
		return d, r.serve(ctx, d)
	}
	cols, err := collections(t)
	if err != nil {
		return Deployment{}, err
	}
	d, err := define(ctx, home, t, r, t.Chaincode, version, seq+1, cols)
	if err != nil {
		return Deployment{}, err
	}
	return d, r.retire(ctx, d)
}

// deployBaseline defines the baseline chaincode when the channel lacks it and serves it.
func deployBaseline(ctx context.Context, home Home, t Topology, r runner) (Deployment, error) {
	seq, _, err := committedSequenceOf(ctx, home, t, BaselineChaincode)
	if err != nil {
		return Deployment{}, err
	}
	if seq == 0 {
		return define(ctx, home, t, r, BaselineChaincode, baselineVersion, 1, nil)
	}
	// Packages are reproducible: the committed definition's are computed, not read back.
	d, err := newDeployment(t, BaselineChaincode, baselineVersion, seq)
	if err != nil {
		return Deployment{}, err
	}
	if err := r.serve(ctx, d); err != nil {
		return Deployment{}, err
	}
	return d, saveDeployment(home, d)
}

// newDeployment is the deployment of chaincode at version and sequence: each organisation's
// package and where its server is reached.
func newDeployment(t Topology, chaincode, version string, sequence int) (Deployment, error) {
	d := Deployment{Name: chaincode, Sequence: sequence, Version: version, Packages: map[string]string{}, Servers: map[string]string{}}
	for _, org := range t.PeerOrgs() {
		pkg, err := chaincodePackage(t, chaincode, org, sequence, version)
		if err != nil {
			return Deployment{}, err
		}
		d.Packages[org.MSPID], d.Servers[org.MSPID] = pkg.id, pkg.server
	}
	return d, nil
}

// define packages chaincode's connection for each organisation, installs it on every peer,
// starts the servers, approves the definition (version, sequence, the collections when not
// nil) for every organisation, commits it and records it. Every step goes through
// fabric-admin-sdk as the organisation's Admin; the packages are also written under
// packages/ for operators.
func define(ctx context.Context, home Home, t Topology, r runner, name, version string, sequence int, cols *peer.CollectionConfigPackage) (Deployment, error) {
	d := Deployment{Name: name, Sequence: sequence, Version: version, Packages: map[string]string{}, Servers: map[string]string{}}
	pkgDir := home.Path("packages")
	if err := os.MkdirAll(pkgDir, 0o755); err != nil {
		return Deployment{}, fmt.Errorf("create package dir: %w", err)
	}
	for _, org := range t.PeerOrgs() {
		pkg, err := chaincodePackage(t, name, org, sequence, version)
		if err != nil {
			return Deployment{}, err
		}
		file := filepath.Join(pkgDir, fmt.Sprintf("%s-%s-%d.tar.gz", name, org.MSPID, sequence))
		if err := os.WriteFile(file, pkg.data, 0o644); err != nil {
			return Deployment{}, fmt.Errorf("write package: %w", err)
		}
		for _, p := range org.PeerNodes {
			if err := install(ctx, home, org, p, pkg); err != nil {
				return Deployment{}, fmt.Errorf("install chaincode %s on %s: %w", name, p.Name, err)
			}
		}
		d.Packages[org.MSPID], d.Servers[org.MSPID] = pkg.id, pkg.server
	}
	if err := r.serve(ctx, d); err != nil {
		return Deployment{}, err
	}
	def := func(packageID string) *chaincode.Definition {
		return &chaincode.Definition{
			ChannelName: t.Channel, Name: name, Version: version, Sequence: int64(sequence),
			PackageID: packageID, Collections: cols,
		}
	}
	if err := forEachOrg(t.PeerOrgs(), func(org Org) error {
		if err := approve(ctx, home, org, def(d.Packages[org.MSPID])); err != nil {
			return fmt.Errorf("approve chaincode %s for %s: %w", name, org.MSPID, err)
		}
		return nil
	}); err != nil {
		return Deployment{}, err
	}
	first := t.PeerOrgs()[0]
	a, err := dialPeerAdmin(home, first, first.PeerNodes[0])
	if err != nil {
		return Deployment{}, err
	}
	defer a.Close()
	if err := commit(ctx, chaincode.NewGateway(a.conn, a.id), def("")); err != nil {
		return Deployment{}, fmt.Errorf("commit chaincode %s definition %d: %w", name, sequence, err)
	}
	return d, saveDeployment(home, d)
}

// commitWait bounds how long commit waits for the peers to discover each other.
const commitWait = 60 * time.Second

// commit commits def through a peer's gateway, which collects the endorsements the
// lifecycle endorsement policy needs (MAJORITY Endorsement) from the peers service
// discovery knows. It tries again while that is not yet possible (commitNotYet).
func commit(ctx context.Context, gw *chaincode.Gateway, def *chaincode.Definition) error {
	ctx, cancel := context.WithTimeout(ctx, commitWait)
	defer cancel()
	for {
		err := gw.Commit(ctx, def)
		if !commitNotYet(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the peers did not all discover each other and commit every approval within %s: %w", commitWait, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// commitNotYet tells the answers to a chaincode commit that only say "not yet", with
// nothing submitted. Peers that have just joined the channel find the other
// organisations' peers through gossip within seconds; until then the gateway answers
// FailedPrecondition (no combination of peers satisfies the policy). A peer that has not
// yet committed every organisation's approval simulates the commit differently from one
// that has, and the gateway answers Aborted with "ProposalResponsePayloads do not match".
func commitNotYet(err error) bool {
	switch status.Code(err) {
	case codes.FailedPrecondition:
		return true
	case codes.Aborted:
		return strings.Contains(err.Error(), "ProposalResponsePayloads do not match")
	}
	return false
}

// install installs pkg on peer p of org unless the peer has it already.
func install(ctx context.Context, home Home, org Org, p Node, pkg ccPackage) error {
	a, err := dialPeerAdmin(home, org, p)
	if err != nil {
		return err
	}
	defer a.Close()
	lc := chaincode.NewPeer(a.conn, a.id)
	installed, err := lc.QueryInstalled(ctx)
	if err != nil {
		return fmt.Errorf("query installed chaincodes: %w", err)
	}
	for _, c := range installed.GetInstalledChaincodes() {
		if c.GetPackageId() == pkg.id {
			return nil
		}
	}
	_, err = lc.Install(ctx, bytes.NewReader(pkg.data))
	return err
}

// approve approves def for org as its Admin, unless org has approved it already (a
// `cxl network up` that resumes an interrupted deployment).
func approve(ctx context.Context, home Home, org Org, def *chaincode.Definition) error {
	a, err := dialPeerAdmin(home, org, org.PeerNodes[0])
	if err != nil {
		return err
	}
	defer a.Close()
	gw := chaincode.NewGateway(a.conn, a.id)
	if approved, err := gw.QueryApproved(ctx, def.ChannelName, def.Name, def.Sequence); err == nil &&
		approved.GetVersion() == def.Version && approved.GetSource().GetLocalPackage().GetPackageId() == def.PackageID {
		return nil
	}
	return gw.Approve(ctx, def)
}

// forEachOrg runs fn for every organisation concurrently and returns the first error.
func forEachOrg(orgs []Org, fn func(Org) error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(orgs))
	for i, org := range orgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(org)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
