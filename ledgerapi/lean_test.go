package ledgerapi_test

import (
	"testing"

	"github.com/cxledger/cxledger/ledgerapi/ledgerapitest"
)

// TestLeanClient: ledgerapi, the ledger as clients see it, links neither the chaincode
// shim nor contractapi nor the gateway's HTTP server.
func TestLeanClient(t *testing.T) { ledgerapitest.CheckLean(t, ".") }
