package loyaltycc

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/loyalty"
)

// Contract is the loyalty contract.
type Contract struct {
	contractapi.Contract
}

// NewContract returns the contract, named "loyalty".
func NewContract() *Contract {
	c := &Contract{}
	c.Name = loyalty.Name
	return c
}

// GetEvaluateTransactions lists the query functions.
func (c *Contract) GetEvaluateTransactions() []string {
	return []string{"GetProgram", "ListPrograms", "Balance", "History", "Statement", "OrderPoints"}
}

// CreateProgram creates a programme issued by the caller's organisation,
// which must hold the merchant role. Argument: {"id","name","unit",
// "currency","earn":{"points","per","tiers"?,"multipliers"?},"expiryDays",
// "transferable"?,"earnOnOrders"?,"partners"?:[{"msp","value","per"}]}.
func (c *Contract) CreateProgram(ctx contractapi.TransactionContextInterface, args loyalty.CreateProgramArgs) (*loyalty.Program, error) {
	return ledger.Run(ctx.GetStub(), args, createProgram)
}

// AcceptPartnership accepts, for the caller's organisation, the terms a
// programme offered it. Argument: {"program"}.
func (c *Contract) AcceptPartnership(ctx contractapi.TransactionContextInterface, args loyalty.ProgramArgs) (*loyalty.PartnerTerms, error) {
	return ledger.Run(ctx.GetStub(), args, acceptPartnership)
}

// Earn mints points to a customer for a purchase ("amount") or as a grant
// ("points"); only the issuing merchant earns. Argument: {"program","id",
// "account","amount"|"points"}.
func (c *Contract) Earn(ctx contractapi.TransactionContextInterface, args loyalty.EarnArgs) (*loyalty.Earn, error) {
	return ledger.Run(ctx.GetStub(), args, earn)
}

// Redeem spends the caller's points at the issuer or an accepted partner,
// optionally against an order. Argument: {"program","id","account",
// "points","merchant","order"?}.
func (c *Contract) Redeem(ctx contractapi.TransactionContextInterface, args loyalty.RedeemArgs) (*loyalty.Redemption, error) {
	return ledger.Run(ctx.GetStub(), args, redeem)
}

// Transfer gives the caller's points to another customer, when the
// programme allows it. Argument: {"program","id","account","to","points"}.
func (c *Contract) Transfer(ctx contractapi.TransactionContextInterface, args loyalty.TransferArgs) (*loyalty.PointsTransfer, error) {
	return ledger.Run(ctx.GetStub(), args, transfer)
}

// ExpirePoints removes expired points of up to 50 accounts. Argument:
// {"program","accounts":[...]}.
func (c *Contract) ExpirePoints(ctx contractapi.TransactionContextInterface, args loyalty.ExpireArgs) (*loyalty.ExpirySweep, error) {
	return ledger.Run(ctx.GetStub(), args, expirePoints)
}

// GetProgram returns a programme. Argument: {"program"}.
func (c *Contract) GetProgram(ctx contractapi.TransactionContextInterface, args loyalty.ProgramArgs) (*loyalty.Program, error) {
	return ledger.Run(ctx.GetStub(), args, getProgramQuery)
}

// ListPrograms returns one page of programmes. Argument:
// {"pageSize"?,"bookmark"?}.
func (c *Contract) ListPrograms(ctx contractapi.TransactionContextInterface, args loyalty.PageArgs) (*loyalty.ProgramPage, error) {
	return ledger.Run(ctx.GetStub(), args, listPrograms)
}

// Balance returns a customer's points in a programme. Argument:
// {"program","account"?,"soonDays"?}.
func (c *Contract) Balance(ctx contractapi.TransactionContextInterface, args loyalty.BalanceArgs) (*loyalty.PointsBalance, error) {
	return ledger.Run(ctx.GetStub(), args, balance)
}

// History returns one page of a customer's changes in a programme.
// Argument: {"program","account"?,"pageSize"?,"bookmark"?}.
func (c *Contract) History(ctx contractapi.TransactionContextInterface, args loyalty.HistoryArgs) (*loyalty.PointsHistory, error) {
	return ledger.Run(ctx.GetStub(), args, history)
}

// Statement nets the settlement obligations between two merchants over a
// period. Argument: {"merchant","counterparty","from","to","pageSize"?,
// "bookmark"?}.
func (c *Contract) Statement(ctx contractapi.TransactionContextInterface, args loyalty.StatementArgs) (*loyalty.SettlementStatement, error) {
	return ledger.Run(ctx.GetStub(), args, statement)
}

// OrderPoints returns the points linked to an order. Argument: {"order"}.
func (c *Contract) OrderPoints(ctx contractapi.TransactionContextInterface, args loyalty.OrderArgs) (*loyalty.OrderPoints, error) {
	return ledger.Run(ctx.GetStub(), args, orderPoints)
}
