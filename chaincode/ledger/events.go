package ledger

import (
	"encoding/json"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// Event is the one chaincode event a transaction may emit.
type Event struct {
	// Contract is the emitting contract's name: lower-case letters and digits
	// starting with a letter ("provenance").
	Contract string
	// Type names what happened, in UpperCamelCase ASCII ("CustodyAccepted").
	Type string
	// Keys identify the records concerned ({"gtin": ..., "lot": ...}), so a
	// consumer can route and deduplicate without decoding Data.
	Keys map[string]string
	// Data is the JSON-serialisable detail. Events are readable by every
	// channel member: no personal data.
	Data any
}

// EventPayload is the JSON payload of every event Emit sets. Consumers (the
// gateway) decode it with this type.
type EventPayload struct {
	// TxID is the emitting transaction, the natural deduplication key.
	TxID string `json:"txId"`
	// Contract and Type repeat the event name "<contract>.<Type>".
	Contract string `json:"contract"`
	Type     string `json:"type"`
	// Time is the transaction time, UTC.
	Time time.Time `json:"time"`
	// Keys identify the records concerned.
	Keys map[string]string `json:"keys,omitempty"`
	// Data is the event detail as JSON.
	Data json.RawMessage `json:"data,omitempty"`
}

// Emit sets the transaction's chaincode event, named "<contract>.<Type>",
// with an EventPayload as its JSON payload. Fabric keeps only the last event
// of a transaction, so Emit allows one per Tx: a second call is INTERNAL and
// names both types, and an operation made of several steps must emit one
// event describing the whole.
func Emit(tx *Tx, e Event) error {
	if !isLowerIdent(e.Contract) {
		return cxlerr.Errorf(cxlerr.Internal, "event contract %q: want lower-case letters and digits", e.Contract)
	}
	if !isUpperCamel(e.Type) {
		return cxlerr.Errorf(cxlerr.Internal, "event type %q: want UpperCamelCase letters and digits", e.Type)
	}
	name := e.Contract + "." + e.Type
	if tx.event != "" {
		return cxlerr.Errorf(cxlerr.Internal, "transaction already emitted %s; it cannot also emit %s (Fabric keeps one event per transaction)", tx.event, name)
	}
	p := EventPayload{TxID: tx.id, Contract: e.Contract, Type: e.Type, Time: tx.time, Keys: e.Keys}
	if e.Data != nil {
		data, err := json.Marshal(e.Data)
		if err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "encode %s event data: %w", name, err)
		}
		p.Data = data
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "encode %s event: %w", name, err)
	}
	if err := tx.stub.SetEvent(name, payload); err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "set %s event: %w", name, err)
	}
	tx.event = name
	return nil
}

func isLowerIdent(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < 'a' || s[i] > 'z') && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

func isUpperCamel(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ledgertypes.IsAlnum(s[i]) {
			return false
		}
	}
	return true
}
