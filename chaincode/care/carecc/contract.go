package carecc

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/orders/orderscc"
)

// Contract is the care contract. Every function takes one JSON argument;
// see the package documentation for the shapes and transient keys.
type Contract struct {
	contractapi.Contract
	// findOrder finds a committed order, nil when there is none:
	// orderscc.FindOrder, which the unit tests replace. readOrder checks
	// the reader.
	findOrder func(tx *ledger.Tx, id string) (*orders.Order, error)
}

// NewContract returns the contract, named "care".
func NewContract() *Contract {
	c := &Contract{findOrder: orderscc.FindOrder}
	c.Name = care.Name
	return c
}

// readOrder returns the committed order id if the caller may read it, as
// the orders contract decides (orderscc.RequireOrderReader): FORBIDDEN,
// naming nothing of the order, to anyone else, whether it exists or not.
func (c *Contract) readOrder(tx *ledger.Tx, id string) (*orders.Order, error) {
	o, err := c.findOrder(tx, id)
	if err != nil {
		return nil, err
	}
	if err := orderscc.RequireOrderReader(tx, id, o); err != nil {
		return nil, err
	}
	return o, nil
}

// GetEvaluateTransactions lists the query functions.
func (c *Contract) GetEvaluateTransactions() []string {
	return []string{"GetTicket", "ListTickets", "BreachReport", "GetSLAPolicy", "GetTicketPersonalData", "GetReview", "ListReviews", "TicketKeys"}
}

// OpenTicket opens a support ticket for the caller with a merchant,
// optionally about one of the caller's orders. The first message (and,
// optionally, contact details) come as transient data with a salt.
func (c *Contract) OpenTicket(ctx contractapi.TransactionContextInterface, args care.OpenTicketArgs) (*care.Ticket, error) {
	return ledger.Run(ctx.GetStub(), args, c.openTicket)
}

// AssignTicket assigns an active ticket to an agent of the merchant.
func (c *Contract) AssignTicket(ctx contractapi.TransactionContextInterface, args care.AssignTicketArgs) (*care.Ticket, error) {
	return ledger.Run(ctx.GetStub(), args, assignTicket)
}

// RespondTicket records the merchant's response to an active ticket; the
// text comes as transient data with a salt.
func (c *Contract) RespondTicket(ctx contractapi.TransactionContextInterface, args care.IDArgs) (*care.Ticket, error) {
	return ledger.Run(ctx.GetStub(), args, respondTicket)
}

// ResolveTicket records that the merchant resolved an active ticket, with
// an optional message as transient data.
func (c *Contract) ResolveTicket(ctx contractapi.TransactionContextInterface, args care.IDArgs) (*care.Ticket, error) {
	return ledger.Run(ctx.GetStub(), args, resolveTicket)
}

// ReopenTicket lets the customer reopen a resolved ticket, with an optional
// message as transient data.
func (c *Contract) ReopenTicket(ctx contractapi.TransactionContextInterface, args care.IDArgs) (*care.Ticket, error) {
	return ledger.Run(ctx.GetStub(), args, reopenTicket)
}

// ConfirmTicket lets the customer confirm a resolution, closing the ticket.
func (c *Contract) ConfirmTicket(ctx contractapi.TransactionContextInterface, args care.IDArgs) (*care.Ticket, error) {
	return ledger.Run(ctx.GetStub(), args, confirmTicket)
}

// EraseTicketData purges a ticket's personal data from the merchant's
// collection and marks its ticket key erased; the customer or the merchant may.
func (c *Contract) EraseTicketData(ctx contractapi.TransactionContextInterface, args care.IDArgs) (*care.Ticket, error) {
	return ledger.Run(ctx.GetStub(), args, eraseTicketData)
}

// SetSLAPolicy sets the SLA terms per priority of the caller's merchant
// organisation, for tickets opened from then on.
func (c *Contract) SetSLAPolicy(ctx contractapi.TransactionContextInterface, args care.SLAPolicyArgs) (*care.SLAPolicy, error) {
	return ledger.Run(ctx.GetStub(), args, setSLAPolicy)
}

// GetSLAPolicy returns a merchant's SLA terms, the defaults if it set none.
func (c *Contract) GetSLAPolicy(ctx contractapi.TransactionContextInterface, args care.MerchantArgs) (*care.SLAPolicy, error) {
	return ledger.Run(ctx.GetStub(), args, getSLAPolicy)
}

// SweepSLA records the breaches of a merchant's overdue SLA deadlines.
func (c *Contract) SweepSLA(ctx contractapi.TransactionContextInterface, args care.SweepSLAArgs) (*care.SLASweep, error) {
	return ledger.Run(ctx.GetStub(), args, sweepSLA)
}

// PostReview posts the caller's review of an order they bought and
// received, once per order.
func (c *Contract) PostReview(ctx contractapi.TransactionContextInterface, args care.PostReviewArgs) (*care.Review, error) {
	return ledger.Run(ctx.GetStub(), args, c.postReview)
}

// EditReview appends a new version of the caller's review.
func (c *Contract) EditReview(ctx contractapi.TransactionContextInterface, args care.EditReviewArgs) (*care.Review, error) {
	return ledger.Run(ctx.GetStub(), args, editReview)
}

// ReplyToReview appends the merchant's reply to a review of it.
func (c *Contract) ReplyToReview(ctx contractapi.TransactionContextInterface, args care.ReplyToReviewArgs) (*care.Review, error) {
	return ledger.Run(ctx.GetStub(), args, replyToReview)
}

// GetTicket returns a ticket with its steps and overdue deadlines.
func (c *Contract) GetTicket(ctx contractapi.TransactionContextInterface, args care.IDArgs) (*care.TicketDetail, error) {
	return ledger.Run(ctx.GetStub(), args, getTicket)
}

// ListTickets lists a merchant's tickets or the caller's own.
func (c *Contract) ListTickets(ctx contractapi.TransactionContextInterface, args care.ListTicketsArgs) (*care.TicketPage, error) {
	return ledger.Run(ctx.GetStub(), args, listTickets)
}

// BreachReport lists a merchant's recorded SLA breaches.
func (c *Contract) BreachReport(ctx contractapi.TransactionContextInterface, args care.BreachReportArgs) (*care.BreachReport, error) {
	return ledger.Run(ctx.GetStub(), args, breachReport)
}

// GetTicketPersonalData returns the sealed personal data the merchant's
// collection holds for a ticket. Evaluate it on a peer of the merchant's
// organisation, as a member of it; the merchant's vault opens it.
func (c *Contract) GetTicketPersonalData(ctx contractapi.TransactionContextInterface, args care.IDArgs) (*care.SealedPersonalData, error) {
	return ledger.Run(ctx.GetStub(), args, getPersonalData)
}

// PublishTicketKeys publishes one-time public keys of the caller's merchant
// organisation, to which tickets' personal data is sealed.
func (c *Contract) PublishTicketKeys(ctx contractapi.TransactionContextInterface, args care.PublishTicketKeysArgs) (*care.TicketKeysPublished, error) {
	return ledger.Run(ctx.GetStub(), args, publishTicketKeys)
}

// TicketKeys lists a merchant's ticket keys in a state, unused ones by default.
func (c *Contract) TicketKeys(ctx contractapi.TransactionContextInterface, args care.TicketKeysArgs) (*care.TicketKeyPage, error) {
	return ledger.Run(ctx.GetStub(), args, ticketKeys)
}

// GetReview returns a review with every version and reply.
func (c *Contract) GetReview(ctx contractapi.TransactionContextInterface, args care.IDArgs) (*care.ReviewDetail, error) {
	return ledger.Run(ctx.GetStub(), args, getReview)
}

// ListReviews lists a merchant's reviews, oldest first.
func (c *Contract) ListReviews(ctx contractapi.TransactionContextInterface, args care.ListReviewsArgs) (*care.ReviewPage, error) {
	return ledger.Run(ctx.GetStub(), args, listReviews)
}
