package bench

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cxledger/cxledger/bench/workload"
	clgateway "github.com/cxledger/cxledger/cli/gateway"
	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/network"
)

// benchGatewayProcess is the supervisor's name of the bench's own gateway service.
const benchGatewayProcess = "bench-gateway"

// customerMSP is the organisation whose CA issues the orders workload's customers.
const customerMSP = "Org2MSP"

// benchService is the gateway service a native bench run measures: cxl-gateway as `cxl
// gateway up` builds and configures it, started for the run with an API key per worker for
// one customer each, on a port and store of its own.
type benchService struct {
	home network.Home
	dir  string
	cfg  *workload.ServiceConfig
}

// startBenchService starts the bench's gateway service and waits until it is ready. It
// needs `cxl gateway up` to have run once: it starts from that configuration and its demo
// API keys. The first workers customers (the orders workload's, one per worker) become
// identities of the service with an API key each; their keys are written under
// $CXL_HOME/bench/gateway, readable by their owner only, and removed by stop.
//
// With signing every customer signs for itself: the service gets no identity or API key of
// theirs, only their CA's root (customers.roots), and their keys stay in the bench.
func startBenchService(ctx context.Context, home network.Home, workers int, customers []workload.Customer, addresses int, signing bool) (*benchService, error) {
	base, keys, err := upConfig(home)
	if err != nil {
		return nil, err
	}
	if err := network.Stop(home, benchGatewayProcess, 5*time.Second); err != nil {
		return nil, fmt.Errorf("stop the bench gateway service of an earlier run: %w", err)
	}
	dir := home.Path("bench", "gateway")
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := &benchService{home: home, dir: dir}
	cfg := *base
	cfg.Identities = map[string]config.Identity{}
	for name, id := range base.Identities {
		cfg.Identities[name] = id
	}
	cfg.Principals = append([]config.Principal(nil), base.Principals...)
	domain := strings.ToLower(strings.TrimSuffix(customerMSP, "MSP")) + ".example.com"
	var principals []workload.APIKey
	if !signing {
		customers = customers[:min(workers, len(customers))]
	}
	for i, c := range customers {
		name := fmt.Sprintf("bench-customer-%d", i)
		if signing {
			principals = append(principals, workload.APIKey{Principal: name, MSPID: c.MSPID, User: c.ID, CertPEM: c.CertPEM, KeyPEM: c.KeyPEM})
			continue
		}
		certPath, keyPath := filepath.Join(dir, name+"-cert.pem"), filepath.Join(dir, name+"-key.pem")
		if err := errors.Join(os.WriteFile(certPath, c.CertPEM, 0o600), os.WriteFile(keyPath, c.KeyPEM, 0o600)); err != nil {
			return nil, errors.Join(err, s.remove())
		}
		apiKey, err := clgateway.NewKey()
		if err != nil {
			return nil, errors.Join(err, s.remove())
		}
		hash := config.HashKey(apiKey)
		cfg.Identities[name] = config.Identity{MSPID: c.MSPID, Cert: certPath, Key: keyPath}
		cfg.Principals = append(cfg.Principals, config.Principal{Name: name, KeySHA256: hex.EncodeToString(hash[:]), Identity: name})
		principals = append(principals, workload.APIKey{Principal: name, MSPID: c.MSPID, User: c.ID, Key: apiKey})
	}
	if signing {
		cfg.Customers = config.Customers{Roots: []config.CustomerRoot{{MSPID: customerMSP, Cert: home.Path("crypto", "peerOrganizations", domain, "ca", "ca."+domain+"-cert.pem")}}}
	}
	addr, err := freeAddress()
	if err != nil {
		return nil, errors.Join(err, s.remove())
	}
	cfg.Listen, cfg.Store = addr, filepath.Join(dir, "gateway.db")
	configPath := filepath.Join(dir, "gateway.yaml")
	if err := cfg.Save(configPath); err != nil {
		return nil, errors.Join(err, s.remove())
	}
	if _, err := network.Start(home, benchGatewayProcess, "cxl-gateway", []string{"-config", configPath}, nil); err != nil {
		return nil, errors.Join(err, s.remove())
	}
	s.cfg = &workload.ServiceConfig{URL: "http://" + addr, Keys: keys, Customers: principals, Addresses: addresses}
	readyCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	running := func() bool { _, ok := network.Running(home, benchGatewayProcess); return ok }
	if err := clgateway.WaitReady(readyCtx, s.cfg.URL, running, home.Path("logs", benchGatewayProcess+".log")); err != nil {
		return nil, errors.Join(err, s.stop())
	}
	return s, nil
}

// upConfig reads the configurations and demo API keys `cxl gateway up` wrote for every
// member's service (CXL_HOME/gateway/<org>) and merges them into one: the bench's own
// instance drives every organisation's principals from one URL. Each member's own service
// holds only its own organisation's identities; only this measuring instance, which the
// run starts and removes, holds them all.
func upConfig(home network.Home) (*config.Config, []workload.APIKey, error) {
	dirs, err := filepath.Glob(home.Path("gateway", "*", "gateway.yaml"))
	if err != nil || len(dirs) == 0 {
		return nil, nil, fmt.Errorf("no gateway service configuration under %s (run `cxl gateway up` once)", home.Path("gateway"))
	}
	var merged *config.Config
	var keys []workload.APIKey
	for _, path := range dirs {
		cfg, err := config.Load(path, func(string) string { return "" })
		if err != nil {
			return nil, nil, fmt.Errorf("a gateway service's configuration (run `cxl gateway up` once): %w", err)
		}
		data, err := os.ReadFile(filepath.Join(filepath.Dir(path), "api-keys.json"))
		if err != nil {
			return nil, nil, fmt.Errorf("the demo API keys (run `cxl gateway up` once): %w", err)
		}
		var member []workload.APIKey
		if err := json.Unmarshal(data, &member); err != nil {
			return nil, nil, fmt.Errorf("parse the demo API keys: %w", err)
		}
		keys = append(keys, member...)
		if merged == nil {
			merged = cfg
			merged.TLS, merged.SettlePeers = nil, nil
			continue
		}
		merged.Peers = append(merged.Peers, cfg.Peers...)
		for name, id := range cfg.Identities {
			merged.Identities[name] = id
		}
		merged.Principals = append(merged.Principals, cfg.Principals...)
	}
	return merged, keys, nil
}

// freeAddress is a loopback address with a port nothing listens on.
func freeAddress() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port for the bench gateway service: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// stop stops the service and removes its keys and store.
func (s *benchService) stop() error {
	return errors.Join(network.Stop(s.home, benchGatewayProcess, 10*time.Second), s.remove())
}

func (s *benchService) remove() error { return os.RemoveAll(s.dir) }
