package main

import (
	"strings"
	"testing"
)

func TestRunArguments(t *testing.T) {
	cases := []struct {
		step string
		args []string
		want string
	}{
		{"ccaas-builder", nil, "usage"},
		{"ccaas-builder", []string{"launch", "a"}, "unknown step"},
		{"detect", []string{"only-one"}, "takes 2 directories"},
		{"build", []string{"a", "b"}, "takes 3 directories"},
		{"ccaas-builder", []string{"release", "a"}, "takes 2 directories"},
	}
	for _, tc := range cases {
		err := run(tc.step, tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%s, %v) = %v, want %q", tc.step, tc.args, err, tc.want)
		}
	}
}
