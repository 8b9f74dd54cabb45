package carecc_test

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/carecrypt"
	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

const openArgs = `{"id":"T1","merchant":"Org2MSP","category":"delivery","priority":"normal"}`

// TestTicketLifecycle takes a ticket through every transition and checks
// each step is appended under a key of its own and never rewritten.
func TestTicketLifecycle(t *testing.T) {
	e := newEnv(t)
	steps := []struct {
		name      string
		caller    who
		fn        fn[*care.Ticket]
		args      string
		transient map[string][]byte
		state     string
		action    string
		event     string
	}{
		{"open", alice, openTicket, openArgs, e.personal(care.TransientMessage, "My parcel never came.", care.TransientContact, "alice@example.com, +41 79 555 01 01"), care.StateOpen, care.ActionOpened, "TicketOpened"},
		{"assign", agent, assignTicket, `{"id":"T1","agent":"Org2MSP/agent2"}`, nil, care.StateAssigned, care.ActionAssigned, "TicketAssigned"},
		{"reassign", agent2, assignTicket, `{"id":"T1","agent":"Org2MSP/agent1"}`, nil, care.StateAssigned, care.ActionAssigned, "TicketAssigned"},
		{"respond", agent, respondTicket, id("T1"), e.personal(care.TransientMessage, "Sorry Alice, we are tracing it."), care.StateResponded, care.ActionResponded, "TicketResponded"},
		{"respond again", agent, respondTicket, id("T1"), e.personal(care.TransientMessage, "Found it at the depot."), care.StateResponded, care.ActionResponded, "TicketResponded"},
		{"resolve", agent, resolveTicket, id("T1"), nil, care.StateResolved, care.ActionResolved, "TicketResolved"},
		{"reopen", alice, reopenTicket, id("T1"), e.personal(care.TransientMessage, "Still nothing at my door."), care.StateReopened, care.ActionReopened, "TicketReopened"},
		{"resolve again", agent2, resolveTicket, id("T1"), e.personal(care.TransientMessage, "Redelivered today."), care.StateResolved, care.ActionResolved, "TicketResolved"},
		{"confirm", alice, confirmTicket, id("T1"), nil, care.StateClosed, care.ActionConfirmed, "TicketConfirmed"},
	}
	stepKeys := map[string]bool{}
	for i, s := range steps {
		e.at(time.Duration(i) * time.Minute)
		e.stub.AsIdentity(s.caller.id())
		got, err := call(e, s.caller, s.fn, s.args, s.transient)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got.State != s.state || got.Steps != i+1 {
			t.Fatalf("%s: state %s, %d steps; want %s, %d", s.name, got.State, got.Steps, s.state, i+1)
		}
		name, payload := e.event()
		if name != "care."+s.event || payload.Keys["ticket"] != "T1" || payload.Keys["merchant"] != "Org2MSP" {
			t.Fatalf("%s: event %s %v", s.name, name, payload.Keys)
		}
		for _, w := range e.stub.Writes() {
			objectType, _, _ := e.stub.SplitCompositeKey(w.Key)
			if objectType == "care.step" {
				if stepKeys[w.Key] {
					t.Fatalf("%s rewrote step key %q", s.name, w.Key)
				}
				stepKeys[w.Key] = true
			}
		}
		e.stub.Begin()
		// Run it again for real, with the leak checks.
		e.at(time.Duration(i) * time.Minute)
		submit(e, s.caller, s.fn, s.args, s.transient)
	}
	if len(stepKeys) != len(steps) {
		t.Fatalf("%d step keys for %d steps", len(stepKeys), len(steps))
	}
	d := query(e, alice, getTicket, id("T1"))
	if len(d.Steps) != len(steps) {
		t.Fatalf("GetTicket: %d steps", len(d.Steps))
	}
	for i, s := range d.Steps {
		want := steps[i]
		if s.Seq != i+1 || s.Action != want.action || s.Actor != want.caller.account() || s.State != want.state || !s.Time.Equal(e.start.Add(time.Duration(i)*time.Minute)) {
			t.Fatalf("step %d: %+v", i+1, s)
		}
		if (want.transient != nil) != (s.MessageHash != "") {
			t.Fatalf("step %d: message hash %q", i+1, s.MessageHash)
		}
	}
	if d.Steps[1].Agent != "Org2MSP/agent2" || d.Ticket.Agent != "Org2MSP/agent1" {
		t.Fatalf("agents: step %q, ticket %q", d.Steps[1].Agent, d.Ticket.Agent)
	}
	tk := d.Ticket
	if tk.Customer != alice.account() || tk.Round != 2 || !tk.FirstResponseAt.Equal(e.start.Add(3*time.Minute)) || !tk.ClosedAt.Equal(e.start.Add(8*time.Minute)) ||
		!tk.ContactStored || tk.ContactHash == "" || !slices.Equal(tk.MessageSteps, []int{1, 4, 5, 7, 8}) || len(tk.Breaches) != 0 {
		t.Fatalf("ticket %+v", tk)
	}
	// Reopening started a second round with a new resolution deadline.
	if want := e.start.Add(6*time.Minute + 72*time.Hour); !tk.ResolutionDue.Equal(want) {
		t.Fatalf("resolution due %s, want %s", tk.ResolutionDue, want)
	}
	// Closed tickets have no pending deadlines left.
	for _, k := range e.stub.Keys() {
		if strings.Contains(k, "care.due") {
			t.Fatalf("due index row left: %q", k)
		}
	}
}

// TestTicketTransitionRules checks who may take each step and in which states.
func TestTicketTransitionRules(t *testing.T) {
	e := newEnv(t)
	submit(e, alice, openTicket, openArgs, e.personal(care.TransientMessage, "Broken lid."))
	msg := func() map[string][]byte { return e.personal(care.TransientMessage, "a reply") }

	fails(e, alice, respondTicket, id("T1"), msg(), cxlerr.Forbidden, "ticket T1 is with merchant Org2MSP, not Org1MSP")
	fails(e, auditor, respondTicket, id("T1"), msg(), cxlerr.Forbidden, "ticket T1 is with merchant Org2MSP, not Org4MSP")
	fails(e, rival, respondTicket, id("T1"), msg(), cxlerr.Forbidden, "Org3MSP/clerk may not read this record")
	fails(e, rival, assignTicket, `{"id":"T1","agent":"Org3MSP/clerk"}`, nil, cxlerr.Forbidden, "Org3MSP/clerk may not read this record")
	fails(e, agent, assignTicket, `{"id":"T1","agent":"Org3MSP/clerk"}`, nil, cxlerr.Conflict, "agent: Org3MSP/clerk is not an account of Org2MSP")
	fails(e, agent, assignTicket, `{"id":"T1","agent":"agent2"}`, nil, cxlerr.Invalid, "agent: account")
	fails(e, agent, respondTicket, id("T1"), nil, cxlerr.Invalid, "transient message: required")
	fails(e, agent, resolveTicket, id("T1"), map[string][]byte{care.TransientContact: []byte("x")}, cxlerr.Invalid, `transient key "contact"`)
	fails(e, alice, confirmTicket, id("T1"), nil, cxlerr.Conflict, "ticket T1 is open; confirm needs it resolved")
	fails(e, alice, reopenTicket, id("T1"), nil, cxlerr.Conflict, "ticket T1 is open; reopen needs it resolved")
	fails(e, agent, respondTicket, id("T2"), msg(), cxlerr.Forbidden, "Org2MSP/agent1 may not read this record")
	fails(e, auditor, respondTicket, id("T2"), nil, cxlerr.NotFound, "ticket T2 not found")

	submit(e, agent, assignTicket, `{"id":"T1","agent":"Org2MSP/agent1"}`, nil)
	fails(e, agent, assignTicket, `{"id":"T1","agent":"Org2MSP/agent1"}`, nil, cxlerr.Conflict, "already assigned to Org2MSP/agent1")
	submit(e, agent, resolveTicket, id("T1"), nil)
	fails(e, agent, respondTicket, id("T1"), msg(), cxlerr.Conflict, "ticket T1 is resolved; respond to needs it open or assigned or responded or reopened")
	fails(e, agent, assignTicket, `{"id":"T1","agent":"Org2MSP/agent2"}`, nil, cxlerr.Conflict, "assign needs it open")
	fails(e, agent, confirmTicket, id("T1"), nil, cxlerr.Forbidden, "only the customer who opened ticket T1 may confirm it")
	fails(e, bob, reopenTicket, id("T1"), nil, cxlerr.Forbidden, "Org1MSP/bob may not read this record")
	fails(e, auditor, reopenTicket, id("T1"), nil, cxlerr.Forbidden, "only the customer who opened ticket T1 may reopen it")
	fails(e, alice, confirmTicket, id("T1"), e.personal(care.TransientMessage, "thanks a lot!"), cxlerr.Invalid, `transient key "message"`)
	submit(e, alice, confirmTicket, id("T1"), nil)
	fails(e, alice, reopenTicket, id("T1"), nil, cxlerr.Conflict, "ticket T1 is closed")
	fails(e, agent, resolveTicket, id("T1"), nil, cxlerr.Conflict, "ticket T1 is closed")

	// A merchant that lost its role can no longer act on its tickets.
	submit(e, bob, openTicket, `{"id":"T3","merchant":"Org3MSP","category":"other","priority":"low"}`, e.personal(care.TransientMessage, "Hello?"))
	e.stub.As("Org1MSP", "Admin@org1", "admin")
	if _, err := ledger.RevokeRole(e.tx(), "Org3MSP", ledgertypes.Merchant); err != nil {
		t.Fatal(err)
	}
	e.stub.Commit()
	e.stub.As("Org2MSP", "Admin@org2", "admin")
	if _, err := ledger.ApproveRole(e.tx(), "Org3MSP", ledgertypes.Merchant); err != nil {
		t.Fatal(err)
	}
	e.stub.Commit()
	fails(e, rival, respondTicket, id("T3"), msg(), cxlerr.Forbidden, "organisation Org3MSP does not hold the merchant role")
}

// TestTicketReading checks who may read tickets, listings and personal data.
func TestTicketReading(t *testing.T) {
	e := newEnv(t)
	submit(e, alice, openTicket, openArgs, e.personal(care.TransientMessage, "Where is it?"))
	submit(e, bob, openTicket, `{"id":"T2","merchant":"Org2MSP","category":"billing","priority":"high"}`, e.personal(care.TransientMessage, "Charged twice."))
	submit(e, alice, openTicket, `{"id":"T3","merchant":"Org3MSP","category":"product","priority":"low"}`, e.personal(care.TransientMessage, "Wrong colour."))

	for _, c := range []who{alice, agent, auditor} {
		if d := query(e, c, getTicket, id("T1")); d.Ticket.ID != "T1" {
			t.Fatalf("GetTicket as %s: %+v", c.account(), d.Ticket)
		}
	}
	// Another merchant, another customer (of an organisation that is itself a
	// merchant) and an organisation without a role: FORBIDDEN with a message
	// that names nothing of the ticket, the same for a ticket that does not
	// exist, so none of them learns which tickets exist; the auditor, who
	// could read it, learns that it is NOT_FOUND.
	for _, c := range append([]who{rival, bob, stranger}, unroled...) {
		want := c.account() + " may not read this record"
		for _, ticket := range []string{"T1", "T9"} {
			_, err := call(e, c, getTicket, id(ticket), nil)
			if cxlerr.CodeOf(err) != cxlerr.Forbidden || err.Error() != "cxl:FORBIDDEN: "+want {
				t.Fatalf("GetTicket %s as %s: %v, want FORBIDDEN %q", ticket, c.account(), err, want)
			}
		}
	}
	fails(e, auditor, getTicket, id("T9"), nil, cxlerr.NotFound, "ticket T9 not found")
	fails(e, alice, getTicket, id("T9"), nil, cxlerr.Forbidden, "Org1MSP/alice may not read this record")
	fails(e, alice, getTicket, `{"id":""}`, nil, cxlerr.Invalid, "id: required")

	ids := func(p *care.TicketPage) []string {
		var out []string
		for _, tk := range p.Tickets {
			out = append(out, tk.ID)
		}
		return out
	}
	if got := ids(query(e, agent, listTickets, `{"merchant":"Org2MSP"}`)); !slices.Equal(got, []string{"T1", "T2"}) {
		t.Fatalf("Org2MSP's tickets: %v", got)
	}
	if got := ids(query(e, auditor, listTickets, `{"merchant":"Org3MSP"}`)); !slices.Equal(got, []string{"T3"}) {
		t.Fatalf("Org3MSP's tickets for the auditor: %v", got)
	}
	if got := ids(query(e, alice, listTickets, `{}`)); !slices.Equal(got, []string{"T1", "T3"}) {
		t.Fatalf("alice's tickets: %v", got)
	}
	page := query(e, agent, listTickets, `{"merchant":"Org2MSP","pageSize":1}`)
	if got := ids(page); !slices.Equal(got, []string{"T1"}) || page.Next == "" {
		t.Fatalf("first page %v next %q", got, page.Next)
	}
	if got := ids(query(e, agent, listTickets, `{"merchant":"Org2MSP","pageSize":1,"bookmark":"`+page.Next+`"}`)); !slices.Equal(got, []string{"T2"}) {
		t.Fatalf("second page %v", got)
	}
	fails(e, rival, listTickets, `{"merchant":"Org2MSP"}`, nil, cxlerr.Forbidden, "Org3MSP/clerk may not read this record")
	fails(e, alice, listTickets, `{"merchant":"Org2MSP"}`, nil, cxlerr.Forbidden, "Org1MSP/alice may not read this record")
	fails(e, stranger, listTickets, `{"merchant":"Org2MSP"}`, nil, cxlerr.Forbidden, "Org5MSP/eve may not read this record")
	if got := ids(query(e, bob, listTickets, `{}`)); !slices.Equal(got, []string{"T2"}) {
		t.Fatalf("bob's own tickets: %v", got)
	}
	fails(e, agent, listTickets, `{"merchant":"Org2MSP","pageSize":500}`, nil, cxlerr.Invalid, "pageSize")

	if pd := e.open(query(e, agent, getPersonalData, id("T1"))); len(pd.Texts) != 1 || pd.Texts[0].Value != "Where is it?" {
		t.Fatalf("personal data %+v", pd)
	}
	// Personal data only to the ticket's merchant: every other caller gets a
	// FORBIDDEN naming nothing of the ticket, for it and for a missing one.
	for _, c := range []who{rival, alice, auditor, stranger} {
		want := "cxl:FORBIDDEN: " + c.account() + " may not read this ticket's personal data: only the ticket's merchant may"
		for _, ticket := range []string{"T1", "T9"} {
			if _, err := call(e, c, getPersonalData, id(ticket), nil); err == nil || err.Error() != want {
				t.Fatalf("personal data of %s as %s: %v, want %q", ticket, c.account(), err, want)
			}
		}
	}
}

// TestOpenTicketValidation covers every way OpenTicket rejects its input.
func TestOpenTicketValidation(t *testing.T) {
	e := newEnv(t)
	e.order("O-alice", alice, "Org2MSP", orders.StatePlaced)
	e.order("O-bob", bob, "Org2MSP", orders.StateDelivered)
	// ok is valid sealed data for openArgs; with changes one key of it.
	ok := func() map[string][]byte { return e.seal(openArgs, e.personal(care.TransientMessage, "help, please")) }
	with := func(m map[string][]byte, k string, v []byte) map[string][]byte {
		m = maps.Clone(m)
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	restep := func(env []byte, step byte) []byte {
		env = bytes.Clone(env)
		env[4] = step
		return env
	}
	tests := []struct {
		name      string
		caller    who
		args      string
		transient map[string][]byte
		code      cxlerr.Code
		want      string
	}{
		{"not JSON", alice, `T1`, ok(), cxlerr.Invalid, "invalid JSON"},
		{"unknown field", alice, `{"id":"T1","merchant":"Org2MSP","category":"other","priority":"low","email":"a@b"}`, ok(), cxlerr.Invalid, `unknown field "email"`},
		{"no id", alice, `{"merchant":"Org2MSP","category":"other","priority":"low"}`, ok(), cxlerr.Invalid, "id: required"},
		{"no merchant or order", alice, `{"id":"T1","category":"other","priority":"low"}`, ok(), cxlerr.Invalid, "merchant: required unless orderId"},
		{"bad merchant", alice, `{"id":"T1","merchant":"Org 2","category":"other","priority":"low"}`, ok(), cxlerr.Invalid, "merchant: MSP ID"},
		{"bad category", alice, `{"id":"T1","merchant":"Org2MSP","category":"rant","priority":"low"}`, ok(), cxlerr.Invalid, `category "rant"`},
		{"bad priority", alice, `{"id":"T1","merchant":"Org2MSP","category":"other","priority":"asap"}`, ok(), cxlerr.Invalid, `priority "asap"`},
		{"no message", alice, openArgs, e.personal(care.TransientContact, "alice@example.com"), cxlerr.Invalid, "transient message: required"},
		{"no transient", alice, openArgs, nil, cxlerr.Invalid, "transient message: required"},
		{"unknown transient", alice, openArgs, e.personal(care.TransientMessage, "help, please", "email", "a@b.c"), cxlerr.Invalid, `transient key "email"`},
		{"plain text", alice, openArgs, with(ok(), care.TransientMessage, []byte("help, in clear, as the contract used to take it")), cxlerr.Invalid, "transient message: not a sealed envelope"},
		{"plain contact", alice, openArgs, with(e.seal(openArgs, e.personal(care.TransientMessage, "help, please", care.TransientContact, "a@b.c")), care.TransientContact, []byte("alice@example.com, +41 79 555 01 01, in clear")), cxlerr.Invalid, "transient contact: not a sealed envelope"},
		{"a salt in clear", alice, openArgs, with(ok(), care.TransientSalt, []byte("0123456789abcdef")), cxlerr.Invalid, `transient key "salt"`},
		{"no hash", alice, openArgs, with(ok(), care.TransientMessageHash, nil), cxlerr.Invalid, "transient messageHash: required with message"},
		{"no key", alice, openArgs, with(ok(), care.TransientKey, nil), cxlerr.Invalid, "transient key: required with personal data"},
		{"unpublished key", alice, openArgs, with(ok(), care.TransientKey, []byte("k-none")), cxlerr.Conflict, "merchant Org2MSP published no ticket key k-none"},
		{"oversized envelope", alice, openArgs, with(ok(), care.TransientMessage, append(ok()[care.TransientMessage], make([]byte, 8300)...)), cxlerr.Invalid, "transient message: an envelope of"},
		{"truncated envelope", alice, openArgs, with(ok(), care.TransientMessage, ok()[care.TransientMessage][:30]), cxlerr.Invalid, "transient message: not a sealed envelope"},
		{"sealed for another step", alice, openArgs, with(ok(), care.TransientMessage, restep(ok()[care.TransientMessage], 2)), cxlerr.Conflict, "sealed for step 2 of ticket T1"},
		{"merchant not a member", alice, `{"id":"T1","merchant":"Org5MSP","category":"other","priority":"low"}`, ok(), cxlerr.NotFound, "merchant: organisation Org5MSP is not a member of the consortium"},
		{"merchant without role", alice, `{"id":"T1","merchant":"Org4MSP","category":"other","priority":"low"}`, ok(), cxlerr.Conflict, "merchant: Org4MSP does not hold the merchant role"},
		{"someone else's order", alice, `{"id":"T1","orderId":"O-bob","category":"delivery","priority":"low"}`, ok(), cxlerr.Forbidden, "Org1MSP/alice may not read this record"},
		{"an order the caller reads but did not place", agent, `{"id":"T1","orderId":"O-bob","category":"delivery","priority":"low"}`, ok(), cxlerr.Forbidden, "order O-bob is not an order of Org2MSP/agent1"},
		{"order of another merchant", alice, `{"id":"T1","merchant":"Org3MSP","orderId":"O-alice","category":"delivery","priority":"low"}`, ok(), cxlerr.Conflict, "merchant: order O-alice is with Org2MSP, not Org3MSP"},
		{"unknown order", alice, `{"id":"T1","orderId":"O-none","category":"delivery","priority":"low"}`, ok(), cxlerr.Forbidden, "Org1MSP/alice may not read this record"},
		{"unknown order, to an auditor", auditor, `{"id":"T1","orderId":"O-none","category":"delivery","priority":"low"}`, ok(), cxlerr.NotFound, "order O-none not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			fails(e, tt.caller, openTicket, tt.args, tt.transient, tt.code, tt.want)
		})
	}
	e.t = t
	// About an order, the merchant comes from the order.
	tk := submit(e, alice, openTicket, `{"id":"T1","orderId":"O-alice","category":"delivery","priority":"urgent"}`, ok())
	if tk.Merchant != "Org2MSP" || tk.OrderID != "O-alice" {
		t.Fatalf("ticket %+v", tk)
	}
	fails(e, bob, openTicket, openArgs, ok(), cxlerr.Conflict, "ticket T1 already exists")
}

// TestStepLimit checks a ticket stops taking steps at MaxTicketSteps.
func TestStepLimit(t *testing.T) {
	e := newEnv(t)
	submit(e, alice, openTicket, openArgs, e.personal(care.TransientMessage, "Hi, any news?"))
	for i := 2; i <= care.MaxTicketSteps; i++ {
		submit(e, agent, assignTicket, `{"id":"T1","agent":"Org2MSP/agent`+[]string{"1", "2"}[i%2]+`"}`, nil)
	}
	fails(e, agent, assignTicket, `{"id":"T1","agent":"Org2MSP/agent2"}`, nil, cxlerr.Conflict, "ticket T1 has 1000 steps, the most it may record")
}

// TestDeterministicWrites runs the same transactions on two fresh peers and
// compares every write, as two endorsing peers would.
func TestDeterministicWrites(t *testing.T) {
	priv, err := carecrypt.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key := care.TicketKey{Merchant: "Org2MSP", ID: "k1", PublicKey: carecrypt.EncodePublicKey(priv.PublicKey())}
	sealed := func(step int, p ledgerapi.Personal) map[string][]byte {
		m, err := ledgerapi.SealPersonal(key, "T1", step, &p)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	salt := []byte("0123456789abcdef")
	// The same envelopes reach both peers, as in one proposal.
	open := sealed(1, ledgerapi.Personal{Salt: salt, Message: "Late", Contact: "+1 555 0100"})
	respond := sealed(2, ledgerapi.Personal{Salt: salt, Message: "On its way"})
	var runs [2][][]ledgertest.Write
	for r := range runs {
		e := newEnv(t)
		e.publish(key)
		for _, s := range []struct {
			caller    who
			fn        fn[*care.Ticket]
			args      string
			transient map[string][]byte
		}{
			{alice, openTicket, openArgs, open},
			{agent, respondTicket, id("T1"), respond},
			{alice, eraseTicketData, id("T1"), nil},
		} {
			e.at(10 * time.Hour)
			if _, err := call(e, s.caller, s.fn, s.args, s.transient); err != nil {
				t.Fatal(err)
			}
			runs[r] = append(runs[r], e.stub.Writes())
			e.stub.Commit()
		}
	}
	for i := range runs[0] {
		if !slices.EqualFunc(runs[0][i], runs[1][i], func(a, b ledgertest.Write) bool {
			return a.Collection == b.Collection && a.Key == b.Key && a.Op == b.Op && string(a.Value) == string(b.Value)
		}) {
			t.Fatalf("transaction %d wrote differently:\n%+v\n%+v", i, runs[0][i], runs[1][i])
		}
	}
}
