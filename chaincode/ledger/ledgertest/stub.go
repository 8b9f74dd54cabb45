// Package ledgertest is an in-memory Fabric peer for contract unit tests: a
// shim.ChaincodeStubInterface with a committed world state, transactions,
// key history, private data, events and real X.509 caller identities.
//
// It follows Fabric's visibility rule, which surprises people used to
// databases: a transaction does not read its own writes. GetState, range
// queries and private data reads return the state as of the last Commit,
// even after PutState in the current transaction; writes become visible, to
// reads and to history, only when the test calls Commit. A test therefore
// runs transaction after transaction:
//
//	stub := ledgertest.New().As("Org1MSP", "alice", "client")
//	ctx := ledgertest.Context(stub)
//	args, err := ledgertest.Arg[provenance.RegisterProductArgs](`{"gtin":"09506000134352","name":"Beans"}`)
//	// handle err, then
//	_, err = contract.RegisterProduct(ctx, args)
//	// inspect stub.Writes() and stub.Event() here, then
//	stub.Commit()
//
// It also refuses what the peer refuses: a paginated query in a transaction
// that wrote, and a write after one; a private data range query after a
// write, and a write after one; rich (CouchDB) queries, since the network
// runs LevelDB. Transaction IDs are deterministic (a fresh stub always
// produces the same sequence), and the clock stands still until At moves it,
// so the same calls on two fresh stubs give byte-identical writes.
package ledgertest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Write operations, as reported in Write.Op.
const (
	// OpPut writes a value.
	OpPut = "put"
	// OpDelete deletes a key.
	OpDelete = "delete"
	// OpPurge purges a private data key and its history.
	OpPurge = "purge"
)

// Write is one key the current transaction writes.
type Write struct {
	// Collection is the private data collection, "" for the world state.
	Collection string
	// Key is the key written.
	Key string
	// Op is OpPut, OpDelete, OpPurge, or "" when only the validation
	// parameter changes.
	Op string
	// Value is the value put, nil for other operations.
	Value []byte
	// ValidationParameter is the key-level endorsement policy set in this
	// transaction, nil if none was set.
	ValidationParameter []byte
}

// Stub is the fake peer. Create it with New. All methods are safe for
// concurrent use, though a transaction is meant to run on one goroutine.
type Stub struct {
	mu sync.Mutex

	channel   string
	now       time.Time
	txCount   int
	txID      string
	args      [][]byte
	transient map[string][]byte

	caller      *identity
	authorities map[string]*authority
	identities  map[string]*identity

	// Committed state. The collection "" is the world state. sorted
	// caches each collection's keys in order; Commit drops a collection's
	// entry when it adds or removes keys.
	state   map[string]map[string][]byte
	sorted  map[string][]string
	params  map[string]map[string][]byte
	history map[string][]*queryresult.KeyModification

	// The current transaction.
	writes     map[slot]*Write
	event      *peer.ChaincodeEvent
	wrote      bool
	paginated  bool
	pvtQueried bool
	openIters  int
}

// slot addresses a key in a collection.
type slot struct{ collection, key string }

// New returns a stub with an empty ledger, the clock at
// 2026-01-01T09:00:00Z, no caller (call As) and its first transaction begun.
func New() *Stub {
	s := &Stub{
		channel:     "cxledger",
		now:         time.Date(2026, time.January, 1, 9, 0, 0, 0, time.UTC),
		identities:  map[string]*identity{},
		authorities: map[string]*authority{},
		state:       map[string]map[string][]byte{},
		sorted:      map[string][]string{},
		params:      map[string]map[string][]byte{},
		history:     map[string][]*queryresult.KeyModification{},
	}
	s.begin()
	return s
}

// As makes the identity (msp, cn, ou) the caller of this and later
// transactions. ou is a NodeOU role: "client", "admin", "peer" or "orderer".
func (s *Stub) As(msp, cn, ou string) *Stub {
	return s.AsIdentity(Identity{MSP: msp, CN: cn, OU: ou})
}

// AsIdentity makes id the caller of this and later transactions.
func (s *Stub) AsIdentity(id Identity) *Stub {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.caller = s.identityFor(id)
	return s
}

// At sets the transaction timestamp of this and later transactions.
func (s *Stub) At(t time.Time) *Stub {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = t.UTC()
	return s
}

// Now returns the current transaction timestamp.
func (s *Stub) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// SetTxID replaces the current transaction's ID.
func (s *Stub) SetTxID(id string) *Stub {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.txID = id
	return s
}

// SetArgs sets the arguments GetArgs and GetFunctionAndParameters return,
// for driving a chaincode's Invoke.
func (s *Stub) SetArgs(args ...string) *Stub {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.args = make([][]byte, len(args))
	for i, a := range args {
		s.args[i] = []byte(a)
	}
	return s
}

// SetTransient sets the transient map of the current transaction.
func (s *Stub) SetTransient(transient map[string][]byte) *Stub {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.transient = maps.Clone(transient)
	return s
}

// Begin abandons the current transaction, discarding its writes and event
// as Fabric does for a failed transaction, and begins the next one with a
// new ID.
func (s *Stub) Begin() *Stub {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.begin()
	return s
}

func (s *Stub) begin() {
	s.txCount++
	s.txID = fmt.Sprintf("%x", sha256.Sum256(fmt.Appendf(nil, "ledgertest transaction %d", s.txCount)))
	s.writes = map[slot]*Write{}
	s.event = nil
	s.transient = nil
	s.wrote, s.paginated, s.pvtQueried = false, false, false
	s.openIters = 0
}

// Commit makes the current transaction's writes the committed state, adds
// them to key history, and begins the next transaction.
func (s *Stub) Commit() *Stub {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := timestamppb.New(s.now)
	for _, w := range s.sortedWrites() {
		_, existed := s.state[w.Collection][w.Key]
		switch w.Op {
		case OpPut:
			s.collection(s.state, w.Collection)[w.Key] = w.Value
		case OpDelete, OpPurge:
			delete(s.state[w.Collection], w.Key)
			delete(s.params[w.Collection], w.Key)
		}
		if _, exists := s.state[w.Collection][w.Key]; exists != existed {
			delete(s.sorted, w.Collection)
		}
		if w.ValidationParameter != nil {
			s.collection(s.params, w.Collection)[w.Key] = w.ValidationParameter
		}
		if w.Collection == "" && w.Op != "" {
			s.history[w.Key] = append(s.history[w.Key], &queryresult.KeyModification{
				TxId: s.txID, Value: w.Value, Timestamp: ts, IsDelete: w.Op == OpDelete,
			})
		}
	}
	s.begin()
	return s
}

// Writes returns what the current transaction writes so far, ordered by
// collection and key as in Fabric's read-write set.
func (s *Stub) Writes() []Write {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sortedWrites()
}

func (s *Stub) sortedWrites() []Write {
	out := make([]Write, 0, len(s.writes))
	for _, w := range s.writes {
		out = append(out, *w)
	}
	slices.SortFunc(out, func(a, b Write) int {
		if c := strings.Compare(a.Collection, b.Collection); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// Event returns the chaincode event of the current transaction: the last
// one set, as Fabric keeps, or nil.
func (s *Stub) Event() *peer.ChaincodeEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.event
}

// OpenIterators returns how many iterators are open in the current
// transaction, so tests can check that code closes what it opens.
func (s *Stub) OpenIterators() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.openIters
}

// State returns the committed value of a world state key, nil if absent.
func (s *Stub) State(key string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state[""][key]
}

// Keys returns the committed world state keys in order.
func (s *Stub) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.state[""]))
}

func (s *Stub) collection(m map[string]map[string][]byte, name string) map[string][]byte {
	c, ok := m[name]
	if !ok {
		c = map[string][]byte{}
		m[name] = c
	}
	return c
}

// ---- shim.ChaincodeStubInterface: transaction ----

// GetArgs returns the arguments set with SetArgs.
func (s *Stub) GetArgs() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.args)
}

// GetStringArgs returns the arguments set with SetArgs as strings.
func (s *Stub) GetStringArgs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.args))
	for i, a := range s.args {
		out[i] = string(a)
	}
	return out
}

// GetFunctionAndParameters splits the arguments into function and parameters.
func (s *Stub) GetFunctionAndParameters() (string, []string) {
	args := s.GetStringArgs()
	if len(args) == 0 {
		return "", []string{}
	}
	return args[0], args[1:]
}

// GetArgsSlice returns the arguments concatenated.
func (s *Stub) GetArgsSlice() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []byte
	for _, a := range s.args {
		out = append(out, a...)
	}
	return out, nil
}

// GetTxID returns the current transaction's ID.
func (s *Stub) GetTxID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.txID
}

// GetChannelID returns "cxledger".
func (s *Stub) GetChannelID() string { return s.channel }

// InvokeChaincode is not supported: cxledger is one chaincode.
func (s *Stub) InvokeChaincode(chaincodeName string, _ [][]byte, _ string) *peer.Response {
	return &peer.Response{Status: shim.ERROR, Message: "ledgertest: InvokeChaincode(" + chaincodeName + ") is not supported"}
}

// GetCreator returns the serialized identity set with As.
func (s *Stub) GetCreator() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.caller == nil {
		return nil, errors.New("ledgertest: no caller; call As first")
	}
	return slices.Clone(s.caller.serialized), nil
}

// GetTransient returns the transient map set with SetTransient.
func (s *Stub) GetTransient() (map[string][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.transient), nil
}

// GetBinding is not supported.
func (s *Stub) GetBinding() ([]byte, error) {
	return nil, errors.New("ledgertest: GetBinding is not supported")
}

// GetDecorations returns no decorations.
func (s *Stub) GetDecorations() map[string][]byte { return nil }

// GetSignedProposal is not supported.
func (s *Stub) GetSignedProposal() (*peer.SignedProposal, error) {
	return nil, errors.New("ledgertest: GetSignedProposal is not supported")
}

// GetTxTimestamp returns the time set with At.
func (s *Stub) GetTxTimestamp() (*timestamppb.Timestamp, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return timestamppb.New(s.now), nil
}

// SetEvent sets the transaction's event, replacing an earlier one as Fabric does.
func (s *Stub) SetEvent(name string, payload []byte) error {
	if name == "" {
		return errors.New("event name can not be empty string")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.event = &peer.ChaincodeEvent{TxId: s.txID, ChaincodeId: "cxledger", EventName: name, Payload: slices.Clone(payload)}
	return nil
}

// StartWriteBatch does nothing: writes are local anyway.
func (s *Stub) StartWriteBatch() {}

// FinishWriteBatch does nothing.
func (s *Stub) FinishWriteBatch() error { return nil }
