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
	"github.com/cxledger/cxledger/chaincode/ledger"
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

// fakeBackend is a ledger in memory. Mutations journal like the Fabric adapter does
// (Endorsing, then Prepared) and then end as outcome says.
type fakeBackend struct {
	mu sync.Mutex
	// outcome decides how a submitted transaction ends: nil commits it, a Pending error
	// leaves it pending, anything else fails it. It may block.
	outcome func(ctx context.Context, op string) error
	// refuse fails a mutation at endorsement, before anything is prepared.
	refuse   error
	query    func() error
	events   []ledgerapi.Event
	lookup   map[string]*ledgerapi.TransactionStatus
	ready    error
	runs     atomic.Int32
	lastSubs ledgerapi.EventQuery
	// lastReq is the request the last contract call received.
	lastReq any
}

// received records the request of a contract call and returns it.
func received[T any](b *fakeBackend, req T) T {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastReq = req
	return req
}

func (b *fakeBackend) Ledger(identity string, j fabric.Journal) (ledgerapi.Ledger, error) {
	return &fakeLedger{b: b, identity: identity, j: j}, nil
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

type fakeLedger struct {
	b        *fakeBackend
	identity string
	j        fabric.Journal
}

func (l *fakeLedger) Health() ledgerapi.Health             { return fakeHealth{l} }
func (l *fakeLedger) Consortium() ledgerapi.Consortium     { return fakeConsortium{l} }
func (l *fakeLedger) Transactions() ledgerapi.Transactions { return nil }
func (l *fakeLedger) Events() ledgerapi.Events             { return fakeEvents{l.b} }

// submit journals a transaction of op and ends it as the backend's outcome says.
func submit[T any](ctx context.Context, l *fakeLedger, op string, result T) (*ledgerapi.Committed[T], error) {
	n := l.b.runs.Add(1)
	txID := fmt.Sprintf("tx-%s-%d", op, n)
	if err := l.j.Endorsing(ctx, txID); err != nil {
		return nil, err
	}
	l.b.mu.Lock()
	refuse, outcome := l.b.refuse, l.b.outcome
	l.b.mu.Unlock()
	if refuse != nil {
		return nil, cxlerr.From(refuse).WithTransaction(txID)
	}
	raw, err := json.Marshal(result)
	if err != nil {
		return nil, err
	}
	if err := l.j.Prepared(ctx, txID, []byte("envelope-"+txID), raw); err != nil {
		return nil, err
	}
	if outcome != nil {
		if err := outcome(ctx, op); err != nil {
			if e := cxlerr.From(err); e.TransactionID == "" {
				return nil, e.WithTransaction(txID)
			}
			return nil, err
		}
	}
	return &ledgerapi.Committed[T]{TransactionID: txID, BlockNumber: 5, Result: result}, nil
}

type fakeHealth struct{ l *fakeLedger }

func (h fakeHealth) Ping(ctx context.Context, req ledgerapi.PingRequest) (*ledgerapi.Committed[health.Ping], error) {
	return submit(ctx, h.l, "ping", health.Ping{Nonce: req.Nonce, MSPID: h.l.identity})
}

func (h fakeHealth) Version(context.Context) (*ledgerapi.VersionInfo, error) {
	if q := h.l.b.query; q != nil {
		if err := q(); err != nil {
			return nil, err
		}
	}
	return &ledgerapi.VersionInfo{Version: "7"}, nil
}

type fakeConsortium struct{ l *fakeLedger }

func (c fakeConsortium) ProposeRole(ctx context.Context, req ledgerapi.RoleRequest) (*ledgerapi.Committed[ledger.RoleGrant], error) {
	return submit(ctx, c.l, "propose", ledger.RoleGrant{MSP: req.MSP, Role: ledger.Role(req.Role), Status: ledger.RoleProposed})
}

func (c fakeConsortium) ApproveRole(ctx context.Context, req ledgerapi.RoleRequest) (*ledgerapi.Committed[ledger.RoleGrant], error) {
	return submit(ctx, c.l, "approve", ledger.RoleGrant{MSP: req.MSP, Role: ledger.Role(req.Role), Status: ledger.RoleActive})
}

func (c fakeConsortium) RevokeRole(ctx context.Context, req ledgerapi.RoleRequest) (*ledgerapi.Committed[ledger.RoleGrant], error) {
	return submit(ctx, c.l, "revoke", ledger.RoleGrant{MSP: req.MSP, Role: ledger.Role(req.Role), Status: ledger.RoleRevoking})
}

func (c fakeConsortium) ListRoles(context.Context) ([]ledger.RoleGrant, error) {
	return []ledger.RoleGrant{}, nil
}

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
			HashKey("alice-key"): {Name: "alice", Identity: "org1-user1"},
			HashKey("bob-key"):   {Name: "bob", Identity: "org2-user1"},
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

// do sends a request with the given headers ("Name: value").
func (ts *testServer) do(t *testing.T, method, path, body string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, ts.http.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
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

func (l *fakeLedger) Provenance() ledgerapi.Provenance { return fakeProvenance{} }

// fakeProvenance answers Verify and Trace; the tests use no other method.
type fakeProvenance struct {
	ledgerapi.Provenance
}

func (p fakeProvenance) Verify(_ context.Context, req ledgerapi.VerifyRequest) (*provenance.Verification, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return &provenance.Verification{Genuine: true, GTIN: req.GTIN, Serial: req.Serial}, nil
}

func (p fakeProvenance) Trace(_ context.Context, req ledgerapi.TraceRequest) (*provenance.LotTrace, error) {
	return &provenance.LotTrace{Lot: provenance.TraceLot{GTIN: req.GTIN, Lot: req.Lot, Depth: req.PageSize}}, nil
}

func (l *fakeLedger) Orders() ledgerapi.Orders { return fakeOrders{l: l} }

// fakeOrders answers Place, GetOrder and CustomerOrders with what it was asked.
type fakeOrders struct {
	ledgerapi.Orders
	l *fakeLedger
}

func (o fakeOrders) Place(ctx context.Context, req ledgerapi.PlaceOrderRequest) (*ledgerapi.Committed[orders.Order], error) {
	req = received(o.l.b, req)
	return submit(ctx, o.l, "place", orders.Order{ID: req.ID, Merchant: req.Merchant, Amount: req.Amount, Currency: req.Currency, State: orders.StatePlaced})
}

func (o fakeOrders) GetOrder(_ context.Context, req ledgerapi.OrderRequest) (*orders.Order, error) {
	req = received(o.l.b, req)
	return &orders.Order{ID: req.ID}, nil
}

func (o fakeOrders) CustomerOrders(_ context.Context, req ledgerapi.CustomerOrdersRequest) (*orders.OrderPage, error) {
	received(o.l.b, req)
	return &orders.OrderPage{Orders: []orders.Order{}}, nil
}

func (l *fakeLedger) Loyalty() ledgerapi.Loyalty { return fakeLoyalty{l: l} }

// fakeLoyalty answers Earn, Balance and Statement with what it was asked.
type fakeLoyalty struct {
	ledgerapi.Loyalty
	l *fakeLedger
}

func (y fakeLoyalty) Earn(ctx context.Context, req ledgerapi.EarnRequest) (*ledgerapi.Committed[loyalty.Earn], error) {
	req = received(y.l.b, req)
	return submit(ctx, y.l, "earn", loyalty.Earn{Program: req.Program, ID: req.ID, Account: req.Account, Points: req.Points})
}

func (y fakeLoyalty) Balance(_ context.Context, req ledgerapi.PointsBalanceRequest) (*loyalty.PointsBalance, error) {
	req = received(y.l.b, req)
	return &loyalty.PointsBalance{Program: req.Program, Account: req.Account}, nil
}

func (y fakeLoyalty) Statement(_ context.Context, req ledgerapi.StatementRequest) (*loyalty.SettlementStatement, error) {
	received(y.l.b, req)
	return &loyalty.SettlementStatement{}, nil
}

func (l *fakeLedger) Care() ledgerapi.Care { return fakeCare{l: l} }

// fakeCare opens tickets as the contract would answer (hashes of the personal data only),
// and answers GetTicket.
type fakeCare struct {
	ledgerapi.Care
	l *fakeLedger
}

func (c fakeCare) OpenTicket(ctx context.Context, req ledgerapi.OpenTicketRequest) (*ledgerapi.Committed[care.Ticket], error) {
	req = received(c.l.b, req)
	t := care.Ticket{ID: req.ID, Merchant: req.Merchant, State: care.StateOpen, Steps: 1, MessageSteps: []int{1}}
	if req.Personal.Contact != "" {
		t.ContactHash, t.ContactStored = care.SaltedHash(req.Personal.Salt, req.Personal.Contact), true
	}
	return submit(ctx, c.l, "open", t)
}

func (c fakeCare) GetTicket(_ context.Context, req ledgerapi.TicketRequest) (*care.TicketDetail, error) {
	req = received(c.l.b, req)
	return &care.TicketDetail{Ticket: care.Ticket{ID: req.ID}}, nil
}
