package client

import (
	"testing"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/client/clienttest"
	"github.com/cxledger/cxledger/ledgerapi"
)

// TestCustomerSignsOnlyWhatItAskedFor: a proposal or transaction whose digest is not its
// own, another customer's, another function's or another transaction's is refused before
// anything is signed.
func TestCustomerSignsOnlyWhatItAskedFor(t *testing.T) {
	me, other := []byte("-----BEGIN CERTIFICATE-----\nme\n-----END CERTIFICATE-----\n"), []byte("someone else")
	op := &ledgerapi.OrdersPlace.Operation
	proposal := func(cert []byte, txID, fn string) *unsigned {
		b, d, err := clienttest.Proposal("Org1MSP", cert, txID, "orders", fn)
		if err != nil {
			t.Fatal(err)
		}
		return &unsigned{TransactionID: "tx1", Proposal: b, Digest: d}
	}
	if err := checkProposal(proposal(me, "tx1", "Place"), op, me); err != nil {
		t.Fatal(err)
	}
	wrongDigest := proposal(me, "tx1", "Place")
	wrongDigest.Digest = make([]byte, 32)
	for name, u := range map[string]*unsigned{
		"another digest":      wrongDigest,
		"another customer":    proposal(other, "tx1", "Place"),
		"another function":    proposal(me, "tx1", "Deposit"),
		"another transaction": proposal(me, "tx2", "Place"),
		"not a proposal":      {TransactionID: "tx1", Proposal: []byte("junk"), Digest: make([]byte, 32)},
	} {
		if err := checkProposal(u, op, me); cxlerr.CodeOf(err) != cxlerr.Internal {
			t.Errorf("%s: %v", name, err)
		}
	}
	transaction := func(cert []byte, txID string) *unsigned {
		b, d, err := clienttest.Transaction("Org1MSP", cert, txID)
		if err != nil {
			t.Fatal(err)
		}
		return &unsigned{TransactionID: txID, Transaction: b, Digest: d}
	}
	if err := checkTransaction(transaction(me, "tx1"), "tx1", me); err != nil {
		t.Fatal(err)
	}
	wrongTx := transaction(me, "tx1")
	wrongTx.Digest = make([]byte, 32)
	for name, u := range map[string]*unsigned{
		"another digest":      wrongTx,
		"another customer":    transaction(other, "tx1"),
		"another transaction": transaction(me, "tx2"),
		"not a transaction":   {TransactionID: "tx1", Transaction: []byte("junk"), Digest: make([]byte, 32)},
	} {
		if err := checkTransaction(u, "tx1", me); cxlerr.CodeOf(err) != cxlerr.Internal {
			t.Errorf("%s: %v", name, err)
		}
	}
}
