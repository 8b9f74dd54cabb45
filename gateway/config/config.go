// Package config is the gateway service's configuration: a YAML file, overridden by CXL_GATEWAY_*
// environment variables, checked as a whole at start-up so that every mistake is reported at
// once, with the field it concerns.
package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole configuration.
type Config struct {
	// Listen is the HTTP address, host:port.
	Listen string `yaml:"listen"`
	// TLS is the service's certificate and key: HTTPS is served when it is set, and it
	// must be set whenever Listen is beyond the loopback interface.
	TLS *TLS `yaml:"tls,omitempty"`
	// Channel and Chaincode name what the service fronts.
	Channel   string `yaml:"channel"`
	Chaincode string `yaml:"chaincode"`
	// Store is the bbolt file of idempotency records and pending transactions; with StoreURL
	// it only anchors the files kept beside it (the vault).
	Store string `yaml:"store"`
	// StoreURL, when set, keeps the records in PostgreSQL instead (postgres://user@host:port/db),
	// shared by the replicas of the member's gateway. Its password is best left out (PGPASSWORD
	// or ~/.pgpass supply it); it is never logged.
	StoreURL string `yaml:"storeURL,omitempty"`
	// Peers are the gateway peers, in order of preference; the service fails over to the
	// next when one is unavailable.
	Peers []Peer `yaml:"peers"`
	// SettlePeers are peers (of other members) the service only follows: a committed
	// mutation is answered once they have its block too (timeouts.settle), so that the
	// next call through another member's gateway sees it. They get no proposal,
	// transaction or query.
	SettlePeers []Peer `yaml:"settlePeers,omitempty"`
	// Identities are the Fabric signing identities, by name.
	Identities map[string]Identity `yaml:"identities"`
	// Principals are the API clients and the identity each signs as.
	Principals []Principal `yaml:"principals"`
	// PublicIdentity signs the queries of the endpoints that need no credentials (product
	// verification); default: the identity of the first principal.
	PublicIdentity string `yaml:"publicIdentity,omitempty"`
	// Limits bound what a client may send.
	Limits Limits `yaml:"limits"`
	// Timeouts bound each request and each Fabric phase.
	Timeouts Timeouts `yaml:"timeouts"`
	// Reconcile configures the follow-up of pending transactions.
	Reconcile Reconcile `yaml:"reconcile"`
	// Cache configures the answers kept in memory for public queries.
	Cache Cache `yaml:"cache"`
	// Log configures the structured log.
	Log Log `yaml:"log"`
	// Vault configures the vault of ticket keys of the organisations whose identities the
	// service holds.
	Vault Vault `yaml:"vault"`
	// Customers configures the customers who sign for themselves, and their invitation.
	Customers Customers `yaml:"customers,omitempty"`
}

// Vault configures the vault of ticket keys (see package gateway/vault): the private halves
// of the one-time keys customers seal their personal data to, one directory per
// organisation, and the pool of unused keys each organisation keeps published.
type Vault struct {
	// Dir is the vault's directory; default: "vault" beside the store.
	Dir string `yaml:"dir,omitempty"`
	// Pool is how many unused ticket keys each merchant organisation keeps published.
	Pool int `yaml:"pool"`
	// Threshold: when fewer keys than this are unused, the pool is filled again.
	Threshold int `yaml:"threshold"`
	// Interval is the time between full passes over the ledger (destroying the keys of
	// erased tickets, filling the pools), besides those care events trigger.
	Interval time.Duration `yaml:"interval"`
}

// VaultDir is the vault's directory: Vault.Dir, or "vault" beside the store.
func (c *Config) VaultDir() string {
	if c.Vault.Dir != "" {
		return c.Vault.Dir
	}
	return filepath.Join(filepath.Dir(c.Store), "vault")
}

// TLS names the PEM files of the service's certificate (with any intermediate CA
// certificates after it) and its private key.
type TLS struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Peer is a gateway peer.
type Peer struct {
	Address     string `yaml:"address"`
	TLSRootCert string `yaml:"tlsRootCert"`
	// ServerName overrides the TLS server name, when the address is not in the certificate.
	ServerName string `yaml:"serverName,omitempty"`
}

// Identity names the files of a Fabric signing identity.
type Identity struct {
	MSPID string `yaml:"mspId"`
	Cert  string `yaml:"cert"`
	Key   string `yaml:"key"`
}

// Principal is an API client: who it is, the SHA-256 of its API key, and the identity its
// transactions are signed with.
type Principal struct {
	Name string `yaml:"name"`
	// KeySHA256 is the hex SHA-256 of the API key; the key itself is never stored.
	KeySHA256 string `yaml:"keySha256"`
	Identity  string `yaml:"identity"`
}

// Limits bound what clients may send.
type Limits struct {
	// BodyBytes is the largest request body.
	BodyBytes int64 `yaml:"bodyBytes"`
	// MaxPageSize is the largest page a listing returns.
	MaxPageSize int `yaml:"maxPageSize"`
	// Rate and Burst are each principal's sustained requests per second and burst.
	Rate  float64 `yaml:"rate"`
	Burst int     `yaml:"burst"`
	// PublicRate and PublicBurst limit each client address on the endpoints that need no
	// credentials.
	PublicRate  float64 `yaml:"publicRate"`
	PublicBurst int     `yaml:"publicBurst"`
	// EventStreams is how many event streams a principal may hold open at once.
	EventStreams int `yaml:"eventStreams"`
}

// Timeouts bound requests and Fabric phases.
type Timeouts struct {
	// Request bounds a whole request; a mutation whose commit is unknown by then answers
	// 202 with its transaction ID.
	Request  time.Duration `yaml:"request"`
	Evaluate time.Duration `yaml:"evaluate"`
	Endorse  time.Duration `yaml:"endorse"`
	Submit   time.Duration `yaml:"submit"`
	// Settle bounds how long a committed mutation's answer waits for every other peer to
	// commit the block too, so that the next request sees it through any peer; 0 answers
	// as soon as one peer has committed.
	Settle time.Duration `yaml:"settle"`
}

// Reconcile configures the follow-up of pending transactions.
type Reconcile struct {
	// Interval is the time between passes.
	Interval time.Duration `yaml:"interval"`
	// ResubmitAfter is how long a transaction may be in no block after its last submission
	// before its envelope is submitted again.
	ResubmitAfter time.Duration `yaml:"resubmitAfter"`
	// Retention is how long a finished request's idempotency record is kept.
	Retention time.Duration `yaml:"retention"`
}

// Cache configures the cache of product verifications (see package querycache): answers
// are dropped when a provenance transaction commits, when a certificate they list runs
// out, and after VerifyTTL in any case.
type Cache struct {
	// VerifyTTL is the longest a verification is answered from memory; 0 turns the cache
	// off.
	VerifyTTL time.Duration `yaml:"verifyTTL"`
	// VerifyEntries is how many verifications are kept at most.
	VerifyEntries int `yaml:"verifyEntries"`
}

// Log configures the structured log.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is json or text.
	Format string `yaml:"format"`
}

// Defaults returns the values of every setting a file leaves out.
func Defaults() Config {
	return Config{
		Listen: "127.0.0.1:8080", Channel: "cxledger", Chaincode: "cxledger",
		Limits:    Limits{BodyBytes: 64 << 10, MaxPageSize: 100, Rate: 200, Burst: 400, PublicRate: 5, PublicBurst: 20, EventStreams: 8},
		Timeouts:  Timeouts{Request: 15 * time.Second, Evaluate: 5 * time.Second, Endorse: 10 * time.Second, Submit: 5 * time.Second, Settle: time.Second},
		Reconcile: Reconcile{Interval: 5 * time.Second, ResubmitAfter: 10 * time.Second, Retention: 24 * time.Hour},
		Cache:     Cache{VerifyTTL: 10 * time.Second, VerifyEntries: 100_000},
		Log:       Log{Level: "info", Format: "json"},
		Vault:     Vault{Pool: 20, Threshold: 10, Interval: time.Minute},
	}
}

// Load reads the file at path over the defaults, applies the environment (getenv, usually
// os.Getenv) and validates the result.
func Load(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg := Defaults()
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if err := cfg.ApplyEnv(getenv); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration in %s:\n%w", path, err)
	}
	return &cfg, nil
}

// Env lists the environment variables that override the file, with what they set.
var Env = map[string]string{
	"CXL_GATEWAY_LISTEN":          "listen",
	"CXL_GATEWAY_STORE":           "store",
	"CXL_GATEWAY_LOG_LEVEL":       "log.level",
	"CXL_GATEWAY_LOG_FORMAT":      "log.format",
	"CXL_GATEWAY_REQUEST_TIMEOUT": "timeouts.request",
	"CXL_GATEWAY_RATE":            "limits.rate",
	"CXL_GATEWAY_BURST":           "limits.burst",
	"CXL_GATEWAY_BODY_BYTES":      "limits.bodyBytes",
	"CXL_GATEWAY_RESUBMIT_AFTER":  "reconcile.resubmitAfter",
	"CXL_GATEWAY_RECONCILE_EVERY": "reconcile.interval",
	"CXL_GATEWAY_VERIFY_CACHE":    "cache.verifyTTL",
}

// ApplyEnv sets what the CXL_GATEWAY_* variables of Env say (getenv, usually os.Getenv);
// Load applies them over the file.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	var errs []error
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	dur := func(name string, dst *time.Duration) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: want a duration such as 15s", name, v))
				return
			}
			*dst = d
		}
	}
	num := func(name string, set func(float64)) {
		if v := getenv(name); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: want a number", name, v))
				return
			}
			set(f)
		}
	}
	str("CXL_GATEWAY_LISTEN", &c.Listen)
	str("CXL_GATEWAY_STORE", &c.Store)
	str("CXL_GATEWAY_STORE_URL", &c.StoreURL)
	str("CXL_GATEWAY_LOG_LEVEL", &c.Log.Level)
	str("CXL_GATEWAY_LOG_FORMAT", &c.Log.Format)
	dur("CXL_GATEWAY_REQUEST_TIMEOUT", &c.Timeouts.Request)
	dur("CXL_GATEWAY_RESUBMIT_AFTER", &c.Reconcile.ResubmitAfter)
	dur("CXL_GATEWAY_RECONCILE_EVERY", &c.Reconcile.Interval)
	dur("CXL_GATEWAY_VERIFY_CACHE", &c.Cache.VerifyTTL)
	num("CXL_GATEWAY_RATE", func(f float64) { c.Limits.Rate = f })
	num("CXL_GATEWAY_BURST", func(f float64) { c.Limits.Burst = int(f) })
	num("CXL_GATEWAY_BODY_BYTES", func(f float64) { c.Limits.BodyBytes = int64(f) })
	return errors.Join(errs...)
}

// Validate checks the whole configuration and returns every problem, one per line: missing
// settings, files that do not exist, private keys that every user can read, unknown
// identities, malformed or repeated API key hashes, and limits out of range.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if host, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen: %q is not host:port", c.Listen)
	} else if c.TLS == nil && !Loopback(host) {
		bad("listen: %s is beyond the loopback interface, where API keys would cross the network in clear: set tls.cert and tls.key (plain HTTP is served on 127.0.0.1, ::1 or localhost only)", c.Listen)
	}
	if c.TLS != nil {
		if err := readable(c.TLS.Cert); err != nil {
			bad("tls.cert: %v", err)
		}
		if err := privateFile(c.TLS.Key); err != nil {
			bad("tls.key: %v", err)
		}
	}
	if c.Channel == "" || c.Chaincode == "" {
		bad("channel and chaincode: both required")
	}
	if c.Store == "" {
		bad("store: the path of the store file is required")
	}
	if c.StoreURL != "" {
		if u, err := url.Parse(c.StoreURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			bad("storeURL: want postgres://user@host:port/database (the value is not repeated here: it may hold a password)")
		}
	}
	if len(c.Peers) == 0 {
		bad("peers: at least one gateway peer is required (two or more give failover)")
	}
	for field, peers := range map[string][]Peer{"peers": c.Peers, "settlePeers": c.SettlePeers} {
		for i, p := range peers {
			if _, _, err := net.SplitHostPort(p.Address); err != nil {
				bad("%s[%d].address: %q is not host:port", field, i, p.Address)
			}
			if err := readable(p.TLSRootCert); err != nil {
				bad("%s[%d].tlsRootCert: %v", field, i, err)
			}
		}
	}
	if len(c.Identities) == 0 {
		bad("identities: at least one signing identity is required")
	}
	for name, id := range c.Identities {
		if id.MSPID == "" {
			bad("identities.%s.mspId: required", name)
		}
		if err := readable(id.Cert); err != nil {
			bad("identities.%s.cert: %v", name, err)
		}
		if err := privateFile(id.Key); err != nil {
			bad("identities.%s.key: %v", name, err)
		}
	}
	if len(c.Principals) == 0 {
		bad("principals: at least one API client is required")
	}
	names, hashes := map[string]bool{}, map[string]string{}
	for i, p := range c.Principals {
		switch {
		case p.Name == "":
			bad("principals[%d].name: required", i)
		case names[p.Name]:
			bad("principals[%d].name: %q appears twice", i, p.Name)
		}
		names[p.Name] = true
		if h, err := hex.DecodeString(p.KeySHA256); err != nil || len(h) != 32 {
			bad("principals[%d].keySha256: want the 64 hex digits of the API key's SHA-256", i)
		} else if other, dup := hashes[strings.ToLower(p.KeySHA256)]; dup {
			bad("principals[%d].keySha256: the same API key as principal %q", i, other)
		} else {
			hashes[strings.ToLower(p.KeySHA256)] = p.Name
		}
		if _, ok := c.Identities[p.Identity]; !ok {
			bad("principals[%d].identity: no identity %q", i, p.Identity)
		}
	}
	if _, ok := c.Identities[c.PublicIdentity]; c.PublicIdentity != "" && !ok {
		bad("publicIdentity: no identity %q", c.PublicIdentity)
	}
	l := c.Limits
	if l.BodyBytes < 1024 || l.BodyBytes > 16<<20 {
		bad("limits.bodyBytes: %d, want 1 KiB to 16 MiB", l.BodyBytes)
	}
	if l.MaxPageSize < 1 || l.MaxPageSize > 200 {
		bad("limits.maxPageSize: %d, want 1 to 200 (the chaincode's largest page)", l.MaxPageSize)
	}
	if l.Rate <= 0 || l.Burst < 1 || l.PublicRate <= 0 || l.PublicBurst < 1 || l.EventStreams < 1 {
		bad("limits: rate, burst, publicRate, publicBurst and eventStreams must be positive")
	}
	t := c.Timeouts
	for name, d := range map[string]time.Duration{"request": t.Request, "evaluate": t.Evaluate, "endorse": t.Endorse, "submit": t.Submit,
		"reconcile.interval": c.Reconcile.Interval, "reconcile.resubmitAfter": c.Reconcile.ResubmitAfter} {
		if d <= 0 {
			bad("timeouts.%s: %s, want a positive duration", name, d)
		}
	}
	if t.Settle < 0 {
		bad("timeouts.settle: %s, want 0 (do not wait) or a positive duration", t.Settle)
	}
	if c.Reconcile.Retention < 0 {
		bad("reconcile.retention: %s, want 0 (keep) or a positive duration", c.Reconcile.Retention)
	}
	if t.Request > 0 && t.Endorse >= t.Request {
		bad("timeouts.endorse (%s) must be shorter than timeouts.request (%s), or no request could wait for a commit", t.Endorse, t.Request)
	}
	if c.Cache.VerifyTTL < 0 {
		bad("cache.verifyTTL: %s, want 0 (off) or a positive duration", c.Cache.VerifyTTL)
	}
	if c.Cache.VerifyTTL > 0 && c.Cache.VerifyEntries < 1 {
		bad("cache.verifyEntries: %d, want a positive number while cache.verifyTTL is set", c.Cache.VerifyEntries)
	}
	if v := c.Vault; v.Threshold < 1 || v.Pool < v.Threshold || v.Pool > 100 {
		bad("vault: pool %d and threshold %d, want 1 <= threshold <= pool <= 100", v.Pool, v.Threshold)
	}
	if c.Vault.Interval <= 0 {
		bad("vault.interval: %s, want a positive duration", c.Vault.Interval)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level: %q, want debug, info, warn or error", c.Log.Level)
	}
	if c.Log.Format != "json" && c.Log.Format != "text" {
		bad("log.format: %q, want json or text", c.Log.Format)
	}
	errs = append(errs, c.validateCustomers()...)
	return errors.Join(errs...)
}

// Loopback reports whether host (of a listen address) is the loopback interface only:
// localhost or a loopback IP. An empty host or an unspecified address (0.0.0.0, ::) listens
// on every interface.
func Loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func readable(path string) error {
	if path == "" {
		return errors.New("required")
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return f.Close()
}

// privateFile checks that a private key file exists and that not every user may read it.
func privateFile(path string) error {
	if err := readable(path); err != nil {
		return err
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if mode := info.Mode().Perm(); mode&0o004 != 0 {
		return fmt.Errorf("%s is readable by every user (mode %#o); restrict it with chmod 600", path, mode)
	}
	return nil
}

// Save writes the configuration as YAML, readable by its owner only.
func (c *Config) Save(path string) error {
	data, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}
