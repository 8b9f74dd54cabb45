package ledger

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// Limits on token lots.
const (
	// MaxLots is the most lots ListLots, Balance and SpendLots read for one
	// owner in one book; an owner with more must be consolidated first.
	MaxLots = 10000
	// MaxLotMeta is the most metadata entries a lot carries.
	MaxLotMeta = 16
)

// Lot is a parcel of value (money or points) held by one owner: the
// UTXO-style row token balances are made of. A lot is stored under the
// composite key (book, owner, lot ID), written once, never updated, and
// deleted when spent. An owner's balance is the sum of their lots.
//
// Because a payment or an earn always writes a new lot under a new key,
// without reading anything of the receiver, any number of transactions can
// credit one account concurrently without MVCC conflicts. Spending reads the
// owner's lots with a range query, so a spend conflicts with another spend
// of the same owner and with a credit to that owner committed between its
// endorsement and its commit (Fabric's phantom-read check); credits never
// conflict with each other.
type Lot struct {
	// ID is unique on the ledger: the minting transaction's ID, a dot and
	// the lot's index within that transaction.
	ID string `json:"id"`
	// Owner is the account or MSP ID holding the lot.
	Owner string `json:"owner"`
	// Amount is positive, in minor units of Unit.
	Amount ledgertypes.Amount `json:"amount"`
	// Unit is a currency code ("EUR") or a points unit ("PTS.acme").
	Unit string `json:"unit"`
	// Expires, when set, is the instant from which the lot is expired.
	Expires *time.Time `json:"expires,omitempty" metadata:",optional"`
	// Meta holds a few business references (the order that paid, the
	// campaign that earned); never personal data.
	Meta map[string]string `json:"meta,omitempty" metadata:",optional"`
	// CreatedTx is the ID of the transaction that minted the lot.
	CreatedTx string `json:"createdTx"`
}

// ExpiredAt reports whether the lot has an expiry and t is at or after it.
func (l Lot) ExpiredAt(t time.Time) bool {
	return l.Expires != nil && !t.Before(*l.Expires)
}

// LotFilter reports whether a lot may take part in a spend or a balance.
type LotFilter func(Lot) bool

// LotSelector returns the lots to spend in the order to spend them. It may
// drop lots but must not add or change any.
type LotSelector func(lots []Lot) []Lot

// OfUnit keeps the lots of one unit.
func OfUnit(unit string) LotFilter {
	return func(l Lot) bool { return l.Unit == unit }
}

// UnexpiredAt keeps the lots not expired at t (usually tx.Time()).
func UnexpiredAt(t time.Time) LotFilter {
	return func(l Lot) bool { return !l.ExpiredAt(t) }
}

// AllOf keeps the lots every filter keeps.
func AllOf(filters ...LotFilter) LotFilter {
	return func(l Lot) bool {
		for _, f := range filters {
			if !f(l) {
				return false
			}
		}
		return true
	}
}

// ExpiringFirst orders lots by expiry, soonest first, lots without expiry
// last, ties by ID: the usual order for spending points.
func ExpiringFirst(lots []Lot) []Lot {
	sorted := slices.Clone(lots)
	slices.SortStableFunc(sorted, func(a, b Lot) int {
		switch {
		case (a.Expires == nil) != (b.Expires == nil):
			if a.Expires == nil {
				return 1
			}
			return -1
		case a.Expires != nil && !a.Expires.Equal(*b.Expires):
			return a.Expires.Compare(*b.Expires)
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return sorted
}

// MintLot creates a lot of lot.Amount lot.Unit for owner in book (an object
// type such as "loyalty.points") with a blind write, and returns it.
// MintLot assigns ID, Owner and CreatedTx, ignoring what lot holds there.
// The amount must be positive, the unit 1 to 32 ASCII letters, digits, '.',
// '_', ':' or '-', an expiry after the transaction time, and at most 16 meta
// entries of printable text (keys up to 64 bytes, values up to 256);
// violations are INVALID.
func MintLot(tx *Tx, book, owner string, lot Lot) (Lot, error) {
	if err := ValidateObjectType(book); err != nil {
		return Lot{}, err
	}
	if err := ledgertypes.ValidateID("owner", owner); err != nil {
		return Lot{}, err
	}
	if err := ledgertypes.ValidateAmount("amount", lot.Amount); err != nil {
		return Lot{}, err
	}
	if err := ledgertypes.ValidateUnit(lot.Unit); err != nil {
		return Lot{}, err
	}
	if lot.Expires != nil && !lot.Expires.After(tx.Time()) {
		return Lot{}, cxlerr.Errorf(cxlerr.Invalid, "expires: %s is not after the transaction time %s",
			lot.Expires.UTC().Format(time.RFC3339Nano), tx.Time().Format(time.RFC3339Nano))
	}
	if len(lot.Meta) > MaxLotMeta {
		return Lot{}, cxlerr.Errorf(cxlerr.Invalid, "meta: %d entries, more than %d", len(lot.Meta), MaxLotMeta)
	}
	for _, k := range slices.Sorted(maps.Keys(lot.Meta)) {
		if problem := ledgertypes.IDProblem(k); problem != "" || len(k) > 64 {
			return Lot{}, cxlerr.Errorf(cxlerr.Invalid, "meta key %q: want an identifier of at most 64 bytes", k)
		}
		if err := ledgertypes.ValidateText(fmt.Sprintf("meta[%q]", k), lot.Meta[k], 256); err != nil {
			return Lot{}, err
		}
	}
	return putLot(tx, book, owner, lot)
}

// putLot stores lot as a new lot of owner without validating its terms, for
// MintLot and for change lots, which keep the terms of the lot they split.
func putLot(tx *Tx, book, owner string, lot Lot) (Lot, error) {
	lot.ID = fmt.Sprintf("%s.%04d", tx.id, tx.minted)
	lot.Owner = owner
	lot.CreatedTx = tx.id
	if lot.Expires != nil {
		utc := lot.Expires.UTC()
		lot.Expires = &utc
	}
	key, err := Key(tx, book, owner, lot.ID)
	if err != nil {
		return Lot{}, err
	}
	if err := PutJSON(tx, key, lot); err != nil {
		return Lot{}, err
	}
	tx.minted++
	return lot, nil
}

// ListLots returns owner's lots in book, ordered by lot ID. More than
// MaxLots lots is INTERNAL: consolidate the owner's lots first.
func ListLots(tx *Tx, book, owner string) ([]Lot, error) {
	lots := []Lot{}
	more, err := Scan(tx, book, []string{owner}, MaxLots, func(kv KV) error {
		var l Lot
		if err := json.Unmarshal(kv.Value, &l); err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", DescribeKey(kv.Key), err)
		}
		lots = append(lots, l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if more {
		return nil, cxlerr.Errorf(cxlerr.Internal, "%s holds more than %d lots in %s; consolidate them", owner, MaxLots, book)
	}
	return lots, nil
}

// Balance sums owner's lots in book that filter keeps (all when filter is
// nil). The kept lots must share one unit, or the result is INTERNAL: filter
// by unit (OfUnit) in books that hold several.
func Balance(tx *Tx, book, owner string, filter LotFilter) (ledgertypes.Amount, error) {
	lots, err := ListLots(tx, book, owner)
	if err != nil {
		return 0, err
	}
	var sum ledgertypes.Amount
	unit := ""
	for _, l := range lots {
		if filter != nil && !filter(l) {
			continue
		}
		if err := sameUnit(&unit, l); err != nil {
			return 0, err
		}
		if sum, err = sum.Add(l.Amount); err != nil {
			return 0, cxlerr.Errorf(cxlerr.Internal, "balance of %s in %s overflows", owner, book)
		}
	}
	return sum, nil
}

// SpendLots takes amount from owner's lots in book. It keeps the lots filter
// keeps (all when nil), orders them with selector (key order when nil),
// consumes whole lots in that order until they cover amount, deletes them,
// and, when they cover more, mints the difference back to owner as a change
// lot with the terms (unit, expiry, meta) of the last lot consumed. The
// consumed lots must share one unit (INTERNAL otherwise: filter by unit).
// When the usable lots do not cover amount, nothing is written and the error
// is INSUFFICIENT_FUNDS.
//
// To move value, spend from the payer and MintLot the same amount to the
// receiver, in the same transaction.
func SpendLots(tx *Tx, book, owner string, amount ledgertypes.Amount, selector LotSelector, filter LotFilter) (spent []Lot, change *Lot, err error) {
	if err := ledgertypes.ValidateAmount("amount", amount); err != nil {
		return nil, nil, err
	}
	lots, err := ListLots(tx, book, owner)
	if err != nil {
		return nil, nil, err
	}
	usable := lots
	if filter != nil {
		usable = slices.DeleteFunc(slices.Clone(lots), func(l Lot) bool { return !filter(l) })
	}
	ordered := usable
	if selector != nil {
		if ordered, err = selected(usable, selector(slices.Clone(usable))); err != nil {
			return nil, nil, err
		}
	}
	var sum ledgertypes.Amount
	unit := ""
	for _, l := range ordered {
		if sum >= amount {
			break
		}
		if err := sameUnit(&unit, l); err != nil {
			return nil, nil, err
		}
		if sum, err = sum.Add(l.Amount); err != nil {
			return nil, nil, cxlerr.Errorf(cxlerr.Internal, "lots of %s in %s overflow", owner, book)
		}
		spent = append(spent, l)
	}
	if sum < amount {
		if unit == "" {
			return nil, nil, cxlerr.Errorf(cxlerr.InsufficientFunds, "%s has nothing usable in %s, %d needed", owner, book, amount)
		}
		return nil, nil, cxlerr.Errorf(cxlerr.InsufficientFunds, "%s has %d %s usable in %s, %d needed", owner, sum, unit, book, amount)
	}
	for _, l := range spent {
		key, err := Key(tx, book, owner, l.ID)
		if err != nil {
			return nil, nil, err
		}
		if err := Delete(tx, key); err != nil {
			return nil, nil, err
		}
	}
	if sum > amount {
		last := spent[len(spent)-1]
		c, err := putLot(tx, book, owner, Lot{Amount: sum - amount, Unit: last.Unit, Expires: last.Expires, Meta: last.Meta})
		if err != nil {
			return nil, nil, err
		}
		change = &c
	}
	return spent, change, nil
}

// selected checks that a selector returned only lots from usable, each at
// most once, and returns them as stored.
func selected(usable, picked []Lot) ([]Lot, error) {
	byID := make(map[string]Lot, len(usable))
	for _, l := range usable {
		byID[l.ID] = l
	}
	out := make([]Lot, 0, len(picked))
	for _, p := range picked {
		l, ok := byID[p.ID]
		if !ok {
			return nil, cxlerr.Errorf(cxlerr.Internal, "lot selector returned lot %q, which it was not given or returned twice", p.ID)
		}
		delete(byID, p.ID)
		out = append(out, l)
	}
	return out, nil
}

// sameUnit records the first lot's unit in *unit and fails for a lot of
// another unit.
func sameUnit(unit *string, l Lot) error {
	if *unit == "" {
		*unit = l.Unit
		return nil
	}
	if l.Unit != *unit {
		return cxlerr.Errorf(cxlerr.Internal, "lots mix units %q and %q; filter by unit", *unit, l.Unit)
	}
	return nil
}
