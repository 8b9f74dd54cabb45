package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/bench"
	"github.com/cxledger/cxledger/bench/workload"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

func testFactory(home string) *cmdutil.Factory {
	return &cmdutil.Factory{
		IO:   &cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}},
		Home: func() (string, error) { return home, nil },
		Repo: func() (string, error) { return "/repo", nil },
	}
}

func TestBenchFlags(t *testing.T) {
	all := []string{"baseline", "ping", "provenance", "orders", "loyalty", "verify"}
	both := []workload.Target{workload.Direct, workload.Service}
	defaults := Options{Concurrency: []int{1, 8, 32, 128, 256}, Duration: 20 * time.Second, Warmup: 5 * time.Second,
		Workloads: all, Targets: both, Paced: 0.7, VerifyAddresses: 4096, Timeout: 3 * time.Hour, Customers: 10000}
	with := func(change func(*Options)) Options {
		o := defaults
		change(&o)
		return o
	}
	cases := []struct {
		name    string
		args    []string
		want    Options
		wantErr string
	}{
		{name: "defaults", want: defaults},
		{name: "lists and durations", args: []string{"--concurrency", "128, 8", "--workload", "loyalty,baseline", "--target", "direct",
			"--duration", "10s", "--warmup", "0s", "--json", "r.json", "--paced", "0", "--verify-addresses", "1"},
			want: with(func(o *Options) {
				o.Concurrency, o.Workloads, o.Targets = []int{128, 8}, []string{"loyalty", "baseline"}, []workload.Target{workload.Direct}
				o.Duration, o.Warmup, o.JSON, o.Paced, o.VerifyAddresses = 10*time.Second, 0, "r.json", 0, 1
			})},
		{name: "repeated flags add up", args: []string{"--workload", "orders", "--workload", "orders,verify"},
			want: with(func(o *Options) { o.Workloads = []string{"orders", "verify"} })},
		{name: "customers sign for themselves", args: []string{"--customer-signing"}, want: with(func(o *Options) { o.CustomerSigning = true })},
		{name: "orders over many customers", args: []string{"--workload", "baseline,orders-spread", "--customers", "256", "--concurrency", "1,256"},
			want: with(func(o *Options) {
				o.Workloads, o.Customers, o.Concurrency = []string{"baseline", "orders-spread"}, 256, []int{1, 256}
			})},
		{name: "fewer customers than workers", args: []string{"--workload", "orders-spread", "--customers", "255", "--concurrency", "256"}, wantErr: "at least the largest concurrency"},
		{name: "fewer customers than workers, not spread", args: []string{"--workload", "orders", "--customers", "1", "--concurrency", "256"},
			want: with(func(o *Options) { o.Workloads, o.Customers, o.Concurrency = []string{"orders"}, 1, []int{256} })},
		{name: "no customers", args: []string{"--customers", "0"}, wantErr: "--customers"},
		{name: "too many customers", args: []string{"--customers", "100001"}, wantErr: "--customers"},
		{name: "count instead of a duration", args: []string{"--count", "500"}, want: with(func(o *Options) { o.Count, o.Duration = 500, 0 })},
		{name: "count and duration", args: []string{"--count", "5", "--duration", "1s"}, wantErr: "not both"},
		{name: "zero count", args: []string{"--count", "0"}, wantErr: "--count"},
		{name: "zero duration", args: []string{"--duration", "0s"}, wantErr: "--duration"},
		{name: "unknown workload", args: []string{"--workload", "refunds"}, wantErr: `no workload "refunds"`},
		{name: "unknown target", args: []string{"--target", "rest"}, wantErr: "neither direct nor service"},
		{name: "bad concurrency", args: []string{"--concurrency", "0"}, wantErr: "from 1 to 4096"},
		{name: "concurrency twice", args: []string{"--concurrency", "8,8"}, wantErr: "listed twice"},
		{name: "paced at the peak", args: []string{"--paced", "1"}, wantErr: "--paced"},
		{name: "stray argument", args: []string{"now"}, wantErr: "unknown command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got *Options
			cmd := NewCmdBench(testFactory(t.TempDir()), func(o *Options) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if !strings.Contains(tc.wantErr, "unknown command") && cmdutil.CodeOf(err) != cmdutil.ExitUsage {
					t.Fatalf("exit code %d, want usage", cmdutil.CodeOf(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := tc.want
			if !slices.Equal(got.Concurrency, w.Concurrency) || !slices.Equal(got.Workloads, w.Workloads) || !slices.Equal(got.Targets, w.Targets) ||
				got.Duration != w.Duration || got.Count != w.Count || got.Warmup != w.Warmup || got.JSON != w.JSON ||
				got.Paced != w.Paced || got.VerifyAddresses != w.VerifyAddresses || got.Timeout != w.Timeout || got.CustomerSigning != w.CustomerSigning ||
				got.Customers != w.Customers {
				t.Fatalf("options = %+v\nwant      %+v", *got, w)
			}
		})
	}
}

func TestShortNames(t *testing.T) {
	cases := map[string]string{
		"orderer2.example.com":       "orderer2",
		"peer1.org2.example.com":     "peer1.org2",
		"chaincode-Org1MSP-3":        "cc.org1",
		"baseline-Org2MSP-1":         "bl.org2",
		"cxl-gateway":                "gateway",
		"bench-gateway":              "gateway",
		"chaincode.org2.example.com": "cc.org2",
		"baseline.org1.example.com":  "bl.org1",
		"something":                  "something",
	}
	for in, want := range cases {
		if got := shortName(in); got != want {
			t.Errorf("shortName(%s) = %s, want %s", in, got, want)
		}
	}
	names := []string{"gateway", "bl.org1", "peer0.org1", "cc.org1", "orderer1", "bench"}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(rank(a), rank(b)) })
	if strings.Join(names, " ") != "orderer1 peer0.org1 cc.org1 bl.org1 gateway bench" {
		t.Fatalf("columns in order %v", names)
	}
}

func TestRetriedConflicts(t *testing.T) {
	r := bench.Result{Committed: 390, Failed: 10}
	if got := retried(10, 500, r); got != 8 {
		t.Fatalf("retried = %d: 10 retried over 500 calls, 400 of them measured", got)
	}
	if got := retried(-3, 500, r); got != 0 {
		t.Fatalf("retried = %d, never negative", got)
	}
	if got := retried(5, 0, r); got != 0 {
		t.Fatalf("retried = %d without calls", got)
	}
}

func TestServiceConfigNotes(t *testing.T) {
	home := network.Home(t.TempDir())
	svc, note := serviceConfig(home, 4)
	if svc != nil || !strings.Contains(note, "not running") {
		t.Fatalf("no gateway: %v, %q", svc, note)
	}
	// A PID file of a live process (this one) stands for a running service.
	os.MkdirAll(home.Run(), 0o755)
	os.WriteFile(filepath.Join(home.Run(), gatewayProcess+".pid"), []byte(strconv.Itoa(os.Getpid())), 0o644)
	if _, note := serviceConfig(home, 4); !strings.Contains(note, "skipped") {
		t.Fatalf("running without a configuration: %q", note)
	}
}

// TestCustomersNeeded: orders takes a customer per worker of the largest concurrency,
// orders-spread --customers, both the larger, the other workloads none.
func TestCustomersNeeded(t *testing.T) {
	for _, c := range []struct {
		workloads []string
		want      int
	}{
		{[]string{"baseline", "loyalty"}, 0},
		{[]string{"orders"}, 128},
		{[]string{"orders-spread"}, 10000},
		{[]string{"orders", "orders-spread"}, 10000},
	} {
		o := &Options{Workloads: c.workloads, Concurrency: []int{1, 128}, Customers: 10000}
		if got := o.customersNeeded(); got != c.want {
			t.Errorf("%v: %d customers, want %d", c.workloads, got, c.want)
		}
	}
	if got := (&Options{Workloads: []string{"orders"}, Concurrency: []int{512}, Customers: 10}).customersNeeded(); got != 512 {
		t.Errorf("orders at 512 with --customers 10: %d", got)
	}
}
