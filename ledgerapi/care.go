package ledgerapi

import (
	"context"
	"crypto/rand"
	"log/slog"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/cxlerr"
)

// redacted is what a Personal prints as.
const redacted = "[personal data]"

// Personal is personal data of a support ticket: a message and, when a ticket is opened,
// the customer's contact details. It reaches the chaincode only as transient data, which
// peers never write to a block: the ledger keeps SaltedHash(Salt, value) and the merchant's
// private collection the text. The gateway service never logs it, keeps only a SHA-256 of
// the request that carried it (the request's idempotency fingerprint, which the random salt
// makes impossible to reverse by guessing the text), and answers the mutation with the
// ticket, which holds only the hashes. Printing or logging a Personal shows no data.
type Personal struct {
	// Salt is 16 to 64 random bytes (base64 in JSON) keying the hashes on the ledger; use
	// NewSalt for each request and keep it to check the hashes later.
	Salt []byte `json:"salt"`
	// Message is a ticket message: 1 to 8192 bytes of text (line breaks allowed).
	Message string `json:"message,omitempty"`
	// Contact is the customer's contact details, when opening a ticket: 1 to 1024 bytes of
	// printable text.
	Contact string `json:"contact,omitempty"`
}

// NewSalt returns 32 random bytes for a Personal's salt.
func NewSalt() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// Transient is the personal data as the care contract's transient keys; nil when there is
// none.
func (p *Personal) Transient() map[string][]byte {
	if p == nil {
		return nil
	}
	t := map[string][]byte{}
	if len(p.Salt) > 0 {
		t[care.TransientSalt] = p.Salt
	}
	if p.Message != "" {
		t[care.TransientMessage] = []byte(p.Message)
	}
	if p.Contact != "" {
		t[care.TransientContact] = []byte(p.Contact)
	}
	if len(t) == 0 {
		return nil
	}
	return t
}

// validatePersonal checks a request's argument and its personal data with the contract's
// own rules for a function that takes the keys in allowed, and that the data holds a
// message when one is required.
func validatePersonal(arg Validator, p *Personal, messageRequired bool, allowed ...string) error {
	if err := arg.Validate(); err != nil {
		return err
	}
	if messageRequired && (p == nil || p.Message == "") {
		return cxlerr.Errorf(cxlerr.Invalid, "personal.message: required")
	}
	return care.ValidatePersonal(p.Transient(), allowed...)
}

// String hides the data: "[personal data]".
func (p Personal) String() string { return redacted }

// GoString hides the data, for %#v.
func (p Personal) GoString() string { return redacted }

// LogValue hides the data from log/slog.
func (p Personal) LogValue() slog.Value { return slog.StringValue(redacted) }

// OpenTicketRequest opens a support ticket for the caller: the contract's argument and the
// first message (required) with, optionally, the contact details.
type OpenTicketRequest struct {
	care.OpenTicketArgs
	// Personal travels as transient data only.
	Personal Personal `json:"personal"`
}

// Validate checks the argument and the personal data with the contract's rules.
func (r OpenTicketRequest) Validate() error {
	return validatePersonal(r.OpenTicketArgs, &r.Personal, true, care.TransientContact, care.TransientMessage)
}

// LogValue logs the argument and hides the personal data.
func (r OpenTicketRequest) LogValue() slog.Value { return logValue(r.OpenTicketArgs, &r.Personal) }

// logValue is a request's argument with its personal data hidden, for log/slog.
func logValue(arg any, p *Personal) slog.Value {
	attrs := []slog.Attr{slog.Any("argument", arg)}
	if p != nil {
		attrs = append(attrs, slog.String("personal", redacted))
	}
	return slog.GroupValue(attrs...)
}

// RespondTicketRequest records the merchant's response to a ticket: the ticket and the
// response's text (required).
type RespondTicketRequest struct {
	care.IDArgs
	// Personal is the response; it travels as transient data only.
	Personal Personal `json:"personal"`
}

// Validate checks the ticket ID and the response with the contract's rules.
func (r RespondTicketRequest) Validate() error {
	return validatePersonal(r.IDArgs, &r.Personal, true, care.TransientMessage)
}

// LogValue logs the argument and hides the personal data.
func (r RespondTicketRequest) LogValue() slog.Value { return logValue(r.IDArgs, &r.Personal) }

// TicketStepRequest takes a step on a ticket with an optional message (ResolveTicket,
// ReopenTicket).
type TicketStepRequest struct {
	care.IDArgs
	// Personal is the optional message; it travels as transient data only.
	Personal *Personal `json:"personal,omitempty"`
}

// Validate checks the ticket ID and the message with the contract's rules.
func (r TicketStepRequest) Validate() error {
	return validatePersonal(r.IDArgs, r.Personal, false, care.TransientMessage)
}

// LogValue logs the argument and hides the personal data.
func (r TicketStepRequest) LogValue() slog.Value { return logValue(r.IDArgs, r.Personal) }

// Requests of the care contract that carry no personal data: the contract's own argument
// types, whose Validate is the check the contract makes.
type (
	// TicketRequest names a ticket (ConfirmTicket, EraseTicketData, GetTicket,
	// GetTicketPersonalData).
	TicketRequest = care.IDArgs
	// ReviewRequest names a review (GetReview).
	ReviewRequest = care.IDArgs
	// AssignTicketRequest assigns a ticket to an agent of the merchant.
	AssignTicketRequest = care.AssignTicketArgs
	// SLAPolicyRequest sets the caller's merchant organisation's SLA terms per priority.
	SLAPolicyRequest = care.SLAPolicyArgs
	// MerchantRequest names a merchant (GetSLAPolicy).
	MerchantRequest = care.MerchantArgs
	// SweepSLARequest records the breaches of a merchant's overdue deadlines.
	SweepSLARequest = care.SweepSLAArgs
	// PostReviewRequest reviews an order the caller bought and received. The seed of the
	// merchant's pseudonym salt, which the contract takes as transient data, is chosen by the
	// adapter: it is random and nobody needs it again.
	PostReviewRequest = care.PostReviewArgs
	// EditReviewRequest appends a new version of the caller's review.
	EditReviewRequest = care.EditReviewArgs
	// ReplyToReviewRequest appends the merchant's reply to a review.
	ReplyToReviewRequest = care.ReplyToReviewArgs
	// ListTicketsRequest asks for a page of a merchant's tickets, or of the caller's own.
	ListTicketsRequest = care.ListTicketsArgs
	// BreachReportRequest asks for a page of a merchant's recorded SLA breaches.
	BreachReportRequest = care.BreachReportArgs
	// ListReviewsRequest asks for a page of a merchant's reviews.
	ListReviewsRequest = care.ListReviewsArgs
)

// Care is the care contract: support tickets with append-only steps and SLA deadlines,
// personal data erasable from the merchant's private collection, and reviews by verified
// buyers under per-merchant pseudonyms. Who may call what is the contract's rule (see the
// care package): the customer opens, reopens and confirms, the merchant's members assign,
// respond and resolve, either erases; tickets are readable by the customer, the merchant,
// auditors and arbiters, personal data only by the merchant's members.
//
// A submission carrying personal data is endorsed by the customer's and the merchant's
// organisations only (one more when they are the same, for the chaincode's majority), as
// the care package requires; the adapter looks the ticket or order up for them.
type Care interface {
	OpenTicket(ctx context.Context, req OpenTicketRequest) (*Committed[care.Ticket], error)
	AssignTicket(ctx context.Context, req AssignTicketRequest) (*Committed[care.Ticket], error)
	RespondTicket(ctx context.Context, req RespondTicketRequest) (*Committed[care.Ticket], error)
	ResolveTicket(ctx context.Context, req TicketStepRequest) (*Committed[care.Ticket], error)
	ReopenTicket(ctx context.Context, req TicketStepRequest) (*Committed[care.Ticket], error)
	ConfirmTicket(ctx context.Context, req TicketRequest) (*Committed[care.Ticket], error)
	// EraseTicketData purges the ticket's contact details and messages from the merchant's
	// collection; the salted hashes stay.
	EraseTicketData(ctx context.Context, req TicketRequest) (*Committed[care.Ticket], error)
	SetSLAPolicy(ctx context.Context, req SLAPolicyRequest) (*Committed[care.SLAPolicy], error)
	SweepSLA(ctx context.Context, req SweepSLARequest) (*Committed[care.SLASweep], error)
	PostReview(ctx context.Context, req PostReviewRequest) (*Committed[care.Review], error)
	EditReview(ctx context.Context, req EditReviewRequest) (*Committed[care.Review], error)
	ReplyToReview(ctx context.Context, req ReplyToReviewRequest) (*Committed[care.Review], error)
	GetTicket(ctx context.Context, req TicketRequest) (*care.TicketDetail, error)
	ListTickets(ctx context.Context, req ListTicketsRequest) (*care.TicketPage, error)
	BreachReport(ctx context.Context, req BreachReportRequest) (*care.BreachReport, error)
	GetSLAPolicy(ctx context.Context, req MerchantRequest) (*care.SLAPolicy, error)
	// GetTicketPersonalData returns the personal data the merchant's collection holds for a
	// ticket, checked against its hashes; only the merchant's members may, and a peer of
	// the caller's organisation answers.
	GetTicketPersonalData(ctx context.Context, req TicketRequest) (*care.TicketPersonalData, error)
	GetReview(ctx context.Context, req ReviewRequest) (*care.ReviewDetail, error)
	ListReviews(ctx context.Context, req ListReviewsRequest) (*care.ReviewPage, error)
}
