package loyaltycc_test

import (
	"strings"
	"testing"

	"github.com/cxledger/cxledger/cxlerr"
)

// dave is a customer of an organisation that is not a member.
var dave = who{"OtherMSP", "dave", "client", ""}

// unroled are identities of the readers' organisations that are not their
// staff in the role that reads: customers of the issuer, the partner and
// the auditor, the issuer's admin without the roles attribute, auditor
// staff without auditor. They read only what names their own account.
var unroled = []who{acme.customer(), bistro.customer(), audit.customer(), {acme.msp, "Admin", "admin", ""}, audit.with("merchant")}

// TestReadsOnlyByTheParties checks every read of customers' points and
// merchants' obligations: the account holder, the programme's issuer and
// auditors read a balance and a history (not partners, not other
// customers); the two merchants and auditors a statement; the order's
// customer and merchant and auditors its points. Every other caller is
// FORBIDDEN with one message for an existing record and a missing one,
// naming nothing of the record; programmes stay open to everyone.
func TestReadsOnlyByTheParties(t *testing.T) {
	e := newEnv(t)
	e.fund(100000, alice)
	e.place("o-1", alice, acme, 25000)
	e.deliver("o-1", alice)
	e.redeem("rd-1", alice, 50, bistro)
	secrets := []string{alice.account(), "o-1", acme.msp, bistro.msp}

	type read struct {
		name, args, missing string
		f                   func(w who, args string) error
		allowed, refused    []who
	}
	balance := func(w who, args string) error { _, err := do(e, w, e.lc.Balance, args); return err }
	history := func(w who, args string) error { _, err := do(e, w, e.lc.History, args); return err }
	statement := func(w who, args string) error { _, err := do(e, w, e.lc.Statement, args); return err }
	orderPoints := func(w who, args string) error { _, err := do(e, w, e.lc.OrderPoints, args); return err }
	period := func(m, c who) string {
		return js(map[string]any{"merchant": m.msp, "counterparty": c.msp, "from": t0, "to": t0.Add(30 * day)})
	}
	reads := []read{
		{"Balance", js(map[string]string{"program": "acme", "account": alice.account()}), js(map[string]string{"program": "acme", "account": "CustMSP/nobody"}), balance,
			[]who{alice, acme, audit},
			[]who{bob, dave, bistro, deli, corner, bank}},
		{"History", js(map[string]string{"program": "acme", "account": alice.account()}), js(map[string]string{"program": "acme", "account": "CustMSP/nobody"}), history,
			[]who{alice, acme, audit},
			[]who{bob, dave, bistro, deli, corner, bank}},
		{"Statement", period(acme, bistro), period(deli, corner), statement,
			[]who{acme, bistro, audit},
			[]who{alice, dave, bank}},
		{"OrderPoints", `{"order":"o-1"}`, `{"order":"o-none"}`, orderPoints,
			[]who{alice, acme, audit},
			[]who{bob, dave, bistro, deli, bank}},
	}
	for _, r := range reads {
		t.Run(r.name, func(t *testing.T) {
			e.t = t
			for _, w := range r.allowed {
				if err := r.f(w, r.args); err != nil {
					t.Fatalf("%s as %s: %v", r.args, w.account(), err)
				}
			}
			for _, w := range append(r.refused, unroled...) {
				err := r.f(w, r.args)
				if cxlerr.CodeOf(err) != cxlerr.Forbidden {
					t.Fatalf("%s as %s: %v, want FORBIDDEN", r.args, w.account(), err)
				}
				for _, s := range secrets {
					if s != w.msp && s != w.account() && strings.Contains(err.Error(), s) {
						t.Fatalf("%s as %s: %q names %q of the record", r.args, w.account(), err, s)
					}
				}
				if missing := r.f(w, r.missing); missing == nil || missing.Error() != err.Error() {
					t.Fatalf("%s as %s: missing record answers %v, existing one %v: a stranger tells them apart", r.name, w.account(), missing, err)
				}
			}
		})
	}
	e.t = t

	// What the readers see is the record: the partner sees the redemption
	// at it in the statement, not the customer's points.
	if b := mustDo(e, acme, e.lc.Balance, js(map[string]string{"program": "acme", "account": alice.account()})); b.Available != 200 {
		t.Fatalf("issuer reads %+v", b)
	}
	if st := mustDo(e, bistro, e.lc.Statement, period(bistro, acme)); len(st.Entries) != 1 {
		t.Fatalf("partner's statement %+v", st)
	}
	// Programmes are the consortium's terms: open to every caller.
	mustDo(e, dave, e.lc.GetProgram, `{"program":"acme"}`)
	if p := mustDo(e, bob, e.lc.ListPrograms, `{}`); len(p.Programs) != 1 {
		t.Fatalf("programmes %+v", p)
	}
}
