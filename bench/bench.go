// Package bench is cxledger's closed-loop load generator: a fixed number of workers each
// run one operation after another (the next starts when the previous one committed or
// failed) for a duration or a count, after a warm-up whose results are discarded. It
// reports committed transactions per second, latency percentiles, failures by class and
// the CPU the network's processes used, as a table and as JSON.
//
// Workloads are plain functions, so the same harness drives a transaction directly through
// the Fabric Gateway or through the cxledger gateway service.
package bench

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Op performs one operation and returns when it committed (nil) or failed. worker is the
// worker's index and seq counts the worker's operations, so a workload can make keys that
// never collide (or collide on purpose).
type Op func(ctx context.Context, worker, seq int) error

// Class names a kind of failure, e.g. "mvcc", "phantom", "endorsement", "timeout", "other".
type Class string

// Failure classes every classifier should use where they apply.
const (
	MVCC        Class = "mvcc"
	Phantom     Class = "phantom"
	Endorsement Class = "endorsement"
	Timeout     Class = "timeout"
	Other       Class = "other"
)

// Classifier maps an operation's error to a failure class.
type Classifier func(error) Class

// Config is one run of one workload at one concurrency.
type Config struct {
	// Workload names what is measured, e.g. "baseline/direct".
	Workload string
	// Concurrency is the number of operations in flight (workers).
	Concurrency int
	// Duration ends the measured phase; zero means run Count operations instead.
	Duration time.Duration
	// Count is the number of measured operations when Duration is zero.
	Count int
	// Warmup runs the workload this long before measuring, results discarded.
	Warmup time.Duration
	// Classify sorts failures; nil counts every failure as Other.
	Classify Classifier
	// Processes, when set, are sampled for CPU time over the measured phase.
	Processes func() []Process
}

// Validate reports a configuration that cannot run.
func (c Config) Validate() error {
	switch {
	case c.Workload == "":
		return errors.New("workload name is required")
	case c.Concurrency < 1 || c.Concurrency > 4096:
		return fmt.Errorf("concurrency must be between 1 and 4096, got %d", c.Concurrency)
	case c.Duration < 0 || c.Warmup < 0:
		return errors.New("duration and warm-up must not be negative")
	case c.Duration == 0 && c.Count < 1:
		return errors.New("give a duration or a count of at least 1")
	}
	return nil
}

// Result is what one run measured.
type Result struct {
	Workload    string           `json:"workload"`
	Concurrency int              `json:"concurrency"`
	Elapsed     time.Duration    `json:"elapsedNs"`
	Committed   int              `json:"committed"`
	Failed      int              `json:"failed"`
	TPS         float64          `json:"tps"`
	Latency     Latency          `json:"latency"`
	Failures    map[Class]int    `json:"failures"`
	CPU         []ProcessCPU     `json:"cpu,omitempty"`
	FirstErrors map[Class]string `json:"firstErrors,omitempty"`
}

// ConflictsPer1000 is MVCC plus phantom conflicts per 1,000 attempted operations.
func (r Result) ConflictsPer1000() float64 {
	attempts := r.Committed + r.Failed
	if attempts == 0 {
		return 0
	}
	return 1000 * float64(r.Failures[MVCC]+r.Failures[Phantom]) / float64(attempts)
}

// Run drives op under cfg and returns what it measured. It stops early, with what it has,
// when ctx ends.
func Run(ctx context.Context, cfg Config, op Op) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	classify := cfg.Classify
	if classify == nil {
		classify = func(error) Class { return Other }
	}
	seqs := make([]int, cfg.Concurrency)
	if cfg.Warmup > 0 {
		wctx, cancel := context.WithTimeout(ctx, cfg.Warmup)
		runPhase(wctx, cfg.Concurrency, -1, seqs, op, nil)
		cancel()
	}
	var before []ProcessCPU
	if cfg.Processes != nil {
		before = SampleCPU(cfg.Processes())
	}
	mctx, cancel := ctx, context.CancelFunc(func() {})
	if cfg.Duration > 0 {
		mctx, cancel = context.WithTimeout(ctx, cfg.Duration)
	}
	defer cancel()
	rec := &recorder{failures: map[Class]int{}, firstErrors: map[Class]string{}, classify: classify}
	limit := -1
	if cfg.Duration == 0 {
		limit = cfg.Count
	}
	start := time.Now()
	runPhase(mctx, cfg.Concurrency, limit, seqs, op, rec)
	elapsed := time.Since(start)

	res := Result{
		Workload:    cfg.Workload,
		Concurrency: cfg.Concurrency,
		Elapsed:     elapsed,
		Committed:   len(rec.latencies),
		Failed:      rec.failed,
		Failures:    rec.failures,
		FirstErrors: rec.firstErrors,
		Latency:     summarize(rec.latencies),
	}
	if elapsed > 0 {
		res.TPS = float64(res.Committed) / elapsed.Seconds()
	}
	if cfg.Processes != nil {
		res.CPU = CPUDelta(before, SampleCPU(cfg.Processes()), elapsed)
	}
	return res, nil
}

// runPhase runs workers until ctx ends or limit operations were started (limit < 0: no
// limit). rec nil discards the outcomes (warm-up).
func runPhase(ctx context.Context, workers, limit int, seqs []int, op Op, rec *recorder) {
	var started sync.Mutex
	n := 0
	take := func() bool {
		started.Lock()
		defer started.Unlock()
		if limit >= 0 && n >= limit {
			return false
		}
		n++
		return true
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && take() {
				seq := seqs[w]
				seqs[w]++
				t0 := time.Now()
				err := op(ctx, w, seq)
				if rec == nil {
					continue
				}
				// An operation cut short by the end of a timed phase is not a failure.
				if err != nil && ctx.Err() != nil && limit < 0 {
					return
				}
				rec.record(time.Since(t0), err)
			}
		}()
	}
	wg.Wait()
}

type recorder struct {
	mu          sync.Mutex
	latencies   []time.Duration
	failed      int
	failures    map[Class]int
	firstErrors map[Class]string
	classify    Classifier
}

func (r *recorder) record(d time.Duration, err error) {
	var class Class
	if err != nil {
		class = r.classify(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		r.latencies = append(r.latencies, d)
		return
	}
	r.failed++
	r.failures[class]++
	if _, ok := r.firstErrors[class]; !ok {
		r.firstErrors[class] = err.Error()
	}
}

// Latency are percentiles of the committed operations' latencies.
type Latency struct {
	P50 time.Duration `json:"p50Ns"`
	P95 time.Duration `json:"p95Ns"`
	P99 time.Duration `json:"p99Ns"`
	Max time.Duration `json:"maxNs"`
}

func summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	sorted := append([]time.Duration(nil), ds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	return Latency{
		P50: percentile(sorted, 0.50),
		P95: percentile(sorted, 0.95),
		P99: percentile(sorted, 0.99),
		Max: sorted[len(sorted)-1],
	}
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(p*float64(len(sorted)) + 0.999999)
	if rank < 1 {
		rank = 1
	}
	if rank > len(sorted) {
		rank = len(sorted)
	}
	return sorted[rank-1]
}
