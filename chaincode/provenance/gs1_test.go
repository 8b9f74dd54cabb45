package provenance_test

import (
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
)

func TestNormalizeGTIN(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{"09506000134352", "09506000134352", ""},
		{"9506000134352", "09506000134352", ""},
		{"036000291452", "00036000291452", ""},
		{"96385074", "00000096385074", ""},
		{"10614141000415", "10614141000415", ""},
		{"09506000134353", "", "check digit 3, want 2"},
		{"96385075", "", "check digit 5, want 4"},
		{"0950600013435", "", "check digit"},
		{"00000000000000", "", "all zeros"},
		{"0950600013435a", "", "only digits"},
		{"1234567", "", "8, 12, 13 or 14 digits"},
		{"095060001343520", "", "8, 12, 13 or 14 digits"},
		{"", "", "8, 12, 13 or 14 digits"},
		{" 9506000134352", "", "only digits"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := provenance.NormalizeGTIN("gtin", tt.in)
			if tt.wantErr != "" {
				if cxlerr.CodeOf(err) != cxlerr.Invalid || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "gtin: ") {
					t.Fatalf("error %v, want INVALID containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("NormalizeGTIN(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestLotAndSerialNumbers(t *testing.T) {
	for _, ok := range []string{"L1", "ABC-123/x.y", `!"%&'()*+,-./:;<=>?_`, strings.Repeat("9", 20)} {
		if err := provenance.ValidateLotNumber("lot", ok); err != nil {
			t.Errorf("lot %q: %v", ok, err)
		}
		if err := provenance.ValidateSerial("serial", ok); err != nil {
			t.Errorf("serial %q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", strings.Repeat("9", 21), "L 1", "L#1", "Lé", "L\x00", "L$", "L@", "L[1]"} {
		if err := provenance.ValidateLotNumber("lot", bad); cxlerr.CodeOf(err) != cxlerr.Invalid || !strings.HasPrefix(err.Error(), "INVALID: lot: lot number") {
			t.Errorf("lot %q: %v", bad, err)
		}
		if err := provenance.ValidateSerial("serials[2]", bad); cxlerr.CodeOf(err) != cxlerr.Invalid || !strings.HasPrefix(err.Error(), "INVALID: serials[2]: serial number") {
			t.Errorf("serial %q: %v", bad, err)
		}
	}
}
