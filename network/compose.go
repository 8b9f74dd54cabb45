package network

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"gopkg.in/yaml.v3"
)

// Images the Compose file runs by default: built FROM scratch by BuildImages from the
// static binaries Build makes. The revision changes when an image's layout changes.
const (
	ImageRevision  = "1"
	OrdererImage   = "cxledger/fabric-orderer:" + FabricVersion + "-" + ImageRevision
	PeerImage      = "cxledger/fabric-peer:" + FabricVersion + "-" + ImageRevision
	ChaincodeImage = "cxledger/chaincode:" + ImageRevision
	GatewayImage   = "cxledger/gateway:" + ImageRevision
)

// A member's gateway service under Docker: the port it listens on in its container (on
// the host, member i of the topology publishes GatewayPort+i plus the offset), and where
// its state directory ($CXL_HOME/gateway/<org>: configuration, store, TLS certificate,
// vault), its organisation's user identities and the TLS roots of the peers it dials are
// mounted. `cxl gateway up` writes its configuration and starts it.
const (
	GatewayPort              = 8080
	GatewayContainerDir      = "/var/lib/cxl-gateway"
	GatewayContainerKeys     = "/etc/hyperledger/crypto"
	GatewayContainerTLSRoots = "/etc/hyperledger/tlsroots"
)

// GatewayName is the name of org's gateway service in paths: its organisation's name in
// lower case ("org1"); its state directory is $CXL_HOME/gateway/<GatewayName>.
func GatewayName(org Org) string { return strings.ToLower(org.Name) }

// GatewayService is the Compose service (and host name) of org's gateway service under
// Docker: "cxl-gateway-org1".
func GatewayService(org Org) string { return "cxl-gateway-" + GatewayName(org) }

// GatewayServices lists the Compose services of every member's gateway.
func (t Topology) GatewayServices() []string {
	var names []string
	for _, org := range t.PeerOrgs() {
		names = append(names, GatewayService(org))
	}
	return names
}

// GatewayHostPort is the port org's gateway service is reached at on this machine:
// GatewayPort plus the organisation's index in the topology plus the port offset.
func (t Topology) GatewayHostPort(org Org) int {
	for i, o := range t.PeerOrgs() {
		if o.MSPID == org.MSPID {
			return GatewayPort + i + t.PortOffset
		}
	}
	return 0
}

// Mount is a file or directory of the state directory mounted into a container.
type Mount struct {
	// Host is the path relative to the state directory ($CXL_HOME), slash-separated.
	Host string
	// Container is where the container sees it.
	Container string
	// ReadOnly mounts it read-only.
	ReadOnly bool
}

// GatewayMounts lists what org's gateway container mounts, and nothing else: its own state
// directory (read-write), its own organisation's user identities (read-only: the keys it
// signs with), and the public TLS root certificate of every peer organisation, for the
// peers it dials (its own as gateway peers, the others' only to follow their block
// heights). No other member's key is in any of them.
func (t Topology) GatewayMounts(org Org) []Mount {
	orgDir := func(o Org) string { return "crypto/peerOrganizations/" + o.Domain }
	m := []Mount{
		{Host: "gateway/" + GatewayName(org), Container: GatewayContainerDir},
		{Host: orgDir(org) + "/users", Container: GatewayContainerKeys + "/users", ReadOnly: true},
	}
	for _, o := range t.PeerOrgs() {
		m = append(m, Mount{Host: orgDir(o) + "/tlsca/tlsca." + o.Domain + "-cert.pem", Container: GatewayContainerTLSRoots + "/" + o.Domain + ".pem", ReadOnly: true})
	}
	return m
}

// gatewayPortVar is the Compose variable of the host port of org's gateway.
func gatewayPortVar(org Org) string {
	return "CXL_GATEWAY_" + strings.ToUpper(GatewayName(org)) + "_PORT"
}

// nodeUID is the unprivileged user every node runs as in its container. Its group is
// CXL_GID, the group of the crypto material, so it can read its group-readable keys.
const nodeUID = 10001

// chaincodeService is the Compose service (and host name) of an organisation's chaincode
// server under Docker.
func chaincodeService(org Org) string { return "chaincode." + org.Domain }

// baselineService is the Compose service (and host name) of an organisation's baseline
// chaincode server under Docker.
func baselineService(org Org) string { return "baseline." + org.Domain }

// Services lists the Compose services of topology t: its organisations' CAs, its nodes,
// then its chaincode servers, then its baseline chaincode servers, then the members' gateway
// services.
func (t Topology) Services() []string {
	var names []string
	for _, n := range append(t.CANodes(), t.Nodes()...) {
		names = append(names, n.Name)
	}
	for _, org := range t.PeerOrgs() {
		names = append(names, chaincodeService(org))
	}
	for _, org := range t.PeerOrgs() {
		names = append(names, baselineService(org))
	}
	return append(names, t.GatewayServices()...)
}

// envName turns a node or service name into the stem of its Compose variables:
// "peer0.org1.example.com" -> "PEER0_ORG1".
func envName(name string) string {
	name = strings.TrimSuffix(name, "."+domain)
	return strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(name))
}

// composeVar is one variable the Compose file reads, with its value for a network.
type composeVar struct {
	name, value string
}

// ref is the Compose reference to the variable with its value as the default.
func (v composeVar) ref() string { return "${" + v.name + ":-" + v.value + "}" }

// composeSettings are the values of the Compose variables that do not come from the
// topology: where the state directory is, which group reads the keys, which chaincode
// version the servers report, and the Docker host's address as the containers reach it.
type composeSettings struct {
	home             string
	uid, gid         int
	chaincodeVersion string
	hostGateway      string
}

// composeVars lists every variable of the Compose file for topology t, in the order the
// env file writes them.
func composeVars(t Topology, s composeSettings) ([]composeVar, error) {
	vars := []composeVar{
		{"CXL_HOME", s.home},
		{"CXL_UID", strconv.Itoa(s.uid)},
		{"CXL_GID", strconv.Itoa(s.gid)},
		{"CXL_LOG_SPEC", t.LogSpec},
		{"CXL_ORDERER_IMAGE", OrdererImage},
		{"CXL_PEER_IMAGE", PeerImage},
		{"CXL_CHAINCODE_IMAGE", ChaincodeImage},
		{"CXL_GATEWAY_IMAGE", GatewayImage},
		{"CXL_CA_IMAGE", CAImage},
		{"CXL_CHAINCODE_VERSION", s.chaincodeVersion},
		{"CXL_HOST_GATEWAY", s.hostGateway},
	}
	for _, org := range t.PeerOrgs() {
		pkg, err := chaincodePackage(t, t.Chaincode, org, 0, s.chaincodeVersion)
		if err != nil {
			return nil, err
		}
		vars = append(vars, composeVar{"CXL_" + envName(chaincodeService(org)) + "_ID", pkg.id})
	}
	for _, org := range t.PeerOrgs() {
		pkg, err := chaincodePackage(t, BaselineChaincode, org, 0, baselineVersion)
		if err != nil {
			return nil, err
		}
		vars = append(vars, composeVar{"CXL_" + envName(baselineService(org)) + "_ID", pkg.id})
	}
	for _, org := range t.PeerOrgs() {
		vars = append(vars, composeVar{gatewayPortVar(org), strconv.Itoa(t.GatewayHostPort(org))})
	}
	return vars, nil
}

// publishedPort is a node port published on the Docker host, at the number the node
// listens on in its container.
type publishedPort struct {
	port int
	// wan publishes it to the other hosts too (on CXL_HOST_GATEWAY), not only to this
	// machine's loopback.
	wan bool
}

// publishedPorts lists the ports of n published under Docker: the service port, the
// orderer's admin port and the operations port on 127.0.0.1 for this machine; of those,
// only the service port of a peer or an orderer (endorsement, gossip, delivery, broadcast
// and the orderers' cluster) on the Docker host's address for the other hosts. A CA, the
// admin and operations ports and the peer's chaincode port (not published at all) stay
// inside their host.
func publishedPorts(n Node) []publishedPort {
	ports := []publishedPort{{port: n.Port, wan: n.Kind == "peer" || n.Kind == "orderer"}}
	if n.AdminPort != 0 {
		ports = append(ports, publishedPort{port: n.AdminPort})
	}
	return append(ports, publishedPort{port: n.OperationsPort})
}

// DefaultHostGateway is the Docker host's address as containers reach it when Docker's
// default bridge (docker0) has its default address: the other hosts' published endpoints
// are reached there. `cxl network up --docker` writes the address docker0 has.
const DefaultHostGateway = "172.17.0.1"

// DockerHost is one machine of a Docker network: an organisation (its CA, peers, chaincode
// servers and gateway service) or one orderer, on a Docker network of its own named after
// it. Its containers reach each other on that network; they reach another host only at
// the ports it publishes on the Docker host, to which their Compose service maps the
// other hosts' names (extra_hosts).
type DockerHost struct {
	// Name is the host's name and the key of its Docker network: the organisation's
	// domain ("org1.example.com") or the orderer's host name ("orderer1.example.com").
	Name string `json:"name"`
	// MSPID is the member the host belongs to.
	MSPID string `json:"mspId"`
	// Services are the Compose services on the host.
	Services []string `json:"services"`
}

// DockerHosts lists the hosts of t under Docker: one per orderer, then one per
// organisation.
func (t Topology) DockerHosts() []DockerHost {
	var hosts []DockerHost
	for _, n := range t.OrdererNodes() {
		hosts = append(hosts, DockerHost{Name: n.Name, MSPID: n.MSPID, Services: []string{n.Name}})
	}
	for _, org := range t.PeerOrgs() {
		h := DockerHost{Name: org.Domain, MSPID: org.MSPID, Services: []string{org.CA.Name}}
		for _, p := range org.PeerNodes {
			h.Services = append(h.Services, p.Name)
		}
		h.Services = append(h.Services, chaincodeService(org), baselineService(org), GatewayService(org))
		hosts = append(hosts, h)
	}
	return hosts
}

// DockerHostOf is the host that runs a Compose service of t.
func (t Topology) DockerHostOf(service string) (DockerHost, bool) {
	for _, h := range t.DockerHosts() {
		if slices.Contains(h.Services, service) {
			return h, true
		}
	}
	return DockerHost{}, false
}

// dialsAcross lists the host names of other hosts' nodes that a service dials, sorted: an
// orderer its fellow orderers (the cluster); a peer every orderer and the other
// organisations' peers (gossip, endorsement); a gateway service the other organisations'
// peers it follows. A CA or a chaincode server dials no other host.
func (t Topology) dialsAcross(service string) []string {
	host, ok := t.DockerHostOf(service)
	if !ok {
		return nil
	}
	node, _, isNode := t.nodeNamed(service)
	gateway := slices.Contains(t.GatewayServices(), service)
	var names []string
	if isNode && node.Kind != "ca" {
		for _, o := range t.OrdererNodes() {
			if o.Name != service {
				names = append(names, o.Name)
			}
		}
	}
	if isNode && node.Kind == "peer" || gateway {
		for _, org := range t.PeerOrgs() {
			if org.Domain == host.Name {
				continue
			}
			for _, p := range org.PeerNodes {
				names = append(names, p.Name)
			}
		}
	}
	slices.Sort(names)
	return names
}

// composeService is one service of the Compose file, in the order its keys are written.
type composeService struct {
	Image       string   `yaml:"image"`
	User        string   `yaml:"user,omitempty"`
	Environment []string `yaml:"environment,omitempty"`
	Ports       []string `yaml:"ports,omitempty"`
	// Networks is the service's host: the one Docker network it is on.
	Networks []string `yaml:"networks"`
	// ExtraHosts maps the other hosts' names the service dials to the Docker host.
	ExtraHosts  []string       `yaml:"extra_hosts,omitempty"`
	Volumes     []string       `yaml:"volumes,omitempty"`
	Healthcheck composeHealth  `yaml:"healthcheck"`
	Logging     composeLogging `yaml:"logging"`
}

// composeHealth is a Docker health check. The images are FROM scratch, so the check runs
// cxledger's static probe, cxl-healthcheck.
type composeHealth struct {
	Test        []string `yaml:"test,flow"`
	Interval    string   `yaml:"interval"`
	Timeout     string   `yaml:"timeout"`
	Retries     int      `yaml:"retries"`
	StartPeriod string   `yaml:"start_period"`
}

type composeLogging struct {
	Driver  string            `yaml:"driver"`
	Options map[string]string `yaml:"options"`
}

// healthcheck probes target with cxl-healthcheck; an https target is verified with the CA
// certificate file ca (in the container).
func healthcheck(target string, ca ...string) composeHealth {
	return composeHealth{
		Test:     append([]string{"CMD", "/usr/local/bin/cxl-healthcheck", target}, ca...),
		Interval: "5s", Timeout: "3s", Retries: 3, StartPeriod: "60s",
	}
}

// Node logs stay bounded: json-file rotates at 10 MB, three files per container.
var boundedLogs = composeLogging{Driver: "json-file", Options: map[string]string{"max-size": "10m", "max-file": "3"}}

const composeHeader = `The cxledger network as Docker Compose services: %d %s orderers, %s,
per organisation one Fabric CA, one chaincode-as-a-service server of cxledger and one of the benchmarks'
baseline chaincode, and one gateway service per organisation, with the ports of the native network
(offset %d).
Each organisation and each orderer runs as if on a machine of its own: a Docker network per host.
Another host's nodes are reached only at what they publish on the Docker host (CXL_HOST_GATEWAY, to
which extra_hosts maps their names): a peer's or an orderer's service port. CAs, chaincode servers,
admin and operations ports are published on 127.0.0.1 for this machine only, or not at all.
Every image is built FROM scratch by ` + "`cxl network images`" + `.

Generated by ` + "`cxl network compose`" + ` from the topology (network/compose.go); do not edit by
hand. ` + "`cxl network up --docker`" + ` generates the crypto material and channel block, writes
$CXL_HOME/compose.env, starts these services, joins the channel and deploys the chaincode;
` + "`cxl gateway up`" + ` writes each member's gateway configuration and starts it. Variables (images,
CXL_HOME, CXL_UID, CXL_GID, CXL_HOST_GATEWAY, the gateways' host ports) default to the values in .env.`

// ComposeFile renders the Docker Compose file that runs topology t as containers: one
// service per orderer and peer (named after its host name, with a ledger volume, its
// cryptogen directory mounted read-only, a health check on its operations endpoint), one
// CA, chaincode server, baseline server and gateway service per organisation, each on the
// Docker network of its host (DockerHosts), with the other hosts' names it dials mapped to
// the Docker host, and each port published at the number it listens on (offset
// included). The node environments come from the same builders as the native network's,
// with Docker addressing.
func ComposeFile(t Topology) ([]byte, error) {
	t = t.WithDefaults()
	t.Runtime = Docker
	if err := t.Validate(); err != nil {
		return nil, err
	}
	vars, err := composeVars(t, rootSettings)
	if err != nil {
		return nil, err
	}
	defaults := map[string]composeVar{}
	for _, v := range vars {
		defaults[v.name] = v
	}
	ref := func(name string) string { return defaults[name].ref() }
	// The environment builders take the log level from the topology; under Compose it is
	// a variable.
	t.LogSpec = ref("CXL_LOG_SPEC")
	home := Home("")
	user := fmt.Sprintf("%d:%s", nodeUID, ref("CXL_GID"))
	ports := func(n Node) []string {
		var ps []string
		for _, p := range publishedPorts(n) {
			ps = append(ps, fmt.Sprintf("127.0.0.1:%d:%d", p.port, p.port))
			if p.wan {
				ps = append(ps, fmt.Sprintf("%s:%d:%d", ref("CXL_HOST_GATEWAY"), p.port, p.port))
			}
		}
		return ps
	}
	// Each service is on its host's network, with the names of the other hosts' nodes it
	// dials mapped to the Docker host.
	placed := func(name string, s composeService) composeService {
		if h, ok := t.DockerHostOf(name); ok {
			s.Networks = []string{h.Name}
		}
		for _, other := range t.dialsAcross(name) {
			s.ExtraHosts = append(s.ExtraHosts, other+":"+ref("CXL_HOST_GATEWAY"))
		}
		return s
	}

	services := &yaml.Node{Kind: yaml.MappingNode}
	volumes := &yaml.Node{Kind: yaml.MappingNode}
	add := func(name string, s composeService) error {
		var v yaml.Node
		if err := v.Encode(placed(name, s)); err != nil {
			return fmt.Errorf("encode service %s: %w", name, err)
		}
		services.Content = append(services.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: name}, &v)
		return nil
	}
	node := func(n Node, image string, env []string, crypto string) error {
		s := composeService{Image: ref(image), User: user, Environment: env, Ports: ports(n), Logging: boundedLogs}
		s.Volumes = []string{
			ref("CXL_HOME") + "/" + filepath.ToSlash(crypto) + ":" + containerCryptoDir + ":ro",
			n.Name + ":" + containerDataDir,
		}
		s.Healthcheck = healthcheck(fmt.Sprintf("http://127.0.0.1:%d/healthz", n.OperationsPort))
		volumes.Content = append(volumes.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: n.Name}, &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle})
		return add(n.Name, s)
	}
	// Each organisation's CA runs as the owner of the state directory: its home (the
	// configuration with the bootstrap secret, the database, its TLS key) and the
	// organisation's root CA key are readable by their owner only. The key pair is mounted
	// read-only where the configuration names it, beside the home.
	for _, org := range t.PeerOrgs() {
		n := org.CA
		s := composeService{
			Image: ref("CXL_CA_IMAGE"), User: ref("CXL_UID") + ":" + ref("CXL_GID"),
			Environment: caEnv(home, t, org),
			Volumes: []string{
				ref("CXL_HOME") + "/" + filepath.ToSlash(home.CAServerDir(org)) + ":" + containerCAHome,
				ref("CXL_HOME") + "/" + filepath.ToSlash(home.caKeyDir(org)) + ":" + containerCAKeys + ":ro",
			},
			Healthcheck: healthcheck(fmt.Sprintf("http://127.0.0.1:%d/healthz", n.OperationsPort)),
			Logging:     boundedLogs,
			Ports:       ports(n),
		}
		if err := add(n.Name, s); err != nil {
			return nil, err
		}
	}
	for _, n := range t.OrdererNodes() {
		if err := node(n, "CXL_ORDERER_IMAGE", ordererEnv(home, t, n), home.OrdererDir(n)); err != nil {
			return nil, err
		}
	}
	for _, org := range t.PeerOrgs() {
		for _, n := range org.PeerNodes {
			if err := node(n, "CXL_PEER_IMAGE", peerEnv(home, t, org, n), home.PeerDir(n)); err != nil {
				return nil, err
			}
		}
	}
	for _, org := range t.PeerOrgs() {
		name := chaincodeService(org)
		listen, _ := t.chaincodeServer(org, 0)
		probe := "tcp://" + strings.Replace(listen, "0.0.0.0", "127.0.0.1", 1)
		s := composeService{
			Image: ref("CXL_CHAINCODE_IMAGE"),
			Environment: []string{
				"CHAINCODE_ID=" + ref("CXL_"+envName(name)+"_ID"),
				"CHAINCODE_SERVER_ADDRESS=" + listen,
				"CXL_CHAINCODE_VERSION=" + ref("CXL_CHAINCODE_VERSION"),
			},
			Healthcheck: healthcheck(probe),
			Logging:     boundedLogs,
		}
		if err := add(name, s); err != nil {
			return nil, err
		}
	}
	for _, org := range t.PeerOrgs() {
		name := baselineService(org)
		listen, _ := t.baselineServer(org)
		probe := "tcp://" + strings.Replace(listen, "0.0.0.0", "127.0.0.1", 1)
		s := composeService{
			Image: ref("CXL_CHAINCODE_IMAGE"),
			Environment: []string{
				"CHAINCODE_ID=" + ref("CXL_"+envName(name)+"_ID"),
				"CHAINCODE_SERVER_ADDRESS=" + listen,
				"CXL_CHAINCODE=baseline",
			},
			Healthcheck: healthcheck(probe),
			Logging:     boundedLogs,
		}
		if err := add(name, s); err != nil {
			return nil, err
		}
	}

	// Each member's gateway signs with its own organisation's client keys, which stay
	// readable by their owner only: it runs as the owner of the state directory. It always
	// listens beyond the container's loopback, so it serves HTTPS; the probe verifies it
	// with the organisation's TLS root.
	for _, org := range t.PeerOrgs() {
		gateway := composeService{
			Image: ref("CXL_GATEWAY_IMAGE"), User: ref("CXL_UID") + ":" + ref("CXL_GID"),
			Ports: []string{fmt.Sprintf("127.0.0.1:%s:%d", ref(gatewayPortVar(org)), GatewayPort)},
			Healthcheck: healthcheck(fmt.Sprintf("https://localhost:%d/readyz", GatewayPort),
				GatewayContainerTLSRoots+"/"+org.Domain+".pem"),
			Logging: boundedLogs,
		}
		for _, m := range t.GatewayMounts(org) {
			v := ref("CXL_HOME") + "/" + m.Host + ":" + m.Container
			if m.ReadOnly {
				v += ":ro"
			}
			gateway.Volumes = append(gateway.Volumes, v)
		}
		if err := add(GatewayService(org), gateway); err != nil {
			return nil, err
		}
	}

	var orgs []string
	for _, org := range t.PeerOrgs() {
		orgs = append(orgs, fmt.Sprintf("%s (%d peer%s)", org.Name, org.Peers, map[bool]string{true: "s"}[org.Peers > 1]))
	}
	doc := &yaml.Node{Kind: yaml.MappingNode, HeadComment: commentLines(fmt.Sprintf(composeHeader, t.Orderers, consensusName(t.Consensus), strings.Join(orgs, ", "), t.PortOffset))}
	networks := &yaml.Node{Kind: yaml.MappingNode}
	for _, h := range t.DockerHosts() {
		networks.Content = append(networks.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: h.Name}, &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle})
	}
	doc.Content = []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "services"}, services,
		{Kind: yaml.ScalarNode, Value: "networks", HeadComment: "# One network per host: each organisation's and each orderer's containers reach each other there,\n# and another host only at the ports it publishes on CXL_HOST_GATEWAY."}, networks,
		{Kind: yaml.ScalarNode, Value: "volumes", HeadComment: "# Ledgers and Raft logs: `cxl network down` keeps them, `down --purge` (docker-compose down -v) removes them."}, volumes,
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{doc}}); err != nil {
		return nil, fmt.Errorf("encode compose file: %w", err)
	}
	return buf.Bytes(), nil
}

// HyperledgerOverride renders docker-compose.hyperledger.yaml for topology t: layered over
// ComposeFile(t), it runs the orderers and peers on the official hyperledger/fabric-orderer
// and hyperledger/fabric-peer images (tag CXL_FABRIC_TAG, default 3.1.1) for machines that
// can pull them. Those images run as root and carry neither cxledger's external builder nor
// its health probe, so both static binaries are mounted from $CXL_HOME/bin.
func HyperledgerOverride(t Topology) ([]byte, error) {
	t = t.WithDefaults()
	if err := t.Validate(); err != nil {
		return nil, err
	}
	bin := "${CXL_HOME:-./.cxl}/bin/"
	probe := bin + "cxl-healthcheck:/usr/local/bin/cxl-healthcheck:ro"
	type service struct {
		Image   string   `yaml:"image"`
		User    string   `yaml:"user"`
		Volumes []string `yaml:"volumes"`
	}
	services := &yaml.Node{Kind: yaml.MappingNode}
	add := func(name string, s service) error {
		var v yaml.Node
		if err := v.Encode(s); err != nil {
			return fmt.Errorf("encode service %s: %w", name, err)
		}
		services.Content = append(services.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: name}, &v)
		return nil
	}
	for _, n := range t.OrdererNodes() {
		if err := add(n.Name, service{Image: "hyperledger/fabric-orderer:${CXL_FABRIC_TAG:-" + FabricVersion + "}", User: "0:0", Volumes: []string{probe}}); err != nil {
			return nil, err
		}
	}
	for _, org := range t.PeerOrgs() {
		for _, n := range org.PeerNodes {
			volumes := []string{probe}
			for _, step := range []string{"detect", "build", "release"} {
				volumes = append(volumes, bin+"ccaas-builder:"+containerBuilderDir+"/bin/"+step+":ro")
			}
			if err := add(n.Name, service{Image: "hyperledger/fabric-peer:${CXL_FABRIC_TAG:-" + FabricVersion + "}", User: "0:0", Volumes: volumes}); err != nil {
				return nil, err
			}
		}
	}
	doc := &yaml.Node{Kind: yaml.MappingNode, HeadComment: commentLines(`Runs the orderers and peers of docker-compose.yaml on the official Hyperledger Fabric images
instead of the FROM-scratch ones ` + "`cxl network images`" + ` builds, for machines that can pull
from Docker Hub (the CAs and chaincode servers keep cxledger's images):

  cxl network up --docker --compose-override docker-compose.hyperledger.yaml

The official images run as root and carry neither cxledger's chaincode-as-a-service builder
nor its health probe: both static binaries are mounted from $CXL_HOME/bin. Generated by
` + "`cxl network compose`" + ` (network/compose.go).`)}
	doc.Content = []*yaml.Node{{Kind: yaml.ScalarNode, Value: "services"}, services}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{doc}}); err != nil {
		return nil, fmt.Errorf("encode compose override: %w", err)
	}
	return buf.Bytes(), nil
}

// consensusName is how the Compose file's header names the ordering service's consensus.
func consensusName(c Consensus) string {
	if c == BFT {
		return "SmartBFT"
	}
	return "Raft"
}

func commentLines(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight("# "+l, " ")
	}
	return strings.Join(lines, "\n")
}

// ComposeEnv renders the .env file of the default network at the root of the repository:
// every variable of ComposeFile(t) with its default, the state directory as ./.cxl and
// CXL_GID 0. `cxl network up --docker` writes the same variables, with the real values, to
// $CXL_HOME/compose.env.
func ComposeEnv(t Topology) ([]byte, error) {
	t = t.WithDefaults()
	t.Runtime = Docker
	vars, err := composeVars(t, rootSettings)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(`# Variables of docker-compose.yaml, for running it by hand at the repository root.
# Generated by ` + "`cxl network compose`" + `; ` + "`cxl network up --docker`" + ` ignores this file and writes
# $CXL_HOME/compose.env from the topology and --port-offset instead.
# CXL_GID must be the group of the files under CXL_HOME (` + "`id -g`" + `): the nodes run as user
# 10001 in that group and read their keys through it. CXL_UID is their owner (` + "`id -u`" + `): the
# gateway services run as that user, to sign with the client keys only their owner reads.
COMPOSE_PROJECT_NAME=cxledger
`)
	writeVars(&buf, vars)
	return buf.Bytes(), nil
}

// rootSettings are the variables' defaults: the repository's own state directory, group 0,
// chaincode version 1, the Docker host at docker0's default address.
var rootSettings = composeSettings{home: "./.cxl", chaincodeVersion: "1", hostGateway: DefaultHostGateway}

func writeVars(buf *bytes.Buffer, vars []composeVar) {
	for _, v := range vars {
		fmt.Fprintf(buf, "%s=%s\n", v.name, v.value)
	}
}

// composeEnvFile is where `cxl network up --docker` records the Compose project of the
// network in home: project name, Compose file and every variable.
func (h Home) composeEnvFile() string { return h.Path("compose.env") }

// composeProject is the Docker Compose side of a network: its project name, the Compose
// files it runs (the network's, then any overrides), and the env file holding its
// variables.
type composeProject struct {
	name    string
	files   []string
	envFile string
}

// fileArgs are the --file arguments that select the project's Compose files.
func (p composeProject) fileArgs() []string {
	var args []string
	for _, f := range p.files {
		args = append(args, "--file", f)
	}
	return args
}

var projectChars = regexp.MustCompile(`[^a-z0-9]+`)

// ComposeProjectName is the Compose project name of the network in home: "cxledger" for the
// repository's own state directory (.cxl), else a name derived from the directory, so two
// state directories never share containers.
func ComposeProjectName(repo string, home Home) string {
	abs, err := filepath.Abs(string(home))
	if err != nil {
		abs = string(home)
	}
	if repo != "" && abs == filepath.Join(repo, ".cxl") {
		return "cxledger"
	}
	sum := sha256.Sum256([]byte(abs))
	base := strings.Trim(projectChars.ReplaceAllString(strings.ToLower(filepath.Base(abs)), "-"), "-")
	return "cxledger-" + base + "-" + hex.EncodeToString(sum[:3])
}

// writeCompose makes the Compose side of a Docker network: it uses the repository's
// docker-compose.yaml when that file describes t, else writes one for t into the state
// directory, layers the override files over it, and writes compose.env with the network's
// variables.
func writeCompose(repo string, home Home, t Topology, chaincodeVersion string, overrides []string) (composeProject, error) {
	rendered, err := ComposeFile(t)
	if err != nil {
		return composeProject{}, err
	}
	abs, err := filepath.Abs(string(home))
	if err != nil {
		return composeProject{}, fmt.Errorf("resolve %s: %w", home, err)
	}
	p := composeProject{name: ComposeProjectName(repo, home), envFile: Home(abs).composeEnvFile()}
	root := filepath.Join(repo, "docker-compose.yaml")
	if data, err := os.ReadFile(root); repo != "" && err == nil && bytes.Equal(data, rendered) {
		p.files = []string{root}
	} else {
		p.files = []string{filepath.Join(abs, "docker-compose.yaml")}
		if err := os.WriteFile(p.files[0], rendered, 0o644); err != nil {
			return composeProject{}, fmt.Errorf("write compose file: %w", err)
		}
	}
	for _, o := range overrides {
		f, err := filepath.Abs(o)
		if err != nil {
			return composeProject{}, fmt.Errorf("resolve %s: %w", o, err)
		}
		if _, err := os.Stat(f); err != nil {
			return composeProject{}, fmt.Errorf("compose override: %w", err)
		}
		p.files = append(p.files, f)
	}
	return p, writeComposeEnv(home, t, p, chaincodeVersion)
}

// writeComposeEnv writes compose.env: the project, its Compose file, and every variable of
// the file with the values of the network in home, the chaincode servers reporting
// chaincodeVersion.
func writeComposeEnv(home Home, t Topology, p composeProject, chaincodeVersion string) error {
	abs, err := filepath.Abs(string(home))
	if err != nil {
		return fmt.Errorf("resolve %s: %w", home, err)
	}
	uid, gid, err := fileOwner(home.Crypto())
	if err != nil {
		return err
	}
	gateway, err := hostGateway()
	if err != nil {
		return err
	}
	vars, err := composeVars(t, composeSettings{home: abs, uid: uid, gid: gid, chaincodeVersion: chaincodeVersion, hostGateway: gateway})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# The Compose project of the cxledger network in %s; written by `cxl network up`.\n", abs)
	writeVars(&buf, []composeVar{{"COMPOSE_PROJECT_NAME", p.name}, {"COMPOSE_FILE", strings.Join(p.files, string(os.PathListSeparator))}})
	writeVars(&buf, vars)
	if err := os.WriteFile(p.envFile, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", p.envFile, err)
	}
	return nil
}

// loadCompose reads the Compose project recorded in home's compose.env.
func loadCompose(home Home) (composeProject, error) {
	abs, err := filepath.Abs(string(home))
	if err != nil {
		return composeProject{}, fmt.Errorf("resolve %s: %w", home, err)
	}
	p := composeProject{envFile: Home(abs).composeEnvFile()}
	data, err := os.ReadFile(p.envFile)
	if errors.Is(err, fs.ErrNotExist) {
		return composeProject{}, fmt.Errorf("no Docker network in %s (no compose.env): run `cxl network up --docker`", home)
	}
	if err != nil {
		return composeProject{}, fmt.Errorf("read compose env: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "COMPOSE_PROJECT_NAME="); ok {
			p.name = v
		}
		if v, ok := strings.CutPrefix(line, "COMPOSE_FILE="); ok && v != "" {
			p.files = strings.Split(v, string(os.PathListSeparator))
		}
	}
	if p.name == "" || len(p.files) == 0 {
		return composeProject{}, fmt.Errorf("%s names no project or compose file", p.envFile)
	}
	return p, nil
}

// fileOwner is the user and group that own path.
func fileOwner(path string) (uid, gid int, err error) {
	info, err := os.Stat(path)
	if err != nil {
		return 0, 0, fmt.Errorf("stat %s: %w", path, err)
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return os.Geteuid(), os.Getegid(), nil
	}
	return int(st.Uid), int(st.Gid), nil
}
