package epcis

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/strictjson"
)

// The event types of EPCIS 2.0.
const (
	ObjectEvent         = "ObjectEvent"
	AggregationEvent    = "AggregationEvent"
	TransformationEvent = "TransformationEvent"
	TransactionEvent    = "TransactionEvent"
	AssociationEvent    = "AssociationEvent"
)

// The actions of an event.
const (
	ActionAdd     = "ADD"
	ActionObserve = "OBSERVE"
	ActionDelete  = "DELETE"
)

// Event is one validated EPCIS event. Identifiers are in their constrained canonical Digital
// Link form, vocabulary values in their CBV web URI form; JSON is the event as it came.
type Event struct {
	// Type is the event type (ObjectEvent ...).
	Type string `json:"type"`
	// Hash is the CBV 2.0 event hash, the event's identity on the ledger.
	Hash string `json:"hash"`
	// EventID is the eventID the capturing application gave, if any.
	EventID string `json:"eventID,omitempty"`
	// EventTime is when the event happened; EventTimeZoneOffset the offset where it did.
	EventTime           time.Time `json:"eventTime"`
	EventTimeZoneOffset string    `json:"eventTimeZoneOffset"`
	// Action is ADD, OBSERVE or DELETE; empty for a TransformationEvent.
	Action string `json:"action,omitempty"`
	// ParentID is the parent of an aggregation, transaction or association.
	ParentID string `json:"parentID,omitempty"`
	// EPCList, ChildEPCs, InputEPCList and OutputEPCList are the instance identifiers.
	EPCList       []string `json:"epcList,omitempty"`
	ChildEPCs     []string `json:"childEPCs,omitempty"`
	InputEPCList  []string `json:"inputEPCList,omitempty"`
	OutputEPCList []string `json:"outputEPCList,omitempty"`
	// QuantityList ... OutputQuantityList are the class-level identifiers with quantities.
	QuantityList       []Quantity `json:"quantityList,omitempty"`
	ChildQuantityList  []Quantity `json:"childQuantityList,omitempty"`
	InputQuantityList  []Quantity `json:"inputQuantityList,omitempty"`
	OutputQuantityList []Quantity `json:"outputQuantityList,omitempty"`
	// TransformationID links transformation events.
	TransformationID string `json:"transformationID,omitempty"`
	// BizStep and Disposition are CBV web URIs (or user vocabulary URIs).
	BizStep     string `json:"bizStep,omitempty"`
	Disposition string `json:"disposition,omitempty"`
	// ReadPoint and BizLocation are location identifiers.
	ReadPoint   string `json:"readPoint,omitempty"`
	BizLocation string `json:"bizLocation,omitempty"`
	// BizTransactions are the business transactions the event belongs to.
	BizTransactions []BizTransaction `json:"bizTransactionList,omitempty"`
	// Sources and Destinations are the parties and locations a transfer goes from and to.
	Sources      []Party `json:"sourceList,omitempty"`
	Destinations []Party `json:"destinationList,omitempty"`
	// ErrorDeclaration, when set, declares the event with the same hash erroneous.
	ErrorDeclaration *ErrorDeclaration `json:"errorDeclaration,omitempty"`
	// JSON is the event object as captured.
	JSON json.RawMessage `json:"-"`
}

// Quantity is a quantityElement: an epcClass, a quantity and its unit.
type Quantity struct {
	EPCClass string `json:"epcClass"`
	// Quantity is the number as written, empty when the element has none.
	Quantity string `json:"quantity,omitempty"`
	UOM      string `json:"uom,omitempty"`
}

// BizTransaction is a business transaction: its identifier and its type (a CBV web URI or
// a user URI; empty when not given).
type BizTransaction struct {
	Type string `json:"type,omitempty"`
	ID   string `json:"bizTransaction"`
}

// Party is a source or destination: its type and its identifier.
type Party struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// ErrorDeclaration declares an earlier event erroneous.
type ErrorDeclaration struct {
	DeclarationTime    time.Time `json:"declarationTime"`
	Reason             string    `json:"reason,omitempty"`
	CorrectiveEventIDs []string  `json:"correctiveEventIDs,omitempty"`
}

// EPCs are every instance and class identifier the event names, each once, sorted.
func (e *Event) EPCs() []string {
	var all []string
	all = append(all, e.EPCList...)
	all = append(all, e.ChildEPCs...)
	all = append(all, e.InputEPCList...)
	all = append(all, e.OutputEPCList...)
	if e.ParentID != "" {
		all = append(all, e.ParentID)
	}
	for _, l := range [][]Quantity{e.QuantityList, e.ChildQuantityList, e.InputQuantityList, e.OutputQuantityList} {
		for _, q := range l {
			all = append(all, q.EPCClass)
		}
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// field is what an event field is and which event types have it.
type field struct {
	types []string
}

var (
	allTypes      = []string{ObjectEvent, AggregationEvent, TransformationEvent, TransactionEvent, AssociationEvent}
	withAction    = []string{ObjectEvent, AggregationEvent, TransactionEvent, AssociationEvent}
	withParent    = []string{AggregationEvent, TransactionEvent, AssociationEvent}
	withEPCs      = []string{ObjectEvent, TransactionEvent}
	withChildren  = []string{AggregationEvent, AssociationEvent}
	withTransform = []string{TransformationEvent}
	withILMD      = []string{ObjectEvent, TransformationEvent}
)

// eventFields are the fields EPCIS 2.0 defines, by the event types that have them.
var eventFields = map[string][]string{
	"type": allTypes, "eventTime": allTypes, "eventTimeZoneOffset": allTypes, "recordTime": allTypes,
	"eventID": allTypes, "errorDeclaration": allTypes, "certificationInfo": allTypes,
	"readPoint": allTypes, "bizLocation": allTypes, "bizStep": allTypes, "disposition": allTypes,
	"persistentDisposition": allTypes, "bizTransactionList": allTypes, "sourceList": allTypes,
	"destinationList": allTypes, "sensorElementList": allTypes,
	"action": withAction, "parentID": withParent,
	"epcList": withEPCs, "quantityList": withEPCs,
	"childEPCs": withChildren, "childQuantityList": withChildren,
	"inputEPCList": withTransform, "inputQuantityList": withTransform, "outputEPCList": withTransform,
	"outputQuantityList": withTransform, "transformationID": withTransform,
	"ilmd": withILMD,
}

// eventParser reads one event; path names it in messages ("eventList[3]").
type eventParser struct {
	path string
	ns   Namespaces
}

func (p *eventParser) errorf(format string, args ...any) error {
	return cxlerr.Errorf(cxlerr.Invalid, "%s: %s", p.path, fmt.Sprintf(format, args...))
}

// ParseEvent validates one event object (raw JSON, already checked for UTF-8 and duplicate
// keys by the caller's decoder) in a document whose @context declares ns, and computes its
// hash. path names the event in messages.
func ParseEvent(raw json.RawMessage, ns Namespaces, path string) (*Event, error) {
	var check json.RawMessage
	if err := strictjson.Decode(raw, &check, len(raw)); err != nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "%s: %s", path, cxlerr.From(err).Message)
	}
	return ParseCheckedEvent(raw, ns, path)
}

// ParseCheckedEvent is ParseEvent for an event that is part of JSON strictjson already
// decoded (a document, a capture's arguments): valid UTF-8 without repeated keys or lone
// surrogates. It does not scan the event for those again.
func ParseCheckedEvent(raw json.RawMessage, ns Namespaces, path string) (*Event, error) {
	obj, err := decodeObject(raw)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "%s: %s", path, cxlerr.From(err).Message)
	}
	p := &eventParser{path: path, ns: ns}
	e, err := p.event(obj)
	if err != nil {
		return nil, err
	}
	e.JSON = raw
	e.Hash = hashEvent(obj, ns)
	return e, nil
}

func (p *eventParser) event(obj map[string]any) (*Event, error) {
	t, ok := obj["type"].(string)
	if !ok {
		return nil, p.errorf("type: required, one of %s", strings.Join(allTypes, ", "))
	}
	if !slices.Contains(allTypes, t) {
		return nil, p.errorf("type: %s is not an EPCIS 2.0 event type (%s)", quote(t), strings.Join(allTypes, ", "))
	}
	for _, k := range sortedKeys(obj) {
		types, known := eventFields[k]
		switch {
		case known && !slices.Contains(types, t):
			return nil, p.errorf("%s: a %s has no such field", k, t)
		case !known:
			if err := p.extension(k, obj[k]); err != nil {
				return nil, err
			}
		}
	}
	e := &Event{Type: t}
	var err error
	if e.EventTime, err = p.dateTime(obj, "eventTime", true); err != nil {
		return nil, err
	}
	if e.EventTimeZoneOffset, err = p.str(obj, "eventTimeZoneOffset", true); err != nil {
		return nil, err
	}
	if !validOffset(e.EventTimeZoneOffset) {
		return nil, p.errorf("eventTimeZoneOffset: %s, want ±hh:mm from -12:00 to +14:00", quote(e.EventTimeZoneOffset))
	}
	if _, err := p.dateTime(obj, "recordTime", false); err != nil {
		return nil, err
	}
	if e.EventID, err = p.uri(obj, "eventID"); err != nil {
		return nil, err
	}
	if err := p.certificationInfo(obj); err != nil {
		return nil, err
	}
	if slices.Contains(withAction, t) {
		a, err := p.str(obj, "action", true)
		if err != nil {
			return nil, err
		}
		if a != ActionAdd && a != ActionObserve && a != ActionDelete {
			return nil, p.errorf("action: %s, want ADD, OBSERVE or DELETE", quote(a))
		}
		e.Action = a
	}
	if v, err := p.str(obj, "parentID", false); err != nil {
		return nil, err
	} else if v != "" {
		if e.ParentID, err = canonicalEPC(p.path+": parentID", v, instanceLevel); err != nil {
			return nil, err
		}
	}
	for _, l := range []struct {
		name string
		dst  *[]string
	}{{"epcList", &e.EPCList}, {"childEPCs", &e.ChildEPCs}, {"inputEPCList", &e.InputEPCList}, {"outputEPCList", &e.OutputEPCList}} {
		if *l.dst, err = p.epcs(obj, l.name); err != nil {
			return nil, err
		}
	}
	for _, l := range []struct {
		name string
		dst  *[]Quantity
	}{{"quantityList", &e.QuantityList}, {"childQuantityList", &e.ChildQuantityList}, {"inputQuantityList", &e.InputQuantityList}, {"outputQuantityList", &e.OutputQuantityList}} {
		if *l.dst, err = p.quantities(obj, l.name); err != nil {
			return nil, err
		}
	}
	if e.TransformationID, err = p.uri(obj, "transformationID"); err != nil {
		return nil, err
	}
	if e.BizStep, err = p.vocab(obj, "bizStep", bizSteps); err != nil {
		return nil, err
	}
	if e.Disposition, err = p.vocab(obj, "disposition", dispositions); err != nil {
		return nil, err
	}
	if err := p.persistentDisposition(obj); err != nil {
		return nil, err
	}
	if e.ReadPoint, err = p.location(obj, "readPoint"); err != nil {
		return nil, err
	}
	if e.BizLocation, err = p.location(obj, "bizLocation"); err != nil {
		return nil, err
	}
	if e.BizTransactions, err = p.bizTransactions(obj); err != nil {
		return nil, err
	}
	if e.Sources, err = p.parties(obj, "sourceList", "source"); err != nil {
		return nil, err
	}
	if e.Destinations, err = p.parties(obj, "destinationList", "destination"); err != nil {
		return nil, err
	}
	if err := p.sensorElements(obj); err != nil {
		return nil, err
	}
	if err := p.ilmd(obj, e); err != nil {
		return nil, err
	}
	if e.ErrorDeclaration, err = p.errorDeclaration(obj); err != nil {
		return nil, err
	}
	return e, p.required(e)
}

// required checks what each event type must hold.
func (p *eventParser) required(e *Event) error {
	switch e.Type {
	case ObjectEvent:
		if len(e.EPCList) == 0 && len(e.QuantityList) == 0 {
			return p.errorf("an ObjectEvent names at least one epcList or quantityList element")
		}
	case AggregationEvent, AssociationEvent:
		if e.ParentID == "" && (e.Type == AssociationEvent || e.Action != ActionObserve) {
			return p.errorf("parentID: required in a%s %s with action %s", map[bool]string{true: "n"}[e.Type == AssociationEvent], e.Type, e.Action)
		}
		if e.Action == ActionAdd && len(e.ChildEPCs) == 0 && len(e.ChildQuantityList) == 0 {
			return p.errorf("childEPCs: an ADD %s names at least one child (childEPCs or childQuantityList)", e.Type)
		}
	case TransactionEvent:
		if len(e.BizTransactions) == 0 {
			return p.errorf("bizTransactionList: required in a TransactionEvent, with at least one element")
		}
		if e.ParentID == "" && len(e.EPCList) == 0 && len(e.QuantityList) == 0 {
			return p.errorf("a TransactionEvent names its objects: parentID, epcList or quantityList")
		}
	case TransformationEvent:
		in := len(e.InputEPCList) + len(e.InputQuantityList)
		out := len(e.OutputEPCList) + len(e.OutputQuantityList)
		if e.TransformationID == "" && (in == 0 || out == 0) {
			return p.errorf("a TransformationEvent without transformationID names at least one input and one output")
		}
	}
	return nil
}

// extension checks a field the standard does not define: a JSON-LD term "prefix:name"
// whose prefix the document's @context declares, holding any JSON value.
func (p *eventParser) extension(k string, v any) error {
	if _, ok := p.ns.expand(k); !ok {
		return p.errorf("%s: not a field of EPCIS 2.0, nor an extension whose prefix the @context declares", quote(k))
	}
	return checkExtensionValue(p, k, v)
}

// checkExtensionValue checks the keys of objects inside an extension: each an extension
// term with a declared prefix.
func checkExtensionValue(p *eventParser, path string, v any) error {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if _, ok := p.ns.expand(k); !ok {
				return p.errorf("%s.%s: keys inside an extension must be terms with a declared prefix", path, quote(k))
			}
			if err := checkExtensionValue(p, path+"."+k, x[k]); err != nil {
				return err
			}
		}
	case []any:
		for _, el := range x {
			if err := checkExtensionValue(p, path, el); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *eventParser) str(obj map[string]any, k string, required bool) (string, error) {
	v, ok := obj[k]
	if !ok {
		if required {
			return "", p.errorf("%s: required", k)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", p.errorf("%s: want a string, got %s", k, kindOf(v))
	}
	if s == "" || strings.TrimSpace(s) != s {
		return "", p.errorf("%s: %s, want a value without leading or trailing white space", k, quote(s))
	}
	return s, nil
}

func (p *eventParser) uri(obj map[string]any, k string) (string, error) {
	s, err := p.str(obj, k, false)
	if err != nil || s == "" {
		return "", err
	}
	if !isURI(s) {
		return "", p.errorf("%s: %s is not an absolute URI", k, quote(s))
	}
	return s, nil
}

func (p *eventParser) dateTime(obj map[string]any, k string, required bool) (time.Time, error) {
	s, err := p.str(obj, k, required)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	t, err := parseDateTime(s)
	if err != nil {
		return time.Time{}, p.errorf("%s: %s", k, err)
	}
	return t, nil
}

// parseDateTime reads an xsd:dateTimeStamp: RFC 3339 with a time zone (Z or ±hh:mm) and
// any number of fractional digits, years 0001 to 9999.
func parseDateTime(s string) (time.Time, error) {
	if len(s) < 20 || len(s) > 40 {
		return time.Time{}, fmt.Errorf("%s is not a date-time with time zone (2025-06-01T12:00:00.000+02:00)", quote(s))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || s[10] != 'T' {
		return time.Time{}, fmt.Errorf("%s is not a date-time with time zone (2025-06-01T12:00:00.000+02:00)", quote(s))
	}
	return t, nil
}

// validOffset reports whether s is an eventTimeZoneOffset: ±hh:mm, -12:00 to +14:00.
func validOffset(s string) bool {
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' || !digits(s[1:3]) || !digits(s[4:6]) {
		return false
	}
	h, _ := strconv.Atoi(s[1:3])
	m, _ := strconv.Atoi(s[4:6])
	if m > 59 {
		return false
	}
	if s[0] == '+' {
		return h < 14 || h == 14 && m == 0
	}
	return h < 12 || h == 12 && m == 0
}

func (p *eventParser) certificationInfo(obj map[string]any) error {
	v, ok := obj["certificationInfo"]
	if !ok {
		return nil
	}
	list, isList := v.([]any)
	if !isList {
		list = []any{v}
	}
	if len(list) == 0 {
		return p.errorf("certificationInfo: an empty list")
	}
	for _, el := range list {
		s, ok := el.(string)
		if !ok || !isURI(s) {
			return p.errorf("certificationInfo: want URIs, got %s", kindOf(el))
		}
	}
	return nil
}

func (p *eventParser) list(obj map[string]any, k string) ([]any, bool, error) {
	v, ok := obj[k]
	if !ok {
		return nil, false, nil
	}
	l, isList := v.([]any)
	if !isList {
		return nil, false, p.errorf("%s: want an array, got %s", k, kindOf(v))
	}
	return l, true, nil
}

func (p *eventParser) epcs(obj map[string]any, k string) ([]string, error) {
	l, _, err := p.list(obj, k)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(l))
	seen := map[string]bool{}
	for i, el := range l {
		s, ok := el.(string)
		if !ok {
			return nil, p.errorf("%s[%d]: want a string, got %s", k, i, kindOf(el))
		}
		c, err := canonicalEPC(fmt.Sprintf("%s: %s[%d]", p.path, k, i), s, instanceLevel)
		if err != nil {
			return nil, err
		}
		if seen[c] {
			return nil, p.errorf("%s[%d]: %s is named twice", k, i, quote(s))
		}
		seen[c] = true
		out = append(out, c)
	}
	return out, nil
}

func (p *eventParser) quantities(obj map[string]any, k string) ([]Quantity, error) {
	l, _, err := p.list(obj, k)
	if err != nil {
		return nil, err
	}
	out := make([]Quantity, 0, len(l))
	for i, el := range l {
		at := fmt.Sprintf("%s[%d]", k, i)
		q, ok := el.(map[string]any)
		if !ok {
			return nil, p.errorf("%s: want a quantityElement object, got %s", at, kindOf(el))
		}
		for _, f := range sortedKeys(q) {
			if f != "epcClass" && f != "quantity" && f != "uom" {
				return nil, p.errorf("%s.%s: a quantityElement has epcClass, quantity and uom only", at, quote(f))
			}
		}
		class, err := p.str(q, "epcClass", true)
		if err != nil {
			return nil, p.errorf("%s.%s", at, strings.TrimPrefix(cxlerr.From(err).Message, p.path+": "))
		}
		var qe Quantity
		if qe.EPCClass, err = canonicalEPC(p.path+": "+at+".epcClass", class, classLevel); err != nil {
			return nil, err
		}
		if v, ok := q["quantity"]; ok {
			n, isNum := v.(json.Number)
			if !isNum {
				return nil, p.errorf("%s.quantity: want a number, got %s", at, kindOf(v))
			}
			f, err := n.Float64()
			if err != nil || f < 0 {
				return nil, p.errorf("%s.quantity: %s, want a number of at least 0", at, n)
			}
			qe.Quantity = n.String()
		}
		if v, ok := q["uom"]; ok {
			u, isStr := v.(string)
			if !isStr || len(u) < 2 || len(u) > 3 || !alnumUpper(u) {
				return nil, p.errorf("%s.uom: want a UN/ECE Recommendation 20 code of 2 or 3 capital letters or digits", at)
			}
			if qe.Quantity == "" {
				return nil, p.errorf("%s.uom: a unit needs a quantity", at)
			}
			qe.UOM = u
		}
		out = append(out, qe)
	}
	return out, nil
}

func (p *eventParser) vocab(obj map[string]any, k string, voc vocabulary) (string, error) {
	s, err := p.str(obj, k, false)
	if err != nil || s == "" {
		return "", err
	}
	full, _, ok := voc.canonical(s)
	if !ok {
		return "", p.errorf("%s: %s is neither a CBV %s nor a URI of a user vocabulary", k, quote(s), voc.name)
	}
	return full, nil
}

func (p *eventParser) persistentDisposition(obj map[string]any) error {
	v, ok := obj["persistentDisposition"]
	if !ok {
		return nil
	}
	pd, isObj := v.(map[string]any)
	if !isObj || len(pd) == 0 {
		return p.errorf("persistentDisposition: want an object with set and/or unset")
	}
	for _, k := range sortedKeys(pd) {
		if k != "set" && k != "unset" {
			return p.errorf("persistentDisposition.%s: only set and unset", quote(k))
		}
		l, ok := pd[k].([]any)
		if !ok || len(l) == 0 {
			return p.errorf("persistentDisposition.%s: want a non-empty array of dispositions", k)
		}
		for _, el := range l {
			s, isStr := el.(string)
			if _, _, ok := dispositions.canonical(s); !isStr || !ok {
				return p.errorf("persistentDisposition.%s: %v is not a disposition", k, el)
			}
		}
	}
	return nil
}

// location reads readPoint or bizLocation: {"id": URI, extensions...}.
func (p *eventParser) location(obj map[string]any, k string) (string, error) {
	v, ok := obj[k]
	if !ok {
		return "", nil
	}
	loc, isObj := v.(map[string]any)
	if !isObj {
		return "", p.errorf("%s: want an object with an id, got %s", k, kindOf(v))
	}
	for _, f := range sortedKeys(loc) {
		if f == "id" {
			continue
		}
		if err := p.extension(k+"."+f, loc[f]); err != nil {
			if _, ok := p.ns.expand(f); !ok {
				return "", p.errorf("%s.%s: a location has an id and extensions only", k, quote(f))
			}
			return "", err
		}
	}
	id, err := p.str(loc, "id", true)
	if err != nil {
		return "", p.errorf("%s.id: required, a URI", k)
	}
	return canonicalLocation(p.path+": "+k+".id", id)
}

func (p *eventParser) bizTransactions(obj map[string]any) ([]BizTransaction, error) {
	l, present, err := p.list(obj, "bizTransactionList")
	if err != nil {
		return nil, err
	}
	if present && len(l) == 0 {
		return nil, p.errorf("bizTransactionList: an empty list")
	}
	out := make([]BizTransaction, 0, len(l))
	for i, el := range l {
		at := fmt.Sprintf("bizTransactionList[%d]", i)
		bt, ok := el.(map[string]any)
		if !ok {
			return nil, p.errorf("%s: want an object, got %s", at, kindOf(el))
		}
		for _, f := range sortedKeys(bt) {
			if f != "type" && f != "bizTransaction" {
				return nil, p.errorf("%s.%s: a bizTransaction has type and bizTransaction only", at, quote(f))
			}
		}
		id, err := p.str(bt, "bizTransaction", true)
		if err != nil || !isURI(id) {
			return nil, p.errorf("%s.bizTransaction: required, a URI", at)
		}
		b := BizTransaction{ID: id}
		if t, err := p.str(bt, "type", false); err != nil {
			return nil, p.errorf("%s.type: want a string", at)
		} else if t != "" {
			full, _, ok := bizTransactionTypes.canonical(t)
			if !ok {
				return nil, p.errorf("%s.type: %s is neither a CBV business transaction type nor a URI", at, quote(t))
			}
			b.Type = full
		}
		out = append(out, b)
	}
	return out, nil
}

func (p *eventParser) parties(obj map[string]any, k, member string) ([]Party, error) {
	l, present, err := p.list(obj, k)
	if err != nil {
		return nil, err
	}
	if present && len(l) == 0 {
		return nil, p.errorf("%s: an empty list", k)
	}
	out := make([]Party, 0, len(l))
	for i, el := range l {
		at := fmt.Sprintf("%s[%d]", k, i)
		m, ok := el.(map[string]any)
		if !ok {
			return nil, p.errorf("%s: want an object, got %s", at, kindOf(el))
		}
		for _, f := range sortedKeys(m) {
			if f != "type" && f != member {
				return nil, p.errorf("%s.%s: a %s has type and %s only", at, quote(f), member, member)
			}
		}
		t, err1 := p.str(m, "type", true)
		id, err2 := p.str(m, member, true)
		if err1 != nil || err2 != nil {
			return nil, p.errorf("%s: type and %s are required strings", at, member)
		}
		full, _, ok := sourceDestTypes.canonical(t)
		if !ok {
			return nil, p.errorf("%s.type: %s is neither a CBV source/destination type nor a URI", at, quote(t))
		}
		c, err := canonicalLocation(p.path+": "+at+"."+member, id)
		if err != nil {
			return nil, err
		}
		out = append(out, Party{Type: full, ID: c})
	}
	return out, nil
}

// Sensor fields and their JSON types.
var (
	sensorMetadataFields = map[string]string{
		"time": "dateTime", "startTime": "dateTime", "endTime": "dateTime", "deviceID": "uri",
		"deviceMetadata": "uri", "rawData": "uri", "dataProcessingMethod": "uri", "bizRules": "uri",
	}
	sensorReportFields = map[string]string{
		"type": "string", "exception": "string", "deviceID": "uri", "deviceMetadata": "uri",
		"rawData": "uri", "dataProcessingMethod": "uri", "time": "dateTime", "microorganism": "uri",
		"chemicalSubstance": "uri", "value": "number", "component": "string", "stringValue": "string",
		"booleanValue": "boolean", "hexBinaryValue": "hex", "uriValue": "uri", "minValue": "number",
		"maxValue": "number", "meanValue": "number", "sDev": "number", "percRank": "number",
		"percValue": "number", "uom": "string", "coordinateReferenceSystem": "uri",
	}
)

func (p *eventParser) sensorElements(obj map[string]any) error {
	l, present, err := p.list(obj, "sensorElementList")
	if err != nil {
		return err
	}
	if present && len(l) == 0 {
		return p.errorf("sensorElementList: an empty list")
	}
	for i, el := range l {
		at := fmt.Sprintf("sensorElementList[%d]", i)
		se, ok := el.(map[string]any)
		if !ok {
			return p.errorf("%s: want a sensorElement object, got %s", at, kindOf(el))
		}
		for _, f := range sortedKeys(se) {
			switch f {
			case "sensorMetadata":
				md, ok := se[f].(map[string]any)
				if !ok {
					return p.errorf("%s.sensorMetadata: want an object", at)
				}
				if err := p.sensorFields(at+".sensorMetadata", md, sensorMetadataFields); err != nil {
					return err
				}
			case "sensorReport":
				reports, ok := se[f].([]any)
				if !ok || len(reports) == 0 {
					return p.errorf("%s.sensorReport: want a non-empty array", at)
				}
				for j, r := range reports {
					rep, ok := r.(map[string]any)
					if !ok {
						return p.errorf("%s.sensorReport[%d]: want an object", at, j)
					}
					if err := p.sensorFields(fmt.Sprintf("%s.sensorReport[%d]", at, j), rep, sensorReportFields); err != nil {
						return err
					}
				}
			default:
				if err := p.extension(at+"."+f, se[f]); err != nil {
					return err
				}
			}
		}
		if _, ok := se["sensorReport"]; !ok {
			return p.errorf("%s.sensorReport: required", at)
		}
	}
	return nil
}

func (p *eventParser) sensorFields(at string, m map[string]any, fields map[string]string) error {
	for _, f := range sortedKeys(m) {
		kind, known := fields[f]
		if !known {
			if _, ok := p.ns.expand(f); !ok {
				return p.errorf("%s.%s: not a field of EPCIS 2.0, nor an extension whose prefix the @context declares", at, quote(f))
			}
			continue
		}
		v := m[f]
		bad := false
		switch kind {
		case "number":
			_, ok := v.(json.Number)
			bad = !ok
		case "boolean":
			_, ok := v.(bool)
			bad = !ok
		default:
			s, ok := v.(string)
			switch {
			case !ok:
				bad = true
			case kind == "dateTime":
				_, err := parseDateTime(s)
				bad = err != nil
			case kind == "uri":
				bad = !isURI(s)
			case kind == "hex":
				bad = len(s)%2 != 0 || strings.Trim(s, "0123456789abcdefABCDEF") != ""
			}
		}
		if bad {
			return p.errorf("%s.%s: want a %s", at, f, kind)
		}
	}
	return nil
}

func (p *eventParser) ilmd(obj map[string]any, e *Event) error {
	v, ok := obj["ilmd"]
	if !ok {
		return nil
	}
	m, isObj := v.(map[string]any)
	if !isObj {
		return p.errorf("ilmd: want an object of extension fields, got %s", kindOf(v))
	}
	if e.Type == ObjectEvent && e.Action != ActionAdd {
		return p.errorf("ilmd: only an ObjectEvent with action ADD carries instance/lot master data")
	}
	return checkExtensionValue(p, "ilmd", m)
}

func (p *eventParser) errorDeclaration(obj map[string]any) (*ErrorDeclaration, error) {
	v, ok := obj["errorDeclaration"]
	if !ok {
		return nil, nil
	}
	m, isObj := v.(map[string]any)
	if !isObj {
		return nil, p.errorf("errorDeclaration: want an object, got %s", kindOf(v))
	}
	d := &ErrorDeclaration{}
	for _, f := range sortedKeys(m) {
		switch f {
		case "declarationTime", "reason", "correctiveEventIDs":
		default:
			if _, ok := p.ns.expand(f); !ok {
				return nil, p.errorf("errorDeclaration.%s: not a field of an error declaration", quote(f))
			}
		}
	}
	var err error
	if d.DeclarationTime, err = p.dateTime(m, "declarationTime", true); err != nil {
		return nil, p.errorf("errorDeclaration.%s", strings.TrimPrefix(cxlerr.From(err).Message, p.path+": "))
	}
	if r, err := p.str(m, "reason", false); err != nil {
		return nil, p.errorf("errorDeclaration.reason: want a string")
	} else if r != "" {
		full, _, ok := errorReasons.canonical(r)
		if !ok {
			return nil, p.errorf("errorDeclaration.reason: %s is neither a CBV error reason nor a URI", quote(r))
		}
		d.Reason = full
	}
	if l, ok := m["correctiveEventIDs"]; ok {
		ids, isList := l.([]any)
		if !isList {
			return nil, p.errorf("errorDeclaration.correctiveEventIDs: want an array of URIs")
		}
		for _, el := range ids {
			s, ok := el.(string)
			if !ok || !isURI(s) {
				return nil, p.errorf("errorDeclaration.correctiveEventIDs: want URIs, got %s", kindOf(el))
			}
			d.CorrectiveEventIDs = append(d.CorrectiveEventIDs, s)
		}
	}
	return d, nil
}

func alnumUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < 'A' || s[i] > 'Z') && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// kindOf names the JSON type of a decoded value.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func quoteString(s string) string { return strconv.Quote(s) }
