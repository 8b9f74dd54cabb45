package loyaltycc

import (
	"cmp"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/orders/orderscc"
	"github.com/cxledger/cxledger/cxlerr"
)

// OrderHooks connects the loyalty contract to the orders contract, which
// calls it inside its own transactions: a delivery earns points in the
// merchant's orders programme, a refund takes them back and gives back
// points spent on the order. The hooks emit no event; the orders contract
// embeds what they return in its event under "related".
//
// A refund that takes points back reads and rewrites the customer's lots
// and debt, and Fabric does not let a transaction read its own writes; this
// is safe because the orders contract never refunds two orders of one
// customer in one transaction (see orders.Hooks). Everything else the hooks
// write is under keys of the order itself, or blind.
type OrderHooks struct{}

// OrderHooks is what the orders contract calls.
var _ orderscc.Hooks = (*OrderHooks)(nil)

// NewOrderHooks returns the hooks to give orders.NewContract.
func NewOrderHooks() *OrderHooks {
	return &OrderHooks{}
}

// OrderDelivered earns points for the order's customer in the programme
// the merchant designated with earnOnOrders, on what the merchant received:
// the order's amount less what was refunded before delivery. It returns the
// *Earn, or nil when nothing is earned (no such programme, another
// currency, or a purchase too small to earn a point).
func (OrderHooks) OrderDelivered(tx *ledger.Tx, o *orders.Order) (any, error) {
	e, err := earnOnDelivery(tx, o)
	if err != nil || e == nil {
		return nil, err
	}
	return e, nil
}

// OrderRefunded reverses the order's points in proportion to what its
// refunds returned so far: it takes back points the delivery earned and
// gives back points redeemed against the order (see the package
// documentation for points already spent or expired). It returns the
// *Reversal, or nil when no points are linked to the order.
func (OrderHooks) OrderRefunded(tx *ledger.Tx, o *orders.Order, refunded ledgertypes.Amount) (any, error) {
	r, err := reverseOnRefund(tx, o, refunded)
	if err != nil || r == nil {
		return nil, err
	}
	return r, nil
}

// earnOnDelivery mints the points a delivered order earns.
func earnOnDelivery(tx *ledger.Tx, o *orders.Order) (*loyalty.Earn, error) {
	key, err := ledger.Key(tx, ordersProgramType, o.Merchant)
	if err != nil {
		return nil, err
	}
	var op ordersProgram
	found, err := ledger.GetJSON(tx, key, &op)
	if err != nil || !found {
		return nil, err
	}
	p, err := getProgram(tx, op.Program)
	if err != nil {
		return nil, err
	}
	base := o.Remaining()
	if p.Currency != o.Currency || base <= 0 {
		return nil, nil
	}
	points, err := p.Earn.PointsFor(base, tx.Time())
	if err != nil || points == 0 {
		return nil, err
	}
	refKey, err := ledger.Key(tx, orderEarnType, o.ID)
	if err != nil {
		return nil, err
	}
	if err := mustBeNew(tx, refKey, "the earn of order "+o.ID); err != nil {
		return nil, err
	}
	e := &loyalty.Earn{
		Program: p.ID, ID: loyalty.OrderEarnPrefix + o.ID, Account: o.Customer,
		Amount: base, Currency: o.Currency, Points: points, Order: o.ID,
	}
	if err := mintEarn(tx, p, e); err != nil {
		return nil, err
	}
	if err := ledger.PutJSON(tx, refKey, orderEarnRef{Program: p.ID, ID: e.ID}); err != nil {
		return nil, err
	}
	return e, nil
}

// redeemableAgainst checks that account, the caller, may redeem points at
// merchant against the order and returns what of its price is not yet
// refunded. The order is read as the orders contract reads it
// (orderscc.ReadOrder): a caller who may not read it is FORBIDDEN alike
// whether it exists or not, with a message that names nothing of it.
func redeemableAgainst(tx *ledger.Tx, id, account, merchant string) (ledgertypes.Amount, error) {
	o, err := orderscc.ReadOrder(tx, id)
	if err != nil {
		return 0, err
	}
	if o.Customer != account {
		return 0, cxlerr.Errorf(cxlerr.Forbidden, "order %s is not an order of %s", o.ID, account)
	}
	if o.Merchant != merchant {
		return 0, cxlerr.Errorf(cxlerr.Conflict, "merchant: order %s is with %s, not %s", o.ID, o.Merchant, merchant)
	}
	switch o.State {
	case orders.StatePlaced, orders.StateDelivered, orders.StateReturning:
	default:
		return 0, cxlerr.Errorf(cxlerr.Conflict, "cannot redeem points against order %s: it is %s", o.ID, o.State)
	}
	if o.Remaining() <= 0 {
		return 0, cxlerr.Errorf(cxlerr.Conflict, "cannot redeem points against order %s: it is fully refunded", o.ID)
	}
	return o.Remaining(), nil
}

// reverseOnRefund applies a refund of o to the points linked to it.
func reverseOnRefund(tx *ledger.Tx, o *orders.Order, refunded ledgertypes.Amount) (*loyalty.Reversal, error) {
	e, err := orderEarn(tx, o.ID)
	if err != nil {
		return nil, err
	}
	reds, err := orderRedemptions(tx, o.ID)
	if err != nil {
		return nil, err
	}
	if e == nil && len(reds) == 0 {
		return nil, nil
	}
	rev := &loyalty.Reversal{
		Order: o.ID, Account: o.Customer, Refunded: refunded, OrderRefunded: o.Refunded, Amount: o.Amount,
		Restored: []loyalty.Restoration{}, Time: tx.Time(), TxID: tx.ID(),
	}
	programs := map[string]bool{}
	if e != nil {
		programs[e.Program] = true
	}
	for _, r := range reds {
		programs[r.Program] = true
	}
	for _, id := range slices.Sorted(maps.Keys(programs)) {
		p, err := getProgram(tx, id)
		if err != nil {
			return nil, err
		}
		var earned *loyalty.Earn
		if e != nil && e.Program == id {
			earned = e
		}
		inProgram := slices.DeleteFunc(slices.Clone(reds), func(r *loyalty.Redemption) bool { return r.Program != id })
		if err := reverseInProgram(tx, p, o, earned, inProgram, rev); err != nil {
			return nil, err
		}
	}
	if e != nil {
		key, err := ledger.Key(tx, earnType, e.Program, e.ID)
		if err != nil {
			return nil, err
		}
		if err := ledger.PutJSON(tx, key, e); err != nil {
			return nil, err
		}
	}
	for _, r := range reds {
		key, err := ledger.Key(tx, redemptionType, r.Program, r.ID)
		if err != nil {
			return nil, err
		}
		if err := ledger.PutJSON(tx, key, r); err != nil {
			return nil, err
		}
	}
	key, err := ledger.Key(tx, reversalType, o.ID, tx.Time().Format(timeKeyLayout), tx.ID())
	if err != nil {
		return nil, err
	}
	if err := ledger.PutJSON(tx, key, rev); err != nil {
		return nil, err
	}
	return rev, nil
}

// orderEarn reads the earn of an order's delivery, nil if it earned none.
func orderEarn(tx *ledger.Tx, order string) (*loyalty.Earn, error) {
	refKey, err := ledger.Key(tx, orderEarnType, order)
	if err != nil {
		return nil, err
	}
	var ref orderEarnRef
	found, err := ledger.GetJSON(tx, refKey, &ref)
	if err != nil || !found {
		return nil, err
	}
	key, err := ledger.Key(tx, earnType, ref.Program, ref.ID)
	if err != nil {
		return nil, err
	}
	var e loyalty.Earn
	if err := ledger.MustGetJSON(tx, key, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// orderRedemptions reads the redemptions against an order, ordered by
// programme and ID.
func orderRedemptions(tx *ledger.Tx, order string) ([]*loyalty.Redemption, error) {
	var refs []redemptionRef
	more, err := ledger.Scan(tx, orderRedemptionIdx, []string{order}, ledger.MaxScan, func(kv ledger.KV) error {
		var ref redemptionRef
		if err := json.Unmarshal(kv.Value, &ref); err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(kv.Key), err)
		}
		refs = append(refs, ref)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if more {
		return nil, cxlerr.Errorf(cxlerr.Internal, "order %s has more than %d redemptions", order, ledger.MaxScan)
	}
	reds := make([]*loyalty.Redemption, 0, len(refs))
	for _, ref := range refs {
		key, err := ledger.Key(tx, redemptionType, ref.Program, ref.ID)
		if err != nil {
			return nil, err
		}
		var r loyalty.Redemption
		if err := ledger.MustGetJSON(tx, key, &r); err != nil {
			return nil, err
		}
		reds = append(reds, &r)
	}
	return reds, nil
}

// refundShare returns the part of points that the order's refunds of base
// returned: points * (refunded since) / base, rounded down. base is what of
// the price was not yet refunded when the points were earned or redeemed.
func refundShare(o *orders.Order, points, base ledgertypes.Amount) (ledgertypes.Amount, error) {
	if base <= 0 {
		return 0, nil
	}
	since := min(max(o.Refunded-(o.Amount-base), 0), base)
	return loyalty.MulDiv("points reversed", points, since, base)
}

// restorable is part of a restoration still to be given back: points of
// one redemption with one expiry.
type restorable struct {
	restoration int // index in Reversal.Restored
	redemption  string
	points      ledgertypes.Amount
	expires     *time.Time
}

// reverseInProgram applies the refund to the order's points in one
// programme: the earn e (nil if it earned elsewhere or nothing) and the
// redemptions reds.
func reverseInProgram(tx *ledger.Tx, p *loyalty.Program, o *orders.Order, e *loyalty.Earn, reds []*loyalty.Redemption, rev *loyalty.Reversal) error {
	entry := loyalty.PointsEntry{Program: p.ID, Account: o.Customer, Type: loyalty.EntryReversed, Order: o.ID}
	var shortfall ledgertypes.Amount
	if e != nil {
		target, err := refundShare(o, e.Points, e.Amount)
		if err != nil {
			return err
		}
		if delta := target - e.TakenBack; delta > 0 {
			fromLots, err := takeBack(tx, p, e, delta)
			if err != nil {
				return err
			}
			shortfall = delta - fromLots
			e.TakenBack = target
			e.Reversals = append(e.Reversals, tx.ID())
			rev.TakenBack = &loyalty.TakeBack{Program: p.ID, Earn: e.ID, Points: delta, FromLots: fromLots, Debt: shortfall}
			entry.Debited, entry.DebtAdded, entry.Earn = fromLots, shortfall, e.ID
		}
	}
	var pieces []restorable
	var restored []string
	for _, r := range reds {
		target, err := refundShare(o, r.Points, r.OrderRemaining)
		if err != nil {
			return err
		}
		delta := target - r.Restored
		if delta <= 0 {
			continue
		}
		res := loyalty.Restoration{Program: p.ID, Redemption: r.ID, Points: delta}
		idx := len(rev.Restored)
		// Give back the latest-expiring portions first; those that expired
		// meanwhile are forfeited, as they would have been unspent.
		left := delta
		for i := len(r.Portions) - 1; i >= 0 && left > 0; i-- {
			portion := &r.Portions[i]
			n := min(portion.Points-portion.Restored, left)
			if n <= 0 {
				continue
			}
			portion.Restored += n
			left -= n
			if expiredAt(portion.Expires, tx.Time()) {
				res.Forfeited += n
				continue
			}
			pieces = append(pieces, restorable{restoration: idx, redemption: r.ID, points: n, expires: portion.Expires})
		}
		r.Restored = target
		if r.Rate != nil {
			if err := reverseSettlement(tx, p, r, delta, &res); err != nil {
				return err
			}
		}
		rev.Restored = append(rev.Restored, res)
		entry.Forfeited += res.Forfeited
		restored = append(restored, r.ID)
	}
	if len(restored) == 1 {
		entry.Redemption = restored[0] // with several, the reversal record lists them
	}
	// What the refund could not take back is paid first from what it gives
	// back, soonest-expiring first; only the rest becomes debt.
	slices.SortStableFunc(pieces, func(a, b restorable) int { return compareExpiry(a.expires, b.expires) })
	owed := shortfall
	for i := range pieces {
		pay := min(pieces[i].points, owed)
		pieces[i].points -= pay
		owed -= pay
		rev.Restored[pieces[i].restoration].DebtPaid += pay
		entry.DebtPaid += pay
		if pieces[i].points == 0 {
			continue
		}
		_, err := ledger.MintLot(tx, lotBook, o.Customer, ledger.Lot{
			Amount: pieces[i].points, Unit: p.ID, Expires: pieces[i].expires,
			Meta: map[string]string{"redemption": pieces[i].redemption, "order": o.ID},
		})
		if err != nil {
			return err
		}
		rev.Restored[pieces[i].restoration].Minted += pieces[i].points
		entry.Credited += pieces[i].points
	}
	if owed > 0 {
		d, err := readDebt(tx, p.ID, o.Customer)
		if err != nil {
			return err
		}
		total, err := d.Points.Add(owed)
		if err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "debt of %s in programme %s overflows: %w", o.Customer, p.ID, err)
		}
		if err := writeDebt(tx, p.ID, o.Customer, total); err != nil {
			return err
		}
	}
	if entry.Debited == 0 && entry.DebtAdded == 0 && entry.Credited == 0 && entry.DebtPaid == 0 && entry.Forfeited == 0 {
		return nil
	}
	return putEntry(tx, "order:"+o.ID, entry)
}

// takeBack removes up to points from the earn's account's unexpired lots
// in p and returns how many it removed. It takes first from lots with the
// earn's own expiry (what is left of the earned lot), then from the
// latest-expiring lots: the points most like the ones earned.
func takeBack(tx *ledger.Tx, p *loyalty.Program, e *loyalty.Earn, points ledgertypes.Amount) (ledgertypes.Amount, error) {
	usable := ledger.AllOf(ledger.OfUnit(p.ID), ledger.UnexpiredAt(tx.Time()))
	lots, err := ledger.ListLots(tx, lotBook, e.Account)
	if err != nil {
		return 0, err
	}
	have, err := sumLots(lots, usable)
	if err != nil {
		return 0, err
	}
	n := min(points, have)
	if n == 0 {
		return 0, nil
	}
	order := func(lots []ledger.Lot) []ledger.Lot {
		slices.SortStableFunc(lots, func(a, b ledger.Lot) int {
			aOwn, bOwn := compareExpiry(a.Expires, e.Expires) == 0, compareExpiry(b.Expires, e.Expires) == 0
			switch {
			case aOwn && !bOwn:
				return -1
			case bOwn && !aOwn:
				return 1
			}
			return cmp.Or(compareExpiry(b.Expires, a.Expires), strings.Compare(a.ID, b.ID))
		})
		return lots
	}
	if _, _, err := ledger.SpendLots(tx, lotBook, e.Account, n, order, usable); err != nil {
		return 0, err
	}
	return n, nil
}

// reverseSettlement records that the partner owes the issuer back the
// value of points a refund restored, so that a redemption's net obligation
// is always the value of its points not restored.
func reverseSettlement(tx *ledger.Tx, p *loyalty.Program, r *loyalty.Redemption, points ledgertypes.Amount, res *loyalty.Restoration) error {
	kept, err := loyalty.MulDiv("settlement value", r.Points-r.Restored, r.Rate.Value, r.Rate.Per)
	if err != nil {
		return err
	}
	reversed := r.Value - kept
	res.ValueReversed = reversed - r.ValueReversed
	r.ValueReversed = reversed
	if res.ValueReversed <= 0 {
		return nil
	}
	return putSettlement(tx, loyalty.SettlementEntry{
		Kind: loyalty.SettlementReversal, Debtor: r.Merchant, Creditor: p.Merchant, Currency: r.Currency,
		Value: res.ValueReversed, Points: points, Program: p.ID, Redemption: r.ID,
	})
}
