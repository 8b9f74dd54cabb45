package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/ledgerapi"
)

func TestStatusMapsEveryCode(t *testing.T) {
	for code, want := range map[cxlerr.Code]int{
		cxlerr.Invalid: 400, cxlerr.Unauthenticated: 401, cxlerr.Forbidden: 403, cxlerr.NotFound: 404,
		cxlerr.Conflict: 409, cxlerr.Expired: 409, cxlerr.InsufficientFunds: 409, cxlerr.TooLarge: 413,
		cxlerr.IdempotencyMismatch: 422, cxlerr.RateLimited: 429, cxlerr.Unavailable: 503,
		cxlerr.Timeout: 504, cxlerr.Pending: 202, cxlerr.Internal: 500, "SOMETHING_NEW": 500,
	} {
		if got := Status(code); got != want {
			t.Errorf("Status(%s) = %d, want %d", code, got, want)
		}
	}
	// A code added to the vocabulary must get its own status, not the default 500.
	for _, code := range cxlerr.Codes() {
		if got := Status(code); got == http.StatusInternalServerError && code != cxlerr.Internal {
			t.Errorf("Status(%s) falls to the default 500", code)
		}
	}
}

// TestFabricFailuresReachTheClient sends failures as the Fabric adapter classifies them
// (from real gRPC status errors) through a mutation and checks status and envelope.
func TestFabricFailuresReachTheClient(t *testing.T) {
	ts := newTestServer(t, nil)
	for i, tc := range []struct {
		err       error
		status    int
		code      cxlerr.Code
		retryable bool
	}{
		{status.Error(codes.Unavailable, "connection refused"), 503, cxlerr.Unavailable, true},
		{status.Error(codes.DeadlineExceeded, "endorsement timeout expired"), 504, cxlerr.Timeout, true},
		{status.Error(codes.PermissionDenied, "access denied"), 403, cxlerr.Forbidden, false},
		{status.Error(codes.Unknown, "chaincode response 500, cxl:NOT_FOUND: lot L1 not found"), 404, cxlerr.NotFound, false},
		{status.Error(codes.Unknown, "chaincode response 500, cxl:CONFLICT: already registered"), 409, cxlerr.Conflict, false},
		{status.Error(codes.Unknown, "chaincode response 500, cxl:INVALID: gtin"), 400, cxlerr.Invalid, false},
	} {
		ts.b.refuse = fabric.Classify(tc.err)
		r := ts.do(t, "POST", "/v1/health/pings", `{"nonce":"n"}`, alice, "Idempotency-Key: map-"+string(rune('a'+i)))
		e := r.envelope(t)
		if r.status != tc.status || e.Code != tc.code || e.Retryable != tc.retryable || e.TransactionID == "" {
			t.Errorf("%v: %d %+v, want %d %s retryable=%v with a transaction ID", tc.err, r.status, e, tc.status, tc.code, tc.retryable)
		}
		if (tc.code == cxlerr.Unavailable || tc.code == cxlerr.Timeout) && r.header.Get("Retry-After") == "" {
			t.Errorf("%s without Retry-After", tc.code)
		}
	}
}

func TestMutationCommitted(t *testing.T) {
	ts := newTestServer(t, nil)
	r := ts.do(t, "POST", "/v1/health/pings", `{"nonce":"n1"}`, alice, "Idempotency-Key: k1")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var got struct {
		TransactionID string          `json:"transactionId"`
		BlockNumber   uint64          `json:"blockNumber"`
		Result        json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatal(err)
	}
	if got.TransactionID == "" || got.BlockNumber != 5 || !strings.Contains(string(got.Result), `"nonce":"n1"`) {
		t.Fatalf("body %s", r.body)
	}
	st := ts.do(t, "GET", "/v1/transactions/"+got.TransactionID, "", alice)
	if st.status != 200 || !strings.Contains(st.body, `"state":"COMMITTED"`) || !strings.Contains(st.body, `"nonce":"n1"`) {
		t.Fatalf("status of the transaction to its submitter: %d %s", st.status, st.body)
	}
	st = ts.do(t, "GET", "/v1/transactions/"+got.TransactionID, "", "X-API-Key: bob-key")
	if st.status != 200 || strings.Contains(st.body, "result") {
		t.Fatalf("status of the transaction to another client shows the result: %s", st.body)
	}
}

func TestIdempotency(t *testing.T) {
	ts := newTestServer(t, nil)
	first := ts.do(t, "POST", "/v1/health/pings", `{"nonce":"n1"}`, alice, "Idempotency-Key: k1")
	again := ts.do(t, "POST", "/v1/health/pings", `{"nonce":"n1"}`, alice, "Idempotency-Key: k1")
	if again.status != 200 || again.body != first.body || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("same key and body: %d %s, want the first response %s replayed", again.status, again.body, first.body)
	}
	if n := ts.b.runs.Load(); n != 1 {
		t.Fatalf("%d transactions for one key, want 1", n)
	}
	other := ts.do(t, "POST", "/v1/health/pings", `{"nonce":"n2"}`, alice, "Idempotency-Key: k1")
	if other.status != 422 || other.envelope(t).Code != cxlerr.IdempotencyMismatch {
		t.Fatalf("same key, other body: %d %s", other.status, other.body)
	}
	// The same key on another operation is another request too.
	if r := ts.do(t, "POST", "/v1/consortium/role-proposals", `{"msp":"Org2MSP","role":"carrier"}`, alice, "Idempotency-Key: k1"); r.status != 422 {
		t.Fatalf("same key, other operation: %d %s", r.status, r.body)
	}
	// Keys are per client.
	if r := ts.do(t, "POST", "/v1/health/pings", `{"nonce":"n2"}`, "X-API-Key: bob-key", "Idempotency-Key: k1"); r.status != 200 {
		t.Fatalf("bob's k1: %d %s", r.status, r.body)
	}
	for _, key := range []string{"", strings.Repeat("k", 129), "has space"} {
		r := ts.do(t, "POST", "/v1/health/pings", `{"nonce":"n3"}`, alice, "Idempotency-Key: "+key)
		if r.status != 400 || !strings.Contains(r.body, "Idempotency-Key") {
			t.Errorf("key %q: %d %s", key, r.status, r.body)
		}
	}
}

// TestConcurrentDuplicates sends the same request many times while the first is still
// running: one transaction, the others 409 while it runs, and the first outcome after.
func TestConcurrentDuplicates(t *testing.T) {
	ts := newTestServer(t, nil)
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	ts.b.outcome = func(context.Context, string) error {
		started <- struct{}{}
		<-release
		return nil
	}
	var wg sync.WaitGroup
	var first response
	wg.Add(1)
	go func() {
		defer wg.Done()
		first = ts.do(t, "POST", "/v1/health/pings", `{"nonce":"dup"}`, alice, "Idempotency-Key: dup")
	}()
	<-started
	const n = 16
	statuses := make(chan int, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := ts.do(t, "POST", "/v1/health/pings", `{"nonce":"dup"}`, alice, "Idempotency-Key: dup")
			if r.status == 409 && !r.envelope(t).Retryable {
				t.Error("409 in flight is not marked retryable")
			}
			statuses <- r.status
		}()
	}
	for range n {
		if s := <-statuses; s != 409 {
			t.Errorf("duplicate while in flight: %d, want 409", s)
		}
	}
	close(release)
	wg.Wait()
	if first.status != 200 {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	after := ts.do(t, "POST", "/v1/health/pings", `{"nonce":"dup"}`, alice, "Idempotency-Key: dup")
	if after.status != 200 || after.body != first.body {
		t.Fatalf("after: %d %s", after.status, after.body)
	}
	if n := ts.b.runs.Load(); n != 1 {
		t.Fatalf("%d transactions, want 1", n)
	}
}

// TestPendingThenResolved: a commit unknown at the deadline answers 202 with a status URL;
// the same request then gets 202 again, and the committed result once reconciliation
// resolved it.
func TestPendingThenResolved(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.b.outcome = func(context.Context, string) error {
		return cxlerr.Errorf(cxlerr.Pending, "not known yet")
	}
	r := ts.do(t, "POST", "/v1/health/pings", `{"nonce":"p"}`, alice, "Idempotency-Key: p")
	e := r.envelope(t)
	if r.status != 202 || e.Code != cxlerr.Pending || r.header.Get("Location") != "/v1/transactions/"+e.TransactionID {
		t.Fatalf("pending: %d %v %s", r.status, r.header, r.body)
	}
	if again := ts.do(t, "POST", "/v1/health/pings", `{"nonce":"p"}`, alice, "Idempotency-Key: p"); again.status != 202 {
		t.Fatalf("repeat while pending: %d %s", again.status, again.body)
	}
	if st := ts.do(t, "GET", r.header.Get("Location"), "", alice); st.status != 200 || !strings.Contains(st.body, `"state":"PENDING"`) {
		t.Fatalf("status while pending: %d %s", st.status, st.body)
	}
	if err := ts.store.Resolve(e.TransactionID, 9, nil); err != nil {
		t.Fatal(err)
	}
	done := ts.do(t, "POST", "/v1/health/pings", `{"nonce":"p"}`, alice, "Idempotency-Key: p")
	if done.status != 200 || !strings.Contains(done.body, `"blockNumber":9`) || !strings.Contains(done.body, `"nonce":"p"`) {
		t.Fatalf("after resolution: %d %s", done.status, done.body)
	}
	if n := ts.b.runs.Load(); n != 1 {
		t.Fatalf("%d transactions, want 1", n)
	}
}

// TestRetryableFailureRunsAgain: a failure that applied nothing and may pass later does not
// burn the key; a final one does.
func TestRetryableFailureRunsAgain(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.b.refuse = cxlerr.Errorf(cxlerr.Unavailable, "no peer")
	if r := ts.do(t, "POST", "/v1/health/pings", `{"nonce":"r"}`, alice, "Idempotency-Key: r"); r.status != 503 {
		t.Fatalf("unavailable: %d %s", r.status, r.body)
	}
	ts.b.refuse = nil
	if r := ts.do(t, "POST", "/v1/health/pings", `{"nonce":"r"}`, alice, "Idempotency-Key: r"); r.status != 200 {
		t.Fatalf("retry: %d %s", r.status, r.body)
	}
	ts.b.refuse = cxlerr.Errorf(cxlerr.Forbidden, "not yours")
	ts.do(t, "POST", "/v1/health/pings", `{"nonce":"f"}`, alice, "Idempotency-Key: f")
	ts.b.refuse = nil
	if r := ts.do(t, "POST", "/v1/health/pings", `{"nonce":"f"}`, alice, "Idempotency-Key: f"); r.status != 403 {
		t.Fatalf("repeat of a final failure: %d %s", r.status, r.body)
	}
	if n := ts.b.runs.Load(); n != 3 {
		t.Fatalf("%d transactions, want 3", n)
	}
}

func TestAuthentication(t *testing.T) {
	ts := newTestServer(t, nil)
	// A missing key and a wrong one are both 401, and told apart.
	for _, tc := range []struct {
		headers []string
		want    string
	}{
		{nil, "an API key is required"},
		{[]string{"Authorization: Basic YWxpY2U6eA=="}, "an API key is required"},
		{[]string{"X-API-Key: wrong"}, "unknown API key"},
		{[]string{"Authorization: Bearer wrong"}, "unknown API key"},
	} {
		r := ts.do(t, "GET", "/v1/health/version", "", tc.headers...)
		if e := r.envelope(t); r.status != 401 || e.Code != cxlerr.Unauthenticated || !strings.HasPrefix(e.Message, tc.want) || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("credentials %v: %d %s, want 401 %q", tc.headers, r.status, r.body, tc.want)
		}
	}
	for _, h := range []string{alice, "Authorization: Bearer alice-key", "authorization: bearer alice-key"} {
		if r := ts.do(t, "GET", "/v1/health/version", "", h); r.status != 200 || !strings.Contains(r.body, `"version":"7"`) {
			t.Errorf("%s: %d %s", h, r.status, r.body)
		}
	}
	if r := ts.do(t, "POST", "/v1/health/pings", `{"nonce":"x"}`, "Idempotency-Key: x"); r.status != 401 {
		t.Errorf("mutation without credentials: %d", r.status)
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} {
		if r := ts.do(t, "GET", path, ""); r.status != 200 {
			t.Errorf("%s without credentials: %d %s", path, r.status, r.body)
		}
	}
	ts.b.ready = cxlerr.Errorf(cxlerr.Unavailable, "no peer answers")
	if r := ts.do(t, "GET", "/readyz", ""); r.status != 503 {
		t.Errorf("readyz with no peer: %d", r.status)
	}
}

func TestRequestValidationAndLimits(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.Limits.BodyBytes = 1024 })
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"nonce":"x","extra":1}`, 400, "unknown field"},
		{`{"nonce":"x"} {}`, 400, "after the JSON value"},
		{`{"nonce":""}`, 400, "nonce"},
		{`not json`, 400, "request body"},
		{`{"nonce":"` + strings.Repeat("x", 2000) + `"}`, 413, "larger than 1024"},
	} {
		r := ts.do(t, "POST", "/v1/health/pings", tc.body, alice, "Idempotency-Key: v")
		if r.status != tc.status || !strings.Contains(r.body, tc.want) {
			t.Errorf("%.40s: %d %s, want %d mentioning %q", tc.body, r.status, r.body, tc.status, tc.want)
		}
	}
	if n := ts.b.runs.Load(); n != 0 {
		t.Fatalf("%d transactions for invalid requests", n)
	}
	if r := ts.do(t, "POST", "/v1/consortium/role-proposals", `{"msp":"Org2MSP","role":"king"}`, alice, "Idempotency-Key: v"); r.status != 400 || !strings.Contains(r.body, "role") {
		t.Errorf("invalid role: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/v1/nowhere", "", alice); r.status != 404 || r.envelope(t).Code != cxlerr.NotFound {
		t.Errorf("unknown endpoint: %d %s", r.status, r.body)
	}
}

func TestRateLimits(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.Limits.Rate, o.Limits.Burst = 0.5, 3 })
	for i := range 3 {
		if r := ts.do(t, "GET", "/v1/health/version", "", alice); r.status != 200 {
			t.Fatalf("request %d within the burst: %d", i, r.status)
		}
	}
	r := ts.do(t, "GET", "/v1/health/version", "", alice)
	if r.status != 429 || r.envelope(t).Code != cxlerr.RateLimited || !r.envelope(t).Retryable || r.header.Get("Retry-After") != "2" {
		t.Fatalf("over the limit: %d %v %s", r.status, r.header, r.body)
	}
	// Another principal has its own budget; operations endpoints have none.
	if r := ts.do(t, "GET", "/v1/health/version", "", "X-API-Key: bob-key"); r.status != 200 {
		t.Fatalf("bob: %d", r.status)
	}
	if r := ts.do(t, "GET", "/healthz", ""); r.status != 200 {
		t.Fatalf("healthz: %d", r.status)
	}
	// Public routes are limited per client address.
	lim := ts.public.get("192.0.2.1")
	for lim.Allow() {
	}
	if ts.public.get("192.0.2.1").Allow() || !ts.public.get("192.0.2.2").Allow() {
		t.Fatal("public limiter is not per address")
	}
}

func TestEventStream(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.Limits.EventStreams = 1 })
	for i, typ := range []string{"Pinged", "RoleProposed", "Pinged"} {
		p := ledgerapi.Position{Block: uint64(10 + i), TxIndex: 1}
		contract := "health"
		if typ == "RoleProposed" {
			contract = "consortium"
		}
		ts.b.events = append(ts.b.events, ledgerapi.Event{ID: p.String(), Position: p, TransactionID: "tx", Contract: contract, Type: typ, Payload: json.RawMessage(`{}`)})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.http.URL+"/v1/events?contract=health", nil)
	req.Header.Set("X-API-Key", "alice-key")
	req.Header.Set("Last-Event-ID", "10:1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	for len(lines) < 4 && sc.Scan() {
		if sc.Text() != "" {
			lines = append(lines, sc.Text())
		}
	}
	if lines[0] != "retry: 1000" || lines[1] != "id: 12:1" || lines[2] != "event: health.Pinged" || !strings.HasPrefix(lines[3], `data: {"id":"12:1"`) {
		t.Fatalf("stream after 10:1 filtered to health: %q", lines)
	}
	if q := ts.b.lastSubs; q.After == nil || *q.After != (ledgerapi.Position{Block: 10, TxIndex: 1}) || q.Contract != "health" {
		t.Fatalf("query %+v", q)
	}
	// One stream per client here: a second one is refused while the first is open.
	if r := ts.do(t, "GET", "/v1/events", "", alice); r.status != 429 {
		t.Fatalf("second stream: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/v1/events?after=bad", "", "X-API-Key: bob-key"); r.status != 400 {
		t.Fatalf("bad position: %d %s", r.status, r.body)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ts.mu.Lock()
		open := ts.streams["alice"]
		ts.mu.Unlock()
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("stream not closed after the client left")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTransactionStatusFromTheLedger(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.b.lookup = map[string]*ledgerapi.TransactionStatus{"elsewhere": {TransactionID: "elsewhere", State: ledgerapi.TxCommitted, BlockNumber: 3, ValidationCode: "VALID"}}
	if r := ts.do(t, "GET", "/v1/transactions/elsewhere", "", alice); r.status != 200 || !strings.Contains(r.body, `"blockNumber":3`) {
		t.Fatalf("known to the ledger: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/v1/transactions/nowhere", "", alice); r.status != 404 {
		t.Fatalf("unknown: %d %s", r.status, r.body)
	}
}

// TestPublicVerify: product verification needs no credentials, is limited per client
// address with Retry-After, and validates its input before any ledger call.
func TestPublicVerify(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.Limits.PublicRate, o.Limits.PublicBurst = 0.2, 2 })
	for i := range 2 {
		r := ts.do(t, "GET", "/v1/provenance/verify/09506000134352/SN1", "")
		if r.status != 200 || !strings.Contains(r.body, `"genuine":true`) {
			t.Fatalf("verify %d: %d %s", i, r.status, r.body)
		}
	}
	r := ts.do(t, "GET", "/v1/provenance/verify/09506000134352/SN1", "")
	if r.status != 429 || r.header.Get("Retry-After") != "5" {
		t.Fatalf("over the public limit: %d %v %s", r.status, r.header, r.body)
	}
	ts = newTestServer(t, nil)
	if r := ts.do(t, "GET", "/v1/provenance/verify/123/SN1", ""); r.status != 400 || !strings.Contains(r.body, "gtin") {
		t.Fatalf("bad GTIN: %d %s", r.status, r.body)
	}
}

func TestPageSizeCap(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.Limits.MaxPageSize = 100 })
	for _, tc := range []struct {
		query  string
		status int
		depth  string
	}{
		{"", 200, `"depth":50`}, {"?pageSize=100", 200, `"depth":100`},
		{"?pageSize=101", 400, "pageSize"}, {"?pageSize=0", 400, "pageSize"}, {"?pageSize=x", 400, "pageSize"},
	} {
		r := ts.do(t, "GET", "/v1/provenance/lots/09506000134352/L1/trace"+tc.query, "", alice)
		if r.status != tc.status || !strings.Contains(r.body, tc.depth) {
			t.Errorf("trace%s: %d %s", tc.query, r.status, r.body)
		}
	}
}
