package workload

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cxledger/cxledger/bench"
	"github.com/cxledger/cxledger/gateway/client"
	"github.com/cxledger/cxledger/ledgerapi"
)

// APIKey is one of the gateway service's API keys and the identity it stands for, as
// `cxl gateway up` writes them to $CXL_HOME/gateway/api-keys.json.
type APIKey struct {
	Principal string `json:"principal"`
	MSPID     string `json:"mspId"`
	User      string `json:"user"`
	Key       string `json:"key"`
	// CertPEM and KeyPEM, set instead of Key, make a customer who signs for itself: its
	// transport prepares, signs and submits (client.Customer), and the service holds
	// neither its key nor an API key for it.
	CertPEM []byte `json:"-"`
	KeyPEM  []byte `json:"-"`
}

// ServiceConfig says how to reach the gateway service.
type ServiceConfig struct {
	// URL is the service's base URL, e.g. http://127.0.0.1:8080.
	URL string
	// Keys are the demo API keys.
	Keys []APIKey
	// Customers are API keys of customer identities, one per worker, for the orders
	// workload (User is the identity's common name): a customer who pays two orders at
	// once spends the same balance twice, so sharing customers between workers measures
	// their conflicts, not the service. Without them the orders service variant is skipped
	// (ErrNoCustomers).
	Customers []APIKey
	// Addresses is how many loopback source addresses (127.77.x.y) the requests of the
	// public routes (product verification) come from, one HTTP client each: the service
	// limits each client address on those routes, so many addresses stand for many
	// customers. 1 sends everything from 127.0.0.1, as one client.
	Addresses int
}

// service reaches the gateway service's REST API: a REST client (a ledgerapi.Transport) per
// API key, and one per source address for the public routes.
type service struct {
	cfg ServiceConfig
	// ops are the operation IDs of the service's API document.
	ops map[string]bool
	// http sends the principals' requests; meta the service's own documents (API, metrics),
	// which are not counted.
	http, meta *http.Client
	// clients are the transports of the principals, by name.
	clients map[string]ledgerapi.Transport

	mu sync.Mutex
	// publics are the transports of the public routes, one per source address; public
	// makes them as they are first used.
	publics []ledgerapi.Transport
	// httpClients are every HTTP client in use, to close.
	httpClients []*http.Client

	// calls counts the answered requests; committed the mutations answered 200 and
	// conflicted those answered with a read conflict.
	calls, committed, conflicted atomic.Int64
	// nextAddress picks the source address of the next public request.
	nextAddress atomic.Int64
}

func newService(ctx context.Context, cfg ServiceConfig) (*service, error) {
	s := &service{cfg: cfg, clients: map[string]ledgerapi.Transport{}, meta: &http.Client{Timeout: time.Minute}}
	s.http = s.httpClient(&http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 1024, IdleConnTimeout: time.Minute})
	for _, k := range append(slices.Clone(cfg.Keys), cfg.Customers...) {
		c := client.New(cfg.URL, k.Key, client.WithHTTPClient(s.http))
		if len(k.KeyPEM) == 0 {
			s.clients[k.Principal] = counted{c, s}
			continue
		}
		key, err := customerKey(k.KeyPEM)
		if err != nil {
			return nil, fmt.Errorf("customer %s: %w", k.Principal, err)
		}
		s.clients[k.Principal] = counted{c.AsCustomer(k.CertPEM, key), s}
	}
	ops, err := s.discover(ctx)
	if err != nil {
		return nil, err
	}
	s.ops = ops
	return s, nil
}

// customerKey parses a customer's PKCS#8 ECDSA private key.
func customerKey(keyPEM []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("the key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the key is a %T, not ECDSA", k)
	}
	return key, nil
}

// httpClient is an HTTP client over base that counts the service's answers (see answers).
func (s *service) httpClient(base http.RoundTripper) *http.Client {
	hc := &http.Client{Timeout: time.Minute, Transport: answers{base: base, calls: &s.calls}}
	s.httpClients = append(s.httpClients, hc)
	return hc
}

// answers counts the requests the service answered and, as a client should, waits as long
// as a 429's Retry-After says (at most a second) before handing it on, so that a refused
// worker does not spin and take the CPU the measured processes need.
type answers struct {
	base  http.RoundTripper
	calls *atomic.Int64
}

func (a answers) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := a.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	a.calls.Add(1)
	if resp.StatusCode == http.StatusTooManyRequests {
		wait := time.Second
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 && secs < 1 {
			wait = time.Duration(secs) * time.Second
		}
		select {
		case <-req.Context().Done():
		case <-time.After(wait):
		}
	}
	return resp, nil
}

// counted is a principal's transport that counts the mutations the service committed and
// those it answered with a read conflict.
type counted struct {
	ledgerapi.Transport
	s *service
}

func (c counted) Submit(ctx context.Context, op *ledgerapi.Operation, req any) (*ledgerapi.Committed[json.RawMessage], error) {
	out, err := c.Transport.Submit(ctx, op, req)
	if err == nil {
		c.s.committed.Add(1)
	} else if class := Classify(err); class == bench.MVCC || class == bench.Phantom {
		c.s.conflicted.Add(1)
	}
	return out, err
}

// discover reads the service's OpenAPI document: the ID of every operation it serves
// ("provenance.Verify").
func (s *service) discover(ctx context.Context) (map[string]bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.URL+"/openapi.json", nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.meta.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach the gateway service at %s: %w (is it up? `cxl gateway up`)", s.cfg.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/openapi.json: %s", s.cfg.URL, resp.Status)
	}
	return parseOperations(resp.Body)
}

// parseOperations lists the operation IDs of an OpenAPI document.
func parseOperations(r io.Reader) (map[string]bool, error) {
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse the OpenAPI document: %w", err)
	}
	ops := map[string]bool{}
	for _, methods := range doc.Paths {
		for _, op := range methods {
			if op.OperationID != "" {
				ops[op.OperationID] = true
			}
		}
	}
	return ops, nil
}

// missing lists the operations the service has no route for.
func (s *service) missing(ops ...string) []string {
	var out []string
	for _, op := range ops {
		if !s.ops[op] {
			out = append(out, op)
		}
	}
	return out
}

// principals lists the principals of mspID's users (not the admin), in order.
func (s *service) principals(mspID string) []string {
	var out []string
	for _, k := range s.cfg.Keys {
		if k.MSPID == mspID && strings.HasPrefix(k.User, "User") {
			out = append(out, k.Principal)
		}
	}
	sort.Strings(out)
	return out
}

// public is the transport of the public routes from the next source address in turn:
// 127.77.x.y for 0 up to Addresses-1 (loopback answers any 127/8 address), or the
// default one for one address, so each address carries 1/Addresses of the requests.
func (s *service) public() ledgerapi.Transport {
	n := max(s.cfg.Addresses, 1)
	i := int(s.nextAddress.Add(1)-1) % n
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.publics == nil {
		s.publics = make([]ledgerapi.Transport, n)
	}
	if s.publics[i] == nil {
		hc := s.http
		if n > 1 {
			ip := net.IPv4(127, 77, byte(i>>8), byte(i&0xff))
			dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
			hc = s.httpClient(&http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute})
		}
		s.publics[i] = counted{client.New(s.cfg.URL, "", client.WithHTTPClient(hc)), s}
	}
	return s.publics[i]
}

// close closes idle connections.
func (s *service) close() {
	s.meta.CloseIdleConnections()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.httpClients {
		c.CloseIdleConnections()
	}
}

// phaseMetric is the service's histogram of Fabric phases by phase and outcome; a
// commit-status call that got the transaction's status counts as outcome OK whether the
// transaction was VALID or not.
const phaseMetric = "cxl_gateway_fabric_phase_duration_seconds"

// ServiceCounters are the gateway service's counters at one moment, read from its /metrics.
type ServiceCounters struct {
	// RetriedConflicts estimates how many transactions the service saw commit invalid and
	// retried (its MVCC and phantom retries), so far: the commit statuses it obtained, less
	// the mutations it answered 200 (one VALID commit each) and those it answered with a
	// conflict (one invalid commit each, not retried). The service does not count its
	// retries itself.
	RetriedConflicts int
	// Phases are the calls of each Fabric phase and the seconds they took, all outcomes.
	Phases map[string]PhaseCounter
}

// PhaseCounter is a phase's call count and total seconds.
type PhaseCounter struct{ Calls, Seconds float64 }

// PhasesSince is the mean duration of each phase over the calls made since earlier.
func (c ServiceCounters) PhasesSince(earlier ServiceCounters) map[string]bench.PhaseStat {
	stats := map[string]bench.PhaseStat{}
	for phase, now := range c.Phases {
		calls := now.Calls - earlier.Phases[phase].Calls
		if calls <= 0 {
			continue
		}
		seconds := now.Seconds - earlier.Phases[phase].Seconds
		stats[phase] = bench.PhaseStat{Calls: int(calls), MeanMs: 1000 * seconds / calls}
	}
	return stats
}

// counters reads the service's counters.
func (s *service) counters(ctx context.Context) (ServiceCounters, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.URL+"/metrics", nil)
	if err != nil {
		return ServiceCounters{}, err
	}
	resp, err := s.meta.Do(req)
	if err != nil {
		return ServiceCounters{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ServiceCounters{}, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	phases, commits, err := parsePhases(resp.Body)
	if err != nil {
		return ServiceCounters{}, err
	}
	return ServiceCounters{
		RetriedConflicts: commits - int(s.committed.Load()) - int(s.conflicted.Load()),
		Phases:           phases,
	}, nil
}

// parsePhases reads the phase histogram's counts and sums from Prometheus text: the
// counters of each phase over all outcomes, and the commit-phase calls with outcome OK.
func parsePhases(r io.Reader) (map[string]PhaseCounter, int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	phases := map[string]PhaseCounter{}
	commits := 0
	for sc.Scan() {
		line := sc.Text()
		count := strings.HasPrefix(line, phaseMetric+"_count{")
		if !count && !strings.HasPrefix(line, phaseMetric+"_sum{") {
			continue
		}
		phase := label(line, "phase")
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil || phase == "" {
			return nil, 0, fmt.Errorf("parse %q: want a phase label and a number", line)
		}
		pc := phases[phase]
		if count {
			pc.Calls += v
			if phase == "commit" && label(line, "outcome") == "OK" {
				commits += int(v)
			}
		} else {
			pc.Seconds += v
		}
		phases[phase] = pc
	}
	return phases, commits, sc.Err()
}

// label is the value of a label in a Prometheus sample line, or "".
func label(line, name string) string {
	_, rest, ok := strings.Cut(line, name+`="`)
	if !ok {
		return ""
	}
	value, _, _ := strings.Cut(rest, `"`)
	return value
}
