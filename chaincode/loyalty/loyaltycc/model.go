package loyaltycc

import (
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
)

// acceptance is the stored acceptance of a partner, apart from the
// programme record so that the programme, which every earn reads, never
// changes.
type acceptance struct {
	Accepted   time.Time `json:"accepted"`
	AcceptedTx string    `json:"acceptedTx"`
}

// ordersProgram designates the programme delivered orders of a merchant earn in.
type ordersProgram struct {
	Program string `json:"program"`
}

// debt is a customer's negative adjustment in one programme: points a
// refund took back that the customer had already spent.
type debt struct {
	Points  ledgertypes.Amount `json:"points"`
	Updated time.Time          `json:"updated"`
	TxID    string             `json:"txId"`
}

// orderEarnRef is the order -> earn link, written when a delivery earns.
type orderEarnRef struct {
	Program string `json:"program"`
	ID      string `json:"id"`
}

// redemptionRef is the order -> redemption index row.
type redemptionRef struct {
	Program string `json:"program"`
	ID      string `json:"id"`
}

// Object types of the loyalty key space. Every key starts with "loyalty.".
const (
	programType        = "loyalty.program"         // (program) -> Program without partner acceptance
	acceptanceType     = "loyalty.acceptance"      // (program, msp) -> acceptance
	ordersProgramType  = "loyalty.ordersprogram"   // (merchant msp) -> ordersProgram
	lotBook            = "loyalty.lot"             // (account, lot ID) -> ledger.Lot, unit = program ID
	debtType           = "loyalty.debt"            // (program, account) -> debt
	earnType           = "loyalty.earn"            // (program, earn ID) -> Earn
	redemptionType     = "loyalty.redemption"      // (program, redemption ID) -> Redemption
	transferType       = "loyalty.transfer"        // (program, transfer ID) -> PointsTransfer
	orderEarnType      = "loyalty.orderearn"       // (order) -> orderEarnRef
	orderRedemptionIdx = "loyalty.orderredemption" // (order, program, redemption ID) -> redemptionRef
	reversalType       = "loyalty.reversal"        // (order, time, tx ID) -> Reversal
	entryType          = "loyalty.entry"           // (account, program, time, tx ID, cause) -> PointsEntry
	settlementType     = "loyalty.settlement"      // (msp, msp, day, clock, tx ID, program, redemption) -> SettlementEntry
)
