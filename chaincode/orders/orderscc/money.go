package orderscc

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
)

// currencyRecord registers a currency; it never changes, so reading it
// (every order placement does) conflicts with nothing.
type currencyRecord struct {
	Code         string    `json:"code"`
	Issuer       string    `json:"issuer"`
	Registered   time.Time `json:"registered"`
	RegisteredTx string    `json:"registeredTx"`
}

// settlement returns the currency as queries report it.
func (c currencyRecord) settlement(s supplyRecord) orders.SettlementCurrency {
	return orders.SettlementCurrency{Code: c.Code, Issuer: c.Issuer, Outstanding: s.Outstanding, Registered: c.Registered, RegisteredTx: c.RegisteredTx}
}

// supplyRecord is what is outstanding of a currency. Only the issuer's
// deposits and withdrawals read and write it; it keeps the sum of all
// balances within int64, so no balance can overflow.
type supplyRecord struct {
	Outstanding ledgertypes.Amount `json:"outstanding"`
}

// requireMemberHolder checks that a holder account (validateHolder) is, or
// belongs to, a member organisation: NOT_FOUND otherwise. Money credited to
// any other account could never be spent.
func requireMemberHolder(tx *ledger.Tx, field, account string) error {
	if err := orders.ValidateHolder(field, account); err != nil {
		return err
	}
	return ledger.RequireMemberParty(tx, field, account)
}

// RequireCurrency checks that code is a registered settlement currency: a
// malformed code is INVALID, an unregistered one NOT_FOUND. The loyalty
// contract checks a programme's currency with it.
func RequireCurrency(tx *ledger.Tx, code string) error {
	_, err := readCurrency(tx, code)
	return err
}

// readCurrency returns the registration of a currency; a malformed code is
// INVALID, an unregistered one NOT_FOUND.
func readCurrency(tx *ledger.Tx, code string) (currencyRecord, error) {
	if err := ledgertypes.ValidateCurrency(code); err != nil {
		return currencyRecord{}, err
	}
	key, err := ledger.Key(tx, currencyType, code)
	if err != nil {
		return currencyRecord{}, err
	}
	var c currencyRecord
	found, err := ledger.GetJSON(tx, key, &c)
	if err != nil {
		return currencyRecord{}, err
	}
	if !found {
		return currencyRecord{}, cxlerr.Errorf(cxlerr.NotFound, "currency: unknown currency %s; a payment organisation registers it with RegisterCurrency", code)
	}
	return c, nil
}

// requireIssuer checks that the caller may deposit and withdraw the
// currency: staff carrying the payment role of the organisation that
// registered it, which still holds the payment role (ledger.RequireRole).
func requireIssuer(tx *ledger.Tx, code string) (currencyRecord, error) {
	caller := tx.Caller()
	if err := ledger.RequireRole(tx, ledgertypes.Payment); err != nil {
		return currencyRecord{}, err
	}
	c, err := readCurrency(tx, code)
	if err != nil {
		return currencyRecord{}, err
	}
	if c.Issuer != caller.MSP {
		return currencyRecord{}, cxlerr.Errorf(cxlerr.Forbidden, "%s is issued by %s; %s may not deposit or withdraw it", code, c.Issuer, caller.MSP)
	}
	return c, nil
}

func readSupply(tx *ledger.Tx, code string) (string, supplyRecord, error) {
	key, err := ledger.Key(tx, supplyType, code)
	if err != nil {
		return "", supplyRecord{}, err
	}
	var s supplyRecord
	if err := ledger.MustGetJSON(tx, key, &s); err != nil {
		return "", supplyRecord{}, cxlerr.Errorf(cxlerr.Internal, "currency %s has no supply record: %w", code, err)
	}
	return key, s, nil
}

func registerCurrency(tx *ledger.Tx, a orders.RegisterCurrencyArgs) (*orders.SettlementCurrency, error) {
	caller := tx.Caller()
	if err := ledger.RequireRole(tx, ledgertypes.Payment); err != nil {
		return nil, err
	}
	key, err := ledger.Key(tx, currencyType, a.Currency)
	if err != nil {
		return nil, err
	}
	var existing currencyRecord
	found, err := ledger.GetJSON(tx, key, &existing)
	if err != nil {
		return nil, err
	}
	if found {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "currency %s is already registered by %s", a.Currency, existing.Issuer)
	}
	c := currencyRecord{Code: a.Currency, Issuer: caller.MSP, Registered: tx.Time(), RegisteredTx: tx.ID()}
	if err := ledger.PutJSON(tx, key, c); err != nil {
		return nil, err
	}
	supplyKey, err := ledger.Key(tx, supplyType, a.Currency)
	if err != nil {
		return nil, err
	}
	if err := ledger.PutJSON(tx, supplyKey, supplyRecord{}); err != nil {
		return nil, err
	}
	err = ledger.Emit(tx, ledger.Event{
		Contract: orders.Name, Type: "CurrencyRegistered",
		Keys: map[string]string{"currency": a.Currency},
		Data: map[string]string{"issuer": caller.MSP},
	})
	if err != nil {
		return nil, err
	}
	sc := c.settlement(supplyRecord{})
	return &sc, nil
}

func deposit(tx *ledger.Tx, a orders.DepositArgs) (*orders.SettlementTransfer, error) {
	if _, err := requireIssuer(tx, a.Currency); err != nil {
		return nil, err
	}
	refKey, err := unusedRef(tx, a.Ref)
	if err != nil {
		return nil, err
	}
	supplyKey, supply, err := readSupply(tx, a.Currency)
	if err != nil {
		return nil, err
	}
	var total ledgertypes.Amount
	for _, c := range a.Credits {
		total += c.Amount // Validate checked that the total does not overflow.
	}
	outstanding, err := supply.Outstanding.Add(total)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "credits: %d %s more would take the outstanding %d past %d", total, a.Currency, supply.Outstanding, int64(math.MaxInt64))
	}
	for i, c := range a.Credits {
		if err := requireMemberHolder(tx, fmt.Sprintf("credits[%d].account", i), c.Account); err != nil {
			return nil, err
		}
	}
	for _, c := range a.Credits {
		lot := ledger.Lot{Amount: c.Amount, Unit: a.Currency, Meta: map[string]string{"ref": a.Ref}}
		if _, err := ledger.MintLot(tx, orders.Book(a.Currency), c.Account, lot); err != nil {
			return nil, err
		}
	}
	return settle(tx, supplyKey, refKey, orders.SettlementTransfer{
		Ref: a.Ref, Kind: "deposit", Currency: a.Currency, Entries: a.Credits, Total: total, Outstanding: outstanding,
	}, "Deposited")
}

func withdraw(tx *ledger.Tx, a orders.WithdrawArgs) (*orders.SettlementTransfer, error) {
	if _, err := requireIssuer(tx, a.Currency); err != nil {
		return nil, err
	}
	refKey, err := unusedRef(tx, a.Ref)
	if err != nil {
		return nil, err
	}
	supplyKey, supply, err := readSupply(tx, a.Currency)
	if err != nil {
		return nil, err
	}
	if err := requireMemberHolder(tx, "account", a.Account); err != nil {
		return nil, err
	}
	if _, _, err := ledger.SpendLots(tx, orders.Book(a.Currency), a.Account, a.Amount, nil, nil); err != nil {
		return nil, err
	}
	outstanding, err := supply.Outstanding.Sub(a.Amount)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "withdrawing %d %s leaves the outstanding %d negative: %w", a.Amount, a.Currency, supply.Outstanding, err)
	}
	return settle(tx, supplyKey, refKey, orders.SettlementTransfer{
		Ref: a.Ref, Kind: "withdrawal", Currency: a.Currency,
		Entries: []orders.TransferEntry{{Account: a.Account, Amount: a.Amount}}, Total: a.Amount, Outstanding: outstanding,
	}, "Withdrawn")
}

// unusedRef returns the key of the caller's transfer reference ref, CONFLICT
// if a transfer already used it.
func unusedRef(tx *ledger.Tx, ref string) (string, error) {
	key, err := ledger.Key(tx, transferType, tx.Caller().MSP, ref)
	if err != nil {
		return "", err
	}
	var t orders.SettlementTransfer
	found, err := ledger.GetJSON(tx, key, &t)
	if err != nil {
		return "", err
	}
	if found {
		return "", cxlerr.Errorf(cxlerr.Conflict, "transfer %s of %s was already made: a %s of %d %s in transaction %s", ref, tx.Caller().MSP, t.Kind, t.Total, t.Currency, t.TxID)
	}
	return key, nil
}

// settle records a transfer and the new outstanding amount and emits the
// transfer's event. The event names no accounts.
func settle(tx *ledger.Tx, supplyKey, refKey string, t orders.SettlementTransfer, event string) (*orders.SettlementTransfer, error) {
	t.Issuer = tx.Caller().MSP
	t.Time = tx.Time()
	t.TxID = tx.ID()
	if err := ledger.PutJSON(tx, supplyKey, supplyRecord{Outstanding: t.Outstanding}); err != nil {
		return nil, err
	}
	if err := ledger.PutJSON(tx, refKey, t); err != nil {
		return nil, err
	}
	err := ledger.Emit(tx, ledger.Event{
		Contract: orders.Name, Type: event,
		Keys: map[string]string{"currency": t.Currency, "issuer": t.Issuer, "ref": t.Ref},
		Data: transferEvent{Kind: t.Kind, Entries: len(t.Entries), Total: t.Total, Outstanding: t.Outstanding},
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// transferEvent is the data of the Deposited and Withdrawn events.
type transferEvent struct {
	Kind        string             `json:"kind"`
	Entries     int                `json:"entries"`
	Total       ledgertypes.Amount `json:"total"`
	Outstanding ledgertypes.Amount `json:"outstanding"`
}

// balance sums an account's lots in a currency. Its readers are the
// holder's (a customer account is read by that customer, an organisation
// account by the organisation's staff), an escrow's the order's
// (OrderReaders), and payment organisations and auditors always. An
// escrow of a missing order is FORBIDDEN to the order's would-be parties
// like any escrow not theirs, and empty to the others.
func balance(tx *ledger.Tx, a orders.AccountArgs) (*orders.SettlementBalance, error) {
	readers := ledger.Readers{Parties: []string{a.Account}, Roles: paymentReads}
	if id, ok := strings.CutPrefix(a.Account, orders.EscrowAccount("")); ok {
		o, err := FindOrder(tx, id)
		if err != nil {
			return nil, err
		}
		readers = OrderReaders(o)
	}
	if err := ledger.RequireReader(tx, readers); err != nil {
		return nil, err
	}
	if _, err := readCurrency(tx, a.Currency); err != nil {
		return nil, err
	}
	lots, err := ledger.ListLots(tx, orders.Book(a.Currency), a.Account)
	if err != nil {
		return nil, err
	}
	b := &orders.SettlementBalance{Account: a.Account, Currency: a.Currency, Lots: len(lots)}
	for _, l := range lots {
		if b.Balance, err = b.Balance.Add(l.Amount); err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "balance of %s in %s overflows: %w", a.Account, a.Currency, err)
		}
	}
	return b, nil
}

// consolidate merges up to MaxConsolidate of an account's lots, in key
// order, into one. The kit's ListLots, Balance and SpendLots refuse an owner
// with more than ledger.MaxLots lots, and a busy merchant account gains a
// lot with every delivery, so merchants (or the issuer) call this now and
// then. The holder (the account itself, or staff of the organisation
// holding it) or staff of the issuer carrying the payment role may, the
// issuer whether or not it still holds the role. The balance does not
// change.
func consolidate(tx *ledger.Tx, a orders.AccountArgs) (*orders.Consolidation, error) {
	if err := orders.ValidateHolder("account", a.Account); err != nil {
		return nil, err
	}
	c, err := readCurrency(tx, a.Currency)
	if err != nil {
		return nil, err
	}
	caller := tx.Caller()
	if !caller.ActsForParty(a.Account) && !caller.StaffOf(c.Issuer, ledgertypes.Payment) {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "only the holder of %s or the issuer of %s consolidates its lots", a.Account, a.Currency)
	}
	book := orders.Book(a.Currency)
	res := &orders.Consolidation{Account: a.Account, Currency: a.Currency}
	var keys []string
	res.More, err = ledger.Scan(tx, book, []string{a.Account}, orders.MaxConsolidate, func(kv ledger.KV) error {
		var l ledger.Lot
		if err := decode(kv, &l); err != nil {
			return err
		}
		sum, err := res.Amount.Add(l.Amount)
		if err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "lots of %s in %s overflow: %w", a.Account, book, err)
		}
		res.Amount = sum
		keys = append(keys, kv.Key)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(keys) < 2 {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "%s holds %d lots of %s: nothing to consolidate", a.Account, len(keys), a.Currency)
	}
	for _, k := range keys {
		if err := ledger.Delete(tx, k); err != nil {
			return nil, err
		}
	}
	if _, err := ledger.MintLot(tx, book, a.Account, ledger.Lot{Amount: res.Amount, Unit: a.Currency}); err != nil {
		return nil, err
	}
	res.Merged = len(keys)
	err = ledger.Emit(tx, ledger.Event{
		Contract: orders.Name, Type: "LotsConsolidated",
		Keys: map[string]string{"currency": a.Currency},
		Data: map[string]int{"merged": res.Merged},
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func currencies(tx *ledger.Tx) ([]orders.SettlementCurrency, error) {
	out := []orders.SettlementCurrency{}
	more, err := ledger.Scan(tx, currencyType, nil, ledger.MaxScan, func(kv ledger.KV) error {
		var c currencyRecord
		if err := decode(kv, &c); err != nil {
			return err
		}
		_, s, err := readSupply(tx, c.Code)
		if err != nil {
			return err
		}
		out = append(out, c.settlement(s))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if more {
		return nil, cxlerr.Errorf(cxlerr.Internal, "more than %d currencies", ledger.MaxScan)
	}
	return out, nil
}

// Object types of the orders key space.
const (
	orderType    = "orders.order"    // (id) -> Order
	customerType = "orders.customer" // (customer account, placed, id) -> {}: a customer's orders
	merchantType = "orders.merchant" // (merchant MSP, state, placed, id) -> {}: a merchant's orders by state
	deadlineType = "orders.deadline" // (deadline, id) -> {}: placed orders by deadline
	currencyType = "orders.currency" // (code) -> currencyRecord
	supplyType   = "orders.supply"   // (code) -> supplyRecord
	transferType = "orders.transfer" // (issuer MSP, ref) -> SettlementTransfer
	shipmentType = "orders.shipment" // (kind, gtin, lot or serial) -> shipmentRow: the order naming a lot or item as its shipment
)
