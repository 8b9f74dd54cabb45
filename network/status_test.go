package network

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestGatewayURL(t *testing.T) {
	for _, tc := range []struct {
		listen string
		tls    bool
		want   string
	}{
		{"127.0.0.1:8080", false, "http://127.0.0.1:8080"},
		{"0.0.0.0:8443", true, "https://127.0.0.1:8443"},
		{":8443", true, "https://127.0.0.1:8443"},
		{"[::]:9000", true, "https://127.0.0.1:9000"},
		{"10.1.2.3:9000", true, "https://10.1.2.3:9000"},
		{"gw.example.com:9000", true, "https://gw.example.com:9000"},
		{"", false, ""},
		{"127.0.0.1", false, ""},
		{"127.0.0.1:", false, ""},
		{"not an address", true, ""},
	} {
		if got := gatewayURL(tc.listen, tc.tls); got != tc.want {
			t.Errorf("gatewayURL(%q, %v) = %q, want %q", tc.listen, tc.tls, got, tc.want)
		}
	}
}

// TestStatusHosts: the hosts of a status are the topology's, in its order, each with what
// runs on it: under Docker with its network in the Compose project, natively with the
// address its nodes listen on. A row whose host is not in the topology is left out.
func TestStatusHosts(t *testing.T) {
	topo := dockerTopology(0)
	st := &Status{Gateways: []GatewayStatus{{Name: "cxl-gateway-org2", Host: "org2.example.com"}}}
	for _, n := range append(topo.CANodes(), topo.Nodes()...) {
		st.Nodes = append(st.Nodes, NodeStatus{Name: n.Name, Host: hostName(n), Address: n.Address()})
	}
	st.Nodes = append(st.Nodes, NodeStatus{Name: "stray", Host: "elsewhere.example.com", Address: "10.0.0.9:1"})
	st.Chaincode.Servers = []NodeStatus{{Name: "chaincode.org1.example.com", Host: "org1.example.com"}}
	hosts := statusHosts(topo, "proj", st)
	var names []string
	for _, h := range hosts {
		names = append(names, h.Name)
	}
	if want := []string{"orderer1.example.com", "orderer2.example.com", "orderer3.example.com", "org1.example.com", "org2.example.com"}; !slices.Equal(names, want) {
		t.Fatalf("hosts %v, want %v", names, want)
	}
	org2 := hosts[4]
	if org2.Network != "proj_org2.example.com" || org2.Address != "" || org2.MSPID != "Org2MSP" ||
		!slices.Equal(org2.Nodes, []string{"ca.org2.example.com", "peer0.org2.example.com", "peer1.org2.example.com", "cxl-gateway-org2"}) {
		t.Errorf("Org2's host: %+v", org2)
	}
	if o := hosts[1]; !slices.Equal(o.Nodes, []string{"orderer2.example.com"}) || o.MSPID != "OrdererMSP" {
		t.Errorf("orderer2's host: %+v", o)
	}
	if !slices.Contains(hosts[3].Nodes, "chaincode.org1.example.com") {
		t.Errorf("Org1's host lacks its chaincode server: %v", hosts[3].Nodes)
	}
	native := statusHosts(topo, "", st)
	if native[3].Network != "" || native[3].Address != "127.0.0.1" {
		t.Errorf("native host: %+v", native[3])
	}
	data, err := json.Marshal(&Status{Hosts: hosts, Gateways: st.Gateways, Nodes: st.Nodes[:1]})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"hosts":[{"name":"orderer1.example.com","mspId":"OrdererMSP","network":"proj_orderer1.example.com","nodes":["orderer1.example.com"]}`,
		`"reachable":false`, `"gateways":[{"name":"cxl-gateway-org2"`, `"address":"127.0.0.1:7980"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("status JSON lacks %s:\n%s", key, data)
		}
	}
}
