package orderscc

import (
	"encoding/json"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/cxlerr"
)

// keyTime formats times in keys: fixed width and UTC, so keys sort by time.
const keyTime = "2006-01-02T15:04:05.000000000Z"

// timeKey renders t for a key part.
func timeKey(t time.Time) string {
	return t.UTC().Format(keyTime)
}

// decode unmarshals a listed row; a row that does not decode is INTERNAL.
func decode(kv ledger.KV, v any) error {
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(kv.Key), err)
	}
	return nil
}
