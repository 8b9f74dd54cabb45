package ledgerapi

import (
	"context"
	"encoding/json"

	"github.com/cxledger/cxledger/cxlerr"
)

// TxState is where a transaction stands.
type TxState string

// Transaction states.
const (
	// TxCommitted means the transaction is in a block and VALID: its effects are applied.
	TxCommitted TxState = "COMMITTED"
	// TxPending means the transaction was submitted and its commit is not known yet.
	TxPending TxState = "PENDING"
	// TxFailed means the transaction will never apply: it was refused at endorsement or
	// committed with a validation code other than VALID.
	TxFailed TxState = "FAILED"
)

// TransactionStatus is the outcome of one transaction.
type TransactionStatus struct {
	// TransactionID identifies the transaction.
	TransactionID string `json:"transactionId"`
	// State is COMMITTED, PENDING or FAILED.
	State TxState `json:"state"`
	// BlockNumber is the block holding the transaction, once it is in one.
	BlockNumber uint64 `json:"blockNumber,omitempty"`
	// ValidationCode is Fabric's validation code once the transaction is in a block
	// ("VALID", "MVCC_READ_CONFLICT", ...).
	ValidationCode string `json:"validationCode,omitempty"`
	// Result is the contract's result of a committed mutation, shown only to the caller who
	// submitted it.
	Result json.RawMessage `json:"result,omitempty"`
	// Error says why a FAILED transaction failed.
	Error *cxlerr.Error `json:"error,omitempty"`
}

// Transactions reports the outcome of transactions by ID.
type Transactions interface {
	// Status returns where transaction txID stands; NotFound when neither the service nor
	// the ledger knows it.
	Status(ctx context.Context, txID string) (*TransactionStatus, error)
}
