//go:build integration

package test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cxledger/cxledger/cxlerr"
	gwclient "github.com/cxledger/cxledger/gateway/client"
	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/ledgerapi"
	"github.com/cxledger/cxledger/network"
)

// gwService is the members' gateway services of the test network, started once with
// `cxl gateway up` and stopped with the network by `cxl network down`. A request goes to
// the gateway of its principal's organisation ("org2-admin": Org2's) with that principal's
// key; one without credentials goes to the first member's.
type gwService struct {
	// url is the first member's URL: where requests without credentials go.
	url string
	// keys are the API keys by principal ("org1-user1"), of every member, read from each
	// member's keys file.
	keys map[string]string
	// http is the first member's client.
	http *http.Client
	// members are the services by their name, the principals' prefix ("org1"); first
	// names the first member's.
	members map[string]*gwMember
	first   string
}

// gwMember is one member's gateway service as `cxl gateway up --json` reports it, with a
// client that verifies its TLS certificate against its organisation's TLS root only.
type gwMember struct {
	Org      string `json:"org"`
	MSPID    string `json:"mspId"`
	URL      string `json:"url"`
	KeysFile string `json:"keysFile"`
	Config   string `json:"config"`
	// TLSRoot is the organisation's TLS root, when the service serves HTTPS.
	TLSRoot string `json:"tlsRoot"`
	Service string `json:"service"`
	http    *http.Client
}

var (
	gwOnce sync.Once
	gwSvc  *gwService
	gwErr  error
)

// gwStart starts the services the first time a test needs them. Reconciliation runs every
// second and resubmits after 3 s, so that the fault tests resolve quickly.
func gwStart(t testing.TB) *gwService {
	t.Helper()
	gwOnce.Do(func() {
		os.Setenv("CXL_GATEWAY_RECONCILE_EVERY", "1s")
		os.Setenv("CXL_GATEWAY_RESUBMIT_AFTER", "3s")
		var out []byte
		started := time.Now()
		out, gwErr = h.cli("gateway", "up", "--json")
		if gwErr != nil {
			return
		}
		fmt.Fprintf(os.Stderr, "integration harness: gateway services (%s) ready in %s\n", h.runtime, time.Since(started).Round(100*time.Millisecond))
		var res struct {
			Gateways []*gwMember `json:"gateways"`
		}
		if gwErr = json.Unmarshal(out, &res); gwErr != nil || len(res.Gateways) == 0 {
			gwErr = fmt.Errorf("parse `cxl gateway up --json`: %v\n%s", gwErr, out)
			return
		}
		g := &gwService{keys: map[string]string{}, members: map[string]*gwMember{}}
		for _, m := range res.Gateways {
			if m.http, gwErr = gwClient(m.TLSRoot, 60*time.Second, nil); gwErr != nil {
				return
			}
			var keys []struct {
				Principal string `json:"principal"`
				Key       string `json:"key"`
			}
			data, err := os.ReadFile(m.KeysFile)
			if err != nil {
				gwErr = err
				return
			}
			if gwErr = json.Unmarshal(data, &keys); gwErr != nil {
				return
			}
			for _, k := range keys {
				g.keys[k.Principal] = k.Key
			}
			name := strings.ToLower(m.Org)
			g.members[name] = m
			if g.first == "" {
				g.first, g.url, g.http = name, m.URL, m.http
			}
		}
		gwSvc = g
	})
	if gwErr != nil {
		t.Fatalf("start the gateway services: %v", gwErr)
	}
	return gwSvc
}

// gwClient is an HTTP client that verifies HTTPS against the TLS root in the PEM file root
// only ("" for a plain HTTP service), over a transport tuned by tune (nil: the default).
func gwClient(root string, timeout time.Duration, tune func(*http.Transport)) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if root != "" {
		data, err := os.ReadFile(root)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("no certificate in %s", root)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	if tune != nil {
		tune(tr)
	}
	return &http.Client{Timeout: timeout, Transport: tr}, nil
}

// member is the gateway service of principal's organisation ("org2-user1": Org2's), or
// the first member's for a principal of no organisation ("" and strangers).
func (g *gwService) member(principal string) *gwMember {
	org, _, _ := strings.Cut(principal, "-")
	if m, ok := g.members[org]; ok {
		return m
	}
	return g.members[g.first]
}

// urlFor is the URL of principal's gateway service.
func (g *gwService) urlFor(principal string) string { return g.member(principal).URL }

// tuned is g with clients over transports tuned by tune, for load.
func (g *gwService) tuned(tune func(*http.Transport)) (*gwService, error) {
	c := *g
	c.members = map[string]*gwMember{}
	for name, m := range g.members {
		cm := *m
		var err error
		if cm.http, err = gwClient(m.TLSRoot, time.Minute, tune); err != nil {
			return nil, err
		}
		c.members[name] = &cm
	}
	c.http = c.members[c.first].http
	return &c, nil
}

// gwResp is a response read in full.
type gwResp struct {
	status int
	header http.Header
	body   []byte
}

// gwCommitted is the body of a committed mutation.
type gwCommitted struct {
	TransactionID string          `json:"transactionId"`
	BlockNumber   uint64          `json:"blockNumber"`
	Result        json.RawMessage `json:"result"`
}

// call sends a request as principal ("" for none) to its organisation's gateway service
// with an Idempotency-Key ("" for none) and a JSON body (nil for none).
func (g *gwService) call(method, path, principal, key string, body any) (gwResp, error) {
	m := g.member(principal)
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return gwResp{}, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, m.URL+path, rd)
	if err != nil {
		return gwResp{}, err
	}
	if principal != "" {
		req.Header.Set("X-API-Key", g.keys[principal])
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return gwResp{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return gwResp{status: resp.StatusCode, header: resp.Header, body: data}, err
}

// do is call that fails the test on a transport error.
func (g *gwService) do(t testing.TB, method, path, principal, key string, body any) gwResp {
	t.Helper()
	r, err := g.call(method, path, principal, key, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// post submits a mutation with a fresh idempotency key and checks its status.
func (g *gwService) post(t testing.TB, path, principal string, body any, status int) gwResp {
	t.Helper()
	r := g.do(t, "POST", path, principal, fmt.Sprintf("it-%d", time.Now().UnixNano()), body)
	r.want(t, status, "POST "+path+" as "+principal)
	return r
}

// get queries and checks the status.
func (g *gwService) get(t testing.TB, path, principal string, status int) gwResp {
	t.Helper()
	r := g.do(t, "GET", path, principal, "", nil)
	r.want(t, status, "GET "+path)
	return r
}

func (r gwResp) want(t testing.TB, status int, what string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.body)
	}
}

func (r gwResp) committed(t testing.TB) gwCommitted {
	t.Helper()
	var c gwCommitted
	if err := json.Unmarshal(r.body, &c); err != nil || c.TransactionID == "" {
		t.Fatalf("not a committed mutation (%v): %s", err, r.body)
	}
	return c
}

func (r gwResp) envelope(t testing.TB) cxlerr.Error {
	t.Helper()
	var e cxlerr.Error
	if err := json.Unmarshal(r.body, &e); err != nil || e.Code == "" {
		t.Fatalf("not the error envelope (%v): %s", err, r.body)
	}
	return e
}

// wantError checks an error response's status and code.
func (r gwResp) wantError(t testing.TB, status int, code cxlerr.Code, what string) cxlerr.Error {
	t.Helper()
	r.want(t, status, what)
	e := r.envelope(t)
	if e.Code != code {
		t.Fatalf("%s: code %s, want %s: %s", what, e.Code, code, r.body)
	}
	return e
}

func gwDecode(t testing.TB, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
}

// TestGatewayCLI starts the services with `cxl gateway up` and checks what they leave
// behind: URLs that answer, keys readable by their owner only and absent from the
// configurations, status (processes natively, the gateway containers under Docker) and a
// second up that changes nothing.
func TestGatewayCLI(t *testing.T) {
	g := gwStart(t)
	for name, m := range g.members {
		g.get(t, "/readyz", name+"-user1", 200)
		info, err := os.Stat(m.KeysFile)
		if err != nil || info.Mode().Perm() != 0o600 || filepath.Dir(m.KeysFile) != h.home.Path("gateway", name) {
			t.Fatalf("%s: %v, mode %v", m.KeysFile, err, info.Mode())
		}
		cfg, err := os.ReadFile(m.Config)
		if err != nil {
			t.Fatal(err)
		}
		for p, k := range g.keys {
			if strings.Contains(string(cfg), k) {
				t.Fatalf("the configuration of %s holds the API key of %s", name, p)
			}
		}
	}
	out, err := h.cli("gateway", "status", "--json")
	if err != nil || strings.Count(string(out), `"ready": true`) != len(h.profile.Orgs) || strings.Count(string(out), `"runtime": "`+string(h.runtime)+`"`) != len(h.profile.Orgs) {
		t.Fatalf("status, want every member's ready as a %s service: %v\n%s", h.runtime, err, out)
	}
	out, err = h.cli("gateway", "up", "--json")
	if err != nil || strings.Count(string(out), `"alreadyUp": true`) != len(h.profile.Orgs) || strings.Contains(string(out), "demoKey") {
		t.Fatalf("second up: %v\n%s", err, out)
	}
}

// TestGatewayHealthAndTransactions: a ping commits (200 only once VALID), repeats by key,
// refuses another body under the same key, and its status is known; the version answers;
// unknown transactions, missing keys, bad bodies and missing credentials are refused.
func TestGatewayHealthAndTransactions(t *testing.T) {
	g := gwStart(t)
	nonce := fmt.Sprintf("gw-health-%d", time.Now().UnixNano())
	first := g.do(t, "POST", "/v1/health/pings", "org1-user1", nonce, map[string]string{"nonce": nonce})
	first.want(t, 200, "ping")
	c := first.committed(t)
	var ping struct {
		Nonce string `json:"nonce"`
		MSPID string `json:"mspId"`
		TxID  string `json:"txId"`
	}
	gwDecode(t, c.Result, &ping)
	if ping.Nonce != nonce || ping.MSPID != "Org1MSP" || ping.TxID != c.TransactionID || c.BlockNumber == 0 {
		t.Fatalf("ping %+v in %+v", ping, c)
	}
	again := g.do(t, "POST", "/v1/health/pings", "org1-user1", nonce, map[string]string{"nonce": nonce})
	if again.status != 200 || !bytes.Equal(again.body, first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("repeat: %d %s", again.status, again.body)
	}
	g.do(t, "POST", "/v1/health/pings", "org1-user1", nonce, map[string]string{"nonce": nonce + "x"}).
		wantError(t, 422, cxlerr.IdempotencyMismatch, "same key, other body")

	var st ledgerapi.TransactionStatus
	gwDecode(t, g.get(t, "/v1/transactions/"+c.TransactionID, "org1-user1", 200).body, &st)
	if st.State != ledgerapi.TxCommitted || st.BlockNumber != c.BlockNumber || st.ValidationCode != "VALID" || len(st.Result) == 0 {
		t.Fatalf("status %+v", st)
	}
	g.get(t, "/v1/transactions/"+strings.Repeat("0", 64), "org1-user1", 404)

	var v ledgerapi.VersionInfo
	gwDecode(t, g.get(t, "/v1/health/version", "org2-user1", 200).body, &v)
	if v.Version == "" {
		t.Fatal("empty version")
	}

	g.do(t, "POST", "/v1/health/pings", "org1-user1", "", map[string]string{"nonce": "x"}).wantError(t, 400, cxlerr.Invalid, "no Idempotency-Key")
	g.post(t, "/v1/health/pings", "org1-user1", map[string]string{"nonce": ""}, 400)
	g.post(t, "/v1/health/pings", "org1-user1", map[string]any{"nonce": "x", "extra": 1}, 400)
	g.post(t, "/v1/health/pings", "org1-user1", map[string]string{"nonce": strings.Repeat("x", 70000)}, 413)
	g.post(t, "/v1/health/pings", "", map[string]string{"nonce": "x"}, 401)
	g.get(t, "/v1/health/version", "", 401)
	g.get(t, "/v1/nowhere", "org1-user1", 404)
}

// TestGatewayAnswersOnceEveryPeerHasTheBlock checks the service's read-your-writes promise:
// when it answers a mutation, every peer of both organisations has committed its block, so
// the next request sees it whichever peer endorses or answers it. Pings submitted directly
// at 150/s (60/s under Docker, where every link between hosts goes through docker-proxy and
// costs the 2 cores more) keep the peers busy, as on a loaded network, where they commit a
// block at different moments. A ping whose commit the service does not know within its
// request timeout answers 202 PENDING, as it should: the test follows it to its commit and
// checks the others. The promise has a bound (timeouts.settle, 1 s): a peer that misses it is
// logged, counted (the settle phase's TIMEOUT outcome) and not waited for until it catches
// up. On an overloaded machine that happens; an early answer is then what the service says
// it does, and the test counts it. An early answer with no missed bound on record fails.
func TestGatewayAnswersOnceEveryPeerHasTheBlock(t *testing.T) {
	g := gwStart(t)
	qscc := ccPeers(t, "User1")
	rate := 150
	if h.runtime == network.Docker {
		rate = 60
	}
	background := startLoad(t, rate)
	defer background.finish()
	missedBefore := gwSettleTimeouts(t, g)
	early, pending := 0, 0
	for i := range 30 {
		principal := []string{"org1-user1", "org2-user1"}[i%2]
		nonce := fmt.Sprintf("gw-settle-%d-%d", time.Now().UnixNano(), i)
		c := g.do(t, "POST", "/v1/health/pings", principal, nonce, map[string]string{"nonce": nonce})
		if c.status == 202 {
			pending++
			gwAwaitCommitted(t, g, principal, c)
			continue
		}
		c.want(t, 200, "ping")
		block := c.committed(t).BlockNumber
		heights, err := ccHeights(qscc)
		if err != nil {
			t.Fatal(err)
		}
		for p, height := range heights {
			if height > block {
				continue
			}
			if missed := gwSettleTimeouts(t, g) - missedBefore; missed == 0 {
				t.Fatalf("ping %d by %s answered with block %d while peer %d has %d blocks (heights %v), and no peer missed the settle bound", i, principal, block, p, height, heights)
			}
			early++
			break
		}
	}
	if early > 0 {
		t.Logf("%d of 30 answers came before every peer had the block: peers missed the settle bound %v times (machine overloaded; load average %s)", early, gwSettleTimeouts(t, g)-missedBefore, provLoad())
	}
	if pending > 0 {
		t.Logf("%d of 30 pings answered 202 PENDING and committed later (load average %s)", pending, provLoad())
	}
	if pending == 30 {
		t.Fatal("no ping answered 200: the promise was not checked once")
	}
}

// gwAwaitCommitted follows a mutation answered 202 PENDING through the service's
// transaction status until it committed VALID, for up to 60 s.
func gwAwaitCommitted(t *testing.T, g *gwService, principal string, answer gwResp) {
	t.Helper()
	var e struct {
		Code          string `json:"code"`
		TransactionID string `json:"transactionId"`
	}
	if err := json.Unmarshal(answer.body, &e); err != nil || e.Code != string(cxlerr.Pending) || e.TransactionID == "" {
		t.Fatalf("202 answer %s: want a PENDING error naming its transaction (%v)", answer.body, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var st ledgerapi.TransactionStatus
		gwDecode(t, g.get(t, "/v1/transactions/"+e.TransactionID, principal, 200).body, &st)
		if st.State == ledgerapi.TxCommitted {
			if st.ValidationCode != "VALID" {
				t.Fatalf("pending transaction %s committed %s", e.TransactionID, st.ValidationCode)
			}
			return
		}
		if st.State == ledgerapi.TxFailed {
			t.Fatalf("pending transaction %s failed: %+v", e.TransactionID, st)
		}
		if time.Now().After(deadline) {
			t.Fatalf("pending transaction %s not committed within 60 s: %+v", e.TransactionID, st)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// gwSettleTimeouts is how often the members' services have, since they started, stopped
// waiting for a peer that missed the settle bound.
func gwSettleTimeouts(t *testing.T, g *gwService) float64 {
	t.Helper()
	const series = `cxl_gateway_fabric_phase_duration_seconds_count{outcome="TIMEOUT",phase="settle"} `
	var total float64
	for _, principal := range []string{"org1-user1", "org2-user1"} {
		for line := range strings.SplitSeq(string(g.get(t, "/metrics", principal, 200).body), "\n") {
			if n, ok := strings.CutPrefix(line, series); ok {
				var v float64
				if _, err := fmt.Sscan(n, &v); err != nil {
					t.Fatalf("metric line %q: %v", line, err)
				}
				total += v
			}
		}
	}
	return total
}

// TestGatewayConsortium runs a role grant and its revocation through the four consortium
// endpoints, each change by an admin of the right organisation, and the refusals the
// contract makes.
func TestGatewayConsortium(t *testing.T) {
	g := gwStart(t)
	role := map[string]string{"msp": "Org2MSP", "role": "payment"}
	g.post(t, "/v1/consortium/role-proposals", "org1-user1", role, 403)
	g.post(t, "/v1/consortium/role-proposals", "org1-admin", map[string]string{"msp": "Org2MSP", "role": "king"}, 400)
	var grant struct {
		MSP    string `json:"msp"`
		Role   string `json:"role"`
		Status string `json:"status"`
	}
	gwDecode(t, g.post(t, "/v1/consortium/role-proposals", "org1-admin", role, 200).committed(t).Result, &grant)
	if grant.Status != "proposed" {
		t.Fatalf("proposal %+v", grant)
	}
	g.post(t, "/v1/consortium/role-proposals", "org1-admin", role, 409)
	g.post(t, "/v1/consortium/role-approvals", "org1-admin", role, 403)
	gwDecode(t, g.post(t, "/v1/consortium/role-approvals", "org2-admin", role, 200).committed(t).Result, &grant)
	if grant.Status != "active" {
		t.Fatalf("approval %+v", grant)
	}
	var grants []struct {
		MSP, Role, Status string
	}
	gwDecode(t, g.get(t, "/v1/consortium/roles", "org1-user2", 200).body, &grants)
	found := false
	for _, gr := range grants {
		found = found || gr.MSP == "Org2MSP" && gr.Role == "payment" && gr.Status == "active"
	}
	if !found {
		t.Fatalf("roles %+v lack Org2MSP payment", grants)
	}
	gwDecode(t, g.post(t, "/v1/consortium/role-revocations", "org2-admin", role, 200).committed(t).Result, &grant)
	if grant.Status != "revoking" {
		t.Fatalf("revocation %+v", grant)
	}
	gwDecode(t, g.post(t, "/v1/consortium/role-approvals", "org1-admin", role, 200).committed(t).Result, &grant)
	if grant.Status != "revoked" {
		t.Fatalf("revocation approved %+v", grant)
	}
	g.post(t, "/v1/consortium/role-revocations", "org2-admin", role, 404)
}

// TestGatewayClient drives the service through gateway/client, the ledgerapi the CLI uses:
// a committed ping, a refusal by the chaincode that arrives as the same coded error with its
// transaction ID, the transaction's status and its event.
func TestGatewayClient(t *testing.T) {
	g := gwStart(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := gwclient.New(g.urlFor("org2-user2"), g.keys["org2-user2"], gwclient.WithHTTPClient(g.member("org2-user2").http))
	l := c.Ledger()
	nonce := fmt.Sprintf("gw-client-%d", time.Now().UnixNano())
	ping, err := l.Health().Ping(ledgerapi.WithIdempotencyKey(ctx, nonce), ledgerapi.PingRequest{Nonce: nonce})
	if err != nil || ping.Result.Nonce != nonce || ping.Result.MSPID != "Org2MSP" {
		t.Fatalf("ping: %+v %v", ping, err)
	}
	again, err := l.Health().Ping(ledgerapi.WithIdempotencyKey(ctx, nonce), ledgerapi.PingRequest{Nonce: nonce})
	if err != nil || again.TransactionID != ping.TransactionID {
		t.Fatalf("repeat with the same key: %+v %v", again, err)
	}
	st, err := c.Transactions().Status(ctx, ping.TransactionID)
	if err != nil || st.State != ledgerapi.TxCommitted || st.BlockNumber != ping.BlockNumber {
		t.Fatalf("status: %+v %v", st, err)
	}
	events, err := c.Events().Subscribe(ctx, ledgerapi.EventQuery{Contract: "health", After: &ledgerapi.Position{Block: ping.BlockNumber - 1, TxIndex: 1 << 30}})
	if err != nil {
		t.Fatal(err)
	}
	for ev := range events {
		if ev.TransactionID == ping.TransactionID {
			break
		}
	}
	if ctx.Err() != nil {
		t.Fatal("no event for the ping")
	}
	_, err = l.Provenance().RegisterProduct(ctx, ledgerapi.RegisterProductRequest{GTIN: gwGTIN("950600013435"), Name: "not a brand"})
	if e := cxlerr.From(err); e.Code != cxlerr.Forbidden || e.TransactionID == "" || !strings.Contains(e.Message, "brand") {
		t.Fatalf("a carrier registering a product: %+v", e)
	}
}

// TestGatewayMembersHoldOnlyTheirOwnKeys: each member's gateway service is given only its
// own organisation's identities: its configuration and keys file name no other member's
// key, certificate, principal or MSP (of another member only its peers and their public
// TLS root, to follow their heights), and under Docker its container mounts nothing of
// another member but that root. Its listener is HTTPS under Docker, verified with its own
// organisation's TLS root and not another's, and refuses plain HTTP; natively it listens on
// the loopback only.
func TestGatewayMembersHoldOnlyTheirOwnKeys(t *testing.T) {
	g := gwStart(t)
	if len(g.members) != len(h.profile.Orgs) {
		t.Fatalf("%d gateway services for %d organisations", len(g.members), len(h.profile.Orgs))
	}
	for name, m := range g.members {
		cfgData, err := os.ReadFile(m.Config)
		if err != nil {
			t.Fatal(err)
		}
		keysData, err := os.ReadFile(m.KeysFile)
		if err != nil {
			t.Fatal(err)
		}
		var cfg config.Config
		if err := yaml.Unmarshal(cfgData, &cfg); err != nil {
			t.Fatal(err)
		}
		for id, ident := range cfg.Identities {
			if ident.MSPID != m.MSPID || !strings.HasPrefix(id, name+"-") {
				t.Errorf("the gateway of %s holds identity %s of %s", m.Org, id, ident.MSPID)
			}
		}
		for _, p := range cfg.Principals {
			if !strings.HasPrefix(p.Name, name+"-") {
				t.Errorf("the gateway of %s knows principal %s", m.Org, p.Name)
			}
		}
		for _, o := range h.profile.Orgs {
			if o.MSPID == m.MSPID {
				continue
			}
			other := strings.ToLower(strings.TrimSuffix(o.MSPID, "MSP"))
			for file, data := range map[string][]byte{m.Config: cfgData, m.KeysFile: keysData} {
				text := string(data)
				for user, id := range o.Users {
					for _, s := range []string{id.Key, id.Cert, filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(id.Key)))), other + "-" + strings.ToLower(user), o.MSPID} {
						if strings.Contains(text, s) {
							t.Errorf("%s names %q of %s", file, s, o.MSPID)
						}
					}
				}
			}
		}
		if h.runtime != network.Docker {
			u, err := url.Parse(m.URL)
			if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || m.TLSRoot != "" {
				t.Errorf("the native gateway of %s: %s (TLS root %q), want plain HTTP on the loopback", m.Org, m.URL, m.TLSRoot)
			}
			continue
		}
		gwCheckMounts(t, m)
		gwCheckTLS(t, g, m)
	}
	t.Logf("%d members' gateway services (%s): configuration and keys file name only their own members' keys; under Docker mounts and TLS checked too", len(g.members), h.runtime)
}

// gwCheckMounts checks what m's container mounts, as Docker reports it: its own state
// directory, its own organisation's users and the peers' public TLS root certificates.
func gwCheckMounts(t *testing.T, m *gwMember) {
	t.Helper()
	out, err := exec.Command("docker", "ps", "--all", "--quiet", "--filter", "label=com.docker.compose.project="+h.profile.ComposeProject,
		"--filter", "label=com.docker.compose.service="+m.Service).Output()
	if err != nil || len(strings.Fields(string(out))) != 1 {
		t.Fatalf("the container of %s: %v %q", m.Service, err, out)
	}
	out, err = exec.Command("docker", "inspect", "--format", "{{json .Mounts}}", strings.TrimSpace(string(out))).Output()
	if err != nil {
		t.Fatal(err)
	}
	var mounts []struct{ Source, Destination string }
	if err := json.Unmarshal(out, &mounts); err != nil {
		t.Fatal(err)
	}
	own := strings.ToLower(m.Org)
	allowed := func(src string) bool {
		rel, err := filepath.Rel(string(h.home), src)
		if err != nil {
			return false
		}
		rel = filepath.ToSlash(rel)
		if rel == "gateway/"+own || rel == "crypto/peerOrganizations/"+own+".example.com/users" {
			return true
		}
		dir, file := path.Split(rel)
		return strings.HasPrefix(dir, "crypto/peerOrganizations/") && strings.HasSuffix(dir, "/tlsca/") && file == "tlsca."+strings.TrimSuffix(strings.TrimPrefix(dir, "crypto/peerOrganizations/"), "/tlsca/")+"-cert.pem"
	}
	if len(mounts) == 0 {
		t.Fatalf("%s mounts nothing", m.Service)
	}
	for _, mt := range mounts {
		if !allowed(mt.Source) {
			t.Errorf("%s mounts %s at %s", m.Service, mt.Source, mt.Destination)
		}
	}
}

// gwCheckTLS checks m's listener under Docker: HTTPS verified with its organisation's TLS
// root, refused with another organisation's, and no answer but a refusal to plain HTTP.
func gwCheckTLS(t *testing.T, g *gwService, m *gwMember) {
	t.Helper()
	u, err := url.Parse(m.URL)
	if err != nil || u.Scheme != "https" || m.TLSRoot == "" {
		t.Fatalf("the gateway of %s under Docker: %s (TLS root %q), want HTTPS", m.Org, m.URL, m.TLSRoot)
	}
	if r := g.do(t, "GET", "/readyz", strings.ToLower(m.Org)+"-user1", "", nil); r.status != 200 {
		t.Fatalf("%s verified with its own root: %d %s", m.URL, r.status, r.body)
	}
	for name, other := range g.members {
		if other == m {
			continue
		}
		c, err := gwClient(other.TLSRoot, 10*time.Second, nil)
		if err != nil {
			t.Fatal(err)
		}
		var unknown x509.UnknownAuthorityError
		if _, err := c.Get(m.URL + "/readyz"); !errors.As(err, &unknown) {
			t.Errorf("%s verified with the TLS root of %s: %v, want an unknown authority", m.URL, name, err)
		}
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + u.Host + "/readyz")
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 || strings.Contains(string(body), "ready") {
			t.Errorf("plain HTTP to %s answered %d %s", u.Host, resp.StatusCode, body)
		}
	}
}
