package loyaltycc

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/chaincode/orders/orderscc"
	"github.com/cxledger/cxledger/cxlerr"
)

// createProgram creates a programme issued by the caller's organisation.
func createProgram(tx *ledger.Tx, a loyalty.CreateProgramArgs) (*loyalty.Program, error) {
	merchant := tx.Caller().MSP
	if err := requireMerchant(tx, merchant, "create a loyalty programme for "+merchant); err != nil {
		return nil, err
	}
	key, err := ledger.Key(tx, programType, a.ID)
	if err != nil {
		return nil, err
	}
	if err := mustBeNew(tx, key, "loyalty programme "+a.ID); err != nil {
		return nil, err
	}
	if err := orderscc.RequireCurrency(tx, a.Currency); err != nil {
		return nil, err
	}
	partners := make([]loyalty.PartnerTerms, 0, len(a.Partners))
	for i, p := range a.Partners {
		field := fmt.Sprintf("partners[%d].msp", i)
		if p.MSP == merchant {
			return nil, cxlerr.Errorf(cxlerr.Invalid, "%s: %s issues the programme and cannot also be its partner", field, p.MSP)
		}
		if err := ledger.RequireMember(tx, field, p.MSP); err != nil {
			return nil, err
		}
		ok, err := ledger.OrgHasRole(tx, p.MSP, ledgertypes.Merchant)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, cxlerr.Errorf(cxlerr.Conflict, "%s: %s does not hold the merchant role", field, p.MSP)
		}
		partners = append(partners, loyalty.PartnerTerms{MSP: p.MSP, Value: p.Value, Per: p.Per})
	}
	slices.SortFunc(partners, func(x, y loyalty.PartnerTerms) int { return strings.Compare(x.MSP, y.MSP) })
	if a.EarnOnOrders {
		if err := designateForOrders(tx, merchant, a.ID); err != nil {
			return nil, err
		}
	}
	a.Earn.Normalize()
	p := &loyalty.Program{
		ID: a.ID, Name: a.Name, Unit: a.Unit, Merchant: merchant, Currency: a.Currency,
		Earn: a.Earn, ExpiryDays: a.ExpiryDays, Transferable: a.Transferable,
		EarnOnOrders: a.EarnOnOrders, Partners: partners,
		Created: tx.Time(), CreatedTx: tx.ID(),
	}
	if err := ledger.PutJSON(tx, key, p); err != nil {
		return nil, err
	}
	err = ledger.Emit(tx, ledger.Event{
		Contract: loyalty.Name, Type: "ProgramCreated",
		Keys: map[string]string{"program": p.ID, "merchant": merchant},
		Data: p,
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// designateForOrders makes delivered orders of merchant earn in program;
// a merchant has at most one such programme (CONFLICT otherwise).
func designateForOrders(tx *ledger.Tx, merchant, program string) error {
	key, err := ledger.Key(tx, ordersProgramType, merchant)
	if err != nil {
		return err
	}
	var current ordersProgram
	found, err := ledger.GetJSON(tx, key, &current)
	if err != nil {
		return err
	}
	if found {
		return cxlerr.Errorf(cxlerr.Conflict, "orders of %s already earn points in programme %s", merchant, current.Program)
	}
	return ledger.PutJSON(tx, key, ordersProgram{Program: program})
}

// acceptPartnership records that the caller's organisation accepts the
// terms a programme offered it.
func acceptPartnership(tx *ledger.Tx, a loyalty.ProgramArgs) (*loyalty.PartnerTerms, error) {
	p, err := getProgram(tx, a.Program)
	if err != nil {
		return nil, err
	}
	msp := tx.Caller().MSP
	terms, ok := p.Partner(msp)
	if !ok {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "programme %s offers no partnership to %s", p.ID, msp)
	}
	if err := requireMerchant(tx, msp, "accept a partnership for "+msp); err != nil {
		return nil, err
	}
	key, err := ledger.Key(tx, acceptanceType, p.ID, msp)
	if err != nil {
		return nil, err
	}
	if err := mustBeNew(tx, key, "the acceptance of programme "+p.ID+" by "+msp); err != nil {
		return nil, err
	}
	if err := ledger.PutJSON(tx, key, acceptance{Accepted: tx.Time(), AcceptedTx: tx.ID()}); err != nil {
		return nil, err
	}
	at := tx.Time()
	terms.Accepted = &at
	err = ledger.Emit(tx, ledger.Event{
		Contract: loyalty.Name, Type: "PartnershipAccepted",
		Keys: map[string]string{"program": p.ID, "msp": msp},
		Data: terms,
	})
	if err != nil {
		return nil, err
	}
	return &terms, nil
}
