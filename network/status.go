package network

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cxledger/cxledger/gateway/config"
)

// NodeStatus is what `cxl network status` shows for one process or container.
type NodeStatus struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Host is the host the node runs on: its organisation's domain, or the orderer's own
	// name (see HostStatus).
	Host string `json:"host,omitempty"`
	// PID is the process ID of a native process.
	PID int `json:"pid,omitempty"`
	// Container is the container ID under Docker.
	Container string `json:"container,omitempty"`
	Running   bool   `json:"running"`
	Healthy   bool   `json:"healthy"`
	// Address is where this machine reaches the node's main port: 127.0.0.1 (under Docker
	// the published port), or natively the node's own host. Chaincode servers have none.
	Address string `json:"address,omitempty"`
	// Reachable says a TCP connection to Address was accepted.
	Reachable bool   `json:"reachable"`
	Height    uint64 `json:"height,omitempty"`
	Error     string `json:"error,omitempty"`
}

// HostStatus is one host of the network: an organisation (its CA, peers, chaincode servers
// and gateway service) or one orderer. Under Docker it is a Docker network of its own;
// natively an address (127.0.0.1, unless each member has a host of its own).
type HostStatus struct {
	// Name is the organisation's domain or the orderer's host name.
	Name string `json:"name"`
	// MSPID is the member the host belongs to.
	MSPID string `json:"mspId"`
	// Network is the host's Docker network.
	Network string `json:"network,omitempty"`
	// Address is the address the host's nodes listen on natively.
	Address string `json:"address,omitempty"`
	// Nodes are the names of the processes or Compose services on the host.
	Nodes []string `json:"nodes"`
}

// GatewayStatus is one member's gateway service as `cxl network status` shows it.
type GatewayStatus struct {
	// Name is its process or Compose service: cxl-gateway-<org>.
	Name  string `json:"name"`
	MSPID string `json:"mspId"`
	Host  string `json:"host"`
	// URL is where this machine reaches it; empty when no configuration says.
	URL       string `json:"url,omitempty"`
	PID       int    `json:"pid,omitempty"`
	Container string `json:"container,omitempty"`
	Running   bool   `json:"running"`
	// Up says its /readyz answered 200 (a peer of its member answers a query).
	Up    bool   `json:"up"`
	Error string `json:"error,omitempty"`
}

// Status is the state of a whole network.
type Status struct {
	Home    string  `json:"home"`
	Runtime Runtime `json:"runtime"`
	// Consensus is the ordering service's consensus: raft or bft.
	Consensus Consensus `json:"consensus"`
	Channel   string    `json:"channel"`
	// Hosts are the orderers' hosts, then the organisations'.
	Hosts []HostStatus `json:"hosts"`
	// Nodes are the organisations' CAs, the orderers and the peers.
	Nodes     []NodeStatus    `json:"nodes"`
	Chaincode ChaincodeStatus `json:"chaincode"`
	// Baseline is the benchmarks' baseline chaincode (BaselineChaincode).
	Baseline ChaincodeStatus `json:"baseline"`
	// Gateways are the members' gateway services.
	Gateways []GatewayStatus `json:"gateways"`
}

// ChaincodeStatus is a chaincode's committed definition and the state of its servers.
type ChaincodeStatus struct {
	Name     string       `json:"name"`
	Sequence int          `json:"sequence"`
	Version  string       `json:"version"`
	Servers  []NodeStatus `json:"servers"`
	// Error says why the definition is unknown: no peer answered.
	Error string `json:"error,omitempty"`
}

// statusProbeTimeout bounds each probe of status: a TCP connect, a health check, a height,
// a gateway's readiness. A node behind a cut link drops packets; status says so within it.
const statusProbeTimeout = 3 * time.Second

// GetStatus inspects every host and node of the network in home: each organisation's CA,
// the orderers and the peers (process or container, health, whether this machine reaches
// it at its address, and the channel height), the committed chaincode definitions and
// their servers, and each member's gateway service (URL, and whether it is ready). The
// nodes are probed at once, each within a few seconds. A node that does not answer is
// reported, not an error.
func GetStatus(ctx context.Context, home Home) (*Status, error) {
	t, ok, err := LoadHomeTopology(home)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("no network in %s: run `cxl network up`", home)
	}
	r, err := newRunner(home, t)
	if err != nil {
		return nil, err
	}
	states, err := r.states(ctx)
	if err != nil {
		return nil, err
	}
	st := &Status{Home: string(home), Runtime: t.Runtime, Consensus: t.Consensus, Channel: t.Channel}
	client := &http.Client{Timeout: statusProbeTimeout}
	nodes := append(t.CANodes(), t.Nodes()...)
	st.Nodes = make([]NodeStatus, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		ps := states[n.Name]
		st.Nodes[i] = NodeStatus{Name: n.Name, Kind: n.Kind, Host: hostName(n), Running: ps.running, PID: ps.pid,
			Container: ps.container, Address: n.Address()}
		wg.Add(1)
		go func(ns *NodeStatus, n Node) {
			defer wg.Done()
			probeNode(ctx, home, t, client, ns, n)
		}(&st.Nodes[i], n)
	}
	st.Gateways = make([]GatewayStatus, len(t.PeerOrgs()))
	for i, org := range t.PeerOrgs() {
		name := GatewayService(org)
		ps := states[name]
		st.Gateways[i] = GatewayStatus{Name: name, MSPID: org.MSPID, Host: org.Domain, Running: ps.running, PID: ps.pid, Container: ps.container}
		wg.Add(1)
		go func(gs *GatewayStatus, org Org) {
			defer wg.Done()
			probeGateway(ctx, home, t, gs, org)
		}(&st.Gateways[i], org)
	}
	wg.Wait()
	st.Chaincode.Name, st.Baseline.Name = t.Chaincode, BaselineChaincode
	if !allDown(st.Nodes) {
		for _, cc := range []*ChaincodeStatus{&st.Chaincode, &st.Baseline} {
			qctx, cancel := context.WithTimeout(ctx, 2*statusProbeTimeout)
			seq, version, err := committedSequenceOf(qctx, home, t, cc.Name)
			cancel()
			if err != nil {
				cc.Error = err.Error()
				continue
			}
			cc.Sequence, cc.Version = seq, version
			if seq == 0 {
				continue
			}
			for i, name := range r.servers(Deployment{Name: cc.Name, Sequence: seq, Version: version}) {
				ps := states[name]
				cc.Servers = append(cc.Servers, NodeStatus{Name: name, Kind: "chaincode", Host: t.PeerOrgs()[i].Domain,
					Running: ps.running, PID: ps.pid, Container: ps.container})
			}
		}
	}
	project := ""
	if c, ok := r.(*composeRunner); ok {
		project = c.project.name
	}
	st.Hosts = statusHosts(t, project, st)
	return st, nil
}

// hostName is the host n runs on: the orderer's own name, or its organisation's domain.
func hostName(n Node) string {
	if n.Kind == "orderer" {
		return n.Name
	}
	return n.OrgDomain
}

// probeNode fills in what this machine sees of n: whether its address accepts a
// connection, its health and, for an orderer or a peer, its channel height.
func probeNode(ctx context.Context, home Home, t Topology, client *http.Client, ns *NodeStatus, n Node) {
	ns.Reachable = reachable(ctx, ns.Address)
	if !ns.Running {
		return
	}
	host, _, _ := net.SplitHostPort(ns.Address)
	if resp, err := client.Get("http://" + net.JoinHostPort(host, strconv.Itoa(n.OperationsPort)) + "/healthz"); err == nil {
		resp.Body.Close()
		ns.Healthy = resp.StatusCode == http.StatusOK
	}
	if n.Kind == "ca" {
		return
	}
	hctx, cancel := context.WithTimeout(ctx, statusProbeTimeout)
	defer cancel()
	var err error
	if n.Kind == "orderer" {
		ns.Height, err = OrdererHeight(hctx, home, t, n)
	} else {
		_, org, _ := t.nodeNamed(n.Name)
		ns.Height, err = PeerHeight(hctx, home, t, org, n)
	}
	if err != nil {
		ns.Error = err.Error()
	}
}

// reachable says whether addr accepts a TCP connection within statusProbeTimeout.
func reachable(ctx context.Context, addr string) bool {
	d := net.Dialer{Timeout: statusProbeTimeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// probeGateway fills in where org's gateway service is reached (under Docker its published
// port, natively the address its configuration listens on) and whether its /readyz
// answers 200, over HTTPS verified with the organisation's TLS root when it serves TLS.
func probeGateway(ctx context.Context, home Home, t Topology, gs *GatewayStatus, org Org) {
	tlsOn := t.Runtime == Docker
	if t.Runtime == Docker {
		gs.URL = fmt.Sprintf("https://127.0.0.1:%d", t.GatewayHostPort(org))
	} else if cfg, err := config.Load(home.Path("gateway", GatewayName(org), "gateway.yaml"), func(string) string { return "" }); err == nil {
		gs.URL, tlsOn = gatewayURL(cfg.Listen, cfg.TLS != nil), cfg.TLS != nil
	}
	if !gs.Running || gs.URL == "" {
		return
	}
	client := &http.Client{Timeout: statusProbeTimeout}
	if tlsOn {
		pem, err := os.ReadFile(home.TLSRootCert(org))
		if err != nil {
			gs.Error = fmt.Sprintf("TLS root of %s: %v", org.MSPID, err)
			return
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, gs.URL+"/readyz", nil)
	if err != nil {
		gs.Error = err.Error()
		return
	}
	resp, err := client.Do(req)
	if err != nil {
		gs.Error = err.Error()
		return
	}
	resp.Body.Close()
	gs.Up = resp.StatusCode == http.StatusOK
	if !gs.Up {
		gs.Error = "readyz: " + resp.Status
	}
}

// gatewayURL is where this machine reaches a gateway service listening on listen: https
// with TLS, and the loopback address for a service listening on every interface.
func gatewayURL(listen string, tlsOn bool) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil || port == "" {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http"
	if tlsOn {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// statusHosts groups the nodes, chaincode servers and gateway services of st by host, in
// the order of t's hosts: under Docker with the host's network in Compose project project,
// natively with the address its nodes listen on.
func statusHosts(t Topology, project string, st *Status) []HostStatus {
	var hosts []HostStatus
	index := map[string]int{}
	for _, h := range t.DockerHosts() {
		index[h.Name] = len(hosts)
		hs := HostStatus{Name: h.Name, MSPID: h.MSPID}
		if project != "" {
			hs.Network = project + "_" + h.Name
		}
		hosts = append(hosts, hs)
	}
	add := func(host, name, address string) {
		i, ok := index[host]
		if !ok {
			return
		}
		hosts[i].Nodes = append(hosts[i].Nodes, name)
		if project == "" && hosts[i].Address == "" && address != "" {
			hosts[i].Address, _, _ = net.SplitHostPort(address)
		}
	}
	for _, n := range st.Nodes {
		add(n.Host, n.Name, n.Address)
	}
	for _, n := range append(slices.Clone(st.Chaincode.Servers), st.Baseline.Servers...) {
		add(n.Host, n.Name, "")
	}
	for _, g := range st.Gateways {
		add(g.Host, g.Name, "")
	}
	return hosts
}

func allDown(nodes []NodeStatus) bool {
	for _, n := range nodes {
		if n.Running {
			return false
		}
	}
	return true
}

// RaftLeader returns the orderer whose etcdraft metrics say it leads the channel, polling
// until one does or ctx ends. It is OrderingLeader for a Raft network.
func RaftLeader(ctx context.Context, t Topology) (Node, error) {
	if t.Consensus == BFT {
		return Node{}, fmt.Errorf("channel %s is ordered by BFT, not Raft", t.Channel)
	}
	return OrderingLeader(ctx, t)
}

// OrderingLeader returns the orderer that leads the channel's consensus, whatever it is,
// polling until one does or ctx ends. Under Raft it is the one whose
// consensus_etcdraft_is_leader gauge is 1. Under BFT it is the one that at least n-f
// orderers (3 of 4) name in their consensus_BFT_leader_id gauge: SmartBFT reports the
// leader when the chain starts and with every block it commits, so a restarted or
// cut-off orderer may name an old one, and a new leader shows once a block commits in its
// view.
func OrderingLeader(ctx context.Context, t Topology) (Node, error) {
	client := &http.Client{Timeout: time.Second}
	orderers := t.OrdererNodes()
	for {
		if t.Consensus == BFT {
			votes := map[int]int{}
			for _, o := range orderers {
				if id, err := raftGauge(client, o, "consensus_BFT_leader_id", t.Channel); err == nil {
					votes[int(id)]++
				}
			}
			faulty := (len(orderers) - 1) / 3
			for id, n := range votes {
				if id >= 1 && id <= len(orderers) && n >= len(orderers)-faulty {
					return orderers[id-1], nil
				}
			}
		} else {
			for _, o := range orderers {
				if v, err := raftGauge(client, o, "consensus_etcdraft_is_leader", t.Channel); err == nil && v == 1 {
					return o, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return Node{}, fmt.Errorf("no %s leader for channel %s: %w", t.Consensus, t.Channel, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// RaftActiveNodes is how many consenters of channel the orderer o counts as active
// (Fabric's consensus_etcdraft_active_nodes gauge, which the Raft leader keeps up to date).
func RaftActiveNodes(o Node, channel string) (int, error) {
	v, err := raftGauge(&http.Client{Timeout: time.Second}, o, "consensus_etcdraft_active_nodes", channel)
	return int(v), err
}

// raftGauge reads the value of a consensus gauge of channel (etcdraft's or SmartBFT's) from
// o's operations endpoint.
func raftGauge(client *http.Client, o Node, name, channel string) (float64, error) {
	resp, err := client.Get(fmt.Sprintf("http://%s/metrics", o.at(o.OperationsPort)))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, name+"{") && strings.Contains(line, `channel="`+channel+`"`) {
			fields := strings.Fields(line)
			return strconv.ParseFloat(fields[len(fields)-1], 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s: no %s for channel %s", o.Name, name, channel)
}
