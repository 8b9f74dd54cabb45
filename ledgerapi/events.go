package ledgerapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/cxledger/cxledger/cxlerr"
)

// Position is where a transaction sits on the ledger: its block and its index in the block.
// Every event has a distinct position, ordered as the ledger orders them, so a position is
// both an event's ID and a checkpoint to resume after.
type Position struct {
	// Block is the block number.
	Block uint64
	// TxIndex is the transaction's index within the block.
	TxIndex int
}

// String renders the position as "<block>:<txIndex>", the SSE event ID.
func (p Position) String() string { return fmt.Sprintf("%d:%d", p.Block, p.TxIndex) }

// Before reports whether p comes before q on the ledger.
func (p Position) Before(q Position) bool {
	return p.Block < q.Block || p.Block == q.Block && p.TxIndex < q.TxIndex
}

// ParsePosition parses "<block>:<txIndex>".
func ParsePosition(s string) (Position, error) {
	b, t, ok := strings.Cut(s, ":")
	block, err1 := strconv.ParseUint(b, 10, 64)
	tx, err2 := strconv.Atoi(t)
	if !ok || err1 != nil || err2 != nil || tx < 0 {
		return Position{}, cxlerr.Errorf(cxlerr.Invalid, "event position %q: want <block>:<txIndex>", s)
	}
	return Position{Block: block, TxIndex: tx}, nil
}

// Event is one chaincode event of a committed VALID transaction.
type Event struct {
	// ID is the event's position rendered as "<block>:<txIndex>": unique, ordered, the key a
	// consumer deduplicates on and the checkpoint it resumes after.
	ID string `json:"id"`
	// Position is the same as ID, parsed.
	Position Position `json:"-"`
	// TransactionID is the transaction that emitted the event.
	TransactionID string `json:"transactionId"`
	// Contract is the emitting contract ("provenance"), from the event name
	// "<contract>.<Type>".
	Contract string `json:"contract"`
	// Type is what happened ("LotRecalled").
	Type string `json:"type"`
	// Payload is the event's JSON payload as the contract set it.
	Payload json.RawMessage `json:"payload"`
}

// EventQuery selects events.
type EventQuery struct {
	// Contract keeps only events of this contract; "" keeps all.
	Contract string
	// Types keeps only events of these types; empty keeps all.
	Types []string
	// After resumes a stream: only events after this position are delivered. Nil starts at
	// the next block to commit; &Position{} replays the channel from its first block.
	After *Position
}

// Matches reports whether e passes the query's contract and type filters.
func (q EventQuery) Matches(e Event) bool {
	if q.Contract != "" && e.Contract != q.Contract {
		return false
	}
	if len(q.Types) == 0 {
		return true
	}
	for _, t := range q.Types {
		if t == e.Type {
			return true
		}
	}
	return false
}

// Events streams chaincode events in ledger order, at least once: after a reconnection an
// event may be delivered again, with the same ID.
type Events interface {
	// Subscribe delivers the events q selects until ctx ends, then closes the channel. It
	// reconnects by itself when a connection fails, resuming after the last event
	// delivered.
	Subscribe(ctx context.Context, q EventQuery) (<-chan Event, error)
}
