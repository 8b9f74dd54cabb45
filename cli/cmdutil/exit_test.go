package cmdutil

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodeOf(t *testing.T) {
	cases := []struct {
		err  error
		want ExitCode
	}{
		{nil, ExitOK},
		{errors.New("boom"), ExitFailure},
		{UsageErrorf("bad flag"), ExitUsage},
		{fmt.Errorf("wrapped: %w", &ExitError{Code: ExitConflict, Err: errors.New("taken")}), ExitConflict},
	}
	for _, tc := range cases {
		if got := CodeOf(tc.err); got != tc.want {
			t.Errorf("CodeOf(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
