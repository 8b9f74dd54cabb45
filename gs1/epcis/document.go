package epcis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/strictjson"
)

// Document types.
const (
	TypeDocument      = "EPCISDocument"
	TypeQueryDocument = "EPCISQueryDocument"
)

// Namespaces are the JSON-LD prefixes a document's @context declares, prefix to IRI, besides
// those of the EPCIS 2.0 context itself (gs1, cbvmda).
type Namespaces map[string]string

// standardPrefixes are prefixes the EPCIS 2.0 JSON-LD context declares that extensions use.
var standardPrefixes = map[string]string{
	"gs1":    gs1VocBase,
	"cbvmda": "urn:epcglobal:cbv:mda:",
}

// expand returns the IRI of term "prefix:name" when the prefix is declared.
func (ns Namespaces) expand(term string) (string, bool) {
	prefix, name, ok := strings.Cut(term, ":")
	if !ok || prefix == "" || name == "" || strings.HasPrefix(name, "//") {
		return "", false
	}
	if iri, ok := ns[prefix]; ok {
		return iri + name, true
	}
	if iri, ok := standardPrefixes[prefix]; ok {
		return iri + name, true
	}
	return "", false
}

// iri returns the namespace IRI of term's prefix.
func (ns Namespaces) iri(term string) (string, string) {
	prefix, name, _ := strings.Cut(term, ":")
	if iri, ok := ns[prefix]; ok {
		return iri, name
	}
	return standardPrefixes[prefix], name
}

// Validate checks prefixes and IRIs: a prefix is a JSON-LD term (letters, digits, '_', '-',
// '.', starting with a letter), an IRI an absolute URI.
func (ns Namespaces) Validate() error {
	if len(ns) > 64 {
		return cxlerr.Errorf(cxlerr.Invalid, "@context: %d prefixes, at most 64", len(ns))
	}
	for p, iri := range ns {
		if !validPrefix(p) {
			return cxlerr.Errorf(cxlerr.Invalid, "@context: prefix %s: want letters, digits, '_', '-' or '.', starting with a letter", quote(p))
		}
		if !isURI(iri) {
			return cxlerr.Errorf(cxlerr.Invalid, "@context: prefix %s: %s is not an absolute IRI", p, quote(iri))
		}
	}
	return nil
}

func validPrefix(p string) bool {
	if p == "" || len(p) > 64 || !(p[0] >= 'a' && p[0] <= 'z' || p[0] >= 'A' && p[0] <= 'Z') {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Limits bound a document.
type Limits struct {
	// MaxBytes is the largest document, in bytes.
	MaxBytes int
	// MaxEvents is the most events one document may hold.
	MaxEvents int
}

// DefaultLimits are the limits of one capture: 4 MiB and 1,000 events.
var DefaultLimits = Limits{MaxBytes: 4 << 20, MaxEvents: 1000}

// Document is a validated EPCIS document.
type Document struct {
	// Type is EPCISDocument or EPCISQueryDocument.
	Type string
	// CreationDate is when the document was made.
	CreationDate time.Time
	// Namespaces are the prefixes its @context declares.
	Namespaces Namespaces
	// Events are the valid events, in document order.
	Events []*Event
	// Invalid are the events that failed validation, in document order.
	Invalid []EventError
}

// EventError is an event of a document that failed validation.
type EventError struct {
	// Index is the event's place in the event list, from 0.
	Index int
	// Err is why (INVALID).
	Err *cxlerr.Error
}

// documentFields are the top-level fields of an EPCIS 2.0 document.
var documentFields = []string{"@context", "type", "id", "schemaVersion", "creationDate", "epcisHeader", "epcisBody", "sender", "receiver", "instanceIdentifier"}

// ParseDocument reads an EPCIS 2.0 JSON / JSON-LD document within lim. A document that
// breaks the standard, and one over the limits (TOO_LARGE), is an error; events that fail
// validation are listed in Invalid, so a caller decides whether one bad event fails the
// whole document (GS1-Capture-Error-Behaviour rollback) or not (proceed).
func ParseDocument(data []byte, lim Limits) (*Document, error) {
	if len(data) > lim.MaxBytes {
		return nil, cxlerr.Errorf(cxlerr.TooLarge, "document of %d bytes: at most %d", len(data), lim.MaxBytes)
	}
	var top map[string]json.RawMessage
	if err := strictjson.Decode(data, &top, lim.MaxBytes); err != nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "document: %s", cxlerr.From(err).Message)
	}
	if top == nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "document: want a JSON object")
	}
	doc := &Document{}
	var err error
	if doc.Namespaces, err = parseContext(top["@context"]); err != nil {
		return nil, err
	}
	for k := range top {
		if !slices.Contains(documentFields, k) {
			if _, ok := doc.Namespaces.expand(k); !ok {
				return nil, cxlerr.Errorf(cxlerr.Invalid, "document: %s is not a field of an EPCIS document, nor an extension whose prefix the @context declares", quote(k))
			}
		}
	}
	var t, version string
	if err := stringField(top, "type", &t); err != nil || (t != TypeDocument && t != TypeQueryDocument) {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "document: type: want %s or %s", TypeDocument, TypeQueryDocument)
	}
	doc.Type = t
	if err := stringField(top, "schemaVersion", &version); err != nil || (version != "2.0" && version != "2.0.0") {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "document: schemaVersion: want \"2.0\"")
	}
	var created string
	if err := stringField(top, "creationDate", &created); err != nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "document: creationDate: required")
	}
	if doc.CreationDate, err = parseDateTime(created); err != nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "document: creationDate: %s", err)
	}
	for _, k := range []string{"epcisHeader"} {
		if raw, ok := top[k]; ok && (len(raw) == 0 || raw[0] != '{') {
			return nil, cxlerr.Errorf(cxlerr.Invalid, "document: %s: want an object", k)
		}
	}
	events, err := eventList(top["epcisBody"], t)
	if err != nil {
		return nil, err
	}
	if len(events) > lim.MaxEvents {
		return nil, cxlerr.Errorf(cxlerr.TooLarge, "document of %d events: at most %d", len(events), lim.MaxEvents)
	}
	for i, raw := range events {
		e, err := ParseCheckedEvent(raw, doc.Namespaces, fmt.Sprintf("eventList[%d]", i))
		if err != nil {
			doc.Invalid = append(doc.Invalid, EventError{Index: i, Err: cxlerr.From(err)})
			continue
		}
		doc.Events = append(doc.Events, e)
	}
	return doc, nil
}

func stringField(top map[string]json.RawMessage, k string, dst *string) error {
	raw, ok := top[k]
	if !ok {
		return fmt.Errorf("missing")
	}
	return json.Unmarshal(raw, dst)
}

// parseContext reads @context: the EPCIS 2.0 context URL, or an array holding it, other
// context URLs and objects declaring prefixes.
func parseContext(raw json.RawMessage) (Namespaces, error) {
	if raw == nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "document: @context: required, naming %s", epcisContext)
	}
	var entries []any
	var one any
	if err := decodeNumbers(raw, &one); err != nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "document: @context: %s", err)
	}
	switch x := one.(type) {
	case string:
		entries = []any{x}
	case []any:
		entries = x
	default:
		return nil, cxlerr.Errorf(cxlerr.Invalid, "document: @context: want the EPCIS context URL or an array of contexts")
	}
	ns := Namespaces{}
	epcis := false
	for _, en := range entries {
		switch x := en.(type) {
		case string:
			if !isURI(x) {
				return nil, cxlerr.Errorf(cxlerr.Invalid, "document: @context: %s is not a URL", quote(x))
			}
			if strings.HasPrefix(x, epcisCtxPrefix) && strings.HasSuffix(x, "/epcis-context.jsonld") {
				epcis = true
			}
		case map[string]any:
			for p, v := range x {
				iri, ok := v.(string)
				if !ok {
					return nil, cxlerr.Errorf(cxlerr.Invalid, "document: @context: prefix %s: want an IRI string", quote(p))
				}
				ns[p] = iri
			}
		default:
			return nil, cxlerr.Errorf(cxlerr.Invalid, "document: @context: entries are context URLs or prefix objects, got %s", kindOf(en))
		}
	}
	if !epcis {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "document: @context: must name the EPCIS 2.0 context %s", epcisContext)
	}
	return ns, ns.Validate()
}

// eventList returns the raw events of epcisBody: eventList of a document, or
// queryResults.resultsBody.eventList of a query document.
func eventList(raw json.RawMessage, docType string) ([]json.RawMessage, error) {
	if raw == nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "document: epcisBody: required")
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "document: epcisBody: want an object")
	}
	if docType == TypeQueryDocument {
		var qr struct {
			SubscriptionID string `json:"subscriptionID,omitempty"`
			QueryName      string `json:"queryName"`
			ResultsBody    struct {
				EventList json.RawMessage `json:"eventList"`
			} `json:"resultsBody"`
		}
		if len(body) != 1 || body["queryResults"] == nil || strictjson.Decode(body["queryResults"], &qr, len(body["queryResults"])) != nil {
			return nil, cxlerr.Errorf(cxlerr.Invalid, "document: epcisBody: an EPCISQueryDocument holds queryResults {queryName, resultsBody: {eventList}}")
		}
		body = map[string]json.RawMessage{"eventList": qr.ResultsBody.EventList}
	}
	for k := range body {
		if k != "eventList" {
			return nil, cxlerr.Errorf(cxlerr.Invalid, "document: epcisBody.%s: an EPCISDocument body holds eventList only", quote(k))
		}
	}
	var events []json.RawMessage
	if len(body["eventList"]) == 0 || json.Unmarshal(body["eventList"], &events) != nil || events == nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "document: epcisBody.eventList: want an array of events")
	}
	return events, nil
}

// decodeObject decodes one event object with numbers kept as written.
func decodeObject(raw json.RawMessage) (map[string]any, error) {
	var v any
	if err := decodeNumbers(raw, &v); err != nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "%s", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "want an event object, got %s", kindOf(v))
	}
	return obj, nil
}

func decodeNumbers(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}
