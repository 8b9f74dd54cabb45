// Package clitest is what the CLI's command tests share: Ledger, the real cxledger chaincode
// running in this process on the ledger kit's test stub (chaincode/ledger/ledgertest), so
// that commands are tested against the contracts' own rules; two ways a command reaches it
// (the CLI's direct transport with its idempotency journal, and the gateway service's real
// REST API in an httptest server through the CLI's gateway transport), so that a command
// test runs the same against both; and helpers that run a command and capture its output
// and exit code.
package clitest

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/cxledger/cxledger/chaincode"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Call is one operation a transport carried to the ledger.
type Call struct {
	// Op is the operation.
	Op *ledgerapi.Operation
	// Request is the request as given: a pointer to the operation's request type.
	Request any
	// Caller is the identity that called.
	Caller ledgertest.Identity
}

// User is a staff identity of organisation msp: a client certificate with common name cn
// whose cxl.roles attribute names every consortium role. `cxl network up` enrols an
// organisation's User1..N with the organisation's roles; carrying all of them is the same
// here, because acting in a role also needs the organisation to hold it on the ledger
// (Grant), and a function that checks the identity alone acts on a record the
// organisation made in that role.
func User(msp, cn string) ledgertest.Identity {
	return ledgertest.Staff(msp, cn, ledgertypes.Roles()...)
}

// Customer is a customer identity of organisation msp: a client certificate with common
// name cn and no roles, which acts for its own account only.
func Customer(msp, cn string) ledgertest.Identity {
	return ledgertest.Customer(msp, cn)
}

// Admin is the admin identity of organisation msp, carrying every role as User does.
func Admin(msp string) ledgertest.Identity {
	return ledgertest.Identity{MSP: msp, CN: "Admin", OU: "admin"}.WithRoles(ledgertypes.Roles()...)
}

// Ledger is the cxledger chaincode in process: every operation runs the real contracts on
// a ledgertest.Stub as the current caller (As), a transaction commits its writes in a block
// of its own, and what it emitted is kept for Transactions and Events. Only what belongs to
// the network around the chaincode can be staged: a failure of the transport (Fail) and a
// commit that is not known at once (Pending).
type Ledger struct {
	cc *chaincode.Chaincode

	mu      sync.Mutex
	stub    *ledgertest.Stub
	caller  ledgertest.Identity
	block   uint64
	txs     map[string]*ledgerapi.TransactionStatus
	polls   map[string]int
	events  []ledgerapi.Event
	calls   []Call
	fail    map[*ledgerapi.Operation]error
	pending map[*ledgerapi.Operation]bool

	journal string
	restURL string
}

// assembled is the chaincode every Ledger runs: assembling it takes most of a second, and
// it keeps no state of its own (the stub holds the ledger).
var assembled = sync.OnceValues(func() (*chaincode.Chaincode, error) { return chaincode.New("test") })

// New returns an empty ledger whose caller is Org1MSP/User1 and whose clock starts at the
// wall clock's second (commands resolve relative times such as 7d against the wall clock)
// and stands still until At moves it.
func New(t testing.TB) *Ledger {
	t.Helper()
	cc, err := assembled()
	if err != nil {
		t.Fatalf("assemble the chaincode: %v", err)
	}
	l := &Ledger{cc: cc, stub: ledgertest.New(), txs: map[string]*ledgerapi.TransactionStatus{}, polls: map[string]int{},
		fail: map[*ledgerapi.Operation]error{}, pending: map[*ledgerapi.Operation]bool{}}
	l.stub.At(time.Now().UTC().Truncate(time.Second))
	l.As(User("Org1MSP", "User1"))
	return l
}

// As makes id the caller of the operations that follow, whichever transport carries them.
func (l *Ledger) As(id ledgertest.Identity) *Ledger {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.caller = id
	return l
}

// Caller is the current caller.
func (l *Ledger) Caller() ledgertest.Identity {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.caller
}

// At sets the transaction time of the operations that follow.
func (l *Ledger) At(t time.Time) *Ledger {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stub.At(t)
	return l
}

// Now is the transaction time of the next operation.
func (l *Ledger) Now() time.Time { return l.stub.Now() }

// Advance moves the clock on by d.
func (l *Ledger) Advance(d time.Duration) *Ledger { return l.At(l.Now().Add(d)) }

// Fail makes the transport fail every call of op with err before it reaches the chaincode,
// as a network that cannot reach a peer does; nil lets op through again.
func (l *Ledger) Fail(op *ledgerapi.Operation, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		delete(l.fail, op)
		return
	}
	l.fail[op] = err
}

// Pending makes the commits of op unknown when they are submitted: the transaction
// commits, but its submitter learns so only from the second status check.
func (l *Ledger) Pending(op *ledgerapi.Operation) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending[op] = true
}

// Calls returns the operations carried to the ledger so far.
func (l *Ledger) Calls() []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// CallsOf returns the calls of op.
func (l *Ledger) CallsOf(op *ledgerapi.Operation) []Call {
	var out []Call
	for _, c := range l.Calls() {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// Grant gives organisation msp roles the way the consortium contract demands: msp's admin
// proposes each, an admin of another organisation approves it. The caller is left as it
// was.
func (l *Ledger) Grant(t testing.TB, msp string, roles ...ledgertypes.Role) {
	t.Helper()
	approver := "Org1MSP"
	if msp == approver {
		approver = "Org2MSP"
	}
	was := l.Caller()
	defer l.As(was)
	for _, r := range roles {
		req := ledgerapi.RoleRequest{MSP: msp, Role: string(r)}
		l.As(Admin(msp))
		if _, err := ledgerapi.ConsortiumProposeRole.Run(t.Context(), l.Transport(nil), req); err != nil {
			t.Fatalf("propose role %s of %s: %v", r, msp, err)
		}
		l.As(Admin(approver))
		if _, err := ledgerapi.ConsortiumApproveRole.Run(t.Context(), l.Transport(nil), req); err != nil {
			t.Fatalf("approve role %s of %s: %v", r, msp, err)
		}
	}
}

// Transport is the ledger as its current caller reaches it, recording every transaction
// in j before it runs (j may be nil), as the Fabric adapter records them.
func (l *Ledger) Transport(j fabric.Journal) ledgerapi.Transport {
	return inProcess{l: l, j: j}
}

type inProcess struct {
	l *Ledger
	j fabric.Journal
}

// Submit runs op as a transaction: its chaincode call is made as the descriptor makes it,
// the chaincode is invoked as the current caller with the call's arguments and transient
// data, and a success commits the writes in a new block.
func (t inProcess) Submit(ctx context.Context, op *ledgerapi.Operation, req any) (*ledgerapi.Committed[json.RawMessage], error) {
	l := t.l
	call, err := op.Chaincode(ctx, ledgerapi.Over(t), req)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	txID := l.stub.GetTxID()
	pending, injected := l.record(op, req)
	if t.j != nil {
		if err := t.j.Endorsing(ctx, txID); err != nil {
			l.stub.Begin()
			return nil, err
		}
	}
	if injected != nil {
		l.stub.Begin()
		return nil, cxlerr.From(injected).WithTransaction(txID)
	}
	resp := l.invoke(op, call)
	if resp.Status >= shim.ERRORTHRESHOLD {
		l.stub.Begin()
		return nil, chaincodeError(resp.Message).WithTransaction(txID)
	}
	ev := l.stub.Event()
	l.stub.Commit()
	l.block++
	block := l.block
	st := &ledgerapi.TransactionStatus{TransactionID: txID, State: ledgerapi.TxCommitted, BlockNumber: block, ValidationCode: "VALID", Result: resp.Payload}
	if pending {
		st = &ledgerapi.TransactionStatus{TransactionID: txID, State: ledgerapi.TxPending, Result: resp.Payload}
	}
	l.txs[txID] = st
	if ev != nil {
		contract, typ, _ := strings.Cut(ev.EventName, ".")
		pos := ledgerapi.Position{Block: block}
		l.events = append(l.events, ledgerapi.Event{ID: pos.String(), Position: pos, TransactionID: txID,
			Contract: contract, Type: typ, Payload: ev.Payload})
	}
	if t.j != nil {
		if err := t.j.Prepared(ctx, txID, []byte("in-process transaction "+txID), resp.Payload); err != nil {
			return nil, err
		}
	}
	if pending {
		return nil, cxlerr.Errorf(cxlerr.Pending, "transaction %s was submitted and its commit is not known yet", txID).WithTransaction(txID)
	}
	return &ledgerapi.Committed[json.RawMessage]{TransactionID: txID, BlockNumber: block, Result: resp.Payload}, nil
}

// Evaluate runs op as a query: the chaincode is invoked as the current caller and whatever
// it wrote is discarded.
func (t inProcess) Evaluate(ctx context.Context, op *ledgerapi.Operation, req any) (json.RawMessage, error) {
	l := t.l
	call, err := op.Chaincode(ctx, ledgerapi.Over(t), req)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, injected := l.record(op, req); injected != nil {
		return nil, injected
	}
	resp := l.invoke(op, call)
	l.stub.Begin()
	if resp.Status >= shim.ERRORTHRESHOLD {
		return nil, chaincodeError(resp.Message)
	}
	return resp.Payload, nil
}

func (t inProcess) Transactions() ledgerapi.Transactions { return statuses{t.l} }
func (t inProcess) Events() ledgerapi.Events             { return events{t.l} }

// record notes a call and returns whether its commit is to be pending and the failure
// staged for it; l.mu is held.
func (l *Ledger) record(op *ledgerapi.Operation, req any) (pending bool, injected error) {
	l.calls = append(l.calls, Call{Op: op, Request: req, Caller: l.caller})
	return l.pending[op], l.fail[op]
}

// invoke runs the chaincode function of op with call as the current caller; l.mu is held.
func (l *Ledger) invoke(op *ledgerapi.Operation, call *ledgerapi.ChaincodeCall) *peer.Response {
	l.stub.AsIdentity(l.caller)
	l.stub.SetArgs(append([]string{op.Contract + ":" + op.Function}, call.Args...)...)
	l.stub.SetTransient(call.Transient)
	return l.cc.Invoke(l.stub)
}

// chaincodeError is the coded error in a chaincode's error message, as the Fabric adapter
// finds it; INTERNAL when there is none.
func chaincodeError(message string) *cxlerr.Error {
	if e, ok := cxlerr.Parse(message); ok {
		return e
	}
	return cxlerr.New(cxlerr.Internal, message)
}

// status answers from the transactions committed so far; a pending one becomes known at
// its second check.
func (l *Ledger) status(txID string) (*ledgerapi.TransactionStatus, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, ok := l.txs[txID]
	if !ok {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "transaction %s is in no block", txID).WithTransaction(txID)
	}
	if st.State == ledgerapi.TxPending {
		l.polls[txID]++
		if l.polls[txID] >= 2 {
			l.block++
			st.State, st.BlockNumber, st.ValidationCode = ledgerapi.TxCommitted, l.block, "VALID"
		}
	}
	c := *st
	return &c, nil
}

// Lookup answers like the Fabric adapter: a transaction in no block yet is NOT_FOUND.
func (l *Ledger) Lookup(_ context.Context, txID string) (*ledgerapi.TransactionStatus, error) {
	st, err := l.status(txID)
	if err == nil && st.State == ledgerapi.TxPending {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "transaction %s is in no block", txID).WithTransaction(txID)
	}
	return st, err
}

// Resubmit accepts an envelope again: the transaction is on the ledger already.
func (l *Ledger) Resubmit(context.Context, []byte) error { return nil }

type statuses struct{ l *Ledger }

func (s statuses) Status(_ context.Context, txID string) (*ledgerapi.TransactionStatus, error) {
	if txID == "" {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "transaction ID is empty")
	}
	return s.l.status(txID)
}

type events struct{ l *Ledger }

// Subscribe delivers the events after q.After that q selects (from the next one when
// q.After is nil), then those emitted later, until ctx ends.
func (e events) Subscribe(ctx context.Context, q ledgerapi.EventQuery) (<-chan ledgerapi.Event, error) {
	l := e.l
	out := make(chan ledgerapi.Event)
	l.mu.Lock()
	next := 0
	if q.After == nil {
		next = len(l.events)
	}
	l.mu.Unlock()
	go func() {
		defer close(out)
		for {
			l.mu.Lock()
			var ev *ledgerapi.Event
			for next < len(l.events) && ev == nil {
				c := l.events[next]
				next++
				if (q.After == nil || q.After.Before(c.Position)) && q.Matches(c) {
					ev = &c
				}
			}
			l.mu.Unlock()
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

// Must runs op with req as the current caller and fails the test if it does not commit:
// for setting up the state a command is tested on.
func Must[Req, Res any](t testing.TB, l *Ledger, op *ledgerapi.Op[Req, Res], req Req) *Res {
	t.Helper()
	res, err := op.Run(t.Context(), l.Transport(nil), req)
	if err != nil {
		t.Fatalf("%s: %v", op.Name(), err)
	}
	return &res.Result
}
