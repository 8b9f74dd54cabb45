package cmdutil

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
)

// ParseTime parses a time flag: RFC 3339 ("2025-06-01T12:00:00Z") or a date
// ("2025-06-01", midnight UTC).
func ParseTime(flag, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, UsageErrorf("--%s %q: want a date (2025-06-01) or an RFC 3339 time (2025-06-01T12:00:00Z)", flag, s)
}

// ParseWhen parses a time flag that may also be a duration from now: "72h", "30m", "7d",
// or what ParseTime takes. now is asked only for a duration (a mutation passes its
// MutationOptions.Now, so a repeat under the same idempotency key resolves the same time).
// The result is truncated to the second.
func ParseWhen(flag, s string, now func() (time.Time, error)) (time.Time, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return parseWhenTime(flag, s)
		}
		t, err := now()
		if err != nil {
			return time.Time{}, err
		}
		return t.AddDate(0, 0, n).Truncate(time.Second), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return parseWhenTime(flag, s)
	}
	t, err := now()
	if err != nil {
		return time.Time{}, err
	}
	return t.Add(d).Truncate(time.Second), nil
}

// parseWhenTime is ParseWhen of what is no duration.
func parseWhenTime(flag, s string) (time.Time, error) {
	t, err := ParseTime(flag, s)
	if err != nil {
		return t, UsageErrorf("--%s %q: want a duration from now (72h, 7d), a date (2025-06-01) or an RFC 3339 time", flag, s)
	}
	return t, nil
}

// ParseAmount parses a whole number of minor units (1250 for 12.50) or points.
func ParseAmount(flag, s string) (ledgertypes.Amount, error) {
	a, err := ledgertypes.ParseAmount(s)
	if err != nil {
		return 0, UsageErrorf("--%s %q: want a whole number of minor units (1250 for 12.50)", flag, s)
	}
	return a, nil
}

// DerivedID is an operation ID (a refund's, an earn's, a transfer's reference) made from
// an idempotency key, so that a command repeated with the same key repeats the same
// request: the key itself when it is 1 to 64 letters, digits, '.', '_' or '-', a hash of
// it otherwise.
func DerivedID(key string) string {
	ok := key != "" && len(key) <= 64
	for i := 0; ok && i < len(key); i++ {
		c := key[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
	}
	if ok {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "k-" + hex.EncodeToString(sum[:16])
}

// Caller is a Client that knows the account of the identity it acts as
// ("Org1MSP/User1"): the Fabric transport does, the gateway service does not say.
type Caller interface {
	Account() string
}

// AccountOf returns account when given, else the client's own account, else a usage error
// asking for flag.
func AccountOf(c Client, account, flag string) (string, error) {
	if account != "" {
		return account, nil
	}
	if ca, ok := c.(Caller); ok && ca.Account() != "" {
		return ca.Account(), nil
	}
	return "", UsageErrorf("give --%s MSP/NAME: through the gateway service cxl cannot tell whose account the API key acts for", flag)
}
