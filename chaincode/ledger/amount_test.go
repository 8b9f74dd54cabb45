package ledger_test

import (
	"math"
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in      string
		want    ledgertypes.Amount
		wantErr string
	}{
		{"0", 0, ""},
		{"1250", 1250, ""},
		{"9223372036854775807", math.MaxInt64, ""},
		{"9223372036854775808", 0, "more than"},
		{"", 0, "1 to 19 decimal digits"},
		{"-5", 0, "decimal digits"},
		{"+5", 0, "decimal digits"},
		{"12.50", 0, "decimal digits"},
		{"1e3", 0, "decimal digits"},
		{" 5", 0, "decimal digits"},
		{"007", 0, "leading zero"},
		{"12345678901234567890", 0, "1 to 19 decimal digits"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ledgertypes.ParseAmount(tt.in)
			if tt.wantErr != "" {
				assertCode(t, err, cxlerr.Invalid, tt.wantErr)
				return
			}
			if err != nil || got != tt.want || got.String() != tt.in {
				t.Fatalf("ParseAmount(%q) = %v, %v", tt.in, got, err)
			}
		})
	}
}

func TestAmountArithmetic(t *testing.T) {
	const maxA = ledgertypes.Amount(math.MaxInt64)
	type op func() (ledgertypes.Amount, error)
	tests := []struct {
		name    string
		op      op
		want    ledgertypes.Amount
		wantErr string
	}{
		{"add", func() (ledgertypes.Amount, error) { return ledgertypes.Amount(2).Add(3) }, 5, ""},
		{"add to max", func() (ledgertypes.Amount, error) { return (maxA - 1).Add(1) }, maxA, ""},
		{"add overflow", func() (ledgertypes.Amount, error) { return maxA.Add(1) }, 0, "overflows"},
		{"add negative", func() (ledgertypes.Amount, error) { return ledgertypes.Amount(-1).Add(1) }, 0, "negative operand"},
		{"sub", func() (ledgertypes.Amount, error) { return ledgertypes.Amount(5).Sub(3) }, 2, ""},
		{"sub to zero", func() (ledgertypes.Amount, error) { return ledgertypes.Amount(5).Sub(5) }, 0, ""},
		{"sub below zero", func() (ledgertypes.Amount, error) { return ledgertypes.Amount(3).Sub(5) }, 0, "is negative"},
		{"sub negative", func() (ledgertypes.Amount, error) { return ledgertypes.Amount(3).Sub(-5) }, 0, "negative operand"},
		{"mul", func() (ledgertypes.Amount, error) { return ledgertypes.Amount(250).Mul(4) }, 1000, ""},
		{"mul zero", func() (ledgertypes.Amount, error) { return maxA.Mul(0) }, 0, ""},
		{"mul overflow", func() (ledgertypes.Amount, error) { return (maxA/2 + 1).Mul(2) }, 0, "overflows"},
		{"mul overflow high word", func() (ledgertypes.Amount, error) { return maxA.Mul(math.MaxInt64) }, 0, "overflows"},
		{"mul negative", func() (ledgertypes.Amount, error) { return ledgertypes.Amount(2).Mul(-1) }, 0, "negative operand"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.op()
			if tt.wantErr != "" {
				assertCode(t, err, cxlerr.Invalid, tt.wantErr)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestValidateAmountAndCurrency(t *testing.T) {
	if err := ledgertypes.ValidateAmount("price", 1); err != nil {
		t.Fatal(err)
	}
	assertCode(t, ledgertypes.ValidateAmount("price", 0), cxlerr.Invalid, "price: must be a positive number")
	assertCode(t, ledgertypes.ValidateAmount("price", -3), cxlerr.Invalid, "got -3")
	for _, ok := range []string{"EUR", "USD", "JPY"} {
		if err := ledgertypes.ValidateCurrency(ok); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []string{"", "eur", "EURO", "E1R", "€UR"} {
		assertCode(t, ledgertypes.ValidateCurrency(bad), cxlerr.Invalid, "three upper-case letters")
	}
}
