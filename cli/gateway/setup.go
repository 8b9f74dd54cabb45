package gateway

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/network"
)

// legacyProcess is the supervisor's name of the single gateway service of every
// organisation that earlier versions ran; `cxl gateway down` still stops it.
const legacyProcess = "cxl-gateway"

// member is one organisation's gateway service: the organisation as the topology and the
// profile describe it, and its state directory $CXL_HOME/gateway/<org lower-case>.
type member struct {
	org  network.Org
	prof network.OrgProfile
	dir  string
}

// name is the member's name in paths and principals' prefixes: "org1".
func (m member) name() string { return network.GatewayName(m.org) }

// process is the supervisor's name of the member's native service: run/<process>.pid,
// logs/<process>.log.
func (m member) process() string { return "cxl-gateway-" + m.name() }

func (m member) config() string  { return filepath.Join(m.dir, "gateway.yaml") }
func (m member) store() string   { return filepath.Join(m.dir, "gateway.db") }
func (m member) keys() string    { return filepath.Join(m.dir, "api-keys.json") }
func (m member) tlsDir() string  { return filepath.Join(m.dir, "tls") }
func (m member) tlsCert() string { return filepath.Join(m.tlsDir(), "cert.pem") }
func (m member) tlsKey() string  { return filepath.Join(m.tlsDir(), "key.pem") }

// tlsRoot is the organisation's TLS CA certificate, which verifies the service's HTTPS.
func (m member) tlsRoot(home network.Home) string { return home.TLSRootCert(m.org) }

// members lists the gateway services of the network of topo and prof in home: every peer
// organisation's, or only the one named by only (its name or MSP ID, any case).
func members(home network.Home, topo network.Topology, prof *network.Profile, only string) ([]member, error) {
	var all []member
	var names []string
	for _, org := range topo.PeerOrgs() {
		names = append(names, org.Name)
		if only != "" && !strings.EqualFold(only, org.Name) && !strings.EqualFold(only, org.MSPID) {
			continue
		}
		m := member{org: org, dir: home.Path("gateway", network.GatewayName(org))}
		found := false
		for _, o := range prof.Orgs {
			if o.MSPID == org.MSPID {
				m.prof, found = o, true
			}
		}
		if !found {
			return nil, fmt.Errorf("organisation %s is in the topology of %s but not in its network.json", org.MSPID, home)
		}
		all = append(all, m)
	}
	if len(all) == 0 {
		return nil, cmdutil.NotFoundErrorf("no organisation %q in the network in %s (organisations: %s)", only, home, strings.Join(names, ", "))
	}
	return all, nil
}

// APIKey is a demo API key and the principal and Fabric identity it stands for.
type APIKey struct {
	Principal string `json:"principal"`
	MSPID     string `json:"mspId"`
	User      string `json:"user"`
	Key       string `json:"key"`
}

// identityName names an organisation's user as a principal and identity: org1-user1.
func identityName(mspID, user string) string {
	return strings.ToLower(strings.TrimSuffix(mspID, "MSP") + "-" + user)
}

// NewKey returns a random API key, as `cxl gateway up` makes them.
func NewKey() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate API key: %w", err)
	}
	return "cxl_" + base64.RawURLEncoding.EncodeToString(b), nil
}

// loadOrCreateKeys returns the demo API keys of m's service, one per identity of its
// organisation, creating the missing ones. created reports whether any key is new (it is
// shown once, when it is made). The file is readable by its owner only.
func loadOrCreateKeys(m member) (keys []APIKey, created bool, err error) {
	existing := map[string]APIKey{}
	data, err := os.ReadFile(m.keys())
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, false, fmt.Errorf("read API keys: %w", err)
	default:
		var list []APIKey
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, false, fmt.Errorf("parse %s: %w", m.keys(), err)
		}
		for _, k := range list {
			existing[k.Principal] = k
		}
	}
	users := make([]string, 0, len(m.prof.Users))
	for u := range m.prof.Users {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, u := range users {
		name := identityName(m.prof.MSPID, u)
		k, ok := existing[name]
		if !ok || k.MSPID != m.prof.MSPID {
			key, err := NewKey()
			if err != nil {
				return nil, false, err
			}
			k, created = APIKey{Principal: name, MSPID: m.prof.MSPID, User: u, Key: key}, true
		}
		keys = append(keys, k)
	}
	if !created && len(keys) == len(existing) {
		return keys, false, nil
	}
	if err := os.MkdirAll(m.dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("create %s: %w", m.dir, err)
	}
	out, err := json.MarshalIndent(keys, "", "  ")
	if err != nil {
		return nil, false, fmt.Errorf("encode API keys: %w", err)
	}
	if err := os.WriteFile(m.keys(), out, 0o600); err != nil {
		return nil, false, fmt.Errorf("write API keys: %w", err)
	}
	return keys, created, nil
}

// site is where a member's service runs and how it sees the network: natively, as a
// process of this machine reaching the peers at their published addresses and the files
// where they are; under Docker, as the member's gateway container of the network's Compose
// project, reaching the peers by their names in the project's network and the files under
// its mounts.
type site struct {
	runtime network.Runtime
	// listen is the address the service listens on (in its container under Docker); url
	// is where this machine reaches it.
	listen, url string
	// store is the service's store file as it sees it.
	store string
	// tls is the service's certificate and key as it sees them; nil serves plain HTTP.
	tls *config.TLS
	// file maps a file of the state directory to the service's view; it fails for a file
	// the service cannot see.
	file func(path string) (string, error)
	// peer maps a peer of the profile to the address the service dials.
	peer func(network.EndpointInfo) string
	// caURL is where the service reaches its organisation's CA under Docker (natively,
	// the profile's address).
	caURL string
}

// nativeSite runs m's service as a process listening on listen ("": unknown): with TLS
// when listen is beyond the loopback interface.
func nativeSite(m member, listen string) site {
	s := site{runtime: network.Native, listen: listen, store: m.store(),
		file: func(p string) (string, error) { return p, nil }, peer: func(p network.EndpointInfo) string { return p.Address }}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return s
	}
	if config.Loopback(host) {
		s.url = "http://" + listen
		return s
	}
	s.tls = &config.TLS{Cert: m.tlsCert(), Key: m.tlsKey()}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	s.url = "https://" + net.JoinHostPort(host, port)
	return s
}

// dockerSite runs m's service as its gateway container of the Docker network t in home:
// listening on the gateway port in the container with TLS, published on the loopback at
// the member's port, with only the mounts network.GatewayMounts lists.
func dockerSite(home network.Home, t network.Topology, m member) site {
	endpoints := map[string]string{}
	for _, n := range t.Nodes() {
		endpoints[n.Name] = t.Endpoint(n)
	}
	mounts := t.GatewayMounts(m.org)
	return site{
		runtime: network.Docker,
		listen:  fmt.Sprintf("0.0.0.0:%d", network.GatewayPort),
		url:     fmt.Sprintf("https://127.0.0.1:%d", t.GatewayHostPort(m.org)),
		store:   network.GatewayContainerDir + "/gateway.db",
		tls:     &config.TLS{Cert: network.GatewayContainerDir + "/tls/cert.pem", Key: network.GatewayContainerDir + "/tls/key.pem"},
		file: func(p string) (string, error) {
			for _, mt := range mounts {
				rel, err := filepath.Rel(home.Path(filepath.FromSlash(mt.Host)), p)
				if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
					return path.Join(mt.Container, filepath.ToSlash(rel)), nil
				}
			}
			return "", fmt.Errorf("%s is not mounted in the gateway container of %s", p, m.org.Name)
		},
		peer:  func(p network.EndpointInfo) string { return endpoints[p.Name] },
		caURL: t.CAEndpoint(m.org),
	}
}

// onHost is the site as this machine sees it: the configuration built for it names the
// files where they are here, so that it can be checked here.
func (s site) onHost(m member) site {
	h := nativeSite(m, s.listen)
	h.runtime, h.caURL = s.runtime, s.caURL
	if s.tls != nil {
		h.tls = &config.TLS{Cert: m.tlsCert(), Key: m.tlsKey()}
	}
	return h
}

// buildConfig is m's service's configuration, run at s: its own organisation's peers as
// gateway peers (a member trusts its own nodes), the other organisations' peers as peers it
// only follows to answer once they have a commit too (config.SettlePeers), its own
// organisation's users as its only identities, one principal per API key, its own User1 for
// public queries, its TLS certificate when s has one, and the CXL_GATEWAY_* settings of
// getenv except the address and the store, which s decides. Only the hashes of the keys
// are in it.
func buildConfig(s site, m member, prof *network.Profile, keys []APIKey, getenv func(string) string) (*config.Config, error) {
	cfg := config.Defaults()
	if err := cfg.ApplyEnv(getenv); err != nil {
		return nil, err
	}
	cfg.Listen, cfg.Channel, cfg.Chaincode, cfg.Store, cfg.TLS = s.listen, prof.Channel, prof.Chaincode, s.store, s.tls
	var errs []error
	file := func(p string) string {
		f, err := s.file(p)
		errs = append(errs, err)
		return f
	}
	for _, org := range prof.Orgs {
		for _, p := range org.Peers {
			peer := config.Peer{Address: s.peer(p), TLSRootCert: file(p.TLSRootCert)}
			if org.MSPID == m.prof.MSPID {
				cfg.Peers = append(cfg.Peers, peer)
			} else {
				cfg.SettlePeers = append(cfg.SettlePeers, peer)
			}
		}
	}
	cfg.Identities = map[string]config.Identity{}
	for u, id := range m.prof.Users {
		cfg.Identities[identityName(m.prof.MSPID, u)] = config.Identity{MSPID: m.prof.MSPID, Cert: file(id.Cert), Key: file(id.Key)}
	}
	cust, err := customers(s, m)
	if err != nil {
		return nil, err
	}
	cfg.Customers = cust
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.User == "User1" {
			cfg.PublicIdentity = k.Principal
		}
		h := config.HashKey(k.Key)
		cfg.Principals = append(cfg.Principals, config.Principal{Name: k.Principal, KeySHA256: hex.EncodeToString(h[:]), Identity: k.Principal})
	}
	return &cfg, nil
}
