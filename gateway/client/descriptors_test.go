package client_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/client"
	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/gateway/httpapi"
	"github.com/cxledger/cxledger/gateway/metrics"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/ledgerapi"
	"github.com/cxledger/cxledger/ledgerapi/ledgerapitest"
)

// recordingBackend is a ledger that records the operation and request each call brings and
// answers {}: a transaction commits at once, journalled as the Fabric adapter does.
type recordingBackend struct {
	mu  sync.Mutex
	op  *ledgerapi.Operation
	req any
}

func (b *recordingBackend) Transport(_ string, j fabric.Journal) (ledgerapi.Transport, error) {
	return &recordingTransport{b: b, j: j}, nil
}

func (b *recordingBackend) Lookup(context.Context, string) (*ledgerapi.TransactionStatus, error) {
	return nil, cxlerr.New(cxlerr.NotFound, "no transaction")
}

func (b *recordingBackend) Ready(context.Context) error { return nil }

// received returns and forgets what the ledger last received.
func (b *recordingBackend) received() (*ledgerapi.Operation, any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	op, req := b.op, b.req
	b.op, b.req = nil, nil
	return op, req
}

type recordingTransport struct {
	b *recordingBackend
	j fabric.Journal
}

func (t *recordingTransport) record(op *ledgerapi.Operation, req any) {
	t.b.mu.Lock()
	defer t.b.mu.Unlock()
	t.b.op, t.b.req = op, req
}

func (t *recordingTransport) Submit(ctx context.Context, op *ledgerapi.Operation, req any) (*ledgerapi.Committed[json.RawMessage], error) {
	t.record(op, req)
	txID := "tx-" + op.Name()
	if err := t.j.Endorsing(ctx, txID); err != nil {
		return nil, err
	}
	if err := t.j.Prepared(ctx, txID, []byte("envelope"), json.RawMessage("{}")); err != nil {
		return nil, err
	}
	return &ledgerapi.Committed[json.RawMessage]{TransactionID: txID, BlockNumber: 1, Result: json.RawMessage("{}")}, nil
}

func (t *recordingTransport) Evaluate(_ context.Context, op *ledgerapi.Operation, req any) (json.RawMessage, error) {
	t.record(op, req)
	return json.RawMessage("{}"), nil
}

func (t *recordingTransport) Transactions() ledgerapi.Transactions { return nil }
func (t *recordingTransport) Events() ledgerapi.Events             { return nil }

// TestClientReachesEveryDescriptor runs the real service over a recording ledger and sends
// every operation through the client with a valid request: each must arrive as the same
// operation with an equal request, so a route the service does not serve, or one the
// client sends elsewhere, fails here.
func TestClientReachesEveryDescriptor(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b := &recordingBackend{}
	srv := httptest.NewServer(httpapi.New(httpapi.Options{
		Backend: b, Store: st, Metrics: metrics.New(), Limits: config.Defaults().Limits, RequestTimeout: 5 * time.Second,
		PublicIdentity: "org1-user1",
		Principals:     map[[32]byte]httpapi.Principal{config.HashKey("k"): {Name: "k", Identity: "org1-user1"}},
	}))
	defer srv.Close()
	c := client.New(srv.URL, "k")
	ctx := context.Background()
	for _, op := range ledgerapi.Operations() {
		req := op.NewRequest()
		if err := json.Unmarshal(ledgerapitest.Example(op.Request), req); err != nil {
			t.Fatalf("%s: example: %v", op.Name(), err)
		}
		// A page size of its own (the service sets the default) and a bookmark that needs
		// escaping.
		if f := reflect.ValueOf(req).Elem().FieldByName("PageSize"); f.IsValid() {
			f.SetInt(7)
		}
		if f := reflect.ValueOf(req).Elem().FieldByName("Bookmark"); f.IsValid() {
			if f.SetString("b/1 &x=é"); ledgerapi.Validate(req) != nil {
				f.SetString("") // a bookmark of a form of its own
			}
		}
		if op.Kind == ledgerapi.Submit {
			_, err = c.Submit(ledgerapi.WithIdempotencyKey(ctx, "k-"+op.Name()), op, req)
		} else {
			_, err = c.Evaluate(ctx, op, req)
		}
		got, gotReq := b.received()
		switch {
		case err != nil:
			t.Errorf("%s: %v", op.Name(), err)
		case got != op:
			t.Errorf("%s arrived as %v", op.Name(), got)
		case !sameRequest(gotReq, req):
			t.Errorf("%s: sent %+v, arrived %+v", op.Name(), req, gotReq)
		}
	}
}

// sameRequest compares two requests by their JSON encoding, which is what travels (times
// compare by instant).
func sameRequest(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && reflect.TypeOf(a) == reflect.TypeOf(b) && string(ja) == string(jb)
}
