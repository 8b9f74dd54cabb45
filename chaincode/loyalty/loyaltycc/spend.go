package loyaltycc

import (
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/cxlerr"
)

// spent is what spendPoints took from an account.
type spent struct {
	// portions are the points spent, by expiry, soonest first.
	portions []loyalty.Portion
	// debtPaid is the debt paid off before them.
	debtPaid ledgertypes.Amount
}

// spendPoints takes points from account's unexpired lots in p, expiring
// first, after first paying off the account's debt in p from the same lots:
// a customer with a debt has that much less to spend. Not enough is
// INSUFFICIENT_FUNDS and writes nothing.
func spendPoints(tx *ledger.Tx, p *loyalty.Program, account string, points ledgertypes.Amount) (spent, error) {
	d, err := readDebt(tx, p.ID, account)
	if err != nil {
		return spent{}, err
	}
	need, err := points.Add(d.Points)
	if err != nil {
		return spent{}, cxlerr.Errorf(cxlerr.Conflict, "points: %d plus a debt of %d overflows", points, d.Points)
	}
	lots, change, err := ledger.SpendLots(tx, lotBook, account, need, ledger.ExpiringFirst,
		ledger.AllOf(ledger.OfUnit(p.ID), ledger.UnexpiredAt(tx.Time())))
	if err != nil {
		if d.Points > 0 {
			return spent{}, insufficient(err, "%d points of programme %s requested and a debt of %d to pay first", points, p.ID, d.Points)
		}
		return spent{}, insufficient(err, "%d points of programme %s requested", points, p.ID)
	}
	if d.Points > 0 {
		if err := writeDebt(tx, p.ID, account, 0); err != nil {
			return spent{}, err
		}
	}
	// The lots were consumed whole, except that the change went back to
	// the account from the last one; the first d.Points paid the debt.
	skip := d.Points
	var portions []loyalty.Portion
	for i, l := range lots {
		amount := l.Amount
		if i == len(lots)-1 && change != nil {
			amount -= change.Amount
		}
		used := min(amount, skip)
		skip -= used
		amount -= used
		if amount == 0 {
			continue
		}
		if n := len(portions); n > 0 && compareExpiry(portions[n-1].Expires, l.Expires) == 0 {
			portions[n-1].Points += amount
			continue
		}
		portions = append(portions, loyalty.Portion{Points: amount, Expires: l.Expires})
	}
	return spent{portions: portions, debtPaid: d.Points}, nil
}

// redeem spends a customer's points at the issuer or at a partner that
// accepted the programme's terms, recording what the issuer owes a partner.
func redeem(tx *ledger.Tx, a loyalty.RedeemArgs) (*loyalty.Redemption, error) {
	if err := requireHolder(tx, a.Account, "redeem"); err != nil {
		return nil, err
	}
	p, err := getProgram(tx, a.Program)
	if err != nil {
		return nil, err
	}
	if err := ledger.RequireMember(tx, "merchant", a.Merchant); err != nil {
		return nil, err
	}
	r := &loyalty.Redemption{Program: p.ID, ID: a.ID, Account: a.Account, Merchant: a.Merchant, Points: a.Points, Order: a.Order}
	if a.Merchant != p.Merchant {
		terms, ok := p.Partner(a.Merchant)
		if !ok {
			return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s is not a partner of programme %s and does not accept its points", a.Merchant, p.ID)
		}
		accepted, err := hasAccepted(tx, p.ID, a.Merchant)
		if err != nil {
			return nil, err
		}
		if !accepted {
			return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s has not accepted the terms of programme %s yet", a.Merchant, p.ID)
		}
		r.Currency, r.Rate = p.Currency, &loyalty.SettlementRate{Value: terms.Value, Per: terms.Per}
		if r.Value, err = loyalty.MulDiv("settlement value", a.Points, terms.Value, terms.Per); err != nil {
			return nil, err
		}
	}
	ok, err := ledger.OrgHasRole(tx, a.Merchant, ledgertypes.Merchant)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s does not hold the merchant role and cannot take points", a.Merchant)
	}
	key, err := ledger.Key(tx, redemptionType, p.ID, a.ID)
	if err != nil {
		return nil, err
	}
	if err := mustBeNew(tx, key, "redemption "+a.ID+" of programme "+p.ID); err != nil {
		return nil, err
	}
	if a.Order != "" {
		if r.OrderRemaining, err = redeemableAgainst(tx, a.Order, a.Account, a.Merchant); err != nil {
			return nil, err
		}
	}
	s, err := spendPoints(tx, p, a.Account, a.Points)
	if err != nil {
		return nil, err
	}
	r.Portions, r.DebtPaid, r.Time, r.TxID = s.portions, s.debtPaid, tx.Time(), tx.ID()
	if err := ledger.PutJSON(tx, key, r); err != nil {
		return nil, err
	}
	if a.Order != "" {
		idx, err := ledger.Key(tx, orderRedemptionIdx, a.Order, p.ID, a.ID)
		if err != nil {
			return nil, err
		}
		if err := ledger.PutJSON(tx, idx, redemptionRef{Program: p.ID, ID: a.ID}); err != nil {
			return nil, err
		}
	}
	if r.Value > 0 {
		err := putSettlement(tx, loyalty.SettlementEntry{
			Kind: loyalty.SettlementRedemption, Debtor: p.Merchant, Creditor: a.Merchant, Currency: p.Currency,
			Value: r.Value, Points: r.Points, Program: p.ID, Redemption: r.ID,
		})
		if err != nil {
			return nil, err
		}
	}
	err = putEntry(tx, "redemption:"+r.ID, loyalty.PointsEntry{
		Program: p.ID, Account: a.Account, Type: loyalty.EntryRedeemed, Debited: a.Points + s.debtPaid,
		DebtPaid: s.debtPaid, Redemption: r.ID, Order: r.Order, Merchant: r.Merchant,
	})
	if err != nil {
		return nil, err
	}
	err = ledger.Emit(tx, ledger.Event{
		Contract: loyalty.Name, Type: "PointsRedeemed",
		Keys: map[string]string{"program": p.ID, "redemption": r.ID, "merchant": r.Merchant},
		Data: r,
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// transfer moves points between customers of a programme that allows it;
// the points keep their expiry.
func transfer(tx *ledger.Tx, a loyalty.TransferArgs) (*loyalty.PointsTransfer, error) {
	if err := requireHolder(tx, a.Account, "transfer"); err != nil {
		return nil, err
	}
	p, err := getProgram(tx, a.Program)
	if err != nil {
		return nil, err
	}
	if !p.Transferable {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "programme %s does not allow transfers", p.ID)
	}
	if err := ledger.RequireMemberAccount(tx, "to", a.To); err != nil {
		return nil, err
	}
	key, err := ledger.Key(tx, transferType, p.ID, a.ID)
	if err != nil {
		return nil, err
	}
	if err := mustBeNew(tx, key, "transfer "+a.ID+" of programme "+p.ID); err != nil {
		return nil, err
	}
	s, err := spendPoints(tx, p, a.Account, a.Points)
	if err != nil {
		return nil, err
	}
	for _, portion := range s.portions {
		_, err := ledger.MintLot(tx, lotBook, a.To, ledger.Lot{
			Amount: portion.Points, Unit: p.ID, Expires: portion.Expires, Meta: map[string]string{"transfer": a.ID},
		})
		if err != nil {
			return nil, err
		}
	}
	t := &loyalty.PointsTransfer{
		Program: p.ID, ID: a.ID, From: a.Account, To: a.To, Points: a.Points,
		DebtPaid: s.debtPaid, Portions: s.portions, Time: tx.Time(), TxID: tx.ID(),
	}
	if err := ledger.PutJSON(tx, key, t); err != nil {
		return nil, err
	}
	for _, e := range []loyalty.PointsEntry{
		{Program: p.ID, Account: t.From, Type: loyalty.EntryTransferredOut, Debited: t.Points + t.DebtPaid, DebtPaid: t.DebtPaid, Transfer: t.ID, Counterparty: t.To},
		{Program: p.ID, Account: t.To, Type: loyalty.EntryTransferredIn, Credited: t.Points, Transfer: t.ID, Counterparty: t.From},
	} {
		if err := putEntry(tx, "transfer:"+t.ID, e); err != nil {
			return nil, err
		}
	}
	err = ledger.Emit(tx, ledger.Event{
		Contract: loyalty.Name, Type: "PointsTransferred",
		Keys: map[string]string{"program": p.ID, "transfer": t.ID},
		Data: t,
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}
