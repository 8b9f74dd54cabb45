package carecc

import (
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/orders"
)

// NewContractWithOrders returns the contract reading orders through get
// instead of the orders contract's state, so tests need not pay for orders.
func NewContractWithOrders(get func(*ledger.Tx, string) (*orders.Order, error)) *Contract {
	c := NewContract()
	c.orders = get
	return c
}
