package carecc_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/cxlerr"
)

func TestDefaultSLA(t *testing.T) {
	for _, tt := range []struct {
		priority               string
		firstResponse, resolve string
	}{
		{care.PriorityUrgent, "1h0m0s", "8h0m0s"},
		{care.PriorityHigh, "4h0m0s", "24h0m0s"},
		{care.PriorityNormal, "8h0m0s", "72h0m0s"},
		{care.PriorityLow, "24h0m0s", "168h0m0s"},
	} {
		got, err := care.DefaultSLA(tt.priority)
		if err != nil || got.FirstResponse != tt.firstResponse || got.Resolution != tt.resolve {
			t.Fatalf("DefaultSLA(%s) = %+v, %v", tt.priority, got, err)
		}
	}
	if _, err := care.DefaultSLA("Urgent"); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Fatalf("DefaultSLA(Urgent): %v", err)
	}
}

// policy renders an SLA policy argument with the same terms for every priority.
func policy(firstResponse, resolution string) string {
	terms := fmt.Sprintf(`{"firstResponse":%q,"resolution":%q}`, firstResponse, resolution)
	return fmt.Sprintf(`{"urgent":%s,"high":%s,"normal":%s,"low":%s}`, terms, terms, terms, terms)
}

// TestSLAPolicy: a merchant sets its own terms; tickets take the terms in
// force when opened and keep them.
func TestSLAPolicy(t *testing.T) {
	e := newEnv(t)
	if p := query(e, stranger, getSLAPolicy, `{"merchant":"Org2MSP"}`); !p.Default || p.Urgent.FirstResponse != "1h0m0s" || p.Low.Resolution != "168h0m0s" {
		t.Fatalf("default policy %+v", p)
	}
	submit(e, alice, openTicket, openArgs, e.personal(care.TransientMessage, "under the defaults"))

	e.at(time.Minute)
	if _, err := call(e, agent, setSLAPolicy, policy("90m", "2h"), nil); err != nil {
		t.Fatal(err)
	}
	if name, payload := e.event(); name != "care.SLAPolicySet" || payload.Keys["merchant"] != "Org2MSP" {
		t.Fatalf("event %s %v", name, payload.Keys)
	}
	e.stub.Commit()
	p := query(e, stranger, getSLAPolicy, `{"merchant":"Org2MSP"}`)
	if p.Default || p.Normal.FirstResponse != "1h30m0s" || p.Normal.Resolution != "2h0m0s" || !p.Updated.Equal(e.start.Add(time.Minute)) {
		t.Fatalf("policy %+v", p)
	}
	tk := submit(e, bob, openTicket, `{"id":"T2","merchant":"Org2MSP","category":"other","priority":"normal"}`, e.personal(care.TransientMessage, "under the new terms"))
	if tk.SLA.FirstResponse != "1h30m0s" || !tk.FirstResponseDue.Equal(e.start.Add(91*time.Minute)) || !tk.ResolutionDue.Equal(e.start.Add(121*time.Minute)) {
		t.Fatalf("T2 %+v", tk)
	}
	// T1 keeps the defaults it was opened with, reopening included.
	submit(e, agent, resolveTicket, id("T1"), nil)
	tk = submit(e, alice, reopenTicket, id("T1"), nil)
	if tk.SLA.Resolution != "72h0m0s" || !tk.ResolutionDue.Equal(e.start.Add(time.Minute+72*time.Hour)) {
		t.Fatalf("T1 %+v", tk)
	}

	fails(e, auditor, setSLAPolicy, policy("1h", "2h"), nil, cxlerr.Forbidden, "the certificate of Org4MSP/auditor does not carry the merchant role")
	fails(e, who{"Org4MSP", "auditor", "auditor,merchant"}, setSLAPolicy, policy("1h", "2h"), nil, cxlerr.Forbidden, "organisation Org4MSP does not hold the merchant role")
	fails(e, who{"Org2MSP", "shopper", ""}, setSLAPolicy, policy("1h", "2h"), nil, cxlerr.Forbidden, "Org2MSP/shopper is not staff of Org2MSP")
	fails(e, agent, setSLAPolicy, policy("1h", "30m"), nil, cxlerr.Invalid, "urgent.resolution: 30m0s is sooner than the first response, 1h0m0s")
	fails(e, agent, setSLAPolicy, policy("soon", "2h"), nil, cxlerr.Invalid, `urgent.firstResponse: "soon" is not a duration`)
	fails(e, agent, setSLAPolicy, policy("500ms", "2h"), nil, cxlerr.Invalid, "urgent.firstResponse: 500ms must be whole seconds from 1s to 8784h0m0s")
	fails(e, agent, setSLAPolicy, policy("1h", "9000h"), nil, cxlerr.Invalid, "urgent.resolution: 9000h must be whole seconds")
	fails(e, agent, setSLAPolicy, `{"urgent":{"firstResponse":"1h","resolution":"2h"}}`, nil, cxlerr.Invalid, `high.firstResponse: "" is not a duration`)
	fails(e, agent, getSLAPolicy, `{"merchant":"Org 2"}`, nil, cxlerr.Invalid, "merchant: MSP ID")
}

// kinds renders breaches as "ticket/kind/round".
func kinds(bs []care.SLABreach) []string {
	out := []string{}
	for _, b := range bs {
		out = append(out, fmt.Sprintf("%s/%s/%d", b.Ticket, b.Kind, b.Round))
	}
	return out
}

// TestLateResponseRecordsBreach responds after the first-response deadline
// and resolves after the resolution deadline: each step records its own
// breach, on the ticket, in the event and in the breach report.
func TestLateResponseRecordsBreach(t *testing.T) {
	e := newEnv(t)
	submit(e, alice, openTicket, `{"id":"T1","merchant":"Org2MSP","category":"refund","priority":"urgent"}`, e.personal(care.TransientMessage, "Refund me"))

	// Before the deadline, and exactly at it, nothing is overdue.
	e.at(time.Hour)
	if d := query(e, alice, getTicket, id("T1")); len(d.Overdue) != 0 {
		t.Fatalf("overdue at the deadline: %v", kinds(d.Overdue))
	}
	// After it, the ticket shows the breach before anyone records it.
	e.at(time.Hour + time.Second)
	if d := query(e, alice, getTicket, id("T1")); !slices.Equal(kinds(d.Overdue), []string{"T1/first-response/1"}) || len(d.Ticket.Breaches) != 0 {
		t.Fatalf("overdue %v, recorded %v", kinds(d.Overdue), kinds(d.Ticket.Breaches))
	}

	e.at(2 * time.Hour)
	tk, err := call(e, agent, respondTicket, id("T1"), e.personal(care.TransientMessage, "Looking into it"))
	if err != nil {
		t.Fatal(err)
	}
	_, payload := e.event()
	var data struct{ Breaches []care.SLABreach }
	if err := json.Unmarshal(payload.Data, &data); err != nil {
		t.Fatal(err)
	}
	if want := []string{"T1/first-response/1"}; !slices.Equal(kinds(data.Breaches), want) || !slices.Equal(kinds(tk.Breaches), want) {
		t.Fatalf("event breaches %v, ticket breaches %v", kinds(data.Breaches), kinds(tk.Breaches))
	}
	b := tk.Breaches[0]
	if !b.Due.Equal(e.start.Add(time.Hour)) || !b.DetectedAt.Equal(e.start.Add(2*time.Hour)) || b.DetectedTx != e.stub.GetTxID() || b.Priority != "urgent" || b.Merchant != "Org2MSP" {
		t.Fatalf("breach %+v", b)
	}
	e.stub.Commit()

	// The resolution deadline (8 h) passes; resolving late records it.
	e.at(9 * time.Hour)
	tk = submit(e, agent, resolveTicket, id("T1"), nil)
	if got := kinds(tk.Breaches); !slices.Equal(got, []string{"T1/first-response/1", "T1/resolution/1"}) {
		t.Fatalf("breaches %v", got)
	}
	// Later steps do not record them again.
	e.at(10 * time.Hour)
	tk = submit(e, alice, reopenTicket, id("T1"), nil)
	if len(tk.Breaches) != 2 || !tk.ResolutionDue.Equal(e.start.Add(18*time.Hour)) || tk.Round != 2 {
		t.Fatalf("after reopening: %+v", tk)
	}
	// The second round's deadline is met.
	e.at(17 * time.Hour)
	tk = submit(e, agent, resolveTicket, id("T1"), nil)
	if len(tk.Breaches) != 2 {
		t.Fatalf("on-time resolution recorded %v", kinds(tk.Breaches))
	}

	report := query(e, agent, breachReport, `{"merchant":"Org2MSP"}`)
	if got := kinds(report.Breaches); !slices.Equal(got, []string{"T1/first-response/1", "T1/resolution/1"}) || report.Next != "" {
		t.Fatalf("breach report %v", got)
	}
	if got := kinds(query(e, auditor, breachReport, `{"merchant":"Org2MSP"}`).Breaches); len(got) != 2 {
		t.Fatalf("auditor's report %v", got)
	}
	fails(e, rival, breachReport, `{"merchant":"Org2MSP"}`, nil, cxlerr.Forbidden, "Org3MSP/clerk may not read this record")
	fails(e, alice, breachReport, `{"merchant":"Org2MSP"}`, nil, cxlerr.Forbidden, "Org1MSP/alice may not read this record")
	fails(e, stranger, breachReport, `{"merchant":"Org2MSP"}`, nil, cxlerr.Forbidden, "Org5MSP/eve may not read this record")
	fails(e, agent, breachReport, `{"merchant":""}`, nil, cxlerr.Invalid, "merchant: MSP ID")
}

// TestCustomerStepRecordsBreach: any transaction touching the ticket records
// what is overdue, including the customer's.
func TestCustomerStepRecordsBreach(t *testing.T) {
	e := newEnv(t)
	submit(e, alice, openTicket, `{"id":"T1","merchant":"Org2MSP","category":"product","priority":"high"}`, e.personal(care.TransientMessage, "Scratched, badly"))
	e.at(3 * time.Hour)
	submit(e, agent, resolveTicket, id("T1"), nil) // resolving counts as the first response
	e.at(30 * time.Hour)
	tk := submit(e, alice, reopenTicket, id("T1"), nil)
	if len(tk.Breaches) != 0 {
		t.Fatalf("breaches %v", kinds(tk.Breaches))
	}
	e.at(30*time.Hour + 24*time.Hour + time.Minute)
	tk = submit(e, alice, eraseTicketData, id("T1"), nil)
	if got := kinds(tk.Breaches); !slices.Equal(got, []string{"T1/resolution/2"}) {
		t.Fatalf("breaches %v", got)
	}
}

// TestSweepSLA records overdue deadlines of tickets nobody touches, oldest
// first, and only once.
func TestSweepSLA(t *testing.T) {
	e := newEnv(t)
	for i, p := range []string{"low", "urgent", "high", "normal"} {
		e.at(time.Duration(i) * time.Minute)
		submit(e, alice, openTicket, fmt.Sprintf(`{"id":"T%d","merchant":"Org2MSP","category":"other","priority":%q}`, i, p), e.personal(care.TransientMessage, "ticket "+p))
	}
	submit(e, bob, openTicket, `{"id":"X","merchant":"Org3MSP","category":"other","priority":"urgent"}`, e.personal(care.TransientMessage, "elsewhere, sorry"))

	e.at(30 * time.Minute)
	sw, err := call(e, agent, sweepSLA, `{"merchant":"Org2MSP"}`, nil)
	if err != nil || len(sw.Recorded) != 0 || sw.More || e.stub.Event() != nil || len(e.stub.Writes()) != 0 {
		t.Fatalf("early sweep %+v %v, writes %v", sw, err, e.stub.Writes())
	}
	e.stub.Commit()

	// At 5 h: T1's first response (1 h) and T2's (4 h) are overdue.
	e.at(5 * time.Hour)
	if _, err := call(e, agent, sweepSLA, `{"merchant":"Org2MSP"}`, nil); err != nil {
		t.Fatal(err)
	}
	name, payload := e.event()
	if name != "care.SLABreachesRecorded" || payload.Keys["merchant"] != "Org2MSP" {
		t.Fatalf("event %s %v", name, payload.Keys)
	}
	e.stub.Begin()
	e.at(5 * time.Hour)
	sw = submit(e, agent, sweepSLA, `{"merchant":"Org2MSP"}`, nil)
	if got := kinds(sw.Recorded); !slices.Equal(got, []string{"T1/first-response/1", "T2/first-response/1"}) || sw.More {
		t.Fatalf("sweep at 5 h: %v more %v", got, sw.More)
	}
	if again := submit(e, agent, sweepSLA, `{"merchant":"Org2MSP"}`, nil); len(again.Recorded) != 0 {
		t.Fatalf("second sweep recorded %v", kinds(again.Recorded))
	}
	d := query(e, alice, getTicket, id("T1"))
	if got := kinds(d.Ticket.Breaches); !slices.Equal(got, []string{"T1/first-response/1"}) || len(d.Overdue) != 0 {
		t.Fatalf("T1 recorded %v overdue %v", got, kinds(d.Overdue))
	}
	// Responding later does not record the breach twice.
	tk := submit(e, agent, respondTicket, id("T1"), e.personal(care.TransientMessage, "late, sorry"))
	if len(tk.Breaches) != 1 {
		t.Fatalf("T1 breaches %v", kinds(tk.Breaches))
	}

	// At 10 days everything open is overdue; a limit of 2 stops early.
	e.at(240 * time.Hour)
	sw = submit(e, auditor, sweepSLA, `{"merchant":"Org2MSP","limit":2}`, nil)
	if !sw.More || len(sw.Recorded) == 0 {
		t.Fatalf("limited sweep %+v", sw)
	}
	for sw.More {
		sw = submit(e, agent, sweepSLA, `{"merchant":"Org2MSP","limit":2}`, nil)
	}
	report := query(e, agent, breachReport, `{"merchant":"Org2MSP"}`)
	want := []string{
		"T0/first-response/1", "T0/resolution/1", "T1/first-response/1", "T1/resolution/1",
		"T2/first-response/1", "T2/resolution/1", "T3/first-response/1", "T3/resolution/1",
	}
	if got := kinds(report.Breaches); !slices.Equal(got, want) {
		t.Fatalf("report %v, want %v", got, want)
	}
	page := query(e, agent, breachReport, `{"merchant":"Org2MSP","pageSize":3}`)
	if len(page.Breaches) != 3 || page.Next == "" {
		t.Fatalf("first page %+v", page)
	}
	// The other merchant's tickets were not swept.
	if d := query(e, bob, getTicket, id("X")); len(d.Ticket.Breaches) != 0 || len(d.Overdue) != 2 {
		t.Fatalf("X: recorded %v overdue %v", kinds(d.Ticket.Breaches), kinds(d.Overdue))
	}

	fails(e, alice, sweepSLA, `{"merchant":"Org2MSP"}`, nil, cxlerr.Forbidden, "Org1MSP/alice is neither staff of merchant Org2MSP nor an auditor or arbiter")
	fails(e, rival, sweepSLA, `{"merchant":"Org2MSP"}`, nil, cxlerr.Forbidden, "Org3MSP/clerk is neither staff of merchant Org2MSP")
	fails(e, who{"Org2MSP", "shopper", ""}, sweepSLA, `{"merchant":"Org2MSP"}`, nil, cxlerr.Forbidden, "Org2MSP/shopper is not staff of Org2MSP")
	fails(e, who{"Org4MSP", "visitor", ""}, sweepSLA, `{"merchant":"Org2MSP"}`, nil, cxlerr.Forbidden, "Org4MSP/visitor is neither staff of merchant Org2MSP nor an auditor")
	fails(e, agent, sweepSLA, `{"merchant":"Org2MSP","limit":1001}`, nil, cxlerr.Invalid, "limit: must be 0 to 1000")
	fails(e, agent, sweepSLA, `{"merchant":"Org2MSP"}`, e.personal(care.TransientMessage, "x, y"), cxlerr.Invalid, "transient")
}
