package workload

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cxledger/cxledger/bench"
	"github.com/cxledger/cxledger/cxlerr"
)

// APIKey is one of the gateway service's API keys and the identity it stands for, as
// `cxl gateway up` writes them to $CXL_HOME/gateway/api-keys.json.
type APIKey struct {
	Principal string `json:"principal"`
	MSPID     string `json:"mspId"`
	User      string `json:"user"`
	Key       string `json:"key"`
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

// route is how an operation is reached: method and path template.
type route struct {
	method, path string
}

// service calls the gateway service's REST API.
type service struct {
	cfg    ServiceConfig
	keys   map[string]string
	routes map[string]route
	http   *http.Client

	mu     sync.Mutex
	public []*http.Client

	// calls counts the answered requests; committed the mutations answered 200 and
	// conflicted those answered with an MVCC or phantom conflict.
	calls, committed, conflicted atomic.Int64
	// nextAddress picks the source address of the next public request.
	nextAddress atomic.Int64
}

func newService(ctx context.Context, cfg ServiceConfig) (*service, error) {
	s := &service{cfg: cfg, keys: map[string]string{}, http: &http.Client{
		Timeout:   time.Minute,
		Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 1024, IdleConnTimeout: time.Minute},
	}}
	for _, k := range append(slices.Clone(cfg.Keys), cfg.Customers...) {
		s.keys[k.Principal] = k.Key
	}
	routes, err := s.discover(ctx)
	if err != nil {
		return nil, err
	}
	s.routes = routes
	return s, nil
}

// discover reads the service's OpenAPI document: the route of every operation by its ID
// ("provenance.Verify").
func (s *service) discover(ctx context.Context) (map[string]route, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.URL+"/openapi.json", nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach the gateway service at %s: %w (is it up? `cxl gateway up`)", s.cfg.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/openapi.json: %s", s.cfg.URL, resp.Status)
	}
	return parseRoutes(resp.Body)
}

// parseRoutes maps every operation ID of an OpenAPI document to its method and path.
func parseRoutes(r io.Reader) (map[string]route, error) {
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse the OpenAPI document: %w", err)
	}
	routes := map[string]route{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if op.OperationID != "" {
				routes[op.OperationID] = route{method: strings.ToUpper(method), path: path}
			}
		}
	}
	return routes, nil
}

// missing lists the operations the service has no route for.
func (s *service) missing(ops ...string) []string {
	var out []string
	for _, op := range ops {
		if _, ok := s.routes[op]; !ok {
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

// ServiceError is a refusal of the gateway service: its HTTP status and error envelope.
// A 202 (the commit was not known by the request deadline) is one too, with code PENDING.
type ServiceError struct {
	Status   int
	Envelope cxlerr.Error
}

func (e *ServiceError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.Status, e.Envelope.Error())
}

// fillPath puts the arguments a path template names into it and returns the rest.
func fillPath(path string, args map[string]any) (string, map[string]any) {
	rest := map[string]any{}
	for k, v := range args {
		placeholder := "{" + k + "}"
		if strings.Contains(path, placeholder) {
			path = strings.ReplaceAll(path, placeholder, url.PathEscape(fmt.Sprint(v)))
			continue
		}
		rest[k] = v
	}
	return path, rest
}

// call runs an operation as principal ("" for a public route, sent from the next source
// address in turn), with idempotency key idem for a mutation: arguments a path names go
// into the path, the rest into the JSON body (or the query of a GET).
func (s *service) call(ctx context.Context, op, principal, idem string, args map[string]any, out any) error {
	rt, ok := s.routes[op]
	if !ok {
		return fmt.Errorf("the gateway service has no route for %s", op)
	}
	path, rest := fillPath(rt.path, args)
	var body io.Reader
	if rt.method == http.MethodGet {
		if len(rest) > 0 {
			q := url.Values{}
			for k, v := range rest {
				q.Set(k, fmt.Sprint(v))
			}
			path += "?" + q.Encode()
		}
	} else {
		raw, err := json.Marshal(rest)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, rt.method, s.cfg.URL+path, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	httpc := s.http
	if principal != "" {
		key, ok := s.keys[principal]
		if !ok {
			return fmt.Errorf("no API key for %s", principal)
		}
		req.Header.Set("X-API-Key", key)
	} else {
		if httpc, err = s.publicClient(int(s.nextAddress.Add(1) - 1)); err != nil {
			return err
		}
	}
	resp, err := httpc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	s.calls.Add(1)
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated:
		if rt.method != http.MethodGet {
			s.committed.Add(1)
		}
		if out != nil {
			return json.Unmarshal(data, out)
		}
		return nil
	case http.StatusAccepted:
		return &ServiceError{Status: resp.StatusCode, Envelope: cxlerr.Error{Code: cxlerr.Pending, Message: "commit status unknown at the request deadline"}}
	}
	se := &ServiceError{Status: resp.StatusCode}
	if err := json.Unmarshal(data, &se.Envelope); err != nil || se.Envelope.Code == "" {
		se.Envelope = cxlerr.Error{Code: cxlerr.Internal, Message: strings.TrimSpace(string(data))}
	}
	switch ClassifyService(se) {
	case bench.MVCC, bench.Phantom:
		s.conflicted.Add(1)
	case bench.RateLimited:
		// As a client should: wait as long as Retry-After says (at most a second), so a
		// refused worker does not spin and take the CPU the measured processes need.
		wait := time.Second
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 && secs < 1 {
			wait = time.Duration(secs) * time.Second
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
	return se
}

// publicClient is the HTTP client of source address slot modulo Addresses: 127.77.x.y for
// 0 up to Addresses-1 (loopback answers any 127/8 address), or the default client for one
// address. Requests take the addresses in turn, so each address carries 1/Addresses of
// them.
func (s *service) publicClient(slot int) (*http.Client, error) {
	n := s.cfg.Addresses
	if n <= 1 {
		return s.http, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.public == nil {
		s.public = make([]*http.Client, n)
	}
	i := slot % n
	if s.public[i] == nil {
		ip := net.IPv4(127, 77, byte(i>>8), byte(i&0xff))
		dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
		s.public[i] = &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			DialContext: dialer.DialContext, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute,
		}}
	}
	return s.public[i], nil
}

// close closes idle connections.
func (s *service) close() {
	s.http.CloseIdleConnections()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.public {
		if c != nil {
			c.CloseIdleConnections()
		}
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
	resp, err := s.http.Do(req)
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

// ClassifyService sorts an error of the gateway service into a failure class: 429 is
// rate limited; a conflict the service gave up retrying is MVCC or phantom by the
// validation code its message names; a pending (202) or timed-out request is a timeout; an
// endorsement failure or a refusal by the chaincode (4xx with a chaincode code) is
// endorsement; anything else (transport errors, 5xx) is other.
func ClassifyService(err error) bench.Class {
	var se *ServiceError
	if !errors.As(err, &se) {
		if errors.Is(err, context.DeadlineExceeded) {
			return bench.Timeout
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return bench.Timeout
		}
		return bench.Other
	}
	msg, code := se.Envelope.Message, se.Envelope.Code
	switch {
	case se.Status == http.StatusTooManyRequests || code == cxlerr.RateLimited:
		return bench.RateLimited
	case strings.Contains(msg, "MVCC_READ_CONFLICT"):
		return bench.MVCC
	case strings.Contains(msg, "PHANTOM_READ_CONFLICT"):
		return bench.Phantom
	case code == cxlerr.Pending || code == cxlerr.Timeout:
		return bench.Timeout
	case strings.Contains(strings.ToLower(msg), "endorse"):
		return bench.Endorsement
	case se.Status >= 400 && se.Status < 500 && se.Status != http.StatusUnauthorized:
		// The chaincode refused the proposal (its coded errors keep their code).
		return bench.Endorsement
	}
	return bench.Other
}
