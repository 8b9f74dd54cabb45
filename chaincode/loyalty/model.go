package loyalty

import (
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
)

// Limits on input.
const (
	maxProgramID   = 32
	maxName        = 128
	maxUnitName    = 16
	maxTiers       = 10
	maxMultipliers = 20
	MaxPartners    = 32
	maxExpiryDays  = 3650
	maxPercent     = 10000
	maxSweep       = 50
	maxSoonDays    = 366
	maxPeriod      = 366 * 24 * time.Hour
)

// OrderEarnPrefix starts the ID of an earn made by an order's delivery; the
// rest is the order ID. Earn IDs chosen by merchants may not start with it.
const OrderEarnPrefix = "order:"

// Program is a loyalty programme: the issuing merchant's points, how they
// are earned and how long they last, and the partners that accept them.
// Its terms never change after creation.
type Program struct {
	// ID identifies the programme and is the unit of its points' lots.
	ID string `json:"id"`
	// Name is the programme's display name.
	Name string `json:"name"`
	// Unit is the display name of one point ("Miles").
	Unit string `json:"unit"`
	// Merchant is the MSP ID of the issuing merchant organisation.
	Merchant string `json:"merchant"`
	// Currency is the currency purchases earn in and settlement is valued in.
	Currency string `json:"currency"`
	// Earn is the earn rule.
	Earn EarnRule `json:"earn"`
	// ExpiryDays is how long points last after they are earned; 0 means they
	// never expire.
	ExpiryDays int `json:"expiryDays"`
	// Transferable allows customers to transfer points to each other.
	Transferable bool `json:"transferable"`
	// EarnOnOrders makes delivered orders of the issuing merchant (orders
	// contract) earn points in this programme.
	EarnOnOrders bool `json:"earnOnOrders"`
	// Partners are the other merchant organisations the issuer offered to
	// let accept its points, by MSP ID, with their acceptance.
	Partners []PartnerTerms `json:"partners"`
	// Created is the creation time.
	Created time.Time `json:"created"`
	// CreatedTx is the creating transaction.
	CreatedTx string `json:"createdTx"`
}

// EarnRule says how many points a purchase earns: Points points for every
// Per minor units of the purchase amount, rounded down, or the rate of the
// highest tier the amount reaches; then multiplied by the largest
// multiplier in force at the transaction time (multipliers do not stack).
type EarnRule struct {
	// Points earned per Per minor units.
	Points ledgertypes.Amount `json:"points"`
	// Per is the number of minor units that earn Points points.
	Per ledgertypes.Amount `json:"per"`
	// Tiers give larger purchases another rate; MinAmount strictly increases.
	Tiers []EarnTier `json:"tiers,omitempty" metadata:",optional"`
	// Multipliers are campaigns that multiply points for a time.
	Multipliers []EarnMultiplier `json:"multipliers,omitempty" metadata:",optional"`
}

// EarnTier is the rate for purchases of at least MinAmount minor units.
type EarnTier struct {
	// MinAmount is the smallest purchase amount the tier applies to.
	MinAmount ledgertypes.Amount `json:"minAmount"`
	// Points earned per Per minor units.
	Points ledgertypes.Amount `json:"points"`
	// Per is the number of minor units that earn Points points.
	Per ledgertypes.Amount `json:"per"`
}

// EarnMultiplier multiplies earned points by Percent/100 (200 doubles them)
// for purchases at or after From and before Until.
type EarnMultiplier struct {
	// From is the first instant of the campaign.
	From time.Time `json:"from"`
	// Until is the first instant after the campaign.
	Until time.Time `json:"until"`
	// Percent is the multiplier in percent, 1 to 10000.
	Percent int64 `json:"percent"`
}

// PartnerTerms is a partner merchant organisation's acceptance of a
// programme's points: Per points are worth Value minor units of the
// programme's currency, which the issuer owes the partner for every
// redemption there. The partner accepts the terms with AcceptPartnership;
// until then its customers cannot redeem there.
type PartnerTerms struct {
	// MSP is the partner organisation.
	MSP string `json:"msp"`
	// Value is what Per points are worth, in minor units.
	Value ledgertypes.Amount `json:"value"`
	// Per is the number of points worth Value.
	Per ledgertypes.Amount `json:"per"`
	// Accepted is when the partner accepted the terms; absent until then.
	Accepted *time.Time `json:"accepted,omitempty" metadata:",optional"`
}

// Earn is points minted to a customer: by the issuing merchant, or by the
// delivery of an order (ID "order:<order ID>").
type Earn struct {
	// Program is the programme.
	Program string `json:"program"`
	// ID identifies the earn within the programme.
	ID string `json:"id"`
	// Account is the customer who earned.
	Account string `json:"account"`
	// Amount and Currency are the purchase the points were computed from
	// (for an order, what the merchant received on delivery); absent when
	// the merchant granted points directly.
	Amount   ledgertypes.Amount `json:"amount,omitempty" metadata:",optional"`
	Currency string             `json:"currency,omitempty" metadata:",optional"`
	// Points is the number of points earned.
	Points ledgertypes.Amount `json:"points"`
	// Expires is when the points expire; absent when they never do.
	Expires *time.Time `json:"expires,omitempty" metadata:",optional"`
	// Lot is the lot minted.
	Lot string `json:"lot"`
	// Order is the order whose delivery earned the points, if any.
	Order string `json:"order,omitempty" metadata:",optional"`
	// TakenBack is how many points refunds of the order took back so far.
	TakenBack ledgertypes.Amount `json:"takenBack,omitempty" metadata:",optional"`
	// Reversals are the transactions that took points back.
	Reversals []string `json:"reversals,omitempty" metadata:",optional"`
	// Time and TxID are when and by which transaction the points were earned.
	Time time.Time `json:"time"`
	TxID string    `json:"txId"`
}

// Portion is part of a redemption's points that shared one expiry.
type Portion struct {
	// Points is the number of points.
	Points ledgertypes.Amount `json:"points"`
	// Expires is their expiry; absent when they never expire.
	Expires *time.Time `json:"expires,omitempty" metadata:",optional"`
	// Restored is how many of them refunds restored (or forfeited as expired).
	Restored ledgertypes.Amount `json:"restored,omitempty" metadata:",optional"`
}

// Redemption is points a customer spent at the issuer or a partner.
type Redemption struct {
	// Program is the programme.
	Program string `json:"program"`
	// ID identifies the redemption within the programme.
	ID string `json:"id"`
	// Account is the customer whose points were spent.
	Account string `json:"account"`
	// Merchant is the organisation the points were redeemed at.
	Merchant string `json:"merchant"`
	// Points is the number of points redeemed.
	Points ledgertypes.Amount `json:"points"`
	// DebtPaid is the account's debt the same spend paid off first.
	DebtPaid ledgertypes.Amount `json:"debtPaid,omitempty" metadata:",optional"`
	// Portions are the redeemed points by expiry, soonest first.
	Portions []Portion `json:"portions"`
	// Order is the order the points were redeemed against, if any, and
	// OrderRemaining what of its price was not yet refunded then: refunds
	// of that remainder restore the points in proportion.
	Order          string             `json:"order,omitempty" metadata:",optional"`
	OrderRemaining ledgertypes.Amount `json:"orderRemaining,omitempty" metadata:",optional"`
	// Currency, Value and Rate describe the settlement: at a partner, the
	// issuer owes it Value minor units of Currency (Points * Rate.Value /
	// Rate.Per, rounded down). Absent at the issuer.
	Currency string             `json:"currency,omitempty" metadata:",optional"`
	Value    ledgertypes.Amount `json:"value,omitempty" metadata:",optional"`
	Rate     *SettlementRate    `json:"rate,omitempty" metadata:",optional"`
	// Restored is how many points refunds of the order gave back so far,
	// including any forfeited because they had expired.
	Restored ledgertypes.Amount `json:"restored,omitempty" metadata:",optional"`
	// ValueReversed is how much of Value refunds reversed so far.
	ValueReversed ledgertypes.Amount `json:"valueReversed,omitempty" metadata:",optional"`
	// Time and TxID are when and by which transaction the points were redeemed.
	Time time.Time `json:"time"`
	TxID string    `json:"txId"`
}

// SettlementRate is the value a partner accepted points at: Per points are
// worth Value minor units.
type SettlementRate struct {
	// Value is what Per points are worth, in minor units.
	Value ledgertypes.Amount `json:"value"`
	// Per is the number of points worth Value.
	Per ledgertypes.Amount `json:"per"`
}

// PointsTransfer is points a customer gave another.
type PointsTransfer struct {
	// Program is the programme.
	Program string `json:"program"`
	// ID identifies the transfer within the programme.
	ID string `json:"id"`
	// From is the giving account, To the receiving one.
	From string `json:"from"`
	To   string `json:"to"`
	// Points is the number of points transferred; they keep their expiry.
	Points ledgertypes.Amount `json:"points"`
	// DebtPaid is the sender's debt the same spend paid off first.
	DebtPaid ledgertypes.Amount `json:"debtPaid,omitempty" metadata:",optional"`
	// Portions are the transferred points by expiry, soonest first.
	Portions []Portion `json:"portions"`
	// Time and TxID are when and by which transaction.
	Time time.Time `json:"time"`
	TxID string    `json:"txId"`
}

// ExpirySweep is the result of ExpirePoints.
type ExpirySweep struct {
	// Program is the programme.
	Program string `json:"program"`
	// Accounts are the accounts that had expired points, with how many were removed.
	Accounts []SweptAccount `json:"accounts"`
	// Points is the total removed.
	Points ledgertypes.Amount `json:"points"`
	// Time and TxID are when and by which transaction.
	Time time.Time `json:"time"`
	TxID string    `json:"txId"`
}

// SweptAccount is one account's expired points removed by a sweep.
type SweptAccount struct {
	// Account is the customer.
	Account string `json:"account"`
	// Points is the number of expired points removed.
	Points ledgertypes.Amount `json:"points"`
}

// Reversal is what one refund of an order did to its points: what was taken
// back from the points the order earned and what was given back of the
// points spent on it.
type Reversal struct {
	// Order is the refunded order.
	Order string `json:"order"`
	// Account is the order's customer.
	Account string `json:"account"`
	// Refunded is the amount of this refund, OrderRefunded of all refunds
	// of the order so far, out of its Amount.
	Refunded      ledgertypes.Amount `json:"refunded"`
	OrderRefunded ledgertypes.Amount `json:"orderRefunded"`
	Amount        ledgertypes.Amount `json:"amount"`
	// TakenBack is what this refund took back from the order's earn.
	TakenBack *TakeBack `json:"takenBack,omitempty" metadata:",optional"`
	// Restored is what it gave back of each redemption against the order.
	Restored []Restoration `json:"restored"`
	// Time and TxID are when and by which transaction.
	Time time.Time `json:"time"`
	TxID string    `json:"txId"`
}

// TakeBack is points a refund took back from an order's earn.
type TakeBack struct {
	// Program and Earn name the earn.
	Program string `json:"program"`
	Earn    string `json:"earn"`
	// Points is the number taken back in total: FromLots came out of the
	// customer's unexpired points, the rest (Debt) was already spent and
	// became debt.
	Points   ledgertypes.Amount `json:"points"`
	FromLots ledgertypes.Amount `json:"fromLots"`
	Debt     ledgertypes.Amount `json:"debt"`
}

// Restoration is points a refund gave back of one redemption.
type Restoration struct {
	// Program and Redemption name the redemption.
	Program    string `json:"program"`
	Redemption string `json:"redemption"`
	// Points is the number given back in total: Forfeited of them had
	// expired and were not restored, DebtPaid covered what the same refund
	// could not take back of the order's earn, and the rest (Minted) became
	// lots again with their original expiry.
	Points    ledgertypes.Amount `json:"points"`
	Forfeited ledgertypes.Amount `json:"forfeited"`
	DebtPaid  ledgertypes.Amount `json:"debtPaid"`
	Minted    ledgertypes.Amount `json:"minted"`
	// ValueReversed is the settlement value the partner now owes back.
	ValueReversed ledgertypes.Amount `json:"valueReversed,omitempty" metadata:",optional"`
}

// Entry types of an account's history.
const (
	EntryEarned         = "earned"
	EntryRedeemed       = "redeemed"
	EntryTransferredOut = "transferred-out"
	EntryTransferredIn  = "transferred-in"
	EntryExpired        = "expired"
	EntryReversed       = "reversed"
)

// PointsEntry is one change to a customer's points in one programme. Over
// an account's history, Credited minus Debited is the sum of its lots
// (expired ones included until swept), and DebtAdded minus DebtPaid its debt.
type PointsEntry struct {
	// Program and Account say whose points changed.
	Program string `json:"program"`
	Account string `json:"account"`
	// Type is one of the Entry constants.
	Type string `json:"type"`
	// Credited is points added to the account's lots, Debited points taken
	// from them.
	Credited ledgertypes.Amount `json:"credited,omitempty" metadata:",optional"`
	Debited  ledgertypes.Amount `json:"debited,omitempty" metadata:",optional"`
	// DebtAdded and DebtPaid change the account's debt.
	DebtAdded ledgertypes.Amount `json:"debtAdded,omitempty" metadata:",optional"`
	DebtPaid  ledgertypes.Amount `json:"debtPaid,omitempty" metadata:",optional"`
	// Forfeited is points a refund would have restored but had expired.
	Forfeited ledgertypes.Amount `json:"forfeited,omitempty" metadata:",optional"`
	// References to what caused the change, as they apply.
	Earn         string `json:"earn,omitempty" metadata:",optional"`
	Redemption   string `json:"redemption,omitempty" metadata:",optional"`
	Transfer     string `json:"transfer,omitempty" metadata:",optional"`
	Order        string `json:"order,omitempty" metadata:",optional"`
	Merchant     string `json:"merchant,omitempty" metadata:",optional"`
	Counterparty string `json:"counterparty,omitempty" metadata:",optional"`
	// Time and TxID are when and by which transaction.
	Time time.Time `json:"time"`
	TxID string    `json:"txId"`
}

// Settlement entry kinds.
const (
	// SettlementRedemption: the issuer owes the partner for a redemption.
	SettlementRedemption = "redemption"
	// SettlementReversal: the partner owes the issuer back for points a
	// refund restored.
	SettlementReversal = "reversal"
)

// SettlementEntry is one obligation between two merchant organisations.
type SettlementEntry struct {
	// Kind is SettlementRedemption or SettlementReversal.
	Kind string `json:"kind"`
	// Debtor owes Creditor Value minor units of Currency.
	Debtor   string             `json:"debtor"`
	Creditor string             `json:"creditor"`
	Currency string             `json:"currency"`
	Value    ledgertypes.Amount `json:"value"`
	// Points is the number of points redeemed or restored.
	Points ledgertypes.Amount `json:"points"`
	// Program and Redemption name the redemption.
	Program    string `json:"program"`
	Redemption string `json:"redemption"`
	// Time and TxID are when and by which transaction.
	Time time.Time `json:"time"`
	TxID string    `json:"txId"`
}
