package ledgerapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"strings"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/cxlerr"
)

// redacted is what a Personal prints as.
const redacted = "[personal data]"

// Personal is personal data of a support ticket: a message and, when a ticket is opened,
// the customer's contact details. It never leaves the process that builds the chaincode
// call in clear: that process (the gateway service, or the CLI's direct transport) checks
// it, seals each text with its salt to a one-time ticket key of the merchant (SealPersonal,
// package carecrypt) and sends only the envelopes and the salted hashes, as transient data,
// which peers never write to a block. The ledger keeps SaltedHash(Salt, value), the
// merchant's private collection the envelopes, and only the merchant's vault opens them.
// The gateway service never logs it, keeps only a SHA-256 of the request that carried it
// (the request's idempotency fingerprint, which the random salt makes impossible to reverse
// by guessing the text), and answers the mutation with the ticket, which holds only the
// hashes. Printing or logging a Personal shows no data.
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

// empty reports whether p holds no personal data.
func (p *Personal) empty() bool {
	return p == nil || p.Message == "" && p.Contact == "" && p.Salt == nil
}

// validatePersonal checks a request's argument and its personal data with the contract's
// own rules for a function that takes the fields in allowed, and that the data holds a
// message when one is required. The text is checked here, before it is sealed: the
// contract sees only envelopes.
func validatePersonal(arg Validator, p *Personal, messageRequired bool, allowed ...string) error {
	if err := arg.Validate(); err != nil {
		return err
	}
	if messageRequired && (p == nil || p.Message == "") {
		return cxlerr.Errorf(cxlerr.Invalid, "personal.message: required")
	}
	if p == nil {
		return nil
	}
	return care.ValidateText(p.Salt, p.Contact, p.Message, allowed...)
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
	// PublishTicketKeysRequest publishes one-time public ticket keys of the caller's
	// merchant organisation (its gateway service does, keeping the private halves).
	PublishTicketKeysRequest = care.PublishTicketKeysArgs
	// TicketKeysRequest asks for a page of a merchant's ticket keys in a state.
	TicketKeysRequest = care.TicketKeysArgs
)

// Care is the care contract: support tickets with append-only steps and SLA deadlines,
// personal data sealed to the merchant's one-time ticket keys and erasable by destroying
// the key, and reviews by verified
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
	// collection and marks its ticket key erased, so that the merchant's gateway service
	// destroys the only private key that opens any copy left; the salted hashes stay.
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
	// ticket, opened by the merchant's vault and checked against its hashes; only the
	// merchant's members may, a peer of the caller's organisation answers, and only the
	// merchant's gateway service, which holds the vault, can serve it (see WithVault).
	GetTicketPersonalData(ctx context.Context, req TicketRequest) (*care.TicketPersonalData, error)
	GetReview(ctx context.Context, req ReviewRequest) (*care.ReviewDetail, error)
	ListReviews(ctx context.Context, req ListReviewsRequest) (*care.ReviewPage, error)
	// PublishTicketKeys publishes one-time public keys of the caller's merchant
	// organisation, to which customers' personal data is sealed.
	PublishTicketKeys(ctx context.Context, req PublishTicketKeysRequest) (*Committed[care.TicketKeysPublished], error)
	// TicketKeys lists a merchant's ticket keys in a state, unused ones by default.
	TicketKeys(ctx context.Context, req TicketKeysRequest) (*care.TicketKeyPage, error)
}

// The operations of the care contract.
var (
	// CareOpenTicket is care:OpenTicket.
	CareOpenTicket = submit[OpenTicketRequest, care.Ticket]("care", "OpenTicket", "/v1/care/tickets",
		"Open a support ticket with a merchant, optionally about one of your orders; the first message and your contact details go to the merchant's private collection, the ledger keeps their salted hashes", withChaincode(openTicketCall))
	// CareAssignTicket is care:AssignTicket.
	CareAssignTicket = submit[AssignTicketRequest, care.Ticket]("care", "AssignTicket", "/v1/care/ticket-assignments",
		"Assign a ticket to an agent of the merchant (the merchant's members)")
	// CareRespondTicket is care:RespondTicket.
	CareRespondTicket = submit[RespondTicketRequest, care.Ticket]("care", "RespondTicket", "/v1/care/ticket-responses",
		"Respond to a ticket; the text goes to the merchant's private collection (the merchant's members)", withChaincode(respondTicketCall))
	// CareResolveTicket is care:ResolveTicket.
	CareResolveTicket = submit[TicketStepRequest, care.Ticket]("care", "ResolveTicket", "/v1/care/ticket-resolutions",
		"Resolve a ticket, with an optional message (the merchant's members)", withChaincode(ticketStepCall))
	// CareReopenTicket is care:ReopenTicket.
	CareReopenTicket = submit[TicketStepRequest, care.Ticket]("care", "ReopenTicket", "/v1/care/ticket-reopenings",
		"Reopen a resolved ticket, with an optional message (the customer)", withChaincode(ticketStepCall))
	// CareConfirmTicket is care:ConfirmTicket.
	CareConfirmTicket = submit[TicketRequest, care.Ticket]("care", "ConfirmTicket", "/v1/care/ticket-confirmations",
		"Confirm a ticket's resolution, closing it (the customer)")
	// CareEraseTicketData is care:EraseTicketData.
	CareEraseTicketData = submit[TicketRequest, care.Ticket]("care", "EraseTicketData", "/v1/care/ticket-erasures",
		"Erase a ticket's contact details and messages from the merchant's collection; the salted hashes stay (the customer or the merchant)")
	// CareSetSLAPolicy is care:SetSLAPolicy.
	CareSetSLAPolicy = submit[SLAPolicyRequest, care.SLAPolicy]("care", "SetSLAPolicy", "/v1/care/sla-policies",
		"Set your merchant organisation's SLA terms per priority, for tickets opened from now on")
	// CareSweepSLA is care:SweepSLA.
	CareSweepSLA = submit[SweepSLARequest, care.SLASweep]("care", "SweepSLA", "/v1/care/sla-sweeps",
		"Record the breaches of a merchant's overdue SLA deadlines (the merchant, auditors and arbiters)")
	// CarePostReview is care:PostReview.
	CarePostReview = submit[PostReviewRequest, care.Review]("care", "PostReview", "/v1/care/reviews",
		"Review an order you bought and received, once, under your pseudonym at its merchant", withChaincode(postReviewCall))
	// CareEditReview is care:EditReview.
	CareEditReview = submit[EditReviewRequest, care.Review]("care", "EditReview", "/v1/care/review-edits",
		"Post a new version of your review")
	// CareReplyToReview is care:ReplyToReview.
	CareReplyToReview = submit[ReplyToReviewRequest, care.Review]("care", "ReplyToReview", "/v1/care/review-replies",
		"Reply to a review of your merchant organisation")
	// CareGetTicket is care:GetTicket.
	CareGetTicket = evaluate[TicketRequest, care.TicketDetail]("care", "GetTicket", "/v1/care/tickets/{id}",
		"A ticket with its steps and the breaches overdue now (the customer, the merchant, auditors and arbiters)")
	// CareListTickets is care:ListTickets.
	CareListTickets = evaluate[ListTicketsRequest, care.TicketPage]("care", "ListTickets", "/v1/care/tickets",
		"A page of a merchant's tickets, or of yours without merchant")
	// CareBreachReport is care:BreachReport.
	CareBreachReport = evaluate[BreachReportRequest, care.BreachReport]("care", "BreachReport", "/v1/care/breaches",
		"A page of a merchant's recorded SLA breaches (the merchant, auditors and arbiters)")
	// CareGetSLAPolicy is care:GetSLAPolicy.
	CareGetSLAPolicy = evaluate[MerchantRequest, care.SLAPolicy]("care", "GetSLAPolicy", "/v1/care/sla-policies/{merchant}",
		"A merchant's SLA terms, the defaults if it set none")
	// CareGetTicketPersonalData is care:GetTicketPersonalData.
	CareGetTicketPersonalData = evaluate[TicketRequest, care.TicketPersonalData]("care", "GetTicketPersonalData", "/v1/care/tickets/{id}/personal-data",
		"The contact details and messages the merchant's collection holds for a ticket, each checked against its hash (the merchant's members; never cached)", withChaincode(personalDataCall))
	// CareGetReview is care:GetReview.
	CareGetReview = evaluate[ReviewRequest, care.ReviewDetail]("care", "GetReview", "/v1/care/reviews/{id}",
		"A review with every version and reply")
	// CareListReviews is care:ListReviews.
	CareListReviews = evaluate[ListReviewsRequest, care.ReviewPage]("care", "ListReviews", "/v1/care/reviews",
		"A page of a merchant's reviews, oldest first")
	// CarePublishTicketKeys is care:PublishTicketKeys.
	CarePublishTicketKeys = submit[PublishTicketKeysRequest, care.TicketKeysPublished]("care", "PublishTicketKeys", "/v1/care/ticket-keys",
		"Publish one-time public keys to which your merchant organisation's customers seal their personal data (the merchant's gateway service does, keeping the private halves)")
	// CareTicketKeys is care:TicketKeys.
	CareTicketKeys = evaluate[TicketKeysRequest, care.TicketKeyPage]("care", "TicketKeys", "/v1/care/ticket-keys",
		"A page of a merchant's ticket keys in a state (unused by default)")
)

type careOver struct{ t Transport }

func (o careOver) OpenTicket(ctx context.Context, req OpenTicketRequest) (*Committed[care.Ticket], error) {
	return CareOpenTicket.Run(ctx, o.t, req)
}

func (o careOver) AssignTicket(ctx context.Context, req AssignTicketRequest) (*Committed[care.Ticket], error) {
	return CareAssignTicket.Run(ctx, o.t, req)
}

func (o careOver) RespondTicket(ctx context.Context, req RespondTicketRequest) (*Committed[care.Ticket], error) {
	return CareRespondTicket.Run(ctx, o.t, req)
}

func (o careOver) ResolveTicket(ctx context.Context, req TicketStepRequest) (*Committed[care.Ticket], error) {
	return CareResolveTicket.Run(ctx, o.t, req)
}

func (o careOver) ReopenTicket(ctx context.Context, req TicketStepRequest) (*Committed[care.Ticket], error) {
	return CareReopenTicket.Run(ctx, o.t, req)
}

func (o careOver) ConfirmTicket(ctx context.Context, req TicketRequest) (*Committed[care.Ticket], error) {
	return CareConfirmTicket.Run(ctx, o.t, req)
}

func (o careOver) EraseTicketData(ctx context.Context, req TicketRequest) (*Committed[care.Ticket], error) {
	return CareEraseTicketData.Run(ctx, o.t, req)
}

func (o careOver) SetSLAPolicy(ctx context.Context, req SLAPolicyRequest) (*Committed[care.SLAPolicy], error) {
	return CareSetSLAPolicy.Run(ctx, o.t, req)
}

func (o careOver) SweepSLA(ctx context.Context, req SweepSLARequest) (*Committed[care.SLASweep], error) {
	return CareSweepSLA.Run(ctx, o.t, req)
}

func (o careOver) PostReview(ctx context.Context, req PostReviewRequest) (*Committed[care.Review], error) {
	return CarePostReview.Run(ctx, o.t, req)
}

func (o careOver) EditReview(ctx context.Context, req EditReviewRequest) (*Committed[care.Review], error) {
	return CareEditReview.Run(ctx, o.t, req)
}

func (o careOver) ReplyToReview(ctx context.Context, req ReplyToReviewRequest) (*Committed[care.Review], error) {
	return CareReplyToReview.Run(ctx, o.t, req)
}

func (o careOver) GetTicket(ctx context.Context, req TicketRequest) (*care.TicketDetail, error) {
	return CareGetTicket.Query(ctx, o.t, req)
}

func (o careOver) ListTickets(ctx context.Context, req ListTicketsRequest) (*care.TicketPage, error) {
	return CareListTickets.Query(ctx, o.t, req)
}

func (o careOver) BreachReport(ctx context.Context, req BreachReportRequest) (*care.BreachReport, error) {
	return CareBreachReport.Query(ctx, o.t, req)
}

func (o careOver) GetSLAPolicy(ctx context.Context, req MerchantRequest) (*care.SLAPolicy, error) {
	return CareGetSLAPolicy.Query(ctx, o.t, req)
}

func (o careOver) GetTicketPersonalData(ctx context.Context, req TicketRequest) (*care.TicketPersonalData, error) {
	return CareGetTicketPersonalData.Query(ctx, o.t, req)
}

func (o careOver) GetReview(ctx context.Context, req ReviewRequest) (*care.ReviewDetail, error) {
	return CareGetReview.Query(ctx, o.t, req)
}

func (o careOver) ListReviews(ctx context.Context, req ListReviewsRequest) (*care.ReviewPage, error) {
	return CareListReviews.Query(ctx, o.t, req)
}

func (o careOver) PublishTicketKeys(ctx context.Context, req PublishTicketKeysRequest) (*Committed[care.TicketKeysPublished], error) {
	return CarePublishTicketKeys.Run(ctx, o.t, req)
}

func (o careOver) TicketKeys(ctx context.Context, req TicketKeysRequest) (*care.TicketKeyPage, error) {
	return CareTicketKeys.Query(ctx, o.t, req)
}

// personalCall is the chaincode call of a ticket step: arg as the JSON argument and the
// sealed personal data (nil: none) as transient data only, endorsed by the parties (the
// customer's and the merchant's organisations: the merchant's peers keep the envelopes in
// its collection). Neither the transaction that is signed, stored and sent to ordering
// nor any endorsing peer sees the text.
func personalCall(arg any, transient map[string][]byte, callerParty bool, parties ...string) (*ChaincodeCall, error) {
	data, err := json.Marshal(arg)
	if err != nil {
		return nil, fmt.Errorf("encode the ticket argument: %w", err)
	}
	return &ChaincodeCall{Args: []string{string(data)}, Transient: transient, Parties: parties, CallerParty: callerParty}, nil
}

// openTicketCall seals the first message and the contact details to an unused ticket key
// of the merchant (the request's, or that of the order the ticket is about), which the
// ticket claims, and is endorsed by the caller's (the customer's) organisation and the
// merchant's.
func openTicketCall(ctx context.Context, l Ledger, req *OpenTicketRequest) (*ChaincodeCall, error) {
	merchant := req.Merchant
	if merchant == "" {
		o, err := l.Orders().GetOrder(ctx, OrderRequest{ID: req.OrderID})
		if err != nil {
			return nil, fmt.Errorf("look up the order of the ticket: %w", err)
		}
		merchant = o.Merchant
	}
	key, err := unusedTicketKey(ctx, l, merchant)
	if err != nil {
		return nil, err
	}
	transient, err := SealPersonal(key, req.ID, 1, &req.Personal)
	if err != nil {
		return nil, err
	}
	return personalCall(&req.OpenTicketArgs, transient, true, merchant)
}

func respondTicketCall(ctx context.Context, l Ledger, req *RespondTicketRequest) (*ChaincodeCall, error) {
	return ticketStep(ctx, l, req.IDArgs, &req.Personal)
}

func ticketStepCall(ctx context.Context, l Ledger, req *TicketStepRequest) (*ChaincodeCall, error) {
	return ticketStep(ctx, l, req.IDArgs, req.Personal)
}

// ticketStep is a step on a ticket; with a message, read from the ticket: the message is
// sealed to the ticket's key (or, when it has none, to an unused key of the merchant the
// ticket then claims) for the step it will be, and the step is endorsed by the
// organisations of the ticket's customer and merchant.
func ticketStep(ctx context.Context, l Ledger, id care.IDArgs, p *Personal) (*ChaincodeCall, error) {
	if p.empty() {
		return personalCall(&id, nil, false)
	}
	d, err := l.Care().GetTicket(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("look up the ticket: %w", err)
	}
	t := d.Ticket
	key := care.TicketKey{Merchant: t.Merchant, ID: t.Key, PublicKey: t.PublicKey}
	if t.Key == "" {
		if key, err = unusedTicketKey(ctx, l, t.Merchant); err != nil {
			return nil, err
		}
	}
	transient, err := SealPersonal(key, t.ID, t.Steps+1, p)
	if err != nil {
		return nil, err
	}
	customer, _, _ := strings.Cut(t.Customer, "/")
	return personalCall(&id, transient, false, customer, t.Merchant)
}

// unusedTicketKey picks one of the merchant's unused ticket keys at random, so that two
// customers opening tickets at once rarely pick the same (when they do, one transaction
// fails validation and is repeated with another key). None published: UNAVAILABLE, since
// the merchant's gateway service publishes new ones as they are used.
func unusedTicketKey(ctx context.Context, l Ledger, merchant string) (care.TicketKey, error) {
	page, err := l.Care().TicketKeys(ctx, TicketKeysRequest{Merchant: merchant, PageSize: care.MaxTicketKeysPerCall})
	if err != nil {
		return care.TicketKey{}, fmt.Errorf("look up the ticket keys of %s: %w", merchant, err)
	}
	if len(page.Keys) == 0 {
		return care.TicketKey{}, cxlerr.Errorf(cxlerr.Unavailable, "merchant %s has no unused ticket key to seal personal data to; its gateway service publishes them: retry shortly", merchant)
	}
	return page.Keys[mrand.IntN(len(page.Keys))], nil
}

// postReviewCall passes 32 fresh random bytes as the seed of the merchant's pseudonym salt
// (the contract uses it only at the merchant's first review). The review writes no private
// data, so the gateway picks its endorsers.
func postReviewCall(_ context.Context, _ Ledger, req *PostReviewRequest) (*ChaincodeCall, error) {
	data, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode the review: %w", err)
	}
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("seed the pseudonym salt: %w", err)
	}
	return &ChaincodeCall{Args: []string{string(data)}, Transient: map[string][]byte{care.TransientSalt: seed}}, nil
}

// personalDataCall is evaluated on a peer of the caller's organisation: only the
// merchant's peers hold its collection. The contract answers with sealed data
// (care.SealedPersonalData), which only the merchant's vault opens: a process without one
// (see WithVault) is refused before anything is sent.
func personalDataCall(ctx context.Context, _ Ledger, req *TicketRequest) (*ChaincodeCall, error) {
	if ctx.Value(vaultKey{}) == nil {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "the personal data of ticket %s is sealed to the merchant's ticket keys: it is readable only through the merchant's gateway service, which holds them", req.ID)
	}
	return personalCall(req, nil, true)
}

// vaultKey marks a context of a process that opens sealed personal data.
type vaultKey struct{}

// WithVault marks ctx as that of a process holding the merchant's vault (the gateway
// service), which opens the sealed answer of CareGetTicketPersonalData; without it the
// operation is refused, since nobody could read its answer.
func WithVault(ctx context.Context) context.Context { return context.WithValue(ctx, vaultKey{}, true) }
