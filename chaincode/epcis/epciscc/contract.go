// Package epciscc is the epcis contract: EPCIS 2.0 events captured whole under their CBV
// event hash, indexed by the standard's query parameters, with error declarations kept
// beside the events they correct.
//
// Events of products registered on the ledger also become the records that mean the same
// (mapping.go, custody.go), decided by the owning contract's own rules before anything is
// written, without their events: the capture emits one event, its own.
//
//   - Commissioning (ObjectEvent ADD) of serialised items registers them (PlanItems); a
//     TransformationEvent into lots registers those lots with their input lots (PlanLot).
//
//   - Shipping (ObjectEvent OBSERVE) offers custody of each registered lot (quantityList)
//     and item (epcList) it names, as OfferCustody does (PlanOffer: only the holder, one
//     offer at a time, to a member or a member's account), to the cxledger party its
//     destinationList names as possessing_party, else owning_party, in the form
//     epcis.PartyURI ("urn:cxledger:party:<MSP ID>" or "urn:cxledger:party:<MSP ID>/<name>");
//     the handover's location is the destinationList's location, else the bizLocation,
//     else the readPoint. A shipping event naming no cxledger party is kept whole only.
//
//   - Receiving (ObjectEvent OBSERVE) accepts, as AcceptCustody does (PlanAccept), the
//     offers pending to the capturer's organisation for the registered lots and items it
//     names, calling the provenance contract's hooks; other lots and items (held by the
//     capturer already, offered to another party or to an account, whose own
//     AcceptCustody takes it) are left as they are.
//
//   - Receiving that names an order as a purchase order (bizTransactionList type po, in
//     either CBV form, with epcis.OrderURI "urn:cxledger:order:<id>") is the carrier's proof
//     of delivery: the orders contract (Deliveries) checks it and, when it matches,
//     delivers the order in the capture's transaction, exactly once whichever comes first
//     of this event, the custody acceptance and ConfirmDelivery. A receiving event that
//     does not match is still recorded (it is a fact its capturer asserts) and its
//     delivery says why nothing was released; it names no order to a capturer who may
//     not read it. The event hash leaves out who captured the event: a receiving event
//     another organisation recorded first is, for a later capturer, a duplicate of the
//     event but still its receipt (receivedAgain), so that nobody can make a carrier's
//     proof of delivery a duplicate that delivers nothing by capturing a copy of it first.
//     The capture's result lists each event's deliveries; its chaincode
//     event carries them with what the orders contract's hooks returned ("related", the
//     loyalty points earned), as the custody event carries an acceptance's.
//
//   - An AggregationEvent ADD packs the registered lots (childQuantityList) and items
//     (childEPCs) it names into its parentID (an SSCC or another container), DELETE unpacks
//     them, or everything the ledger records in the parent when it names no child
//     (PlanPack, PlanUnpack: the holder's staff, no offer pending, one container at a
//     time). A receiving event naming an order's SSCC in its epcList stands for what the
//     ledger records packed into it.
//
// The checks read only what was committed before the capture: a lot or item registered,
// packed, or whose custody moved, by an earlier event of the same capture cannot be
// packed or moved again in it (CONFLICT, naming that event), and an order delivered by an
// earlier event is not delivered twice. Everything else is kept whole only.
package epciscc

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/epcis"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
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
	custody    provenancecc.Hooks
	deliveries Deliveries
}

// NewContract returns the contract, named "epcis". A receiving event that accepts custody
// calls custody as the provenance contract calls its own hooks; a receiving event that
// names an order is checked and delivered by deliveries. Either may be nil.
func NewContract(custody provenancecc.Hooks, deliveries Deliveries) *Contract {
	c := &Contract{custody: custody, deliveries: deliveries}
	c.Name = epcis.Name
	return c
}

// GetEvaluateTransactions lists the query functions.
func (c *Contract) GetEvaluateTransactions() []string { return []string{"Query"} }

// Capture records a batch of EPCIS events in one transaction: the JSON of a CaptureArgs (a
// string, so a capture may be larger than other arguments: up to 4 MiB and 1,000 events).
// The caller is staff of an organisation with the brand, carrier or merchant role.
func (c *Contract) Capture(ctx contractapi.TransactionContextInterface, args string) (*epcis.CaptureResult, error) {
	return ledger.Run(ctx.GetStub(), args, c.capture)
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

func (c *Contract) capture(tx *ledger.Tx, raw string) (*epcis.CaptureResult, error) {
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
		if err := c.captureOne(tx, p, ns, seen, cl, res); err != nil {
			if err := reject(p.index, err); err != nil {
				return nil, err
			}
		}
	}
	event := map[string]string{"captured": strconv.Itoa(len(res.Captured)), "mapped": strconv.Itoa(len(res.Mapped))}
	if len(res.Captured) > 0 {
		event["first"] = res.Captured[0]
	}
	for _, d := range res.Deliveries {
		if d.Released {
			// As a custody acceptance that delivers an order is keyed by it.
			event["order"] = d.Order
			break
		}
	}
	// The event carries each delivery with what the orders contract's hooks returned
	// (the loyalty points it earned), as the custody event does; the result, which the
	// capturer reads, does not: the points are the customer's.
	summary := epcis.CaptureResult{Captured: res.Captured, Declared: res.Declared, Mapped: res.Mapped, Deliveries: res.Deliveries}
	if err := ledger.Emit(tx, ledger.Event{Contract: epcis.Name, Type: "Captured", Keys: event, Data: summary}); err != nil {
		return nil, err
	}
	res.Deliveries = slices.Clone(res.Deliveries)
	for i := range res.Deliveries {
		res.Deliveries[i].Related = nil
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

func (c *Contract) captureOne(tx *ledger.Tx, p parsedEvent, ns gepcis.Namespaces, seen map[string]bool, cl *claimed, res *epcis.CaptureResult) error {
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
	if seen[h] {
		res.Duplicates = append(res.Duplicates, e.Hash)
		return nil
	}
	if p.stored != nil {
		res.Duplicates = append(res.Duplicates, e.Hash)
		seen[h] = true
		return c.receivedAgain(tx, p, ns, cl, res)
	}
	m, err := c.planMapping(tx, p.index, e, ns, cl)
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
	if err := c.writeMapping(tx, p, m, cl, res); err != nil {
		return err
	}
	res.Captured = append(res.Captured, e.Hash)
	return nil
}

// writeMapping writes what event p became besides itself (nil: nothing) and adds it to the
// capture's result.
func (c *Contract) writeMapping(tx *ledger.Tx, p parsedEvent, m *mapping, cl *claimed, res *epcis.CaptureResult) error {
	if m == nil {
		return nil
	}
	ds, err := m.write(tx, p.index, cl, c.custody)
	if err != nil {
		return err
	}
	if len(m.labels) > 0 {
		res.Mapped = append(res.Mapped, epcis.Mapped{Index: p.index, Hash: p.e.Hash, Records: m.labels})
	}
	for _, d := range ds {
		d.Hash = p.e.Hash
		res.Deliveries = append(res.Deliveries, d)
	}
	return nil
}

// receivedAgain does, for a receiving event another organisation recorded first, what
// receiving does for this capturer: the event is not recorded again (its hash names it
// once), but the offers pending to the capturer's organisation are accepted and the
// orders it names are checked as its proof of delivery. Otherwise whoever captured a copy
// of a carrier's receiving event first (its delivery refused: not the carrier) would make
// the carrier's own capture a duplicate that delivers nothing. Any other duplicate, and a
// repeat by the organisation that recorded the event, is a duplicate only.
func (c *Contract) receivedAgain(tx *ledger.Tx, p parsedEvent, ns gepcis.Namespaces, cl *claimed, res *epcis.CaptureResult) error {
	e := p.e
	if e.Type != gepcis.ObjectEvent || e.Action != gepcis.ActionObserve || e.BizStep != receiving {
		return nil
	}
	var stored epcis.StoredEvent
	if err := json.Unmarshal(p.stored, &stored); err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "decode event %s: %w", e.Hash, err)
	}
	if stored.Capturer == tx.Caller().MSP {
		return nil
	}
	m, err := c.planMapping(tx, p.index, e, ns, cl)
	if err != nil {
		return err
	}
	return c.writeMapping(tx, p, m, cl, res)
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
