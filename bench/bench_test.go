package bench

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var errConflict = errors.New("MVCC_READ_CONFLICT")

func TestRunCountsEveryOperationOnce(t *testing.T) {
	var calls atomic.Int64
	seen := make(chan [2]int, 100)
	op := func(ctx context.Context, worker, seq int) error {
		calls.Add(1)
		seen <- [2]int{worker, seq}
		if seq%4 == 3 {
			return errConflict
		}
		return nil
	}
	classify := func(err error) Class {
		if errors.Is(err, errConflict) {
			return MVCC
		}
		return Other
	}
	res, err := Run(context.Background(), Config{Workload: "w", Concurrency: 4, Count: 100, Classify: classify}, op)
	if err != nil {
		t.Fatal(err)
	}
	close(seen)
	if calls.Load() != 100 || res.Committed+res.Failed != 100 {
		t.Fatalf("calls %d, committed %d + failed %d, want 100", calls.Load(), res.Committed, res.Failed)
	}
	if res.Failures[MVCC] != res.Failed || res.Failed == 0 {
		t.Fatalf("failures = %v, failed %d", res.Failures, res.Failed)
	}
	if got := res.ConflictsPer1000(); got != 1000*float64(res.Failed)/100 {
		t.Fatalf("conflicts per 1000 = %v", got)
	}
	unique := map[[2]int]bool{}
	for s := range seen {
		if unique[s] {
			t.Fatalf("worker %d ran seq %d twice", s[0], s[1])
		}
		unique[s] = true
	}
	if res.FirstErrors[MVCC] != errConflict.Error() {
		t.Fatalf("first errors = %v", res.FirstErrors)
	}
}

func TestRunForADurationAfterWarmup(t *testing.T) {
	var measuring atomic.Bool
	var warm atomic.Int64
	op := func(ctx context.Context, worker, seq int) error {
		if !measuring.Load() {
			warm.Add(1)
		}
		select {
		case <-time.After(5 * time.Millisecond):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	go func() { time.Sleep(60 * time.Millisecond); measuring.Store(true) }()
	res, err := Run(context.Background(), Config{Workload: "w", Concurrency: 2, Duration: 200 * time.Millisecond, Warmup: 50 * time.Millisecond}, op)
	if err != nil {
		t.Fatal(err)
	}
	if warm.Load() == 0 {
		t.Fatal("warm-up ran no operation")
	}
	if res.Failed != 0 {
		t.Fatalf("operations cut short by the end of the run counted as failures: %v", res.Failures)
	}
	if res.Committed < 10 || res.TPS <= 0 {
		t.Fatalf("committed %d, tps %v", res.Committed, res.TPS)
	}
	if res.Latency.P50 < 5*time.Millisecond || res.Latency.Max < res.Latency.P99 || res.Latency.P99 < res.Latency.P50 {
		t.Fatalf("latency = %+v", res.Latency)
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	l := summarize(ds)
	if l.P50 != 50*time.Millisecond || l.P95 != 95*time.Millisecond || l.P99 != 99*time.Millisecond || l.Max != 100*time.Millisecond {
		t.Fatalf("summary = %+v", l)
	}
	if one := summarize([]time.Duration{7}); one.P50 != 7 || one.P99 != 7 {
		t.Fatalf("single sample = %+v", one)
	}
	if empty := summarize(nil); empty != (Latency{}) {
		t.Fatalf("empty = %+v", empty)
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Concurrency: 1, Count: 1}, "workload"},
		{Config{Workload: "w", Count: 1}, "concurrency"},
		{Config{Workload: "w", Concurrency: 1}, "duration or a count"},
		{Config{Workload: "w", Concurrency: 1, Duration: -1}, "negative"},
	}
	for _, tc := range cases {
		if err := tc.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestCPUOfThisProcess(t *testing.T) {
	self := []Process{{Name: "self", PID: os.Getpid()}, {Name: "gone", PID: 1 << 22}}
	before := SampleCPU(self)
	if len(before) != 1 || before[0].Name != "self" {
		t.Fatalf("sample = %+v, want only this process", before)
	}
	deadline := time.Now().Add(150 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	delta := CPUDelta(before, SampleCPU(self), 150*time.Millisecond)
	if len(delta) != 1 || delta[0].Seconds <= 0 || delta[0].Cores <= 0 {
		t.Fatalf("delta = %+v after busy work (%d)", delta, x)
	}
}

func TestReport(t *testing.T) {
	res := []Result{{Workload: "baseline/direct", Concurrency: 8, Committed: 10, TPS: 12.5, Failed: 1,
		Failures: map[Class]int{MVCC: 1}, Latency: Latency{P50: 250 * time.Millisecond},
		CPU: []ProcessCPU{{Name: "peer0", Cores: 0.7, Seconds: 1.4}, {Name: "orderer1", Cores: 0.1, Seconds: 0.2}}},
		{Workload: "verify/service", Concurrency: 32, Rate: 700, Committed: 5, RetriedConflicts: 2,
			ServicePhases: map[string]PhaseStat{"evaluate": {Calls: 5, MeanMs: 0.42}, "settle": {Calls: 5, MeanMs: 12.3}}}}
	var buf bytes.Buffer
	if err := WriteTable(&buf, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"baseline/direct", "12.5", "250ms", "mvcc=1", "closed", "700/s", "retried-conflicts=2",
		"RATE  peer0  orderer1  TOTAL  CPU-MS/OP", "closed   0.70      0.10   0.80      160.0",
		"EVALUATE  ENDORSE  JOURNAL  SUBMIT  COMMIT  SETTLE", "700/s     0.4ms        -        -       -       -    12ms"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
	path := filepath.Join(t.TempDir(), "r.json")
	if err := WriteJSON(path, res); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), `"tps": 12.5`) {
		t.Fatalf("json = %s", data)
	}
}

func TestRunLetsOperationsInFlightFinish(t *testing.T) {
	var inFlight, cut atomic.Int64
	op := func(ctx context.Context, worker, seq int) error {
		inFlight.Add(1)
		defer inFlight.Add(-1)
		select {
		case <-time.After(40 * time.Millisecond):
			return nil
		case <-ctx.Done():
			cut.Add(1)
			return ctx.Err()
		}
	}
	res, err := Run(context.Background(), Config{Workload: "w", Concurrency: 4, Duration: 110 * time.Millisecond, Warmup: 30 * time.Millisecond}, op)
	if err != nil {
		t.Fatal(err)
	}
	if cut.Load() != 0 || inFlight.Load() != 0 {
		t.Fatalf("%d operations cut short, %d still running after Run returned", cut.Load(), inFlight.Load())
	}
	if res.Failed != 0 || res.Committed == 0 || res.Committed > 4*3 {
		t.Fatalf("committed %d, failed %d: only operations finished within the phase count", res.Committed, res.Failed)
	}
	if res.Elapsed < 110*time.Millisecond || res.Elapsed > 150*time.Millisecond {
		t.Fatalf("elapsed %s: the phase's time, not the stragglers'", res.Elapsed)
	}
}

func TestRunPaced(t *testing.T) {
	var starts []time.Time
	var mu sync.Mutex
	op := func(ctx context.Context, worker, seq int) error {
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		return nil
	}
	res, err := Run(context.Background(), Config{Workload: "w", Concurrency: 8, Count: 20, Rate: 200}, op)
	if err != nil {
		t.Fatal(err)
	}
	if res.Committed != 20 || res.Rate != 200 {
		t.Fatalf("committed %d, rate %v", res.Committed, res.Rate)
	}
	// 20 operations at 200/s span 95 ms; a closed loop would take microseconds.
	if span := starts[len(starts)-1].Sub(starts[0]); span < 80*time.Millisecond {
		t.Fatalf("20 operations at 200/s started within %s", span)
	}
	if (Config{Workload: "w", Concurrency: 1, Count: 1, Rate: -1}).Validate() == nil {
		t.Fatal("negative rate accepted")
	}
}

func TestMachineParsers(t *testing.T) {
	if got, err := parseLoadAverage("6.10 9.94 9.70 3/812 12345\n"); err != nil || got != 6.10 {
		t.Fatalf("load average = %v, %v", got, err)
	}
	if _, err := parseLoadAverage(""); err == nil {
		t.Fatal("empty load average parsed")
	}
	if got := parseMemTotal("MemFree: 1 kB\nMemTotal:       24576000 kB\n"); got != 24576000*1024 {
		t.Fatalf("MemTotal = %d", got)
	}
	if m := ThisMachine(); m.CPUs < 1 || m.GoVersion == "" {
		t.Fatalf("this machine = %+v", m)
	}
	r := Result{Committed: 100, CPU: []ProcessCPU{{Seconds: 0.5}, {Seconds: 0.2}}}
	if got := r.CPUPerOp(); got < 6.99 || got > 7.01 {
		t.Fatalf("CPU per op = %v ms, want 7", got)
	}
	if (Result{}).CPUPerOp() != 0 {
		t.Fatal("CPU per op of nothing committed")
	}
}
