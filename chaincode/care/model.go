package care

import "time"

// Ticket states. A ticket is active (in the merchant's court, with SLA
// clocks running) while open, assigned, responded or reopened.
const (
	// StateOpen: the customer opened the ticket; nobody is assigned yet.
	StateOpen = "open"
	// StateAssigned: the merchant assigned an agent.
	StateAssigned = "assigned"
	// StateResponded: the merchant responded at least once.
	StateResponded = "responded"
	// StateResolved: the merchant resolved the ticket; the customer confirms
	// or reopens it.
	StateResolved = "resolved"
	// StateReopened: the customer reopened a resolved ticket; a new
	// resolution deadline runs.
	StateReopened = "reopened"
	// StateClosed: the customer confirmed the resolution. Final.
	StateClosed = "closed"
)

// Ticket step actions, as recorded in TicketStep.Action.
const (
	ActionOpened    = "opened"
	ActionAssigned  = "assigned"
	ActionResponded = "responded"
	ActionResolved  = "resolved"
	ActionReopened  = "reopened"
	ActionConfirmed = "confirmed"
	ActionErased    = "erased"
)

// SLA breach kinds.
const (
	// BreachFirstResponse: the merchant did not respond (or resolve) by the
	// first-response deadline.
	BreachFirstResponse = "first-response"
	// BreachResolution: the merchant did not resolve by the resolution
	// deadline of the ticket's current round.
	BreachResolution = "resolution"
)

// Ticket is the public record of a support ticket. It holds no personal
// data: the customer's contact details and every message live in the
// merchant's private data collection, and the ticket keeps their salted
// hashes. Submit results land in blocks, so this is all a submit returns.
type Ticket struct {
	// ID is the client-chosen ticket ID, unique on the channel.
	ID string `json:"id"`
	// Customer is the account that opened the ticket ("<MSP>/<CN>").
	Customer string `json:"customer"`
	// Merchant is the MSP ID of the merchant the ticket is with.
	Merchant string `json:"merchant"`
	// OrderID is the order the ticket is about, if any.
	OrderID string `json:"orderId,omitempty" metadata:",optional"`
	// Category is one of delivery, product, refund, billing, account, other.
	Category string `json:"category"`
	// Priority is one of low, normal, high, urgent.
	Priority string `json:"priority"`
	// SLA are the merchant's terms for the priority when the ticket was
	// opened; later policy changes do not touch them.
	SLA SLATerms `json:"sla"`
	// State is where the ticket stands (the State constants).
	State string `json:"state"`
	// Agent is the merchant account the ticket is assigned to.
	Agent string `json:"agent,omitempty" metadata:",optional"`
	// Round counts resolution rounds: 1, plus one per reopening.
	Round int `json:"round"`
	// Opened is when the customer opened the ticket.
	Opened time.Time `json:"opened"`
	// FirstResponseDue is the first-response deadline.
	FirstResponseDue time.Time `json:"firstResponseDue"`
	// FirstResponseAt is when the merchant first responded or resolved.
	FirstResponseAt time.Time `json:"firstResponseAt,omitzero" metadata:",optional"`
	// ResolutionDue is the resolution deadline of the current round.
	ResolutionDue time.Time `json:"resolutionDue"`
	// ResolvedAt is when the merchant last resolved the ticket.
	ResolvedAt time.Time `json:"resolvedAt,omitzero" metadata:",optional"`
	// ClosedAt is when the customer confirmed the resolution.
	ClosedAt time.Time `json:"closedAt,omitzero" metadata:",optional"`
	// ContactHash is the salted hash of the contact details the customer
	// handed over when opening the ticket (see SaltedHash).
	ContactHash string `json:"contactHash,omitempty" metadata:",optional"`
	// ContactStored is true while the contact details are in the merchant's
	// collection, false once erased.
	ContactStored bool `json:"contactStored"`
	// MessageSteps are the steps whose message text is still in the
	// merchant's collection, in order; erasure empties it.
	MessageSteps []int `json:"messageSteps"`
	// ErasedAt is when personal data of the ticket was last erased.
	ErasedAt time.Time `json:"erasedAt,omitzero" metadata:",optional"`
	// Key and PublicKey are the merchant's ticket key the personal data is sealed to
	// (see TicketKey); none before the first personal data and after an erasure.
	Key       string `json:"key,omitempty" metadata:",optional"`
	PublicKey string `json:"publicKey,omitempty" metadata:",optional"`
	// Steps is the number of steps recorded; they are numbered from 1.
	Steps int `json:"steps"`
	// Breaches are the SLA breaches recorded, in the order detected.
	Breaches []SLABreach `json:"breaches"`
	// Updated and UpdatedTx are the time and transaction of the last change.
	Updated   time.Time `json:"updated"`
	UpdatedTx string    `json:"updatedTx"`
}

// SLATerms are the deadlines of one priority, as Go durations ("4h0m0s"):
// the first response and the resolution, counted from the opening (the
// resolution of a reopened ticket from the reopening).
type SLATerms struct {
	FirstResponse string `json:"firstResponse"`
	Resolution    string `json:"resolution"`
}

// SLAPolicy is a merchant's SLA terms per priority.
type SLAPolicy struct {
	Merchant string   `json:"merchant"`
	Urgent   SLATerms `json:"urgent"`
	High     SLATerms `json:"high"`
	Normal   SLATerms `json:"normal"`
	Low      SLATerms `json:"low"`
	// Default is true when the merchant has set no policy and these are
	// the defaults (DefaultSLA).
	Default bool `json:"default"`
	// Updated and UpdatedTx are the time and transaction of the last
	// SetSLAPolicy.
	Updated   time.Time `json:"updated,omitzero" metadata:",optional"`
	UpdatedTx string    `json:"updatedTx,omitempty" metadata:",optional"`
}

// TicketStep is one step of a ticket's workflow. Each step is written once,
// under its own key, and never rewritten.
type TicketStep struct {
	// Ticket is the ticket ID.
	Ticket string `json:"ticket"`
	// Seq numbers the step within the ticket, from 1.
	Seq int `json:"seq"`
	// Action is what happened (the Action constants).
	Action string `json:"action"`
	// Actor is the account that took the step.
	Actor string `json:"actor"`
	// Time and Tx are the step's transaction time and ID.
	Time time.Time `json:"time"`
	Tx   string    `json:"tx"`
	// State is the ticket's state after the step.
	State string `json:"state"`
	// Agent is the account assigned, for an assigned step.
	Agent string `json:"agent,omitempty" metadata:",optional"`
	// MessageHash is the salted hash of the step's message, if it had one;
	// the text is in the merchant's collection until erased.
	MessageHash string `json:"messageHash,omitempty" metadata:",optional"`
}

// SLABreach is a missed SLA deadline, detected from transaction time.
type SLABreach struct {
	// Ticket and Merchant identify the ticket.
	Ticket   string `json:"ticket"`
	Merchant string `json:"merchant"`
	// Kind is BreachFirstResponse or BreachResolution.
	Kind string `json:"kind"`
	// Round is the resolution round the deadline belonged to.
	Round int `json:"round"`
	// Priority is the ticket's priority.
	Priority string `json:"priority"`
	// Due is the deadline that was missed.
	Due time.Time `json:"due"`
	// DetectedAt and DetectedTx are the transaction that detected the
	// breach: the first one touching the ticket, or a sweep, after Due.
	// In a query result that only computed the breach they are empty.
	DetectedAt time.Time `json:"detectedAt,omitzero" metadata:",optional"`
	DetectedTx string    `json:"detectedTx,omitempty" metadata:",optional"`
}

// TicketDetail is a ticket with its steps, as GetTicket returns it.
type TicketDetail struct {
	Ticket Ticket `json:"ticket"`
	// Steps are every step, oldest first.
	Steps []TicketStep `json:"steps"`
	// Overdue are breaches due at the query's time that no transaction has
	// recorded yet (the next one touching the ticket, or a sweep, will).
	Overdue []SLABreach `json:"overdue"`
}

// TicketPage is one page of a ticket listing.
type TicketPage struct {
	Tickets []Ticket `json:"tickets"`
	// Next is the bookmark of the next page, "" after the last.
	Next string `json:"next,omitempty" metadata:",optional"`
}

// BreachReport is one page of a merchant's recorded SLA breaches, ordered
// by ticket ID, kind and round.
type BreachReport struct {
	Merchant string      `json:"merchant"`
	Breaches []SLABreach `json:"breaches"`
	// Next is the bookmark of the next page, "" after the last.
	Next string `json:"next,omitempty" metadata:",optional"`
}

// SLASweep is the outcome of SweepSLA.
type SLASweep struct {
	Merchant string `json:"merchant"`
	// Recorded are the breaches this sweep recorded.
	Recorded []SLABreach `json:"recorded"`
	// More is true when the sweep stopped at its limit with deadlines left
	// to check: run it again.
	More bool `json:"more"`
}

// SealedText is one sealed piece of personal data held for a ticket, as
// GetTicketPersonalData returns it: only the merchant's vault opens it.
type SealedText struct {
	// Field is "contact" or "message".
	Field string `json:"field"`
	// Step is the ticket step a message belongs to; 1 for the contact.
	Step int `json:"step"`
	// Key is the ticket key it is sealed to.
	Key string `json:"key"`
	// Envelope is the carecrypt envelope, standard base64.
	Envelope string `json:"envelope"`
	// Hash is the salted hash recorded in public state.
	Hash string `json:"hash"`
}

// SealedPersonalData is what the merchant's collection holds for a ticket, sealed.
type SealedPersonalData struct {
	Ticket   string `json:"ticket"`
	Merchant string `json:"merchant"`
	// Texts are the contact details and messages still stored, by step.
	Texts []SealedText `json:"sealed"`
	// ErasedAt is when personal data of the ticket was last erased.
	ErasedAt time.Time `json:"erasedAt,omitzero" metadata:",optional"`
}

// PersonalText is one piece of personal data held for a ticket, opened by the merchant's
// vault (the gateway service) from a SealedText. It is only ever the answer of a query,
// never in a block, and never leaves the merchant's gateway service but to the merchant's
// members.
type PersonalText struct {
	// Field is "contact" or "message".
	Field string `json:"field"`
	// Step is the ticket step a message belongs to; 1 for the contact.
	Step int `json:"step"`
	// Value is the text.
	Value string `json:"value"`
	// Salt is the salt, base64, so the merchant can let the customer check
	// the hash on the ledger.
	Salt string `json:"salt"`
	// Hash is SaltedHash(salt, value).
	Hash string `json:"hash"`
	// Verified is true when Hash is the hash recorded in public state.
	Verified bool `json:"verified"`
}

// TicketPersonalData is what the merchant's collection holds for a ticket, opened by the
// merchant's vault.
type TicketPersonalData struct {
	Ticket   string `json:"ticket"`
	Merchant string `json:"merchant"`
	// Texts are the contact details and messages still stored, by step.
	Texts []PersonalText `json:"texts"`
	// ErasedAt is when personal data of the ticket was last erased.
	ErasedAt time.Time `json:"erasedAt,omitzero" metadata:",optional"`
}

// Review entry kinds.
const (
	// EntryReview is the first version of a review.
	EntryReview = "review"
	// EntryEdit is a later version of a review.
	EntryEdit = "edit"
	// EntryReply is a reply of the merchant.
	EntryReply = "reply"
)

// Review is the public record of a verified review: its current version and
// the merchant's latest reply. It names the reviewer only by a pseudonym
// specific to the merchant, and not the order it verifies.
type Review struct {
	// ID is the review ID: the ID of the transaction that posted it.
	ID string `json:"id"`
	// Merchant is the MSP ID of the merchant reviewed.
	Merchant string `json:"merchant"`
	// Reviewer is the reviewer's pseudonym at this merchant.
	Reviewer string `json:"reviewer"`
	// Purchase is the state of the verified order when the review was
	// posted: "delivered" or "returned".
	Purchase string `json:"purchase"`
	// Rating (1 to 5) and Text are the current version.
	Rating int    `json:"rating"`
	Text   string `json:"text"`
	// Version counts the reviewer's versions, from 1.
	Version int `json:"version"`
	// Created is when the review was posted, Updated when last edited.
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Reply is the merchant's latest reply, and Replied its time.
	Reply   string    `json:"reply,omitempty" metadata:",optional"`
	Replied time.Time `json:"replied,omitzero" metadata:",optional"`
	// Entries is the number of entries (versions and replies) recorded.
	Entries int `json:"entries"`
}

// ReviewEntry is one version of a review or one reply, written once under
// its own key and never rewritten.
type ReviewEntry struct {
	// Review is the review ID, Seq the entry's number within it, from 1.
	Review string `json:"review"`
	Seq    int    `json:"seq"`
	// Kind is EntryReview, EntryEdit or EntryReply.
	Kind string `json:"kind"`
	// By is the reviewer's pseudonym, or the merchant's MSP ID for a reply.
	By string `json:"by"`
	// Rating is the rating of a version; 0 for a reply.
	Rating int `json:"rating,omitempty" metadata:",optional"`
	// Text is the version's or the reply's text.
	Text string `json:"text"`
	// Time and Tx are the entry's transaction time and ID.
	Time time.Time `json:"time"`
	Tx   string    `json:"tx"`
}

// ReviewDetail is a review with every entry, as GetReview returns it.
type ReviewDetail struct {
	Review  Review        `json:"review"`
	Entries []ReviewEntry `json:"entries"`
}

// ReviewPage is one page of a merchant's reviews.
type ReviewPage struct {
	Reviews []Review `json:"reviews"`
	// Next is the bookmark of the next page, "" after the last.
	Next string `json:"next,omitempty" metadata:",optional"`
}
