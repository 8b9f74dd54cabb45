// Package orderscc is the implementation of the orders contract: the contractapi
// contract and its transaction functions on the ledger kit. The contract's
// argument and result types, with their validation, are package orders, which
// does not import Fabric, so clients use them without linking the shim.
package orderscc
