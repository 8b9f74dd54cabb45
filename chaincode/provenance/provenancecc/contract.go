package provenancecc

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/provenance"
)

// Contract is the provenance contract. Every function takes one JSON
// argument; see the package documentation for the shapes.
type Contract struct {
	contractapi.Contract
	hooks Hooks
}

// NewContract returns the contract, named "provenance", calling hooks on
// custody acceptances; hooks may be nil.
func NewContract(hooks Hooks) *Contract {
	c := &Contract{hooks: hooks}
	c.Name = provenance.Name
	return c
}

// GetEvaluateTransactions lists the query functions.
func (c *Contract) GetEvaluateTransactions() []string {
	return []string{"Trace", "Verify", "History", "GetProduct", "GetLot", "GetItem"}
}

// RegisterProduct registers a product; the caller's organisation, which must
// hold the brand role, owns it.
func (c *Contract) RegisterProduct(ctx contractapi.TransactionContextInterface, args provenance.RegisterProductArgs) (*provenance.Product, error) {
	return ledger.Run(ctx.GetStub(), args, registerProduct)
}

// RegisterLot registers a lot of a product the caller's organisation owns,
// optionally made from input lots it holds, and gives it custody of the lot.
func (c *Contract) RegisterLot(ctx contractapi.TransactionContextInterface, args provenance.RegisterLotArgs) (*provenance.ProductLot, error) {
	return ledger.Run(ctx.GetStub(), args, registerLot)
}

// RegisterItems registers up to 500 serialised items of a lot the caller's
// organisation owns and holds; the items start with the lot's holder.
func (c *Contract) RegisterItems(ctx contractapi.TransactionContextInterface, args provenance.RegisterItemsArgs) (*provenance.ItemsRegistered, error) {
	return ledger.Run(ctx.GetStub(), args, registerItems)
}

// OfferCustody offers custody of a lot or item to an organisation or an
// account; only the current holder may, and only one offer is pending at a time.
func (c *Contract) OfferCustody(ctx contractapi.TransactionContextInterface, args provenance.OfferCustodyArgs) (*provenance.Custody, error) {
	return ledger.Run(ctx.GetStub(), args, offerCustody)
}

// AcceptCustody takes custody offered to the caller; when an order names
// the lot or item as its shipment, the result says what that did to the
// order (see Hooks).
func (c *Contract) AcceptCustody(ctx contractapi.TransactionContextInterface, args provenance.CustodyArgs) (*provenance.Custody, error) {
	return ledger.Run(ctx.GetStub(), args, c.acceptCustody)
}

// RejectCustody declines custody offered to the caller.
func (c *Contract) RejectCustody(ctx contractapi.TransactionContextInterface, args provenance.RejectCustodyArgs) (*provenance.Custody, error) {
	return ledger.Run(ctx.GetStub(), args, rejectCustody)
}

// WithdrawCustodyOffer cancels the holder's pending offer.
func (c *Contract) WithdrawCustodyOffer(ctx contractapi.TransactionContextInterface, args provenance.CustodyArgs) (*provenance.Custody, error) {
	return ledger.Run(ctx.GetStub(), args, withdrawCustodyOffer)
}

// IssueCertificate records a certificate about a product, lot or item. An
// auditor may certify anything, a brand only what it owns.
func (c *Contract) IssueCertificate(ctx contractapi.TransactionContextInterface, args provenance.IssueCertificateArgs) (*provenance.Certificate, error) {
	return ledger.Run(ctx.GetStub(), args, issueCertificate)
}

// RevokeCertificate revokes a certificate; only its issuer may.
func (c *Contract) RevokeCertificate(ctx contractapi.TransactionContextInterface, args provenance.RevokeCertificateArgs) (*provenance.Certificate, error) {
	return ledger.Run(ctx.GetStub(), args, revokeCertificate)
}

// RecallLot marks a lot recalled; only the organisation owning the product may.
func (c *Contract) RecallLot(ctx contractapi.TransactionContextInterface, args provenance.RecallLotArgs) (*provenance.ProductLot, error) {
	return ledger.Run(ctx.GetStub(), args, recallLot)
}

// Trace returns a lot's upstream and downstream lots and a page of the items
// of it and its downstream lots, with their current holders.
func (c *Contract) Trace(ctx contractapi.TransactionContextInterface, args provenance.TraceArgs) (*provenance.LotTrace, error) {
	return ledger.Run(ctx.GetStub(), args, trace)
}

// Verify tells whether a serialised item is genuine, with its origin,
// custody, valid certificates and recalls. An unknown item is an answer
// (genuine: false), not an error.
func (c *Contract) Verify(ctx contractapi.TransactionContextInterface, args provenance.VerifyArgs) (*provenance.Verification, error) {
	return ledger.Run(ctx.GetStub(), args, verify)
}

// History returns a page of the versions of a product, lot, item or custody
// record, newest first.
func (c *Contract) History(ctx contractapi.TransactionContextInterface, args provenance.ProvenanceHistoryArgs) (*provenance.ProvenanceHistory, error) {
	return ledger.Run(ctx.GetStub(), args, history)
}

// GetProduct returns a product. Any member of the channel may read it.
func (c *Contract) GetProduct(ctx contractapi.TransactionContextInterface, args provenance.GetProductArgs) (*provenance.Product, error) {
	return ledger.Run(ctx.GetStub(), args, getProduct)
}

// GetLot returns a lot of a product, with its inputs and any recall. Any member of the
// channel may read it.
func (c *Contract) GetLot(ctx contractapi.TransactionContextInterface, args provenance.GetLotArgs) (*provenance.ProductLot, error) {
	return ledger.Run(ctx.GetStub(), args, getLot)
}

// GetItem returns a serialised item, which names its lot. Any member of the channel may read
// it; Verify is the answer for the public.
func (c *Contract) GetItem(ctx contractapi.TransactionContextInterface, args provenance.GetItemArgs) (*provenance.SerialItem, error) {
	return ledger.Run(ctx.GetStub(), args, getItem)
}
