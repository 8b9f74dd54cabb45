package ledgertest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Composite keys live below this first byte; the shim's rune limits.
const (
	compositeNamespace = "\x00"
	maxRune            = "\U0010FFFF"
	// emptyKeySubstitute replaces an empty start key of a simple range, as the shim does.
	emptyKeySubstitute = "\x01"
)

// ---- world state ----

// GetState returns the committed value of key: never this transaction's writes.
func (s *Stub) GetState(key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.state[""][key]), nil
}

// GetMultipleStates returns the committed values of keys, nil for missing ones.
func (s *Stub) GetMultipleStates(keys ...string) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.getMany("", keys), nil
}

// PutState writes key in the current transaction; an empty value deletes it,
// as in Fabric.
func (s *Stub) PutState(key string, value []byte) error {
	return s.put("", key, value)
}

// DelState deletes key in the current transaction.
func (s *Stub) DelState(key string) error {
	return s.write("", key, OpDelete, nil)
}

// SetStateValidationParameter sets the key-level endorsement policy of key,
// effective at commit.
func (s *Stub) SetStateValidationParameter(key string, ep []byte) error {
	return s.setParam("", key, ep)
}

// GetStateValidationParameter returns the committed key-level endorsement
// policy of key, nil if none.
func (s *Stub) GetStateValidationParameter(key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.params[""][key]), nil
}

// GetStateByRange iterates the committed simple keys in [startKey, endKey);
// an empty endKey means no upper bound.
func (s *Stub) GetStateByRange(startKey, endKey string) (shim.StateQueryIteratorInterface, error) {
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	if err := validateSimpleKeys(startKey, endKey); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.iterate("", startKey, endKey, 0), nil
}

// GetStateByRangeWithPagination is GetStateByRange one page at a time.
func (s *Stub) GetStateByRangeWithPagination(startKey, endKey string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	if err := validateSimpleKeys(startKey, endKey); err != nil {
		return nil, nil, err
	}
	return s.page(startKey, endKey, pageSize, bookmark)
}

// GetStateByPartialCompositeKey iterates the committed keys that start with
// the composite key (objectType, keys...), in key order.
func (s *Stub) GetStateByPartialCompositeKey(objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	start, err := shim.CreateCompositeKey(objectType, keys)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.iterate("", start, start+maxRune, 0), nil
}

// GetStateByPartialCompositeKeyWithPagination is
// GetStateByPartialCompositeKey one page at a time: the bookmark is the key
// to start from, and the returned bookmark is the first key after the page,
// "" after the last page.
func (s *Stub) GetStateByPartialCompositeKeyWithPagination(objectType string, keys []string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	start, err := shim.CreateCompositeKey(objectType, keys)
	if err != nil {
		return nil, nil, err
	}
	return s.page(start, start+maxRune, pageSize, bookmark)
}

// GetAllStatesCompositeKeyWithPagination pages through every composite key.
func (s *Stub) GetAllStatesCompositeKeyWithPagination(pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return s.page(compositeNamespace, compositeNamespace+maxRune, pageSize, bookmark)
}

// CreateCompositeKey builds a composite key as the shim does.
func (s *Stub) CreateCompositeKey(objectType string, attributes []string) (string, error) {
	return shim.CreateCompositeKey(objectType, attributes)
}

// SplitCompositeKey splits a composite key as the shim does.
func (s *Stub) SplitCompositeKey(compositeKey string) (string, []string, error) {
	if !strings.HasPrefix(compositeKey, compositeNamespace) || !strings.HasSuffix(compositeKey, "\x00") || len(compositeKey) < 2 {
		return "", nil, fmt.Errorf("ledgertest: %q is not a composite key", compositeKey)
	}
	parts := strings.Split(compositeKey[1:len(compositeKey)-1], "\x00")
	return parts[0], parts[1:], nil
}

// GetQueryResult fails: rich queries need CouchDB and the network runs LevelDB.
func (s *Stub) GetQueryResult(string) (shim.StateQueryIteratorInterface, error) {
	return nil, errRichQuery
}

// GetQueryResultWithPagination fails like GetQueryResult.
func (s *Stub) GetQueryResultWithPagination(string, int32, string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return nil, nil, errRichQuery
}

// GetHistoryForKey iterates the committed versions of key, newest first,
// as Fabric's history database does.
func (s *Stub) GetHistoryForKey(key string) (shim.HistoryQueryIteratorInterface, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	versions := slices.Clone(s.history[key])
	slices.Reverse(versions)
	s.openIters++
	return &historyIterator{iterator: iterator{stub: s, tx: s.txCount}, rows: versions}, nil
}

// ---- private data ----

// GetPrivateData returns the committed value of key in collection.
func (s *Stub) GetPrivateData(collection, key string) ([]byte, error) {
	if collection == "" {
		return nil, errNoCollection
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.state[collection][key]), nil
}

// GetMultiplePrivateData returns the committed values of keys in collection.
func (s *Stub) GetMultiplePrivateData(collection string, keys ...string) ([][]byte, error) {
	if collection == "" {
		return nil, errNoCollection
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.getMany(collection, keys), nil
}

// GetPrivateDataHash returns the SHA-256 of the committed value of key in
// collection, nil if absent: what a peer outside the collection sees.
func (s *Stub) GetPrivateDataHash(collection, key string) ([]byte, error) {
	if collection == "" {
		return nil, errNoCollection
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.state[collection][key]
	if !ok {
		return nil, nil
	}
	sum := sha256.Sum256(v)
	return sum[:], nil
}

// PutPrivateData writes key in collection in the current transaction.
func (s *Stub) PutPrivateData(collection, key string, value []byte) error {
	if collection == "" {
		return errNoCollection
	}
	return s.put(collection, key, value)
}

// DelPrivateData deletes key from collection in the current transaction.
func (s *Stub) DelPrivateData(collection, key string) error {
	if collection == "" {
		return errNoCollection
	}
	return s.write(collection, key, OpDelete, nil)
}

// PurgePrivateData deletes key from collection, with its history, in the
// current transaction.
func (s *Stub) PurgePrivateData(collection, key string) error {
	if collection == "" {
		return errNoCollection
	}
	return s.write(collection, key, OpPurge, nil)
}

// SetPrivateDataValidationParameter sets the key-level endorsement policy of
// a private key, effective at commit.
func (s *Stub) SetPrivateDataValidationParameter(collection, key string, ep []byte) error {
	if collection == "" {
		return errNoCollection
	}
	return s.setParam(collection, key, ep)
}

// GetPrivateDataValidationParameter returns the committed key-level
// endorsement policy of a private key.
func (s *Stub) GetPrivateDataValidationParameter(collection, key string) ([]byte, error) {
	if collection == "" {
		return nil, errNoCollection
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.params[collection][key]), nil
}

// GetPrivateDataByRange iterates committed simple keys of collection in
// [startKey, endKey). Like the peer, it refuses to run after a write.
func (s *Stub) GetPrivateDataByRange(collection, startKey, endKey string) (shim.StateQueryIteratorInterface, error) {
	if collection == "" {
		return nil, errNoCollection
	}
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	if err := validateSimpleKeys(startKey, endKey); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.privateQuery(); err != nil {
		return nil, err
	}
	return s.iterate(collection, startKey, endKey, 0), nil
}

// GetPrivateDataByPartialCompositeKey iterates committed keys of collection
// that start with the composite key (objectType, keys...). Like the peer, it
// refuses to run after a write.
func (s *Stub) GetPrivateDataByPartialCompositeKey(collection, objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	if collection == "" {
		return nil, errNoCollection
	}
	start, err := shim.CreateCompositeKey(objectType, keys)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.privateQuery(); err != nil {
		return nil, err
	}
	return s.iterate(collection, start, start+maxRune, 0), nil
}

// GetPrivateDataQueryResult fails: rich queries need CouchDB.
func (s *Stub) GetPrivateDataQueryResult(string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, errRichQuery
}

// ---- internals ----

var (
	errRichQuery    = errors.New("ledgertest: rich queries need CouchDB; the cxledger network runs LevelDB")
	errNoCollection = errors.New("collection must not be an empty string")
)

func (s *Stub) getMany(collection string, keys []string) [][]byte {
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = slices.Clone(s.state[collection][k])
	}
	return out
}

func (s *Stub) put(collection, key string, value []byte) error {
	if len(value) == 0 {
		return s.write(collection, key, OpDelete, nil)
	}
	return s.write(collection, key, OpPut, slices.Clone(value))
}

// write records an operation on key, checking the peer's rules first.
func (s *Stub) write(collection, key, op string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, err := s.writeSlot(collection, key)
	if err != nil {
		return err
	}
	w.Op, w.Value = op, value
	return nil
}

func (s *Stub) setParam(collection, key string, ep []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, err := s.writeSlot(collection, key)
	if err != nil {
		return err
	}
	w.ValidationParameter = slices.Clone(ep)
	if w.ValidationParameter == nil {
		w.ValidationParameter = []byte{}
	}
	return nil
}

func (s *Stub) writeSlot(collection, key string) (*Write, error) {
	if key == "" {
		return nil, errors.New("key must not be an empty string")
	}
	if s.paginated {
		return nil, fmt.Errorf("txid [%s]: unsupported transaction. Transaction has already performed a paginated query. Writes are not allowed", s.txID)
	}
	if s.pvtQueried {
		return nil, fmt.Errorf("txid [%s]: unsupported transaction. Transaction has already performed queries on pvt data. Writes are not allowed", s.txID)
	}
	s.wrote = true
	at := slot{collection, key}
	w, ok := s.writes[at]
	if !ok {
		w = &Write{Collection: collection, Key: key}
		s.writes[at] = w
	}
	return w, nil
}

func (s *Stub) privateQuery() error {
	if s.wrote {
		return fmt.Errorf("txid [%s]: unsupported transaction. Queries on pvt data is supported only in a read-only transaction", s.txID)
	}
	s.pvtQueried = true
	return nil
}

// page runs one page of a world state range query, with the peer's rules.
func (s *Stub) page(start, end string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wrote {
		return nil, nil, fmt.Errorf("txid [%s]: unsupported transaction. Paginated queries are supported only in a read-only transaction", s.txID)
	}
	s.paginated = true
	if bookmark != "" {
		start = bookmark
	}
	limit := 0
	if pageSize > 0 {
		limit = int(pageSize) + 1
	}
	it := s.iterate("", start, end, limit)
	meta := &peer.QueryResponseMetadata{}
	if pageSize > 0 && len(it.rows) > int(pageSize) {
		meta.Bookmark = it.rows[pageSize].Key
		it.rows = it.rows[:pageSize]
	}
	meta.FetchedRecordsCount = int32(len(it.rows))
	return it, meta, nil
}

// iterate snapshots the committed keys of collection in [start, end) (no
// upper bound when end is ""), at most limit of them when limit > 0.
func (s *Stub) iterate(collection, start, end string, limit int) *stateIterator {
	keys := s.sortedKeys(collection)
	var rows []*queryresult.KV
	for _, k := range keys[sort.SearchStrings(keys, start):] {
		if end != "" && k >= end || limit > 0 && len(rows) == limit {
			break
		}
		rows = append(rows, &queryresult.KV{Namespace: "cxledger", Key: k, Value: slices.Clone(s.state[collection][k])})
	}
	s.openIters++
	return &stateIterator{iterator: iterator{stub: s, tx: s.txCount}, rows: rows}
}

// sortedKeys returns the committed keys of collection in order, sorting
// them again only after a commit added or removed keys.
func (s *Stub) sortedKeys(collection string) []string {
	keys, ok := s.sorted[collection]
	if !ok {
		keys = slices.Sorted(maps.Keys(s.state[collection]))
		s.sorted[collection] = keys
	}
	return keys
}

func validateSimpleKeys(keys ...string) error {
	for _, k := range keys {
		if strings.HasPrefix(k, compositeNamespace) {
			return fmt.Errorf("first character of the key [%s] contains a null character which is not allowed", k)
		}
	}
	return nil
}

// iterator is what state and history iterators share: the stub and the
// transaction that opened them, for OpenIterators.
type iterator struct {
	stub   *Stub
	tx     int
	closed bool
}

// Close releases the iterator.
func (it *iterator) Close() error {
	s := it.stub
	s.mu.Lock()
	defer s.mu.Unlock()
	if !it.closed && it.tx == s.txCount {
		s.openIters--
	}
	it.closed = true
	return nil
}

// stateIterator iterates a snapshot of rows.
type stateIterator struct {
	iterator
	rows []*queryresult.KV
}

// HasNext reports whether Next has a row.
func (it *stateIterator) HasNext() bool { return !it.closed && len(it.rows) > 0 }

// Next returns the next row.
func (it *stateIterator) Next() (*queryresult.KV, error) {
	if !it.HasNext() {
		return nil, errors.New("ledgertest: iterator exhausted or closed")
	}
	row := it.rows[0]
	it.rows = it.rows[1:]
	return row, nil
}

// historyIterator iterates a snapshot of key versions.
type historyIterator struct {
	iterator
	rows []*queryresult.KeyModification
}

// HasNext reports whether Next has a version.
func (it *historyIterator) HasNext() bool { return !it.closed && len(it.rows) > 0 }

// Next returns the next version.
func (it *historyIterator) Next() (*queryresult.KeyModification, error) {
	if !it.HasNext() {
		return nil, errors.New("ledgertest: iterator exhausted or closed")
	}
	row := it.rows[0]
	it.rows = it.rows[1:]
	return row, nil
}
