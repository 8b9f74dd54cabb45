package epciscc

import (
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/provenance"
)

// Deliveries lets the orders contract deliver an order inside a capture's transaction when
// its carrier proves the delivery with a receiving event (the orders contract implements
// it; the epcis contract does not import it).
//
// PlanDelivery checks what the receiving event r does to the order it names, reading only
// what was committed before the transaction, and writes nothing. It returns a plan whose
// Delivery says what the event does: Released with Deliver set when the event delivers
// the order, otherwise a Reason and no Deliver. A mismatch is not an error: the event is
// a fact its capturer asserts and is recorded with the reason. A capturer who may not read
// the order learns nothing of it: the plan names no order and its reason is the same
// whether the order exists or not. An error aborts the event (a coded error reaches the
// client as it is, any other becomes INTERNAL).
type Deliveries interface {
	PlanDelivery(tx *ledger.Tx, r Receipt) (*DeliveryPlan, error)
}

// Receipt is what a receiving event says about the order it names: the order as its
// business transaction, where the goods went and what they were.
type Receipt struct {
	// Order is the order ID the event names (the part after epcis.OrderPrefix), as the
	// event wrote it: not checked.
	Order string
	// Parties are the members and accounts the event's destinationList names as
	// owning_party or possessing_party (the part after epcis.PartyPrefix), as written.
	Parties []string
	// Items are the serials of the serialised items the event names (epcList), by GTIN-14.
	Items map[string][]string
	// Lots are the lots the event names (quantityList).
	Lots []provenance.LotRef
	// SSCCs are the logistic units the event names (epcList), 18 digits each: an order's
	// shipment SSCC stands for what the ledger records packed into it.
	SSCCs []string
}

// DeliveryPlan is a delivery checked by the orders contract's rules.
type DeliveryPlan struct {
	// Delivery says what the event does to the order; Amount is set by Deliver.
	Delivery provenance.Delivery
	// Deliver delivers the order, releasing its escrow to the merchant and running the
	// orders contract's delivery hooks, and returns what the hooks returned; nil when the
	// event releases nothing. It must not emit an event.
	Deliver func(tx *ledger.Tx) (related any, err error)
}
