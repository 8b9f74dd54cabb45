package fabric

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

var _ ledgerapi.Transport = (*Session)(nil)

// Submit runs op's transaction with req, a validated pointer to op's request (nil for an
// operation without argument), and waits for it to commit VALID. It returns the contract's
// result exactly as the endorsing peers returned it. See ledgerapi.Transport.
func (s *Session) Submit(ctx context.Context, op *ledgerapi.Operation, req any) (*ledgerapi.Committed[json.RawMessage], error) {
	c, err := s.call(ctx, op, ledgerapi.Submit, req)
	if err != nil {
		return nil, err
	}
	out, err := s.submit(ctx, c)
	if err != nil {
		return nil, err
	}
	return &ledgerapi.Committed[json.RawMessage]{TransactionID: out.txID, BlockNumber: out.block, Result: out.result}, nil
}

// Evaluate runs op's query with req, a validated pointer to op's request (nil for an
// operation without argument), on the first peer that answers, and returns the contract's
// result as it is.
func (s *Session) Evaluate(ctx context.Context, op *ledgerapi.Operation, req any) (json.RawMessage, error) {
	c, err := s.call(ctx, op, ledgerapi.Evaluate, req)
	if err != nil {
		return nil, err
	}
	return s.evaluate(ctx, c)
}

// call is the chaincode call of op with req, as the descriptor makes it: its arguments,
// its transient data (personal data reaches the endorsing peers in the proposal only), and
// the organisations that must endorse it (see endorsers). The request is not validated
// again: the caller did. An operation of another kind than want, and a request that is
// not a pointer to op's request type, are refused before anything is sent.
func (s *Session) call(ctx context.Context, op *ledgerapi.Operation, want ledgerapi.Kind, req any) (call, error) {
	return s.callAs(ctx, op, want, req, s.s.id.MspID())
}

// callAs is call for a caller of organisation msp, which may not be the session's: a
// customer whose proposal the service prepares (see Client.Prepare).
func (s *Session) callAs(ctx context.Context, op *ledgerapi.Operation, want ledgerapi.Kind, req any, msp string) (call, error) {
	if op == nil {
		return call{}, cxlerr.Errorf(cxlerr.Internal, "no operation")
	}
	if op.Kind != ledgerapi.Submit && op.Kind != ledgerapi.Evaluate {
		return call{}, cxlerr.Errorf(cxlerr.Internal, "operation %s has unknown kind %d", op.Name(), op.Kind)
	}
	if op.Kind != want {
		return call{}, cxlerr.Errorf(cxlerr.Internal, "operation %s is %s, not %s", op.Name(), kindName(op.Kind), kindName(want))
	}
	if req == nil && op.Request == reflect.TypeFor[ledgerapi.NoArgs]() {
		req = &ledgerapi.NoArgs{}
	}
	if v := reflect.ValueOf(req); !v.IsValid() || v.Type() != reflect.PointerTo(op.Request) || v.IsNil() {
		return call{}, cxlerr.Errorf(cxlerr.Invalid, "the request of %s must be a *%s, got %T", op.Name(), op.Request, req)
	}
	cc, err := op.Chaincode(ctx, ledgerapi.Over(s), req)
	if err != nil {
		return call{}, fmt.Errorf("prepare %s: %w", op.Name(), err)
	}
	return call{contract: op.Contract, fn: op.Function, args: cc.Args, transient: cc.Transient, endorsers: s.endorsers(op.Kind, cc, msp)}, nil
}

// endorsers are the organisations that must endorse cc: the caller's own first when it is a
// party, then the parties, each once. A transaction with a single one gets the first
// other organisation of the Client's identities too, so that the chaincode's majority
// endorsement policy is met; a query is evaluated by a peer of the first. None: the Fabric
// Gateway chooses.
func (s *Session) endorsers(kind ledgerapi.Kind, cc *ledgerapi.ChaincodeCall, caller string) []string {
	var orgs []string
	if cc.CallerParty {
		orgs = append(orgs, caller)
	}
	for _, p := range cc.Parties {
		if p != "" && !slices.Contains(orgs, p) {
			orgs = append(orgs, p)
		}
	}
	if kind == ledgerapi.Submit && len(orgs) == 1 {
		for _, o := range s.c.orgs {
			if o != orgs[0] {
				return append(orgs, o)
			}
		}
	}
	return orgs
}

// kindName names an operation kind in errors.
func kindName(k ledgerapi.Kind) string {
	if k == ledgerapi.Submit {
		return "a transaction"
	}
	return "a query"
}
