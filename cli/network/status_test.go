package network

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/network"
)

// TestWriteStatus: the tables show each host with its network (Docker) or address
// (natively) and nodes; each node with its host, container or PID, state, address,
// reachability and height; each gateway with its URL and whether it is up, ready or
// stopped; and a chaincode definition no peer could tell as unknown, with why.
func TestWriteStatus(t *testing.T) {
	st := &network.Status{
		Runtime: network.Docker, Channel: "cxledger",
		Hosts: []network.HostStatus{
			{Name: "orderer1.example.com", MSPID: "OrdererMSP", Network: "proj_orderer1.example.com", Nodes: []string{"orderer1.example.com"}},
			{Name: "org1.example.com", MSPID: "Org1MSP", Network: "proj_org1.example.com", Nodes: []string{"ca.org1.example.com", "peer0.org1.example.com", "cxl-gateway-org1"}},
		},
		Nodes: []network.NodeStatus{
			{Name: "orderer1.example.com", Kind: "orderer", Host: "orderer1.example.com", Container: "abc123", Running: true, Healthy: true, Address: "127.0.0.1:7050", Reachable: true, Height: 12},
			{Name: "peer0.org1.example.com", Kind: "peer", Host: "org1.example.com", Container: "def456", Running: true, Address: "127.0.0.1:7100", Error: "connection refused"},
			{Name: "ca.org1.example.com", Kind: "ca", Host: "org1.example.com", Address: "127.0.0.1:7980"},
		},
		Chaincode: network.ChaincodeStatus{Name: "cxledger", Error: "query committed chaincodes: unavailable",
			Servers: []network.NodeStatus{{Name: "chaincode.org1.example.com", Kind: "chaincode", Host: "org1.example.com", Container: "0a1", Running: true}}},
		Baseline: network.ChaincodeStatus{Name: "baseline", Sequence: 1, Version: "1"},
		Gateways: []network.GatewayStatus{
			{Name: "cxl-gateway-org1", MSPID: "Org1MSP", Host: "org1.example.com", URL: "https://127.0.0.1:8080", Container: "fff", Running: true, Up: true},
			{Name: "cxl-gateway-org2", MSPID: "Org2MSP", Host: "org2.example.com", URL: "https://127.0.0.1:8081", Container: "eee", Running: true},
			{Name: "cxl-gateway-org3", MSPID: "Org3MSP", Host: "org3.example.com"},
		},
	}
	var out bytes.Buffer
	if err := writeStatus(&out, st); err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			rows[f[0]] = f
		}
	}
	for first, want := range map[string]string{
		"HOST":                       "HOST MEMBER NETWORK NODES",
		"org1.example.com":           "org1.example.com Org1MSP proj_org1.example.com ca.org1.example.com, peer0.org1.example.com, cxl-gateway-org1",
		"NODE":                       "NODE KIND HOST CONTAINER STATE ADDRESS REACHABLE HEIGHT",
		"orderer1.example.com":       "orderer1.example.com orderer orderer1.example.com abc123 running 127.0.0.1:7050 yes 12",
		"peer0.org1.example.com":     "peer0.org1.example.com peer org1.example.com def456 unhealthy 127.0.0.1:7100 no -",
		"ca.org1.example.com":        "ca.org1.example.com ca org1.example.com - stopped 127.0.0.1:7980 no -",
		"chaincode.org1.example.com": "chaincode.org1.example.com chaincode org1.example.com 0a1 running - - -",
		"GATEWAY":                    "GATEWAY MEMBER CONTAINER URL STATE",
		"cxl-gateway-org1":           "cxl-gateway-org1 Org1MSP fff https://127.0.0.1:8080 up",
		"cxl-gateway-org2":           "cxl-gateway-org2 Org2MSP eee https://127.0.0.1:8081 not ready",
		"cxl-gateway-org3":           "cxl-gateway-org3 Org3MSP - - stopped",
	} {
		if got := strings.Join(rows[first], " "); got != want {
			t.Errorf("row %s:\n got %q\nwant %q", first, got, want)
		}
	}
	for _, want := range []string{"chaincode cxledger: unknown (query committed chaincodes: unavailable)\n", "chaincode baseline: version 1, sequence 1 on channel cxledger\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// Natively a host is an address and a process has a PID.
	st.Runtime = network.Native
	st.Hosts = []network.HostStatus{{Name: "org1.example.com", MSPID: "Org1MSP", Address: "127.0.0.1", Nodes: []string{"peer0.org1.example.com"}}}
	st.Nodes = []network.NodeStatus{{Name: "peer0.org1.example.com", Kind: "peer", Host: "org1.example.com", PID: 4242, Running: true, Healthy: true, Address: "127.0.0.1:7100", Reachable: true, Height: 3}}
	out.Reset()
	if err := writeStatus(&out, st); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"HOST              MEMBER   ADDRESS    NODES", "org1.example.com  Org1MSP  127.0.0.1  peer0.org1.example.com", "4242"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("native output lacks %q:\n%s", want, out.String())
		}
	}
}
