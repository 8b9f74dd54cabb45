package healthcc

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/health"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/cxlerr"
)

// maxNonce is the longest nonce Ping accepts, in bytes.
const maxNonce = 128

// pingType is the object type of ping records.
const pingType = "health.ping"

// Contract is the health contract.
type Contract struct {
	contractapi.Contract
	version string
}

// NewContract returns the health contract, named "health", of a chaincode build that
// reports version.
func NewContract(version string) *Contract {
	c := &Contract{version: version}
	c.Name = health.Name
	c.Info.Title = health.Name
	c.Info.Version = version
	c.Info.Description = "liveness probe: a blind write that proves the network commits"
	return c
}

// Ping writes a record under the caller's organisation and the nonce (a blind write: it reads
// nothing, so concurrent pings never conflict, and one member cannot overwrite another's) and
// emits the event "health.Pinged" carrying the same record. The nonce is the function's one
// argument as it is, not JSON: 1 to 128 bytes of UTF-8 without U+0000 or U+10FFFF.
func (c *Contract) Ping(ctx contractapi.TransactionContextInterface, nonce string) (*health.Ping, error) {
	return ledger.Run(ctx.GetStub(), nonce, ping)
}

func ping(tx *ledger.Tx, nonce string) (*health.Ping, error) {
	if nonce == "" || len(nonce) > maxNonce || !utf8.ValidString(nonce) || strings.ContainsAny(nonce, "\x00\U0010FFFF") {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "nonce must be 1 to %d bytes of UTF-8 without U+0000 or U+10FFFF", maxNonce)
	}
	p := &health.Ping{Nonce: nonce, MSPID: tx.Caller().MSP, TxID: tx.ID(), Time: tx.Time()}
	key, err := ledger.Key(tx, pingType, p.MSPID, nonce)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(p)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "encode ping %s: %w", nonce, err)
	}
	if err := tx.Stub().PutState(key, data); err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "write ping %s: %w", nonce, err)
	}
	if err := tx.Stub().SetEvent("health.Pinged", data); err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "emit ping event %s: %w", nonce, err)
	}
	return p, nil
}

// Version returns the version of the chaincode server that answers, so an upgrade can be
// seen to take effect.
func (c *Contract) Version(ctx contractapi.TransactionContextInterface) (*health.BuildInfo, error) {
	return ledger.Query(ctx.GetStub(), func(*ledger.Tx) (*health.BuildInfo, error) {
		return &health.BuildInfo{Version: c.version}, nil
	})
}

// GetEvaluateTransactions marks the queries of the contract in its metadata.
func (c *Contract) GetEvaluateTransactions() []string { return []string{"Version"} }
