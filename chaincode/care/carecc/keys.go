package carecc

import (
	"fmt"
	"time"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/ledger"
)

// seqPart renders a step or entry number as a fixed-width key part, so key
// order is numeric order.
func seqPart(n int) string { return fmt.Sprintf("%04d", n) }

// timePart renders a time as a fixed-width key part, so key order is time
// order.
func timePart(t time.Time) string { return t.UTC().Format("20060102T150405.000000000Z") }

func ticketKey(tx *ledger.Tx, id string) (string, error) {
	return ledger.Key(tx, ticketType, id)
}

func stepKey(tx *ledger.Tx, id string, seq int) (string, error) {
	return ledger.Key(tx, stepType, id, seqPart(seq))
}

func dueKey(tx *ledger.Tx, d deadline) (string, error) {
	return ledger.Key(tx, dueType, d.Merchant, timePart(d.Due), d.Ticket, d.Kind)
}

func breachKey(tx *ledger.Tx, b care.SLABreach) (string, error) {
	return ledger.Key(tx, breachType, b.Merchant, b.Ticket, b.Kind, seqPart(b.Round))
}

func reviewKey(tx *ledger.Tx, id string) (string, error) {
	return ledger.Key(tx, reviewType, id)
}

func entryKey(tx *ledger.Tx, review string, seq int) (string, error) {
	return ledger.Key(tx, entryType, review, seqPart(seq))
}

// Object types of the care key space. Public state:
const (
	ticketType      = "care.ticket"      // (ticket) -> Ticket
	stepType        = "care.step"        // (ticket, seq) -> TicketStep, written once
	merchantTickets = "care.mticket"     // (merchant, ticket) -> {}: a merchant's tickets
	customerTickets = "care.cticket"     // (customer account, ticket) -> {}: a customer's tickets
	dueType         = "care.due"         // (merchant, due, ticket, kind) -> deadline: pending SLA deadlines by time
	breachType      = "care.breach"      // (merchant, ticket, kind, round) -> SLABreach: the breach report
	reviewType      = "care.review"      // (review) -> Review
	entryType       = "care.reventry"    // (review, seq) -> ReviewEntry, written once
	merchantReviews = "care.mreview"     // (merchant, created, review) -> {}: a merchant's reviews by time
	orderReviewType = "care.orderreview" // (order) -> reviewedMarker: one review per order
	saltType        = "care.reviewsalt"  // (merchant) -> pseudonymSalt
	policyType      = "care.slapolicy"   // (merchant) -> SLAPolicy
	ticketKeyType   = "care.ticketkey"   // (merchant, key) -> TicketKey
	keyStatusType   = "care.keystatus"   // (merchant, status, key) -> {}: a merchant's ticket keys by status
)

// Object types in the merchant's private data collection.
const (
	contactType = "care.contact" // (ticket) -> personalRecord
	messageType = "care.message" // (ticket, seq) -> personalRecord
)
