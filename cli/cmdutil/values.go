package cmdutil

import (
	"time"
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
