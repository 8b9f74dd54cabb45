package carecc

import (
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/orders"
)

// NewContractWithOrders returns the contract finding orders through find
// (nil for a missing order, as orderscc.FindOrder) instead of the orders
// contract's state, so tests need not pay for orders; the reader check is
// the contract's own.
func NewContractWithOrders(find func(*ledger.Tx, string) (*orders.Order, error)) *Contract {
	c := NewContract()
	c.findOrder = find
	return c
}
