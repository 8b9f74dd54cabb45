package querycache

import (
	"context"
	"time"

	"github.com/cxledger/cxledger/chaincode/provenance"
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
	cache   *Cache[verifyKey, *provenance.Verification]
	observe func(Outcome)
}

type verifyKey struct{ gtin, serial string }

// NewVerifications returns an empty verification cache; observe (nil: none) is told how
// each verification was answered.
func NewVerifications(o Options, observe func(Outcome)) *Verifications {
	if observe == nil {
		observe = func(Outcome) {}
	}
	return &Verifications{cache: New[verifyKey, *provenance.Verification](o), observe: observe}
}

// Wrap returns l with its provenance Verify answered through the cache; everything else
// goes to l.
func (v *Verifications) Wrap(l ledgerapi.Ledger) ledgerapi.Ledger {
	return cachedLedger{Ledger: l, v: v}
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

type cachedLedger struct {
	ledgerapi.Ledger
	v *Verifications
}

func (l cachedLedger) Provenance() ledgerapi.Provenance {
	return cachedProvenance{Provenance: l.Ledger.Provenance(), v: l.v}
}

type cachedProvenance struct {
	ledgerapi.Provenance
	v *Verifications
}

// Verify answers from the cache by the GTIN's 14-digit form and the serial; a request the
// ledger would refuse goes to the ledger, which says why.
func (p cachedProvenance) Verify(ctx context.Context, req ledgerapi.VerifyRequest) (*provenance.Verification, error) {
	gtin, err := provenance.NormalizeGTIN("gtin", req.GTIN)
	if err != nil {
		return p.Provenance.Verify(ctx, req)
	}
	res, outcome, err := p.v.cache.Get(ctx, verifyKey{gtin, req.Serial}, func(ctx context.Context) (*provenance.Verification, time.Time, error) {
		res, err := p.Provenance.Verify(ctx, req)
		if err != nil {
			return nil, time.Time{}, err
		}
		return res, certificatesExpire(res), nil
	})
	p.v.observe(outcome)
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
