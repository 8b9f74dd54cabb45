package ledger

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// Page sizes and scan limits.
const (
	// DefaultPageSize is the page size Page and History use when asked for 0.
	DefaultPageSize = 50
	// MaxScan is the largest limit Scan accepts.
	MaxScan = 10000
)

// KV is one row of a composite-key listing.
type KV struct {
	// Key is the full composite key.
	Key string
	// Parts are the key's attributes after the object type.
	Parts []string
	// Value is the stored JSON.
	Value json.RawMessage
}

// Page lists one page of the rows whose composite key starts with
// (objectType, prefix...), in key order, using Fabric's paginated range query.
// pageSize 0 means 50; more than 200 is INVALID. bookmark is "" for the first
// page and then the next value of the previous page; next is "" after the
// last page. Bookmarks are opaque URL-safe strings; one from another listing
// is INVALID.
//
// The peer refuses paginated queries in a transaction that writes, before or
// after the query, so call Page only from evaluate (query) functions; use
// Scan in update transactions.
func Page(tx *Tx, objectType string, prefix []string, pageSize int, bookmark string) (items []KV, next string, err error) {
	size, err := pageSizeOf(pageSize)
	if err != nil {
		return nil, "", err
	}
	if err := checkKey(objectType, prefix); err != nil {
		return nil, "", err
	}
	start, err := tx.stub.CreateCompositeKey(objectType, prefix)
	if err != nil {
		return nil, "", cxlerr.Errorf(cxlerr.Internal, "build %s key: %w", objectType, err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(bookmark)
	if err != nil || bookmark != "" && !strings.HasPrefix(string(raw), start) {
		return nil, "", cxlerr.Errorf(cxlerr.Invalid, "bookmark: not one from this %s listing", objectType)
	}
	what := describeRange(objectType, prefix)
	it, meta, err := tx.stub.GetStateByPartialCompositeKeyWithPagination(objectType, prefix, int32(size), string(raw))
	if err != nil {
		return nil, "", cxlerr.Errorf(cxlerr.Internal, "list %s: %w", what, err)
	}
	items = []KV{}
	if _, err := drain(tx, it, what, -1, func(kv KV) error {
		items = append(items, kv)
		return nil
	}); err != nil {
		return nil, "", err
	}
	if meta != nil && meta.Bookmark != "" {
		next = base64.RawURLEncoding.EncodeToString([]byte(meta.Bookmark))
	}
	return items, next, nil
}

// Scan calls fn for at most limit rows whose composite key starts with
// (objectType, prefix...), in key order, and reports whether more rows
// remain. It is the bounded iteration for update transactions (sweeps,
// expiries): Fabric records the range it read and fails the transaction at
// commit if another transaction changed it meanwhile. limit must be 1 to
// 10000. An error from fn stops the scan and is returned as is. The iterator
// is always closed.
func Scan(tx *Tx, objectType string, prefix []string, limit int, fn func(KV) error) (more bool, err error) {
	if limit < 1 || limit > MaxScan {
		return false, cxlerr.Errorf(cxlerr.Invalid, "scan limit %d: must be 1 to %d", limit, MaxScan)
	}
	if err := checkKey(objectType, prefix); err != nil {
		return false, err
	}
	what := describeRange(objectType, prefix)
	it, err := tx.stub.GetStateByPartialCompositeKey(objectType, prefix)
	if err != nil {
		return false, cxlerr.Errorf(cxlerr.Internal, "list %s: %w", what, err)
	}
	return drain(tx, it, what, limit, fn)
}

// drain reads it to the end, or up to limit rows when limit >= 0, calls fn
// for each row, reports whether rows remain after limit, and always closes it.
func drain(tx *Tx, it shim.StateQueryIteratorInterface, what string, limit int, fn func(KV) error) (more bool, err error) {
	defer func() {
		if cerr := it.Close(); cerr != nil && err == nil {
			err = cxlerr.Errorf(cxlerr.Internal, "close listing of %s: %w", what, cerr)
		}
	}()
	for n := 0; it.HasNext(); n++ {
		if n == limit {
			return true, nil
		}
		row, err := it.Next()
		if err != nil {
			return false, cxlerr.Errorf(cxlerr.Internal, "list %s: %w", what, err)
		}
		_, parts, err := tx.stub.SplitCompositeKey(row.Key)
		if err != nil {
			return false, cxlerr.Errorf(cxlerr.Internal, "split key %q: %w", row.Key, err)
		}
		if err := fn(KV{Key: row.Key, Parts: parts, Value: row.Value}); err != nil {
			return false, err
		}
	}
	return false, nil
}

func describeRange(objectType string, prefix []string) string {
	if len(prefix) == 0 {
		return objectType
	}
	return objectType + " " + strings.Join(prefix, "/")
}

func pageSizeOf(pageSize int) (int, error) {
	switch {
	case pageSize == 0:
		return DefaultPageSize, nil
	case pageSize < 0 || pageSize > ledgertypes.MaxPageSize:
		return 0, cxlerr.Errorf(cxlerr.Invalid, "pageSize: must be 1 to %d, got %d", ledgertypes.MaxPageSize, pageSize)
	}
	return pageSize, nil
}

// HistoryEntry is one version of a key.
type HistoryEntry struct {
	// TxID is the transaction that wrote this version.
	TxID string `json:"txId"`
	// Time is that transaction's timestamp, UTC.
	Time time.Time `json:"time"`
	// IsDelete is true when the transaction deleted the key.
	IsDelete bool `json:"isDelete"`
	// Value is the JSON written, nil for a delete. Contracts decode it into
	// their record type before returning it (see the package documentation).
	Value json.RawMessage `json:"value,omitempty"`
}

// History lists one page of the versions of key, newest first, from
// Fabric's history database. pageSize 0 means 50; more than 200 is INVALID.
// bookmark is "" for the first page and then the next value of the previous
// page (the decimal count of versions already returned); next is "" after
// the last page. Fabric has no offset for history, so a page skips the
// versions before it one by one: cheap for records that change a handful of
// times, which is what history is for. History is not re-checked at commit:
// call it from evaluate (query) functions.
func History(tx *Tx, key string, pageSize int, bookmark string) (entries []HistoryEntry, next string, err error) {
	size, err := pageSizeOf(pageSize)
	if err != nil {
		return nil, "", err
	}
	skip := 0
	if bookmark != "" {
		skip, err = strconv.Atoi(bookmark)
		if err != nil || skip < 0 || strconv.Itoa(skip) != bookmark {
			return nil, "", cxlerr.Errorf(cxlerr.Invalid, "bookmark %q: not a history bookmark", bookmark)
		}
	}
	it, err := tx.stub.GetHistoryForKey(key)
	if err != nil {
		return nil, "", cxlerr.Errorf(cxlerr.Internal, "read history of %s: %w", DescribeKey(key), err)
	}
	defer func() {
		if cerr := it.Close(); cerr != nil && err == nil {
			err = cxlerr.Errorf(cxlerr.Internal, "close history of %s: %w", DescribeKey(key), cerr)
		}
	}()
	entries = []HistoryEntry{}
	for n := 0; it.HasNext(); n++ {
		if len(entries) == size {
			return entries, strconv.Itoa(skip + size), nil
		}
		mod, err := it.Next()
		if err != nil {
			return nil, "", cxlerr.Errorf(cxlerr.Internal, "read history of %s: %w", DescribeKey(key), err)
		}
		if n < skip {
			continue
		}
		e := HistoryEntry{TxID: mod.GetTxId(), IsDelete: mod.GetIsDelete()}
		if ts := mod.GetTimestamp(); ts != nil {
			e.Time = ts.AsTime().UTC()
		}
		if !e.IsDelete {
			e.Value = json.RawMessage(mod.GetValue())
		}
		entries = append(entries, e)
	}
	return entries, "", nil
}
