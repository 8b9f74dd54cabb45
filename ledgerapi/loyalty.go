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

// The operations of the loyalty contract.
var (
	// LoyaltyCreateProgram is loyalty:CreateProgram.
	LoyaltyCreateProgram = submit[CreateProgramRequest, loyalty.Program]("loyalty", "CreateProgram", "/v1/loyalty/programs",
		"Create a points programme your organisation (merchant role) issues, with its earn rule, expiry and partner terms")
	// LoyaltyAcceptPartnership is loyalty:AcceptPartnership.
	LoyaltyAcceptPartnership = submit[ProgramRequest, loyalty.PartnerTerms]("loyalty", "AcceptPartnership", "/v1/loyalty/partnerships",
		"Accept, for your organisation, the partner terms a programme offered it")
	// LoyaltyEarn is loyalty:Earn.
	LoyaltyEarn = submit[EarnRequest, loyalty.Earn]("loyalty", "Earn", "/v1/loyalty/earns",
		"Mint points to a customer for a purchase (amount) or as a grant (points), once per ID (the issuer)")
	// LoyaltyRedeem is loyalty:Redeem.
	LoyaltyRedeem = submit[RedeemRequest, loyalty.Redemption]("loyalty", "Redeem", "/v1/loyalty/redemptions",
		"Spend your points at the issuer or an accepted partner, optionally against an order (the holder of the points)")
	// LoyaltyTransfer is loyalty:Transfer.
	LoyaltyTransfer = submit[TransferPointsRequest, loyalty.PointsTransfer]("loyalty", "Transfer", "/v1/loyalty/transfers",
		"Give your points to another customer, when the programme allows it (the holder of the points)")
	// LoyaltyExpirePoints is loyalty:ExpirePoints.
	LoyaltyExpirePoints = submit[ExpirePointsRequest, loyalty.ExpirySweep]("loyalty", "ExpirePoints", "/v1/loyalty/expiries",
		"Remove the expired points of up to 50 accounts (the issuer; a customer their own)")
	// LoyaltyGetProgram is loyalty:GetProgram.
	LoyaltyGetProgram = evaluate[ProgramRequest, loyalty.Program]("loyalty", "GetProgram", "/v1/loyalty/programs/{program}",
		"A programme")
	// LoyaltyListPrograms is loyalty:ListPrograms.
	LoyaltyListPrograms = evaluate[ListProgramsRequest, loyalty.ProgramPage]("loyalty", "ListPrograms", "/v1/loyalty/programs",
		"A page of programmes, by ID")
	// LoyaltyBalance is loyalty:Balance.
	LoyaltyBalance = evaluate[PointsBalanceRequest, loyalty.PointsBalance]("loyalty", "Balance", "/v1/loyalty/programs/{program}/balance",
		"A customer's points in a programme (yours without account): available, expired, expiring within soonDays, debt")
	// LoyaltyHistory is loyalty:History.
	LoyaltyHistory = evaluate[PointsHistoryRequest, loyalty.PointsHistory]("loyalty", "History", "/v1/loyalty/programs/{program}/history",
		"A page of a customer's changes in a programme (yours without account)")
	// LoyaltyStatement is loyalty:Statement.
	LoyaltyStatement = evaluate[StatementRequest, loyalty.SettlementStatement]("loyalty", "Statement", "/v1/loyalty/statement",
		"The settlement between two merchants over [from, to), at most 366 days: net totals per currency and a page of obligations")
	// LoyaltyOrderPoints is loyalty:OrderPoints.
	LoyaltyOrderPoints = evaluate[OrderPointsRequest, loyalty.OrderPoints]("loyalty", "OrderPoints", "/v1/loyalty/orders/{order}/points",
		"The points linked to an order: the earn of its delivery, redemptions against it, and what refunds reversed")
)

type loyaltyOver struct{ t Transport }

func (o loyaltyOver) CreateProgram(ctx context.Context, req CreateProgramRequest) (*Committed[loyalty.Program], error) {
	return LoyaltyCreateProgram.Run(ctx, o.t, req)
}

func (o loyaltyOver) AcceptPartnership(ctx context.Context, req ProgramRequest) (*Committed[loyalty.PartnerTerms], error) {
	return LoyaltyAcceptPartnership.Run(ctx, o.t, req)
}

func (o loyaltyOver) Earn(ctx context.Context, req EarnRequest) (*Committed[loyalty.Earn], error) {
	return LoyaltyEarn.Run(ctx, o.t, req)
}

func (o loyaltyOver) Redeem(ctx context.Context, req RedeemRequest) (*Committed[loyalty.Redemption], error) {
	return LoyaltyRedeem.Run(ctx, o.t, req)
}

func (o loyaltyOver) Transfer(ctx context.Context, req TransferPointsRequest) (*Committed[loyalty.PointsTransfer], error) {
	return LoyaltyTransfer.Run(ctx, o.t, req)
}

func (o loyaltyOver) ExpirePoints(ctx context.Context, req ExpirePointsRequest) (*Committed[loyalty.ExpirySweep], error) {
	return LoyaltyExpirePoints.Run(ctx, o.t, req)
}

func (o loyaltyOver) GetProgram(ctx context.Context, req ProgramRequest) (*loyalty.Program, error) {
	return LoyaltyGetProgram.Query(ctx, o.t, req)
}

func (o loyaltyOver) ListPrograms(ctx context.Context, req ListProgramsRequest) (*loyalty.ProgramPage, error) {
	return LoyaltyListPrograms.Query(ctx, o.t, req)
}

func (o loyaltyOver) Balance(ctx context.Context, req PointsBalanceRequest) (*loyalty.PointsBalance, error) {
	return LoyaltyBalance.Query(ctx, o.t, req)
}

func (o loyaltyOver) History(ctx context.Context, req PointsHistoryRequest) (*loyalty.PointsHistory, error) {
	return LoyaltyHistory.Query(ctx, o.t, req)
}

func (o loyaltyOver) Statement(ctx context.Context, req StatementRequest) (*loyalty.SettlementStatement, error) {
	return LoyaltyStatement.Query(ctx, o.t, req)
}

func (o loyaltyOver) OrderPoints(ctx context.Context, req OrderPointsRequest) (*loyalty.OrderPoints, error) {
	return LoyaltyOrderPoints.Query(ctx, o.t, req)
}
