package querycache

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Verifications caches product verifications (provenance Verify), the public query that
// customers' phones send for every scan of a product. A verification reads only
// provenance state (the item, its product, lots, custody, certificates and recalls), and
// every transaction that changes provenance state emits a provenance event, so Follow
// drops every answer when a block with such an event commits. An answer is also dropped
// when one of its certificates runs out, and after the TTL in any case: the TTL bounds
// what events cannot tell (a certificate dated to start later, a gap while the event
// stream reconnects). A verification's CheckedAt says when its answer was read.
type Verifications struct {
	cache   *Cache[verifyKey, json.RawMessage]
	observe func(Outcome)
}

type verifyKey struct{ gtin, serial string }

// NewVerifications returns an empty verification cache; observe (nil: none) is told how
// each verification was answered.
func NewVerifications(o Options, observe func(Outcome)) *Verifications {
	if observe == nil {
		observe = func(Outcome) {}
	}
	return &Verifications{cache: New[verifyKey, json.RawMessage](o), observe: observe}
}

// Wrap returns t with the evaluations of provenance Verify answered through the cache;
// everything else goes to t.
func (v *Verifications) Wrap(t ledgerapi.Transport) ledgerapi.Transport {
	return cachedTransport{Transport: t, v: v}
}

// Follow drops every answer for each provenance event that events delivers, until ctx
// ends. It starts at the next block to commit.
func (v *Verifications) Follow(ctx context.Context, events ledgerapi.Events) error {
	stream, err := events.Subscribe(ctx, ledgerapi.EventQuery{Contract: provenance.Name})
	if err != nil {
		return err
	}
	for range stream {
		v.cache.Invalidate()
	}
	return nil
}

// Invalidate drops every answer.
func (v *Verifications) Invalidate() { v.cache.Invalidate() }

type cachedTransport struct {
	ledgerapi.Transport
	v *Verifications
}

// Evaluate answers a verification from the cache by the request's GTIN in its 14-digit form
// and its serial; another operation, or a request the ledger would refuse (which it says
// why), goes to the ledger.
func (t cachedTransport) Evaluate(ctx context.Context, op *ledgerapi.Operation, req any) (json.RawMessage, error) {
	r, ok := req.(*ledgerapi.VerifyRequest)
	if op != &ledgerapi.ProvenanceVerify.Operation || !ok {
		return t.Transport.Evaluate(ctx, op, req)
	}
	gtin, err := provenance.NormalizeGTIN("gtin", r.GTIN)
	if err != nil {
		return t.Transport.Evaluate(ctx, op, req)
	}
	res, outcome, err := t.v.cache.Get(ctx, verifyKey{gtin, r.Serial}, func(ctx context.Context) (json.RawMessage, time.Time, error) {
		raw, err := t.Transport.Evaluate(ctx, op, req)
		if err != nil {
			return nil, time.Time{}, err
		}
		var ver provenance.Verification
		if err := json.Unmarshal(raw, &ver); err != nil {
			return nil, time.Time{}, cxlerr.Errorf(cxlerr.Internal, "decode the answer of %s: %w", op.Name(), err)
		}
		return raw, certificatesExpire(&ver), nil
	})
	t.v.observe(outcome)
	return res, err
}

// certificatesExpire is when the first certificate of a verification runs out (zero: none
// does), after which the answer would list a certificate no longer in force.
func certificatesExpire(v *provenance.Verification) time.Time {
	var first time.Time
	for _, c := range v.Certificates {
		if first.IsZero() || c.ValidUntil.Before(first) {
			first = c.ValidUntil
		}
	}
	return first
}
