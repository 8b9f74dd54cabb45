package main

import (
	"testing"

	"github.com/cxledger/cxledger/ledgerapi/ledgerapitest"
)

// TestLeanClient: the CLI links neither the chaincode shim nor contractapi nor the
// gateway's HTTP server.
func TestLeanClient(t *testing.T) { ledgerapitest.CheckLean(t, ".") }
