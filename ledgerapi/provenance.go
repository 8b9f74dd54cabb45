package ledgerapi

import (
	"context"

	"github.com/cxledger/cxledger/chaincode/provenance"
)

// The requests of the provenance contract are its own argument types, so a request is
// validated by the contract's rules, once, before any ledger call.
type (
	// Subject names a product, lot or item: kind "product" (gtin), "lot" (gtin, lot) or
	// "item" (gtin, serial); History also takes "lot-custody" and "item-custody".
	Subject = provenance.SubjectArgs
	// RegisterProductRequest registers a product (caller: an organisation with the brand role).
	RegisterProductRequest = provenance.RegisterProductArgs
	// RegisterLotRequest registers a lot of a product the caller owns, optionally made from
	// input lots it holds.
	RegisterLotRequest = provenance.RegisterLotArgs
	// RegisterItemsRequest serialises up to 500 items of a lot the caller owns and holds.
	RegisterItemsRequest = provenance.RegisterItemsArgs
	// CustodyRequest names the lot or item of a custody step: kind "lot" (gtin, lot) or
	// "item" (gtin, serial). It is the request of AcceptCustody and WithdrawCustodyOffer.
	CustodyRequest = provenance.CustodyArgs
	// OfferCustodyRequest offers custody of a lot or item to an organisation ("Org2MSP") or
	// an account ("Org2MSP/driver7").
	OfferCustodyRequest = provenance.OfferCustodyArgs
	// RejectCustodyRequest declines custody offered to the caller.
	RejectCustodyRequest = provenance.RejectCustodyArgs
	// IssueCertificateRequest records a certificate (its document's SHA-256) about a
	// product, lot or item.
	IssueCertificateRequest = provenance.IssueCertificateArgs
	// RevokeCertificateRequest revokes a certificate the caller's organisation issued.
	RevokeCertificateRequest = provenance.RevokeCertificateArgs
	// RecallLotRequest recalls a lot of a product the caller's organisation owns.
	RecallLotRequest = provenance.RecallLotArgs
	// TraceRequest asks for a lot's graph and a page of its items.
	TraceRequest = provenance.TraceArgs
	// VerifyRequest asks whether a serialised item is genuine.
	VerifyRequest = provenance.VerifyArgs
	// HistoryRequest asks for a page of the versions of a record.
	HistoryRequest = provenance.ProvenanceHistoryArgs
)

// Provenance is the provenance contract: products, lots and items, their custody,
// certificates and recalls. Submissions need the roles the contract checks (brand,
// auditor, holder); queries are open to every channel member, Verify to anyone through the
// gateway service.
type Provenance interface {
	RegisterProduct(ctx context.Context, req RegisterProductRequest) (*Committed[provenance.Product], error)
	RegisterLot(ctx context.Context, req RegisterLotRequest) (*Committed[provenance.ProductLot], error)
	RegisterItems(ctx context.Context, req RegisterItemsRequest) (*Committed[provenance.ItemsRegistered], error)
	OfferCustody(ctx context.Context, req OfferCustodyRequest) (*Committed[provenance.Custody], error)
	AcceptCustody(ctx context.Context, req CustodyRequest) (*Committed[provenance.Custody], error)
	RejectCustody(ctx context.Context, req RejectCustodyRequest) (*Committed[provenance.Custody], error)
	WithdrawCustodyOffer(ctx context.Context, req CustodyRequest) (*Committed[provenance.Custody], error)
	IssueCertificate(ctx context.Context, req IssueCertificateRequest) (*Committed[provenance.Certificate], error)
	RevokeCertificate(ctx context.Context, req RevokeCertificateRequest) (*Committed[provenance.Certificate], error)
	RecallLot(ctx context.Context, req RecallLotRequest) (*Committed[provenance.ProductLot], error)
	// Trace returns a lot's upstream and downstream lots and a page of items.
	Trace(ctx context.Context, req TraceRequest) (*provenance.LotTrace, error)
	// Verify tells whether an item is genuine; an unknown item is an answer, not an error.
	Verify(ctx context.Context, req VerifyRequest) (*provenance.Verification, error)
	// History returns a page of the versions of a record, newest first.
	History(ctx context.Context, req HistoryRequest) (*provenance.ProvenanceHistory, error)
	// GetProduct returns a product as it stands.
	GetProduct(ctx context.Context, req provenance.GetProductArgs) (*provenance.Product, error)
	// GetLot returns a lot as it stands: quantity, holder, recall.
	GetLot(ctx context.Context, req provenance.GetLotArgs) (*provenance.ProductLot, error)
	// GetItem returns a serialised item as it stands.
	GetItem(ctx context.Context, req provenance.GetItemArgs) (*provenance.SerialItem, error)
}

// The operations of the provenance contract.
var (
	// ProvenanceRegisterProduct is provenance:RegisterProduct.
	ProvenanceRegisterProduct = submit[RegisterProductRequest, provenance.Product]("provenance", "RegisterProduct", "/v1/provenance/products",
		"Register a product; your organisation (brand role) owns it")
	// ProvenanceRegisterLot is provenance:RegisterLot.
	ProvenanceRegisterLot = submit[RegisterLotRequest, provenance.ProductLot]("provenance", "RegisterLot", "/v1/provenance/lots",
		"Register a lot of a product you own, optionally made from input lots you hold")
	// ProvenanceRegisterItems is provenance:RegisterItems.
	ProvenanceRegisterItems = submit[RegisterItemsRequest, provenance.ItemsRegistered]("provenance", "RegisterItems", "/v1/provenance/items",
		"Serialise up to 500 items of a lot you own and hold")
	// ProvenanceOfferCustody is provenance:OfferCustody.
	ProvenanceOfferCustody = submit[OfferCustodyRequest, provenance.Custody]("provenance", "OfferCustody", "/v1/provenance/custody/offers",
		"Offer custody of a lot or item you hold to an organisation or an account")
	// ProvenanceAcceptCustody is provenance:AcceptCustody.
	ProvenanceAcceptCustody = submit[CustodyRequest, provenance.Custody]("provenance", "AcceptCustody", "/v1/provenance/custody/acceptances",
		"Accept custody offered to you")
	// ProvenanceRejectCustody is provenance:RejectCustody.
	ProvenanceRejectCustody = submit[RejectCustodyRequest, provenance.Custody]("provenance", "RejectCustody", "/v1/provenance/custody/rejections",
		"Decline custody offered to you")
	// ProvenanceWithdrawCustodyOffer is provenance:WithdrawCustodyOffer.
	ProvenanceWithdrawCustodyOffer = submit[CustodyRequest, provenance.Custody]("provenance", "WithdrawCustodyOffer", "/v1/provenance/custody/withdrawals",
		"Withdraw your pending custody offer")
	// ProvenanceIssueCertificate is provenance:IssueCertificate.
	ProvenanceIssueCertificate = submit[IssueCertificateRequest, provenance.Certificate]("provenance", "IssueCertificate", "/v1/provenance/certificates",
		"Record a certificate (its document's SHA-256) about a product, lot or item (auditors: anything; brands: their own)")
	// ProvenanceRevokeCertificate is provenance:RevokeCertificate.
	ProvenanceRevokeCertificate = submit[RevokeCertificateRequest, provenance.Certificate]("provenance", "RevokeCertificate", "/v1/provenance/certificate-revocations",
		"Revoke a certificate your organisation issued")
	// ProvenanceRecallLot is provenance:RecallLot.
	ProvenanceRecallLot = submit[RecallLotRequest, provenance.ProductLot]("provenance", "RecallLot", "/v1/provenance/recalls",
		"Recall a lot of a product your organisation owns")
	// ProvenanceTrace is provenance:Trace.
	ProvenanceTrace = evaluate[TraceRequest, provenance.LotTrace]("provenance", "Trace", "/v1/provenance/lots/{gtin}/{lot}/trace",
		"A lot's upstream and downstream lots and a page of the items of it and its downstream lots, with their holders")
	// ProvenanceVerify is provenance:Verify.
	ProvenanceVerify = evaluate[VerifyRequest, provenance.Verification]("provenance", "Verify", "/v1/provenance/verify/{gtin}/{serial}",
		"Whether an item is genuine, with its origin, custody, valid certificates and recalls. Needs no credentials; rate limited per client address", public)
	// ProvenanceHistory is provenance:History.
	ProvenanceHistory = evaluate[HistoryRequest, provenance.ProvenanceHistory]("provenance", "History", "/v1/provenance/history",
		"A page of the versions of a product, lot, item or custody record (kind product, lot, item, lot-custody or item-custody), newest first")
	// ProvenanceGetProduct is provenance:GetProduct.
	ProvenanceGetProduct = evaluate[provenance.GetProductArgs, provenance.Product]("provenance", "GetProduct", "/v1/provenance/products/{gtin}",
		"A product as it stands")
	// ProvenanceGetLot is provenance:GetLot.
	ProvenanceGetLot = evaluate[provenance.GetLotArgs, provenance.ProductLot]("provenance", "GetLot", "/v1/provenance/lots/{gtin}/{lot}",
		"A lot as it stands: its quantity, holder and recall")
	// ProvenanceGetItem is provenance:GetItem.
	ProvenanceGetItem = evaluate[provenance.GetItemArgs, provenance.SerialItem]("provenance", "GetItem", "/v1/provenance/items/{gtin}/{serial}",
		"A serialised item as it stands")
)

type provenanceOver struct{ t Transport }

func (o provenanceOver) RegisterProduct(ctx context.Context, req RegisterProductRequest) (*Committed[provenance.Product], error) {
	return ProvenanceRegisterProduct.Run(ctx, o.t, req)
}

func (o provenanceOver) RegisterLot(ctx context.Context, req RegisterLotRequest) (*Committed[provenance.ProductLot], error) {
	return ProvenanceRegisterLot.Run(ctx, o.t, req)
}

func (o provenanceOver) RegisterItems(ctx context.Context, req RegisterItemsRequest) (*Committed[provenance.ItemsRegistered], error) {
	return ProvenanceRegisterItems.Run(ctx, o.t, req)
}

func (o provenanceOver) OfferCustody(ctx context.Context, req OfferCustodyRequest) (*Committed[provenance.Custody], error) {
	return ProvenanceOfferCustody.Run(ctx, o.t, req)
}

func (o provenanceOver) AcceptCustody(ctx context.Context, req CustodyRequest) (*Committed[provenance.Custody], error) {
	return ProvenanceAcceptCustody.Run(ctx, o.t, req)
}

func (o provenanceOver) RejectCustody(ctx context.Context, req RejectCustodyRequest) (*Committed[provenance.Custody], error) {
	return ProvenanceRejectCustody.Run(ctx, o.t, req)
}

func (o provenanceOver) WithdrawCustodyOffer(ctx context.Context, req CustodyRequest) (*Committed[provenance.Custody], error) {
	return ProvenanceWithdrawCustodyOffer.Run(ctx, o.t, req)
}

func (o provenanceOver) IssueCertificate(ctx context.Context, req IssueCertificateRequest) (*Committed[provenance.Certificate], error) {
	return ProvenanceIssueCertificate.Run(ctx, o.t, req)
}

func (o provenanceOver) RevokeCertificate(ctx context.Context, req RevokeCertificateRequest) (*Committed[provenance.Certificate], error) {
	return ProvenanceRevokeCertificate.Run(ctx, o.t, req)
}

func (o provenanceOver) RecallLot(ctx context.Context, req RecallLotRequest) (*Committed[provenance.ProductLot], error) {
	return ProvenanceRecallLot.Run(ctx, o.t, req)
}

func (o provenanceOver) Trace(ctx context.Context, req TraceRequest) (*provenance.LotTrace, error) {
	return ProvenanceTrace.Query(ctx, o.t, req)
}

func (o provenanceOver) Verify(ctx context.Context, req VerifyRequest) (*provenance.Verification, error) {
	return ProvenanceVerify.Query(ctx, o.t, req)
}

func (o provenanceOver) History(ctx context.Context, req HistoryRequest) (*provenance.ProvenanceHistory, error) {
	return ProvenanceHistory.Query(ctx, o.t, req)
}

func (o provenanceOver) GetProduct(ctx context.Context, req provenance.GetProductArgs) (*provenance.Product, error) {
	return ProvenanceGetProduct.Query(ctx, o.t, req)
}

func (o provenanceOver) GetLot(ctx context.Context, req provenance.GetLotArgs) (*provenance.ProductLot, error) {
	return ProvenanceGetLot.Query(ctx, o.t, req)
}

func (o provenanceOver) GetItem(ctx context.Context, req provenance.GetItemArgs) (*provenance.SerialItem, error) {
	return ProvenanceGetItem.Query(ctx, o.t, req)
}
