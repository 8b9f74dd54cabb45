package fabric

import (
	"context"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Transactions returns the transaction status service.
func (s *Session) Transactions() ledgerapi.Transactions { return txService{s} }

// Events returns the chaincode event stream.
func (s *Session) Events() ledgerapi.Events { return eventService{s} }

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
