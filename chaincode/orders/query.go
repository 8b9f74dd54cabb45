package orders

import (
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// CustomerOrdersArgs is the argument of CustomerOrders.
type CustomerOrdersArgs struct {
	Customer string `json:"customer,omitempty" metadata:",optional"`
	PageSize int    `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// Validate checks the customer account when given.
func (a CustomerOrdersArgs) Validate() error {
	if a.Customer == "" {
		return nil
	}
	return ledgertypes.ValidateAccount("customer", a.Customer)
}

// MerchantOrdersArgs is the argument of MerchantOrders.
type MerchantOrdersArgs struct {
	Merchant string `json:"merchant"`
	State    State  `json:"state,omitempty" metadata:",optional"`
	PageSize int    `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// Validate checks the merchant's MSP ID and the state when given.
func (a MerchantOrdersArgs) Validate() error {
	if err := ledgertypes.ValidateMSP("merchant", a.Merchant); err != nil {
		return err
	}
	if a.State != "" && !a.State.valid() {
		return cxlerr.Errorf(cxlerr.Invalid, "state: %q is not one of placed, delivered, returning, disputed, refunded, returned, resolved", a.State)
	}
	return nil
}
