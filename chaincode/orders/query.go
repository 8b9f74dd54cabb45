package orders

import (
	"encoding/json"

	"github.com/cxledger/cxledger/chaincode/ledger"
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
	return ledger.ValidateAccount("customer", a.Customer)
}

func customerOrders(tx *ledger.Tx, a CustomerOrdersArgs) (*OrderPage, error) {
	customer := a.Customer
	if customer == "" {
		customer = tx.Caller().Account
	}
	return orderPage(tx, customerType, []string{customer}, a.PageSize, a.Bookmark)
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
	if err := ledger.ValidateMSP("merchant", a.Merchant); err != nil {
		return err
	}
	if a.State != "" && !a.State.valid() {
		return cxlerr.Errorf(cxlerr.Invalid, "state: %q is not one of placed, delivered, returning, disputed, refunded, returned, resolved", a.State)
	}
	return nil
}

func merchantOrders(tx *ledger.Tx, a MerchantOrdersArgs) (*OrderPage, error) {
	prefix := []string{a.Merchant}
	if a.State != "" {
		prefix = append(prefix, string(a.State))
	}
	return orderPage(tx, merchantType, prefix, a.PageSize, a.Bookmark)
}

// orderPage lists one page of an index whose last key part is the order ID
// and reads those orders with one GetMultipleStates.
func orderPage(tx *ledger.Tx, index string, prefix []string, pageSize int, bookmark string) (*OrderPage, error) {
	rows, next, err := ledger.Page(tx, index, prefix, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	page := &OrderPage{Orders: []Order{}, Bookmark: next}
	if len(rows) == 0 {
		return page, nil
	}
	keys := make([]string, len(rows))
	for i, r := range rows {
		if keys[i], err = ledger.Key(tx, orderType, r.Parts[len(r.Parts)-1]); err != nil {
			return nil, err
		}
	}
	values, err := tx.Stub().GetMultipleStates(keys...)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "read %d orders: %w", len(keys), err)
	}
	if len(values) != len(keys) {
		return nil, cxlerr.Errorf(cxlerr.Internal, "read %d orders, got %d values", len(keys), len(values))
	}
	for i, v := range values {
		if len(v) == 0 {
			return nil, cxlerr.Errorf(cxlerr.Internal, "index row %s names a missing order", ledger.DescribeKey(rows[i].Key))
		}
		var o Order
		if err := json.Unmarshal(v, &o); err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(keys[i]), err)
		}
		page.Orders = append(page.Orders, o)
	}
	return page, nil
}
