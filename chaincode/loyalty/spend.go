package loyalty

import (
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/cxlerr"
)

// spent is what spendPoints took from an account.
type spent struct {
	// portions are the points spent, by expiry, soonest first.
	portions []Portion
	// debtPaid is the debt paid off before them.
	debtPaid ledger.Amount
}

// spendPoints takes points from account's unexpired lots in p, expiring
// first, after first paying off the account's debt in p from the same lots:
// a customer with a debt has that much less to spend. Not enough is
// INSUFFICIENT_FUNDS and writes nothing.
func spendPoints(tx *ledger.Tx, p *Program, account string, points ledger.Amount) (spent, error) {
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
	var portions []Portion
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
		portions = append(portions, Portion{Points: amount, Expires: l.Expires})
	}
	return spent{portions: portions, debtPaid: d.Points}, nil
}

// RedeemArgs is the argument of Redeem.
type RedeemArgs struct {
	Program  string        `json:"program"`
	ID       string        `json:"id"`
	Account  string        `json:"account"`
	Points   ledger.Amount `json:"points"`
	Merchant string        `json:"merchant"`
	Order    string        `json:"order,omitempty" metadata:",optional"`
}

// Validate checks every field.
func (a *RedeemArgs) Validate() error {
	if err := validateProgramID("program", a.Program); err != nil {
		return err
	}
	if err := ledger.ValidateID("id", a.ID); err != nil {
		return err
	}
	if err := ledger.ValidateAccount("account", a.Account); err != nil {
		return err
	}
	if err := ledger.ValidateAmount("points", a.Points); err != nil {
		return err
	}
	if err := ledger.ValidateMSP("merchant", a.Merchant); err != nil {
		return err
	}
	if a.Order != "" {
		return ledger.ValidateID("order", a.Order)
	}
	return nil
}

// redeem spends a customer's points at the issuer or at a partner that
// accepted the programme's terms, recording what the issuer owes a partner.
func redeem(tx *ledger.Tx, a RedeemArgs) (*Redemption, error) {
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
	r := &Redemption{Program: p.ID, ID: a.ID, Account: a.Account, Merchant: a.Merchant, Points: a.Points, Order: a.Order}
	if a.Merchant != p.Merchant {
		terms, ok := p.partner(a.Merchant)
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
		r.Currency, r.Rate = p.Currency, &SettlementRate{Value: terms.Value, Per: terms.Per}
		if r.Value, err = mulDiv("settlement value", a.Points, terms.Value, terms.Per); err != nil {
			return nil, err
		}
	}
	ok, err := ledger.OrgHasRole(tx, a.Merchant, ledger.Merchant)
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
		err := putSettlement(tx, SettlementEntry{
			Kind: SettlementRedemption, Debtor: p.Merchant, Creditor: a.Merchant, Currency: p.Currency,
			Value: r.Value, Points: r.Points, Program: p.ID, Redemption: r.ID,
		})
		if err != nil {
			return nil, err
		}
	}
	err = putEntry(tx, "redemption:"+r.ID, PointsEntry{
		Program: p.ID, Account: a.Account, Type: EntryRedeemed, Debited: a.Points + s.debtPaid,
		DebtPaid: s.debtPaid, Redemption: r.ID, Order: r.Order, Merchant: r.Merchant,
	})
	if err != nil {
		return nil, err
	}
	err = ledger.Emit(tx, ledger.Event{
		Contract: Name, Type: "PointsRedeemed",
		Keys: map[string]string{"program": p.ID, "redemption": r.ID, "merchant": r.Merchant},
		Data: r,
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// TransferArgs is the argument of Transfer.
type TransferArgs struct {
	Program string        `json:"program"`
	ID      string        `json:"id"`
	Account string        `json:"account"`
	To      string        `json:"to"`
	Points  ledger.Amount `json:"points"`
}

// Validate checks every field.
func (a *TransferArgs) Validate() error {
	if err := validateProgramID("program", a.Program); err != nil {
		return err
	}
	if err := ledger.ValidateID("id", a.ID); err != nil {
		return err
	}
	if err := ledger.ValidateAccount("account", a.Account); err != nil {
		return err
	}
	if err := ledger.ValidateAccount("to", a.To); err != nil {
		return err
	}
	if a.To == a.Account {
		return cxlerr.Errorf(cxlerr.Invalid, "to: a transfer needs another account than %s", a.Account)
	}
	return ledger.ValidateAmount("points", a.Points)
}

// transfer moves points between customers of a programme that allows it;
// the points keep their expiry.
func transfer(tx *ledger.Tx, a TransferArgs) (*PointsTransfer, error) {
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
	t := &PointsTransfer{
		Program: p.ID, ID: a.ID, From: a.Account, To: a.To, Points: a.Points,
		DebtPaid: s.debtPaid, Portions: s.portions, Time: tx.Time(), TxID: tx.ID(),
	}
	if err := ledger.PutJSON(tx, key, t); err != nil {
		return nil, err
	}
	for _, e := range []PointsEntry{
		{Program: p.ID, Account: t.From, Type: EntryTransferredOut, Debited: t.Points + t.DebtPaid, DebtPaid: t.DebtPaid, Transfer: t.ID, Counterparty: t.To},
		{Program: p.ID, Account: t.To, Type: EntryTransferredIn, Credited: t.Points, Transfer: t.ID, Counterparty: t.From},
	} {
		if err := putEntry(tx, "transfer:"+t.ID, e); err != nil {
			return nil, err
		}
	}
	err = ledger.Emit(tx, ledger.Event{
		Contract: Name, Type: "PointsTransferred",
		Keys: map[string]string{"program": p.ID, "transfer": t.ID},
		Data: t,
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}
