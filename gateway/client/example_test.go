package client_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/client"
	"github.com/cxledger/cxledger/ledgerapi"
)

// A mutation through the gateway service: repeat it with the same idempotency key after a
// retryable error, and follow a Pending one by its transaction ID.
func Example() {
	ctx := context.Background()
	ledger := client.New("http://127.0.0.1:8080", "cxl_...").Ledger()
	ctx = ledgerapi.WithIdempotencyKey(ctx, "recall-0950600013435-L42")
	lot, err := ledger.Provenance().RecallLot(ctx, ledgerapi.RecallLotRequest{GTIN: "09506000134352", Lot: "L42", Reason: "foreign matter"})
	var e *cxlerr.Error
	switch {
	case err == nil:
		fmt.Println("recalled in block", lot.BlockNumber)
	case errors.As(err, &e) && e.Code == cxlerr.Pending:
		if st, err := ledger.Transactions().Status(ctx, e.TransactionID); err == nil {
			fmt.Println("submitted, now", st.State)
		}
	case errors.As(err, &e) && e.Retryable:
		fmt.Println("nothing applied; send the same request with the same key again")
	default:
		fmt.Println("refused:", err)
	}
}
