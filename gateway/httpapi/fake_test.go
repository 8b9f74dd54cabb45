package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/health"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/gateway/metrics"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/ledgerapi"
)

// fakeBackend is a ledger in memory. Transactions journal like the Fabric adapter does
// (Endorsing, then Prepared) and then end as outcome says; every operation answers with what
// answers gives for it, {} if nothing.
type fakeBackend struct {
	mu sync.Mutex
	// outcome decides how a submitted transaction ends: nil commits it, a Pending error
	// leaves it pending, anything else fails it. It may block. op is the operation's name.
	outcome func(ctx context.Context, op string) error
	// refuse fails a mutation at endorsement, before anything is prepared.
	refuse error
	// query, when set, is how every query ends before it answers.
	query    func() error
	events   []ledgerapi.Event
	lookup   map[string]*ledgerapi.TransactionStatus
	ready    error
	runs     atomic.Int32
	lastSubs ledgerapi.EventQuery
	// lastOp and lastReq are the operation and request the ledger last received.
	lastOp  *ledgerapi.Operation
	lastReq any
}

// answers are the fake ledger's results, by operation, made from the caller's identity and
// the request; they echo the request the way the tests look for it.
var answers = map[*ledgerapi.Operation]func(identity string, req any) any{
	&ledgerapi.HealthPing.Operation: func(id string, req any) any {
		return health.Ping{Nonce: req.(*ledgerapi.PingRequest).Nonce, MSPID: id}
	},
	&ledgerapi.HealthVersion.Operation: func(string, any) any { return ledgerapi.VersionInfo{Version: "7"} },
	&ledgerapi.ConsortiumProposeRole.Operation: func(_ string, req any) any {
		r := req.(*ledgerapi.RoleRequest)
		return ledgertypes.RoleGrant{MSP: r.MSP, Role: ledgertypes.Role(r.Role), Status: ledgertypes.RoleProposed}
	},
	&ledgerapi.ProvenanceVerify.Operation: func(_ string, req any) any {
		r := req.(*ledgerapi.VerifyRequest)
		return provenance.Verification{Genuine: true, GTIN: r.GTIN, Serial: r.Serial}
	},
	&ledgerapi.ProvenanceTrace.Operation: func(_ string, req any) any {
		r := req.(*ledgerapi.TraceRequest)
		return provenance.LotTrace{Lot: provenance.TraceLot{GTIN: r.GTIN, Lot: r.Lot, Depth: r.PageSize}}
	},
	&ledgerapi.OrdersPlace.Operation: func(_ string, req any) any {
		r := req.(*ledgerapi.PlaceOrderRequest)
		return orders.Order{ID: r.ID, Merchant: r.Merchant, Amount: r.Amount, Currency: r.Currency, State: orders.StatePlaced}
	},
	&ledgerapi.OrdersGetOrder.Operation: func(_ string, req any) any {
		return orders.Order{ID: req.(*ledgerapi.OrderRequest).ID}
	},
	&ledgerapi.OrdersCustomerOrders.Operation: func(string, any) any { return orders.OrderPage{Orders: []orders.Order{}} },
	&ledgerapi.LoyaltyEarn.Operation: func(_ string, req any) any {
		r := req.(*ledgerapi.EarnRequest)
		return loyalty.Earn{Program: r.Program, ID: r.ID, Account: r.Account, Points: r.Points}
	},
	&ledgerapi.CareOpenTicket.Operation: func(_ string, req any) any {
		r := req.(*ledgerapi.OpenTicketRequest)
		t := care.Ticket{ID: r.ID, Merchant: r.Merchant, State: care.StateOpen, Steps: 1, MessageSteps: []int{1}}
		if r.Personal.Contact != "" {
			t.ContactHash, t.ContactStored = care.SaltedHash(r.Personal.Salt, r.Personal.Contact), true
		}
		return t
	},
}

// answer is the fake ledger's JSON result of op for req.
func answer(op *ledgerapi.Operation, identity string, req any) (json.RawMessage, error) {
	fn, ok := answers[op]
	if !ok {
		return json.RawMessage("{}"), nil
	}
	return json.Marshal(fn(identity, req))
}

// received records the operation and request the ledger received.
func (b *fakeBackend) received(op *ledgerapi.Operation, req any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastOp, b.lastReq = op, req
}

func (b *fakeBackend) Transport(identity string, j fabric.Journal) (ledgerapi.Transport, error) {
	return &fakeTransport{b: b, identity: identity, j: j}, nil
}

func (b *fakeBackend) Lookup(_ context.Context, txID string) (*ledgerapi.TransactionStatus, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if st, ok := b.lookup[txID]; ok {
		return st, nil
	}
	return nil, cxlerr.Errorf(cxlerr.NotFound, "transaction %s is in no block", txID)
}

func (b *fakeBackend) Ready(context.Context) error { return b.ready }

// fakeTransport is the fake ledger as one identity reaches it.
type fakeTransport struct {
	b        *fakeBackend
	identity string
	j        fabric.Journal
}

// Submit journals a transaction of op and ends it as the backend's outcome says.
func (t *fakeTransport) Submit(ctx context.Context, op *ledgerapi.Operation, req any) (*ledgerapi.Committed[json.RawMessage], error) {
	t.b.received(op, req)
	n := t.b.runs.Add(1)
	txID := fmt.Sprintf("tx-%s-%d", op.Name(), n)
	if err := t.j.Endorsing(ctx, txID); err != nil {
		return nil, err
	}
	t.b.mu.Lock()
	refuse, outcome := t.b.refuse, t.b.outcome
	t.b.mu.Unlock()
	if refuse != nil {
		return nil, cxlerr.From(refuse).WithTransaction(txID)
	}
	raw, err := answer(op, t.identity, req)
	if err != nil {
		return nil, err
	}
	if err := t.j.Prepared(ctx, txID, []byte("envelope-"+txID), raw); err != nil {
		return nil, err
	}
	if outcome != nil {
		if err := outcome(ctx, op.Name()); err != nil {
			if e := cxlerr.From(err); e.TransactionID == "" {
				return nil, e.WithTransaction(txID)
			}
			return nil, err
		}
	}
	return &ledgerapi.Committed[json.RawMessage]{TransactionID: txID, BlockNumber: 5, Result: raw}, nil
}

// Evaluate answers op, after the backend's query hook.
func (t *fakeTransport) Evaluate(_ context.Context, op *ledgerapi.Operation, req any) (json.RawMessage, error) {
	t.b.received(op, req)
	if q := t.b.query; q != nil {
		if err := q(); err != nil {
			return nil, err
		}
	}
	return answer(op, t.identity, req)
}

func (t *fakeTransport) Transactions() ledgerapi.Transactions { return nil }
func (t *fakeTransport) Events() ledgerapi.Events             { return fakeEvents{t.b} }

type fakeEvents struct{ b *fakeBackend }

// Subscribe delivers the backend's events after q.After that q selects, then waits.
func (e fakeEvents) Subscribe(ctx context.Context, q ledgerapi.EventQuery) (<-chan ledgerapi.Event, error) {
	e.b.mu.Lock()
	e.b.lastSubs = q
	events := append([]ledgerapi.Event(nil), e.b.events...)
	e.b.mu.Unlock()
	out := make(chan ledgerapi.Event)
	go func() {
		defer close(out)
		for _, ev := range events {
			if q.After != nil && !q.After.Before(ev.Position) || !q.Matches(ev) {
				continue
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
		<-ctx.Done()
	}()
	return out, nil
}

// testServer is a Server over a fake backend and a store in a temporary directory, with
// two principals: alice (key "alice-key") and bob ("bob-key").
type testServer struct {
	*Server
	b      *fakeBackend
	store  *store.Store
	dbPath string
	http   *httptest.Server
}

func newTestServer(t *testing.T, tune func(*Options)) *testServer {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "gateway.db")
	st, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := &fakeBackend{}
	limits := config.Defaults().Limits
	opts := Options{
		Backend: b, Store: st, Metrics: metrics.New(), Limits: limits, RequestTimeout: 2 * time.Second, PublicIdentity: "org1-user1",
		Principals: map[[32]byte]Principal{
			config.HashKey("alice-key"): {Name: "alice", Identity: "org1-user1"},
			config.HashKey("bob-key"):   {Name: "bob", Identity: "org2-user1"},
		},
	}
	if tune != nil {
		tune(&opts)
	}
	s := New(opts)
	ts := &testServer{Server: s, b: b, store: st, dbPath: dbPath, http: httptest.NewServer(s)}
	t.Cleanup(ts.http.Close)
	return ts
}

// response is an answer read in full.
type response struct {
	status int
	header http.Header
	body   string
}

// envelope decodes the body as the error envelope.
func (r response) envelope(t *testing.T) cxlerr.Error {
	t.Helper()
	var e cxlerr.Error
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("body is not the error envelope: %v\n%s", err, r.body)
	}
	return e
}

// do sends a request with the given headers ("Name: value"); a POST is sent as
// application/json unless a Content-Type header says otherwise ("Content-Type:" for none).
func (ts *testServer) do(t *testing.T, method, path, body string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, ts.http.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimPrefix(v, " "))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

const alice = "X-API-Key: alice-key"
