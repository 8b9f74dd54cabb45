package gs1

import (
	"fmt"
	"strings"

	"github.com/cxledger/cxledger/cxlerr"
)

// The EPC URN forms, after "urn:epc:".
const (
	epcSGTIN   = "id:sgtin:"
	epcLGTIN   = "class:lgtin:"
	epcPattern = "idpat:sgtin:"
	epcSSCC    = "id:sscc:"
)

// epcEscaped are the characters of character set 82 an EPC URN writes as %XX (TDS: the
// characters not allowed in a URN as they are).
const epcEscaped = `"%&/<>?`

// EPC writes id as an EPC URN: an item as urn:epc:id:sgtin (its lot and attributes are not
// part of it), a lot as urn:epc:class:lgtin, a product as the pattern of its class
// urn:epc:idpat:sgtin:CompanyPrefix.ItemRef.*, a container as urn:epc:id:sscc. The URN splits
// the GS1 company prefix from the rest, so it needs its length: companyPrefixLen (6 to 12),
// or, when that is 0, the length id was parsed with. A consumer product variant has no EPC
// form. Errors are INVALID.
func (id Identifier) EPC(companyPrefixLen int) (string, error) {
	l := companyPrefixLen
	if l == 0 {
		l = id.CompanyPrefixLen
	}
	if l == 0 {
		return "", cxlerr.Errorf(cxlerr.Invalid, "EPC URN: the length of the GS1 company prefix is needed")
	}
	if l < 6 || l > 12 {
		return "", cxlerr.Errorf(cxlerr.Invalid, "EPC URN: GS1 company prefix length %d, want 6 to 12", l)
	}
	if id.CPV != "" {
		return "", cxlerr.Errorf(cxlerr.Invalid, "EPC URN: a consumer product variant (22) has no EPC form")
	}
	switch id.Kind() {
	case Container:
		return "urn:epc:" + epcSSCC + id.SSCC[1:1+l] + "." + id.SSCC[:1] + id.SSCC[1+l:17], nil
	case Item:
		return "urn:epc:" + epcSGTIN + splitGTIN(id.GTIN, l) + "." + escapeEPC(id.Serial), nil
	case Lot:
		return "urn:epc:" + epcLGTIN + splitGTIN(id.GTIN, l) + "." + escapeEPC(id.Lot), nil
	case Product:
		return "urn:epc:" + epcPattern + splitGTIN(id.GTIN, l) + ".*", nil
	}
	return "", cxlerr.Errorf(cxlerr.Invalid, "EPC URN: empty identifier")
}

// splitGTIN is "CompanyPrefix.IndicatorItemRef" of a 14-digit GTIN whose company prefix
// has l digits: the indicator digit moves in front of the item reference and the check
// digit goes.
func splitGTIN(gtin string, l int) string {
	return gtin[1:1+l] + "." + gtin[:1] + gtin[1+l:13]
}

// parseEPC reads an EPC URN: urn:epc:id:sgtin:CP.IR.Serial, urn:epc:class:lgtin:CP.IR.Lot,
// urn:epc:idpat:sgtin:CP.IR.* or urn:epc:id:sscc:CP.SR ("urn:epc:" in any case).
func parseEPC(s string) (Identifier, error) {
	if !hasPrefixFold(s, "urn:epc:") {
		return Identifier{}, cxlerr.Errorf(cxlerr.Invalid, "URN %q is not an EPC URN (urn:epc:...)", s)
	}
	rest := s[len("urn:epc:"):]
	var form string
	for _, f := range []string{epcSGTIN, epcLGTIN, epcPattern, epcSSCC} {
		if strings.HasPrefix(rest, f) {
			form = f
		}
	}
	if form == "" {
		return Identifier{}, cxlerr.Errorf(cxlerr.Invalid, "EPC URN %q: only sgtin, lgtin, sgtin patterns and sscc are read", s)
	}
	want := 3
	if form == epcSSCC {
		want = 2
	}
	// A serial or lot may hold dots itself: the first two separate the fields.
	fields := strings.SplitN(rest[len(form):], ".", want)
	if len(fields) != want {
		return Identifier{}, cxlerr.Errorf(cxlerr.Invalid, "EPC URN %q: want %d fields separated by '.', got %d", s, want, len(fields))
	}
	cp, ref := fields[0], fields[1]
	id := Identifier{CompanyPrefixLen: len(cp)}
	digits := 13
	if form == epcSSCC {
		digits = 17
	}
	switch {
	case !allDigits(cp) || !allDigits(ref):
		return Identifier{}, cxlerr.Errorf(cxlerr.Invalid, "EPC URN %q: the company prefix and the reference must be digits", s)
	case len(cp) < 6 || len(cp) > 12:
		return Identifier{}, cxlerr.Errorf(cxlerr.Invalid, "EPC URN %q: GS1 company prefix of %d digits, want 6 to 12", s, len(cp))
	case len(cp)+len(ref) != digits:
		return Identifier{}, cxlerr.Errorf(cxlerr.Invalid, "EPC URN %q: company prefix and reference have %d digits together, want %d", s, len(cp)+len(ref), digits)
	}
	key := ref[:1] + cp + ref[1:]
	key += string(CheckDigit(key))
	if form == epcSSCC {
		id.SSCC = key
		return id, nil
	}
	gtin, err := NormalizeGTIN("gtin", key)
	if err != nil {
		return Identifier{}, err
	}
	id.GTIN = gtin
	last := fields[2]
	if form == epcPattern {
		if last != "*" {
			return Identifier{}, cxlerr.Errorf(cxlerr.Invalid, "EPC URN %q: an sgtin pattern of a product class ends in .*", s)
		}
		return id, nil
	}
	v, err := unescapeEPC(last)
	if err != nil {
		return Identifier{}, cxlerr.Errorf(cxlerr.Invalid, "EPC URN: %s", err)
	}
	if form == epcLGTIN {
		err, id.Lot = ValidateLotNumber("lot", v), v
	} else {
		err, id.Serial = ValidateSerial("serial", v), v
	}
	if err != nil {
		return Identifier{}, err
	}
	return id, nil
}

// escapeEPC writes a value of character set 82 as an EPC URN holds it.
func escapeEPC(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if strings.IndexByte(epcEscaped, v[i]) >= 0 {
			fmt.Fprintf(&b, "%%%02X", v[i])
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// unescapeEPC reads a serial or lot of an EPC URN: characters of set 82 as they are, except
// those of epcEscaped, which must come as %XX.
func unescapeEPC(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
				return "", errf("%q: '%%' must start an escape %%XX", s)
			}
			d := byte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			if strings.IndexByte(epcEscaped, d) < 0 {
				return "", errf("%q: %s escapes %q, which an EPC URN holds as it is", s, s[i:i+3], d)
			}
			b.WriteByte(d)
			i += 2
		case strings.IndexByte(epcEscaped, c) >= 0 || !InSet82(c):
			return "", errf("%q: character %q is not allowed here", s, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// errf is the text of a syntax error, which the caller wraps as INVALID.
func errf(format string, args ...any) error { return fmt.Errorf(format, args...) }
