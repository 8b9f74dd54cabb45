package gs1

import (
	"net/url"
	"strings"

	"github.com/cxledger/cxledger/cxlerr"
)

// qualifierOrder is the place of each key qualifier of a GTIN in a Digital Link path:
// /01/{gtin}[/22/{cpv}][/10/{lot}][/21/{serial}].
var qualifierOrder = map[string]int{"22": 1, "10": 2, "21": 3}

// parseDigitalLink reads a Digital Link URI: "http(s)://host[/prefix...]/01/..." or a path
// from "/".
func parseDigitalLink(s string) (Identifier, error) {
	rest := s
	switch {
	case hasPrefixFold(s, "https://"), hasPrefixFold(s, "http://"):
		scheme, after, _ := strings.Cut(s, "://")
		end := strings.IndexAny(after, "/?#")
		if end < 0 {
			end = len(after)
		}
		host := after[:end]
		if u, err := url.Parse(scheme + "://" + host); err != nil || host == "" || u.Host != host || u.User != nil {
			return Identifier{}, cxlerr.Errorf(cxlerr.Invalid, "Digital Link URI: host %q is not a host name", host)
		}
		rest = after[end:]
	case strings.HasPrefix(s, "/"):
	default:
		return Identifier{}, cxlerr.Errorf(cxlerr.Invalid, "%q is neither a GS1 Digital Link URI (http(s)://host/01/...) nor an EPC URN (urn:epc:...)", s)
	}
	rest, _, _ = strings.Cut(rest, "#")
	path, query, _ := strings.Cut(rest, "?")
	if !strings.HasPrefix(path, "/") {
		return Identifier{}, cxlerr.Errorf(cxlerr.Invalid, "Digital Link URI: no path with a primary key (/01/{gtin} or /00/{sscc})")
	}
	segs := strings.Split(path[1:], "/")
	// The primary key may follow a path prefix of the resolver's own: take the first
	// primary key from which the rest of the path is a whole Digital Link path.
	var first error
	for i, seg := range segs {
		if (seg != "01" && seg != "00") || (len(segs)-i)%2 != 0 {
			continue
		}
		id, err := parseKeyPath(segs[i:])
		if err == nil {
			id.Attributes, err = parseAttributes(query)
			return id, err
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = cxlerr.Errorf(cxlerr.Invalid, "Digital Link URI: no primary key (/01/{gtin} or /00/{sscc}) in the path")
	}
	return Identifier{}, first
}

// parseKeyPath reads the path from the primary key on: AI, value, AI, value ...
func parseKeyPath(segs []string) (Identifier, error) {
	var id Identifier
	vals := make([]string, len(segs)/2)
	for i := range vals {
		v, err := unescapeDL(segs[2*i+1])
		if err != nil {
			return id, cxlerr.Errorf(cxlerr.Invalid, "Digital Link URI: AI (%s): %s", segs[2*i], err)
		}
		vals[i] = v
	}
	if segs[0] == "00" {
		if len(segs) > 2 {
			return id, cxlerr.Errorf(cxlerr.Invalid, "Digital Link URI: an SSCC (00) takes no key qualifier")
		}
		sscc, err := NormalizeSSCC("sscc", vals[0])
		id.SSCC = sscc
		return id, err
	}
	gtin, err := NormalizeGTIN("gtin", vals[0])
	if err != nil {
		return Identifier{}, err
	}
	id.GTIN = gtin
	last := 0
	for i := 1; i < len(vals); i++ {
		ai, v := segs[2*i], vals[i]
		place, ok := qualifierOrder[ai]
		switch {
		case !ok:
			return Identifier{}, cxlerr.Errorf(cxlerr.Invalid, "Digital Link URI: %q is not a key qualifier of a GTIN (22, 10 or 21)", ai)
		case place <= last:
			return Identifier{}, cxlerr.Errorf(cxlerr.Invalid, "Digital Link URI: key qualifier %s out of order: after 01 come 22, 10 and 21, each at most once, in that order", ai)
		}
		last = place
		switch ai {
		case "22":
			err, id.CPV = ValidateCPV("cpv", v), v
		case "10":
			err, id.Lot = ValidateLotNumber("lot", v), v
		case "21":
			err, id.Serial = ValidateSerial("serial", v), v
		}
		if err != nil {
			return Identifier{}, err
		}
	}
	return id, nil
}

// parseAttributes reads the query of a Digital Link URI: the parameters named by an
// application identifier (2 to 4 digits) are data attributes; others (linkType, context
// ...) are the resolver's business and are left out.
func parseAttributes(query string) ([]Attribute, error) {
	if query == "" {
		return nil, nil
	}
	var attrs []Attribute
	seen := map[string]bool{}
	for _, p := range strings.Split(query, "&") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		if len(k) < 2 || len(k) > 4 || !allDigits(k) {
			continue
		}
		switch {
		case k == "00" || k == "01" || qualifierOrder[k] > 0:
			return nil, cxlerr.Errorf(cxlerr.Invalid, "Digital Link URI: AI (%s) is a key or key qualifier: it belongs in the path", k)
		case seen[k]:
			return nil, cxlerr.Errorf(cxlerr.Invalid, "Digital Link URI: data attribute %s given twice", k)
		}
		seen[k] = true
		val, err := unescapeDL(v)
		if err != nil {
			return nil, cxlerr.Errorf(cxlerr.Invalid, "Digital Link URI: AI (%s): %s", k, err)
		}
		if err := validateAttribute(k, val); err != nil {
			return nil, err
		}
		attrs = append(attrs, Attribute{AI: k, Value: val})
	}
	return attrs, nil
}

// escapeDL percent-encodes a value of character set 82 as the Digital Link standard
// writes it: digits, letters, '-', '.' and '_' as they are, every other character as
// %XX.
func escapeDL(v string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '.' || c == '_' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}

// unescapeDL decodes a percent-encoded value of a Digital Link URI. Besides %XX it takes
// the characters a URI path segment may hold as they are (letters, digits, - . _ ~ and the
// sub-delimiters ! $ & ' ( ) * + , ; = : @); the value must then be in character set 82,
// which the caller checks.
func unescapeDL(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
				return "", errf("%q: '%%' must start an escape %%XX", s)
			}
			b.WriteByte(byte(unhex(s[i+1])<<4 | unhex(s[i+2])))
			i += 2
		case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0:
			b.WriteByte(c)
		default:
			return "", errf("%q: character %q must be percent-encoded", s, c)
		}
	}
	return b.String(), nil
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
