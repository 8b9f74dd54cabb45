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
//
// Who may do what: any identity of a channel member, staff, customer or node, pings and
// reads the version; the records hold nothing but the MSP ID and the nonce.
//
// This package holds the contract's result types and constants and imports nothing of
// Fabric; the contract itself is package healthcc.
package health

import (
	"time"
)

// Name is the contract's name in the chaincode.
const Name = "health"

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
