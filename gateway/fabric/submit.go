package fabric

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/cxledger/cxledger/cxlerr"
)

// Journal makes a transaction durable before it leaves the process, so that a crash can
// neither lose a transaction that may commit nor let one be applied twice.
type Journal interface {
	// Endorsing tells the journal the transaction ID before its proposal is sent for
	// endorsement (it need not be durable yet: nothing can apply before Prepared). A
	// transaction that fails validation with a read conflict is run again as a new
	// transaction, so Endorsing can be called again with a new ID: the new one replaces it.
	Endorsing(ctx context.Context, txID string) error
	// Prepared records the signed transaction and the contract's endorsed result before the
	// transaction is sent to ordering; the envelope can be resubmitted as it is.
	Prepared(ctx context.Context, txID string, signedTx, result []byte) error
}

type noJournal struct{}

func (noJournal) Endorsing(context.Context, string) error                { return nil }
func (noJournal) Prepared(context.Context, string, []byte, []byte) error { return nil }

// Session is the ledger as one identity sees it: a ledgerapi.Transport that signs as the
// identity and records each transaction in its journal before it leaves the process.
type Session struct {
	c       *Client
	s       *signer
	journal Journal
}

// outcome is a transaction that committed VALID.
type outcome struct {
	txID   string
	block  uint64
	result []byte
}

// contract returns the named contract through peer p.
func (s *Session) contract(p int, name string) *client.Contract {
	return s.s.gws[p].GetNetwork(s.c.channel).GetContractWithName(s.c.chaincode, name)
}

// call is one call of a chaincode function: its arguments and, for a function that takes
// personal data, the transient data and the organisations that must endorse it (see
// package care). Transient data reaches the peers in the proposal only: the transaction
// that goes to ordering, and that the service stores, does not hold it.
type call struct {
	contract, fn string
	args         []string
	transient    map[string][]byte
	endorsers    []string
}

func (c call) String() string { return c.contract + ":" + c.fn }

// options are the proposal options of the call.
func (c call) options() []client.ProposalOption {
	opts := []client.ProposalOption{client.WithArguments(c.args...)}
	if len(c.transient) > 0 {
		opts = append(opts, client.WithTransient(c.transient))
	}
	if len(c.endorsers) > 0 {
		opts = append(opts, client.WithEndorsingOrganizations(c.endorsers...))
	}
	return opts
}

// evaluate runs a query on the first peer that answers; with endorsers, a peer of the
// first of those organisations answers it.
func (s *Session) evaluate(ctx context.Context, c call) ([]byte, error) {
	var result []byte
	err := s.c.failover(ctx, c.String(), func(p int) error {
		return s.c.timed(ctx, PhaseEvaluate, s.c.timeouts.Evaluate, func(ctx context.Context) error {
			var err error
			result, err = s.contract(p, c.contract).EvaluateWithContext(ctx, c.fn, c.options()...)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("evaluate %s: %w", c, Classify(err))
	}
	return result, nil
}

// submit runs a transaction and waits for it to commit. It succeeds only when the
// transaction committed VALID. A read conflict at validation runs the transaction again as
// a new one, at most conflictRetries times. When ctx ends while the commit is unknown it
// returns a Pending *cxlerr.Error carrying the transaction ID.
func (s *Session) submit(ctx context.Context, c call) (*outcome, error) {
	for attempt := 0; ; attempt++ {
		out, err := s.submitOnce(ctx, c)
		var ce *client.CommitError
		if errors.As(err, &ce) && attempt < s.c.conflictRetries &&
			(ce.Code == peer.TxValidationCode_MVCC_READ_CONFLICT || ce.Code == peer.TxValidationCode_PHANTOM_READ_CONFLICT) {
			s.c.log.Info("read conflict, running the transaction again", "transaction", ce.TransactionID, "code", ce.Code.String(), "attempt", attempt+1)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("submit %s: %w", c, Classify(err))
		}
		return out, nil
	}
}

func (s *Session) submitOnce(ctx context.Context, c call) (*outcome, error) {
	proposal, err := s.contract(int(s.c.preferred.Load()), c.contract).NewProposal(c.fn, c.options()...)
	if err != nil {
		return nil, fmt.Errorf("build proposal: %w", err)
	}
	txID := proposal.TransactionID()
	if err := s.journal.Endorsing(ctx, txID); err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "journal transaction before endorsement: %v", err).WithTransaction(txID)
	}
	proposalBytes, err := proposal.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode proposal %s: %w", txID, err)
	}
	var tx *client.Transaction
	err = s.c.failover(ctx, "endorse", func(p int) error {
		return s.c.timed(ctx, PhaseEndorse, s.c.timeouts.Endorse, func(ctx context.Context) error {
			prop, err := s.s.gws[p].NewProposal(proposalBytes)
			if err != nil {
				return fmt.Errorf("decode proposal %s: %w", txID, err)
			}
			tx, err = prop.EndorseWithContext(ctx)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	signed, err := s.sign(tx)
	if err != nil {
		return nil, err
	}
	journalled := time.Now()
	err = s.journal.Prepared(ctx, txID, signed, tx.Result())
	s.c.observe(PhaseJournal, time.Since(journalled), err)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "record signed transaction before submission: %v", err).WithTransaction(txID)
	}
	block, err := s.c.submitAndWait(ctx, s.s, txID, signed)
	if err != nil {
		return nil, err
	}
	return &outcome{txID: txID, block: block, result: tx.Result()}, nil
}

// sign signs an endorsed transaction offline, so that the signed bytes can be stored
// before the transaction is submitted and submitted again as they are.
func (s *Session) sign(tx *client.Transaction) ([]byte, error) {
	unsigned, err := tx.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode transaction %s: %w", tx.TransactionID(), err)
	}
	signature, err := s.s.sign(tx.Digest())
	if err != nil {
		return nil, fmt.Errorf("sign transaction %s: %w", tx.TransactionID(), err)
	}
	signedTx, err := s.s.gws[0].NewSignedTransaction(unsigned, signature)
	if err != nil {
		return nil, fmt.Errorf("attach signature to transaction %s: %w", tx.TransactionID(), err)
	}
	signed, err := signedTx.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode signed transaction %s: %w", tx.TransactionID(), err)
	}
	return signed, nil
}

// submitAndWait sends a signed transaction to ordering through the first peer that takes
// it and waits until it is in a block. It returns the block number when the transaction is
// VALID, a *client.CommitError when it is not, and a Pending error when its outcome cannot
// be known now (ctx ends first, no peer takes it or reports its status): the envelope is
// stored, so reconciliation can find it or submit it again.
func (c *Client) submitAndWait(ctx context.Context, s *signer, txID string, signed []byte) (uint64, error) {
	pending := cxlerr.Errorf(cxlerr.Pending, "transaction %s was submitted and its commit is not known yet", txID).WithTransaction(txID)
	err := c.failover(ctx, "submit", func(p int) error {
		return c.timed(ctx, PhaseSubmit, c.timeouts.Submit, func(ctx context.Context) error {
			tx, err := s.gws[p].NewTransaction(signed)
			if err != nil {
				return fmt.Errorf("decode signed transaction %s: %w", txID, err)
			}
			_, err = tx.SubmitWithContext(ctx)
			return err
		})
	})
	if err != nil {
		// The orderer may have taken the transaction even though the call failed, so the
		// outcome is unknown unless the rejection was definite.
		if code := cxlerr.CodeOf(Classify(err)); code == cxlerr.Unavailable || code == cxlerr.Timeout {
			c.log.Warn("submit failed, leaving the transaction to reconciliation", "transaction", txID, "error", err)
			return 0, pending
		}
		return 0, err
	}
	status, committedAt, err := c.waitCommit(ctx, s, txID)
	if err != nil {
		// The transaction is on its way; failing to hear its outcome says nothing about it.
		c.log.Warn("commit status unknown, leaving the transaction to reconciliation", "transaction", txID, "error", err)
		return 0, pending
	}
	if !status.Successful {
		return status.BlockNumber, &client.CommitError{TransactionID: txID, Code: status.Code}
	}
	settling := time.Now()
	behind := c.heights.settle(ctx, committedAt, status.BlockNumber)
	var settleErr error
	if len(behind) > 0 {
		settleErr = cxlerr.Errorf(cxlerr.Timeout, "%d peers did not commit block %d in time", len(behind), status.BlockNumber)
	}
	c.observe(PhaseSettle, time.Since(settling), settleErr)
	return status.BlockNumber, nil
}

// waitCommit waits until transaction txID is in a block of the first peer that answers, or
// ctx ends. It returns the status and the index of the peer that reported it.
func (c *Client) waitCommit(ctx context.Context, s *signer, txID string) (*client.Status, int, error) {
	var status *client.Status
	var answered int
	err := c.failover(ctx, "commit status", func(p int) error {
		return c.timed(ctx, PhaseCommit, 0, func(ctx context.Context) error {
			var err error
			status, err = c.commitStatus(ctx, s, p, txID)
			answered = p
			return err
		})
	})
	return status, answered, err
}

// commitStatus asks peer p, as signer s, for the commit status of txID; the call returns
// once the transaction is in a block of that peer, or when ctx ends.
func (c *Client) commitStatus(ctx context.Context, s *signer, p int, txID string) (*client.Status, error) {
	creator, err := proto.Marshal(&msp.SerializedIdentity{Mspid: s.id.MspID(), IdBytes: s.id.Credentials()})
	if err != nil {
		return nil, fmt.Errorf("encode identity %s: %w", s.name, err)
	}
	req, err := proto.Marshal(&gateway.CommitStatusRequest{ChannelId: c.channel, TransactionId: txID, Identity: creator})
	if err != nil {
		return nil, fmt.Errorf("encode commit status request: %w", err)
	}
	signedReq, err := proto.Marshal(&gateway.SignedCommitStatusRequest{Request: req})
	if err != nil {
		return nil, fmt.Errorf("encode commit status request: %w", err)
	}
	commit, err := s.gws[p].NewCommit(signedReq)
	if err != nil {
		return nil, fmt.Errorf("commit status request for %s: %w", txID, err)
	}
	return commit.StatusWithContext(ctx)
}
