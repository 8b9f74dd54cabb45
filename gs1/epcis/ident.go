package epcis

import (
	"strings"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gs1"
)

// maxURI is the longest identifier or URI a field takes, in bytes.
const maxURI = gs1.MaxLen

// Granularity says which identifiers a field takes.
type granularity int

const (
	// instanceLevel fields (epcList, parentID, childEPCs, inputEPCList, outputEPCList) take a
	// serialised item (SGTIN) or a logistic unit (SSCC).
	instanceLevel granularity = iota
	// classLevel fields (epcClass) take a product class (GTIN) or a lot (LGTIN).
	classLevel
)

// canonicalEPC reads v, an EPC URN or a GS1 Digital Link URI, with gs1.Parse and returns it
// as its constrained canonical Digital Link URI on https://id.gs1.org: the most specific
// key only (an item's lot and any consumer product variant or data attribute left out).
// An identifier of another kind than the field takes, or one package gs1 does not read, is
// INVALID naming field.
func canonicalEPC(field, v string, g granularity) (string, error) {
	id, err := gs1.Parse(v)
	if err != nil {
		return "", cxlerr.Errorf(cxlerr.Invalid, "%s: unknown identifier %s: %s", field, quote(v), cxlerr.From(err).Message)
	}
	k := id.Kind()
	switch {
	case g == instanceLevel && k != gs1.Item && k != gs1.Container:
		return "", cxlerr.Errorf(cxlerr.Invalid, "%s: %s is a %s; this field takes a serialised item (sgtin) or a logistic unit (sscc)", field, quote(v), k)
	case g == classLevel && k != gs1.Product && k != gs1.Lot:
		return "", cxlerr.Errorf(cxlerr.Invalid, "%s: %s is a %s; an epcClass is a product class (GTIN) or a lot (lgtin)", field, quote(v), k)
	}
	return constrained(id), nil
}

// constrained is the constrained canonical Digital Link URI of id (CBV 2.0 event hash).
func constrained(id gs1.Identifier) string {
	c := gs1.Identifier{GTIN: id.GTIN, SSCC: id.SSCC}
	switch {
	case id.Serial != "":
		c.Serial = id.Serial
	case id.Lot != "":
		c.Lot = id.Lot
	}
	return c.DigitalLink(gs1.DefaultBase)
}

// canonicalLocation returns a location or party identifier (readPoint, bizLocation, source,
// destination) in its canonical form: an SGLN URN (urn:epc:id:sgln:CP.LocRef.Ext) as the
// Digital Link URI of its GLN (/414/{gln}[/254/{ext}]), a PGLN URN as /417/{gln}, a Digital
// Link URI of a GLN on any host on https://id.gs1.org; any other absolute URI as it is.
func canonicalLocation(field, v string) (string, error) {
	if !isURI(v) {
		return "", cxlerr.Errorf(cxlerr.Invalid, "%s: %s is not an absolute URI", field, quote(v))
	}
	if hasPrefixFold(v, "urn:epc:id:sgln:") || hasPrefixFold(v, "urn:epc:id:pgln:") {
		dl, ok := glnURN(v)
		if !ok {
			return "", cxlerr.Errorf(cxlerr.Invalid, "%s: unknown identifier %s: not a valid SGLN or PGLN EPC URN", field, quote(v))
		}
		return dl, nil
	}
	if dl, ok := glnDigitalLink(v); ok {
		return dl, nil
	}
	if dl, ok := otherKey(v); ok {
		return dl, nil
	}
	return v, nil
}

// otherKeys are the GS1 keys besides GTIN, SSCC and GLN whose EPC URNs and Digital Link
// URIs the event hash writes canonically: the EPC scheme and the application identifier.
var otherKeys = []struct{ scheme, ai string }{{"giai", "8004"}, {"gdti", "253"}, {"grai", "8003"}}

// otherKey converts a GIAI, GDTI or GRAI EPC URN to its Digital Link URI on
// https://id.gs1.org, and a Digital Link URI of such a key (or of another key of the
// standard's list) on any host to the same URI on https://id.gs1.org without its query.
func otherKey(v string) (string, bool) {
	for _, k := range otherKeys {
		prefix := "urn:epc:id:" + k.scheme + ":"
		if !hasPrefixFold(v, prefix) {
			continue
		}
		f := strings.Split(v[len(prefix):], ".")
		switch {
		case k.scheme == "giai" && len(f) == 2 && digits(f[0]) && f[1] != "":
			return gs1.DefaultBase + "/8004/" + f[0] + f[1], true
		case len(f) == 3 && digits(f[0]) && (f[1] == "" || digits(f[1])) && len(f[0])+len(f[1]) == 12:
			key := f[0] + f[1]
			if k.scheme == "grai" {
				key = "0" + key
			}
			return gs1.DefaultBase + "/" + k.ai + "/" + key + string(gs1.CheckDigit(key)) + f[2], true
		}
		return "", false
	}
	segs, ok := uriPath(v)
	if !ok {
		return "", false
	}
	for i := 0; i+1 < len(segs); i++ {
		switch segs[i] {
		case "253", "255", "401", "402", "8003", "8004", "8006", "8010", "8017", "8018":
			if segs[i+1] != "" && digits(segs[i+1][:1]) {
				return gs1.DefaultBase + "/" + strings.Join(segs[i:], "/"), true
			}
		}
	}
	return "", false
}

// uriPath is the segments of an http or https URI's path, without its query and fragment;
// false when v is no such URI or has no path.
func uriPath(v string) ([]string, bool) {
	if !hasPrefixFold(v, "https://") && !hasPrefixFold(v, "http://") {
		return nil, false
	}
	_, after, _ := strings.Cut(v, "://")
	slash := strings.IndexByte(after, '/')
	if slash < 0 {
		return nil, false
	}
	path, _, _ := strings.Cut(after[slash:], "?")
	path, _, _ = strings.Cut(path, "#")
	return strings.Split(path[1:], "/"), true
}

// glnURN converts urn:epc:id:sgln:CP.LocRef.Ext or urn:epc:id:pgln:CP.PartyRef.
func glnURN(v string) (string, bool) {
	sgln := hasPrefixFold(v, "urn:epc:id:sgln:")
	rest := v[len("urn:epc:id:sgln:"):]
	want := 2
	if sgln {
		want = 3
	}
	f := strings.SplitN(rest, ".", want)
	if len(f) != want || len(f[0]) < 6 || len(f[0]) > 12 || len(f[0])+len(f[1]) != 12 || !digits(f[0]) || !digits(f[1]) {
		return "", false
	}
	gln := f[0] + f[1]
	gln += string(gs1.CheckDigit(gln))
	if !sgln {
		return gs1.DefaultBase + "/417/" + gln, true
	}
	ext := f[2]
	if ext == "" || len(ext) > 20 {
		return "", false
	}
	for i := 0; i < len(ext); i++ {
		if ext[i] != '%' && !gs1.InSet82(ext[i]) {
			return "", false
		}
	}
	if ext == "0" {
		return gs1.DefaultBase + "/414/" + gln, true
	}
	return gs1.DefaultBase + "/414/" + gln + "/254/" + ext, true
}

// glnDigitalLink reads a Digital Link URI of a GLN (/414/{gln}[/254/{ext}] or /417/{gln},
// after any path prefix) and writes it on https://id.gs1.org without its query.
func glnDigitalLink(v string) (string, bool) {
	segs, ok := uriPath(v)
	if !ok {
		return "", false
	}
	for i := 0; i+1 < len(segs); i++ {
		if segs[i] != "414" && segs[i] != "417" {
			continue
		}
		gln := segs[i+1]
		if len(gln) != 13 || !digits(gln) || gln[12] != gs1.CheckDigit(gln[:12]) {
			return "", false
		}
		tail := segs[i+2:]
		switch {
		case len(tail) == 0:
			return gs1.DefaultBase + "/" + segs[i] + "/" + gln, true
		case segs[i] == "414" && len(tail) == 2 && tail[0] == "254" && tail[1] != "":
			return gs1.DefaultBase + "/414/" + gln + "/254/" + tail[1], true
		}
		return "", false
	}
	return "", false
}

// isURI reports whether v is an absolute URI as EPCIS fields of type anyURI hold them: a
// scheme (a letter, then letters, digits, '+', '-' or '.'), a colon and at least one more
// character, at most 2048 bytes, no white space or control characters.
func isURI(v string) bool {
	if len(v) > maxURI {
		return false
	}
	colon := strings.IndexByte(v, ':')
	if colon < 1 || colon == len(v)-1 {
		return false
	}
	for i := 0; i < colon; i++ {
		c := v[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if i == 0 && !letter || !letter && (c < '0' || c > '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	for _, r := range v {
		if r <= ' ' || r == 0x7f || r >= 0x80 && r <= 0x9f || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

// canonicalLeaf is how the event hash writes a value of a field it does not know the type
// of (an extension, ILMD, sensor metadata): an identifier package gs1 reads, or a GLN, as its
// constrained canonical Digital Link URI; a CBV 1.x vocabulary URN as its web URI; a number
// without trailing zeros; anything else as it is.
func canonicalLeaf(v string) string {
	v = webVocabulary(v)
	if n, ok := canonicalNumber(v); ok {
		return n
	}
	if hasPrefixFold(v, "urn:epc:") || hasPrefixFold(v, "http") {
		if id, err := gs1.Parse(v); err == nil && id.Kind() != gs1.Invalid && id.CPV == "" {
			return constrained(id)
		}
		if loc, err := canonicalLocation("value", v); err == nil {
			return loc
		}
	}
	return v
}

// webVocabulary replaces a CBV 1.x URN prefix by its CBV 2.0 web URI.
func webVocabulary(v string) string {
	for _, voc := range []vocabulary{bizSteps, dispositions, bizTransactionTypes, sourceDestTypes, errorReasons} {
		if strings.HasPrefix(v, voc.urn) {
			return voc.web + v[len(voc.urn):]
		}
	}
	return v
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// quote quotes v for a message, cut to 80 bytes so an echo cannot be made huge.
func quote(v string) string {
	const max = 80
	if len(v) > max {
		cut := max
		for cut > 0 && v[cut]&0xc0 == 0x80 {
			cut--
		}
		return strings.TrimSuffix(quoteString(v[:cut]), `"`) + `..."`
	}
	return quoteString(v)
}

// CanonicalEPC returns an EPC URN or Digital Link URI of any kind package gs1 reads (item,
// logistic unit, lot, product) as the constrained canonical Digital Link URI events are
// indexed by; INVALID otherwise.
func CanonicalEPC(v string) (string, error) {
	id, err := gs1.Parse(v)
	if err != nil {
		return "", cxlerr.Errorf(cxlerr.Invalid, "unknown identifier %s: %s", quote(v), cxlerr.From(err).Message)
	}
	return constrained(id), nil
}

// CanonicalLocation returns a location or party URI as events are indexed by (an SGLN or
// PGLN URN as its Digital Link URI); INVALID when v is no absolute URI.
func CanonicalLocation(v string) (string, error) { return canonicalLocation("location", v) }

// CanonicalBizStep, CanonicalDisposition and CanonicalBizTransactionType return a
// vocabulary value (bare word, web URI, URN or user URI) as its CBV web URI; INVALID when it
// is none.
func CanonicalBizStep(v string) (string, error) { return canonicalVocab(bizSteps, v) }

// CanonicalDisposition: see CanonicalBizStep.
func CanonicalDisposition(v string) (string, error) { return canonicalVocab(dispositions, v) }

// CanonicalBizTransactionType: see CanonicalBizStep.
func CanonicalBizTransactionType(v string) (string, error) {
	return canonicalVocab(bizTransactionTypes, v)
}

func canonicalVocab(voc vocabulary, v string) (string, error) {
	full, _, ok := voc.canonical(v)
	if !ok {
		return "", cxlerr.Errorf(cxlerr.Invalid, "%s is neither a CBV %s nor a URI", quote(v), voc.name)
	}
	return full, nil
}
