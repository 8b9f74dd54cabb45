// Package epcis holds the wire types of the epcis contract: GS1 EPCIS 2.0 events captured on
// the ledger under their CBV event hash, and the query by the standard's parameters. It has
// no Fabric dependency, so clients use the same types.
//
// Who reads an event: the organisation that captured it and auditors (ledger.RequireReader
// with the capturer as the one party). Sources and destinations of an event give no
// access, not even a PartyURI naming a member (which receives custody from a shipping
// event): a partner reads what it captured itself.
package epcis

import (
	"encoding/json"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gs1/epcis"
)

// Name is the contract's name.
const Name = "epcis"

// MaxCaptureBytes is the largest capture argument, in bytes.
const MaxCaptureBytes = 4 << 20

// CaptureArgs is one capture: the events of a document and the prefixes its @context
// declares, all recorded in one transaction.
type CaptureArgs struct {
	// Namespaces are the JSON-LD prefixes of the document's @context.
	Namespaces map[string]string `json:"namespaces,omitempty"`
	// Events are the event objects as the document holds them.
	Events []json.RawMessage `json:"events"`
	// Proceed records the valid events when some are not (GS1-Capture-Error-Behaviour:
	// proceed); without it one invalid event fails the whole capture.
	Proceed bool `json:"proceed,omitempty"`
}

// Validate checks the shape; each event is validated by the contract.
func (a *CaptureArgs) Validate() error {
	if len(a.Events) == 0 {
		return cxlerr.Errorf(cxlerr.Invalid, "events: at least one")
	}
	if len(a.Events) > epcis.DefaultLimits.MaxEvents {
		return cxlerr.Errorf(cxlerr.TooLarge, "events: %d, at most %d per capture", len(a.Events), epcis.DefaultLimits.MaxEvents)
	}
	return epcis.Namespaces(a.Namespaces).Validate()
}

// CaptureResult says what a capture recorded.
type CaptureResult struct {
	// Captured are the hashes of the events recorded by this capture, in document order.
	Captured []string `json:"captured"`
	// Duplicates are the hashes of events already on the ledger, recorded once.
	Duplicates []string `json:"duplicates,omitempty"`
	// Declared are the hashes of events an error declaration of this capture declared erroneous.
	Declared []string `json:"declared,omitempty"`
	// Rejected are the events left out under proceed, with why.
	Rejected []Rejection `json:"rejected,omitempty"`
	// Mapped are the events of this capture that also became provenance records, in
	// document order; every other captured event is kept whole only.
	Mapped []Mapped `json:"mapped,omitempty"`
	// Deliveries say what each captured event did to an order: a receiving event naming
	// an order (proof of delivery) or a custody acceptance of an order's shipment, in
	// document order, whether it released the escrow or not and why.
	Deliveries []Delivery `json:"deliveries,omitempty"`
}

// Delivery is what one captured event did to an order.
type Delivery struct {
	// Index is the event's position in the capture; Hash its CBV event hash.
	Index int    `json:"index"`
	Hash  string `json:"hash"`
	// Order is the order; it is left out when the capturer may not read the order the
	// event names (or there is no such order).
	Order string `json:"order,omitempty"`
	// Released is true when this event delivered the order and released its escrow to the
	// merchant; Amount and Currency are what was released.
	Released bool               `json:"released"`
	Amount   ledgertypes.Amount `json:"amount,omitempty"`
	Currency string             `json:"currency,omitempty"`
	// Reason says why nothing was released.
	Reason string `json:"reason,omitempty"`
	// Related is what the orders contract's delivery hooks returned (the loyalty points the
	// delivery earned); only the capture's chaincode event carries it, as the custody event
	// carries an acceptance's.
	Related any `json:"related,omitempty"`
}

// Mapped is what one captured event became in the provenance contract besides itself.
type Mapped struct {
	// Index is the event's position in the capture; Hash its CBV event hash.
	Index int    `json:"index"`
	Hash  string `json:"hash"`
	// Records are what it became: "items:N" (N serialised items registered, as
	// RegisterItems does) and "lineage" (an output lot registered with its input lots, as
	// RegisterLot does, or found registered with exactly those inputs), one per product or
	// output lot; "custody-offered:N" (a shipping event offered custody of N lots and
	// items, as OfferCustody does), "custody-accepted:N" (a receiving event accepted N
	// offers made to the capturer's organisation, as AcceptCustody does), "packed:N" and
	// "unpacked:N" (an aggregation packed N lots and items into its parent, or unpacked
	// them).
	Records []string `json:"records"`
}

// Rejection is an event a capture with proceed left out.
type Rejection struct {
	Index   int    `json:"index"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// StoredEvent is an event as the ledger keeps it.
type StoredEvent struct {
	// Hash is the CBV event hash.
	Hash string `json:"hash"`
	// Type and EventTime repeat the event's.
	Type      string    `json:"type"`
	EventTime time.Time `json:"eventTime"`
	// Capturer is the organisation that captured it; CapturedBy the identity.
	Capturer   string `json:"capturer"`
	CapturedBy string `json:"capturedBy"`
	// RecordTime is the capturing transaction's time; TxID its ID.
	RecordTime time.Time `json:"recordTime"`
	TxID       string    `json:"txId"`
	// Event is the event as captured.
	Event json.RawMessage `json:"event"`
	// Namespaces are the prefixes of the capture's @context the event was read with.
	Namespaces map[string]string `json:"namespaces,omitempty"`
	// ErrorDeclaration is the declaration that the event is erroneous, if one was captured;
	// the event itself stays as it was.
	ErrorDeclaration *Declaration `json:"errorDeclaration,omitempty"`
}

// Declaration is an error declaration captured about an event.
type Declaration struct {
	epcis.ErrorDeclaration
	// Declarer is the organisation that captured the declaration; TxID its transaction.
	Declarer string          `json:"declarer"`
	TxID     string          `json:"txId"`
	Event    json.RawMessage `json:"event"`
}

// QueryArgs are the query parameters of the EPCIS REST binding that the ledger indexes.
type QueryArgs struct {
	// EQBizStep ... BizTransaction are the EPCIS query parameters of the same names;
	// BizTransactionType and BizTransaction together are EQ_bizTransaction_<type>.
	EQBizStep          string    `json:"EQ_bizStep,omitempty"`
	EQDisposition      string    `json:"EQ_disposition,omitempty"`
	MatchEPC           string    `json:"MATCH_epc,omitempty"`
	MatchParentID      string    `json:"MATCH_parentID,omitempty"`
	MatchInputEPC      string    `json:"MATCH_inputEPC,omitempty"`
	MatchOutputEPC     string    `json:"MATCH_outputEPC,omitempty"`
	MatchAnyEPC        string    `json:"MATCH_anyEPC,omitempty"`
	GEEventTime        time.Time `json:"GE_eventTime,omitempty"`
	LTEventTime        time.Time `json:"LT_eventTime,omitempty"`
	EQBizLocation      string    `json:"EQ_bizLocation,omitempty"`
	BizTransactionType string    `json:"bizTransactionType,omitempty"`
	BizTransaction     string    `json:"bizTransaction,omitempty"`
	// PageSize is the page's size (0: 50, at most 200); Bookmark the previous page's.
	PageSize int    `json:"pageSize,omitempty"`
	Bookmark string `json:"bookmark,omitempty"`
}

// QueryResult is one page of events, oldest first within the index the query used.
type QueryResult struct {
	// Events are the matching events the caller may read; Bookmark asks for the next page,
	// empty after the last.
	Events   []StoredEvent `json:"events"`
	Bookmark string        `json:"bookmark,omitempty"`
}

// The forms in which an EPCIS event names cxledger's parties and orders.
const (
	// PartyPrefix starts the URI that names a member organisation ("urn:cxledger:party:"
	// and its MSP ID) or an account ("urn:cxledger:party:" and "<MSP ID>/<name>") as the
	// owning_party or possessing_party of an event's sourceList or destinationList.
	PartyPrefix = "urn:cxledger:party:"
	// OrderPrefix starts the business transaction identifier that names an order
	// ("urn:cxledger:order:" and its ID) in an event's bizTransactionList, with the type
	// po ("po", "urn:epcglobal:cbv:btt:po" or "https://ref.gs1.org/cbv/BTT-po").
	OrderPrefix = "urn:cxledger:order:"
)

// PartyURI is the URI that names party (an MSP ID or an account) in a source or
// destination list.
func PartyURI(party string) string { return PartyPrefix + party }

// OrderURI is the business transaction identifier of order id.
func OrderURI(id string) string { return OrderPrefix + id }
