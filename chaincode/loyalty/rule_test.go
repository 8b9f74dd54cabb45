package loyalty

import (
	"math"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

func TestMulDiv(t *testing.T) {
	tests := []struct {
		a, b, c ledgertypes.Amount
		want    ledgertypes.Amount
		code    cxlerr.Code
	}{
		{1250, 1, 100, 12, ""},
		{99, 1, 100, 0, ""},
		{math.MaxInt64, 3, 3, math.MaxInt64, ""}, // 128-bit intermediate
		{math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64, ""},
		{math.MaxInt64, 2, 1, 0, cxlerr.Invalid},
		{1 << 62, 4, 1, 0, cxlerr.Invalid},
		{-1, 1, 1, 0, cxlerr.Internal},
		{1, 1, 0, 0, cxlerr.Internal},
	}
	for _, tt := range tests {
		got, err := MulDiv("x", tt.a, tt.b, tt.c)
		if cxlerr.CodeOf(err) != tt.code || got != tt.want {
			t.Errorf("mulDiv(%d, %d, %d) = %d, %v; want %d, code %q", tt.a, tt.b, tt.c, got, err, tt.want, tt.code)
		}
	}
}

func TestEarnRule(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rule := EarnRule{
		Points: 1, Per: 100,
		Tiers: []EarnTier{{MinAmount: 10000, Points: 3, Per: 200}, {MinAmount: 50000, Points: 2, Per: 100}},
		Multipliers: []EarnMultiplier{
			{From: jan, Until: jan.AddDate(0, 1, 0), Percent: 200},
			{From: jan.AddDate(0, 0, 10), Until: jan.AddDate(0, 0, 11), Percent: 300},
			{From: jan, Until: jan.AddDate(1, 0, 0), Percent: 150},
		},
	}
	tests := []struct {
		name   string
		amount ledgertypes.Amount
		at     time.Time
		want   ledgertypes.Amount
	}{
		{"base rate rounds down", 1299, jan.AddDate(0, 2, 0), 12 * 150 / 100},
		{"first tier", 10000, jan.AddDate(0, 2, 0), 150 * 150 / 100},
		{"second tier", 60000, jan.AddDate(0, 2, 0), 1200 * 150 / 100},
		{"largest multiplier wins", 1000, jan.AddDate(0, 0, 10), 30},
		{"double in January", 1000, jan, 20},
		{"until is exclusive", 1000, jan.AddDate(0, 1, 0), 15},
		{"before every campaign", 1000, jan.Add(-time.Nanosecond), 10},
		{"after every campaign", 1000, jan.AddDate(1, 0, 0), 10},
		{"too small to earn", 99, jan.AddDate(1, 0, 0), 0},
	}
	for _, tt := range tests {
		got, err := rule.PointsFor(tt.amount, tt.at)
		if err != nil || got != tt.want {
			t.Errorf("%s: pointsFor(%d) = %d, %v; want %d", tt.name, tt.amount, got, err, tt.want)
		}
	}
	big := EarnRule{Points: math.MaxInt64, Per: 1}
	if _, err := big.PointsFor(2, jan); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Errorf("overflowing earn: %v", err)
	}
	doubled := EarnRule{Points: math.MaxInt64 / 2, Per: 1, Multipliers: []EarnMultiplier{{From: jan, Until: jan.AddDate(0, 0, 1), Percent: 10000}}}
	if _, err := doubled.PointsFor(1, jan); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Errorf("overflowing multiplier: %v", err)
	}
}

func TestValidateProgramID(t *testing.T) {
	for id, ok := range map[string]bool{
		"acme": true, "Acme.Miles_2026-x": true, "a": true,
		"": false, ".acme": false, "-acme": false, "acme pts": false, "acme/pts": false, "acmé": false,
		"a23456789012345678901234567890123": false, "a2345678901234567890123456789012": true,
	} {
		if err := validateProgramID("id", id); (err == nil) != ok {
			t.Errorf("validateProgramID(%q) = %v, want ok=%v", id, err, ok)
		}
	}
}
