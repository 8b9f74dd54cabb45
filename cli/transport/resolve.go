// Package transport connects the CLI to the ledger: through the gateway service's REST API
// (gateway/client) with an API key, or directly through a Fabric peer (gateway/fabric) with
// the user's own signing identity. Both are a cmdutil.Client, so every command works the
// same over either. Which one, and with what, comes from the global flags, then the
// environment, then the configuration file (Resolve).
package transport

import (
	"fmt"
	"os"
	"strings"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

// Resolved is the profile a command will use and where it came from.
type Resolved struct {
	// Name is the profile's name ("" for one made from --gateway or CXL_GATEWAY alone).
	Name string `json:"name,omitempty"`
	// Source says what chose it: "--profile", "CXL_PROFILE", "config", "--gateway",
	// "CXL_GATEWAY" or "network".
	Source string `json:"source"`
	// Profile is the profile with the environment applied.
	Profile cmdutil.Profile `json:"profile"`
	// KeySource says where the API key came from: "CXL_API_KEY", "profile" or "".
	KeySource string `json:"keySource,omitempty"`
}

// Resolve decides which ledger to reach. In order, the first that applies wins:
//
//  1. --profile NAME: a profile of the configuration file, or a user of the network in
//     CXL_HOME written "Org1MSP/User1" (direct Fabric submission with that identity);
//  2. --gateway URL: the gateway service at URL;
//  3. CXL_PROFILE, then CXL_GATEWAY, the same way;
//  4. the configuration file's current profile (`cxl config use`).
//
// CXL_GATEWAY also replaces the URL of a gateway profile chosen by CXL_PROFILE or the
// configuration, and CXL_API_KEY replaces the API key of any gateway profile;
// --gateway-ca, then CXL_GATEWAY_CA, replace its TLS CA certificate.
func Resolve(f *cmdutil.Factory, getenv func(string) string) (*Resolved, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	sel := f.Selection
	if sel == nil {
		sel = &cmdutil.Selection{}
	}
	var r *Resolved
	switch {
	case sel.Profile != "":
		if r, err = lookup(f, cfg, sel.Profile, "--profile"); err != nil {
			return nil, err
		}
		if sel.Gateway != "" {
			return nil, cmdutil.UsageErrorf("--profile and --gateway: choose one")
		}
	case sel.Gateway != "":
		r = &Resolved{Source: "--gateway", Profile: cmdutil.Profile{Gateway: sel.Gateway}}
	case getenv("CXL_PROFILE") != "":
		if r, err = lookup(f, cfg, getenv("CXL_PROFILE"), "CXL_PROFILE"); err != nil {
			return nil, err
		}
	case getenv("CXL_GATEWAY") != "" && (cfg.Profiles[cfg.Current] == nil || cfg.Profiles[cfg.Current].Transport() != cmdutil.TransportGateway):
		r = &Resolved{Source: "CXL_GATEWAY", Profile: cmdutil.Profile{Gateway: getenv("CXL_GATEWAY")}}
	case cfg.Current != "":
		p, ok := cfg.Profiles[cfg.Current]
		if !ok {
			return nil, cmdutil.NotFoundErrorf("the current profile %q is not in %s; choose one with `cxl config use`", cfg.Current, cfg.Path())
		}
		r = &Resolved{Name: cfg.Current, Source: "config", Profile: *p}
	default:
		return nil, cmdutil.UsageErrorf("no ledger to reach: pass --gateway URL or --profile NAME, set CXL_GATEWAY, or save a profile with `cxl config set NAME ...` and `cxl config use NAME`")
	}
	if r.Profile.Transport() == cmdutil.TransportGateway {
		if sel.Profile == "" && sel.Gateway == "" && r.Source != "CXL_GATEWAY" && getenv("CXL_GATEWAY") != "" {
			r.Profile.Gateway = getenv("CXL_GATEWAY")
		}
		// The environment's CA verifies https:// gateways; it is left out for a plain
		// one (the loopback), so that one environment serves both.
		if ca := getenv("CXL_GATEWAY_CA"); ca != "" && strings.HasPrefix(r.Profile.Gateway, "https://") {
			r.Profile.GatewayCA = ca
		}
		if sel.GatewayCA != "" {
			r.Profile.GatewayCA = sel.GatewayCA
		}
		if r.Profile.APIKey != "" {
			r.KeySource = "profile"
		}
		if k := getenv("CXL_API_KEY"); k != "" {
			r.Profile.APIKey, r.KeySource = k, "CXL_API_KEY"
		}
	}
	if sel.GatewayCA != "" && r.Profile.Transport() != cmdutil.TransportGateway {
		return nil, cmdutil.UsageErrorf("--gateway-ca verifies a gateway service; profile %s reaches a peer directly", r.display())
	}
	if err := r.Profile.Validate(); err != nil {
		return nil, cmdutil.UsageErrorf("profile %s (%s): %v", r.display(), r.Source, err)
	}
	return r, nil
}

func (r *Resolved) display() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Profile.Gateway
}

// lookup finds a profile by name: in the configuration, or as a network user.
func lookup(f *cmdutil.Factory, cfg *cmdutil.Config, name, source string) (*Resolved, error) {
	if p, ok := cfg.Profiles[name]; ok {
		return &Resolved{Name: name, Source: source, Profile: *p}, nil
	}
	if msp, user, ok := strings.Cut(name, "/"); ok {
		p, err := NetworkUser(f, msp, user)
		if err != nil {
			return nil, err
		}
		return &Resolved{Name: name, Source: source + " (network)", Profile: *p}, nil
	}
	known := cfg.Names()
	hint := "no profiles are configured"
	if len(known) > 0 {
		hint = "configured: " + strings.Join(known, ", ")
	}
	return nil, cmdutil.NotFoundErrorf("profile %q not found (%s; a network user is written like Org1MSP/User1)", name, hint)
}

// NetworkUser is a Fabric profile for a user of the network in CXL_HOME
// (network.json): the first peer of the user's organisation and its TLS root, the user's
// certificate and key, and every other peer of the network (its own organisation's first).
func NetworkUser(f *cmdutil.Factory, msp, user string) (*cmdutil.Profile, error) {
	home, err := f.Home()
	if err != nil {
		return nil, fmt.Errorf("network user %s/%s: %w", msp, user, err)
	}
	prof, err := network.LoadProfile(network.Home(home))
	if err != nil {
		return nil, cmdutil.NotFoundErrorf("network user %s/%s: %v", msp, user, oneLine(err))
	}
	var orgs []string
	for _, o := range prof.Orgs {
		orgs = append(orgs, o.MSPID)
		if !strings.EqualFold(o.MSPID, msp) {
			continue
		}
		var users []string
		for u, id := range o.Users {
			users = append(users, u)
			if strings.EqualFold(u, user) && len(o.Peers) > 0 {
				return &cmdutil.Profile{
					Peer: o.Peers[0].Address, TLSRootCert: o.Peers[0].TLSRootCert, OtherPeers: otherPeers(prof, o.MSPID),
					MSPID: o.MSPID, Cert: id.Cert, Key: id.Key, Channel: prof.Channel, Chaincode: prof.Chaincode,
				}, nil
			}
		}
		return nil, cmdutil.NotFoundErrorf("network user %s/%s: no such user in %s (users: %s)", msp, user, o.MSPID, strings.Join(sorted(users), ", "))
	}
	return nil, cmdutil.NotFoundErrorf("network user %s/%s: no organisation %s in %s (organisations: %s)", msp, user, msp, home, strings.Join(orgs, ", "))
}

// otherPeers lists every peer of the network but the first of organisation msp: msp's
// own first, then the other organisations' in the profile's order.
func otherPeers(prof *network.Profile, msp string) []cmdutil.PeerEndpoint {
	var own, others []cmdutil.PeerEndpoint
	for _, o := range prof.Orgs {
		for i, p := range o.Peers {
			e := cmdutil.PeerEndpoint{Address: p.Address, TLSRootCert: p.TLSRootCert}
			switch {
			case o.MSPID != msp:
				others = append(others, e)
			case i > 0:
				own = append(own, e)
			}
		}
	}
	return append(own, others...)
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// Getenv is os.Getenv, replaced in tests.
var Getenv = os.Getenv

// NetworkUsers lists the users of the network in CXL_HOME as profile names
// ("Org1MSP/User1"), for completion; none when there is no network.
func NetworkUsers(f *cmdutil.Factory) []string {
	home, err := f.Home()
	if err != nil {
		return nil
	}
	prof, err := network.LoadProfile(network.Home(home))
	if err != nil {
		return nil
	}
	var names []string
	for _, o := range prof.Orgs {
		for u := range o.Users {
			names = append(names, o.MSPID+"/"+u)
		}
	}
	return sorted(names)
}
