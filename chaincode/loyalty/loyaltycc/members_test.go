package loyaltycc_test

import (
	"testing"

	"github.com/cxledger/cxledger/cxlerr"
)

// TestOnlyMembersAndRegisteredCurrencies: points go only to accounts of
// member organisations, partners are members, and a programme's currency is
// one registered for settlement; what only the ledger can refuse is
// NOT_FOUND or CONFLICT, never INVALID.
func TestOnlyMembersAndRegisteredCurrencies(t *testing.T) {
	e := newEnv(t)
	fails(e, acme, e.lc.CreateProgram, program("x", func(p map[string]any) { p["currency"] = "GBP" }),
		cxlerr.NotFound, "currency: unknown currency GBP")
	fails(e, acme, e.lc.CreateProgram, program("x", func(p map[string]any) {
		p["partners"] = []map[string]any{{"msp": bistro.msp, "value": 1, "per": 1}, {"msp": "BistroMSPX", "value": 1, "per": 1}}
	}), cxlerr.NotFound, "partners[1].msp: organisation BistroMSPX is not a member of the consortium")

	earn := func(account string) string {
		return js(map[string]any{"program": "acme", "id": "e-" + account[:3], "account": account, "points": 10})
	}
	fails(e, acme, e.lc.Earn, earn("Org9MSP/alice"), cxlerr.NotFound, "account: organisation Org9MSP is not a member")
	fails(e, acme, e.lc.Earn, earn("CustMSPX/alice"), cxlerr.NotFound, "account: organisation CustMSPX is not a member")
	mustDo(e, acme, e.lc.Earn, earn(alice.account()))

	transfer := func(to string) string {
		return js(map[string]any{"program": "acme", "id": "t", "account": alice.account(), "to": to, "points": 5})
	}
	fails(e, alice, e.lc.Transfer, transfer("Org9MSP/bob"), cxlerr.NotFound, "to: organisation Org9MSP is not a member")
	mustDo(e, alice, e.lc.Transfer, transfer(bob.account()))

	fails(e, alice, e.lc.Redeem, js(map[string]any{"program": "acme", "id": "r", "account": alice.account(), "points": 1, "merchant": "AcmeMSPX"}),
		cxlerr.NotFound, "merchant: organisation AcmeMSPX is not a member")
}
