package ledgerapi

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
)

// Subject names a product, lot or item: kind "product" (gtin), "lot" (gtin, lot) or "item"
// (gtin, serial); History also takes "lot-custody" and "item-custody". It is the contract's
// own CertificateSubject.
type Subject = provenance.CertificateSubject

// validateSubject checks a subject's kind against kinds and that it has the fields of its
// kind, with the contract's own GTIN, lot and serial rules.
func validateSubject(prefix string, s Subject, kinds ...string) error {
	ok := false
	for _, k := range kinds {
		ok = ok || s.Kind == k
	}
	if !ok {
		return cxlerr.Errorf(cxlerr.Invalid, "%skind: %q is not one of %s", prefix, s.Kind, strings.Join(kinds, ", "))
	}
	if _, err := provenance.NormalizeGTIN(prefix+"gtin", s.GTIN); err != nil {
		return err
	}
	switch s.Kind {
	case provenance.KindLot, provenance.KindLotCustody:
		if s.Serial != "" {
			return cxlerr.Errorf(cxlerr.Invalid, "%sserial: not used for kind %s", prefix, s.Kind)
		}
		return provenance.ValidateLotNumber(prefix+"lot", s.Lot)
	case provenance.KindItem, provenance.KindItemCustody:
		if s.Lot != "" {
			return cxlerr.Errorf(cxlerr.Invalid, "%slot: not used for kind %s (the serial names the item)", prefix, s.Kind)
		}
		return provenance.ValidateSerial(prefix+"serial", s.Serial)
	}
	if s.Lot != "" || s.Serial != "" {
		return cxlerr.Errorf(cxlerr.Invalid, "%slot and %sserial: not used for kind %s", prefix, prefix, s.Kind)
	}
	return nil
}

// validateLot checks a GTIN and a lot number.
func validateLot(gtin, lot string) error {
	if _, err := provenance.NormalizeGTIN("gtin", gtin); err != nil {
		return err
	}
	return provenance.ValidateLotNumber("lot", lot)
}

// RegisterProductRequest registers a product (caller: an organisation with the brand role).
type RegisterProductRequest struct {
	GTIN       string            `json:"gtin"`
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Validate checks the GTIN and the name.
func (r RegisterProductRequest) Validate() error {
	if _, err := provenance.NormalizeGTIN("gtin", r.GTIN); err != nil {
		return err
	}
	return ledger.ValidateText("name", r.Name, 200)
}

// RegisterLotRequest registers a lot of a product the caller owns, optionally made from
// input lots it holds.
type RegisterLotRequest struct {
	GTIN       string              `json:"gtin"`
	Lot        string              `json:"lot"`
	Quantity   int64               `json:"quantity"`
	Unit       string              `json:"unit,omitempty"`
	Attributes map[string]string   `json:"attributes,omitempty"`
	Inputs     []provenance.LotRef `json:"inputs,omitempty"`
	Location   string              `json:"location,omitempty"`
}

// Validate checks the lot, the quantity and the inputs.
func (r RegisterLotRequest) Validate() error {
	if err := validateLot(r.GTIN, r.Lot); err != nil {
		return err
	}
	if r.Quantity <= 0 {
		return cxlerr.Errorf(cxlerr.Invalid, "quantity: must be positive, got %d", r.Quantity)
	}
	for i, in := range r.Inputs {
		if _, err := provenance.NormalizeGTIN(fmt.Sprintf("inputs[%d].gtin", i), in.GTIN); err != nil {
			return err
		}
		if err := provenance.ValidateLotNumber(fmt.Sprintf("inputs[%d].lot", i), in.Lot); err != nil {
			return err
		}
	}
	return nil
}

// RegisterItemsRequest serialises up to 500 items of a lot the caller owns and holds.
type RegisterItemsRequest struct {
	GTIN    string   `json:"gtin"`
	Lot     string   `json:"lot"`
	Serials []string `json:"serials"`
}

// Validate checks the lot and every serial number.
func (r RegisterItemsRequest) Validate() error {
	if err := validateLot(r.GTIN, r.Lot); err != nil {
		return err
	}
	if len(r.Serials) == 0 || len(r.Serials) > 500 {
		return cxlerr.Errorf(cxlerr.Invalid, "serials: want 1 to 500 serial numbers, got %d", len(r.Serials))
	}
	for i, s := range r.Serials {
		if err := provenance.ValidateSerial(fmt.Sprintf("serials[%d]", i), s); err != nil {
			return err
		}
	}
	return nil
}

// CustodyRequest names the lot or item of a custody step: kind "lot" (gtin, lot) or "item"
// (gtin, serial). It is the request of AcceptCustody and WithdrawCustodyOffer.
type CustodyRequest struct {
	Subject
}

// Validate checks the subject.
func (r CustodyRequest) Validate() error {
	return validateSubject("", r.Subject, provenance.KindLot, provenance.KindItem)
}

// OfferCustodyRequest offers custody of a lot or item to an organisation ("Org2MSP") or an
// account ("Org2MSP/driver7").
type OfferCustodyRequest struct {
	Subject
	To       string `json:"to"`
	Location string `json:"location"`
}

// Validate checks the subject and the receiver.
func (r OfferCustodyRequest) Validate() error {
	if err := validateSubject("", r.Subject, provenance.KindLot, provenance.KindItem); err != nil {
		return err
	}
	if strings.Contains(r.To, "/") {
		return ledger.ValidateAccount("to", r.To)
	}
	return ledger.ValidateMSP("to", r.To)
}

// RejectCustodyRequest declines custody offered to the caller.
type RejectCustodyRequest struct {
	Subject
	Reason string `json:"reason,omitempty"`
}

// Validate checks the subject.
func (r RejectCustodyRequest) Validate() error {
	return validateSubject("", r.Subject, provenance.KindLot, provenance.KindItem)
}

// IssueCertificateRequest records a certificate (its document's SHA-256) about a product,
// lot or item.
type IssueCertificateRequest struct {
	Subject    Subject   `json:"subject"`
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Hash       string    `json:"hash"`
	ValidFrom  time.Time `json:"validFrom"`
	ValidUntil time.Time `json:"validUntil"`
}

// Validate checks the subject, the ID and the validity window.
func (r IssueCertificateRequest) Validate() error {
	if err := validateSubject("subject.", r.Subject, provenance.KindProduct, provenance.KindLot, provenance.KindItem); err != nil {
		return err
	}
	if err := ledger.ValidateID("id", r.ID); err != nil {
		return err
	}
	if r.ValidFrom.IsZero() || r.ValidUntil.IsZero() || !r.ValidFrom.Before(r.ValidUntil) {
		return cxlerr.Errorf(cxlerr.Invalid, "validFrom and validUntil: both required (RFC 3339), validFrom first")
	}
	return nil
}

// RevokeCertificateRequest revokes a certificate the caller's organisation issued.
type RevokeCertificateRequest struct {
	Subject Subject `json:"subject"`
	ID      string  `json:"id"`
	Reason  string  `json:"reason"`
}

// Validate checks the subject and the ID.
func (r RevokeCertificateRequest) Validate() error {
	if err := validateSubject("subject.", r.Subject, provenance.KindProduct, provenance.KindLot, provenance.KindItem); err != nil {
		return err
	}
	return ledger.ValidateID("id", r.ID)
}

// RecallLotRequest recalls a lot of a product the caller's organisation owns.
type RecallLotRequest struct {
	GTIN   string `json:"gtin"`
	Lot    string `json:"lot"`
	Reason string `json:"reason"`
}

// Validate checks the lot and that a reason is given.
func (r RecallLotRequest) Validate() error {
	if err := validateLot(r.GTIN, r.Lot); err != nil {
		return err
	}
	return ledger.ValidateText("reason", r.Reason, 512)
}

// TraceRequest asks for a lot's graph and a page of its items.
type TraceRequest struct {
	GTIN     string `json:"gtin"`
	Lot      string `json:"lot"`
	PageSize int    `json:"pageSize,omitempty"`
	Bookmark string `json:"bookmark,omitempty"`
}

// Validate checks the lot.
func (r TraceRequest) Validate() error { return validateLot(r.GTIN, r.Lot) }

// VerifyRequest asks whether a serialised item is genuine.
type VerifyRequest struct {
	GTIN   string `json:"gtin"`
	Serial string `json:"serial"`
}

// Validate checks the GTIN and the serial number.
func (r VerifyRequest) Validate() error {
	if _, err := provenance.NormalizeGTIN("gtin", r.GTIN); err != nil {
		return err
	}
	return provenance.ValidateSerial("serial", r.Serial)
}

// HistoryRequest asks for a page of the versions of a record.
type HistoryRequest struct {
	Subject
	PageSize int    `json:"pageSize,omitempty"`
	Bookmark string `json:"bookmark,omitempty"`
}

// Validate checks the subject.
func (r HistoryRequest) Validate() error {
	return validateSubject("", r.Subject, provenance.KindProduct, provenance.KindLot, provenance.KindItem,
		provenance.KindLotCustody, provenance.KindItemCustody)
}

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
