package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// Paths of generated material, relative to the layout cryptogen writes.

// OrdererDir is the directory cryptogen writes for an orderer node.
func (h Home) OrdererDir(n Node) string {
	return h.Path("crypto", "ordererOrganizations", n.OrgDomain, "orderers", n.Name)
}

// PeerDir is the directory cryptogen writes for a peer node.
func (h Home) PeerDir(n Node) string {
	return h.Path("crypto", "peerOrganizations", n.OrgDomain, "peers", n.Name)
}

// OrgDir is the organisation directory cryptogen writes for a peer organisation.
func (h Home) OrgDir(org Org) string {
	return h.Path("crypto", "peerOrganizations", org.Domain)
}

// OrdererOrgDir is the organisation directory of the orderer organisation.
func (h Home) OrdererOrgDir() string {
	return h.Path("crypto", "ordererOrganizations", domain)
}

// UserMSP is the MSP directory of a user of a peer organisation ("Admin", "User1", ...).
func (h Home) UserMSP(org Org, user string) string {
	return filepath.Join(h.OrgDir(org), "users", user+"@"+org.Domain, "msp")
}

// TLSRootCert is the TLS CA certificate of a peer organisation.
func (h Home) TLSRootCert(org Org) string {
	return filepath.Join(h.OrgDir(org), "tlsca", "tlsca."+org.Domain+"-cert.pem")
}

// OrdererTLSRootCert is the TLS CA certificate of the orderer organisation.
func (h Home) OrdererTLSRootCert() string {
	return filepath.Join(h.OrdererOrgDir(), "tlsca", "tlsca."+domain+"-cert.pem")
}

// GenesisBlock is the channel's genesis block.
func (h Home) GenesisBlock(t Topology) string { return h.Path("channel", t.Channel+".block") }

// The cryptogen configurations: one per organisation, so each member makes its own material
// and no run holds two members' keys. A peer organisation gets its CA and TLS CA, its
// peers, and only the Admin cryptogen always makes (Users: 0), which the organisation's
// Fabric CA replaces with an enrolled one (enrolIdentities).
const ordererCryptoTemplate = `OrdererOrgs:
  - Name: Orderer
    Domain: {{.Domain}}
    EnableNodeOUs: true
    Specs:
{{- range .Orderers}}
      - Hostname: {{hostname .}}
        SANS: [localhost, 127.0.0.1{{with .Host}}, {{.}}{{end}}]
{{- end}}
    Users:
      Count: 0
`

const peerOrgCryptoTemplate = `PeerOrgs:
  - Name: {{.Org.Name}}
    Domain: {{.Org.Domain}}
    EnableNodeOUs: true
    Template:
      Count: {{.Org.Peers}}
      SANS: [localhost, 127.0.0.1{{with .Org.CA.Host}}, {{.}}{{end}}]
    Users:
      Count: 0
`

const configtxTemplate = `Organizations:
  - &OrdererOrg
    Name: OrdererMSP
    ID: OrdererMSP
    MSPDir: {{.OrdererOrgDir}}/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('OrdererMSP.member')"}
      Writers: {Type: Signature, Rule: "OR('OrdererMSP.member')"}
      Admins: {Type: Signature, Rule: "OR('OrdererMSP.admin')"}
    OrdererEndpoints:
{{- range .Orderers}}
      - {{endpoint .}}
{{- end}}
{{- range .Orgs}}
  - &{{.MSPID}}
    Name: {{.MSPID}}
    ID: {{.MSPID}}
    MSPDir: {{orgdir .}}/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('{{.MSPID}}.admin', '{{.MSPID}}.peer', '{{.MSPID}}.client')"}
      Writers: {Type: Signature, Rule: "OR('{{.MSPID}}.admin', '{{.MSPID}}.client')"}
      Admins: {Type: Signature, Rule: "OR('{{.MSPID}}.admin')"}
      Endorsement: {Type: Signature, Rule: "OR('{{.MSPID}}.peer')"}
    AnchorPeers:
{{- range .PeerNodes}}
      - Host: {{host .}}
        Port: {{port .}}
{{- end}}
{{- end}}

Profiles:
  Channel:
    Policies:
      Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
      Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
      Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
    Capabilities:
      V3_0: true
    Orderer:
      OrdererType: {{.OrdererType}}
      BatchTimeout: {{.BatchTimeout}}
      BatchSize:
        MaxMessageCount: {{.MaxMessageCount}}
        AbsoluteMaxBytes: 99 MB
        PreferredMaxBytes: 2 MB
{{- if .BFT}}
      # SmartBFT: one consenter per orderer, each named by its ID, endpoint, MSP, signing
      # identity (blocks carry a quorum's signatures) and TLS certificates.
      ConsenterMapping:
{{- range $i, $o := .Orderers}}
        - ID: {{inc $i}}
          Host: {{host $o}}
          Port: {{port $o}}
          MSPID: {{$o.MSPID}}
          Identity: {{ordererdir $o}}/msp/signcerts/{{$o.Name}}-cert.pem
          ClientTLSCert: {{ordererdir $o}}/tls/server.crt
          ServerTLSCert: {{ordererdir $o}}/tls/server.crt
{{- end}}
      # RequestBatchMaxCount and RequestBatchMaxBytes follow BatchSize; the batch interval is
      # the batch timeout. A follower forwards a request to the leader after 2 s and
      # complains after 10 s; the leader sends a heartbeat every second and is replaced when
      # 10 s pass without one, so a dead or cut-off leader stops the channel for ~10-20 s.
      SmartBFT:
        RequestBatchMaxCount: {{.MaxMessageCount}}
        RequestBatchMaxBytes: 103809024
        RequestBatchMaxInterval: {{.BatchTimeout}}
        IncomingMessageBufferSize: 1000
        RequestPoolSize: 100000
        RequestForwardTimeout: 2s
        RequestComplainTimeout: 10s
        RequestAutoRemoveTimeout: 3m
        ViewChangeResendInterval: 5s
        ViewChangeTimeout: 20s
        LeaderHeartbeatTimeout: 10s
        LeaderHeartbeatCount: 10
        CollectTimeout: 1s
        SyncOnStart: false
        SpeedUpViewChange: false
{{- else}}
      EtcdRaft:
        Consenters:
{{- range .Orderers}}
          - Host: {{host .}}
            Port: {{port .}}
            ClientTLSCert: {{ordererdir .}}/tls/server.crt
            ServerTLSCert: {{ordererdir .}}/tls/server.crt
{{- end}}
        Options:
          TickInterval: 500ms
          ElectionTick: 10
          HeartbeatTick: 1
          MaxInflightBlocks: 5
          SnapshotIntervalSize: 16 MB
{{- end}}
      Organizations:
        - *OrdererOrg
      Policies:
        Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
        Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
        Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
        BlockValidation: {Type: ImplicitMeta, Rule: "ANY Writers"}
      Capabilities:
        V2_0: true
    Application:
      Organizations:
{{- range .Orgs}}
        - *{{.MSPID}}
{{- end}}
      Policies:
        Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
        Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
        Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
        LifecycleEndorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
        Endorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
      Capabilities:
        V2_5: true
`

// Generate writes crypto material (cryptogen run once per organisation, NodeOUs on, the
// node's host name, localhost, 127.0.0.1 and, on a NetNS network, its host's address in
// the TLS SANs) and the channel genesis block
// (configtxgen) for the topology, with the orderer endpoints, consenters and anchor peers
// addressed the way the topology's runtime connects nodes. The nodes' identities come from
// cryptogen because the genesis block names them before any CA runs; people's identities
// come from each organisation's CA later. It does nothing for material that already exists,
// so a restarted network keeps its identities.
func Generate(ctx context.Context, home Home, t Topology) error {
	if _, err := os.Stat(home.GenesisBlock(t)); err == nil {
		return nil
	}
	cryptoConfigs, err := renderConfigs(home, t)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(home.Crypto()); err != nil {
		return fmt.Errorf("clear old crypto material: %w", err)
	}
	errs := make(chan error, len(cryptoConfigs))
	for _, cfg := range cryptoConfigs {
		go func() {
			errs <- runTool(ctx, home, "cryptogen", nil, "generate", "--config", cfg, "--output", home.Crypto())
		}()
	}
	var all []error
	for range cryptoConfigs {
		all = append(all, <-errs)
	}
	if err := errors.Join(all...); err != nil {
		return err
	}
	if t.Runtime == Docker {
		if err := shareNodeKeys(home, t); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(home.GenesisBlock(t)), 0o755); err != nil {
		return fmt.Errorf("create channel dir: %w", err)
	}
	return runTool(ctx, home, "configtxgen", nil, "-configPath", home.Path("config"), "-profile", "Channel",
		"-channelID", t.Channel, "-outputBlock", home.GenesisBlock(t))
}

// renderConfigs writes the cryptogen configurations (crypto-config-orderer.yaml and one
// crypto-config-<org>.yaml per peer organisation) and configtx.yaml for the topology into
// the config directory and returns the paths of the cryptogen configurations.
func renderConfigs(home Home, t Topology) ([]string, error) {
	cfgDir := home.Path("config")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		return nil, fmt.Errorf("create config dir: %w", err)
	}
	funcs := template.FuncMap{
		"hostname":   func(n Node) string { return n.Name[:len(n.Name)-len(n.OrgDomain)-1] },
		"orgdir":     func(o Org) string { return home.OrgDir(o) },
		"ordererdir": func(n Node) string { return home.OrdererDir(n) },
		"endpoint":   t.Endpoint,
		"host":       func(n Node) string { h, _ := t.hostPort(n.Name, n.Port); return h },
		"port":       func(n Node) int { _, p := t.hostPort(n.Name, n.Port); return p },
		"inc":        func(i int) int { return i + 1 },
	}
	data := map[string]any{
		"Domain":          domain,
		"Orderers":        t.OrdererNodes(),
		"Orgs":            t.PeerOrgs(),
		"OrdererOrgDir":   home.OrdererOrgDir(),
		"BatchTimeout":    t.BatchTimeout.String(),
		"MaxMessageCount": t.MaxMessageCount,
		"OrdererType":     t.Consensus.ordererType(),
		"BFT":             t.Consensus == BFT,
	}
	cryptoConfigs := []string{filepath.Join(cfgDir, "crypto-config-orderer.yaml")}
	if err := renderFile(cryptoConfigs[0], ordererCryptoTemplate, funcs, data); err != nil {
		return nil, err
	}
	for _, org := range t.PeerOrgs() {
		path := filepath.Join(cfgDir, "crypto-config-"+strings.ToLower(org.Name)+".yaml")
		if err := renderFile(path, peerOrgCryptoTemplate, funcs, map[string]any{"Org": org}); err != nil {
			return nil, err
		}
		cryptoConfigs = append(cryptoConfigs, path)
	}
	if err := renderFile(filepath.Join(cfgDir, "configtx.yaml"), configtxTemplate, funcs, data); err != nil {
		return nil, err
	}
	return cryptoConfigs, nil
}

func renderFile(path, text string, funcs template.FuncMap, data any) error {
	tmpl, err := template.New(filepath.Base(path)).Funcs(funcs).Option("missingkey=error").Parse(text)
	if err != nil {
		return fmt.Errorf("parse template for %s: %w", path, err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return fmt.Errorf("render %s: %w", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// shareNodeKeys makes the private keys of every orderer and peer readable by their group
// (cryptogen writes them 0600). Under Docker a node runs as an unprivileged user whose group
// is the group of the state directory's owner (CXL_GID), and reads its directory through a
// read-only bind mount. Client identities (users, admins) stay readable by their owner only.
func shareNodeKeys(home Home, t Topology) error {
	var dirs []string
	for _, n := range t.OrdererNodes() {
		dirs = append(dirs, home.OrdererDir(n))
	}
	for _, org := range t.PeerOrgs() {
		for _, n := range org.PeerNodes {
			dirs = append(dirs, home.PeerDir(n))
		}
	}
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if mode := info.Mode().Perm(); mode&0o040 == 0 {
				return os.Chmod(p, mode|0o040)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("share node keys in %s: %w", dir, err)
		}
	}
	return nil
}
