// Package clitest is what the CLI's command tests share: Fake, a ledger in memory that
// implements ledgerapi.Ledger; two transports over it (in process, and the real REST API
// of gateway/httpapi in an httptest server reached through the CLI's gateway transport),
// so that a command test runs the same against both; and helpers that run a command and
// capture its output and exit code.
package clitest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cxledger/cxledger/chaincode/health"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Now is the fake ledger's transaction time.
var Now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// Call is one operation the fake ledger was asked to do.
type Call struct {
	// Op names it: "provenance.RegisterProduct".
	Op string
	// Request is the request as given.
	Request any
	// Caller is the MSP ID of the identity that called.
	Caller string
}

// Fake is a ledger in memory with just enough of each contract's rules for commands to be
// tested against: records, NOT_FOUND and CONFLICT as the contracts give them, transactions
// with results, and events. Errors[op] makes an operation fail; PendingOps makes a
// mutation's commit unknown at first (it commits on the second status check).
type Fake struct {
	mu sync.Mutex
	// Caller is the MSP ID of the in-process transport's identity (default Org1MSP).
	Caller string
	// Errors makes an operation ("provenance.Trace") fail with the error.
	Errors map[string]error
	// PendingOps leaves the commit of these mutations unknown when they return.
	PendingOps map[string]bool

	calls    []Call
	seq      int
	block    uint64
	products map[string]provenance.Product
	lots     map[string]provenance.ProductLot
	items    map[string]provenance.SerialItem
	custody  map[string]*custodyState
	certs    map[string]provenance.Certificate
	roles    []ledger.RoleGrant
	txs      map[string]*ledgerapi.TransactionStatus
	polls    map[string]int
	events   []ledgerapi.Event
	history  map[string][]provenance.ProvenanceVersion
	// orders contract
	currencies map[string]*orders.SettlementCurrency
	balances   map[string]ledger.Amount
	orders     map[string]*orders.Order
	transfers  map[string]bool
	loy        *loyaltyState
	cs         *careState
	// transports
	keysMu  sync.Mutex
	keys    map[string]*keyed
	restURL string
}

type custodyState struct {
	c provenance.Custody
}

// NewFake returns an empty ledger whose caller is Org1MSP.
func NewFake() *Fake {
	return &Fake{
		Caller: "Org1MSP", Errors: map[string]error{}, PendingOps: map[string]bool{},
		products: map[string]provenance.Product{}, lots: map[string]provenance.ProductLot{},
		items: map[string]provenance.SerialItem{}, custody: map[string]*custodyState{},
		certs: map[string]provenance.Certificate{}, txs: map[string]*ledgerapi.TransactionStatus{},
		polls: map[string]int{}, history: map[string][]provenance.ProvenanceVersion{},
		currencies: map[string]*orders.SettlementCurrency{}, balances: map[string]ledger.Amount{},
		orders: map[string]*orders.Order{}, transfers: map[string]bool{},
	}
}

// Calls returns the operations called so far.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// CallsOf returns the calls of one operation.
func (f *Fake) CallsOf(op string) []Call {
	var out []Call
	for _, c := range f.Calls() {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// AddEvent appends an event to the ledger's stream, at the next position.
func (f *Fake) AddEvent(contract, typ string, payload any) ledgerapi.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addEvent(contract, typ, "", payload)
}

func (f *Fake) addEvent(contract, typ, txID string, payload any) ledgerapi.Event {
	f.block++
	data, _ := json.Marshal(payload)
	if txID == "" {
		txID = fmt.Sprintf("evtx%d", f.block)
	}
	ev := ledgerapi.Event{
		ID: fmt.Sprintf("%d:0", f.block), Position: ledgerapi.Position{Block: f.block},
		TransactionID: txID, Contract: contract, Type: typ, Payload: data,
	}
	f.events = append(f.events, ev)
	return ev
}

// SetTransaction records a transaction's status for Transactions.Status.
func (f *Fake) SetTransaction(st ledgerapi.TransactionStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.txs[st.TransactionID] = &st
}

// View is the ledger as one identity (MSP ID caller) sees it; mutations are journalled in
// j when it is not nil, as the Fabric adapter journals them.
func (f *Fake) View(caller string, j fabric.Journal) ledgerapi.Ledger {
	return &view{f: f, caller: caller, j: j}
}

type view struct {
	f      *Fake
	caller string
	j      fabric.Journal
}

func (v *view) Health() ledgerapi.Health             { return fakeHealth{v} }
func (v *view) Consortium() ledgerapi.Consortium     { return fakeConsortium{v} }
func (v *view) Provenance() ledgerapi.Provenance     { return fakeProvenance{v} }
func (v *view) Orders() ledgerapi.Orders             { return fakeOrders{v} }
func (v *view) Transactions() ledgerapi.Transactions { return fakeTx{v} }
func (v *view) Events() ledgerapi.Events             { return fakeEvents{v} }

// query records a query and returns its injected error, if any.
func query(v *view, op string, req any) error {
	f := v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Op: op, Request: req, Caller: v.caller})
	return f.Errors[op]
}

// validate runs the request's own validation, as both adapters do before any call.
// Requests with pointer receivers are validated through a copy's address.
func validate(req any) error {
	if _, ok := req.(ledgerapi.Validator); ok {
		return ledgerapi.Validate(req)
	}
	if v := reflect.ValueOf(req); v.IsValid() && v.Kind() != reflect.Pointer {
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		return ledgerapi.Validate(p.Interface())
	}
	return nil
}

// mutate runs a mutation: it records the call, journals a transaction, applies the change
// under the lock and commits it, or leaves it pending when the operation is in PendingOps.
func mutate[T any](ctx context.Context, v *view, op string, req any, apply func(txID string) (T, error)) (*ledgerapi.Committed[T], error) {
	if err := validate(req); err != nil {
		return nil, err
	}
	f := v.f
	f.mu.Lock()
	f.calls = append(f.calls, Call{Op: op, Request: req, Caller: v.caller})
	f.seq++
	txID := fmt.Sprintf("tx%d", f.seq)
	injected, pending := f.Errors[op], f.PendingOps[op]
	f.mu.Unlock()
	if v.j != nil {
		if err := v.j.Endorsing(ctx, txID); err != nil {
			return nil, err
		}
	}
	if injected != nil {
		return nil, cxlerr.From(injected).WithTransaction(txID)
	}
	f.mu.Lock()
	res, err := apply(txID)
	if err != nil {
		f.mu.Unlock()
		return nil, cxlerr.From(err).WithTransaction(txID)
	}
	raw, _ := json.Marshal(res)
	f.block++
	block := f.block
	st := &ledgerapi.TransactionStatus{TransactionID: txID, State: ledgerapi.TxCommitted, BlockNumber: block, ValidationCode: "VALID", Result: raw}
	if pending {
		st = &ledgerapi.TransactionStatus{TransactionID: txID, State: ledgerapi.TxPending, Result: raw}
	}
	f.txs[txID] = st
	contract, typ, _ := strings.Cut(op, ".")
	f.events = append(f.events, ledgerapi.Event{ID: fmt.Sprintf("%d:0", block), Position: ledgerapi.Position{Block: block},
		TransactionID: txID, Contract: contract, Type: typ, Payload: raw})
	f.mu.Unlock()
	if v.j != nil {
		if err := v.j.Prepared(ctx, txID, []byte("envelope-"+txID), raw); err != nil {
			return nil, err
		}
	}
	if pending {
		return nil, cxlerr.Errorf(cxlerr.Pending, "transaction %s was submitted and its commit is not known yet", txID).WithTransaction(txID)
	}
	return &ledgerapi.Committed[T]{TransactionID: txID, BlockNumber: block, Result: res}, nil
}

// Status answers from the recorded transactions; a pending one commits at its second check.
func (f *Fake) status(txID string) (*ledgerapi.TransactionStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.txs[txID]
	if !ok {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "transaction %s is in no block", txID).WithTransaction(txID)
	}
	if st.State == ledgerapi.TxPending {
		f.polls[txID]++
		if f.polls[txID] >= 2 {
			f.block++
			st.State, st.BlockNumber, st.ValidationCode = ledgerapi.TxCommitted, f.block, "VALID"
		}
	}
	c := *st
	return &c, nil
}

type fakeTx struct{ v *view }

func (t fakeTx) Status(_ context.Context, txID string) (*ledgerapi.TransactionStatus, error) {
	if err := query(t.v, "transactions.Status", txID); err != nil {
		return nil, err
	}
	if txID == "" {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "transaction ID is empty")
	}
	return t.v.f.status(txID)
}

type fakeEvents struct{ v *view }

// Subscribe delivers the recorded events after q.After that q selects, then those added
// later, until ctx ends.
func (e fakeEvents) Subscribe(ctx context.Context, q ledgerapi.EventQuery) (<-chan ledgerapi.Event, error) {
	if err := query(e.v, "events.Subscribe", q); err != nil {
		return nil, err
	}
	out := make(chan ledgerapi.Event)
	go func() {
		defer close(out)
		f := e.v.f
		next := 0
		if q.After == nil {
			f.mu.Lock()
			next = len(f.events)
			f.mu.Unlock()
		}
		for {
			f.mu.Lock()
			var ev *ledgerapi.Event
			for next < len(f.events) && ev == nil {
				c := f.events[next]
				next++
				if (q.After == nil || q.After.Before(c.Position)) && q.Matches(c) {
					ev = &c
				}
			}
			f.mu.Unlock()
			if ev == nil {
				select {
				case <-ctx.Done():
					return
				case <-time.After(5 * time.Millisecond):
				}
				continue
			}
			select {
			case out <- *ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

type fakeHealth struct{ v *view }

func (h fakeHealth) Ping(ctx context.Context, req ledgerapi.PingRequest) (*ledgerapi.Committed[health.Ping], error) {
	return mutate(ctx, h.v, "health.Ping", req, func(txID string) (health.Ping, error) {
		return health.Ping{Nonce: req.Nonce, MSPID: h.v.caller, TxID: txID, Time: Now}, nil
	})
}

func (h fakeHealth) Version(context.Context) (*ledgerapi.VersionInfo, error) {
	if err := query(h.v, "health.Version", nil); err != nil {
		return nil, err
	}
	return &ledgerapi.VersionInfo{Version: "1"}, nil
}

type fakeConsortium struct{ v *view }

func (c fakeConsortium) change(ctx context.Context, op string, req ledgerapi.RoleRequest, to ledger.RoleStatus) (*ledgerapi.Committed[ledger.RoleGrant], error) {
	return mutate(ctx, c.v, op, req, func(txID string) (ledger.RoleGrant, error) {
		f := c.v.f
		for i, g := range f.roles {
			if g.MSP == req.MSP && string(g.Role) == req.Role {
				if op == "consortium.ProposeRole" {
					return ledger.RoleGrant{}, cxlerr.Errorf(cxlerr.Conflict, "role %s of %s is already %s", req.Role, req.MSP, g.Status)
				}
				g.Status, g.Updated, g.UpdatedTx = to, Now, txID
				f.roles[i] = g
				return g, nil
			}
		}
		if op != "consortium.ProposeRole" {
			return ledger.RoleGrant{}, cxlerr.Errorf(cxlerr.NotFound, "no grant of role %s to %s", req.Role, req.MSP)
		}
		g := ledger.RoleGrant{MSP: req.MSP, Role: ledger.Role(req.Role), Status: to, ProposedBy: c.v.caller, Updated: Now, UpdatedTx: txID}
		f.roles = append(f.roles, g)
		return g, nil
	})
}

func (c fakeConsortium) ProposeRole(ctx context.Context, req ledgerapi.RoleRequest) (*ledgerapi.Committed[ledger.RoleGrant], error) {
	return c.change(ctx, "consortium.ProposeRole", req, ledger.RoleProposed)
}

func (c fakeConsortium) ApproveRole(ctx context.Context, req ledgerapi.RoleRequest) (*ledgerapi.Committed[ledger.RoleGrant], error) {
	return c.change(ctx, "consortium.ApproveRole", req, ledger.RoleActive)
}

func (c fakeConsortium) RevokeRole(ctx context.Context, req ledgerapi.RoleRequest) (*ledgerapi.Committed[ledger.RoleGrant], error) {
	return c.change(ctx, "consortium.RevokeRole", req, ledger.RoleRevoking)
}

func (c fakeConsortium) ListRoles(context.Context) ([]ledger.RoleGrant, error) {
	if err := query(c.v, "consortium.ListRoles", nil); err != nil {
		return nil, err
	}
	c.v.f.mu.Lock()
	defer c.v.f.mu.Unlock()
	out := append([]ledger.RoleGrant{}, c.v.f.roles...)
	sort.Slice(out, func(i, j int) bool { return out[i].MSP+string(out[i].Role) < out[j].MSP+string(out[j].Role) })
	return out, nil
}
