package ledger_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

const book = "loyalty.points"

// readCounter is a stub that counts reads, to prove writes are blind.
type readCounter struct {
	*ledgertest.Stub
	reads int
}

func (r *readCounter) GetState(key string) ([]byte, error) {
	r.reads++
	return r.Stub.GetState(key)
}

func (r *readCounter) GetStateByPartialCompositeKey(objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	r.reads++
	return r.Stub.GetStateByPartialCompositeKey(objectType, keys)
}

func mint(t *testing.T, tx *ledger.Tx, owner string, lot ledger.Lot) ledger.Lot {
	t.Helper()
	l, err := ledger.MintLot(tx, book, owner, lot)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func amounts(lots []ledger.Lot) []ledgertypes.Amount {
	out := []ledgertypes.Amount{}
	for _, l := range lots {
		out = append(out, l.Amount)
	}
	return out
}

func TestMintLotIsBlindAndUnique(t *testing.T) {
	stub := ledgertest.New().As("Org1MSP", "alice", "client")
	counter := &readCounter{Stub: stub}
	tx, err := ledger.NewTx(counter)
	if err != nil {
		t.Fatal(err)
	}
	a := mint(t, tx, "Org1MSP/bob", ledger.Lot{Amount: 100, Unit: "PTS", ID: "ignored", Owner: "ignored"})
	b := mint(t, tx, "Org1MSP/bob", ledger.Lot{Amount: 50, Unit: "PTS", Meta: map[string]string{"order": "O1"}})
	if counter.reads != 0 {
		t.Fatalf("MintLot read the ledger %d times", counter.reads)
	}
	if a.ID != tx.ID()+".0000" || b.ID != tx.ID()+".0001" || a.Owner != "Org1MSP/bob" || a.CreatedTx != tx.ID() {
		t.Fatalf("lots %+v %+v", a, b)
	}
	if w := stub.Writes(); len(w) != 2 || w[0].Op != ledgertest.OpPut {
		t.Fatalf("writes %+v", w)
	}
	stub.Commit()

	// Another transaction crediting the same owner writes different keys.
	tx2 := newTx(t, stub)
	c := mint(t, tx2, "Org1MSP/bob", ledger.Lot{Amount: 1, Unit: "PTS"})
	if c.ID == a.ID || c.ID == b.ID {
		t.Fatalf("lot ID %q reused", c.ID)
	}
	stub.Commit()
	lots, err := ledger.ListLots(newTx(t, stub), book, "Org1MSP/bob")
	if err != nil || len(lots) != 3 {
		t.Fatalf("ListLots = %+v, %v", lots, err)
	}
	i := slices.IndexFunc(lots, func(l ledger.Lot) bool { return l.ID == b.ID })
	if i < 0 || lots[i].Meta["order"] != "O1" || !slices.IsSortedFunc(lots, func(x, y ledger.Lot) int { return strings.Compare(x.ID, y.ID) }) {
		t.Fatalf("ListLots = %+v", lots)
	}
}

func TestMintLotRejects(t *testing.T) {
	stub := ledgertest.New().As("Org1MSP", "alice", "client")
	tx := newTx(t, stub)
	tooMuchMeta := map[string]string{}
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q"} {
		tooMuchMeta[k] = "v"
	}
	tests := []struct {
		name  string
		book  string
		owner string
		lot   ledger.Lot
		want  string
	}{
		{"zero amount", book, "o", ledger.Lot{Unit: "PTS"}, "amount: must be a positive"},
		{"negative amount", book, "o", ledger.Lot{Amount: -1, Unit: "PTS"}, "amount"},
		{"no unit", book, "o", ledger.Lot{Amount: 1}, "unit"},
		{"bad unit", book, "o", ledger.Lot{Amount: 1, Unit: "P TS"}, "unit"},
		{"expired", book, "o", ledger.Lot{Amount: 1, Unit: "PTS", Expires: ptr(stub.Now())}, "expires: 2026-01-01T09:00:00Z is not after"},
		{"bad owner", book, "", ledger.Lot{Amount: 1, Unit: "PTS"}, "owner: required"},
		{"bad book", "points", "o", ledger.Lot{Amount: 1, Unit: "PTS"}, "object type"},
		{"too much meta", book, "o", ledger.Lot{Amount: 1, Unit: "PTS", Meta: tooMuchMeta}, "meta: 17 entries"},
		{"bad meta key", book, "o", ledger.Lot{Amount: 1, Unit: "PTS", Meta: map[string]string{"": "v"}}, "meta key"},
		{"bad meta value", book, "o", ledger.Lot{Amount: 1, Unit: "PTS", Meta: map[string]string{"k": "a\nb"}}, `meta["k"]: unprintable`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ledger.MintLot(tx, tt.book, tt.owner, tt.lot)
			assertCode(t, err, cxlerr.Invalid, tt.want)
		})
	}
	if len(stub.Writes()) != 0 {
		t.Fatal("rejected mints wrote")
	}
}

// seedLots commits lots of 10, 20 (expiring in 2 days), 30 (expiring in 1
// day) PTS and 5 EUR for owner.
func seedLots(t *testing.T, stub *ledgertest.Stub, owner string) {
	t.Helper()
	tx := newTx(t, stub)
	now := tx.Time()
	mint(t, tx, owner, ledger.Lot{Amount: 10, Unit: "PTS"})
	mint(t, tx, owner, ledger.Lot{Amount: 20, Unit: "PTS", Expires: ptr(now.Add(48 * time.Hour)), Meta: map[string]string{"campaign": "spring"}})
	mint(t, tx, owner, ledger.Lot{Amount: 30, Unit: "PTS", Expires: ptr(now.Add(24 * time.Hour))})
	mint(t, tx, owner, ledger.Lot{Amount: 5, Unit: "EUR"})
	stub.Commit()
}

func TestSpendLots(t *testing.T) {
	const owner = "Org1MSP/bob"
	pts := ledger.OfUnit("PTS")
	tests := []struct {
		name       string
		amount     ledgertypes.Amount
		selector   ledger.LotSelector
		filter     ledger.LotFilter
		wantSpent  []ledgertypes.Amount
		wantChange ledgertypes.Amount
		wantCode   cxlerr.Code
		wantErr    string
	}{
		{"exact, key order", 10, nil, pts, []ledgertypes.Amount{10}, 0, "", ""},
		{"change from the last lot", 15, nil, pts, []ledgertypes.Amount{10, 20}, 15, "", ""},
		{"expiring first", 35, ledger.ExpiringFirst, pts, []ledgertypes.Amount{30, 20}, 15, "", ""},
		{"everything", 60, ledger.ExpiringFirst, pts, []ledgertypes.Amount{30, 20, 10}, 0, "", ""},
		{"unexpired only", 15, nil, ledger.AllOf(pts, ledger.UnexpiredAt(time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC))), []ledgertypes.Amount{10, 20}, 15, "", ""},
		{"insufficient", 61, nil, pts, nil, 0, cxlerr.InsufficientFunds, "Org1MSP/bob has 60 PTS usable in loyalty.points, 61 needed"},
		{"nothing usable", 1, nil, ledger.OfUnit("USD"), nil, 0, cxlerr.InsufficientFunds, "has nothing usable"},
		{"mixed units", 70, nil, nil, nil, 0, cxlerr.Internal, "lots mix units"},
		{"zero amount", 0, nil, pts, nil, 0, cxlerr.Invalid, "amount"},
		{"selector invents a lot", 5, func([]ledger.Lot) []ledger.Lot { return []ledger.Lot{{ID: "forged", Amount: 99, Unit: "PTS"}} }, pts, nil, 0, cxlerr.Internal, `lot selector returned lot "forged"`},
		{"selector duplicates a lot", 15, func(l []ledger.Lot) []ledger.Lot { return []ledger.Lot{l[0], l[0]} }, pts, nil, 0, cxlerr.Internal, "returned twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stub := ledgertest.New().As("Org1MSP", "alice", "client")
			seedLots(t, stub, owner)
			tx := newTx(t, stub)
			spent, change, err := ledger.SpendLots(tx, book, owner, tt.amount, tt.selector, tt.filter)
			if tt.wantCode != "" {
				assertCode(t, err, tt.wantCode, tt.wantErr)
				if len(stub.Writes()) != 0 {
					t.Fatal("a failed spend wrote")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(amounts(spent), tt.wantSpent) {
				t.Fatalf("spent %v, want %v", amounts(spent), tt.wantSpent)
			}
			if tt.wantChange == 0 {
				if change != nil {
					t.Fatalf("change %+v, want none", change)
				}
			} else {
				last := spent[len(spent)-1]
				if change == nil || change.Amount != tt.wantChange || change.Unit != "PTS" || !change.Expires.Equal(*last.Expires) || change.Meta["campaign"] != last.Meta["campaign"] {
					t.Fatalf("change %+v, want %d with the terms of %+v", change, tt.wantChange, last)
				}
			}
			stub.Commit()
			balance, err := ledger.Balance(newTx(t, stub), book, owner, pts)
			if err != nil || balance != 60-tt.amount {
				t.Fatalf("balance after spending %d = %d, %v", tt.amount, balance, err)
			}
		})
	}
}

func TestBalance(t *testing.T) {
	stub := ledgertest.New().As("Org1MSP", "alice", "client")
	seedLots(t, stub, "o")
	tx := newTx(t, stub)
	for _, tt := range []struct {
		filter ledger.LotFilter
		want   ledgertypes.Amount
	}{
		{ledger.OfUnit("PTS"), 60},
		{ledger.OfUnit("EUR"), 5},
		{ledger.AllOf(ledger.OfUnit("PTS"), ledger.UnexpiredAt(tx.Time().Add(36*time.Hour))), 30},
		{ledger.OfUnit("USD"), 0},
	} {
		got, err := ledger.Balance(tx, book, "o", tt.filter)
		if err != nil || got != tt.want {
			t.Fatalf("Balance = %d, %v; want %d", got, err, tt.want)
		}
	}
	_, err := ledger.Balance(tx, book, "o", nil)
	assertCode(t, err, cxlerr.Internal, "lots mix units")
	if got, err := ledger.Balance(tx, book, "nobody", nil); err != nil || got != 0 {
		t.Fatalf("empty balance = %d, %v", got, err)
	}
}

func TestExpiringFirst(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lots := []ledger.Lot{
		{ID: "d"},
		{ID: "c", Expires: ptr(at.Add(time.Hour))},
		{ID: "a"},
		{ID: "b", Expires: ptr(at)},
		{ID: "e", Expires: ptr(at)},
	}
	var ids []string
	for _, l := range ledger.ExpiringFirst(lots) {
		ids = append(ids, l.ID)
	}
	if !slices.Equal(ids, []string{"b", "e", "c", "a", "d"}) {
		t.Fatalf("order %q", ids)
	}
	if lots[0].ID != "d" {
		t.Fatal("ExpiringFirst reordered its input")
	}
	if !lots[3].ExpiredAt(at) || lots[3].ExpiredAt(at.Add(-time.Nanosecond)) || lots[0].ExpiredAt(at) {
		t.Fatal("ExpiredAt")
	}
}

func ptr[T any](v T) *T { return &v }
