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
	// RateLimited is a request a service refused for its rate limits (HTTP 429).
	RateLimited Class = "ratelimited"
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
	// Rate, when positive, paces the run: operations start at Rate per second in all (an
	// open loop, as long as Concurrency workers can keep up), and an operation's latency
	// counts from when it was due to start, so time spent waiting for a free worker is not
	// hidden. Zero runs a closed loop: each worker starts its next operation at once.
	Rate float64
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
	case c.Rate < 0:
		return errors.New("rate must not be negative")
	case c.Duration == 0 && c.Count < 1:
		return errors.New("give a duration or a count of at least 1")
	}
	return nil
}

// Result is what one run measured.
type Result struct {
	Workload    string `json:"workload"`
	Concurrency int    `json:"concurrency"`
	// Rate is the paced start rate (Config.Rate); zero for a closed loop.
	Rate      float64       `json:"rate,omitempty"`
	Elapsed   time.Duration `json:"elapsedNs"`
	Committed int           `json:"committed"`
	Failed    int           `json:"failed"`
	TPS       float64       `json:"tps"`
	Latency   Latency       `json:"latency"`
	Failures  map[Class]int `json:"failures"`
	// RetriedConflicts are MVCC and phantom conflicts that did not fail an operation
	// because something between the workload and the ledger retried them (the gateway
	// service does, three times); the caller fills it in when it can count them.
	RetriedConflicts int `json:"retriedConflicts,omitempty"`
	// Retries are attempts the workload itself repeated inside operations (a step sent
	// before a peer had committed what the step before it wrote); the caller fills it in.
	Retries int          `json:"retries,omitempty"`
	CPU     []ProcessCPU `json:"cpu,omitempty"`
	// ServicePhases are, for a run through the gateway service, the mean duration of each
	// Fabric phase of its requests (warm-up included), by phase name; the caller fills it in.
	ServicePhases map[string]PhaseStat `json:"servicePhases,omitempty"`
	FirstErrors   map[Class]string     `json:"firstErrors,omitempty"`
	// LoadAverage is the machine's 1-minute load average at the end of the run;
	// LoadAverageStart at the start of its measured phase.
	LoadAverage      float64 `json:"loadAverage1m"`
	LoadAverageStart float64 `json:"loadAverage1mStart"`
}

// PhaseStat is how many calls of one phase a service made and their mean duration.
type PhaseStat struct {
	Calls  int     `json:"calls"`
	MeanMs float64 `json:"meanMs"`
}

// ConflictsPer1000 is MVCC and phantom conflicts, failed or retried, per 1,000 attempted
// operations.
func (r Result) ConflictsPer1000() float64 {
	attempts := r.Committed + r.Failed
	if attempts == 0 {
		return 0
	}
	return 1000 * float64(r.Failures[MVCC]+r.Failures[Phantom]+r.RetriedConflicts) / float64(attempts)
}

// Run drives op under cfg and returns what it measured. It stops early, with what it has,
// when ctx ends.
//
// A timed phase (warm-up or measured) stops starting operations when its time is up, but
// lets the operations in flight finish, so that none is left half-done when the next phase
// or run starts (a transaction whose commit the client stopped waiting for would still
// commit, and collide with what its worker does next). Only operations that finished within
// the measured phase's time count.
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
		runPhase(ctx, time.Now().Add(cfg.Warmup), cfg.Concurrency, -1, cfg.Rate, seqs, op, nil, nil)
	}
	var before, after []ProcessCPU
	if cfg.Processes != nil {
		before = SampleCPU(cfg.Processes())
	}
	rec := &recorder{failures: map[Class]int{}, firstErrors: map[Class]string{}, classify: classify}
	startLoad, _ := LoadAverage()
	limit := -1
	start := time.Now()
	var end time.Time
	if cfg.Duration > 0 {
		end = start.Add(cfg.Duration)
	} else {
		limit = cfg.Count
	}
	var elapsed time.Duration
	runPhase(ctx, end, cfg.Concurrency, limit, cfg.Rate, seqs, op, rec, func() {
		elapsed = time.Since(start)
		if cfg.Processes != nil {
			after = SampleCPU(cfg.Processes())
		}
	})

	res := Result{
		Workload:    cfg.Workload,
		Concurrency: cfg.Concurrency,
		Rate:        cfg.Rate,
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
		res.CPU = CPUDelta(before, after, elapsed)
	}
	res.LoadAverageStart = startLoad
	res.LoadAverage, _ = LoadAverage()
	return res, nil
}

// runPhase runs workers until end (zero: no end) or until limit operations were started
// (limit < 0: no limit), starting rate operations per second when rate is positive, and
// returns when the operations in flight have finished. rec nil discards the outcomes
// (warm-up); otherwise only operations that finished by end are recorded. closed, when not
// nil, is called once when the phase is over: at end for a timed phase (before the
// operations in flight finish), after the last operation otherwise.
func runPhase(ctx context.Context, end time.Time, workers, limit int, rate float64, seqs []int, op Op, rec *recorder, closed func()) {
	var once sync.Once
	finish := func() {
		if closed != nil {
			once.Do(closed)
		}
	}
	if !end.IsZero() {
		timer := time.AfterFunc(time.Until(end), finish)
		defer timer.Stop()
	}
	over := func(t time.Time) bool { return ctx.Err() != nil || (!end.IsZero() && !t.Before(end)) }
	var started sync.Mutex
	n := 0
	begin := time.Now()
	// take claims the next operation and returns when it is due to start.
	take := func() (time.Time, bool) {
		started.Lock()
		defer started.Unlock()
		if limit >= 0 && n >= limit {
			return time.Time{}, false
		}
		due := time.Now()
		if rate > 0 {
			due = begin.Add(time.Duration(float64(n) / rate * float64(time.Second)))
		}
		if over(due) {
			return time.Time{}, false
		}
		n++
		return due, true
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				due, ok := take()
				if !ok {
					return
				}
				if wait := time.Until(due); wait > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(wait):
					}
				}
				seq := seqs[w]
				seqs[w]++
				t0 := time.Now()
				if rate > 0 {
					t0 = due
				}
				err := op(ctx, w, seq)
				if rec == nil {
					continue
				}
				done := time.Now()
				// An operation that ended after the phase, or was cut short by the
				// caller, is not counted either way.
				if ctx.Err() != nil || (!end.IsZero() && done.After(end)) {
					continue
				}
				rec.record(done.Sub(t0), err)
			}
		}()
	}
	wg.Wait()
	finish()
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
