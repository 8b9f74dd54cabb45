package gateway

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/gateway/httpapi"
	"github.com/cxledger/cxledger/network"
)

// processName is the supervisor's name of the service: run/cxl-gateway.pid,
// logs/cxl-gateway.log.
const processName = "cxl-gateway"

// basePort is the service's port before the network's port offset.
const basePort = 8080

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

// newKey returns a random API key.
func newKey() (string, error) {
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
				key, err := newKey()
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

// buildConfig is the service's configuration for the network of prof: every peer of every
// organisation as a gateway peer (so that one can fail over to another), every user of
// every organisation as an identity, one principal per API key, and the first User1 (not
// an admin) for public queries. Only the hashes of the keys are in it.
func buildConfig(f files, prof *network.Profile, keys []APIKey, listen string) *config.Config {
	cfg := config.Defaults()
	cfg.Listen, cfg.Channel, cfg.Chaincode, cfg.Store = listen, prof.Channel, prof.Chaincode, f.store()
	cfg.Identities = map[string]config.Identity{}
	for _, org := range prof.Orgs {
		for _, p := range org.Peers {
			cfg.Peers = append(cfg.Peers, config.Peer{Address: p.Address, TLSRootCert: p.TLSRootCert})
		}
		for u, id := range org.Users {
			cfg.Identities[identityName(org.MSPID, u)] = config.Identity{MSPID: org.MSPID, Cert: id.Cert, Key: id.Key}
		}
	}
	for _, k := range keys {
		if cfg.PublicIdentity == "" && k.User == "User1" {
			cfg.PublicIdentity = k.Principal
		}
		h := httpapi.HashKey(k.Key)
		cfg.Principals = append(cfg.Principals, config.Principal{Name: k.Principal, KeySHA256: hex.EncodeToString(h[:]), Identity: k.Principal})
	}
	return &cfg
}
