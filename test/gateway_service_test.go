//go:build integration

package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	gwclient "github.com/cxledger/cxledger/gateway/client"
	"github.com/cxledger/cxledger/ledgerapi"
)

// gwService is the gateway service of the test network, started once with
// `cxl gateway up` and stopped with the network by `cxl network down`.
type gwService struct {
	url  string
	keys map[string]string // API key by principal ("org1-user1")
	http *http.Client
}

var (
	gwOnce sync.Once
	gwSvc  *gwService
	gwErr  error
)

// gwStart starts the service the first time a test needs it. Reconciliation runs every
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
		fmt.Fprintf(os.Stderr, "integration harness: gateway service (%s) ready in %s\n", h.runtime, time.Since(started).Round(100*time.Millisecond))
		var res struct {
			URL      string `json:"url"`
			KeysFile string `json:"keysFile"`
		}
		if gwErr = json.Unmarshal(out, &res); gwErr != nil {
			gwErr = fmt.Errorf("parse `cxl gateway up --json`: %w\n%s", gwErr, out)
			return
		}
		var keys []struct {
			Principal string `json:"principal"`
			Key       string `json:"key"`
		}
		data, err := os.ReadFile(res.KeysFile)
		if err != nil {
			gwErr = err
			return
		}
		if gwErr = json.Unmarshal(data, &keys); gwErr != nil {
			return
		}
		gwSvc = &gwService{url: res.URL, keys: map[string]string{}, http: &http.Client{Timeout: 60 * time.Second}}
		for _, k := range keys {
			gwSvc.keys[k.Principal] = k.Key
		}
	})
	if gwErr != nil {
		t.Fatalf("start the gateway service: %v", gwErr)
	}
	return gwSvc
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

// call sends a request as principal ("" for none) with an Idempotency-Key ("" for none)
// and a JSON body (nil for none).
func (g *gwService) call(method, path, principal, key string, body any) (gwResp, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return gwResp{}, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, g.url+path, rd)
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
	resp, err := g.http.Do(req)
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

// TestGatewayCLI starts the service with `cxl gateway up` and checks what it leaves behind:
// a URL that answers, keys readable by their owner only and absent from the configuration,
// status (a process natively, the gateway container under Docker) and a second up that
// changes nothing.
func TestGatewayCLI(t *testing.T) {
	g := gwStart(t)
	g.get(t, "/readyz", "", 200)
	dir := h.home.Path("gateway")
	info, err := os.Stat(filepath.Join(dir, "api-keys.json"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("api-keys.json: %v, mode %v", err, info.Mode())
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "gateway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for p, k := range g.keys {
		if strings.Contains(string(cfg), k) {
			t.Fatalf("the configuration holds the API key of %s", p)
		}
	}
	out, err := h.cli("gateway", "status", "--json")
	if err != nil || !strings.Contains(string(out), `"ready": true`) || !strings.Contains(string(out), `"runtime": "`+string(h.runtime)+`"`) {
		t.Fatalf("status, want ready as a %s service: %v\n%s", h.runtime, err, out)
	}
	out, err = h.cli("gateway", "up", "--json")
	if err != nil || !strings.Contains(string(out), `"alreadyUp": true`) || strings.Contains(string(out), "demoKey") {
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
// at 150/s keep the peers busy, as on a loaded network, where they commit a block at
// different moments.
func TestGatewayAnswersOnceEveryPeerHasTheBlock(t *testing.T) {
	g := gwStart(t)
	qscc := ccPeers(t, "User1")
	background := startLoad(t, 150)
	defer background.finish()
	for i := range 30 {
		principal := []string{"org1-user1", "org2-user1"}[i%2]
		nonce := fmt.Sprintf("gw-settle-%d-%d", time.Now().UnixNano(), i)
		c := g.do(t, "POST", "/v1/health/pings", principal, nonce, map[string]string{"nonce": nonce})
		c.want(t, 200, "ping")
		block := c.committed(t).BlockNumber
		heights, err := ccHeights(qscc)
		if err != nil {
			t.Fatal(err)
		}
		for p, height := range heights {
			if height <= block {
				t.Fatalf("ping %d by %s answered with block %d while peer %d has %d blocks (heights %v)", i, principal, block, p, height, heights)
			}
		}
	}
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
	c := gwclient.New(g.url, g.keys["org2-user2"])
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
