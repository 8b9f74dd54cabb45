package gateway

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/network"
)

// processName is the supervisor's name of the service: run/cxl-gateway.pid,
// logs/cxl-gateway.log.
const processName = "cxl-gateway"

// files are where the service's state lives in a state directory.
type files struct {
	dir string
}

func filesOf(home network.Home) files { return files{dir: home.Path("gateway")} }

func (f files) config() string { return filepath.Join(f.dir, "gateway.yaml") }
func (f files) store() string  { return filepath.Join(f.dir, "gateway.db") }
func (f files) keys() string   { return filepath.Join(f.dir, "api-keys.json") }

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

// loadOrCreateKeys returns the demo API keys of the state directory, one per identity of
// the profile, creating the missing ones. created reports whether any key is new (it is
// shown once, when it is made). The file is readable by its owner only.
func loadOrCreateKeys(f files, prof *network.Profile) (keys []APIKey, created bool, err error) {
	existing := map[string]APIKey{}
	data, err := os.ReadFile(f.keys())
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, false, fmt.Errorf("read API keys: %w", err)
	default:
		var list []APIKey
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, false, fmt.Errorf("parse %s: %w", f.keys(), err)
		}
		for _, k := range list {
			existing[k.Principal] = k
		}
	}
	for _, org := range prof.Orgs {
		users := make([]string, 0, len(org.Users))
		for u := range org.Users {
			users = append(users, u)
		}
		sort.Strings(users)
		for _, u := range users {
			name := identityName(org.MSPID, u)
			k, ok := existing[name]
			if !ok {
				key, err := NewKey()
				if err != nil {
					return nil, false, err
				}
				k, created = APIKey{Principal: name, MSPID: org.MSPID, User: u, Key: key}, true
			}
			keys = append(keys, k)
		}
	}
	if !created {
		return keys, false, nil
	}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("create %s: %w", f.dir, err)
	}
	out, err := json.MarshalIndent(keys, "", "  ")
	if err != nil {
		return nil, false, fmt.Errorf("encode API keys: %w", err)
	}
	if err := os.WriteFile(f.keys(), out, 0o600); err != nil {
		return nil, false, fmt.Errorf("write API keys: %w", err)
	}
	return keys, true, nil
}

// site is where the service runs and how it sees the network: natively, as a process of
// this machine reaching the peers at their published addresses and the files where they
// are; under Docker, as the gateway container of the network's Compose project, reaching
// the peers by their names in the project's network and the files under its mounts.
type site struct {
	runtime network.Runtime
	// listen is the address the service listens on (in its container under Docker); url
	// is where this machine reaches it.
	listen, url string
	// store is the service's store file as it sees it.
	store string
	// file maps a file of the state directory (crypto material) to the service's view.
	file func(path string) string
	// peer maps a peer of the profile to the address the service dials.
	peer func(network.EndpointInfo) string
}

// nativeSite runs the service as a process listening on listen ("": unknown).
func nativeSite(home network.Home, listen string) site {
	s := site{runtime: network.Native, listen: listen, store: filesOf(home).store(),
		file: func(p string) string { return p }, peer: func(p network.EndpointInfo) string { return p.Address }}
	if listen != "" {
		s.url = "http://" + listen
	}
	return s
}

// dockerSite runs the service as the gateway container of the Docker network t in home:
// listening on the gateway port in the container, published on the loopback with the
// network's port offset, with $CXL_HOME/gateway and the crypto material mounted.
func dockerSite(home network.Home, t network.Topology) site {
	endpoints := map[string]string{}
	for _, n := range t.Nodes() {
		endpoints[n.Name] = t.Endpoint(n)
	}
	crypto := home.Crypto()
	return site{
		runtime: network.Docker,
		listen:  fmt.Sprintf("0.0.0.0:%d", network.GatewayPort),
		url:     fmt.Sprintf("http://127.0.0.1:%d", network.GatewayPort+t.PortOffset),
		store:   network.GatewayContainerDir + "/gateway.db",
		file: func(p string) string {
			if rel, err := filepath.Rel(crypto, p); err == nil && !strings.HasPrefix(rel, "..") {
				return path.Join(network.GatewayContainerKeys, filepath.ToSlash(rel))
			}
			return p
		},
		peer: func(p network.EndpointInfo) string { return endpoints[p.Name] },
	}
}

// onHost is the site as this machine sees it: the configuration built for it names the
// files where they are here, so that it can be checked here.
func (s site) onHost(home network.Home) site {
	h := nativeSite(home, s.listen)
	h.runtime = s.runtime
	return h
}

// buildConfig is the service's configuration for the network of prof, run at s: every peer
// of every organisation as a gateway peer (so that one can fail over to another), every
// user of every organisation as an identity, one principal per API key, the first User1
// (not an admin) for public queries, and the CXL_GATEWAY_* settings of getenv except the
// address and the store, which s decides. Only the hashes of the keys are in it.
func buildConfig(s site, prof *network.Profile, keys []APIKey, getenv func(string) string) (*config.Config, error) {
	cfg := config.Defaults()
	if err := cfg.ApplyEnv(getenv); err != nil {
		return nil, err
	}
	cfg.Listen, cfg.Channel, cfg.Chaincode, cfg.Store = s.listen, prof.Channel, prof.Chaincode, s.store
	cfg.Identities = map[string]config.Identity{}
	for _, org := range prof.Orgs {
		for _, p := range org.Peers {
			cfg.Peers = append(cfg.Peers, config.Peer{Address: s.peer(p), TLSRootCert: s.file(p.TLSRootCert)})
		}
		for u, id := range org.Users {
			cfg.Identities[identityName(org.MSPID, u)] = config.Identity{MSPID: org.MSPID, Cert: s.file(id.Cert), Key: s.file(id.Key)}
		}
	}
	for _, k := range keys {
		if cfg.PublicIdentity == "" && k.User == "User1" {
			cfg.PublicIdentity = k.Principal
		}
		h := config.HashKey(k.Key)
		cfg.Principals = append(cfg.Principals, config.Principal{Name: k.Principal, KeySHA256: hex.EncodeToString(h[:]), Identity: k.Principal})
	}
	return &cfg, nil
}
