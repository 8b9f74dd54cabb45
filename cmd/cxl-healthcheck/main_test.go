package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProbe(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ok.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	cases := []struct {
		target string
		want   string // "" for healthy, else part of the error
	}{
		{ok.URL + "/healthz", ""},
		{failing.URL + "/healthz", "503"},
		{"tcp://" + l.Addr().String(), ""},
		{"tcp://" + closedAddr, "refused"},
		{"tcp://", "host:port"},
		{"ftp://example.com", "unsupported"},
	}
	for _, tc := range cases {
		err := probe(tc.target)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("probe(%s) = %v, want healthy", tc.target, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("probe(%s) = %v, want an error with %q", tc.target, err, tc.want)
		}
	}
}
