package care

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/cxlerr"
)

// Ticket categories.
const (
	CategoryDelivery = "delivery"
	CategoryProduct  = "product"
	CategoryRefund   = "refund"
	CategoryBilling  = "billing"
	CategoryAccount  = "account"
	CategoryOther    = "other"
)

// validateCategory checks a ticket category; others are INVALID.
func validateCategory(c string) error {
	switch c {
	case CategoryDelivery, CategoryProduct, CategoryRefund, CategoryBilling, CategoryAccount, CategoryOther:
		return nil
	}
	return cxlerr.Errorf(cxlerr.Invalid, "category %q: want one of delivery, product, refund, billing, account, other", c)
}

// OpenTicketArgs is the argument of OpenTicket. The ticket's text and the
// customer's contact details come as transient data.
type OpenTicketArgs struct {
	ID       string `json:"id"`
	Merchant string `json:"merchant,omitempty" metadata:",optional"`
	OrderID  string `json:"orderId,omitempty" metadata:",optional"`
	Category string `json:"category"`
	Priority string `json:"priority"`
}

// Validate checks every field that does not depend on the ledger.
func (a OpenTicketArgs) Validate() error {
	if err := ledger.ValidateID("id", a.ID); err != nil {
		return err
	}
	if a.Merchant == "" && a.OrderID == "" {
		return cxlerr.Errorf(cxlerr.Invalid, "merchant: required unless orderId names the order the ticket is about")
	}
	if a.Merchant != "" {
		if err := ledger.ValidateMSP("merchant", a.Merchant); err != nil {
			return err
		}
	}
	if a.OrderID != "" {
		if err := ledger.ValidateID("orderId", a.OrderID); err != nil {
			return err
		}
	}
	if err := validateCategory(a.Category); err != nil {
		return err
	}
	_, err := DefaultSLA(a.Priority)
	return err
}

// openTicket opens a ticket for the caller, the customer, with a merchant
// holding the merchant role: about one of the customer's orders (whose
// merchant it is then), or not. The first message is required, the contact
// details optional, both as transient data into the merchant's collection.
func (c *Contract) openTicket(tx *ledger.Tx, a OpenTicketArgs) (*Ticket, error) {
	pd, err := readPersonal(tx, TransientContact, TransientMessage)
	if err != nil {
		return nil, err
	}
	if pd.message == "" {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "transient %s: required: what the ticket is about", TransientMessage)
	}
	merchant := a.Merchant
	if a.OrderID != "" {
		o, err := c.orders(tx, a.OrderID)
		if err != nil {
			return nil, err
		}
		if o.Customer != tx.Caller().Account {
			return nil, cxlerr.Errorf(cxlerr.Forbidden, "order %s is not an order of %s", a.OrderID, tx.Caller().Account)
		}
		if merchant != "" && merchant != o.Merchant {
			return nil, cxlerr.Errorf(cxlerr.Conflict, "merchant: order %s is with %s, not %s", a.OrderID, o.Merchant, merchant)
		}
		merchant = o.Merchant
	}
	if err := ledger.RequireMember(tx, "merchant", merchant); err != nil {
		return nil, err
	}
	ok, err := ledger.OrgHasRole(tx, merchant, ledger.Merchant)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "merchant: %s does not hold the merchant role", merchant)
	}
	key, err := ticketKey(tx, a.ID)
	if err != nil {
		return nil, err
	}
	var existing Ticket
	found, err := ledger.GetJSON(tx, key, &existing)
	if err != nil {
		return nil, err
	}
	if found {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "ticket %s already exists; choose another ID", a.ID)
	}
	policy, err := readPolicy(tx, merchant)
	if err != nil {
		return nil, err
	}
	sla := policy.terms(a.Priority)
	firstResponse, resolution, err := sla.durations("sla")
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "SLA policy of %s: %w", merchant, err)
	}
	now := tx.Time()
	next := Ticket{
		ID: a.ID, Customer: tx.Caller().Account, Merchant: merchant, OrderID: a.OrderID,
		Category: a.Category, Priority: a.Priority, SLA: sla, State: StateOpen, Round: 1,
		Opened: now, FirstResponseDue: now.Add(firstResponse), ResolutionDue: now.Add(resolution),
		MessageSteps: []int{}, Breaches: []SLABreach{},
	}
	next, step, err := beginStep(tx, Ticket{}, next, ActionOpened)
	if err != nil {
		return nil, err
	}
	if pd.contact != "" {
		hash, err := putPersonal(tx, merchant, a.ID, fieldContact, step.Seq, pd.salt, pd.contact)
		if err != nil {
			return nil, err
		}
		next.ContactHash, next.ContactStored = hash, true
	}
	for _, index := range []struct{ objectType, owner string }{{merchantTickets, merchant}, {customerTickets, next.Customer}} {
		key, err := ledger.Key(tx, index.objectType, index.owner, a.ID)
		if err != nil {
			return nil, err
		}
		if err := ledger.PutJSON(tx, key, struct{}{}); err != nil {
			return nil, err
		}
	}
	return finishStep(tx, Ticket{}, next, step, pd, "TicketOpened", nil)
}

// AssignTicketArgs is the argument of AssignTicket.
type AssignTicketArgs struct {
	ID    string `json:"id"`
	Agent string `json:"agent"`
}

// Validate checks the ticket ID and the agent's account.
func (a AssignTicketArgs) Validate() error {
	if err := ledger.ValidateID("id", a.ID); err != nil {
		return err
	}
	return ledger.ValidateAccount("agent", a.Agent)
}

// assignTicket assigns an active ticket to an agent, an account of the
// merchant's organisation; an open ticket becomes assigned, any other keeps
// its state.
func assignTicket(tx *ledger.Tx, a AssignTicketArgs) (*Ticket, error) {
	old, err := readTicket(tx, a.ID)
	if err != nil {
		return nil, err
	}
	if err := requireMerchantOf(tx, old); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(a.Agent, old.Merchant+"/") {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "agent: %s is not an account of %s, the ticket's merchant", a.Agent, old.Merchant)
	}
	if err := requireState(old, "assign", StateOpen, StateAssigned, StateResponded, StateReopened); err != nil {
		return nil, err
	}
	if _, err := readPersonal(tx); err != nil {
		return nil, err
	}
	if old.Agent == a.Agent {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "ticket %s is already assigned to %s", old.ID, a.Agent)
	}
	next, step, err := beginStep(tx, old, old.clone(), ActionAssigned)
	if err != nil {
		return nil, err
	}
	next.Agent, step.Agent = a.Agent, a.Agent
	if next.State == StateOpen {
		next.State = StateAssigned
	}
	return finishStep(tx, old, next, step, personal{}, "TicketAssigned", nil)
}

// respondTicket records the merchant's response, whose text comes as
// transient data; the first response or resolution meets the first-response
// deadline.
func respondTicket(tx *ledger.Tx, a IDArgs) (*Ticket, error) {
	return merchantStep(tx, a, "respond to", ActionResponded, StateResponded, true, "TicketResponded")
}

// resolveTicket records that the merchant resolved the ticket, with an
// optional message as transient data.
func resolveTicket(tx *ledger.Tx, a IDArgs) (*Ticket, error) {
	return merchantStep(tx, a, "resolve", ActionResolved, StateResolved, false, "TicketResolved")
}

// merchantStep takes a merchant's step (verb, recorded as action) on an
// active ticket, leaving it in state to.
func merchantStep(tx *ledger.Tx, a IDArgs, verb, action, to string, needMessage bool, event string) (*Ticket, error) {
	old, err := readTicket(tx, a.ID)
	if err != nil {
		return nil, err
	}
	if err := requireMerchantOf(tx, old); err != nil {
		return nil, err
	}
	if err := requireState(old, verb, StateOpen, StateAssigned, StateResponded, StateReopened); err != nil {
		return nil, err
	}
	pd, err := readPersonal(tx, TransientMessage)
	if err != nil {
		return nil, err
	}
	if needMessage && pd.message == "" {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "transient %s: required: the response", TransientMessage)
	}
	next, step, err := beginStep(tx, old, old.clone(), action)
	if err != nil {
		return nil, err
	}
	now := tx.Time()
	if next.FirstResponseAt.IsZero() {
		next.FirstResponseAt = now
	}
	if to == StateResolved {
		next.ResolvedAt = now
	}
	next.State = to
	return finishStep(tx, old, next, step, pd, event, nil)
}

// reopenTicket lets the customer reopen a resolved ticket, with an optional
// message as transient data; a new resolution deadline runs from now.
func reopenTicket(tx *ledger.Tx, a IDArgs) (*Ticket, error) {
	old, err := customerStepOn(tx, a, "reopen")
	if err != nil {
		return nil, err
	}
	pd, err := readPersonal(tx, TransientMessage)
	if err != nil {
		return nil, err
	}
	_, resolution, err := old.SLA.durations("sla")
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "SLA terms of ticket %s: %w", old.ID, err)
	}
	next, step, err := beginStep(tx, old, old.clone(), ActionReopened)
	if err != nil {
		return nil, err
	}
	next.State = StateReopened
	next.Round++
	next.ResolutionDue = tx.Time().Add(resolution)
	return finishStep(tx, old, next, step, pd, "TicketReopened", nil)
}

// confirmTicket lets the customer confirm the resolution, closing the
// ticket for good.
func confirmTicket(tx *ledger.Tx, a IDArgs) (*Ticket, error) {
	old, err := customerStepOn(tx, a, "confirm")
	if err != nil {
		return nil, err
	}
	if _, err := readPersonal(tx); err != nil {
		return nil, err
	}
	next, step, err := beginStep(tx, old, old.clone(), ActionConfirmed)
	if err != nil {
		return nil, err
	}
	next.State = StateClosed
	next.ClosedAt = tx.Time()
	return finishStep(tx, old, next, step, personal{}, "TicketConfirmed", nil)
}

// customerStepOn reads a resolved ticket of the caller.
func customerStepOn(tx *ledger.Tx, a IDArgs, action string) (Ticket, error) {
	old, err := readTicket(tx, a.ID)
	if err != nil {
		return Ticket{}, err
	}
	if tx.Caller().Account != old.Customer {
		return Ticket{}, cxlerr.Errorf(cxlerr.Forbidden, "only the customer who opened ticket %s may %s it", old.ID, action)
	}
	if err := requireState(old, action, StateResolved); err != nil {
		return Ticket{}, err
	}
	return old, nil
}

// requireState fails with CONFLICT unless t is in one of states.
func requireState(t Ticket, action string, states ...string) error {
	if slices.Contains(states, t.State) {
		return nil
	}
	return cxlerr.Errorf(cxlerr.Conflict, "ticket %s is %s; %s needs it %s", t.ID, t.State, action, strings.Join(states, " or "))
}

// beginStep starts the next step of a ticket: it records the breaches of
// old's deadlines that are overdue at the transaction's time on next (a
// copy of old, or the new ticket) and numbers the step. The caller then
// changes next and finishes with finishStep.
func beginStep(tx *ledger.Tx, old, next Ticket, action string) (Ticket, TicketStep, error) {
	if old.Steps >= MaxTicketSteps {
		return Ticket{}, TicketStep{}, cxlerr.Errorf(cxlerr.Conflict, "ticket %s has %d steps, the most it may record", old.ID, MaxTicketSteps)
	}
	next.Breaches = append(next.Breaches, detectBreaches(tx, old)...)
	next.Steps = old.Steps + 1
	next.Updated, next.UpdatedTx = tx.Time(), tx.ID()
	step := TicketStep{Ticket: next.ID, Seq: next.Steps, Action: action, Actor: tx.Caller().Account, Time: tx.Time(), Tx: tx.ID()}
	return next, step, nil
}

// ticketEvent is the data of every ticket event. Events are readable by
// every channel member: no personal data, only its salted hashes.
type ticketEvent struct {
	Step     TicketStep     `json:"step"`
	Breaches []SLABreach    `json:"breaches,omitempty"`
	Detail   map[string]any `json:"detail,omitempty"`
}

// finishStep stores the step's message, if any, in the merchant's
// collection, then writes the ticket, the step, the due index and the
// breaches recorded, and emits the step's event.
func finishStep(tx *ledger.Tx, old, next Ticket, step TicketStep, pd personal, event string, detail map[string]any) (*Ticket, error) {
	if pd.message != "" {
		hash, err := putPersonal(tx, next.Merchant, next.ID, fieldMessage, step.Seq, pd.salt, pd.message)
		if err != nil {
			return nil, err
		}
		step.MessageHash = hash
		next.MessageSteps = append(next.MessageSteps, step.Seq)
	}
	step.State = next.State
	if err := saveTicket(tx, old, next); err != nil {
		return nil, err
	}
	key, err := stepKey(tx, next.ID, step.Seq)
	if err != nil {
		return nil, err
	}
	if err := ledger.PutJSON(tx, key, step); err != nil {
		return nil, err
	}
	recorded := next.Breaches[len(old.Breaches):]
	if err := saveBreaches(tx, recorded); err != nil {
		return nil, err
	}
	err = ledger.Emit(tx, ledger.Event{
		Contract: Name,
		Type:     event,
		Keys:     map[string]string{"ticket": next.ID, "merchant": next.Merchant},
		Data:     ticketEvent{Step: step, Breaches: recorded, Detail: detail},
	})
	if err != nil {
		return nil, err
	}
	return &next, nil
}

// clone returns a copy of t that shares no slices with it.
func (t Ticket) clone() Ticket {
	t.MessageSteps = slices.Clone(t.MessageSteps)
	t.Breaches = slices.Clone(t.Breaches)
	return t
}

// readTicket reads a committed ticket; NOT_FOUND when there is none.
func readTicket(tx *ledger.Tx, id string) (Ticket, error) {
	key, err := ticketKey(tx, id)
	if err != nil {
		return Ticket{}, err
	}
	var t Ticket
	if err := ledger.MustGetJSON(tx, key, &t); err != nil {
		return Ticket{}, err
	}
	return t, nil
}

// saveTicket writes next and moves the due index from old's deadlines to
// next's.
func saveTicket(tx *ledger.Tx, old, next Ticket) error {
	key, err := ticketKey(tx, next.ID)
	if err != nil {
		return err
	}
	if err := ledger.PutJSON(tx, key, next); err != nil {
		return err
	}
	return saveDeadlines(tx, old, next)
}

// readSteps returns every step of a ticket, oldest first.
func readSteps(tx *ledger.Tx, id string) ([]TicketStep, error) {
	steps := []TicketStep{}
	_, err := ledger.Scan(tx, stepType, []string{id}, MaxTicketSteps, func(kv ledger.KV) error {
		var s TicketStep
		if err := json.Unmarshal(kv.Value, &s); err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(kv.Key), err)
		}
		steps = append(steps, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return steps, nil
}

// getTicket returns a ticket with its steps and the breaches overdue at the
// query's time. Callers: the customer, the merchant, auditors and arbiters.
func getTicket(tx *ledger.Tx, a IDArgs) (*TicketDetail, error) {
	t, err := readTicket(tx, a.ID)
	if err != nil {
		return nil, err
	}
	if tx.Caller().Account != t.Customer {
		if err := requireOversight(tx, t.Merchant); err != nil {
			return nil, err
		}
	}
	steps, err := readSteps(tx, t.ID)
	if err != nil {
		return nil, err
	}
	return &TicketDetail{Ticket: t, Steps: steps, Overdue: overdue(t, tx.Time())}, nil
}

// ListTicketsArgs is the argument of ListTickets.
type ListTicketsArgs struct {
	// Merchant lists that merchant's tickets; "" lists the caller's own.
	Merchant string `json:"merchant,omitempty" metadata:",optional"`
	PageSize int    `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// Validate checks the merchant, when given.
func (a ListTicketsArgs) Validate() error {
	if a.Merchant == "" {
		return nil
	}
	return ledger.ValidateMSP("merchant", a.Merchant)
}

// listTickets lists one page of a merchant's tickets (for the merchant,
// auditors and arbiters) or of the caller's own tickets, by ticket ID.
func listTickets(tx *ledger.Tx, a ListTicketsArgs) (*TicketPage, error) {
	objectType, owner := customerTickets, tx.Caller().Account
	if a.Merchant != "" {
		if err := requireOversight(tx, a.Merchant); err != nil {
			return nil, err
		}
		objectType, owner = merchantTickets, a.Merchant
	}
	rows, next, err := ledger.Page(tx, objectType, []string{owner}, a.PageSize, a.Bookmark)
	if err != nil {
		return nil, err
	}
	page := &TicketPage{Tickets: make([]Ticket, 0, len(rows)), Next: next}
	for _, kv := range rows {
		t, err := readTicket(tx, kv.Parts[len(kv.Parts)-1])
		if err != nil {
			return nil, err
		}
		page.Tickets = append(page.Tickets, t)
	}
	return page, nil
}

// requireMerchantOf fails with FORBIDDEN unless the caller belongs to the
// ticket's merchant organisation and it holds the merchant role.
func requireMerchantOf(tx *ledger.Tx, t Ticket) error {
	if tx.Caller().MSP != t.Merchant {
		return cxlerr.Errorf(cxlerr.Forbidden, "ticket %s is with merchant %s, not %s", t.ID, t.Merchant, tx.Caller().MSP)
	}
	return ledger.RequireRole(tx, ledger.Merchant)
}

// requireOversight fails with FORBIDDEN unless the caller belongs to
// merchant, holding the merchant role, or to an auditor or arbiter.
func requireOversight(tx *ledger.Tx, merchant string) error {
	if tx.Caller().MSP == merchant {
		return ledger.RequireRole(tx, ledger.Merchant)
	}
	for _, r := range []ledger.Role{ledger.Auditor, ledger.Arbiter} {
		ok, err := ledger.OrgHasRole(tx, tx.Caller().MSP, r)
		if err != nil || ok {
			return err
		}
	}
	return cxlerr.Errorf(cxlerr.Forbidden, "%s is neither merchant %s nor an auditor or arbiter", tx.Caller().MSP, merchant)
}
