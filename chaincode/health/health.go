// Package health is the "health" contract: a cheap write any channel member can submit to
// prove the network endorses, orders and commits end to end. Network readiness checks and
// the integration tests use it.
package health

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Contract is the health contract.
type Contract struct {
	contractapi.Contract
	version string
}

// NewContract returns the health contract, named "health", of a chaincode build that
// reports version.
func NewContract(version string) *Contract {
	c := &Contract{version: version}
	c.Name = "health"
	c.Info.Title = "health"
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

// Ping writes a record under the nonce (a blind write: it reads nothing, so concurrent pings
// never conflict) and emits the event "health.Pinged" carrying the same record.
func (c *Contract) Ping(ctx contractapi.TransactionContextInterface, nonce string) (*Ping, error) {
	if nonce == "" || len(nonce) > 128 || !utf8.ValidString(nonce) {
		return nil, fmt.Errorf("cxl:INVALID: nonce must be 1 to 128 bytes of UTF-8")
	}
	stub := ctx.GetStub()
	msp, err := ctx.GetClientIdentity().GetMSPID()
	if err != nil {
		return nil, fmt.Errorf("read caller MSP: %w", err)
	}
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return nil, fmt.Errorf("read tx time: %w", err)
	}
	p := &Ping{Nonce: nonce, MSPID: msp, TxID: stub.GetTxID(), Time: ts.AsTime().UTC()}
	key, err := stub.CreateCompositeKey("health", []string{nonce})
	if err != nil {
		return nil, fmt.Errorf("cxl:INVALID: nonce: %v", err)
	}
	data, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode ping: %w", err)
	}
	if err := stub.PutState(key, data); err != nil {
		return nil, fmt.Errorf("write ping: %w", err)
	}
	if err := stub.SetEvent("health.Pinged", data); err != nil {
		return nil, fmt.Errorf("emit ping event: %w", err)
	}
	return p, nil
}

// Version returns the version of the chaincode server that answers, so an upgrade can be
// seen to take effect.
func (c *Contract) Version(ctx contractapi.TransactionContextInterface) (string, error) {
	return c.version, nil
}

// GetEvaluateTransactions marks the queries of the contract in its metadata.
func (c *Contract) GetEvaluateTransactions() []string { return []string{"Version"} }
