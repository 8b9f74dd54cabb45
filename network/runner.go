package network

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"time"
)

// Supervisor acts on one node (orderer or peer) of a running network at a time, the way an
// operator or a failure would: natively on its process by PID, under Docker on its
// container through Docker Compose. Nodes are named by host name, e.g.
// "orderer2.example.com".
type Supervisor interface {
	// Running reports whether the node runs; a paused node runs.
	Running(ctx context.Context, node string) (bool, error)
	// Kill ends the node abruptly (SIGKILL, docker kill), as a crash would.
	Kill(ctx context.Context, node string) error
	// Stop ends the node gracefully (SIGTERM, docker stop).
	Stop(ctx context.Context, node string) error
	// Start starts a stopped or killed node again, with its ledger.
	Start(ctx context.Context, node string) error
	// Pause freezes the node without ending it (SIGSTOP, docker pause).
	Pause(ctx context.Context, node string) error
	// Resume thaws a paused node (SIGCONT, docker unpause).
	Resume(ctx context.Context, node string) error
}

// OpenSupervisor returns the Supervisor of the network in home, for the runtime it was made
// with.
func OpenSupervisor(home Home) (Supervisor, error) {
	t, ok, err := LoadHomeTopology(home)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("no network in %s: run `cxl network up`", home)
	}
	return newRunner(home, t)
}

// runner runs the processes of one network (nodes and chaincode servers) for Up, Deploy,
// Down and GetStatus.
type runner interface {
	Supervisor
	// states reports the processes of the network that exist, by name.
	states(ctx context.Context) (map[string]procState, error)
	// startNodes starts the nodes that are not running; it does not wait for them.
	startNodes(ctx context.Context, nodes []Node) error
	// serve makes the chaincode servers of d run, beside those of older definitions.
	serve(ctx context.Context, d Deployment) error
	// retire stops the chaincode servers of definitions older than d.
	retire(ctx context.Context, d Deployment) error
	// servers names the chaincode servers of d.
	servers(d Deployment) []string
	// logHint says where the log of a process is.
	logHint(name string) string
}

// procState is what a runner knows about one process.
type procState struct {
	running   bool
	pid       int
	container string
}

// newRunner returns the runner of the network t in home.
func newRunner(home Home, t Topology) (runner, error) {
	if t.Runtime == Docker {
		p, err := loadCompose(home)
		if err != nil {
			return nil, err
		}
		return &composeRunner{home: home, t: t, project: p}, nil
	}
	return processRunner{home: home, t: t}, nil
}

// processRunner runs a native network: one process per node and chaincode server, found
// again by the PID files under the state directory.
type processRunner struct {
	home Home
	t    Topology
}

func (r processRunner) Running(_ context.Context, node string) (bool, error) {
	_, ok := Running(r.home, node)
	return ok, nil
}

func (r processRunner) Kill(_ context.Context, node string) error { return Kill(r.home, node) }

func (r processRunner) Stop(_ context.Context, node string) error {
	return Stop(r.home, node, 10*time.Second)
}

func (r processRunner) Start(ctx context.Context, node string) error {
	n, _, ok := r.t.nodeNamed(node)
	if !ok {
		return fmt.Errorf("no node %s in the network", node)
	}
	return r.startNodes(ctx, []Node{n})
}

func (r processRunner) Pause(_ context.Context, node string) error {
	return r.signal(node, syscall.SIGSTOP)
}

func (r processRunner) Resume(_ context.Context, node string) error {
	return r.signal(node, syscall.SIGCONT)
}

func (r processRunner) signal(node string, sig syscall.Signal) error {
	p, ok := Running(r.home, node)
	if !ok {
		return fmt.Errorf("%s is not running", node)
	}
	if err := syscall.Kill(p.PID, sig); err != nil {
		return fmt.Errorf("signal %s (pid %d) with %s: %w", node, p.PID, sig, err)
	}
	return nil
}

func (r processRunner) states(context.Context) (map[string]procState, error) {
	procs, err := Processes(r.home)
	if err != nil {
		return nil, err
	}
	states := map[string]procState{}
	for _, p := range procs {
		states[p.Name] = procState{running: p.PID != 0, pid: p.PID}
	}
	return states, nil
}

func (r processRunner) startNodes(_ context.Context, nodes []Node) error {
	// A peer runs the external builder when a chaincode is installed.
	if err := installBuilder(r.home); err != nil {
		return err
	}
	for _, n := range nodes {
		var err error
		_, org, _ := r.t.nodeNamed(n.Name)
		switch n.Kind {
		case "orderer":
			_, err = Start(r.home, n.Name, "orderer", nil, ordererEnv(r.home, r.t, n))
		case "ca":
			_, err = Start(r.home, n.Name, "fabric-ca-server", []string{"start"}, caEnv(r.home, r.t, org))
		default:
			_, err = Start(r.home, n.Name, "peer", []string{"node", "start"}, peerEnv(r.home, r.t, org, n))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (r processRunner) serve(_ context.Context, d Deployment) error {
	for _, org := range r.t.PeerOrgs() {
		if err := startChaincodeServer(r.home, r.t, d, org); err != nil {
			return err
		}
	}
	return nil
}

// startChaincodeServer starts org's native server of d, unless it runs: the package ID
// d names for org, listening where org's package tells its peers to connect.
func startChaincodeServer(home Home, t Topology, d Deployment, org Org) error {
	listen, _ := t.serverOf(d.Name, org, d.Sequence)
	env := []string{
		"CHAINCODE_ID=" + d.Packages[org.MSPID],
		"CHAINCODE_SERVER_ADDRESS=" + listen,
		"CXL_CHAINCODE_VERSION=" + d.Version,
	}
	if d.isBaseline() {
		env = append(env, "CXL_CHAINCODE=baseline")
	}
	_, err := Start(home, serverName(d.Name, org.MSPID, d.Sequence), "cxl-chaincode", nil, env)
	return err
}

func (r processRunner) retire(_ context.Context, d Deployment) error {
	for _, org := range r.t.PeerOrgs() {
		for old := 1; old < d.Sequence; old++ {
			if err := Stop(r.home, serverName(d.Name, org.MSPID, old), 5*time.Second); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r processRunner) servers(d Deployment) []string {
	var names []string
	for _, org := range r.t.PeerOrgs() {
		names = append(names, serverName(d.Name, org.MSPID, d.Sequence))
	}
	return names
}

func (r processRunner) logHint(name string) string {
	return filepath.Join(r.home.Logs(), name+".log")
}

// nodeNamed finds a node, and for a peer or a CA its organisation, by host name.
func (t Topology) nodeNamed(name string) (Node, Org, bool) {
	for _, n := range t.OrdererNodes() {
		if n.Name == name {
			return n, Org{}, true
		}
	}
	for _, org := range t.PeerOrgs() {
		if org.CA.Name == name {
			return org.CA, org, true
		}
		for _, n := range org.PeerNodes {
			if n.Name == name {
				return n, org, true
			}
		}
	}
	return Node{}, Org{}, false
}
