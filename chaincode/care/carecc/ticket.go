package carecc

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// openTicket opens a ticket for the caller, the customer, with a merchant
// holding the merchant role: about one of the customer's orders (whose
// merchant it is then), or not. The first message is required, the contact
// details optional, both sealed to an unused ticket key of the merchant, which the ticket
// claims, as transient data into the merchant's collection.
func (c *Contract) openTicket(tx *ledger.Tx, a care.OpenTicketArgs) (*care.Ticket, error) {
	pd, err := readPersonal(tx, care.TransientContact, care.TransientMessage)
	if err != nil {
		return nil, err
	}
	if pd.Message == nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "transient %s: required: what the ticket is about", care.TransientMessage)
	}
	merchant := a.Merchant
	if a.OrderID != "" {
		o, err := c.readOrder(tx, a.OrderID)
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
	ok, err := ledger.OrgHasRole(tx, merchant, ledgertypes.Merchant)
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
	var existing care.Ticket
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
	sla := policy.Terms(a.Priority)
	firstResponse, resolution, err := sla.Durations("sla")
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "SLA policy of %s: %w", merchant, err)
	}
	now := tx.Time()
	next := care.Ticket{
		ID: a.ID, Customer: tx.Caller().Account, Merchant: merchant, OrderID: a.OrderID,
		Category: a.Category, Priority: a.Priority, SLA: sla, State: care.StateOpen, Round: 1,
		Opened: now, FirstResponseDue: now.Add(firstResponse), ResolutionDue: now.Add(resolution),
		MessageSteps: []int{}, Breaches: []care.SLABreach{},
	}
	next, step, err := beginStep(tx, care.Ticket{}, next, care.ActionOpened)
	if err != nil {
		return nil, err
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
	return finishStep(tx, care.Ticket{}, next, step, pd, "TicketOpened", nil)
}

// assignTicket assigns an active ticket to an agent, an account of the
// merchant's organisation; an open ticket becomes assigned, any other keeps
// its state.
func assignTicket(tx *ledger.Tx, a care.AssignTicketArgs) (*care.Ticket, error) {
	old, err := readableTicket(tx, a.ID)
	if err != nil {
		return nil, err
	}
	if err := requireMerchantOf(tx, old); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(a.Agent, old.Merchant+"/") {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "agent: %s is not an account of %s, the ticket's merchant", a.Agent, old.Merchant)
	}
	if err := requireState(old, "assign", care.StateOpen, care.StateAssigned, care.StateResponded, care.StateReopened); err != nil {
		return nil, err
	}
	if _, err := readPersonal(tx); err != nil {
		return nil, err
	}
	if old.Agent == a.Agent {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "ticket %s is already assigned to %s", old.ID, a.Agent)
	}
	next, step, err := beginStep(tx, old, old.Clone(), care.ActionAssigned)
	if err != nil {
		return nil, err
	}
	next.Agent, step.Agent = a.Agent, a.Agent
	if next.State == care.StateOpen {
		next.State = care.StateAssigned
	}
	return finishStep(tx, old, next, step, care.Personal{}, "TicketAssigned", nil)
}

// respondTicket records the merchant's response, whose text comes as
// transient data; the first response or resolution meets the first-response
// deadline.
func respondTicket(tx *ledger.Tx, a care.IDArgs) (*care.Ticket, error) {
	return merchantStep(tx, a, "respond to", care.ActionResponded, care.StateResponded, true, "TicketResponded")
}

// resolveTicket records that the merchant resolved the ticket, with an
// optional message as transient data.
func resolveTicket(tx *ledger.Tx, a care.IDArgs) (*care.Ticket, error) {
	return merchantStep(tx, a, "resolve", care.ActionResolved, care.StateResolved, false, "TicketResolved")
}

// merchantStep takes a merchant's step (verb, recorded as action) on an
// active ticket, leaving it in state to.
func merchantStep(tx *ledger.Tx, a care.IDArgs, verb, action, to string, needMessage bool, event string) (*care.Ticket, error) {
	old, err := readableTicket(tx, a.ID)
	if err != nil {
		return nil, err
	}
	if err := requireMerchantOf(tx, old); err != nil {
		return nil, err
	}
	if err := requireState(old, verb, care.StateOpen, care.StateAssigned, care.StateResponded, care.StateReopened); err != nil {
		return nil, err
	}
	pd, err := readPersonal(tx, care.TransientMessage)
	if err != nil {
		return nil, err
	}
	if needMessage && pd.Message == nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "transient %s: required: the response", care.TransientMessage)
	}
	next, step, err := beginStep(tx, old, old.Clone(), action)
	if err != nil {
		return nil, err
	}
	now := tx.Time()
	if next.FirstResponseAt.IsZero() {
		next.FirstResponseAt = now
	}
	if to == care.StateResolved {
		next.ResolvedAt = now
	}
	next.State = to
	return finishStep(tx, old, next, step, pd, event, nil)
}

// reopenTicket lets the customer reopen a resolved ticket, with an optional
// message as transient data; a new resolution deadline runs from now.
func reopenTicket(tx *ledger.Tx, a care.IDArgs) (*care.Ticket, error) {
	old, err := customerStepOn(tx, a, "reopen")
	if err != nil {
		return nil, err
	}
	pd, err := readPersonal(tx, care.TransientMessage)
	if err != nil {
		return nil, err
	}
	_, resolution, err := old.SLA.Durations("sla")
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "SLA terms of ticket %s: %w", old.ID, err)
	}
	next, step, err := beginStep(tx, old, old.Clone(), care.ActionReopened)
	if err != nil {
		return nil, err
	}
	next.State = care.StateReopened
	next.Round++
	next.ResolutionDue = tx.Time().Add(resolution)
	return finishStep(tx, old, next, step, pd, "TicketReopened", nil)
}

// confirmTicket lets the customer confirm the resolution, closing the
// ticket for good.
func confirmTicket(tx *ledger.Tx, a care.IDArgs) (*care.Ticket, error) {
	old, err := customerStepOn(tx, a, "confirm")
	if err != nil {
		return nil, err
	}
	if _, err := readPersonal(tx); err != nil {
		return nil, err
	}
	next, step, err := beginStep(tx, old, old.Clone(), care.ActionConfirmed)
	if err != nil {
		return nil, err
	}
	next.State = care.StateClosed
	next.ClosedAt = tx.Time()
	return finishStep(tx, old, next, step, care.Personal{}, "TicketConfirmed", nil)
}

// customerStepOn reads a resolved ticket of the caller.
func customerStepOn(tx *ledger.Tx, a care.IDArgs, action string) (care.Ticket, error) {
	old, err := readableTicket(tx, a.ID)
	if err != nil {
		return care.Ticket{}, err
	}
	if tx.Caller().Account != old.Customer {
		return care.Ticket{}, cxlerr.Errorf(cxlerr.Forbidden, "only the customer who opened ticket %s may %s it", old.ID, action)
	}
	if err := requireState(old, action, care.StateResolved); err != nil {
		return care.Ticket{}, err
	}
	return old, nil
}

// requireState fails with CONFLICT unless t is in one of states.
func requireState(t care.Ticket, action string, states ...string) error {
	if slices.Contains(states, t.State) {
		return nil
	}
	return cxlerr.Errorf(cxlerr.Conflict, "ticket %s is %s; %s needs it %s", t.ID, t.State, action, strings.Join(states, " or "))
}

// beginStep starts the next step of a ticket: it records the breaches of
// old's deadlines that are overdue at the transaction's time on next (a
// copy of old, or the new ticket) and numbers the step. The caller then
// changes next and finishes with finishStep.
func beginStep(tx *ledger.Tx, old, next care.Ticket, action string) (care.Ticket, care.TicketStep, error) {
	if old.Steps >= care.MaxTicketSteps {
		return care.Ticket{}, care.TicketStep{}, cxlerr.Errorf(cxlerr.Conflict, "ticket %s has %d steps, the most it may record", old.ID, care.MaxTicketSteps)
	}
	next.Breaches = append(next.Breaches, detectBreaches(tx, old)...)
	next.Steps = old.Steps + 1
	next.Updated, next.UpdatedTx = tx.Time(), tx.ID()
	step := care.TicketStep{Ticket: next.ID, Seq: next.Steps, Action: action, Actor: tx.Caller().Account, Time: tx.Time(), Tx: tx.ID()}
	return next, step, nil
}

// ticketEvent is the data of every ticket event. Events are readable by
// every channel member: no personal data, only its salted hashes.
type ticketEvent struct {
	Step     care.TicketStep  `json:"step"`
	Breaches []care.SLABreach `json:"breaches,omitempty"`
	Detail   map[string]any   `json:"detail,omitempty"`
}

// finishStep stores the step's sealed personal data, if any, in the merchant's
// collection (the ticket claiming a key first when it has none), then writes the
// ticket, the step, the due index and the breaches recorded, and emits the step's event.
func finishStep(tx *ledger.Tx, old, next care.Ticket, step care.TicketStep, pd care.Personal, event string, detail map[string]any) (*care.Ticket, error) {
	if pd.Any() {
		if err := useKey(tx, &next, pd.Key); err != nil {
			return nil, err
		}
	}
	if pd.Contact != nil {
		if err := putPersonal(tx, next, fieldContact, step.Seq, pd.Contact); err != nil {
			return nil, err
		}
		next.ContactHash, next.ContactStored = pd.Contact.Hash, true
	}
	if pd.Message != nil {
		if err := putPersonal(tx, next, fieldMessage, step.Seq, pd.Message); err != nil {
			return nil, err
		}
		step.MessageHash = pd.Message.Hash
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
		Contract: care.Name,
		Type:     event,
		Keys:     map[string]string{"ticket": next.ID, "merchant": next.Merchant},
		Data:     ticketEvent{Step: step, Breaches: recorded, Detail: detail},
	})
	if err != nil {
		return nil, err
	}
	return &next, nil
}

// readTicket reads a committed ticket an index names, checking no reader;
// NOT_FOUND when there is none.
func readTicket(tx *ledger.Tx, id string) (care.Ticket, error) {
	key, err := ticketKey(tx, id)
	if err != nil {
		return care.Ticket{}, err
	}
	var t care.Ticket
	if err := ledger.MustGetJSON(tx, key, &t); err != nil {
		return care.Ticket{}, err
	}
	return t, nil
}

// readableTicket returns the committed ticket id if the caller may read it
// (ticketReaders): FORBIDDEN otherwise, with a message that names nothing
// of the ticket, whether it exists or not; NOT_FOUND only to those who
// could read a missing ticket. GetTicket and every step on a ticket read
// it so, so that a refused step tells a stranger nothing either.
func readableTicket(tx *ledger.Tx, id string) (care.Ticket, error) {
	t, found, err := findTicket(tx, id)
	if err != nil {
		return care.Ticket{}, err
	}
	if err := ledger.RequireReader(tx, ticketReaders(t, found)); err != nil {
		return care.Ticket{}, err
	}
	if !found {
		return care.Ticket{}, cxlerr.Errorf(cxlerr.NotFound, "ticket %s not found", id)
	}
	return t, nil
}

// findTicket returns ticket id and whether it exists, for the queries,
// which must not tell a caller who may not read it whether it does.
func findTicket(tx *ledger.Tx, id string) (care.Ticket, bool, error) {
	key, err := ticketKey(tx, id)
	if err != nil {
		return care.Ticket{}, false, err
	}
	var t care.Ticket
	found, err := ledger.GetJSON(tx, key, &t)
	return t, found, err
}

// ticketReaders are who may read ticket t, found or not: its customer, its
// merchant's staff, arbiters and auditors (ledger.RequireReader). A
// missing ticket has no parties, so only arbiters and auditors learn that
// it is NOT_FOUND; everyone else gets FORBIDDEN, as for a ticket not theirs.
func ticketReaders(t care.Ticket, found bool) ledger.Readers {
	r := ledger.Readers{Roles: oversightRoles}
	if found {
		r.Parties = []string{t.Customer, t.Merchant}
	}
	return r
}

// oversightRoles read every ticket and breach report, besides auditors.
var oversightRoles = []ledgertypes.Role{ledgertypes.Arbiter}

// saveTicket writes next and moves the due index from old's deadlines to
// next's.
func saveTicket(tx *ledger.Tx, old, next care.Ticket) error {
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
func readSteps(tx *ledger.Tx, id string) ([]care.TicketStep, error) {
	steps := []care.TicketStep{}
	_, err := ledger.Scan(tx, stepType, []string{id}, care.MaxTicketSteps, func(kv ledger.KV) error {
		var s care.TicketStep
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
// query's time. Readers: see ticketReaders.
func getTicket(tx *ledger.Tx, a care.IDArgs) (*care.TicketDetail, error) {
	t, err := readableTicket(tx, a.ID)
	if err != nil {
		return nil, err
	}
	steps, err := readSteps(tx, t.ID)
	if err != nil {
		return nil, err
	}
	return &care.TicketDetail{Ticket: t, Steps: steps, Overdue: overdue(t, tx.Time())}, nil
}

// listTickets lists one page of a merchant's tickets (for the merchant's
// staff, arbiters and auditors) or of the caller's own tickets, by ticket
// ID.
func listTickets(tx *ledger.Tx, a care.ListTicketsArgs) (*care.TicketPage, error) {
	objectType, owner := customerTickets, tx.Caller().Account
	if a.Merchant != "" {
		if err := ledger.RequireReader(tx, ledger.Readers{Parties: []string{a.Merchant}, Roles: oversightRoles}); err != nil {
			return nil, err
		}
		objectType, owner = merchantTickets, a.Merchant
	}
	rows, next, err := ledger.Page(tx, objectType, []string{owner}, a.PageSize, a.Bookmark)
	if err != nil {
		return nil, err
	}
	page := &care.TicketPage{Tickets: make([]care.Ticket, 0, len(rows)), Next: next}
	for _, kv := range rows {
		t, err := readTicket(tx, kv.Parts[len(kv.Parts)-1])
		if err != nil {
			return nil, err
		}
		page.Tickets = append(page.Tickets, t)
	}
	return page, nil
}

// requireMerchantOf fails with FORBIDDEN unless the caller acts for the
// ticket's merchant as its merchant (ledger.ActsFor: its staff carrying the
// merchant role, the organisation holding it).
func requireMerchantOf(tx *ledger.Tx, t care.Ticket) error {
	if tx.Caller().MSP != t.Merchant {
		return cxlerr.Errorf(cxlerr.Forbidden, "ticket %s is with merchant %s, not %s", t.ID, t.Merchant, tx.Caller().MSP)
	}
	return ledger.ActsFor(tx, t.Merchant, ledgertypes.Merchant)
}

// requireOversight fails with FORBIDDEN unless the caller acts for
// merchant as its merchant, or plays the auditor or arbiter role
// (ledger.HoldsRole).
func requireOversight(tx *ledger.Tx, merchant string) error {
	if tx.Caller().MSP == merchant {
		return ledger.ActsFor(tx, merchant, ledgertypes.Merchant)
	}
	for _, r := range []ledgertypes.Role{ledgertypes.Auditor, ledgertypes.Arbiter} {
		ok, err := ledger.HoldsRole(tx, r)
		if err != nil || ok {
			return err
		}
	}
	return cxlerr.Errorf(cxlerr.Forbidden, "%s is neither staff of merchant %s nor an auditor or arbiter", tx.Caller().Account, merchant)
}
