package network

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// NodeStatus is what `cxl network status` shows for one process or container.
type NodeStatus struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// PID is the process ID of a native process.
	PID int `json:"pid,omitempty"`
	// Container is the container ID under Docker.
	Container string `json:"container,omitempty"`
	Running   bool   `json:"running"`
	Healthy   bool   `json:"healthy"`
	Height    uint64 `json:"height,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Status is the state of a whole network.
type Status struct {
	Home    string  `json:"home"`
	Runtime Runtime `json:"runtime"`
	// Consensus is the ordering service's consensus: raft or bft.
	Consensus Consensus `json:"consensus"`
	Channel   string    `json:"channel"`
	// Nodes are the organisations' CAs, the orderers and the peers.
	Nodes     []NodeStatus    `json:"nodes"`
	Chaincode ChaincodeStatus `json:"chaincode"`
	// Baseline is the benchmarks' baseline chaincode (BaselineChaincode).
	Baseline ChaincodeStatus `json:"baseline"`
}

// ChaincodeStatus is a chaincode's committed definition and the state of its servers.
type ChaincodeStatus struct {
	Name     string       `json:"name"`
	Sequence int          `json:"sequence"`
	Version  string       `json:"version"`
	Servers  []NodeStatus `json:"servers"`
}

// GetStatus inspects every node of the network in home: each organisation's CA (process and
// health), then the orderers and peers (process, health and channel height), and the
// committed chaincode definition. A node that does not answer is reported, not an error.
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
	client := &http.Client{Timeout: time.Second}
	healthy := func(n Node) bool {
		resp, err := client.Get(fmt.Sprintf("http://%s/healthz", n.at(n.OperationsPort)))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	var cas []NodeStatus
	for _, n := range t.CANodes() {
		ps := states[n.Name]
		cas = append(cas, NodeStatus{Name: n.Name, Kind: n.Kind, Running: ps.running, PID: ps.pid,
			Container: ps.container, Healthy: ps.running && healthy(n)})
	}
	for _, n := range t.Nodes() {
		ps := states[n.Name]
		ns := NodeStatus{Name: n.Name, Kind: n.Kind, Running: ps.running, PID: ps.pid, Container: ps.container}
		if ps.running {
			ns.Healthy = healthy(n)
			var h uint64
			if n.Kind == "orderer" {
				h, err = OrdererHeight(ctx, home, t, n)
			} else {
				_, org, _ := t.nodeNamed(n.Name)
				h, err = PeerHeight(ctx, home, t, org, n)
			}
			if err != nil {
				ns.Error = err.Error()
			}
			ns.Height = h
		}
		st.Nodes = append(st.Nodes, ns)
	}
	st.Chaincode.Name, st.Baseline.Name = t.Chaincode, BaselineChaincode
	down := allDown(st.Nodes)
	st.Nodes = append(cas, st.Nodes...)
	if down {
		return st, nil
	}
	for _, cc := range []*ChaincodeStatus{&st.Chaincode, &st.Baseline} {
		seq, version, err := committedSequenceOf(ctx, home, t, cc.Name)
		if err != nil {
			return nil, err
		}
		cc.Sequence, cc.Version = seq, version
		if seq == 0 {
			continue
		}
		for _, name := range r.servers(Deployment{Name: cc.Name, Sequence: seq, Version: version}) {
			ps := states[name]
			cc.Servers = append(cc.Servers,
				NodeStatus{Name: name, Kind: "chaincode", Running: ps.running, PID: ps.pid, Container: ps.container})
		}
	}
	return st, nil
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
