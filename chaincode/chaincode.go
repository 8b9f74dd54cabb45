// Package chaincode assembles the cxledger chaincode: one Fabric chaincode with a named
// contract per business area, called as "<contract>:<Function>".
package chaincode

import (
	"fmt"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/consortium"
	"github.com/cxledger/cxledger/chaincode/health"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/provenance"
)

// New returns the cxledger chaincode reporting version in its metadata.
func New(version string) (*contractapi.ContractChaincode, error) {
	cc, err := contractapi.NewChaincode(
		health.NewContract(version),
		consortium.NewContract(),
		provenance.NewContract(),
		// Loyalty earns on delivery and reverses on refund inside the orders transaction.
		orders.NewContract(loyalty.NewOrderHooks()),
		loyalty.NewContract(),
		care.NewContract(),
	)
	if err != nil {
		return nil, fmt.Errorf("assemble cxledger chaincode: %w", err)
	}
	return cc, nil
}
