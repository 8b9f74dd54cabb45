package clitest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// careState is the fake care contract's state.
type careState struct {
	tickets  map[string]*care.TicketDetail
	personal map[string]*care.TicketPersonalData
	reviews  map[string]*care.ReviewDetail
	reviewed map[string]bool
	policies map[string]care.SLAPolicy
}

func (f *Fake) care() *careState {
	if f.cs == nil {
		f.cs = &careState{tickets: map[string]*care.TicketDetail{}, personal: map[string]*care.TicketPersonalData{},
			reviews: map[string]*care.ReviewDetail{}, reviewed: map[string]bool{}, policies: map[string]care.SLAPolicy{}}
	}
	return f.cs
}

type fakeCare struct{ v *view }

func (v *view) Care() ledgerapi.Care { return fakeCare{v} }

func salted(salt []byte, value string) string {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *careState) ticket(id string) (*care.TicketDetail, error) {
	t, ok := s.tickets[id]
	if !ok {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "ticket %s does not exist", id)
	}
	return t, nil
}

// step appends a step to a ticket, with the message's hash and the message kept in the
// merchant's "collection".
func (c fakeCare) step(t *care.TicketDetail, txID, action, state string, p *ledgerapi.Personal) {
	seq := len(t.Steps) + 1
	st := care.TicketStep{Ticket: t.Ticket.ID, Seq: seq, Action: action, Actor: c.v.account(), Time: Now, Tx: txID, State: state}
	if p != nil && p.Message != "" {
		st.MessageHash = salted(p.Salt, p.Message)
		t.Ticket.MessageSteps = append(t.Ticket.MessageSteps, seq)
		pd := c.v.f.care().personal[t.Ticket.ID]
		pd.Texts = append(pd.Texts, care.PersonalText{Field: "message", Step: seq, Value: p.Message, Hash: st.MessageHash, Verified: true})
	}
	t.Steps = append(t.Steps, st)
	t.Ticket.State, t.Ticket.Steps, t.Ticket.Updated, t.Ticket.UpdatedTx = state, seq, Now, txID
}

// move takes a step on a ticket from one of the states from.
func (c fakeCare) move(ctx context.Context, op, id string, req any, from []string, action, to string, p *ledgerapi.Personal, merchantOnly bool) (*ledgerapi.Committed[care.Ticket], error) {
	return mutate(ctx, c.v, op, req, func(txID string) (care.Ticket, error) {
		t, err := c.v.f.care().ticket(id)
		if err != nil {
			return care.Ticket{}, err
		}
		if merchantOnly && t.Ticket.Merchant != c.v.caller {
			return care.Ticket{}, cxlerr.Errorf(cxlerr.Forbidden, "only %s does this", t.Ticket.Merchant)
		}
		ok := from == nil
		for _, s := range from {
			ok = ok || t.Ticket.State == s
		}
		if !ok {
			return care.Ticket{}, cxlerr.Errorf(cxlerr.Conflict, "ticket %s is %s", id, t.Ticket.State)
		}
		if to == "" {
			to = t.Ticket.State
		}
		c.step(t, txID, action, to, p)
		return t.Ticket, nil
	})
}

var merchantStates = []string{care.StateOpen, care.StateAssigned, care.StateResponded, care.StateReopened}

func (c fakeCare) OpenTicket(ctx context.Context, req ledgerapi.OpenTicketRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return mutate(ctx, c.v, "care.OpenTicket", req, func(txID string) (care.Ticket, error) {
		s := c.v.f.care()
		if _, ok := s.tickets[req.ID]; ok {
			return care.Ticket{}, cxlerr.Errorf(cxlerr.Conflict, "ticket %s exists", req.ID)
		}
		merchant := req.Merchant
		if req.OrderID != "" {
			o, ok := c.v.f.orders[req.OrderID]
			if !ok {
				return care.Ticket{}, cxlerr.Errorf(cxlerr.NotFound, "order %s does not exist", req.OrderID)
			}
			merchant = o.Merchant
		}
		t := &care.TicketDetail{Ticket: care.Ticket{ID: req.ID, Customer: c.v.account(), Merchant: merchant, OrderID: req.OrderID,
			Category: req.Category, Priority: req.Priority, SLA: care.SLATerms{FirstResponse: "4h", Resolution: "48h"},
			Round: 1, Opened: Now, FirstResponseDue: Now.Add(4 * 3600e9), ResolutionDue: Now.Add(48 * 3600e9),
			MessageSteps: []int{}, Breaches: []care.SLABreach{}}, Steps: []care.TicketStep{}, Overdue: []care.SLABreach{}}
		s.tickets[req.ID] = t
		s.personal[req.ID] = &care.TicketPersonalData{Ticket: req.ID, Merchant: merchant, Texts: []care.PersonalText{}}
		if req.Personal.Contact != "" {
			t.Ticket.ContactHash, t.Ticket.ContactStored = salted(req.Personal.Salt, req.Personal.Contact), true
			s.personal[req.ID].Texts = append(s.personal[req.ID].Texts, care.PersonalText{Field: "contact", Value: req.Personal.Contact, Hash: t.Ticket.ContactHash, Verified: true})
		}
		p := req.Personal
		c.step(t, txID, care.ActionOpened, care.StateOpen, &p)
		return t.Ticket, nil
	})
}

func (c fakeCare) AssignTicket(ctx context.Context, req ledgerapi.AssignTicketRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return c.move(ctx, "care.AssignTicket", req.ID, req, merchantStates, care.ActionAssigned, care.StateAssigned, nil, true)
}

func (c fakeCare) RespondTicket(ctx context.Context, req ledgerapi.RespondTicketRequest) (*ledgerapi.Committed[care.Ticket], error) {
	p := req.Personal
	return c.move(ctx, "care.RespondTicket", req.ID, req, merchantStates, care.ActionResponded, care.StateResponded, &p, true)
}

func (c fakeCare) ResolveTicket(ctx context.Context, req ledgerapi.TicketStepRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return c.move(ctx, "care.ResolveTicket", req.ID, req, merchantStates, care.ActionResolved, care.StateResolved, req.Personal, true)
}

func (c fakeCare) ReopenTicket(ctx context.Context, req ledgerapi.TicketStepRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return c.move(ctx, "care.ReopenTicket", req.ID, req, []string{care.StateResolved}, care.ActionReopened, care.StateReopened, req.Personal, false)
}

func (c fakeCare) ConfirmTicket(ctx context.Context, req ledgerapi.TicketRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return c.move(ctx, "care.ConfirmTicket", req.ID, req, []string{care.StateResolved}, care.ActionConfirmed, care.StateClosed, nil, false)
}

func (c fakeCare) EraseTicketData(ctx context.Context, req ledgerapi.TicketRequest) (*ledgerapi.Committed[care.Ticket], error) {
	res, err := c.move(ctx, "care.EraseTicketData", req.ID, req, nil, care.ActionErased, "", nil, false)
	if err == nil {
		c.v.f.mu.Lock()
		c.v.f.care().personal[req.ID].Texts = []care.PersonalText{}
		c.v.f.care().personal[req.ID].ErasedAt = Now
		c.v.f.mu.Unlock()
	}
	return res, err
}

func (c fakeCare) SetSLAPolicy(ctx context.Context, req ledgerapi.SLAPolicyRequest) (*ledgerapi.Committed[care.SLAPolicy], error) {
	return mutate(ctx, c.v, "care.SetSLAPolicy", req, func(txID string) (care.SLAPolicy, error) {
		p := care.SLAPolicy{Merchant: c.v.caller, Urgent: req.Urgent, High: req.High, Normal: req.Normal, Low: req.Low, Updated: Now, UpdatedTx: txID}
		c.v.f.care().policies[c.v.caller] = p
		return p, nil
	})
}

func (c fakeCare) SweepSLA(ctx context.Context, req ledgerapi.SweepSLARequest) (*ledgerapi.Committed[care.SLASweep], error) {
	return mutate(ctx, c.v, "care.SweepSLA", req, func(string) (care.SLASweep, error) {
		return care.SLASweep{Merchant: req.Merchant, Recorded: []care.SLABreach{}}, nil
	})
}

func (c fakeCare) PostReview(ctx context.Context, req ledgerapi.PostReviewRequest) (*ledgerapi.Committed[care.Review], error) {
	return mutate(ctx, c.v, "care.PostReview", req, func(txID string) (care.Review, error) {
		s := c.v.f.care()
		o, ok := c.v.f.orders[req.OrderID]
		if !ok {
			return care.Review{}, cxlerr.Errorf(cxlerr.NotFound, "order %s does not exist", req.OrderID)
		}
		if o.Customer != c.v.account() {
			return care.Review{}, cxlerr.Errorf(cxlerr.Forbidden, "only the buyer of order %s reviews it", req.OrderID)
		}
		if s.reviewed[req.OrderID] {
			return care.Review{}, cxlerr.Errorf(cxlerr.Forbidden, "order %s was already reviewed; edit that review instead", req.OrderID)
		}
		s.reviewed[req.OrderID] = true
		id := fmt.Sprintf("rv%d", len(s.reviews)+1)
		r := care.Review{ID: id, Merchant: o.Merchant, Reviewer: "p-1234", Purchase: "verified", Rating: req.Rating, Text: req.Text,
			Version: 1, Created: Now, Updated: Now, Entries: 1}
		s.reviews[id] = &care.ReviewDetail{Review: r, Entries: []care.ReviewEntry{{Review: id, Seq: 1, Kind: care.EntryReview, By: r.Reviewer, Rating: req.Rating, Text: req.Text, Time: Now, Tx: txID}}}
		return r, nil
	})
}

func (c fakeCare) review(ctx context.Context, op, id string, req any, kind string, rating int, text string) (*ledgerapi.Committed[care.Review], error) {
	return mutate(ctx, c.v, op, req, func(txID string) (care.Review, error) {
		d, ok := c.v.f.care().reviews[id]
		if !ok {
			return care.Review{}, cxlerr.Errorf(cxlerr.NotFound, "review %s does not exist", id)
		}
		if kind == care.EntryReply {
			if d.Review.Merchant != c.v.caller {
				return care.Review{}, cxlerr.Errorf(cxlerr.Forbidden, "only %s replies", d.Review.Merchant)
			}
			d.Review.Reply, d.Review.Replied = text, Now
		} else {
			d.Review.Rating, d.Review.Text, d.Review.Version = rating, text, d.Review.Version+1
		}
		d.Review.Entries++
		d.Entries = append(d.Entries, care.ReviewEntry{Review: id, Seq: d.Review.Entries, Kind: kind, By: c.v.caller, Rating: rating, Text: text, Time: Now, Tx: txID})
		return d.Review, nil
	})
}

func (c fakeCare) EditReview(ctx context.Context, req ledgerapi.EditReviewRequest) (*ledgerapi.Committed[care.Review], error) {
	return c.review(ctx, "care.EditReview", req.ID, req, care.EntryEdit, req.Rating, req.Text)
}

func (c fakeCare) ReplyToReview(ctx context.Context, req ledgerapi.ReplyToReviewRequest) (*ledgerapi.Committed[care.Review], error) {
	return c.review(ctx, "care.ReplyToReview", req.ID, req, care.EntryReply, 0, req.Text)
}

// read runs a query under the lock after validating and recording it.
func read[T any](c fakeCare, op string, req any, fn func(s *careState) (*T, error)) (*T, error) {
	if err := validate(req); err != nil {
		return nil, err
	}
	if err := query(c.v, op, req); err != nil {
		return nil, err
	}
	c.v.f.mu.Lock()
	defer c.v.f.mu.Unlock()
	return fn(c.v.f.care())
}

func (c fakeCare) GetTicket(_ context.Context, req ledgerapi.TicketRequest) (*care.TicketDetail, error) {
	return read(c, "care.GetTicket", req, func(s *careState) (*care.TicketDetail, error) {
		t, err := s.ticket(req.ID)
		if err != nil {
			return nil, err
		}
		d := *t
		return &d, nil
	})
}

func (c fakeCare) ListTickets(_ context.Context, req ledgerapi.ListTicketsRequest) (*care.TicketPage, error) {
	return read(c, "care.ListTickets", req, func(s *careState) (*care.TicketPage, error) {
		var all []care.Ticket
		for _, t := range s.tickets {
			if req.Merchant == "" && t.Ticket.Customer == c.v.account() || req.Merchant != "" && t.Ticket.Merchant == req.Merchant {
				all = append(all, t.Ticket)
			}
		}
		sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
		from, to, next := page(len(all), req.PageSize, 50, req.Bookmark)
		return &care.TicketPage{Tickets: append([]care.Ticket{}, all[from:to]...), Next: next}, nil
	})
}

func (c fakeCare) BreachReport(_ context.Context, req ledgerapi.BreachReportRequest) (*care.BreachReport, error) {
	return read(c, "care.BreachReport", req, func(*careState) (*care.BreachReport, error) {
		return &care.BreachReport{Merchant: req.Merchant, Breaches: []care.SLABreach{}}, nil
	})
}

func (c fakeCare) GetSLAPolicy(_ context.Context, req ledgerapi.MerchantRequest) (*care.SLAPolicy, error) {
	return read(c, "care.GetSLAPolicy", req, func(s *careState) (*care.SLAPolicy, error) {
		p, ok := s.policies[req.Merchant]
		if !ok {
			p = care.SLAPolicy{Merchant: req.Merchant, Default: true, Urgent: care.SLATerms{FirstResponse: "1h", Resolution: "4h"},
				High: care.SLATerms{FirstResponse: "4h", Resolution: "24h"}, Normal: care.SLATerms{FirstResponse: "4h", Resolution: "48h"},
				Low: care.SLATerms{FirstResponse: "24h", Resolution: "120h"}}
		}
		return &p, nil
	})
}

func (c fakeCare) GetTicketPersonalData(_ context.Context, req ledgerapi.TicketRequest) (*care.TicketPersonalData, error) {
	return read(c, "care.GetTicketPersonalData", req, func(s *careState) (*care.TicketPersonalData, error) {
		t, err := s.ticket(req.ID)
		if err != nil {
			return nil, err
		}
		if t.Ticket.Merchant != c.v.caller {
			return nil, cxlerr.Errorf(cxlerr.Forbidden, "only %s reads the personal data of ticket %s", t.Ticket.Merchant, req.ID)
		}
		d := *s.personal[req.ID]
		return &d, nil
	})
}

func (c fakeCare) GetReview(_ context.Context, req ledgerapi.ReviewRequest) (*care.ReviewDetail, error) {
	return read(c, "care.GetReview", req, func(s *careState) (*care.ReviewDetail, error) {
		d, ok := s.reviews[req.ID]
		if !ok {
			return nil, cxlerr.Errorf(cxlerr.NotFound, "review %s does not exist", req.ID)
		}
		cp := *d
		return &cp, nil
	})
}

func (c fakeCare) ListReviews(_ context.Context, req ledgerapi.ListReviewsRequest) (*care.ReviewPage, error) {
	return read(c, "care.ListReviews", req, func(s *careState) (*care.ReviewPage, error) {
		var all []care.Review
		for _, d := range s.reviews {
			if d.Review.Merchant == req.Merchant {
				all = append(all, d.Review)
			}
		}
		sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
		from, to, next := page(len(all), req.PageSize, 50, req.Bookmark)
		return &care.ReviewPage{Reviews: append([]care.Review{}, all[from:to]...), Next: next}, nil
	})
}
