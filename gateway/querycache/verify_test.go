package querycache

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// fakeTransport answers every evaluation, counting them: a verification with certs as its
// certificates, anything else {}; it has no other method.
type fakeTransport struct {
	ledgerapi.Transport
	calls atomic.Int32
	certs []provenance.Certificate
	err   error
}

func (f *fakeTransport) Evaluate(_ context.Context, _ *ledgerapi.Operation, req any) (json.RawMessage, error) {
	f.calls.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	if r, ok := req.(*ledgerapi.VerifyRequest); ok {
		return json.Marshal(provenance.Verification{Genuine: true, GTIN: r.GTIN, Serial: r.Serial, Certificates: f.certs})
	}
	return json.RawMessage("{}"), nil
}

// fakeEvents delivers what is sent on ch.
type fakeEvents chan ledgerapi.Event

func (e fakeEvents) Subscribe(context.Context, ledgerapi.EventQuery) (<-chan ledgerapi.Event, error) {
	return e, nil
}

const gtin14 = "09506000134352"

func TestVerificationsAnswerRepeatsFromMemory(t *testing.T) {
	var outcomes []Outcome
	v := NewVerifications(Options{TTL: time.Minute, MaxEntries: 100}, func(o Outcome) { outcomes = append(outcomes, o) })
	backend := &fakeTransport{}
	l := ledgerapi.Over(v.Wrap(backend))
	ctx := context.Background()
	// The 13-digit form of the same GTIN shares the answer.
	for _, gtin := range []string{gtin14, gtin14, gtin14[1:]} {
		res, err := l.Provenance().Verify(ctx, ledgerapi.VerifyRequest{GTIN: gtin, Serial: "S1"})
		if err != nil || !res.Genuine {
			t.Fatalf("verify %s: %+v %v", gtin, res, err)
		}
	}
	if _, err := l.Provenance().Verify(ctx, ledgerapi.VerifyRequest{GTIN: gtin14, Serial: "S2"}); err != nil {
		t.Fatal(err)
	}
	if n := backend.calls.Load(); n != 2 {
		t.Fatalf("%d verifications reached the ledger, want 2 (one per item)", n)
	}
	want := []Outcome{Miss, Hit, Hit, Miss}
	if len(outcomes) != len(want) {
		t.Fatalf("outcomes %v, want %v", outcomes, want)
	}
	for i := range want {
		if outcomes[i] != want[i] {
			t.Fatalf("outcomes %v, want %v", outcomes, want)
		}
	}
}

func TestVerificationsPassErrorsAndInvalidInputThrough(t *testing.T) {
	v := NewVerifications(Options{TTL: time.Minute, MaxEntries: 100}, nil)
	backend := &fakeTransport{err: cxlerr.Errorf(cxlerr.Unavailable, "no peer")}
	l := ledgerapi.Over(v.Wrap(backend))
	for range 2 {
		if _, err := l.Provenance().Verify(context.Background(), ledgerapi.VerifyRequest{GTIN: gtin14, Serial: "S1"}); !errors.Is(err, backend.err) {
			t.Fatalf("error %v, want the ledger's", err)
		}
	}
	if n := backend.calls.Load(); n != 2 {
		t.Fatalf("%d calls reached the ledger, want 2: errors are never kept", n)
	}
	// A malformed GTIN is not a key: the ledger's answer is passed on, every time.
	backend.err = nil
	cached := v.Wrap(backend)
	for range 2 {
		if _, err := cached.Evaluate(context.Background(), &ledgerapi.ProvenanceVerify.Operation, &ledgerapi.VerifyRequest{GTIN: "12", Serial: "S1"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := backend.calls.Load(); n != 4 {
		t.Fatalf("%d calls reached the ledger, want 4: a malformed GTIN is never kept", n)
	}
}

// TestOtherOperationsPassThrough: only verifications are cached; another query reaches the
// ledger every time.
func TestOtherOperationsPassThrough(t *testing.T) {
	v := NewVerifications(Options{TTL: time.Minute, MaxEntries: 100}, func(Outcome) { t.Error("the cache was consulted") })
	backend := &fakeTransport{}
	l := ledgerapi.Over(v.Wrap(backend))
	for range 2 {
		if _, err := l.Provenance().Trace(context.Background(), ledgerapi.TraceRequest{GTIN: gtin14, Lot: "L1"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := backend.calls.Load(); n != 2 {
		t.Fatalf("%d traces reached the ledger, want 2", n)
	}
}

func TestVerificationsExpireWithTheirFirstCertificate(t *testing.T) {
	clk := newClock()
	backend := &fakeTransport{certs: []provenance.Certificate{
		{ID: "organic", ValidUntil: clk.Now().Add(time.Hour)},
		{ID: "fair-trade", ValidUntil: clk.Now().Add(3 * time.Second)},
	}}
	v := NewVerifications(Options{TTL: time.Minute, MaxEntries: 100, Now: clk.Now}, nil)
	l := ledgerapi.Over(v.Wrap(backend))
	req := ledgerapi.VerifyRequest{GTIN: gtin14, Serial: "S1"}
	l.Provenance().Verify(context.Background(), req)
	clk.Advance(2 * time.Second)
	l.Provenance().Verify(context.Background(), req)
	if n := backend.calls.Load(); n != 1 {
		t.Fatalf("%d calls before a certificate ran out, want 1", n)
	}
	clk.Advance(time.Second)
	l.Provenance().Verify(context.Background(), req)
	if n := backend.calls.Load(); n != 2 {
		t.Fatalf("%d calls once a listed certificate ran out, want 2", n)
	}
}

func TestFollowDropsAnswersOnEveryProvenanceEvent(t *testing.T) {
	v := NewVerifications(Options{TTL: time.Hour, MaxEntries: 100}, nil)
	backend := &fakeTransport{}
	l := ledgerapi.Over(v.Wrap(backend))
	events := make(fakeEvents)
	followed := make(chan error)
	go func() { followed <- v.Follow(context.Background(), events) }()

	req := ledgerapi.VerifyRequest{GTIN: gtin14, Serial: "S1"}
	l.Provenance().Verify(context.Background(), req)
	l.Provenance().Verify(context.Background(), req)
	events <- ledgerapi.Event{Contract: provenance.Name, Type: "LotRecalled"}
	// The send returns once Follow took the event; its Invalidate may still be running, so
	// a second event (or the stream's end) orders it before the next Verify.
	close(events)
	if err := <-followed; err != nil {
		t.Fatal(err)
	}
	l.Provenance().Verify(context.Background(), req)
	if n := backend.calls.Load(); n != 2 {
		t.Fatalf("%d calls, want 2: the recall must drop the kept answer", n)
	}
}
