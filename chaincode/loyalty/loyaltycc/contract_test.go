package loyaltycc_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/consortium"
	"github.com/cxledger/cxledger/chaincode/health/healthcc"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/chaincode/loyalty/loyaltycc"
	"github.com/cxledger/cxledger/chaincode/orders/orderscc"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
	"github.com/cxledger/cxledger/cxlerr"
)

func TestStatement(t *testing.T) {
	e := newEnv(t)
	mustDo(e, deli, e.lc.AcceptPartnership, `{"program":"acme"}`)
	mustDo(e, bistro, e.lc.CreateProgram, program("bistro-club", func(p map[string]any) {
		p["partners"] = []map[string]any{{"msp": acme.msp, "value": 3, "per": 1}}
	}))
	mustDo(e, acme, e.lc.AcceptPartnership, `{"program":"bistro-club"}`)
	e.earn("r-1", alice, 1000000)
	mustDo(e, bistro, e.lc.Earn, js(map[string]any{"program": "bistro-club", "id": "b-1", "account": alice.account(), "points": 1000}))
	// Day 0: 100 points at Bistro (acme owes 50); day 1: 10 bistro-club
	// points at Acme (bistro owes 30); day 2: 40 at Deli (acme owes Deli
	// 40, not in the Acme-Bistro statement); day 40: 20 at Bistro (10).
	e.redeem("a", alice, 100, bistro)
	e.at(day)
	mustDo(e, alice, e.lc.Redeem, js(map[string]any{"program": "bistro-club", "id": "b", "account": alice.account(), "points": 10, "merchant": acme.msp}))
	e.at(2 * day)
	e.redeem("c", alice, 40, deli)
	e.at(40 * day)
	e.redeem("d", alice, 20, bistro)

	statement := func(w who, merchant, counterparty who, from, to time.Duration, pageSize int, bookmark string) *loyalty.SettlementStatement {
		return mustDo(e, w, e.lc.Statement, js(map[string]any{
			"merchant": merchant.msp, "counterparty": counterparty.msp, "from": t0.Add(from), "to": t0.Add(to),
			"pageSize": pageSize, "bookmark": bookmark,
		}))
	}
	st := statement(acme, acme, bistro, 0, 41*day, 0, "")
	if tot := st.Totals[0]; tot.Payable != 60 || tot.Receivable != 30 || tot.Net != 30 || tot.NetDebtor != acme.msp || tot.NetCreditor != bistro.msp || len(st.Entries) != 3 {
		t.Fatalf("statement %+v", st)
	}
	// The same from the other side, as an auditor.
	st = statement(audit, bistro, acme, 0, 41*day, 0, "")
	if tot := st.Totals[0]; tot.Payable != 30 || tot.Receivable != 60 || tot.NetDebtor != acme.msp {
		t.Fatalf("statement for bistro %+v", st)
	}
	// The period is [from, to): day 40 at 09:00 is out, and so is day 0 from 10:00.
	st = statement(bistro, bistro, acme, time.Hour, 40*day, 0, "")
	if tot := st.Totals[0]; tot.Receivable != 0 || tot.Payable != 30 || len(st.Entries) != 1 || st.Entries[0].Redemption != "b" {
		t.Fatalf("statement for days 0-40 %+v", st)
	}
	// Pages.
	var seen []string
	bookmark := ""
	for {
		st = statement(acme, acme, bistro, 0, 41*day, 2, bookmark)
		for _, en := range st.Entries {
			seen = append(seen, en.Redemption)
		}
		if bookmark = st.Bookmark; bookmark == "" {
			break
		}
	}
	if strings.Join(seen, ",") != "a,b,d" {
		t.Fatalf("paged entries %v", seen)
	}
	st = statement(deli, deli, acme, 0, 41*day, 0, "")
	if st.Totals[0].Receivable != 40 || st.Totals[0].NetCreditor != deli.msp {
		t.Fatalf("deli statement %+v", st)
	}
	if st = statement(corner, corner, acme, 0, 41*day, 0, ""); len(st.Totals) != 0 || len(st.Entries) != 0 {
		t.Fatalf("empty statement %+v", st)
	}

	args := func(merchant, counterparty string, from, to time.Time, extra string) string {
		return fmt.Sprintf(`{"merchant":%q,"counterparty":%q,"from":%q,"to":%q%s}`, merchant, counterparty, from.Format(time.RFC3339), to.Format(time.RFC3339), extra)
	}
	fails(e, corner, e.lc.Statement, args(acme.msp, bistro.msp, t0, t0.Add(day), ""), cxlerr.Forbidden, "CornerMSP/clerk may not read this record")
	fails(e, alice, e.lc.Statement, args(acme.msp, bistro.msp, t0, t0.Add(day), ""), cxlerr.Forbidden, "may not read this record")
	fails(e, acme, e.lc.Statement, args(acme.msp, acme.msp, t0, t0.Add(day), ""), cxlerr.Invalid, "two different merchants")
	fails(e, acme, e.lc.Statement, args(acme.msp, bistro.msp, t0, t0, ""), cxlerr.Invalid, "from must be set and before to")
	fails(e, acme, e.lc.Statement, args(acme.msp, bistro.msp, t0, t0.Add(367*day), ""), cxlerr.Invalid, "at most 366 days")
	fails(e, acme, e.lc.Statement, args(acme.msp, bistro.msp, t0, t0.Add(day), `,"bookmark":"01"`), cxlerr.Invalid, "bookmark")
	fails(e, acme, e.lc.Statement, args(acme.msp, bistro.msp, t0, t0.Add(day), `,"pageSize":201`), cxlerr.Invalid, "pageSize")
}

// recordingStub is a stub that records the keys a transaction reads and
// the ranges it scans, to reason about MVCC and phantom conflicts.
type recordingStub struct {
	*ledgertest.Stub
	reads  []string
	ranges []string
}

func (s *recordingStub) GetState(key string) ([]byte, error) {
	s.reads = append(s.reads, key)
	return s.Stub.GetState(key)
}

func (s *recordingStub) GetStateByPartialCompositeKey(objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	s.ranges = append(s.ranges, objectType+"/"+strings.Join(keys, "/"))
	return s.Stub.GetStateByPartialCompositeKey(objectType, keys)
}

// recordingContext is a transaction context over a recordingStub.
type recordingContext struct {
	contractapi.TransactionContextInterface
	stub *recordingStub
}

func (c recordingContext) GetStub() shim.ChaincodeStubInterface { return c.stub }

// endorsement is what one simulated transaction read and wrote.
type endorsement struct {
	reads, ranges, writes []string
}

// simulate runs fn as w against the committed state and abandons it, as
// an endorsement before any of its concurrent peers commits.
func simulate[A, R any](e *env, w who, fn txFunc[A, R], args string) endorsement {
	e.t.Helper()
	e.stub.AsIdentity(w.id())
	rec := &recordingStub{Stub: e.stub}
	a, err := ledgertest.Arg[A](args)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := fn(recordingContext{ledgertest.Context(e.stub), rec}, a); err != nil {
		e.t.Fatal(err)
	}
	var writes []string
	for _, wr := range e.stub.Writes() {
		writes = append(writes, wr.Key)
	}
	e.stub.Begin()
	return endorsement{reads: rec.reads, ranges: rec.ranges, writes: writes}
}

// TestConcurrentEarnsNeverConflict: earns to one customer, endorsed on the
// same state, scan no range (no phantom conflict) and read nothing another
// writes (no MVCC conflict), so all of them commit.
func TestConcurrentEarnsNeverConflict(t *testing.T) {
	e := newEnv(t)
	e.earn("before", alice, 1000) // the customer has points already
	var all []endorsement
	for i := range 3 {
		all = append(all, simulate(e, acme, e.lc.Earn, js(map[string]any{"program": "acme", "id": fmt.Sprintf("c-%d", i), "account": alice.account(), "amount": 1000})))
	}
	e.fund(100000, alice)
	for i := range 2 {
		e.place(fmt.Sprintf("o-%d", i), alice, acme, 1000)
	}
	for i := range 2 {
		en := simulate(e, alice, e.oc.ConfirmDelivery, fmt.Sprintf(`{"id":"o-%d"}`, i))
		// Only the loyalty part: the orders contract has its own keys.
		en.reads = slices.DeleteFunc(en.reads, func(k string) bool { return !strings.HasPrefix(k, "\x00loyalty.") })
		en.ranges = slices.DeleteFunc(en.ranges, func(r string) bool { return !strings.HasPrefix(r, "loyalty.") })
		en.writes = slices.DeleteFunc(en.writes, func(k string) bool { return !strings.HasPrefix(k, "\x00loyalty.") })
		if len(en.writes) == 0 {
			t.Fatal("delivery earned nothing")
		}
		all = append(all, en)
	}
	for i, a := range all {
		if len(a.ranges) != 0 {
			t.Fatalf("earn %d scans %v", i, a.ranges)
		}
		for j, b := range all {
			if i == j {
				continue
			}
			for _, k := range a.reads {
				if slices.Contains(b.writes, k) {
					t.Fatalf("earn %d reads %s, which earn %d writes", i, ledger.DescribeKey(k), j)
				}
			}
		}
	}
}

// scenario runs every operation of the contract on a fresh ledger and
// returns the committed state and the events, for comparing runs.
func scenario(t *testing.T) ([]string, [][]byte, []string) {
	e := newEnv(t)
	var events []string
	step := func() {
		if e.lastEvent != nil {
			events = append(events, e.lastEvent.EventName+" "+string(e.lastEvent.Payload))
		}
	}
	e.fund(100000, alice, bob)
	mustDo(e, deli, e.lc.AcceptPartnership, `{"program":"acme"}`)
	for i, w := range []who{alice, bob, carol} {
		e.at(time.Duration(i) * day)
		e.earn(fmt.Sprintf("r-%d", i), w, ledgertypes.Amount(10000*(i+1)))
		step()
	}
	e.place("o-1", alice, acme, 30000)
	mustDo(e, alice, e.lc.Redeem, js(map[string]any{"program": "acme", "id": "ra", "account": alice.account(), "points": 70, "merchant": acme.msp, "order": "o-1"}))
	step()
	e.deliver("o-1", alice)
	step()
	e.redeem("rb", bob, 150, bistro)
	step()
	e.redeem("rc", carol, 40, deli)
	step()
	mustDo(e, bob, e.lc.Transfer, js(map[string]any{"program": "acme", "id": "t", "account": bob.account(), "to": carol.account(), "points": 50}))
	step()
	e.redeem("rd", alice, 300, bistro)
	step()
	e.refund("o-1", "rf", acme, 12000)
	step()
	e.refund("o-1", "rf2", acme, 0)
	step()
	e.at(400 * day)
	mustDo(e, acme, e.lc.ExpirePoints, js(map[string]any{"program": "acme", "accounts": []string{alice.account(), bob.account(), carol.account()}}))
	step()
	keys := e.stub.Keys()
	values := make([][]byte, len(keys))
	for i, k := range keys {
		values[i] = e.stub.State(k)
	}
	return keys, values, events
}

func TestDeterminism(t *testing.T) {
	keys, values, events := scenario(t)
	if len(events) != 12 {
		t.Fatalf("%d events: %v", len(events), events)
	}
	for run := range 3 {
		k2, v2, ev2 := scenario(t)
		if !slices.Equal(keys, k2) || !slices.Equal(events, ev2) {
			t.Fatalf("run %d: keys or events differ", run)
		}
		for i := range values {
			if !bytes.Equal(values[i], v2[i]) {
				t.Fatalf("run %d: %s differs:\n%s\n%s", run, ledger.DescribeKey(keys[i]), values[i], v2[i])
			}
		}
	}
	// No account holds personal data beyond its pseudonymous identifier,
	// and no event names a customer as a key.
	for _, ev := range events {
		var p ledger.EventPayload
		if err := json.Unmarshal([]byte(ev[strings.IndexByte(ev, ' ')+1:]), &p); err != nil {
			t.Fatal(err)
		}
		for k, v := range p.Keys {
			if strings.Contains(v, "CustMSP/") {
				t.Fatalf("event %s keys %s by a customer account", ev, k)
			}
		}
	}
}

// TestThroughContractAPI drives every function through contractapi, which
// checks the metadata and validates every result against its schema, in a
// chaincode with the other contracts (schema names must not collide).
func TestThroughContractAPI(t *testing.T) {
	cc, err := contractapi.NewChaincode(
		healthcc.NewContract("test"), consortium.NewContract(), provenancecc.NewContract(nil),
		orderscc.NewContract(loyaltycc.NewOrderHooks()), loyaltycc.NewContract(),
	)
	if err != nil {
		t.Fatal(err)
	}
	cc.TransactionSerializer = ledgertest.Serializer{}
	e := newEnv(t)
	invoke := func(w who, fn string, args ...string) string {
		t.Helper()
		e.stub.AsIdentity(w.id())
		resp := cc.Invoke(e.stub.SetArgs(append([]string{fn}, args...)...))
		if resp.Status != 200 {
			e.stub.Begin()
			t.Fatalf("%s %v: %d %s", fn, args, resp.Status, resp.Message)
		}
		e.stub.Commit()
		return string(resp.Payload)
	}
	invoke(corner, "loyalty:CreateProgram", program("x", func(p map[string]any) {
		p["earn"] = map[string]any{"points": 1, "per": 100, "tiers": []map[string]any{{"minAmount": 1000, "points": 2, "per": 100}},
			"multipliers": []map[string]any{{"from": t0, "until": t0.Add(day), "percent": 200}}}
		p["partners"] = []map[string]any{{"msp": bistro.msp, "value": 1, "per": 1}}
	}))
	invoke(bistro, "loyalty:AcceptPartnership", `{"program":"x"}`)
	invoke(corner, "loyalty:Earn", js(map[string]any{"program": "x", "id": "e", "account": alice.account(), "amount": 5000}))
	e.fund(10000, alice)
	e.place("o-1", alice, corner, 3000)
	invoke(alice, "loyalty:Redeem", js(map[string]any{"program": "x", "id": "r", "account": alice.account(), "points": 20, "merchant": corner.msp, "order": "o-1"}))
	invoke(alice, "loyalty:Redeem", js(map[string]any{"program": "x", "id": "r2", "account": alice.account(), "points": 10, "merchant": bistro.msp}))
	invoke(alice, "loyalty:Transfer", js(map[string]any{"program": "x", "id": "t", "account": alice.account(), "to": bob.account(), "points": 5}))
	invoke(corner, "orders:Refund", `{"id":"o-1","refundId":"rf"}`)
	invoke(corner, "loyalty:ExpirePoints", js(map[string]any{"program": "x", "accounts": []string{alice.account()}}))
	for _, q := range []struct {
		w          who
		fn, args   string
		wantPrefix string
	}{
		{alice, "loyalty:GetProgram", `{"program":"x"}`, `{"id":"x"`},
		{alice, "loyalty:ListPrograms", `{}`, `{"programs":[{"id":"acme"`},
		{alice, "loyalty:Balance", `{"program":"x"}`, `{"program":"x","account":"CustMSP/alice"`},
		{alice, "loyalty:History", `{"program":"x"}`, `{"program":"x","account":"CustMSP/alice","entries":[{`},
		{corner, "loyalty:Statement", js(map[string]any{"merchant": corner.msp, "counterparty": bistro.msp, "from": t0, "to": t0.Add(day)}), `{"merchant":"CornerMSP"`},
		{alice, "loyalty:OrderPoints", `{"order":"o-1"}`, `{"order":"o-1","redemptions":[{`},
	} {
		if out := invoke(q.w, q.fn, q.args); !strings.HasPrefix(out, q.wantPrefix) {
			t.Fatalf("%s = %s, want prefix %s", q.fn, out, q.wantPrefix)
		}
	}
	out := invoke(alice, "org.hyperledger.fabric:GetMetadata")
	var md struct {
		Contracts map[string]struct {
			Transactions []struct {
				Name string   `json:"name"`
				Tag  []string `json:"tag"`
			} `json:"transactions"`
		} `json:"contracts"`
	}
	if err := json.Unmarshal([]byte(out), &md); err != nil {
		t.Fatal(err)
	}
	evaluate := map[string]bool{}
	for _, tr := range md.Contracts["loyalty"].Transactions {
		evaluate[tr.Name] = slices.Contains(tr.Tag, "evaluate")
	}
	want := map[string]bool{
		"CreateProgram": false, "AcceptPartnership": false, "Earn": false, "Redeem": false, "Transfer": false, "ExpirePoints": false,
		"GetProgram": true, "ListPrograms": true, "Balance": true, "History": true, "Statement": true, "OrderPoints": true,
	}
	if js(evaluate) != js(want) {
		t.Fatalf("transactions %v, want %v", evaluate, want)
	}
}
