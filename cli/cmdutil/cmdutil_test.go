package cmdutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/spf13/cobra"
)

// Every code of the ledger's vocabulary has an exit code of its own, each one of the
// documented ones, and the one that scripts expect.
func TestEveryLedgerCodeHasADocumentedExitCode(t *testing.T) {
	documented := map[ExitCode]bool{}
	for _, c := range ExitCodes {
		documented[c.Code] = true
	}
	want := map[cxlerr.Code]ExitCode{
		cxlerr.Invalid: ExitUsage, cxlerr.TooLarge: ExitUsage, cxlerr.NotFound: ExitNotFound,
		cxlerr.Forbidden: ExitForbidden, cxlerr.Unauthenticated: ExitForbidden,
		cxlerr.Conflict: ExitConflict, cxlerr.Expired: ExitConflict, cxlerr.InsufficientFunds: ExitConflict,
		cxlerr.IdempotencyMismatch: ExitConflict, cxlerr.RateLimited: ExitRetryable, cxlerr.Unavailable: ExitRetryable,
		cxlerr.Timeout: ExitRetryable, cxlerr.Pending: ExitPending, cxlerr.Internal: ExitFailure,
	}
	for _, code := range cxlerr.Codes() {
		exit, ok := exitCodes[code]
		if !ok {
			t.Errorf("%s has no exit code: add it to exitCodes and to `cxl help exit-codes`", code)
			continue
		}
		if !documented[exit] {
			t.Errorf("%s maps to %d, which `cxl help exit-codes` does not document", code, exit)
		}
		if w, ok := want[code]; !ok || w != exit {
			t.Errorf("%s: exit %d, want %d (a new code needs its expected exit code here)", code, exit, w)
		}
		err := fmt.Errorf("wrapped: %w", cxlerr.Errorf(code, "x"))
		if got := CodeOf(err); got != exit {
			t.Errorf("%s: CodeOf gives exit %d, want %d", code, got, exit)
		}
	}
	if len(exitCodes) != len(cxlerr.Codes()) {
		t.Errorf("exitCodes maps %d codes, the vocabulary has %d", len(exitCodes), len(cxlerr.Codes()))
	}
	retryConflict := cxlerr.Errorf(cxlerr.Conflict, "in progress")
	retryConflict.Retryable = true
	if got := CodeOf(retryConflict); got != ExitRetryable {
		t.Errorf("a retryable conflict: exit %d, want %d", got, ExitRetryable)
	}
	if got := CodeOf(fmt.Errorf("x: %w", context.DeadlineExceeded)); got != ExitRetryable {
		t.Errorf("deadline: exit %d", got)
	}
}

func TestOneLineKeepsTheCode(t *testing.T) {
	err := OneLine(fmt.Errorf("first\n  second:\t%w", cxlerr.Errorf(cxlerr.NotFound, "no such\nthing")))
	if strings.Contains(err.Error(), "\n") || err.Error() != "first second: NOT_FOUND: no such thing" {
		t.Fatalf("OneLine = %q", err)
	}
	if CodeOf(err) != ExitNotFound {
		t.Fatalf("code = %d", CodeOf(err))
	}
	if OneLine(nil) != nil {
		t.Fatal("OneLine(nil) != nil")
	}
	plain := errors.New("fine")
	if OneLine(plain) != plain {
		t.Fatal("a one-line error should come back unchanged")
	}
}

func TestJSONFields(t *testing.T) {
	type inner struct {
		A string `json:"a"`
	}
	type outer struct {
		inner
		B      int    `json:"b,omitempty"`
		Hidden string `json:"-"`
		C      []int
		d      int
	}
	if got := JSONFields(reflect.TypeOf([]*outer{})); !reflect.DeepEqual(got, []string{"C", "a", "b"}) {
		t.Fatalf("fields = %v", got)
	}
	if JSONFields(reflect.TypeOf(3)) != nil {
		t.Fatal("a number has no fields")
	}
}

func TestTable(t *testing.T) {
	var out bytes.Buffer
	io := &IOStreams{Out: &out, OutTTY: true}
	tb := NewTable(io, "NAME", "STATE")
	tb.Row("a", "")
	tb.Row("longer", "ok")
	if err := tb.Render(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "NAME    STATE\na       -\nlonger  ok\n" {
		t.Fatalf("terminal table:\n%s", out.String())
	}
	out.Reset()
	io.OutTTY = false
	if err := tb.Render(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "a\t\nlonger\tok\n" {
		t.Fatalf("piped table: %q", out.String())
	}
}

func TestPrintFields(t *testing.T) {
	var out bytes.Buffer
	io := &IOStreams{Out: &out}
	if err := PrintFields(io, Field{"Name", "x"}, Field{"Empty", ""}, Field{"Held By", "y"}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "name:\tx\nheld by:\ty\n" {
		t.Fatalf("fields: %q", out.String())
	}
}

func TestMutationFlags(t *testing.T) {
	cases := []struct {
		args    []string
		wait    bool
		key     string
		timeout time.Duration
		wantErr string
	}{
		{args: nil, wait: true, timeout: DefaultTimeout},
		{args: []string{"--no-wait", "--idempotency-key", "k-1", "--timeout", "5s"}, wait: false, key: "k-1", timeout: 5 * time.Second},
		{args: []string{"--wait", "--no-wait"}, wantErr: "choose one"},
		{args: []string{"--idempotency-key", "has space"}, wantErr: "printable"},
		{args: []string{"--idempotency-key", strings.Repeat("k", 129)}, wantErr: "128"},
		{args: []string{"--timeout", "0s"}, wantErr: "positive"},
	}
	for _, tc := range cases {
		var m MutationOptions
		cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
		AddMutationFlags(cmd, &m)
		cmd.SetArgs(tc.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || CodeOf(err) != ExitUsage {
				t.Errorf("%v: err = %v, want a usage error with %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil || m.Wait != tc.wait || m.IdempotencyKey != tc.key || m.Timeout != tc.timeout {
			t.Errorf("%v: %+v, err %v", tc.args, m, err)
		}
	}
}

func TestKeyIsGeneratedAndPrinted(t *testing.T) {
	var errOut bytes.Buffer
	m := MutationOptions{}
	k := m.Key(&IOStreams{ErrOut: &errOut})
	if len(k) != 36 || !strings.Contains(errOut.String(), "--idempotency-key "+k) {
		t.Fatalf("key %q, stderr %q", k, errOut.String())
	}
	errOut.Reset()
	if m.Key(&IOStreams{ErrOut: &errOut}) != k || errOut.Len() != 0 {
		t.Fatal("a key is made once and printed once")
	}
}

func TestConfigRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cxl", "config.yaml")
	c, err := LoadConfig(path)
	if err != nil || len(c.Profiles) != 0 {
		t.Fatalf("missing file: %v %v", c, err)
	}
	c.Profiles["a"] = &Profile{Gateway: "http://x", APIKey: "k"}
	c.Current = "a"
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file mode %v, err %v; want 0600", fi.Mode().Perm(), err)
	}
	back, err := LoadConfig(path)
	if err != nil || back.Current != "a" || back.Profiles["a"].APIKey != "k" {
		t.Fatalf("reloaded %+v, %v", back, err)
	}
	if err := os.WriteFile(path, []byte("profiles:\n  a: {gatway: x}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path); CodeOf(err) != ExitUsage || strings.Contains(err.Error(), "\n") {
		t.Fatalf("unknown field: %v (exit %d), want one usage line", err, CodeOf(err))
	}
}

func TestProfileValidate(t *testing.T) {
	cases := []struct {
		p       Profile
		wantErr string
	}{
		{Profile{Gateway: "http://127.0.0.1:8080"}, ""},
		{Profile{Gateway: "127.0.0.1:8080"}, "http://"},
		{Profile{Peer: "p:1", TLSRootCert: "t", MSPID: "M", Cert: "c", Key: "k"}, ""},
		{Profile{Peer: "p:1", MSPID: "M"}, "--tls-root-cert, --cert, --key"},
		{Profile{Gateway: "http://x", Peer: "p:1"}, "one transport"},
		{Profile{}, "neither"},
	}
	for _, tc := range cases {
		err := tc.p.Validate()
		if (tc.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%+v: %v, want %q", tc.p, err, tc.wantErr)
		}
	}
}

func TestExactArgsAndGroup(t *testing.T) {
	leaf := &cobra.Command{Use: "show", Args: ExactArgs("GTIN"), RunE: func(*cobra.Command, []string) error { return nil }}
	group := Group(&cobra.Command{Use: "product"})
	group.AddCommand(leaf)
	for _, args := range [][]string{{"show"}, {"show", "a", "b"}, {"shwo"}, {"frob"}} {
		group.SetArgs(args)
		group.SetOut(&bytes.Buffer{})
		group.SetErr(&bytes.Buffer{})
		group.SilenceErrors, group.SilenceUsage = true, true
		err := group.Execute()
		if CodeOf(err) != ExitUsage {
			t.Errorf("%v: %v (exit %d), want a usage error", args, err, CodeOf(err))
		}
	}
	group.SetArgs([]string{"shwo"})
	if err := group.Execute(); err == nil || !strings.Contains(err.Error(), "did you mean show") {
		t.Errorf("a misspelt command suggests the right one: %v", err)
	}
}

func TestParseTime(t *testing.T) {
	if tm, err := ParseTime("until", "2026-01-02"); err != nil || !tm.Equal(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("date: %v %v", tm, err)
	}
	if _, err := ParseTime("until", "2026-01-02T03:04:05+01:00"); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseTime("until", "tomorrow"); CodeOf(err) != ExitUsage || !strings.Contains(err.Error(), "--until") {
		t.Fatalf("bad time: %v", err)
	}
}

func TestBar(t *testing.T) {
	if got := Bar("reg", 5, 10, 10); got != "reg [=====>    ] 5/10" {
		t.Fatalf("bar = %q", got)
	}
}

func TestPaginate(t *testing.T) {
	items := make([]int, 250)
	for i := range items {
		items[i] = i
	}
	var sizes []int
	fetch := func(size int, bookmark string) ([]int, string, error) {
		sizes = append(sizes, size)
		from := 0
		fmt.Sscan(bookmark, &from)
		to := min(from+size, len(items))
		next := ""
		if to < len(items) {
			next = fmt.Sprint(to)
		}
		return items[from:to], next, nil
	}
	got, next, err := Paginate(230, "", fetch)
	if err != nil || len(got) != 230 || got[229] != 229 || next != "230" || fmt.Sprint(sizes) != "[100 100 30]" {
		t.Fatalf("230 of 250: %d items, next %q, sizes %v, %v", len(got), next, sizes, err)
	}
	sizes = nil
	got, next, _ = Paginate(1000, "200", fetch)
	if len(got) != 50 || got[0] != 200 || next != "" {
		t.Fatalf("from 200: %d items from %d, next %q", len(got), got[0], next)
	}
	if _, _, err := Paginate(10, "", func(int, string) ([]int, string, error) { return nil, "", errors.New("boom") }); err == nil {
		t.Fatal("an error is returned")
	}
}

// Now resolves once per idempotency key and command line, and keeps the first line's time.
func TestNowIsFixedPerKey(t *testing.T) {
	dir := t.TempDir()
	clock := time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC)
	f := &Factory{IO: &IOStreams{ErrOut: &bytes.Buffer{}},
		Config: func() (*Config, error) { return LoadConfig(filepath.Join(dir, "config.yaml")) },
		Now:    func() time.Time { clock = clock.Add(time.Hour); return clock }}
	now := func(key string, args ...string) time.Time {
		t.Helper()
		var m MutationOptions
		var got time.Time
		cmd := &cobra.Command{Use: "place", RunE: func(*cobra.Command, []string) error {
			var err error
			got, err = m.Now(f)
			return err
		}}
		AddMutationFlags(cmd, &m)
		cmd.Flags().String("deadline", "", "")
		cmd.SetArgs(append(args, "--idempotency-key", key))
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		return got
	}
	first := now("k1", "o1", "--deadline", "7d")
	if !first.Equal(time.Date(2030, 1, 2, 4, 4, 5, 0, time.UTC)) {
		t.Fatalf("first run: %v, want the clock to the second", first)
	}
	if again := now("k1", "o1", "--deadline", "7d", "--wait"); !again.Equal(first) {
		t.Fatalf("the same command line under the key: %v, want %v", again, first)
	}
	if other := now("k1", "o1", "--deadline", "8d"); other.Equal(first) {
		t.Fatal("another command line under the key reuses the first one's time")
	}
	if again := now("k1", "o1", "--deadline", "7d"); !again.Equal(first) {
		t.Fatalf("after another command line, the first one's: %v, want %v", again, first)
	}
	if fresh := now("k2", "o1", "--deadline", "7d"); fresh.Equal(first) {
		t.Fatal("another key reuses the time")
	}
	// A record that cannot be read is an error, not a silently new request.
	entries, _ := os.ReadDir(filepath.Join(dir, "requests"))
	if len(entries) != 2 {
		t.Fatalf("%d records, want one per key", len(entries))
	}
	for _, e := range entries {
		os.WriteFile(filepath.Join(dir, "requests", e.Name()), []byte("{"), 0o600)
	}
	var m MutationOptions
	m.IdempotencyKey = "k1"
	if _, err := m.Now(f); err == nil {
		t.Fatal("a corrupt record was ignored")
	}
	// Records older than the retention are removed when a new one is written.
	old := filepath.Join(dir, "requests", entries[0].Name())
	past := time.Now().Add(-2 * RequestRetention)
	os.Chtimes(old, past, past)
	now("k3", "o1")
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Fatalf("an expired record is kept: %v", err)
	}
}

func TestParseWhen(t *testing.T) {
	base := time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC)
	asked := 0
	now := func() (time.Time, error) { asked++; return base, nil }
	for in, want := range map[string]time.Time{
		"7d": base.AddDate(0, 0, 7).Truncate(time.Second), "90m": base.Add(90 * time.Minute).Truncate(time.Second),
		"2031-01-01": time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		if got, err := ParseWhen("deadline", in, now); err != nil || !got.Equal(want) {
			t.Errorf("%s: %v %v, want %v", in, got, err, want)
		}
	}
	if asked != 2 {
		t.Errorf("the clock was asked %d times, want only for the 2 durations", asked)
	}
	for _, bad := range []string{"-1d", "soon", "1.5d", ""} {
		if _, err := ParseWhen("deadline", bad, now); CodeOf(err) != ExitUsage {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
	boom := errors.New("no state directory")
	if _, err := ParseWhen("deadline", "7d", func() (time.Time, error) { return time.Time{}, boom }); !errors.Is(err, boom) {
		t.Errorf("the clock's error is lost: %v", err)
	}
}
