package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config is the CLI's configuration file: named profiles, each one way to reach the ledger,
// and the profile in use. It lives at CXL_CONFIG, by default config.yaml in the user's
// configuration directory (~/.config/cxl/config.yaml), readable by its owner only since it
// may hold API keys.
type Config struct {
	// Current is the profile used when no --profile, CXL_PROFILE or --gateway says otherwise.
	Current string `yaml:"current,omitempty"`
	// Profiles are the profiles by name.
	Profiles map[string]*Profile `yaml:"profiles,omitempty"`

	path string
}

// Profile is one way to reach the ledger: through the gateway service with an API key, or
// directly through a Fabric peer with a signing identity.
type Profile struct {
	// Gateway is the gateway service's base URL ("http://127.0.0.1:8080").
	Gateway string `yaml:"gateway,omitempty" json:"gateway,omitempty"`
	// APIKey is the key the service knows the caller by.
	APIKey string `yaml:"apiKey,omitempty" json:"apiKey,omitempty"`
	// GatewayCA is the PEM file of the TLS CA certificate that verifies an https:// gateway
	// (a member's gateway: its organisation's TLS root); empty trusts the system's roots.
	// The service's certificate is always verified.
	GatewayCA string `yaml:"gatewayCa,omitempty" json:"gatewayCa,omitempty"`

	// Peer is a peer's gateway endpoint (host:port), for direct submission.
	Peer string `yaml:"peer,omitempty" json:"peer,omitempty"`
	// TLSRootCert is the PEM file of the peer organisation's TLS CA.
	TLSRootCert string `yaml:"tlsRootCert,omitempty" json:"tlsRootCert,omitempty"`
	// ServerName overrides the TLS server name when the address is not in the certificate.
	ServerName string `yaml:"serverName,omitempty" json:"serverName,omitempty"`
	// MSPID is the identity's organisation.
	MSPID string `yaml:"mspId,omitempty" json:"mspId,omitempty"`
	// Cert and Key are the PEM files of the identity's certificate and private key.
	Cert string `yaml:"cert,omitempty" json:"cert,omitempty"`
	Key  string `yaml:"key,omitempty" json:"key,omitempty"`
	// OtherPeers are more peers of the channel, of any organisation. The Fabric transport
	// fails over to them when Peer is down and, after a commit, waits until each has the
	// block too, so that the next command sees it whichever peer serves it. A profile of
	// a network user lists every other peer of the network.
	OtherPeers []PeerEndpoint `yaml:"otherPeers,omitempty" json:"otherPeers,omitempty"`
	// Channel and Chaincode default to "cxledger".
	Channel   string `yaml:"channel,omitempty" json:"channel,omitempty"`
	Chaincode string `yaml:"chaincode,omitempty" json:"chaincode,omitempty"`
}

// PeerEndpoint is a peer's gateway endpoint and the TLS root that verifies it.
type PeerEndpoint struct {
	Address     string `yaml:"address" json:"address"`
	TLSRootCert string `yaml:"tlsRootCert" json:"tlsRootCert"`
	ServerName  string `yaml:"serverName,omitempty" json:"serverName,omitempty"`
}

// The transports a profile can use.
const (
	TransportGateway = "gateway"
	TransportFabric  = "fabric"
)

// Transport is "gateway" or "fabric", as the profile's fields say.
func (p *Profile) Transport() string {
	if p.Gateway != "" {
		return TransportGateway
	}
	return TransportFabric
}

// Customer reports whether the profile is a customer's: a gateway URL with the customer's
// own certificate and key and no API key, for prepare -> sign -> submit.
func (p *Profile) Customer() bool {
	return p.Gateway != "" && p.Cert != "" && p.Key != "" && p.APIKey == "" && p.Peer == "" && p.TLSRootCert == ""
}

// Validate checks that the profile names exactly one transport with everything it needs.
func (p *Profile) Validate() error {
	fabric := p.Peer != "" || p.TLSRootCert != "" || p.MSPID != "" || p.Cert != "" || p.Key != ""
	if p.Customer() {
		fabric = false
	}
	switch {
	case p.GatewayCA != "" && p.Gateway == "":
		return errors.New("a gateway CA without a gateway URL")
	case p.Gateway != "" && fabric:
		return errors.New("both a gateway URL and Fabric peer settings: a profile uses one transport")
	case p.Gateway != "":
		if !strings.HasPrefix(p.Gateway, "http://") && !strings.HasPrefix(p.Gateway, "https://") {
			return fmt.Errorf("gateway %q: want an http:// or https:// URL", p.Gateway)
		}
		if p.GatewayCA != "" && !strings.HasPrefix(p.Gateway, "https://") {
			return fmt.Errorf("gateway CA %s: the gateway %s is plain HTTP; a CA verifies an https:// URL", p.GatewayCA, p.Gateway)
		}
		return nil
	case !fabric:
		return errors.New("neither a gateway URL nor Fabric peer settings")
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"peer", p.Peer}, {"tls-root-cert", p.TLSRootCert}, {"msp-id", p.MSPID}, {"cert", p.Cert}, {"key", p.Key}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("a Fabric profile needs --%s", strings.Join(missing, ", --"))
	}
	return nil
}

// ChannelName is the channel, "cxledger" unless set.
func (p *Profile) ChannelName() string {
	if p.Channel == "" {
		return "cxledger"
	}
	return p.Channel
}

// ChaincodeName is the chaincode, "cxledger" unless set.
func (p *Profile) ChaincodeName() string {
	if p.Chaincode == "" {
		return "cxledger"
	}
	return p.Chaincode
}

// DefaultConfigPath is CXL_CONFIG, or cxl/config.yaml in the user's configuration
// directory.
func DefaultConfigPath() (string, error) {
	if p := os.Getenv("CXL_CONFIG"); p != "" {
		return filepath.Abs(p)
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the configuration directory (set CXL_CONFIG): %w", err)
	}
	return filepath.Join(dir, "cxl", "config.yaml"), nil
}

// LoadConfig reads the configuration at path; a missing file is an empty configuration.
func LoadConfig(path string) (*Config, error) {
	c := &Config{path: path, Profiles: map[string]*Profile{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, &ExitError{Code: ExitUsage, Err: fmt.Errorf("configuration %s: %v", path, oneLineYAML(err))}
	}
	if c.Profiles == nil {
		c.Profiles = map[string]*Profile{}
	}
	return c, nil
}

func oneLineYAML(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// Path is the file the configuration is read from and saved to.
func (c *Config) Path() string { return c.path }

// Names lists the profile names, sorted.
func (c *Config) Names() []string {
	names := make([]string, 0, len(c.Profiles))
	for n := range c.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Save writes the configuration, readable by its owner only.
func (c *Config) Save() error {
	data, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode configuration: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(c.path), err)
	}
	tmp := c.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	if err := os.Rename(tmp, c.path); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	return nil
}

// ValidateProfileName checks a profile name: 1 to 64 letters, digits, '.', '_', '-' or
// '/', the last so that "Org1MSP/User1" names a network user.
func ValidateProfileName(name string) error {
	if name == "" || len(name) > 64 {
		return UsageErrorf("profile name %q: want 1 to 64 characters", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/", r)) {
			return UsageErrorf("profile name %q: use letters, digits, '.', '_', '-' and '/'", name)
		}
	}
	return nil
}
