package orders

import (
	"fmt"
	"slices"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gs1"
)

// Limits on orders.
const (
	// MaxItems is the most lines an order has.
	MaxItems = 100
	// MaxSerials is the most serials an order line lists.
	MaxSerials = 100
	// MaxQuantity is the largest quantity of an order line.
	MaxQuantity = 1_000_000
	// MaxReturnDays is the longest return window, in days.
	MaxReturnDays = 365
	// MaxHorizon is how far after placement a deadline may be.
	MaxHorizon = 2 * 366 * 24 * time.Hour
	// MaxRefunds is the most refunds Refund makes on one order.
	MaxRefunds = 20
	// MaxShipmentSerials is the most items a shipment names, as many as the
	// provenance contract registers in one call.
	MaxShipmentSerials = 500
)

// PlaceArgs is the argument of Place.
type PlaceArgs struct {
	ID         string             `json:"id"`
	Merchant   string             `json:"merchant"`
	Amount     ledgertypes.Amount `json:"amount"`
	Currency   string             `json:"currency"`
	Deadline   time.Time          `json:"deadline"`
	Items      []OrderItem        `json:"items"`
	Carrier    string             `json:"carrier,omitempty" metadata:",optional"`
	Arbiter    string             `json:"arbiter,omitempty" metadata:",optional"`
	ReturnDays int                `json:"returnDays,omitempty" metadata:",optional"`
	Shipment   *Shipment          `json:"shipment,omitempty" metadata:",optional"`
}

// Validate checks every field that does not depend on the ledger and
// normalises the shipment's GTIN to 14 digits.
func (a PlaceArgs) Validate() error {
	if err := ValidateToken("id", a.ID, MaxToken); err != nil {
		return err
	}
	if err := ledgertypes.ValidateMSP("merchant", a.Merchant); err != nil {
		return err
	}
	if err := ledgertypes.ValidateAmount("amount", a.Amount); err != nil {
		return err
	}
	if err := ledgertypes.ValidateCurrency(a.Currency); err != nil {
		return err
	}
	if a.Deadline.IsZero() {
		return cxlerr.Errorf(cxlerr.Invalid, "deadline: required")
	}
	if len(a.Items) == 0 || len(a.Items) > MaxItems {
		return cxlerr.Errorf(cxlerr.Invalid, "items: want 1 to %d, got %d", MaxItems, len(a.Items))
	}
	for i, it := range a.Items {
		if err := it.validate(fmt.Sprintf("items[%d]", i)); err != nil {
			return err
		}
	}
	if a.Carrier != "" {
		if err := ledgertypes.ValidateMSP("carrier", a.Carrier); err != nil {
			return err
		}
	}
	if a.Arbiter != "" {
		if err := ledgertypes.ValidateMSP("arbiter", a.Arbiter); err != nil {
			return err
		}
		if a.Arbiter == a.Merchant {
			return cxlerr.Errorf(cxlerr.Invalid, "arbiter: the merchant %s cannot arbitrate its own order", a.Merchant)
		}
	}
	if a.ReturnDays < 0 || a.ReturnDays > MaxReturnDays {
		return cxlerr.Errorf(cxlerr.Invalid, "returnDays: want 0 to %d, got %d", MaxReturnDays, a.ReturnDays)
	}
	if a.Shipment == nil {
		return nil
	}
	if a.Carrier == "" {
		return cxlerr.Errorf(cxlerr.Invalid, "shipment: needs the carrier who hands it over to the customer")
	}
	return a.Shipment.normalize()
}

// normalize checks a shipment and rewrites its GTIN as the 14-digit GTIN
// the provenance contract keys on.
func (s *Shipment) normalize() error {
	gtin, err := provenance.NormalizeGTIN("shipment.gtin", s.GTIN)
	if err != nil {
		return err
	}
	s.GTIN = gtin
	switch {
	case s.Lot != "" && len(s.Serials) > 0:
		return cxlerr.Errorf(cxlerr.Invalid, "shipment: name a lot or serials, not both")
	case s.Lot != "":
		if err := provenance.ValidateLotNumber("shipment.lot", s.Lot); err != nil {
			return err
		}
	case len(s.Serials) == 0:
		return cxlerr.Errorf(cxlerr.Invalid, "shipment: name a lot or 1 to %d serials", MaxShipmentSerials)
	case len(s.Serials) > MaxShipmentSerials:
		return cxlerr.Errorf(cxlerr.Invalid, "shipment.serials: %d serials, more than %d", len(s.Serials), MaxShipmentSerials)
	default:
		seen := make(map[string]bool, len(s.Serials))
		for i, serial := range s.Serials {
			field := fmt.Sprintf("shipment.serials[%d]", i)
			if err := provenance.ValidateSerial(field, serial); err != nil {
				return err
			}
			if seen[serial] {
				return cxlerr.Errorf(cxlerr.Invalid, "%s: %s is listed twice", field, serial)
			}
			seen[serial] = true
		}
	}
	if s.SSCC == "" {
		return nil
	}
	_, err = gs1.NormalizeSSCC("shipment.sscc", s.SSCC)
	return err
}

func (it OrderItem) validate(field string) error {
	if err := ValidateToken(field+".sku", it.SKU, MaxToken); err != nil {
		return err
	}
	if it.Quantity < 1 || it.Quantity > MaxQuantity {
		return cxlerr.Errorf(cxlerr.Invalid, "%s.quantity: want 1 to %d, got %d", field, MaxQuantity, it.Quantity)
	}
	if it.GTIN != "" && !isGTIN(it.GTIN) {
		return cxlerr.Errorf(cxlerr.Invalid, "%s.gtin: %q: want 8, 12, 13 or 14 digits", field, it.GTIN)
	}
	if len(it.Serials) == 0 {
		return nil
	}
	if it.GTIN == "" {
		return cxlerr.Errorf(cxlerr.Invalid, "%s.serials: need the gtin they belong to", field)
	}
	if len(it.Serials) > MaxSerials || int64(len(it.Serials)) > it.Quantity {
		return cxlerr.Errorf(cxlerr.Invalid, "%s.serials: %d serials, more than the quantity %d or %d", field, len(it.Serials), it.Quantity, MaxSerials)
	}
	for i, s := range it.Serials {
		if err := ValidateToken(fmt.Sprintf("%s.serials[%d]", field, i), s, MaxToken); err != nil {
			return err
		}
		if slices.Contains(it.Serials[:i], s) {
			return cxlerr.Errorf(cxlerr.Invalid, "%s.serials[%d]: %s is listed twice", field, i, s)
		}
	}
	return nil
}

// isGTIN reports whether s has the length and digits of a GTIN. The
// provenance contract checks the check digit when items are registered.
func isGTIN(s string) bool {
	switch len(s) {
	case 8, 12, 13, 14:
	default:
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// IDArgs is the argument of the transitions that need only the order.
type IDArgs struct {
	ID string `json:"id"`
}

// Validate checks the order ID.
func (a IDArgs) Validate() error { return ValidateToken("id", a.ID, MaxToken) }

// ReasonArgs is the argument of RequestReturn and OpenDispute.
type ReasonArgs struct {
	ID     string `json:"id"`
	Reason string `json:"reason,omitempty" metadata:",optional"`
}

// Validate checks the order ID and the reason code.
func (a ReasonArgs) Validate() error {
	if err := ValidateToken("id", a.ID, MaxToken); err != nil {
		return err
	}
	return validateReason(a.Reason)
}

// RefundArgs is the argument of Refund. Without an amount, Refund returns everything not yet
// refunded.
type RefundArgs struct {
	ID       string             `json:"id"`
	RefundID string             `json:"refundId"`
	Amount   ledgertypes.Amount `json:"amount,omitempty" metadata:",optional"`
	Reason   string             `json:"reason,omitempty" metadata:",optional"`
}

// CheckFields refuses an amount given as 0, which would otherwise mean "everything".
func (a RefundArgs) CheckFields(present func(key string) bool) error {
	if present("amount") {
		return ledgertypes.ValidateAmount("amount", a.Amount)
	}
	return nil
}

// Validate checks the IDs, the amount when given and the reason code.
func (a RefundArgs) Validate() error {
	if err := ValidateToken("id", a.ID, MaxToken); err != nil {
		return err
	}
	if err := ValidateToken("refundId", a.RefundID, MaxToken); err != nil {
		return err
	}
	if a.Amount != 0 {
		if err := ledgertypes.ValidateAmount("amount", a.Amount); err != nil {
			return err
		}
	}
	return validateReason(a.Reason)
}

// ResolveDisputeArgs is the argument of ResolveDispute. The refund is required, 0 when the
// customer gets nothing back.
type ResolveDisputeArgs struct {
	ID     string             `json:"id"`
	Refund ledgertypes.Amount `json:"refund"`
}

// CheckFields refuses an argument without a refund: leaving it out must not mean 0.
func (a ResolveDisputeArgs) CheckFields(present func(key string) bool) error {
	if !present("refund") {
		return cxlerr.Errorf(cxlerr.Invalid, "refund: required (0 when the customer gets nothing back)")
	}
	return nil
}

// Validate checks the order ID and that the refund is not negative.
func (a ResolveDisputeArgs) Validate() error {
	if err := ValidateToken("id", a.ID, MaxToken); err != nil {
		return err
	}
	if a.Refund < 0 {
		return cxlerr.Errorf(cxlerr.Invalid, "refund: must not be negative, got %d", a.Refund)
	}
	return nil
}
