package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Options says what Up builds and starts.
type Options struct {
	// Home is the state directory.
	Home Home
	// Topology is the network to start. Nil means the topology the state directory was made
	// with, or the default on a new one; naming a different topology for an existing network
	// is an error.
	Topology *Topology
	// ChaincodeVersion is the chaincode version to deploy; empty keeps the deployed version
	// (or "1" on a new network). Another version upgrades the running network.
	ChaincodeVersion string
	// Progress receives one line per step; nil discards them.
	Progress io.Writer
	// Repo is the repository root. Under the Docker runtime Up runs its docker-compose.yaml
	// when that file describes the topology (else it writes one into the state directory),
	// and names the Compose project after the state directory (ComposeProjectName).
	Repo string
	// ComposeOverrides are Compose files layered over the network's under the Docker
	// runtime, e.g. docker-compose.hyperledger.yaml for the official Fabric images. They
	// are recorded with the project, so later commands use them too.
	ComposeOverrides []string
}

// ErrAlreadyUp is returned by Up when every process of the network is already running.
var ErrAlreadyUp = errors.New("the network is already up")

func (h Home) topologyFile() string { return h.Path("topology.yaml") }

// ProfileFile is network.json: what a client needs to reach the network.
func (h Home) ProfileFile() string { return h.Path("network.json") }

// LoadHomeTopology reads the topology a state directory was made with.
func LoadHomeTopology(home Home) (Topology, bool, error) {
	data, err := os.ReadFile(home.topologyFile())
	if errors.Is(err, os.ErrNotExist) {
		return Topology{}, false, nil
	}
	if err != nil {
		return Topology{}, false, fmt.Errorf("read topology: %w", err)
	}
	var t Topology
	if err := yaml.Unmarshal(data, &t); err != nil {
		return Topology{}, false, fmt.Errorf("parse %s: %w", home.topologyFile(), err)
	}
	return t.WithDefaults(), true, nil
}

// Up generates crypto material and the channel, starts each organisation's Fabric CA and
// the orderers (as processes, or as Compose services under the Docker runtime), enrols each
// organisation's Admin, users and registrar through its CA while the orderers join the
// channel, starts and joins the peers, deploys the chaincode, and writes network.json. It returns ErrAlreadyUp (with the profile)
// when everything already runs, and restarts only what is down otherwise.
func Up(ctx context.Context, opts Options) (*Profile, error) {
	home := opts.Home
	t := DefaultTopology()
	if opts.Topology != nil {
		t = opts.Topology.WithDefaults()
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	deployed, haveDeployment, err := LoadDeployment(home)
	if err != nil {
		return nil, err
	}
	if opts.ChaincodeVersion == "" {
		opts.ChaincodeVersion = "1"
		if haveDeployment {
			opts.ChaincodeVersion = deployed.Version
		}
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if existing, ok, err := LoadHomeTopology(home); err != nil {
		return nil, err
	} else if ok {
		if opts.Topology != nil && (existing.PortOffset != t.PortOffset || len(existing.Orgs) != len(t.Orgs) ||
			existing.Orderers != t.Orderers || existing.Channel != t.Channel || existing.Runtime != t.Runtime ||
			existing.Consensus != t.Consensus || existing.Hosts != t.Hosts) {
			return nil, fmt.Errorf("%s holds a %s network (%s ordering) with another topology; run `cxl network down --purge` first or use another CXL_HOME",
				home, existing.Runtime, existing.Consensus)
		}
		t = existing
		if r, err := newRunner(home, t); err == nil {
			if running, err := allRunning(ctx, r, home, t, opts.ChaincodeVersion); err != nil {
				return nil, err
			} else if running {
				prof, err := LoadProfile(home)
				if err != nil {
					return nil, err
				}
				return prof, ErrAlreadyUp
			}
			if err := checkPortsOfStopped(ctx, r, t); err != nil {
				return nil, err
			}
		}
	} else if err := CheckPortsFree(hostPorts(t)); err != nil {
		return nil, err
	}
	if t.Hosts == NetNS {
		// Fail before anything is generated when this machine cannot make the hosts.
		if err := checkHostTools(); err != nil {
			return nil, err
		}
		if t.HostSubnet == "" {
			if t.HostSubnet, err = chooseHostSubnet(home); err != nil {
				return nil, err
			}
		}
	}
	if err := os.MkdirAll(string(home), 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", home, err)
	}
	if !allExist(home.Bin(), append(append(append([]string{}, FabricTools...), FabricCATools...), OwnTools...)) {
		return nil, fmt.Errorf("binaries missing in %s: run Build first", home.Bin())
	}
	overrides := opts.ComposeOverrides
	if t.Runtime == Docker && len(overrides) == 0 {
		// A network started with overrides keeps them.
		if old, err := loadCompose(home); err == nil {
			overrides = old.files[1:]
		}
	}
	if t.Runtime == Docker && len(overrides) == 0 {
		// Overrides may name images Compose pulls; without them every image is cxledger's.
		if missing, err := MissingImages(ctx); err != nil {
			return nil, err
		} else if len(missing) > 0 {
			return nil, fmt.Errorf("images missing: %s: run `cxl network images`", strings.Join(missing, ", "))
		}
	}
	data, err := yaml.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("encode topology: %w", err)
	}
	if err := os.WriteFile(home.topologyFile(), data, 0o644); err != nil {
		return nil, fmt.Errorf("write topology: %w", err)
	}
	fmt.Fprintln(progress, "generating crypto material and the channel block")
	if err := Generate(ctx, home, t); err != nil {
		return nil, err
	}
	if err := PrepareCAs(home, t); err != nil {
		return nil, err
	}
	start := time.Now()
	project := ""
	if t.Runtime == Docker {
		// The chaincode servers keep the deployed version until Deploy moves them on.
		running := opts.ChaincodeVersion
		if haveDeployment {
			running = deployed.Version
		}
		p, err := writeCompose(opts.Repo, home, t, running, overrides)
		if err != nil {
			return nil, err
		}
		project = p.name
		fmt.Fprintf(progress, "compose project %s: %s --env-file %s\n", p.name, strings.Join(p.fileArgs(), " "), p.envFile)
	}
	if t.Hosts == NetNS {
		fmt.Fprintf(progress, "making %d hosts (network namespaces) on bridge %s, subnet %s\n", len(t.netnsHosts(home)), bridgeName(hostsID(home)), t.HostSubnet)
		if err := ensureHosts(ctx, home, t); err != nil {
			return nil, err
		}
	}
	r, err := newRunner(home, t)
	if err != nil {
		return nil, err
	}
	// Each organisation's CA starts with the orderers; the identities it enrols (the Admin
	// that joins the peers, the users) are made while the orderers join the channel.
	fmt.Fprintf(progress, "starting %d CAs and %d orderers (%s)\n", len(t.Orgs), t.Orderers, t.Consensus)
	if err := startNodes(ctx, r, append(t.CANodes(), t.OrdererNodes()...)); err != nil {
		return nil, err
	}
	enrolled := make(chan error, 1)
	go func() { enrolled <- EnrolIdentities(ctx, home, t, progress) }()
	if err := forEachNode(t.OrdererNodes(), func(n Node) error { return joinOrderer(ctx, home, t, n) }); err != nil {
		<-enrolled
		return nil, err
	}
	leaderCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := OrderingLeader(leaderCtx, t); err != nil {
		<-enrolled
		return nil, err
	}
	if err := <-enrolled; err != nil {
		return nil, err
	}
	var peers []Node
	orgOf := map[string]Org{}
	for _, org := range t.PeerOrgs() {
		peers = append(peers, org.PeerNodes...)
		for _, p := range org.PeerNodes {
			orgOf[p.Name] = org
		}
	}
	fmt.Fprintf(progress, "starting %d peers\n", len(peers))
	if err := startNodes(ctx, r, peers); err != nil {
		return nil, err
	}
	if err := forEachNode(peers, func(n Node) error { return joinPeer(ctx, home, t, orgOf[n.Name], n) }); err != nil {
		return nil, err
	}
	fmt.Fprintln(progress, "deploying chaincode", t.Chaincode)
	dep, err := Deploy(ctx, home, t, opts.ChaincodeVersion)
	if err != nil {
		return nil, err
	}
	prof := NewProfile(home, t, dep)
	prof.ComposeProject = project
	if b, ok, err := LoadBaselineDeployment(home); err != nil {
		return nil, err
	} else if ok {
		prof.Baseline = &b
	}
	if err := prof.Save(home); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "network started in %s\n", time.Since(start).Round(10*time.Millisecond))
	return prof, nil
}

// allRunning reports whether every node runs and the chaincode servers of version and of
// the baseline do.
func allRunning(ctx context.Context, r runner, home Home, t Topology, version string) (bool, error) {
	d, ok, err := LoadDeployment(home)
	if err != nil || !ok || d.Version != version {
		return false, err
	}
	b, ok, err := LoadBaselineDeployment(home)
	if err != nil || !ok {
		return false, err
	}
	states, err := r.states(ctx)
	if err != nil {
		return false, err
	}
	var names []string
	for _, n := range append(t.CANodes(), t.Nodes()...) {
		names = append(names, n.Name)
	}
	names = append(names, r.servers(d)...)
	for _, name := range append(names, r.servers(b)...) {
		if !states[name].running {
			return false, nil
		}
	}
	return true, nil
}

// hostPorts lists the host ports a network takes: every port of every node natively; the
// published ones under Docker.
func hostPorts(t Topology) []int {
	var ports []int
	for _, n := range append(t.CANodes(), t.Nodes()...) {
		ports = append(ports, nodeHostPorts(t, n)...)
	}
	return ports
}

func nodeHostPorts(t Topology, n Node) []int {
	if t.Runtime == Docker {
		var ports []int
		for _, p := range publishedPorts(n) {
			ports = append(ports, p.port)
		}
		return ports
	}
	ports := []int{n.Port, n.OperationsPort}
	if n.AdminPort != 0 {
		ports = append(ports, n.AdminPort)
	}
	if n.ChaincodePort != 0 {
		ports = append(ports, n.ChaincodePort)
	}
	return ports
}

// checkPortsOfStopped fails naming the first port a stopped node needs that is taken.
func checkPortsOfStopped(ctx context.Context, r runner, t Topology) error {
	states, err := r.states(ctx)
	if err != nil {
		return err
	}
	var ports []int
	for _, n := range append(t.CANodes(), t.Nodes()...) {
		if !states[n.Name].running {
			ports = append(ports, nodeHostPorts(t, n)...)
		}
	}
	return CheckPortsFree(ports)
}

// startNodes starts the nodes that are not running and waits until all of them are
// healthy.
func startNodes(ctx context.Context, r runner, nodes []Node) error {
	if err := r.startNodes(ctx, nodes); err != nil {
		return err
	}
	waitCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	return forEachNode(nodes, func(n Node) error {
		alive := func() bool { ok, err := r.Running(waitCtx, n.Name); return ok || err != nil }
		return waitHealthy(waitCtx, n, alive, r.logHint(n.Name))
	})
}

func forEachNode(nodes []Node, fn func(Node) error) error {
	errs := make(chan error, len(nodes))
	for _, n := range nodes {
		go func() { errs <- fn(n) }()
	}
	var all []error
	for range nodes {
		all = append(all, <-errs)
	}
	return errors.Join(all...)
}

// Down stops the network in home: every process recorded in the state directory (and on a
// NetNS network deletes its hosts: namespaces, veth pairs, bridge and cuts), or under
// Docker the Compose project's containers and network. With purge it also removes the
// ledgers (the project's volumes under Docker) and the generated state (crypto, channel,
// logs); built binaries are kept.
func Down(home Home, purge bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	t, ok, err := LoadHomeTopology(home)
	if err != nil {
		return err
	}
	// Processes run beside a Docker network too (the gateway service started by
	// `cxl gateway up`), so they are stopped whatever the runtime.
	if err := stopProcesses(home); err != nil {
		return err
	}
	if ok && t.Hosts == NetNS {
		if err := removeHosts(ctx, home); err != nil {
			return err
		}
	}
	if ok && t.Runtime == Docker {
		p, err := loadCompose(home)
		if err == nil {
			err = (&composeRunner{home: home, t: t, project: p}).down(ctx, purge)
		} else if _, statErr := os.Stat(home.composeEnvFile()); errors.Is(statErr, os.ErrNotExist) {
			// Generated, never started: there is nothing of it in Docker.
			err = nil
		}
		if err != nil {
			return err
		}
	}
	if !purge {
		return nil
	}
	entries, err := os.ReadDir(string(home))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list %s: %w", home, err)
	}
	for _, e := range entries {
		if e.Name() == "bin" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(string(home), e.Name())); err != nil {
			return fmt.Errorf("purge %s: %w", e.Name(), err)
		}
	}
	return nil
}

// stopProcesses stops every process recorded in the state directory.
func stopProcesses(home Home) error {
	procs, err := Processes(home)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range procs {
		if err := Stop(home, p.Name, 10*time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Profile is network.json: the endpoints and identity files a client needs.
type Profile struct {
	// Runtime is how the nodes run: "native" or "docker".
	Runtime Runtime `json:"runtime"`
	// Hosts is "netns" when each member and each orderer runs on a host of its own
	// (Topology.Hosts); the endpoints below are then those hosts' addresses.
	Hosts Hosts `json:"hosts,omitempty"`
	// ComposeProject is the Docker Compose project of a Docker network.
	ComposeProject string         `json:"composeProject,omitempty"`
	Channel        string         `json:"channel"`
	Chaincode      string         `json:"chaincode"`
	Orderers       []EndpointInfo `json:"orderers"`
	Orgs           []OrgProfile   `json:"orgs"`
	Deployment     Deployment     `json:"deployment"`
	// Baseline is the deployment of the benchmarks' baseline chaincode (BaselineChaincode)
	// on the same channel.
	Baseline *Deployment     `json:"baseline,omitempty"`
	Nodes    map[string]Node `json:"-"`
}

// EndpointInfo is a gRPC endpoint with the TLS root certificate that verifies it.
type EndpointInfo struct {
	Name        string `json:"name"`
	Address     string `json:"address"`
	TLSRootCert string `json:"tlsRootCert"`
}

// OrgProfile is one organisation's peers and identities.
type OrgProfile struct {
	MSPID      string                  `json:"mspId"`
	Roles      []string                `json:"roles"`
	Collection string                  `json:"collection"`
	Peers      []EndpointInfo          `json:"peers"`
	Users      map[string]IdentityInfo `json:"users"`
	// CA is the organisation's Fabric CA.
	CA *CAInfo `json:"ca,omitempty"`
}

// CAInfo is how a client reaches an organisation's Fabric CA, and the identity the
// organisation's gateway registers customers with.
type CAInfo struct {
	// URL is the CA's address on this machine (https).
	URL string `json:"url"`
	// TLSRootCert is the file of the TLS root certificate that verifies the CA.
	TLSRootCert string `json:"tlsRootCert"`
	// Registrar is the organisation's registrar: it may register and revoke client
	// identities without attributes, and holds no business role.
	Registrar IdentityInfo `json:"registrar"`
}

// IdentityInfo names the certificate and private key files of an identity.
type IdentityInfo struct {
	Cert string `json:"cert"`
	Key  string `json:"key"`
}

// NewProfile describes a network made from t under home.
func NewProfile(home Home, t Topology, d Deployment) *Profile {
	p := &Profile{Runtime: t.Runtime, Hosts: t.Hosts, Channel: t.Channel, Chaincode: t.Chaincode, Deployment: d}
	for _, n := range t.OrdererNodes() {
		p.Orderers = append(p.Orderers, EndpointInfo{Name: n.Name, Address: n.Address(), TLSRootCert: home.OrdererTLSRootCert()})
	}
	for _, org := range t.PeerOrgs() {
		op := OrgProfile{MSPID: org.MSPID, Roles: org.Roles, Collection: CollectionName(org.MSPID), Users: map[string]IdentityInfo{}}
		for _, n := range org.PeerNodes {
			op.Peers = append(op.Peers, EndpointInfo{Name: n.Name, Address: n.Address(), TLSRootCert: home.TLSRootCert(org)})
		}
		users := []string{"Admin"}
		for i := 1; i <= org.Users; i++ {
			users = append(users, fmt.Sprintf("User%d", i))
		}
		for _, u := range users {
			op.Users[u] = home.userIdentity(org, u)
		}
		op.CA = &CAInfo{URL: CAURL(org), TLSRootCert: home.TLSRootCert(org), Registrar: home.userIdentity(org, RegistrarUser)}
		p.Orgs = append(p.Orgs, op)
	}
	return p
}

// userIdentity names the certificate and key files of org's user in its MSP directory.
func (h Home) userIdentity(org Org, user string) IdentityInfo {
	msp := h.UserMSP(org, user)
	return IdentityInfo{
		Cert: filepath.Join(msp, "signcerts", enrolmentID(org, user)+"-cert.pem"),
		Key:  filepath.Join(msp, "keystore", "priv_sk"),
	}
}

// Save writes the profile to network.json.
func (p *Profile) Save(home Home) error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("encode profile: %w", err)
	}
	if err := os.WriteFile(home.ProfileFile(), data, 0o644); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	return nil
}

// LoadProfile reads network.json.
func LoadProfile(home Home) (*Profile, error) {
	data, err := os.ReadFile(home.ProfileFile())
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no network in %s: run `cxl network up`", home)
	}
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	var p Profile
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("parse %s: %w", home.ProfileFile(), err)
	}
	return &p, nil
}
