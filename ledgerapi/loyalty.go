package ledgerapi

import (
	"context"

	"github.com/cxledger/cxledger/chaincode/loyalty"
)

// Requests of the loyalty contract: the contract's own argument types, whose Validate is the
// check the contract makes (see the loyalty package documentation for each field). Run them
// through Validate, which returns the contract's error as an *Error.
type (
	// CreateProgramRequest creates a programme issued by the caller's organisation.
	CreateProgramRequest = loyalty.CreateProgramArgs
	// PartnerOffer offers a partner organisation terms in a CreateProgramRequest.
	PartnerOffer = loyalty.PartnerArgs
	// ProgramRequest names a programme (GetProgram, AcceptPartnership).
	ProgramRequest = loyalty.ProgramArgs
	// EarnRequest mints points to a customer for a purchase or as a grant, once per ID.
	EarnRequest = loyalty.EarnArgs
	// RedeemRequest spends the caller's points at the issuer or an accepted partner.
	RedeemRequest = loyalty.RedeemArgs
	// TransferPointsRequest gives the caller's points to another customer.
	TransferPointsRequest = loyalty.TransferArgs
	// ExpirePointsRequest removes the expired points of up to 50 accounts.
	ExpirePointsRequest = loyalty.ExpireArgs
	// ListProgramsRequest asks for a page of programmes.
	ListProgramsRequest = loyalty.PageArgs
	// PointsBalanceRequest asks for a customer's points in a programme (the caller's by
	// default).
	PointsBalanceRequest = loyalty.BalanceArgs
	// PointsHistoryRequest asks for a page of a customer's changes in a programme.
	PointsHistoryRequest = loyalty.HistoryArgs
	// StatementRequest asks for the settlement between two merchants over [from, to).
	StatementRequest = loyalty.StatementArgs
	// OrderPointsRequest names an order whose points to follow.
	OrderPointsRequest = loyalty.OrderArgs
)

// Loyalty is the loyalty contract: coalition points a merchant issues, customers earn,
// redeem at the issuer or accepted partners and transfer, that expire and settle between
// merchants. Who may call what is the contract's rule (see the loyalty package): merchants
// create programmes and accept partnerships, the issuer earns, the holder of the points
// redeems and transfers them; balances and histories are open to the account, the issuer,
// partners and auditors.
type Loyalty interface {
	CreateProgram(ctx context.Context, req CreateProgramRequest) (*Committed[loyalty.Program], error)
	AcceptPartnership(ctx context.Context, req ProgramRequest) (*Committed[loyalty.PartnerTerms], error)
	Earn(ctx context.Context, req EarnRequest) (*Committed[loyalty.Earn], error)
	Redeem(ctx context.Context, req RedeemRequest) (*Committed[loyalty.Redemption], error)
	Transfer(ctx context.Context, req TransferPointsRequest) (*Committed[loyalty.PointsTransfer], error)
	ExpirePoints(ctx context.Context, req ExpirePointsRequest) (*Committed[loyalty.ExpirySweep], error)
	GetProgram(ctx context.Context, req ProgramRequest) (*loyalty.Program, error)
	ListPrograms(ctx context.Context, req ListProgramsRequest) (*loyalty.ProgramPage, error)
	Balance(ctx context.Context, req PointsBalanceRequest) (*loyalty.PointsBalance, error)
	History(ctx context.Context, req PointsHistoryRequest) (*loyalty.PointsHistory, error)
	Statement(ctx context.Context, req StatementRequest) (*loyalty.SettlementStatement, error)
	OrderPoints(ctx context.Context, req OrderPointsRequest) (*loyalty.OrderPoints, error)
}
