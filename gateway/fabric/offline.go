package fabric

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Customer is an identity that signs for itself: the service knows its certificate, never
// its key. Its proposals and transactions are built here (Prepare, Endorse) and signed by
// the customer, offline, over the digests they carry.
type Customer struct {
	// MSPID is the customer's organisation.
	MSPID string
	// CertPEM is the customer's PEM certificate.
	CertPEM []byte
}

// Unsigned is a message a customer signs: its serialized bytes, the SHA-256 digest the
// signature covers, and the transaction it belongs to.
type Unsigned struct {
	TransactionID string
	Bytes, Digest []byte
	// Result is the contract's endorsed result, on an endorsed transaction.
	Result []byte
}

// Prepare builds the proposal of op with req, a validated pointer to op's request, as the
// customer's: its creator is the customer's certificate and it is not signed. What the
// request's chaincode call needs to read first (a merchant's published key, say) is read as
// the service's own identity; the endorsing organisations start with the customer's own when
// it is a party, as for any caller.
func (c *Client) Prepare(ctx context.Context, cust Customer, op *ledgerapi.Operation, req any) (*Unsigned, error) {
	cert, err := identity.CertificateFromPEM(cust.CertPEM)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "customer certificate: %v", err)
	}
	id, err := identity.NewX509Identity(cust.MSPID, cert)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "customer identity: %v", err)
	}
	svc := &Session{c: c, s: c.ids[c.statusID], journal: noJournal{}}
	if op == nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "no operation")
	}
	cl, err := svc.callAs(ctx, op, op.Kind, req, cust.MSPID)
	if err != nil {
		return nil, err
	}
	p := int(c.preferred.Load())
	// No signer: the customer signs the digest, and Endorse or EvaluateSigned attach it.
	gw, err := client.Connect(id, client.WithClientConnection(c.conns[p]))
	if err != nil {
		return nil, fmt.Errorf("gateway for a customer of %s: %w", cust.MSPID, err)
	}
	defer func() { _ = gw.Close() }()
	proposal, err := gw.GetNetwork(c.channel).GetContractWithName(c.chaincode, cl.contract).NewProposal(cl.fn, cl.options()...)
	if err != nil {
		return nil, fmt.Errorf("build proposal %s: %w", cl, err)
	}
	b, err := proposal.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode proposal %s: %w", proposal.TransactionID(), err)
	}
	return &Unsigned{TransactionID: proposal.TransactionID(), Bytes: b, Digest: proposal.Digest()}, nil
}

// Endorse sends a proposal Prepare built, with the customer's signature over its digest, to
// the endorsing peers (the first peer that answers), and returns the endorsed transaction
// the customer signs next. The caller checks the signature first: a peer refuses a bad one,
// but only after the work of a round trip.
func (c *Client) Endorse(ctx context.Context, proposal, signature []byte) (*Unsigned, error) {
	s := c.ids[c.statusID]
	var tx *client.Transaction
	err := c.failover(ctx, "endorse", func(p int) error {
		return c.timed(ctx, PhaseEndorse, c.timeouts.Endorse, func(ctx context.Context) error {
			prop, err := s.gws[p].NewSignedProposal(proposal, signature)
			if err != nil {
				return cxlerr.Errorf(cxlerr.Invalid, "decode proposal: %v", err)
			}
			tx, err = prop.EndorseWithContext(ctx)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("endorse: %w", Classify(err))
	}
	b, err := tx.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode transaction %s: %w", tx.TransactionID(), err)
	}
	return &Unsigned{TransactionID: tx.TransactionID(), Bytes: b, Digest: tx.Digest(), Result: tx.Result()}, nil
}

// EvaluateSigned runs a query Prepare built, with the customer's signature over its digest,
// on the first peer that answers, and returns the contract's answer.
func (c *Client) EvaluateSigned(ctx context.Context, proposal, signature []byte) (json.RawMessage, error) {
	s := c.ids[c.statusID]
	var result []byte
	err := c.failover(ctx, "evaluate", func(p int) error {
		return c.timed(ctx, PhaseEvaluate, c.timeouts.Evaluate, func(ctx context.Context) error {
			prop, err := s.gws[p].NewSignedProposal(proposal, signature)
			if err != nil {
				return cxlerr.Errorf(cxlerr.Invalid, "decode proposal: %v", err)
			}
			result, err = prop.EvaluateWithContext(ctx)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", Classify(err))
	}
	return result, nil
}

// SubmitSigned attaches the customer's signature to a transaction Endorse returned, records
// the signed transaction in j (whose Endorsing the caller called with its ID), sends it to
// ordering and waits for its commit, as a custodial transaction: it succeeds only when the
// transaction committed VALID, and answers Pending with the transaction ID when the commit
// is unknown when ctx ends (reconciliation follows the stored envelope). A read conflict is
// not run again: a new transaction needs the customer's signatures again, so the retryable
// Conflict goes back to the customer.
func (c *Client) SubmitSigned(ctx context.Context, transaction, signature []byte, j Journal) (*ledgerapi.Committed[json.RawMessage], error) {
	s := c.ids[c.statusID]
	tx, err := s.gws[0].NewSignedTransaction(transaction, signature)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "decode transaction: %v", err)
	}
	txID := tx.TransactionID()
	signed, err := tx.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode signed transaction %s: %w", txID, err)
	}
	journalled := time.Now()
	err = j.Prepared(ctx, txID, signed, tx.Result())
	c.observe(PhaseJournal, time.Since(journalled), err)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "record signed transaction before submission: %v", err).WithTransaction(txID)
	}
	block, err := c.submitAndWait(ctx, s, txID, signed)
	if err != nil {
		return nil, fmt.Errorf("submit %s: %w", txID, Classify(err))
	}
	return &ledgerapi.Committed[json.RawMessage]{TransactionID: txID, BlockNumber: block, Result: tx.Result()}, nil
}
