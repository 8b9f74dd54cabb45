package orderscc

import (
	"encoding/json"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
)

// paymentReads are the roles that read every order and balance, besides
// auditors: payment organisations settle them.
var paymentReads = []ledgertypes.Role{ledgertypes.Payment}

func customerOrders(tx *ledger.Tx, a orders.CustomerOrdersArgs) (*orders.OrderPage, error) {
	customer := a.Customer
	if customer == "" {
		customer = tx.Caller().Account
	}
	if err := ledger.RequireReader(tx, ledger.Readers{Parties: []string{customer}, Roles: paymentReads}); err != nil {
		return nil, err
	}
	return orderPage(tx, customerType, []string{customer}, a.PageSize, a.Bookmark)
}

func merchantOrders(tx *ledger.Tx, a orders.MerchantOrdersArgs) (*orders.OrderPage, error) {
	if err := ledger.RequireReader(tx, ledger.Readers{Parties: []string{a.Merchant}, Roles: paymentReads}); err != nil {
		return nil, err
	}
	prefix := []string{a.Merchant}
	if a.State != "" {
		prefix = append(prefix, string(a.State))
	}
	return orderPage(tx, merchantType, prefix, a.PageSize, a.Bookmark)
}

// orderPage lists one page of an index whose last key part is the order ID
// and reads those orders with one GetMultipleStates.
func orderPage(tx *ledger.Tx, index string, prefix []string, pageSize int, bookmark string) (*orders.OrderPage, error) {
	rows, next, err := ledger.Page(tx, index, prefix, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	page := &orders.OrderPage{Orders: []orders.Order{}, Bookmark: next}
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
		var o orders.Order
		if err := json.Unmarshal(v, &o); err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(keys[i]), err)
		}
		page.Orders = append(page.Orders, o)
	}
	return page, nil
}
