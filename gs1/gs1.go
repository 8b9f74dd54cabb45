// Package gs1 reads and writes the identifiers of GS1 standards in the two forms supply
// chains exchange them in, and converts between them with one function: GS1 Digital Link
// URIs (https://id.example.com/01/09506000134352/10/L1/21/S1?17=270101, syntax 1.2) and
// EPC URNs of the Tag Data Standard (urn:epc:id:sgtin:9506000.013435.S1,
// urn:epc:class:lgtin:..., urn:epc:idpat:sgtin:...*, urn:epc:id:sscc:...).
//
// Parse reads either form into an Identifier; DigitalLink and EPC write it back. The
// rules for the values themselves (GTIN check digits and lengths, lot and serial numbers
// in character set 82) are defined here once and used by the provenance contract too.
package gs1

import (
	"strings"
	"unicode/utf8"

	"github.com/cxledger/cxledger/cxlerr"
)

// MaxLen is the longest input Parse reads, in bytes.
const MaxLen = 2048

// DefaultBase is the resolver DigitalLink writes URIs for when it is given no base:
// GS1's own.
const DefaultBase = "https://id.gs1.org"

// Kind is what an Identifier identifies.
type Kind int

// The kinds of identifier.
const (
	// Invalid is the zero Identifier.
	Invalid Kind = iota
	// Product is a product class: a GTIN (and perhaps a consumer product variant).
	Product
	// Lot is a batch/lot of a product: GTIN + lot number.
	Lot
	// Item is a serialised unit of a product: GTIN + serial number (SGTIN); its lot may
	// be known too.
	Item
	// Container is a logistic unit: an SSCC.
	Container
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case Product:
		return "product"
	case Lot:
		return "lot"
	case Item:
		return "item"
	case Container:
		return "container"
	}
	return "invalid"
}

// Attribute is a data attribute of a Digital Link URI: an application identifier given as
// a query parameter (?17=270101), kept as it came.
type Attribute struct {
	// AI is the application identifier, 2 to 4 digits.
	AI string
	// Value is its value, in character set 82.
	Value string
}

// Identifier is a GS1 identifier: a GTIN with its qualifiers, or an SSCC.
type Identifier struct {
	// GTIN is the 14-digit GTIN; empty for an SSCC.
	GTIN string
	// CPV is the consumer product variant (AI 22), if any.
	CPV string
	// Lot is the batch/lot number (AI 10), if any.
	Lot string
	// Serial is the serial number (AI 21), if any.
	Serial string
	// SSCC is the 18-digit Serial Shipping Container Code (AI 00).
	SSCC string
	// Attributes are the data attributes of a Digital Link URI, in their order.
	Attributes []Attribute
	// CompanyPrefixLen is the length of the GS1 company prefix inside GTIN or SSCC when
	// the parsed form said it (an EPC URN does); 0 when unknown.
	CompanyPrefixLen int
}

// Kind is what id identifies.
func (id Identifier) Kind() Kind {
	switch {
	case id.SSCC != "":
		return Container
	case id.GTIN == "":
		return Invalid
	case id.Serial != "":
		return Item
	case id.Lot != "":
		return Lot
	}
	return Product
}

// Parse reads a GS1 Digital Link URI (absolute, any host and path prefix, or just its path
// from "/") or an EPC URN (sgtin, lgtin, an sgtin pattern of a product class, sscc) into an
// Identifier. GTINs are normalised to 14 digits. Every violation is a *cxlerr.Error with
// code INVALID.
func Parse(s string) (Identifier, error) {
	if len(s) > MaxLen {
		return Identifier{}, cxlerr.Errorf(cxlerr.Invalid, "identifier of %d bytes: at most %d", len(s), MaxLen)
	}
	if !utf8.ValidString(s) {
		return Identifier{}, cxlerr.Errorf(cxlerr.Invalid, "identifier is not valid UTF-8")
	}
	if len(s) >= 4 && strings.EqualFold(s[:4], "urn:") {
		return parseEPC(s)
	}
	return parseDigitalLink(s)
}

// DigitalLink writes id as a GS1 Digital Link URI on base (a scheme and host, perhaps with
// a path prefix; DefaultBase if empty): the primary key, the qualifiers in the order the
// standard requires, every value percent-encoded as it requires, then the data attributes
// as query parameters.
func (id Identifier) DigitalLink(base string) string {
	if base == "" {
		base = DefaultBase
	}
	return strings.TrimRight(base, "/") + id.Path()
}

// Path is the Digital Link URI of id without scheme and host: its path and, if id has data
// attributes, its query.
func (id Identifier) Path() string {
	var b strings.Builder
	if id.SSCC != "" {
		b.WriteString("/00/" + id.SSCC)
	} else {
		b.WriteString("/01/" + id.GTIN)
		for _, q := range []struct{ ai, v string }{{"22", id.CPV}, {"10", id.Lot}, {"21", id.Serial}} {
			if q.v != "" {
				b.WriteString("/" + q.ai + "/" + escapeDL(q.v))
			}
		}
	}
	for i, a := range id.Attributes {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(a.AI + "=" + escapeDL(a.Value))
	}
	return b.String()
}
