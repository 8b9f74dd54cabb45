package httpapi

import (
	"github.com/cxledger/cxledger/ledgerapi"
)

// careRoutes are the care contract's operations. Each mutation's body is the contract
// function's JSON argument, with the personal data of a ticket step under "personal": it
// reaches the chaincode as transient data only, the request is kept only as a SHA-256
// fingerprint, and the answer is the ticket, which holds only salted hashes. Each query's
// parameters are its fields.
func careRoutes() []Route {
	const tag = "care"
	on := ledgerapi.Ledger.Care
	return []Route{
		mutation("/v1/care/tickets", "care.OpenTicket", tag,
			"Open a support ticket with a merchant, optionally about one of your orders; the first message and your contact details go to the merchant's private collection, the ledger keeps their salted hashes",
			via(on, ledgerapi.Care.OpenTicket)),
		mutation("/v1/care/ticket-assignments", "care.AssignTicket", tag,
			"Assign a ticket to an agent of the merchant (the merchant's members)",
			via(on, ledgerapi.Care.AssignTicket)),
		mutation("/v1/care/ticket-responses", "care.RespondTicket", tag,
			"Respond to a ticket; the text goes to the merchant's private collection (the merchant's members)",
			via(on, ledgerapi.Care.RespondTicket)),
		mutation("/v1/care/ticket-resolutions", "care.ResolveTicket", tag,
			"Resolve a ticket, with an optional message (the merchant's members)",
			via(on, ledgerapi.Care.ResolveTicket)),
		mutation("/v1/care/ticket-reopenings", "care.ReopenTicket", tag,
			"Reopen a resolved ticket, with an optional message (the customer)",
			via(on, ledgerapi.Care.ReopenTicket)),
		mutation("/v1/care/ticket-confirmations", "care.ConfirmTicket", tag,
			"Confirm a ticket's resolution, closing it (the customer)",
			via(on, ledgerapi.Care.ConfirmTicket)),
		mutation("/v1/care/ticket-erasures", "care.EraseTicketData", tag,
			"Erase a ticket's contact details and messages from the merchant's collection; the salted hashes stay (the customer or the merchant)",
			via(on, ledgerapi.Care.EraseTicketData)),
		mutation("/v1/care/sla-policies", "care.SetSLAPolicy", tag,
			"Set your merchant organisation's SLA terms per priority, for tickets opened from now on",
			via(on, ledgerapi.Care.SetSLAPolicy)),
		mutation("/v1/care/sla-sweeps", "care.SweepSLA", tag,
			"Record the breaches of a merchant's overdue SLA deadlines (the merchant, auditors and arbiters)",
			via(on, ledgerapi.Care.SweepSLA)),
		mutation("/v1/care/reviews", "care.PostReview", tag,
			"Review an order you bought and received, once, under your pseudonym at its merchant",
			via(on, ledgerapi.Care.PostReview)),
		mutation("/v1/care/review-edits", "care.EditReview", tag,
			"Post a new version of your review",
			via(on, ledgerapi.Care.EditReview)),
		mutation("/v1/care/review-replies", "care.ReplyToReview", tag,
			"Reply to a review of your merchant organisation",
			via(on, ledgerapi.Care.ReplyToReview)),
		query("/v1/care/tickets/{id}", "care.GetTicket", tag,
			"A ticket with its steps and the breaches overdue now (the customer, the merchant, auditors and arbiters)",
			AccessPrincipal, via(on, ledgerapi.Care.GetTicket)),
		query("/v1/care/tickets", "care.ListTickets", tag,
			"A page of a merchant's tickets, or of yours without merchant", AccessPrincipal,
			via(on, ledgerapi.Care.ListTickets)),
		query("/v1/care/breaches", "care.BreachReport", tag,
			"A page of a merchant's recorded SLA breaches (the merchant, auditors and arbiters)", AccessPrincipal,
			via(on, ledgerapi.Care.BreachReport)),
		query("/v1/care/sla-policies/{merchant}", "care.GetSLAPolicy", tag,
			"A merchant's SLA terms, the defaults if it set none", AccessPrincipal,
			via(on, ledgerapi.Care.GetSLAPolicy)),
		query("/v1/care/tickets/{id}/personal-data", "care.GetTicketPersonalData", tag,
			"The contact details and messages the merchant's collection holds for a ticket, each checked against its hash (the merchant's members; never cached)",
			AccessPrincipal, via(on, ledgerapi.Care.GetTicketPersonalData)),
		query("/v1/care/reviews/{id}", "care.GetReview", tag, "A review with every version and reply", AccessPrincipal,
			via(on, ledgerapi.Care.GetReview)),
		query("/v1/care/reviews", "care.ListReviews", tag, "A page of a merchant's reviews, oldest first", AccessPrincipal,
			via(on, ledgerapi.Care.ListReviews)),
	}
}
