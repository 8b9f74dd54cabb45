package orders

import (
	"fmt"
	"strings"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// Object types of the orders key space.
const (
	bookPrefix = "orders.money." // + lower-case currency code: the lots of that currency
)

// escrowPrefix starts the name of an order's escrow account.
const escrowPrefix = "escrow:"

// Limits on settlement input.
const (
	// MaxCredits is the most accounts one Deposit credits.
	MaxCredits = 100
	// MaxConsolidate is the most lots one Consolidate merges.
	MaxConsolidate = 500
)

// Book returns the object type of the lots of a currency: "orders.money.eur"
// for "EUR". Balances are ledger lots in this book, owned by accounts.
func Book(currency string) string {
	return bookPrefix + strings.ToLower(currency)
}

// EscrowAccount returns the name of an order's escrow account,
// "escrow:<order ID>": the owner of the order's money in its currency's
// book between placement and delivery or refund. It never collides with a
// customer account ("<MSP ID>/<name>") or an organisation account ("<MSP
// ID>"), because MSP IDs hold neither '/' nor ':' and order IDs hold no '/'.
func EscrowAccount(orderID string) string {
	return escrowPrefix + orderID
}

// ValidateHolder checks an account that holds money of its own: a customer
// account "<MSP ID>/<name>" or an organisation account "<MSP ID>". An escrow
// is INVALID: only order transitions move money in and out of escrow.
func ValidateHolder(field, account string) error {
	if strings.HasPrefix(account, escrowPrefix) {
		return cxlerr.Errorf(cxlerr.Invalid, "%s: %q is an order's escrow; only the order's transitions move its money", field, account)
	}
	if strings.Contains(account, "/") {
		return ledgertypes.ValidateAccount(field, account)
	}
	return ledgertypes.ValidateMSP(field, account)
}

// validateAnyAccount checks a customer account, an organisation account or
// an escrow account.
func validateAnyAccount(field, account string) error {
	if id, ok := strings.CutPrefix(account, escrowPrefix); ok {
		return ValidateToken(field+" (escrow order ID)", id, MaxToken)
	}
	return ValidateHolder(field, account)
}

// RegisterCurrencyArgs is the argument of RegisterCurrency.
type RegisterCurrencyArgs struct {
	Currency string `json:"currency"`
}

// Validate checks the currency code.
func (a RegisterCurrencyArgs) Validate() error { return ledgertypes.ValidateCurrency(a.Currency) }

// DepositArgs is the argument of Deposit.
type DepositArgs struct {
	Ref      string          `json:"ref"`
	Currency string          `json:"currency"`
	Credits  []TransferEntry `json:"credits"`
}

// Validate checks the reference, the currency code and every credit, and
// that their total does not overflow.
func (a DepositArgs) Validate() error {
	if err := ValidateToken("ref", a.Ref, MaxToken); err != nil {
		return err
	}
	if err := ledgertypes.ValidateCurrency(a.Currency); err != nil {
		return err
	}
	if len(a.Credits) == 0 || len(a.Credits) > MaxCredits {
		return cxlerr.Errorf(cxlerr.Invalid, "credits: want 1 to %d, got %d", MaxCredits, len(a.Credits))
	}
	var total ledgertypes.Amount
	for i, c := range a.Credits {
		if err := validateEntry("credits", i, c); err != nil {
			return err
		}
		sum, err := total.Add(c.Amount)
		if err != nil {
			return cxlerr.Errorf(cxlerr.Invalid, "credits: the total overflows at credit %d", i)
		}
		total = sum
	}
	return nil
}

func validateEntry(field string, i int, e TransferEntry) error {
	if err := ValidateHolder(fmt.Sprintf("%s[%d].account", field, i), e.Account); err != nil {
		return err
	}
	return ledgertypes.ValidateAmount(fmt.Sprintf("%s[%d].amount", field, i), e.Amount)
}

// WithdrawArgs is the argument of Withdraw.
type WithdrawArgs struct {
	Ref      string             `json:"ref"`
	Account  string             `json:"account"`
	Currency string             `json:"currency"`
	Amount   ledgertypes.Amount `json:"amount"`
}

// Validate checks the reference, the account, the currency code and the amount.
func (a WithdrawArgs) Validate() error {
	if err := ValidateToken("ref", a.Ref, MaxToken); err != nil {
		return err
	}
	if err := ValidateHolder("account", a.Account); err != nil {
		return err
	}
	if err := ledgertypes.ValidateCurrency(a.Currency); err != nil {
		return err
	}
	return ledgertypes.ValidateAmount("amount", a.Amount)
}

// AccountArgs is the argument of Balance and Consolidate.
type AccountArgs struct {
	Account  string `json:"account"`
	Currency string `json:"currency"`
}

// Validate checks the account and the currency code.
func (a AccountArgs) Validate() error {
	if err := validateAnyAccount("account", a.Account); err != nil {
		return err
	}
	return ledgertypes.ValidateCurrency(a.Currency)
}
