package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/cxledger/cxledger/network/ccaas"
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

// collectionConfig is one entry of the collections configuration of the chaincode.
type collectionConfig struct {
	Name              string `json:"name"`
	Policy            string `json:"policy"`
	RequiredPeerCount int    `json:"requiredPeerCount"`
	MaxPeerCount      int    `json:"maxPeerCount"`
	BlockToLive       uint64 `json:"blockToLive"`
	MemberOnlyRead    bool   `json:"memberOnlyRead"`
	MemberOnlyWrite   bool   `json:"memberOnlyWrite"`
	EndorsementPolicy struct {
		SignaturePolicy string `json:"signaturePolicy"`
	} `json:"endorsementPolicy"`
}

// writeCollections writes the collections configuration: one collection per organisation,
// readable only by its members, kept until purged (blockToLive 0), whose writes the
// organisation's own peers must endorse. Writes are not member-only: a customer enrolled with
// another organisation must be able to hand a merchant personal data (as transient data) for
// the merchant's collection; the collection endorsement policy still makes the merchant's
// peer vouch for every write.
func writeCollections(home Home, t Topology) (string, error) {
	var cols []collectionConfig
	for _, org := range t.PeerOrgs() {
		c := collectionConfig{
			Name:            CollectionName(org.MSPID),
			Policy:          fmt.Sprintf("OR('%s.member')", org.MSPID),
			MaxPeerCount:    org.Peers - 1,
			MemberOnlyRead:  true,
			MemberOnlyWrite: false,
		}
		c.EndorsementPolicy.SignaturePolicy = fmt.Sprintf("OR('%s.peer')", org.MSPID)
		cols = append(cols, c)
	}
	data, err := json.MarshalIndent(cols, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode collections config: %w", err)
	}
	path := home.Path("config", "collections.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", fmt.Errorf("write collections config: %w", err)
	}
	return path, nil
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
func committedSequenceOf(ctx context.Context, home Home, t Topology, chaincode string) (int, string, error) {
	org := t.PeerOrgs()[0]
	out, err := toolOutput(ctx, home, "peer", adminEnv(home, org, org.PeerNodes[0]),
		"lifecycle", "chaincode", "querycommitted", "-C", t.Channel, "-n", chaincode, "-O", "json")
	if err != nil {
		if strings.Contains(err.Error(), "not defined") || strings.Contains(err.Error(), "404") {
			return 0, "", nil
		}
		return 0, "", fmt.Errorf("query committed chaincode: %w", err)
	}
	var def struct {
		Sequence int    `json:"sequence"`
		Version  string `json:"version"`
	}
	if err := json.Unmarshal(out, &def); err != nil {
		return 0, "", fmt.Errorf("parse committed definition: %w", err)
	}
	return def.Sequence, def.Version, nil
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
	collections, err := writeCollections(home, t)
	if err != nil {
		return Deployment{}, err
	}
	d, err := define(ctx, home, t, r, t.Chaincode, version, seq+1, collections)
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
		return define(ctx, home, t, r, BaselineChaincode, baselineVersion, 1, "")
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
// starts the servers, approves the definition (version, sequence, the collections
// configuration file when not empty) for every organisation, commits it and records it.
func define(ctx context.Context, home Home, t Topology, r runner, chaincode, version string, sequence int, collections string) (Deployment, error) {
	d := Deployment{Name: chaincode, Sequence: sequence, Version: version, Packages: map[string]string{}, Servers: map[string]string{}}
	pkgDir := home.Path("packages")
	if err := os.MkdirAll(pkgDir, 0o755); err != nil {
		return Deployment{}, fmt.Errorf("create package dir: %w", err)
	}
	for _, org := range t.PeerOrgs() {
		pkg, err := chaincodePackage(t, chaincode, org, sequence, version)
		if err != nil {
			return Deployment{}, err
		}
		file := filepath.Join(pkgDir, fmt.Sprintf("%s-%s-%d.tar.gz", chaincode, org.MSPID, sequence))
		if err := os.WriteFile(file, pkg.data, 0o644); err != nil {
			return Deployment{}, fmt.Errorf("write package: %w", err)
		}
		for _, p := range org.PeerNodes {
			err := runTool(ctx, home, "peer", adminEnv(home, org, p), "lifecycle", "chaincode", "install", file)
			if err != nil && !strings.Contains(err.Error(), "already successfully installed") {
				return Deployment{}, fmt.Errorf("install chaincode %s on %s: %w", chaincode, p.Name, err)
			}
		}
		d.Packages[org.MSPID], d.Servers[org.MSPID] = pkg.id, pkg.server
	}
	if err := r.serve(ctx, d); err != nil {
		return Deployment{}, err
	}
	orderer := t.OrdererNodes()[0]
	common := []string{
		"-o", orderer.Address(), "--tls", "--cafile", home.OrdererTLSRootCert(),
		"-C", t.Channel, "-n", chaincode, "-v", version, "--sequence", fmt.Sprint(sequence),
	}
	if collections != "" {
		common = append(common, "--collections-config", collections)
	}
	if err := forEachOrg(t.PeerOrgs(), func(org Org) error {
		args := append([]string{"lifecycle", "chaincode", "approveformyorg", "--package-id", d.Packages[org.MSPID]}, common...)
		if err := runTool(ctx, home, "peer", adminEnv(home, org, org.PeerNodes[0]), args...); err != nil {
			return fmt.Errorf("approve chaincode %s for %s: %w", chaincode, org.MSPID, err)
		}
		return nil
	}); err != nil {
		return Deployment{}, err
	}
	args := append([]string{"lifecycle", "chaincode", "commit"}, common...)
	for _, org := range t.PeerOrgs() {
		args = append(args, "--peerAddresses", org.PeerNodes[0].Address(), "--tlsRootCertFiles", home.TLSRootCert(org))
	}
	first := t.PeerOrgs()[0]
	if err := runTool(ctx, home, "peer", adminEnv(home, first, first.PeerNodes[0]), args...); err != nil {
		return Deployment{}, fmt.Errorf("commit chaincode %s definition %d: %w", chaincode, sequence, err)
	}
	return d, saveDeployment(home, d)
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
