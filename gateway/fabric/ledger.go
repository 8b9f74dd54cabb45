package fabric

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/cxledger/cxledger/chaincode/consortium"
	"github.com/cxledger/cxledger/chaincode/health"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Health returns the health contract.
func (s *Session) Health() ledgerapi.Health { return healthService{s} }

// Transactions returns the transaction status service.
func (s *Session) Transactions() ledgerapi.Transactions { return txService{s} }

// Events returns the chaincode event stream.
func (s *Session) Events() ledgerapi.Events { return eventService{s} }

// submitJSON submits a transaction and decodes the contract's JSON result into T.
func submitJSON[T any](ctx context.Context, s *Session, c call) (*ledgerapi.Committed[T], error) {
	out, err := s.submit(ctx, c)
	if err != nil {
		return nil, err
	}
	res := &ledgerapi.Committed[T]{TransactionID: out.txID, BlockNumber: out.block}
	if err := json.Unmarshal(out.result, &res.Result); err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "decode result of %s: %v", c, err).WithTransaction(out.txID)
	}
	return res, nil
}

// evaluateJSON evaluates a query and decodes the contract's JSON result into T.
func evaluateJSON[T any](ctx context.Context, s *Session, c call) (*T, error) {
	raw, err := s.evaluate(ctx, c)
	if err != nil {
		return nil, err
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "decode result of %s: %v", c, err)
	}
	return &v, nil
}

// request is the call of fn with req (a pointer to a request) as its one JSON argument,
// once req validated.
func request(contract, fn string, req any) (call, error) {
	if err := ledgerapi.Validate(req); err != nil {
		return call{}, err
	}
	data, err := json.Marshal(req)
	if err != nil {
		return call{}, fmt.Errorf("encode %s request: %w", fn, err)
	}
	return call{contract: contract, fn: fn, args: []string{string(data)}}, nil
}

// submitRequest validates req (a pointer), submits fn with it as the one JSON argument and
// waits for the commit.
func submitRequest[T any](ctx context.Context, s *Session, contract, fn string, req any) (*ledgerapi.Committed[T], error) {
	c, err := request(contract, fn, req)
	if err != nil {
		return nil, err
	}
	return submitJSON[T](ctx, s, c)
}

// evaluateRequest validates req (a pointer) and evaluates fn with it as the one JSON
// argument.
func evaluateRequest[T any](ctx context.Context, s *Session, contract, fn string, req any) (*T, error) {
	c, err := request(contract, fn, req)
	if err != nil {
		return nil, err
	}
	return evaluateJSON[T](ctx, s, c)
}

type healthService struct{ s *Session }

func (h healthService) Ping(ctx context.Context, req ledgerapi.PingRequest) (*ledgerapi.Committed[health.Ping], error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return submitJSON[health.Ping](ctx, h.s, call{contract: "health", fn: "Ping", args: []string{req.Nonce}})
}

func (h healthService) Version(ctx context.Context) (*ledgerapi.VersionInfo, error) {
	raw, err := h.s.evaluate(ctx, call{contract: "health", fn: "Version"})
	if err != nil {
		return nil, err
	}
	return &ledgerapi.VersionInfo{Version: string(raw)}, nil
}

type txService struct{ s *Session }

// lookupWait is how long a status lookup waits for a transaction to appear in a peer's
// ledger before it reports it unknown.
const lookupWait = 2 * time.Second

func (t txService) Status(ctx context.Context, txID string) (*ledgerapi.TransactionStatus, error) {
	return t.s.c.lookup(ctx, t.s.s, txID)
}

// Lookup returns the status of txID on the ledger: COMMITTED or FAILED with its block and
// validation code, or NotFound when no peer has it in a block within a short wait.
func (c *Client) Lookup(ctx context.Context, txID string) (*ledgerapi.TransactionStatus, error) {
	return c.lookup(ctx, c.ids[c.statusID], txID)
}

func (c *Client) lookup(ctx context.Context, s *signer, txID string) (*ledgerapi.TransactionStatus, error) {
	if txID == "" {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "transaction ID is empty")
	}
	wctx, cancel := context.WithTimeout(ctx, lookupWait)
	defer cancel()
	status, _, err := c.waitCommit(wctx, s, txID)
	if err != nil {
		// gRPC may report the deadline a moment before the context does.
		if ctx.Err() == nil && (wctx.Err() != nil || cxlerr.CodeOf(Classify(err)) == cxlerr.Timeout) {
			return nil, cxlerr.Errorf(cxlerr.NotFound, "transaction %s is in no block", txID).WithTransaction(txID)
		}
		return nil, fmt.Errorf("look up transaction %s: %w", txID, Classify(err))
	}
	return statusOf(txID, status.BlockNumber, status.Code), nil
}

// statusOf describes a transaction found in a block.
func statusOf(txID string, block uint64, code peer.TxValidationCode) *ledgerapi.TransactionStatus {
	st := &ledgerapi.TransactionStatus{TransactionID: txID, State: ledgerapi.TxCommitted, BlockNumber: block, ValidationCode: code.String()}
	if code != peer.TxValidationCode_VALID {
		st.State = ledgerapi.TxFailed
		st.Error = validationError(txID, code)
	}
	return st
}

// Resubmit sends a stored signed transaction to ordering again, through the first peer that
// takes it. Sending an envelope that is already in a block is harmless: the ledger keeps
// the first copy and marks later ones DUPLICATE_TXID, so the transaction applies at most
// once.
func (c *Client) Resubmit(ctx context.Context, signedTx []byte) error {
	s := c.ids[c.statusID]
	err := c.failover(ctx, "resubmit", func(p int) error {
		return c.timed(ctx, PhaseSubmit, c.timeouts.Submit, func(ctx context.Context) error {
			tx, err := s.gws[p].NewTransaction(signedTx)
			if err != nil {
				return cxlerr.Errorf(cxlerr.Internal, "decode stored transaction: %v", err)
			}
			_, err = tx.SubmitWithContext(ctx)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("resubmit: %w", Classify(err))
	}
	return nil
}

// Consortium returns the consortium contract.
func (s *Session) Consortium() ledgerapi.Consortium { return consortiumService{s} }

type consortiumService struct{ s *Session }

func (c consortiumService) ProposeRole(ctx context.Context, req ledgerapi.RoleRequest) (*ledgerapi.Committed[ledger.RoleGrant], error) {
	return submitRequest[ledger.RoleGrant](ctx, c.s, consortium.Name, "ProposeRole", &req)
}

func (c consortiumService) ApproveRole(ctx context.Context, req ledgerapi.RoleRequest) (*ledgerapi.Committed[ledger.RoleGrant], error) {
	return submitRequest[ledger.RoleGrant](ctx, c.s, consortium.Name, "ApproveRole", &req)
}

func (c consortiumService) RevokeRole(ctx context.Context, req ledgerapi.RoleRequest) (*ledgerapi.Committed[ledger.RoleGrant], error) {
	return submitRequest[ledger.RoleGrant](ctx, c.s, consortium.Name, "RevokeRole", &req)
}

func (c consortiumService) ListRoles(ctx context.Context) ([]ledger.RoleGrant, error) {
	grants, err := evaluateJSON[[]ledger.RoleGrant](ctx, c.s, call{contract: consortium.Name, fn: "ListRoles"})
	if err != nil {
		return nil, err
	}
	return *grants, nil
}
