package fabric

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Care returns the care contract.
func (s *Session) Care() ledgerapi.Care { return careService{s} }

type careService struct{ s *Session }

// OpenTicket sends the personal data as transient data, endorsed by the caller's (the
// customer's) organisation and the merchant's: the request's, or that of the order the
// ticket is about.
func (c careService) OpenTicket(ctx context.Context, req ledgerapi.OpenTicketRequest) (*ledgerapi.Committed[care.Ticket], error) {
	if err := ledgerapi.Validate(&req); err != nil {
		return nil, err
	}
	merchant := req.Merchant
	if merchant == "" {
		o, err := c.s.Orders().GetOrder(ctx, ledgerapi.OrderRequest{ID: req.OrderID})
		if err != nil {
			return nil, fmt.Errorf("look up the order of the ticket: %w", err)
		}
		merchant = o.Merchant
	}
	return c.personal(ctx, "OpenTicket", &req.OpenTicketArgs, &req.Personal, c.s.s.id.MspID(), merchant)
}

func (c careService) RespondTicket(ctx context.Context, req ledgerapi.RespondTicketRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return c.step(ctx, "RespondTicket", &req, req.IDArgs, &req.Personal)
}

func (c careService) ResolveTicket(ctx context.Context, req ledgerapi.TicketStepRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return c.step(ctx, "ResolveTicket", &req, req.IDArgs, req.Personal)
}

func (c careService) ReopenTicket(ctx context.Context, req ledgerapi.TicketStepRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return c.step(ctx, "ReopenTicket", &req, req.IDArgs, req.Personal)
}

// step takes a step on a ticket once req is valid; a message goes as transient data,
// endorsed by the organisations of the ticket's customer and merchant, read from the
// ticket.
func (c careService) step(ctx context.Context, fn string, req any, id care.IDArgs, p *ledgerapi.Personal) (*ledgerapi.Committed[care.Ticket], error) {
	if err := ledgerapi.Validate(req); err != nil {
		return nil, err
	}
	if p.Transient() == nil {
		return submitRequest[care.Ticket](ctx, c.s, care.Name, fn, &id)
	}
	d, err := c.GetTicket(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("look up the ticket: %w", err)
	}
	customer, _, _ := strings.Cut(d.Ticket.Customer, "/")
	return c.personal(ctx, fn, &id, p, customer, d.Ticket.Merchant)
}

// personal submits fn with arg, and p as transient data only, endorsed by the customer's
// and the merchant's organisations: the merchant's peers keep the data in its collection,
// the customer's organisation already holds it, and together they meet the chaincode's
// majority. When they are one organisation another one the service knows is added. The
// transaction that is signed, stored and sent to ordering does not contain the transient
// data, and needs none to be submitted again.
func (c careService) personal(ctx context.Context, fn string, arg any, p *ledgerapi.Personal, customer, merchant string) (*ledgerapi.Committed[care.Ticket], error) {
	call, err := request(care.Name, fn, arg)
	if err != nil {
		return nil, err
	}
	call.transient = p.Transient()
	call.endorsers = c.s.c.endorsers(customer, merchant)
	return submitJSON[care.Ticket](ctx, c.s, call)
}

// endorsers is the customer's and the merchant's organisation, and when they are one, the
// first other organisation of the service's identities.
func (c *Client) endorsers(customer, merchant string) []string {
	orgs := []string{customer}
	if merchant != customer {
		return append(orgs, merchant)
	}
	for _, o := range c.orgs {
		if o != customer {
			return append(orgs, o)
		}
	}
	return orgs
}

func (c careService) AssignTicket(ctx context.Context, req ledgerapi.AssignTicketRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return submitRequest[care.Ticket](ctx, c.s, care.Name, "AssignTicket", &req)
}

func (c careService) ConfirmTicket(ctx context.Context, req ledgerapi.TicketRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return submitRequest[care.Ticket](ctx, c.s, care.Name, "ConfirmTicket", &req)
}

func (c careService) EraseTicketData(ctx context.Context, req ledgerapi.TicketRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return submitRequest[care.Ticket](ctx, c.s, care.Name, "EraseTicketData", &req)
}

func (c careService) SetSLAPolicy(ctx context.Context, req ledgerapi.SLAPolicyRequest) (*ledgerapi.Committed[care.SLAPolicy], error) {
	return submitRequest[care.SLAPolicy](ctx, c.s, care.Name, "SetSLAPolicy", &req)
}

func (c careService) SweepSLA(ctx context.Context, req ledgerapi.SweepSLARequest) (*ledgerapi.Committed[care.SLASweep], error) {
	return submitRequest[care.SLASweep](ctx, c.s, care.Name, "SweepSLA", &req)
}

// PostReview passes 32 fresh random bytes as the seed of the merchant's pseudonym salt (the
// contract uses it only at the merchant's first review). The review writes no private
// data, so the gateway picks its endorsers.
func (c careService) PostReview(ctx context.Context, req ledgerapi.PostReviewRequest) (*ledgerapi.Committed[care.Review], error) {
	call, err := request(care.Name, "PostReview", &req)
	if err != nil {
		return nil, err
	}
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("seed the pseudonym salt: %w", err)
	}
	call.transient = map[string][]byte{care.TransientSalt: seed}
	return submitJSON[care.Review](ctx, c.s, call)
}

func (c careService) EditReview(ctx context.Context, req ledgerapi.EditReviewRequest) (*ledgerapi.Committed[care.Review], error) {
	return submitRequest[care.Review](ctx, c.s, care.Name, "EditReview", &req)
}

func (c careService) ReplyToReview(ctx context.Context, req ledgerapi.ReplyToReviewRequest) (*ledgerapi.Committed[care.Review], error) {
	return submitRequest[care.Review](ctx, c.s, care.Name, "ReplyToReview", &req)
}

func (c careService) GetTicket(ctx context.Context, req ledgerapi.TicketRequest) (*care.TicketDetail, error) {
	return evaluateRequest[care.TicketDetail](ctx, c.s, care.Name, "GetTicket", &req)
}

func (c careService) ListTickets(ctx context.Context, req ledgerapi.ListTicketsRequest) (*care.TicketPage, error) {
	return evaluateRequest[care.TicketPage](ctx, c.s, care.Name, "ListTickets", &req)
}

func (c careService) BreachReport(ctx context.Context, req ledgerapi.BreachReportRequest) (*care.BreachReport, error) {
	return evaluateRequest[care.BreachReport](ctx, c.s, care.Name, "BreachReport", &req)
}

func (c careService) GetSLAPolicy(ctx context.Context, req ledgerapi.MerchantRequest) (*care.SLAPolicy, error) {
	return evaluateRequest[care.SLAPolicy](ctx, c.s, care.Name, "GetSLAPolicy", &req)
}

// GetTicketPersonalData is evaluated on a peer of the caller's organisation: only the
// merchant's peers hold its collection.
func (c careService) GetTicketPersonalData(ctx context.Context, req ledgerapi.TicketRequest) (*care.TicketPersonalData, error) {
	call, err := request(care.Name, "GetTicketPersonalData", &req)
	if err != nil {
		return nil, err
	}
	call.endorsers = []string{c.s.s.id.MspID()}
	return evaluateJSON[care.TicketPersonalData](ctx, c.s, call)
}

func (c careService) GetReview(ctx context.Context, req ledgerapi.ReviewRequest) (*care.ReviewDetail, error) {
	return evaluateRequest[care.ReviewDetail](ctx, c.s, care.Name, "GetReview", &req)
}

func (c careService) ListReviews(ctx context.Context, req ledgerapi.ListReviewsRequest) (*care.ReviewPage, error) {
	return evaluateRequest[care.ReviewPage](ctx, c.s, care.Name, "ListReviews", &req)
}
