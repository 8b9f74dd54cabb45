package gs1_test

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gs1"
)

// The test identifiers are made up for these tests; their check digits are computed by
// hand (weights 3,1,3,... from the right).
const (
	gtin14 = "09506000134352" // company prefix 9506000 (7 digits), item ref 13435
	gtin13 = "9506000134352"
	gtin12 = "036000291452"
	gtin8  = "96385074"
	sscc   = "106141412345678908" // company prefix 0614141, serial ref 1 + 234567890
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want gs1.Identifier
		kind gs1.Kind
	}{
		{"https://id.gs1.org/01/" + gtin14, gs1.Identifier{GTIN: gtin14}, gs1.Product},
		{"https://example.com/01/" + gtin13, gs1.Identifier{GTIN: gtin14}, gs1.Product},
		{"HTTP://Example.COM:8080/01/" + gtin12, gs1.Identifier{GTIN: "00036000291452"}, gs1.Product},
		{"/01/" + gtin8, gs1.Identifier{GTIN: "00000096385074"}, gs1.Product},
		{"https://brand.example/shop/products/01/" + gtin14 + "/10/L1", gs1.Identifier{GTIN: gtin14, Lot: "L1"}, gs1.Lot},
		{"https://x.example/01/" + gtin14 + "/21/S1", gs1.Identifier{GTIN: gtin14, Serial: "S1"}, gs1.Item},
		{"https://x.example/01/" + gtin14 + "/22/V2/10/L1/21/S1", gs1.Identifier{GTIN: gtin14, CPV: "V2", Lot: "L1", Serial: "S1"}, gs1.Item},
		{"https://x.example/01/" + gtin14 + "/10/A%2FB%25C%26D/21/x%3Fy%3D%22z%22", gs1.Identifier{GTIN: gtin14, Lot: "A/B%C&D", Serial: `x?y="z"`}, gs1.Item},
		// Sub-delimiters may come unencoded in a path segment.
		{"https://x.example/01/" + gtin14 + "/21/a!b(c)*+,;=:'", gs1.Identifier{GTIN: gtin14, Serial: "a!b(c)*+,;=:'"}, gs1.Item},
		{"https://x.example/01/" + gtin14 + "/21/S1?17=270101&linkType=all&3103=000500#top",
			gs1.Identifier{GTIN: gtin14, Serial: "S1", Attributes: []gs1.Attribute{{AI: "17", Value: "270101"}, {AI: "3103", Value: "000500"}}}, gs1.Item},
		{"https://x.example/00/" + sscc, gs1.Identifier{SSCC: sscc}, gs1.Container},
		// A path prefix may itself look like a key: the first whole Digital Link path counts.
		{"https://x.example/01/a/01/" + gtin14, gs1.Identifier{GTIN: gtin14}, gs1.Product},

		{"urn:epc:id:sgtin:9506000.013435.S1", gs1.Identifier{GTIN: gtin14, Serial: "S1", CompanyPrefixLen: 7}, gs1.Item},
		{"URN:EPC:id:sgtin:950600.0013435.S1", gs1.Identifier{GTIN: gtin14, Serial: "S1", CompanyPrefixLen: 6}, gs1.Item},
		{"urn:epc:id:sgtin:950600013435.0.S1", gs1.Identifier{GTIN: gtin14, Serial: "S1", CompanyPrefixLen: 12}, gs1.Item},
		{"urn:epc:id:sgtin:9506000.013435.A%2FB%22%25%26%3C%3E%3F!*", gs1.Identifier{GTIN: gtin14, Serial: `A/B"%&<>?!*`, CompanyPrefixLen: 7}, gs1.Item},
		{"urn:epc:id:sgtin:9506000.013435.S1.x", gs1.Identifier{GTIN: gtin14, Serial: "S1.x", CompanyPrefixLen: 7}, gs1.Item},
		{"urn:epc:class:lgtin:9506000.013435.L-7", gs1.Identifier{GTIN: gtin14, Lot: "L-7", CompanyPrefixLen: 7}, gs1.Lot},
		{"urn:epc:idpat:sgtin:9506000.013435.*", gs1.Identifier{GTIN: gtin14, CompanyPrefixLen: 7}, gs1.Product},
		{"urn:epc:id:sscc:0614141.1234567890", gs1.Identifier{SSCC: sscc, CompanyPrefixLen: 7}, gs1.Container},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := gs1.Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) || got.Kind() != tt.kind {
				t.Fatalf("Parse(%q) = %+v (%v), want %+v (%v)", tt.in, got, got.Kind(), tt.want, tt.kind)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	long := "https://x.example/01/" + gtin14 + "/21/S1?99=" + strings.Repeat("a", gs1.MaxLen)
	tests := []struct{ in, want string }{
		{"", "neither"},
		{"09506000134352", "neither"},
		{"ftp://x.example/01/" + gtin14, "neither"},
		{"https:///01/" + gtin14, "host"},
		{"https://us er@x/01/" + gtin14, "host"},
		{"https://x.example/", "no primary key"},
		{"https://x.example/01", "no primary key"},
		{"https://x.example/02/" + gtin14, "no primary key"},
		{"https://x.example/01/09506000134353", "check digit 3, want 2"},
		{"https://x.example/01/0950600013435", "check digit"},
		{"https://x.example/01/123456789", "8, 12, 13 or 14 digits"},
		{"https://x.example/01/095060001343520", "8, 12, 13 or 14 digits"},
		{"https://x.example/01/00000000000000", "all zeros"},
		{"https://x.example/01/0950600013435a", "only digits"},
		{"https://x.example/01/%30%39506000134352", ""}, // encoded digits are still digits: accepted below
		{"https://x.example/01/" + gtin14 + "/", "no primary key"},
		{"https://x.example/01/" + gtin14 + "/21/S1/10/L1", "out of order"},
		{"https://x.example/01/" + gtin14 + "/10/L1/22/V", "out of order"},
		{"https://x.example/01/" + gtin14 + "/21/S1/21/S2", "out of order"},
		{"https://x.example/01/" + gtin14 + "/17/270101", "not a key qualifier"},
		{"https://x.example/01/" + gtin14 + "/21/" + strings.Repeat("9", 21), "1 to 20 characters"},
		{"https://x.example/01/" + gtin14 + "/10/", "1 to 20 characters"},
		{"https://x.example/01/" + gtin14 + "/21/S%201", "outside the GS1 character set 82"},
		{"https://x.example/01/" + gtin14 + "/21/S%7E1", "outside the GS1 character set 82"},
		{"https://x.example/01/" + gtin14 + "/21/S~1", "outside the GS1 character set 82"},
		{"https://x.example/01/" + gtin14 + "/21/S%C3%A91", "outside the GS1 character set 82"},
		{"https://x.example/01/" + gtin14 + "/21/S%FF", "outside the GS1 character set 82"},
		{"https://x.example/01/" + gtin14 + "/21/S%2", "escape"},
		{"https://x.example/01/" + gtin14 + "/21/S%zz", "escape"},
		{"https://x.example/01/" + gtin14 + "/21/S\"1", "must be percent-encoded"},
		{"https://x.example/01/" + gtin14 + "/21/S<1>", "must be percent-encoded"},
		{"https://x.example/01/" + gtin14 + "/21/S\x001", "must be percent-encoded"},
		{"https://x.example/01/" + gtin14 + "/21/S\xff1", "not valid UTF-8"},
		{"https://x.example/01/" + gtin14 + "/21/Sé", "must be percent-encoded"},
		{"https://x.example/01/" + gtin14 + "?21=S1", "belongs in the path"},
		{"https://x.example/01/" + gtin14 + "?10=L1", "belongs in the path"},
		{"https://x.example/01/" + gtin14 + "?17=1&17=2", "twice"},
		{"https://x.example/01/" + gtin14 + "?17=", "1 to 90 characters"},
		{"https://x.example/01/" + gtin14 + "?17=a%20b", "character set 82"},
		{"https://x.example/00/106141412345678909", "check digit 9, want 8"},
		{"https://x.example/00/10614141234567890", "18 digits"},
		{"https://x.example/00/" + sscc + "/21/S1", "no key qualifier"},
		{long, "at most 2048"},

		{"urn:isbn:0451450523", "not an EPC URN"},
		{"urn:epc:id:sgln:9506000.01345.0", "only sgtin"},
		{"urn:epc:id:sgtin:9506000.013435", "3 fields"},
		{"urn:epc:id:sgtin:95060.0013435.S1", "6 to 12"},
		{"urn:epc:id:sgtin:9506000134352.0.S1", "6 to 12"},
		{"urn:epc:id:sgtin:9506000.01343.S1", "want 13"},
		{"urn:epc:id:sgtin:9506000.0134a5.S1", "digits"},
		{"urn:epc:id:sgtin:0000000.000000.S1", "all zeros"},
		{"urn:epc:id:sgtin:9506000.013435.", "1 to 20 characters"},
		{"urn:epc:id:sgtin:9506000.013435." + strings.Repeat("s", 21), "1 to 20 characters"},
		{"urn:epc:id:sgtin:9506000.013435.A/B", "not allowed"},
		{"urn:epc:id:sgtin:9506000.013435.A%21", "holds as it is"},
		{"urn:epc:id:sgtin:9506000.013435.A%2", "escape"},
		{"urn:epc:id:sgtin:9506000.013435.A B", "not allowed"},
		{"urn:epc:id:sgtin:9506000.013435.Aé", "not allowed"},
		{"urn:epc:idpat:sgtin:9506000.013435.S1", "ends in .*"},
		{"urn:epc:idpat:sgtin:9506000.*.*", "digits"},
		{"urn:epc:id:sscc:0614141.123456789", "want 17"},
		{"urn:epc:id:sscc:0614141.1234567890.1", "must be digits"},
		{"urn:epc:id:sscc:06141411234567890", "2 fields"},
	}
	for _, tt := range tests {
		if tt.want == "" {
			continue
		}
		t.Run(tt.in[:min(len(tt.in), 80)], func(t *testing.T) {
			id, err := gs1.Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error containing %q", tt.in, id, tt.want)
			}
			if cxlerr.CodeOf(err) != cxlerr.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%q): %v, want INVALID containing %q", tt.in, err, tt.want)
			}
		})
	}
	if id, err := gs1.Parse("https://x.example/01/%30%39506000134352"); err != nil || id.GTIN != gtin14 {
		t.Fatalf("percent-encoded digits: %+v %v", id, err)
	}
}

func TestFormat(t *testing.T) {
	id := gs1.Identifier{GTIN: gtin14, CPV: "V 1"[:1], Lot: "A/B", Serial: `x"%&<>?!*+`,
		Attributes: []gs1.Attribute{{AI: "17", Value: "270101"}, {AI: "7240", Value: "a,b"}}}
	if got, want := id.DigitalLink("https://r.example/p/"), "https://r.example/p/01/09506000134352/22/V/10/A%2FB/21/x%22%25%26%3C%3E%3F%21%2A%2B?17=270101&7240=a%2Cb"; got != want {
		t.Errorf("DigitalLink = %s\nwant          %s", got, want)
	}
	if got := (gs1.Identifier{GTIN: gtin14}).DigitalLink(""); got != "https://id.gs1.org/01/09506000134352" {
		t.Errorf("default base: %s", got)
	}
	tests := []struct {
		id   gs1.Identifier
		l    int
		want string
	}{
		{gs1.Identifier{GTIN: gtin14, Serial: `x"%&/<>?!*`}, 7, `urn:epc:id:sgtin:9506000.013435.x%22%25%26%2F%3C%3E%3F!*`},
		{gs1.Identifier{GTIN: gtin14, Lot: "L1", Serial: "S1"}, 7, "urn:epc:id:sgtin:9506000.013435.S1"},
		{gs1.Identifier{GTIN: gtin14, Serial: "S1", CompanyPrefixLen: 9}, 0, "urn:epc:id:sgtin:950600013.0435.S1"},
		{gs1.Identifier{GTIN: gtin14, Serial: "S1", CompanyPrefixLen: 9}, 12, "urn:epc:id:sgtin:950600013435.0.S1"},
		{gs1.Identifier{GTIN: gtin14, Lot: "L1"}, 6, "urn:epc:class:lgtin:950600.0013435.L1"},
		{gs1.Identifier{GTIN: gtin14}, 7, "urn:epc:idpat:sgtin:9506000.013435.*"},
		{gs1.Identifier{SSCC: sscc}, 7, "urn:epc:id:sscc:0614141.1234567890"},
	}
	for _, tt := range tests {
		got, err := tt.id.EPC(tt.l)
		if err != nil || got != tt.want {
			t.Errorf("%+v.EPC(%d) = %s, %v; want %s", tt.id, tt.l, got, err, tt.want)
		}
	}
	for _, bad := range []struct {
		id   gs1.Identifier
		l    int
		want string
	}{
		{gs1.Identifier{GTIN: gtin14, Serial: "S1"}, 0, "is needed"},
		{gs1.Identifier{GTIN: gtin14, Serial: "S1"}, 5, "6 to 12"},
		{gs1.Identifier{GTIN: gtin14, Serial: "S1"}, 13, "6 to 12"},
		{gs1.Identifier{GTIN: gtin14, CPV: "V"}, 7, "no EPC form"},
		{gs1.Identifier{}, 7, "empty"},
	} {
		if got, err := bad.id.EPC(bad.l); err == nil || cxlerr.CodeOf(err) != cxlerr.Invalid || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v.EPC(%d) = %q, %v; want INVALID %q", bad.id, bad.l, got, err, bad.want)
		}
	}
}

// randomIdentifier is a valid identifier of any kind with values drawn from the whole of
// character set 82.
func randomIdentifier(r *rand.Rand) gs1.Identifier {
	const set82 = `!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`
	value := func(n int) string {
		b := make([]byte, 1+r.IntN(n))
		for i := range b {
			b[i] = set82[r.IntN(len(set82))]
		}
		return string(b)
	}
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		return string(b)
	}
	var id gs1.Identifier
	if r.IntN(8) == 0 {
		s := digits(17)
		id.SSCC = s + string(gs1.CheckDigit(s))
	} else {
		g := "1" + digits(12)
		id.GTIN = g + string(gs1.CheckDigit(g))
		if r.IntN(4) == 0 {
			id.CPV = value(20)
		}
		if r.IntN(2) == 0 {
			id.Lot = value(20)
		}
		if r.IntN(2) == 0 {
			id.Serial = value(20)
		}
	}
	for _, ai := range []string{"11", "17", "7003", "8008"} {
		if r.IntN(3) == 0 {
			id.Attributes = append(id.Attributes, gs1.Attribute{AI: ai, Value: value(90)})
		}
	}
	return id
}

// TestRoundTrips checks, for random valid identifiers, that Parse reads back what
// DigitalLink and EPC write, and that the two forms convert into each other.
func TestRoundTrips(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		id := randomIdentifier(r)
		dl := id.DigitalLink("https://resolver.example/some/prefix")
		back, err := gs1.Parse(dl)
		if err != nil || !reflect.DeepEqual(back, id) {
			t.Fatalf("Parse(DigitalLink(%+v)) = %+v, %v\n%s", id, back, err, dl)
		}
		if id.CPV != "" {
			continue
		}
		l := 6 + r.IntN(7)
		urn, err := id.EPC(l)
		if err != nil {
			t.Fatalf("EPC(%+v, %d): %v", id, l, err)
		}
		fromURN, err := gs1.Parse(urn)
		if err != nil {
			t.Fatalf("Parse(%s): %v", urn, err)
		}
		want := gs1.Identifier{GTIN: id.GTIN, SSCC: id.SSCC, Serial: id.Serial, CompanyPrefixLen: l}
		if id.Serial == "" {
			want.Lot = id.Lot // an sgtin does not carry its lot; an lgtin is the lot
		}
		if !reflect.DeepEqual(fromURN, want) {
			t.Fatalf("Parse(%s) = %+v, want %+v", urn, fromURN, want)
		}
		again, err := fromURN.EPC(0)
		if err != nil || again != urn {
			t.Fatalf("EPC of %s read back: %s, %v", urn, again, err)
		}
		if dl2 := fromURN.DigitalLink(""); !strings.HasPrefix(dl2, gs1.DefaultBase+"/0") {
			t.Fatalf("Digital Link of %s: %s", urn, dl2)
		}
	}
}

// FuzzParse checks that whatever Parse accepts it writes back as a Digital Link URI it
// reads as the same identifier, and as an EPC URN that names the same thing.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"https://id.gs1.org/01/09506000134352/10/L1/21/S1?17=270101",
		"/01/96385074/21/a%2Fb",
		"urn:epc:id:sgtin:9506000.013435.S%2F1",
		"urn:epc:class:lgtin:9506000.013435.L1",
		"urn:epc:idpat:sgtin:9506000.013435.*",
		"urn:epc:id:sscc:0614141.1234567890",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := gs1.Parse(s)
		if err != nil {
			if cxlerr.CodeOf(err) != cxlerr.Invalid {
				t.Fatalf("Parse(%q): %v is not INVALID", s, err)
			}
			return
		}
		if id.Kind() == gs1.Invalid {
			t.Fatalf("Parse(%q) accepted an empty identifier", s)
		}
		dl := id.DigitalLink("https://r.example")
		back, err := gs1.Parse(dl)
		back.CompanyPrefixLen = id.CompanyPrefixLen
		if err != nil || !reflect.DeepEqual(back, id) {
			t.Fatalf("Parse(%q) = %+v; its Digital Link %s reads as %+v, %v", s, id, dl, back, err)
		}
		if id.CPV != "" {
			return
		}
		urn, err := id.EPC(7)
		if err != nil {
			t.Fatalf("EPC of %+v: %v", id, err)
		}
		fromURN, err := gs1.Parse(urn)
		if err != nil || fromURN.GTIN != id.GTIN || fromURN.SSCC != id.SSCC || fromURN.Serial != id.Serial {
			t.Fatalf("EPC %s of %+v reads as %+v, %v", urn, id, fromURN, err)
		}
	})
}
