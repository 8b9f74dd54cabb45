package provenance

import (
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
)

// The kinds of subject custody, certificates and history apply to.
const (
	// KindProduct is a product, identified by its GTIN.
	KindProduct = "product"
	// KindLot is a batch/lot of a product: GTIN + lot number.
	KindLot = "lot"
	// KindItem is a serialised unit of a product: GTIN + serial number.
	KindItem = "item"
	// KindLotCustody is the custody record of a lot, for History.
	KindLotCustody = "lot-custody"
	// KindItemCustody is the custody record of an item, for History.
	KindItemCustody = "item-custody"
)

// Product is a registered product. The registering brand owns it.
type Product struct {
	// GTIN is the 14-digit GTIN.
	GTIN string `json:"gtin"`
	// Name is the product's name.
	Name string `json:"name"`
	// Owner is the MSP ID of the brand that registered the product.
	Owner string `json:"owner"`
	// Attributes are descriptive master data (variety, net content, ...).
	Attributes map[string]string `json:"attributes,omitempty" metadata:",optional"`
	// Registered is the registration time.
	Registered time.Time `json:"registered"`
	// RegisteredTx is the registering transaction.
	RegisteredTx string `json:"registeredTx"`
}

// LotRef names a lot.
type LotRef struct {
	// GTIN is the 14-digit GTIN of the lot's product.
	GTIN string `json:"gtin"`
	// Lot is the lot number.
	Lot string `json:"lot"`
}

// ProductLot is a registered batch/lot of a product.
type ProductLot struct {
	// GTIN is the 14-digit GTIN of the product.
	GTIN string `json:"gtin"`
	// Lot is the lot number.
	Lot string `json:"lot"`
	// Owner is the MSP ID of the brand owning the product.
	Owner string `json:"owner"`
	// Quantity is how much the lot holds, in Unit.
	Quantity int64 `json:"quantity"`
	// Unit is the unit of Quantity ("kg"); empty means pieces.
	Unit string `json:"unit,omitempty" metadata:",optional"`
	// Attributes are descriptive data (harvest date, farm, roast profile).
	Attributes map[string]string `json:"attributes,omitempty" metadata:",optional"`
	// Inputs are the lots this lot was made from (transformation or
	// aggregation), in registration order.
	Inputs []LotRef `json:"inputs,omitempty" metadata:",optional"`
	// Recall is set once the owner recalls the lot.
	Recall *LotRecall `json:"recall,omitempty" metadata:",optional"`
	// Registered is the registration time.
	Registered time.Time `json:"registered"`
	// RegisteredTx is the registering transaction.
	RegisteredTx string `json:"registeredTx"`
}

// LotRecall records a recall.
type LotRecall struct {
	// Reason says why, for the public: no personal data.
	Reason string `json:"reason"`
	// At is the recall time.
	At time.Time `json:"at"`
	// TxID is the recalling transaction.
	TxID string `json:"txId"`
}

// SerialItem is a registered serialised unit: its (GTIN, serial) is an SGTIN.
type SerialItem struct {
	// GTIN is the 14-digit GTIN.
	GTIN string `json:"gtin"`
	// Serial is the serial number.
	Serial string `json:"serial"`
	// Lot is the lot number of the lot the item belongs to.
	Lot string `json:"lot"`
	// Owner is the MSP ID of the brand owning the product.
	Owner string `json:"owner"`
	// Registered is the registration time.
	Registered time.Time `json:"registered"`
	// RegisteredTx is the registering transaction.
	RegisteredTx string `json:"registeredTx"`
}

// Custody is who holds a lot or an item, and any handover under way.
type Custody struct {
	// Kind is "lot" or "item".
	Kind string `json:"kind"`
	// GTIN is the 14-digit GTIN.
	GTIN string `json:"gtin"`
	// Lot is the lot number (of the item's lot for an item).
	Lot string `json:"lot"`
	// Serial is the item's serial number; empty for a lot.
	Serial string `json:"serial,omitempty" metadata:",optional"`
	// Holder is an MSP ID (any client of that organisation acts for it) or
	// an account "<MSP ID>/<name>" (only that identity acts for it).
	Holder string `json:"holder"`
	// Location is where the holder took custody.
	Location string `json:"location,omitempty" metadata:",optional"`
	// Since is when the holder took custody.
	Since time.Time `json:"since"`
	// SinceTx is the transaction that gave the holder custody.
	SinceTx string `json:"sinceTx"`
	// Offer is the pending handover, if any.
	Offer *CustodyOffer `json:"offer,omitempty" metadata:",optional"`
	// PackedInto is the container (an SSCC or another identifier, as a GS1 Digital Link
	// URI) the lot or item is packed into, if any: recorded by an EPCIS aggregation.
	PackedInto string `json:"packedInto,omitempty" metadata:",optional"`
	// Delivery is set only in the result of AcceptCustody, when an order
	// names the lot or item as (part of) its shipment: what the acceptance
	// did to that order.
	Delivery *Delivery `json:"delivery,omitempty" metadata:",optional"`
}

// Delivery is what a custody acceptance did to the order that names the
// accepted lot or item as its shipment (see the orders contract): the
// customer's acceptance of the whole shipment from the order's carrier
// delivers the order and releases its escrow to the merchant in the same
// transaction; any other acceptance releases nothing and says why.
type Delivery struct {
	// Order is the order naming the shipment. It is left out when the
	// receiver is not the order's customer and may not read the order.
	Order string `json:"order,omitempty" metadata:",optional"`
	// Released is true when this acceptance delivered the order.
	Released bool `json:"released"`
	// Amount and Currency are what was released to the merchant.
	Amount   ledgertypes.Amount `json:"amount,omitempty" metadata:",optional"`
	Currency string             `json:"currency,omitempty" metadata:",optional"`
	// Reason says why nothing was released.
	Reason string `json:"reason,omitempty" metadata:",optional"`
}

// CustodyOffer is a handover the holder offered and the receiver has not
// yet accepted or rejected.
type CustodyOffer struct {
	// To is the receiver: an MSP ID or an account.
	To string `json:"to"`
	// Location is where the handover takes place.
	Location string `json:"location"`
	// At is when the offer was made.
	At time.Time `json:"at"`
	// TxID is the offering transaction.
	TxID string `json:"txId"`
}

// CustodyStep is one holder in a custody chain.
type CustodyStep struct {
	// Holder is the MSP ID or account that held the goods.
	Holder string `json:"holder"`
	// Location is where it took custody.
	Location string `json:"location,omitempty" metadata:",optional"`
	// Since is when it took custody.
	Since time.Time `json:"since"`
	// TxID is the transaction that gave it custody.
	TxID string `json:"txId"`
}

// CertificateSubject is what a certificate is about.
type CertificateSubject struct {
	// Kind is "product", "lot" or "item".
	Kind string `json:"kind"`
	// GTIN is the 14-digit GTIN.
	GTIN string `json:"gtin"`
	// Lot is the lot number, for a lot.
	Lot string `json:"lot,omitempty" metadata:",optional"`
	// Serial is the serial number, for an item.
	Serial string `json:"serial,omitempty" metadata:",optional"`
}

// Certificate is an attestation about a product, lot or item by an
// organisation, such as an organic or a conformity certificate. The
// document itself stays off chain; the ledger holds its SHA-256.
type Certificate struct {
	// ID identifies the certificate within its subject.
	ID string `json:"id"`
	// Subject is what the certificate is about.
	Subject CertificateSubject `json:"subject"`
	// Issuer is the MSP ID of the issuing organisation.
	Issuer string `json:"issuer"`
	// Type is the kind of certificate ("organic", "ce-conformity").
	Type string `json:"type"`
	// Hash is the lower-case hex SHA-256 of the document.
	Hash string `json:"hash"`
	// ValidFrom and ValidUntil bound the validity: from ValidFrom
	// inclusive to ValidUntil exclusive.
	ValidFrom  time.Time `json:"validFrom"`
	ValidUntil time.Time `json:"validUntil"`
	// Issued is when the certificate was recorded.
	Issued time.Time `json:"issued"`
	// IssuedTx is the recording transaction.
	IssuedTx string `json:"issuedTx"`
	// Revocation is set once the issuer revokes the certificate.
	Revocation *CertificateRevocation `json:"revocation,omitempty" metadata:",optional"`
}

// ValidAt reports whether the certificate is in force at t: not revoked and
// t within [ValidFrom, ValidUntil).
func (c Certificate) ValidAt(t time.Time) bool {
	return c.Revocation == nil && !t.Before(c.ValidFrom) && t.Before(c.ValidUntil)
}

// CertificateRevocation records a revocation.
type CertificateRevocation struct {
	// Reason says why.
	Reason string `json:"reason"`
	// At is the revocation time.
	At time.Time `json:"at"`
	// TxID is the revoking transaction.
	TxID string `json:"txId"`
}

// ItemsRegistered is the result of RegisterItems.
type ItemsRegistered struct {
	// GTIN is the 14-digit GTIN.
	GTIN string `json:"gtin"`
	// Lot is the lot number.
	Lot string `json:"lot"`
	// Holder is the holder the items start with: the lot's holder.
	Holder string `json:"holder"`
	// Serials are the registered serial numbers, in request order.
	Serials []string `json:"serials"`
}

// LotTrace is the result of Trace: a lot, the lots upstream of it (what it
// was made from), the lots downstream (what was made from it) and one page
// of the items of the lot and of every downstream lot, with the current
// holder of each.
type LotTrace struct {
	// Lot is the traced lot.
	Lot TraceLot `json:"lot"`
	// Upstream are the input lots, recursively, nearest first.
	Upstream []TraceLot `json:"upstream"`
	// Downstream are the lots made from the traced lot, recursively,
	// nearest first.
	Downstream []TraceLot `json:"downstream"`
	// Items is one page of the items of Lot and of Downstream, lot by lot in
	// that order, each lot's items by serial number.
	Items []TraceItem `json:"items"`
	// Bookmark fetches the next page of items; empty after the last page.
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// TraceLot is a lot in a trace.
type TraceLot struct {
	// GTIN is the 14-digit GTIN.
	GTIN string `json:"gtin"`
	// Lot is the lot number.
	Lot string `json:"lot"`
	// Owner is the MSP ID of the brand owning the product.
	Owner string `json:"owner"`
	// Quantity and Unit are the lot's size.
	Quantity int64  `json:"quantity"`
	Unit     string `json:"unit,omitempty" metadata:",optional"`
	// Inputs are the lot's own inputs: the edges of the graph.
	Inputs []LotRef `json:"inputs,omitempty" metadata:",optional"`
	// Depth is the distance from the traced lot: 0 for the lot itself.
	Depth int `json:"depth"`
	// Holder is the current holder.
	Holder string `json:"holder"`
	// OfferedTo is the receiver of a pending handover, if any.
	OfferedTo string `json:"offeredTo,omitempty" metadata:",optional"`
	// PackedInto is the container the lot is packed into, if any.
	PackedInto string `json:"packedInto,omitempty" metadata:",optional"`
	// Recall is set if the lot is recalled.
	Recall *LotRecall `json:"recall,omitempty" metadata:",optional"`
}

// TraceItem is an item in a trace.
type TraceItem struct {
	// GTIN, Lot and Serial identify the item.
	GTIN   string `json:"gtin"`
	Lot    string `json:"lot"`
	Serial string `json:"serial"`
	// Holder is the current holder.
	Holder string `json:"holder"`
	// OfferedTo is the receiver of a pending handover, if any.
	OfferedTo string `json:"offeredTo,omitempty" metadata:",optional"`
	// PackedInto is the container the item is packed into, if any.
	PackedInto string `json:"packedInto,omitempty" metadata:",optional"`
}

// Verification is the result of Verify: whether an item is genuine and
// everything a customer or partner checks about it. For an unknown item,
// only Genuine (false), GTIN, Serial and CheckedAt are set.
type Verification struct {
	// Genuine is true when the brand registered this (GTIN, serial).
	Genuine bool `json:"genuine"`
	// GTIN is the 14-digit GTIN asked about.
	GTIN string `json:"gtin"`
	// Serial is the serial number asked about.
	Serial string `json:"serial"`
	// CheckedAt is the transaction time certificates were checked against.
	CheckedAt time.Time `json:"checkedAt"`
	// Product is the product, the origin brand being its Owner.
	Product *Product `json:"product,omitempty" metadata:",optional"`
	// Lot is the item's lot.
	Lot *ProductLot `json:"lot,omitempty" metadata:",optional"`
	// Custody is the item's current custody.
	Custody *Custody `json:"custody,omitempty" metadata:",optional"`
	// ItemCustody is the item's custody chain, oldest first (the latest
	// 100 records at most).
	ItemCustody []CustodyStep `json:"itemCustody,omitempty" metadata:",optional"`
	// LotCustody is the custody chain of the item's lot, oldest first (the
	// latest 100 records at most).
	LotCustody []CustodyStep `json:"lotCustody,omitempty" metadata:",optional"`
	// Upstream are the lots the item's lot was made from, recursively.
	Upstream []TraceLot `json:"upstream,omitempty" metadata:",optional"`
	// Certificates are those valid at CheckedAt for the product, the lot,
	// the item and the upstream lots.
	Certificates []Certificate `json:"certificates,omitempty" metadata:",optional"`
	// Recalled is true when the item's lot or any upstream lot is recalled.
	Recalled bool `json:"recalled"`
	// Recalls are those recalls.
	Recalls []RecallNotice `json:"recalls,omitempty" metadata:",optional"`
}

// RecallNotice is a recall affecting a verified item.
type RecallNotice struct {
	// GTIN and Lot name the recalled lot.
	GTIN string `json:"gtin"`
	Lot  string `json:"lot"`
	// Reason and At describe the recall.
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// ProvenanceHistory is one page of the versions of a record, newest first.
type ProvenanceHistory struct {
	// Versions are the versions on this page.
	Versions []ProvenanceVersion `json:"versions"`
	// Bookmark fetches the next page; empty after the last page.
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// ProvenanceVersion is one version of a record; exactly one of Product,
// Lot, Item and Custody is set, unless the version is a deletion.
type ProvenanceVersion struct {
	// TxID is the transaction that wrote the version.
	TxID string `json:"txId"`
	// Time is that transaction's time.
	Time time.Time `json:"time"`
	// IsDelete is true when the transaction deleted the record.
	IsDelete bool `json:"isDelete"`
	// Product, Lot, Item or Custody is the record as written.
	Product *Product    `json:"product,omitempty" metadata:",optional"`
	Lot     *ProductLot `json:"lot,omitempty" metadata:",optional"`
	Item    *SerialItem `json:"item,omitempty" metadata:",optional"`
	Custody *Custody    `json:"custody,omitempty" metadata:",optional"`
}
