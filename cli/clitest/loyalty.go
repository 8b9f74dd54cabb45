package clitest

import (
	"context"
	"sort"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// loyaltyState is the fake loyalty contract's state.
type loyaltyState struct {
	programs map[string]*loyalty.Program
	points   map[string]ledger.Amount // program|account
	ids      map[string]bool          // program|kind|id
	entries  map[string][]loyalty.PointsEntry
}

func (f *Fake) loyalty() *loyaltyState {
	if f.loy == nil {
		f.loy = &loyaltyState{programs: map[string]*loyalty.Program{}, points: map[string]ledger.Amount{},
			ids: map[string]bool{}, entries: map[string][]loyalty.PointsEntry{}}
	}
	return f.loy
}

type fakeLoyalty struct{ v *view }

func (v *view) Loyalty() ledgerapi.Loyalty { return fakeLoyalty{v} }

func (s *loyaltyState) program(id string) (*loyalty.Program, error) {
	p, ok := s.programs[id]
	if !ok {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "programme %s does not exist", id)
	}
	return p, nil
}

// once marks an operation's ID used, CONFLICT the second time.
func (s *loyaltyState) once(program, kind, id string) error {
	k := program + "|" + kind + "|" + id
	if s.ids[k] {
		return cxlerr.Errorf(cxlerr.Conflict, "%s %s of programme %s exists", kind, id, program)
	}
	s.ids[k] = true
	return nil
}

func (s *loyaltyState) entry(e loyalty.PointsEntry, txID string) {
	e.Time, e.TxID = Now, txID
	k := e.Program + "|" + e.Account
	s.entries[k] = append(s.entries[k], e)
}

func (l fakeLoyalty) CreateProgram(ctx context.Context, req ledgerapi.CreateProgramRequest) (*ledgerapi.Committed[loyalty.Program], error) {
	return mutate(ctx, l.v, "loyalty.CreateProgram", req, func(txID string) (loyalty.Program, error) {
		s := l.v.f.loyalty()
		if _, ok := s.programs[req.ID]; ok {
			return loyalty.Program{}, cxlerr.Errorf(cxlerr.Conflict, "programme %s exists", req.ID)
		}
		p := &loyalty.Program{ID: req.ID, Name: req.Name, Unit: req.Unit, Merchant: l.v.caller, Currency: req.Currency, Earn: req.Earn,
			ExpiryDays: req.ExpiryDays, Transferable: req.Transferable, EarnOnOrders: req.EarnOnOrders, Partners: []loyalty.PartnerTerms{},
			Created: Now, CreatedTx: txID}
		for _, pa := range req.Partners {
			p.Partners = append(p.Partners, loyalty.PartnerTerms{MSP: pa.MSP, Value: pa.Value, Per: pa.Per})
		}
		s.programs[req.ID] = p
		return *p, nil
	})
}

func (l fakeLoyalty) AcceptPartnership(ctx context.Context, req ledgerapi.ProgramRequest) (*ledgerapi.Committed[loyalty.PartnerTerms], error) {
	return mutate(ctx, l.v, "loyalty.AcceptPartnership", req, func(string) (loyalty.PartnerTerms, error) {
		p, err := l.v.f.loyalty().program(req.Program)
		if err != nil {
			return loyalty.PartnerTerms{}, err
		}
		for i, pt := range p.Partners {
			if pt.MSP == l.v.caller {
				t := Now
				p.Partners[i].Accepted = &t
				return p.Partners[i], nil
			}
		}
		return loyalty.PartnerTerms{}, cxlerr.Errorf(cxlerr.Forbidden, "%s is offered no terms in %s", l.v.caller, req.Program)
	})
}

func (l fakeLoyalty) Earn(ctx context.Context, req ledgerapi.EarnRequest) (*ledgerapi.Committed[loyalty.Earn], error) {
	return mutate(ctx, l.v, "loyalty.Earn", req, func(txID string) (loyalty.Earn, error) {
		s := l.v.f.loyalty()
		p, err := s.program(req.Program)
		if err != nil {
			return loyalty.Earn{}, err
		}
		if p.Merchant != l.v.caller {
			return loyalty.Earn{}, cxlerr.Errorf(cxlerr.Forbidden, "only the issuer %s earns in %s", p.Merchant, p.ID)
		}
		if err := s.once(p.ID, "earn", req.ID); err != nil {
			return loyalty.Earn{}, err
		}
		points := req.Points
		if req.Amount > 0 {
			points = req.Amount * p.Earn.Points / p.Earn.Per
		}
		s.points[p.ID+"|"+req.Account] += points
		s.entry(loyalty.PointsEntry{Program: p.ID, Account: req.Account, Type: loyalty.EntryEarned, Credited: points, Earn: req.ID}, txID)
		return loyalty.Earn{Program: p.ID, ID: req.ID, Account: req.Account, Amount: req.Amount, Points: points, Lot: txID, Time: Now, TxID: txID}, nil
	})
}

// spend takes points from the caller's account.
func (l fakeLoyalty) spend(s *loyaltyState, program, account string, points ledger.Amount) error {
	if account != l.v.account() {
		return cxlerr.Errorf(cxlerr.Forbidden, "only %s spends its points", account)
	}
	if s.points[program+"|"+account] < points {
		return cxlerr.Errorf(cxlerr.InsufficientFunds, "%s holds %d points of %s, not %d", account, s.points[program+"|"+account], program, points)
	}
	s.points[program+"|"+account] -= points
	return nil
}

func (l fakeLoyalty) Redeem(ctx context.Context, req ledgerapi.RedeemRequest) (*ledgerapi.Committed[loyalty.Redemption], error) {
	return mutate(ctx, l.v, "loyalty.Redeem", req, func(txID string) (loyalty.Redemption, error) {
		s := l.v.f.loyalty()
		p, err := s.program(req.Program)
		if err != nil {
			return loyalty.Redemption{}, err
		}
		if err := s.once(p.ID, "redemption", req.ID); err != nil {
			return loyalty.Redemption{}, err
		}
		if err := l.spend(s, p.ID, req.Account, req.Points); err != nil {
			return loyalty.Redemption{}, err
		}
		s.entry(loyalty.PointsEntry{Program: p.ID, Account: req.Account, Type: loyalty.EntryRedeemed, Debited: req.Points, Redemption: req.ID, Merchant: req.Merchant}, txID)
		return loyalty.Redemption{Program: p.ID, ID: req.ID, Account: req.Account, Merchant: req.Merchant, Points: req.Points,
			Portions: []loyalty.Portion{{Points: req.Points}}, Order: req.Order, Time: Now, TxID: txID}, nil
	})
}

func (l fakeLoyalty) Transfer(ctx context.Context, req ledgerapi.TransferPointsRequest) (*ledgerapi.Committed[loyalty.PointsTransfer], error) {
	return mutate(ctx, l.v, "loyalty.Transfer", req, func(txID string) (loyalty.PointsTransfer, error) {
		s := l.v.f.loyalty()
		p, err := s.program(req.Program)
		if err != nil {
			return loyalty.PointsTransfer{}, err
		}
		if !p.Transferable {
			return loyalty.PointsTransfer{}, cxlerr.Errorf(cxlerr.Forbidden, "points of %s are not transferable", p.ID)
		}
		if err := s.once(p.ID, "transfer", req.ID); err != nil {
			return loyalty.PointsTransfer{}, err
		}
		if err := l.spend(s, p.ID, req.Account, req.Points); err != nil {
			return loyalty.PointsTransfer{}, err
		}
		s.points[p.ID+"|"+req.To] += req.Points
		s.entry(loyalty.PointsEntry{Program: p.ID, Account: req.Account, Type: loyalty.EntryTransferredOut, Debited: req.Points, Transfer: req.ID, Counterparty: req.To}, txID)
		s.entry(loyalty.PointsEntry{Program: p.ID, Account: req.To, Type: loyalty.EntryTransferredIn, Credited: req.Points, Transfer: req.ID, Counterparty: req.Account}, txID)
		return loyalty.PointsTransfer{Program: p.ID, ID: req.ID, From: req.Account, To: req.To, Points: req.Points,
			Portions: []loyalty.Portion{{Points: req.Points}}, Time: Now, TxID: txID}, nil
	})
}

func (l fakeLoyalty) ExpirePoints(ctx context.Context, req ledgerapi.ExpirePointsRequest) (*ledgerapi.Committed[loyalty.ExpirySweep], error) {
	return mutate(ctx, l.v, "loyalty.ExpirePoints", req, func(txID string) (loyalty.ExpirySweep, error) {
		if _, err := l.v.f.loyalty().program(req.Program); err != nil {
			return loyalty.ExpirySweep{}, err
		}
		return loyalty.ExpirySweep{Program: req.Program, Accounts: []loyalty.SweptAccount{}, Time: Now, TxID: txID}, nil
	})
}

func (l fakeLoyalty) GetProgram(_ context.Context, req ledgerapi.ProgramRequest) (*loyalty.Program, error) {
	if err := validate(&req); err != nil {
		return nil, err
	}
	if err := query(l.v, "loyalty.GetProgram", req); err != nil {
		return nil, err
	}
	l.v.f.mu.Lock()
	defer l.v.f.mu.Unlock()
	p, err := l.v.f.loyalty().program(req.Program)
	if err != nil {
		return nil, err
	}
	c := *p
	return &c, nil
}

func (l fakeLoyalty) ListPrograms(_ context.Context, req ledgerapi.ListProgramsRequest) (*loyalty.ProgramPage, error) {
	if err := query(l.v, "loyalty.ListPrograms", req); err != nil {
		return nil, err
	}
	l.v.f.mu.Lock()
	defer l.v.f.mu.Unlock()
	var all []loyalty.Program
	for _, p := range l.v.f.loyalty().programs {
		all = append(all, *p)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	from, to, next := page(len(all), req.PageSize, 50, req.Bookmark)
	return &loyalty.ProgramPage{Programs: append([]loyalty.Program{}, all[from:to]...), Bookmark: next}, nil
}

func (l fakeLoyalty) Balance(_ context.Context, req ledgerapi.PointsBalanceRequest) (*loyalty.PointsBalance, error) {
	if err := validate(&req); err != nil {
		return nil, err
	}
	if err := query(l.v, "loyalty.Balance", req); err != nil {
		return nil, err
	}
	l.v.f.mu.Lock()
	defer l.v.f.mu.Unlock()
	s := l.v.f.loyalty()
	p, err := s.program(req.Program)
	if err != nil {
		return nil, err
	}
	account := req.Account
	if account == "" {
		account = l.v.account()
	}
	pts := s.points[p.ID+"|"+account]
	return &loyalty.PointsBalance{Program: p.ID, Account: account, Unit: p.Unit, Available: pts, Unexpired: pts, Lots: 1,
		SoonUntil: Now.AddDate(0, 0, 30), Time: Now}, nil
}

func (l fakeLoyalty) History(_ context.Context, req ledgerapi.PointsHistoryRequest) (*loyalty.PointsHistory, error) {
	if err := validate(&req); err != nil {
		return nil, err
	}
	if err := query(l.v, "loyalty.History", req); err != nil {
		return nil, err
	}
	l.v.f.mu.Lock()
	defer l.v.f.mu.Unlock()
	s := l.v.f.loyalty()
	p, err := s.program(req.Program)
	if err != nil {
		return nil, err
	}
	account := req.Account
	if account == "" {
		account = l.v.account()
	}
	all := s.entries[p.ID+"|"+account]
	from, to, next := page(len(all), req.PageSize, 50, req.Bookmark)
	return &loyalty.PointsHistory{Program: p.ID, Account: account, Entries: append([]loyalty.PointsEntry{}, all[from:to]...), Bookmark: next}, nil
}

func (l fakeLoyalty) Statement(_ context.Context, req ledgerapi.StatementRequest) (*loyalty.SettlementStatement, error) {
	if err := validate(&req); err != nil {
		return nil, err
	}
	if err := query(l.v, "loyalty.Statement", req); err != nil {
		return nil, err
	}
	return &loyalty.SettlementStatement{Merchant: req.Merchant, Counterparty: req.Counterparty, From: req.From, To: req.To,
		Totals: []loyalty.SettlementTotal{}, Entries: []loyalty.SettlementEntry{}}, nil
}

func (l fakeLoyalty) OrderPoints(_ context.Context, req ledgerapi.OrderPointsRequest) (*loyalty.OrderPoints, error) {
	if err := validate(&req); err != nil {
		return nil, err
	}
	if err := query(l.v, "loyalty.OrderPoints", req); err != nil {
		return nil, err
	}
	return &loyalty.OrderPoints{Order: req.Order, Redemptions: []loyalty.Redemption{}, Reversals: []loyalty.Reversal{}}, nil
}
