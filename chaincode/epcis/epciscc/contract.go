// Package epciscc is the epcis contract: EPCIS 2.0 events captured whole under their CBV
// event hash, indexed by the standard's query parameters, with error declarations kept
// beside the events they correct.
//
// Events of products registered on the ledger also become the provenance records that mean
// the same (mapping.go): commissioning of serialised items registers them, a transformation
// into lots registers those lots with their input lots. The provenance contract's own rules
// decide (PlanItems, PlanLot), without its events: the capture emits one event, its own.
// Everything else is kept whole only: custody moves need the receiver's endorsement and a
// capture is one party's transaction, and the provenance contract has no packing.
package epciscc

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/epcis"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
	gepcis "github.com/cxledger/cxledger/gs1/epcis"
	"github.com/cxledger/cxledger/strictjson"
)

// Object types.
const (
	eventType = "epcis.event"
	indexType = "epcis.by"
	errorType = "epcis.error"
)

// captureRoles are the roles whose staff capture events.
var captureRoles = []ledgertypes.Role{ledgertypes.Brand, ledgertypes.Carrier, ledgertypes.Merchant}

// Contract is the epcis contract.
type Contract struct {
	contractapi.Contract
}

// NewContract returns the contract, named "epcis".
func NewContract() *Contract {
	c := &Contract{}
	c.Name = epcis.Name
	return c
}

// GetEvaluateTransactions lists the query functions.
func (c *Contract) GetEvaluateTransactions() []string { return []string{"Query"} }

// Capture records a batch of EPCIS events in one transaction: the JSON of a CaptureArgs (a
// string, so a capture may be larger than other arguments: up to 4 MiB and 1,000 events).
// The caller is staff of an organisation with the brand, carrier or merchant role.
func (c *Contract) Capture(ctx contractapi.TransactionContextInterface, args string) (*epcis.CaptureResult, error) {
	return ledger.Run(ctx.GetStub(), args, capture)
}

// Query returns a page of the events the caller may read that match the parameters.
func (c *Contract) Query(ctx contractapi.TransactionContextInterface, args epcis.QueryArgs) (*epcis.QueryResult, error) {
	return ledger.Run(ctx.GetStub(), args, query)
}

func requireCapturer(tx *ledger.Tx) error {
	var first error
	for _, r := range captureRoles {
		err := ledger.RequireRole(tx, r)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return cxlerr.Errorf(cxlerr.Forbidden, "capturing EPCIS events needs the brand, carrier or merchant role: %s", cxlerr.From(first).Message)
}

func capture(tx *ledger.Tx, raw string) (*epcis.CaptureResult, error) {
	var a epcis.CaptureArgs
	if len(raw) > epcis.MaxCaptureBytes {
		return nil, cxlerr.Errorf(cxlerr.TooLarge, "capture of %d bytes: at most %d", len(raw), epcis.MaxCaptureBytes)
	}
	if err := strictjson.Decode([]byte(raw), &a, epcis.MaxCaptureBytes); err != nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "arguments: %s", cxlerr.From(err).Message)
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if err := requireCapturer(tx); err != nil {
		return nil, err
	}
	res := &epcis.CaptureResult{Captured: []string{}}
	reject := func(i int, err error) error {
		e := cxlerr.From(err)
		if !a.Proceed || e.Code == cxlerr.Internal {
			return err
		}
		res.Rejected = append(res.Rejected, epcis.Rejection{Index: i, Code: string(e.Code), Message: e.Message})
		return nil
	}
	// Validate and hash every event, then read what the ledger holds of them at once.
	ns := gepcis.Namespaces(a.Namespaces)
	var parsed []parsedEvent
	var keys []string
	for i, raw := range a.Events {
		e, err := gepcis.ParseCheckedEvent(raw, ns, fmt.Sprintf("events[%d]", i))
		if err != nil {
			if err := reject(i, err); err != nil {
				return nil, err
			}
			continue
		}
		p := parsedEvent{index: i, raw: raw, e: e, h: hashKey(e.Hash)}
		if p.key, err = ledger.Key(tx, eventType, p.h); err != nil {
			return nil, err
		}
		if p.errKey, err = ledger.Key(tx, errorType, p.h); err != nil {
			return nil, err
		}
		parsed = append(parsed, p)
		keys = append(keys, p.key, p.errKey)
	}
	values := make([][]byte, len(keys))
	if len(keys) > 0 {
		var err error
		if values, err = tx.Stub().GetMultipleStates(keys...); err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "read events: %w", err)
		}
	}
	seen := map[string]bool{}
	cl := newClaimed()
	for j, p := range parsed {
		p.stored, p.declared = values[2*j], values[2*j+1]
		if err := captureOne(tx, p, ns, seen, cl, res); err != nil {
			if err := reject(p.index, err); err != nil {
				return nil, err
			}
		}
	}
	event := map[string]string{"captured": strconv.Itoa(len(res.Captured)), "mapped": strconv.Itoa(len(res.Mapped))}
	if len(res.Captured) > 0 {
		event["first"] = res.Captured[0]
	}
	summary := epcis.CaptureResult{Captured: res.Captured, Declared: res.Declared, Mapped: res.Mapped}
	if err := ledger.Emit(tx, ledger.Event{Contract: epcis.Name, Type: "Captured", Keys: event, Data: summary}); err != nil {
		return nil, err
	}
	return res, nil
}

// parsedEvent is an event of a capture, validated, with what the ledger holds under its
// hash: the stored event and the error declaration (nil when none).
type parsedEvent struct {
	index            int
	raw              json.RawMessage
	e                *gepcis.Event
	h, key, errKey   string
	stored, declared []byte
}

func captureOne(tx *ledger.Tx, p parsedEvent, ns gepcis.Namespaces, seen map[string]bool, cl *claimed, res *epcis.CaptureResult) error {
	e, h := p.e, p.h
	caller := tx.Caller()
	if e.ErrorDeclaration != nil {
		if p.stored == nil && !seen[h] {
			return cxlerr.Errorf(cxlerr.NotFound, "events[%d]: error declaration of event %s, which is not on the ledger", p.index, e.Hash)
		}
		if p.stored != nil {
			var stored epcis.StoredEvent
			if err := json.Unmarshal(p.stored, &stored); err != nil {
				return cxlerr.Errorf(cxlerr.Internal, "decode event %s: %w", e.Hash, err)
			}
			if err := ledger.RequireReader(tx, ledger.Readers{Parties: []string{stored.Capturer}}); err != nil {
				return err
			}
		}
		if p.declared != nil || seen["error:"+h] {
			res.Duplicates = append(res.Duplicates, e.Hash)
			return nil
		}
		seen["error:"+h] = true
		d := epcis.Declaration{ErrorDeclaration: *e.ErrorDeclaration, Declarer: caller.MSP, TxID: tx.ID(), Event: p.raw}
		if err := ledger.PutJSON(tx, p.errKey, d); err != nil {
			return err
		}
		res.Declared = append(res.Declared, e.Hash)
		return nil
	}
	if p.stored != nil || seen[h] {
		res.Duplicates = append(res.Duplicates, e.Hash)
		return nil
	}
	m, err := planMapping(tx, p.index, e, ns, cl)
	if err != nil {
		return err
	}
	seen[h] = true
	stored := epcis.StoredEvent{
		Hash: e.Hash, Type: e.Type, EventTime: e.EventTime.UTC(), Capturer: caller.MSP, CapturedBy: caller.Account,
		RecordTime: tx.Time(), TxID: tx.ID(), Event: p.raw, Namespaces: ns,
	}
	if err := ledger.PutJSON(tx, p.key, stored); err != nil {
		return err
	}
	for _, idx := range indexes(e) {
		k, err := ledger.Key(tx, indexType, append(idx, timeKey(e.EventTime), h)...)
		if err != nil {
			return err
		}
		if err := tx.Stub().PutState(k, []byte{'1'}); err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "write index: %w", err)
		}
	}
	if m != nil {
		if err := m.write(tx, p.index, cl); err != nil {
			return err
		}
		res.Mapped = append(res.Mapped, epcis.Mapped{Index: p.index, Hash: e.Hash, Records: m.labels})
	}
	res.Captured = append(res.Captured, e.Hash)
	return nil
}

// indexes are the index prefixes of an event: one per query parameter value.
func indexes(e *gepcis.Event) [][]string {
	out := [][]string{{"time"}}
	add := func(param, v string) {
		if v != "" {
			out = append(out, []string{param, part(v)})
		}
	}
	add("bizStep", e.BizStep)
	add("disposition", e.Disposition)
	add("bizLocation", e.BizLocation)
	add("parentID", e.ParentID)
	for _, v := range append(append([]string{}, e.EPCList...), e.ChildEPCs...) {
		add("epc", v)
	}
	for _, v := range e.InputEPCList {
		add("inputEPC", v)
	}
	for _, q := range e.InputQuantityList {
		add("inputEPC", q.EPCClass)
	}
	for _, v := range e.OutputEPCList {
		add("outputEPC", v)
	}
	for _, q := range e.OutputQuantityList {
		add("outputEPC", q.EPCClass)
	}
	for _, v := range e.EPCs() {
		add("anyEPC", v)
	}
	for _, bt := range e.BizTransactions {
		out = append(out, []string{"bizTransaction", part(bt.Type + " " + bt.ID)})
	}
	return dedupe(out)
}

func dedupe(in [][]string) [][]string {
	seen := map[string]bool{}
	var out [][]string
	for _, p := range in {
		k := strings.Join(p, "\x00")
		if !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	return out
}

// part is a value as a key part: as it is up to 200 bytes, else its SHA-256.
func part(v string) string {
	if len(v) <= 200 {
		return v
	}
	sum := sha256.Sum256([]byte(v))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// hashKey is the hex digest of an event hash, its key part.
func hashKey(h string) string {
	return strings.TrimSuffix(strings.TrimPrefix(h, "ni:///sha-256;"), "?ver="+gepcis.HashVersion)
}

// timeKey writes a time so that keys sort by it.
func timeKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }
