package care

import (
	"slices"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// Ticket categories.
const (
	CategoryDelivery = "delivery"
	CategoryProduct  = "product"
	CategoryRefund   = "refund"
	CategoryBilling  = "billing"
	CategoryAccount  = "account"
	CategoryOther    = "other"
)

// validateCategory checks a ticket category; others are INVALID.
func validateCategory(c string) error {
	switch c {
	case CategoryDelivery, CategoryProduct, CategoryRefund, CategoryBilling, CategoryAccount, CategoryOther:
		return nil
	}
	return cxlerr.Errorf(cxlerr.Invalid, "category %q: want one of delivery, product, refund, billing, account, other", c)
}

// OpenTicketArgs is the argument of OpenTicket. The ticket's text and the
// customer's contact details come as transient data.
type OpenTicketArgs struct {
	ID       string `json:"id"`
	Merchant string `json:"merchant,omitempty" metadata:",optional"`
	OrderID  string `json:"orderId,omitempty" metadata:",optional"`
	Category string `json:"category"`
	Priority string `json:"priority"`
}

// Validate checks every field that does not depend on the ledger.
func (a OpenTicketArgs) Validate() error {
	if err := ledgertypes.ValidateID("id", a.ID); err != nil {
		return err
	}
	if a.Merchant == "" && a.OrderID == "" {
		return cxlerr.Errorf(cxlerr.Invalid, "merchant: required unless orderId names the order the ticket is about")
	}
	if a.Merchant != "" {
		if err := ledgertypes.ValidateMSP("merchant", a.Merchant); err != nil {
			return err
		}
	}
	if a.OrderID != "" {
		if err := ledgertypes.ValidateID("orderId", a.OrderID); err != nil {
			return err
		}
	}
	if err := validateCategory(a.Category); err != nil {
		return err
	}
	_, err := DefaultSLA(a.Priority)
	return err
}

// AssignTicketArgs is the argument of AssignTicket.
type AssignTicketArgs struct {
	ID    string `json:"id"`
	Agent string `json:"agent"`
}

// Validate checks the ticket ID and the agent's account.
func (a AssignTicketArgs) Validate() error {
	if err := ledgertypes.ValidateID("id", a.ID); err != nil {
		return err
	}
	return ledgertypes.ValidateAccount("agent", a.Agent)
}

// Clone returns a copy of t that shares no slices with it.
func (t Ticket) Clone() Ticket {
	t.MessageSteps = slices.Clone(t.MessageSteps)
	t.Breaches = slices.Clone(t.Breaches)
	return t
}

// ListTicketsArgs is the argument of ListTickets.
type ListTicketsArgs struct {
	// Merchant lists that merchant's tickets; "" lists the caller's own.
	Merchant string `json:"merchant,omitempty" metadata:",optional"`
	PageSize int    `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// Validate checks the merchant, when given.
func (a ListTicketsArgs) Validate() error {
	if a.Merchant == "" {
		return nil
	}
	return ledgertypes.ValidateMSP("merchant", a.Merchant)
}
