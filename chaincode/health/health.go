// Package health is the "health" contract: a cheap write any channel member can submit to
// prove the network endorses, orders and commits end to end. Network readiness checks and
// the integration tests use it.
//
// Functions:
//
//	Ping     "<nonce>" (a plain string, not JSON) -> Ping
//	Version  (evaluate, no argument)             -> BuildInfo
//
// Ping writes its record under the key ("health.ping", caller's MSP ID, nonce), so one member
// never overwrites another's ping, and emits the event "health.Pinged" whose payload is the
// same record.
package health

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/cxlerr"
)

// Name is the contract's name in the chaincode.
const Name = "health"

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
	c.Name = Name
	c.Info.Title = Name
	c.Info.Version = version
	c.Info.Description = "liveness probe: a blind write that proves the network commits"
	return c
}

// Ping is what Ping records and returns.
type Ping struct {
	Nonce string    `json:"nonce"`
	MSPID string    `json:"mspId"`
	TxID  string    `json:"txId"`
	Time  time.Time `json:"time"`
}

// BuildInfo is what Version returns.
type BuildInfo struct {
	// Version is the version of the chaincode build that answered.
	Version string `json:"version"`
}

// Ping writes a record under the caller's organisation and the nonce (a blind write: it reads
// nothing, so concurrent pings never conflict, and one member cannot overwrite another's) and
// emits the event "health.Pinged" carrying the same record. The nonce is the function's one
// argument as it is, not JSON: 1 to 128 bytes of UTF-8 without U+0000 or U+10FFFF.
func (c *Contract) Ping(ctx contractapi.TransactionContextInterface, nonce string) (*Ping, error) {
	return ledger.Run(ctx.GetStub(), nonce, ping)
}

func ping(tx *ledger.Tx, nonce string) (*Ping, error) {
	if nonce == "" || len(nonce) > maxNonce || !utf8.ValidString(nonce) || strings.ContainsAny(nonce, "\x00\U0010FFFF") {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "nonce must be 1 to %d bytes of UTF-8 without U+0000 or U+10FFFF", maxNonce)
	}
	p := &Ping{Nonce: nonce, MSPID: tx.Caller().MSP, TxID: tx.ID(), Time: tx.Time()}
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
func (c *Contract) Version(ctx contractapi.TransactionContextInterface) (*BuildInfo, error) {
	return ledger.Query(ctx.GetStub(), func(*ledger.Tx) (*BuildInfo, error) {
		return &BuildInfo{Version: c.version}, nil
	})
}

// GetEvaluateTransactions marks the queries of the contract in its metadata.
func (c *Contract) GetEvaluateTransactions() []string { return []string{"Version"} }
