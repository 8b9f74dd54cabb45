package epcis

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HashVersion is the version of the event hash algorithm, the CBV release that defines it.
const HashVersion = "CBV2.0"

// hashEvent is the CBV 2.0 event hash of a validated event object.
func hashEvent(obj map[string]any, ns Namespaces) string {
	sum := sha256.Sum256([]byte(preHash(obj, ns)))
	return "ni:///sha-256;" + hex.EncodeToString(sum[:]) + "?ver=" + HashVersion
}

// ValidHash reports whether h has the form of an event hash this package makes.
func ValidHash(h string) bool {
	const prefix, suffix = "ni:///sha-256;", "?ver=" + HashVersion
	if len(h) != len(prefix)+64+len(suffix) || !strings.HasPrefix(h, prefix) || !strings.HasSuffix(h, suffix) {
		return false
	}
	return strings.Trim(h[len(prefix):len(prefix)+64], "0123456789abcdef") == ""
}

// hashIgnored are the fields that take no part in the event hash.
var hashIgnored = []string{"type", "recordTime", "eventID", "errorDeclaration"}

// preHash writes the pre-hash string of a validated event: the fields in the canonical
// property order of CBV 2.0 (eventType, eventTime, eventTimeZoneOffset, certificationInfo,
// parentID, the EPC and quantity lists, action, transformationID, bizStep, disposition,
// persistentDisposition, readPoint, bizLocation, sensorElementList), then every other field
// (business transactions, sources, destinations, ILMD, extensions) each written as a string
// and the strings sorted, as GS1's reference implementation orders them. Values are
// canonical: identifiers as constrained Digital Link URIs, vocabulary as CBV web URIs, times
// in UTC with milliseconds, numbers without trailing zeros.
func preHash(obj map[string]any, ns Namespaces) string {
	var b strings.Builder
	b.WriteString("eventType=" + obj["type"].(string))
	done := map[string]bool{}
	for _, k := range hashIgnored {
		done[k] = true
	}
	scalar := func(k string, canon func(string) string) {
		done[k] = true
		if s, ok := obj[k].(string); ok {
			b.WriteString(k + "=" + canon(s))
		}
	}
	values := func(k, child string, canon func(string) string) {
		done[k] = true
		var l []any
		switch v := obj[k].(type) {
		case nil:
			return
		case []any:
			l = v
		default:
			l = []any{v}
		}
		parts := make([]string, 0, len(l))
		for _, el := range l {
			parts = append(parts, child+"="+canon(el.(string)))
		}
		slices.Sort(parts)
		if len(parts) > 0 {
			if child != k {
				b.WriteString(k)
			}
			b.WriteString(strings.Join(parts, ""))
		}
	}
	quantities := func(k string) {
		done[k] = true
		l, _ := obj[k].([]any)
		parts := make([]string, 0, len(l))
		for _, el := range l {
			q := el.(map[string]any)
			s := "quantityElement" + "epcClass=" + epcOf(q["epcClass"].(string), classLevel)
			if n, ok := q["quantity"].(json.Number); ok {
				s += "quantity=" + canonicalLeaf(n.String())
			}
			if u, ok := q["uom"].(string); ok {
				s += "uom=" + u
			}
			parts = append(parts, s)
		}
		slices.Sort(parts)
		if len(parts) > 0 {
			b.WriteString(k + strings.Join(parts, ""))
		}
	}
	instance := func(v string) string { return epcOf(v, instanceLevel) }
	scalar("eventTime", canonicalTime)
	scalar("eventTimeZoneOffset", func(s string) string { return s })
	values("certificationInfo", "certificationInfo", canonicalLeaf)
	scalar("parentID", instance)
	values("epcList", "epc", instance)
	values("inputEPCList", "epc", instance)
	values("childEPCs", "epc", instance)
	quantities("quantityList")
	quantities("childQuantityList")
	quantities("inputQuantityList")
	values("outputEPCList", "epc", instance)
	quantities("outputQuantityList")
	scalar("action", func(s string) string { return s })
	scalar("transformationID", canonicalLeaf)
	scalar("bizStep", vocabOf(bizSteps))
	scalar("disposition", vocabOf(dispositions))
	done["persistentDisposition"] = true
	if pd, ok := obj["persistentDisposition"].(map[string]any); ok {
		b.WriteString("persistentDisposition")
		for _, k := range []string{"set", "unset"} {
			l, _ := pd[k].([]any)
			parts := make([]string, 0, len(l))
			for _, el := range l {
				parts = append(parts, k+"="+vocabOf(dispositions)(el.(string)))
			}
			slices.Sort(parts)
			b.WriteString(strings.Join(parts, ""))
		}
	}
	for _, k := range []string{"readPoint", "bizLocation"} {
		done[k] = true
		if loc, ok := obj[k].(map[string]any); ok {
			id, _ := canonicalLocation(k, loc["id"].(string))
			b.WriteString(k + "id=" + id + extensions(loc, ns, "id"))
		}
	}
	done["sensorElementList"] = true
	if l, ok := obj["sensorElementList"].([]any); ok {
		parts := make([]string, 0, len(l))
		for _, el := range l {
			parts = append(parts, sensorElement(el.(map[string]any), ns))
		}
		slices.Sort(parts)
		b.WriteString("sensorElementList" + strings.Join(parts, ""))
	}
	// Everything else, each field a string, sorted.
	var rest []string
	for _, k := range sortedKeys(obj) {
		if done[k] {
			continue
		}
		switch k {
		case "bizTransactionList":
			rest = append(rest, typedList(k, obj[k].([]any), "bizTransaction", bizTransactionTypes, func(s string) string { return canonicalLeaf(s) }))
		case "sourceList":
			rest = append(rest, typedList(k, obj[k].([]any), "source", sourceDestTypes, locationOf))
		case "destinationList":
			rest = append(rest, typedList(k, obj[k].([]any), "destination", sourceDestTypes, locationOf))
		default:
			rest = append(rest, generic(k, obj[k], ns)...)
		}
	}
	slices.Sort(rest)
	b.WriteString(strings.Join(rest, ""))
	return b.String()
}

// typedList writes a bizTransactionList, sourceList or destinationList: each element as
// its type, then its identifier, the elements sorted.
func typedList(k string, l []any, member string, voc vocabulary, canon func(string) string) string {
	parts := make([]string, 0, len(l))
	for _, el := range l {
		m := el.(map[string]any)
		s := ""
		if t, ok := m["type"].(string); ok {
			s = "type=" + vocabOf(voc)(t)
		}
		parts = append(parts, s+member+"="+canon(m[member].(string)))
	}
	slices.Sort(parts)
	return k + strings.Join(parts, "")
}

// sensorElement writes one sensorElement: its metadata's fields in their order, its
// reports each with fields in their order and the reports sorted, then its extensions.
func sensorElement(se map[string]any, ns Namespaces) string {
	var b strings.Builder
	b.WriteString("sensorElement")
	if md, ok := se["sensorMetadata"].(map[string]any); ok {
		b.WriteString("sensorMetadata" + sensorFieldsString(md, sensorMetadataOrder, ns))
	}
	if l, ok := se["sensorReport"].([]any); ok {
		parts := make([]string, 0, len(l))
		for _, el := range l {
			parts = append(parts, "sensorReport"+sensorFieldsString(el.(map[string]any), sensorReportOrder, ns))
		}
		slices.Sort(parts)
		b.WriteString(strings.Join(parts, ""))
	}
	b.WriteString(extensions(se, ns, "sensorMetadata", "sensorReport"))
	return b.String()
}

// The canonical order of the fields of sensor metadata and of a sensor report.
var (
	sensorMetadataOrder = []string{"time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "bizRules"}
	sensorReportOrder   = []string{"type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "time", "microorganism", "chemicalSubstance", "value", "component", "stringValue", "booleanValue", "hexBinaryValue", "uriValue", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue", "uom", "coordinateReferenceSystem"}
)

func sensorFieldsString(m map[string]any, order []string, ns Namespaces) string {
	var b strings.Builder
	for _, k := range order {
		v, ok := m[k]
		if !ok {
			continue
		}
		s := leafString(v)
		switch {
		case strings.Contains(strings.ToLower(k), "time"):
			s = canonicalTime(s)
		case k == "type":
			s = gs1Term(s, ns)
		case k == "exception" || k == "component":
			s = gs1Term(s, ns)
		default:
			s = canonicalLeaf(s)
		}
		b.WriteString(k + "=" + s)
	}
	return b.String() + extensions(m, ns, order...)
}

// gs1Term writes a sensor report type: a bare word or a gs1: CURIE as its GS1 web
// vocabulary URI.
func gs1Term(s string, ns Namespaces) string {
	if !strings.Contains(s, ":") {
		return gs1VocBase + s
	}
	if iri, ok := ns.expand(s); ok {
		return iri
	}
	return s
}

// extensions writes the fields of m other than known ones (its extensions), sorted.
func extensions(m map[string]any, ns Namespaces, known ...string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		if !slices.Contains(known, k) {
			parts = append(parts, generic(k, m[k], ns)...)
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, "")
}

// generic writes a field the canonical order does not name: its key ({namespace IRI}name
// for an extension term), "=" and its value when it has one, then its children sorted; an
// array is the key repeated for each element.
func generic(k string, v any, ns Namespaces) []string {
	key := k
	if _, ok := ns.expand(k); ok {
		iri, name := ns.iri(k)
		key = "{" + iri + "}" + name
	}
	switch x := v.(type) {
	case []any:
		var out []string
		for _, el := range x {
			out = append(out, generic(k, el, ns)...)
		}
		return out
	case map[string]any:
		var children []string
		for _, ck := range sortedKeys(x) {
			children = append(children, generic(ck, x[ck], ns)...)
		}
		slices.Sort(children)
		return []string{key + strings.Join(children, "")}
	}
	s := strings.TrimSpace(leafString(v))
	if s == "" {
		return []string{key}
	}
	if iri, ok := ns.expand(s); ok && !strings.Contains(s, "//") {
		s = iri
	}
	return []string{key + "=" + canonicalLeaf(s)}
}

// leafString is a scalar JSON value as text.
func leafString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

func epcOf(v string, g granularity) string {
	c, err := canonicalEPC("", v, g)
	if err != nil {
		return v
	}
	return c
}

func locationOf(v string) string {
	c, err := canonicalLocation("", v)
	if err != nil {
		return v
	}
	return c
}

func vocabOf(voc vocabulary) func(string) string {
	return func(v string) string {
		full, _, ok := voc.canonical(v)
		if !ok {
			return v
		}
		return full
	}
}

// canonicalTime writes a date-time in UTC with milliseconds ("2020-03-04T10:00:30.000Z"),
// the fraction cut to microseconds and rounded to milliseconds half to even, as the
// reference implementation does; text that is no date-time stays as it is.
func canonicalTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return s
	}
	us := t.Nanosecond() / 1000
	ms, rem := us/1000, us%1000
	if rem > 500 || rem == 500 && ms%2 == 1 {
		ms++
	}
	t = t.Truncate(time.Second).Add(time.Duration(ms) * time.Millisecond)
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// decimal is the syntax of a number canonicalNumber rewrites.
var decimal = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// canonicalNumber writes a decimal number without trailing zeros: an integral value as an
// integer ("1.0" -> "1"), others in their shortest form ("0.3430" -> "0.343"), as the
// reference implementation writes them.
func canonicalNumber(s string) (string, bool) {
	if !decimal.MatchString(s) {
		return "", false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", false
	}
	switch {
	case f == 0:
		return "0", true
	case f == math.Trunc(f):
		return strconv.FormatFloat(f, 'f', 0, 64), true
	case math.Abs(f) < 1e-4:
		return strconv.FormatFloat(f, 'e', -1, 64), true
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}
