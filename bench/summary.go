package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Targets are what a run is judged against. Results name their workload as
// "<workload>/<target>", e.g. "loyalty/direct" or "verify/service".
type Targets struct {
	// Baseline is the workload every other one is compared with ("baseline"), measured
	// directly.
	Baseline string
	// Hot are the workloads that write into one hot account (the orders workloads,
	// "loyalty"): they must reach OfBaseline of the baseline's throughput with no conflicts.
	Hot        []string
	OfBaseline float64
	// ServiceOfDirect is the share of the direct throughput the gateway service must keep.
	ServiceOfDirect float64
	// P99 bounds the p99 latency of the paced runs (at PacedFraction of peak throughput).
	P99           time.Duration
	PacedFraction float64
	// LoneP50 bounds the median latency of a lone transaction (concurrency 1) of every
	// writing workload: BatchTimeout + 150 ms.
	LoneP50 time.Duration
	// Evaluates are the workloads that only evaluate (no commit): no lone-latency target.
	Evaluates []string
	// Verify is the workload whose service throughput must reach VerifyRate per second.
	Verify     string
	VerifyRate float64
}

// DefaultTargets are issue 10's targets for a network cutting blocks after batchTimeout.
func DefaultTargets(batchTimeout time.Duration) Targets {
	return Targets{
		Baseline: "baseline", Hot: []string{"orders", "orders-spread", "loyalty"}, OfBaseline: 0.8,
		ServiceOfDirect: 0.9, P99: time.Second, PacedFraction: 0.7,
		LoneP50: batchTimeout + 150*time.Millisecond, Evaluates: []string{"verify"},
		Verify: "verify", VerifyRate: 2000,
	}
}

// Ratio compares the throughput of one run with another's at the same concurrency (Of
// zero: the peaks of the two, whatever their concurrency).
type Ratio struct {
	Workload    string  `json:"workload"`
	Versus      string  `json:"versus"`
	Concurrency int     `json:"concurrency,omitempty"`
	TPS         float64 `json:"tps"`
	VersusTPS   float64 `json:"versusTps"`
	Ratio       float64 `json:"ratio"`
}

// Verdict is one target, met or missed, with the measured value.
type Verdict struct {
	Target string  `json:"target"`
	Value  float64 `json:"value"`
	Limit  float64 `json:"limit"`
	Met    bool    `json:"met"`
	Detail string  `json:"detail"`
}

// Summary is what matters in a run: throughput relative to the baseline and to the direct
// path, conflicts, and each target met or missed.
type Summary struct {
	OfBaseline      []Ratio   `json:"ofBaseline"`
	ServiceOfDirect []Ratio   `json:"serviceOfDirect"`
	Verdicts        []Verdict `json:"verdicts"`
}

// SplitWorkload splits "<workload>/<target>" into its parts.
func SplitWorkload(name string) (workload, target string) {
	workload, target, _ = strings.Cut(name, "/")
	return workload, target
}

// Peak is the closed-loop run of workload ("<workload>/<target>") with the highest
// throughput.
func Peak(results []Result, workload string) (Result, bool) {
	var best Result
	found := false
	for _, r := range results {
		if r.Workload == workload && r.Rate == 0 && (!found || r.TPS > best.TPS) {
			best, found = r, true
		}
	}
	return best, found
}

// closed finds the closed-loop run of workload at concurrency.
func closed(results []Result, workload string, concurrency int) (Result, bool) {
	for _, r := range results {
		if r.Workload == workload && r.Concurrency == concurrency && r.Rate == 0 {
			return r, true
		}
	}
	return Result{}, false
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Summarize computes the ratios and verdicts of a run's results.
func Summarize(results []Result, t Targets) Summary {
	var s Summary
	var workloads []string
	for _, r := range results {
		if !slices.Contains(workloads, r.Workload) {
			workloads = append(workloads, r.Workload)
		}
	}
	baseline := t.Baseline + "/direct"
	for _, r := range results {
		if r.Rate != 0 {
			continue
		}
		name, target := SplitWorkload(r.Workload)
		if target == "direct" && name != t.Baseline && !slices.Contains(t.Evaluates, name) {
			if b, ok := closed(results, baseline, r.Concurrency); ok {
				s.OfBaseline = append(s.OfBaseline, Ratio{Workload: r.Workload, Versus: baseline, Concurrency: r.Concurrency, TPS: r.TPS, VersusTPS: b.TPS, Ratio: ratio(r.TPS, b.TPS)})
			}
		}
		if target == "service" {
			if d, ok := closed(results, name+"/direct", r.Concurrency); ok {
				s.ServiceOfDirect = append(s.ServiceOfDirect, Ratio{Workload: r.Workload, Versus: d.Workload, Concurrency: r.Concurrency, TPS: r.TPS, VersusTPS: d.TPS, Ratio: ratio(r.TPS, d.TPS)})
			}
		}
	}
	basePeak, haveBase := Peak(results, baseline)
	for _, w := range workloads {
		name, target := SplitWorkload(w)
		peak, ok := Peak(results, w)
		if !ok {
			continue
		}
		if slices.Contains(t.Hot, name) && haveBase {
			r := ratio(peak.TPS, basePeak.TPS)
			s.Verdicts = append(s.Verdicts, atLeast(fmt.Sprintf("%s peak throughput / %s peak", w, baseline), r, t.OfBaseline,
				fmt.Sprintf("%.1f tx/s (concurrency %d) against %.1f tx/s (concurrency %d)", peak.TPS, peak.Concurrency, basePeak.TPS, basePeak.Concurrency), "ratio"))
		}
		if slices.Contains(t.Hot, name) {
			var conflicts, attempts int
			worst := Result{}
			for _, r := range results {
				if r.Workload == w {
					conflicts += r.Failures[MVCC] + r.Failures[Phantom] + r.RetriedConflicts
					attempts += r.Committed + r.Failed
					if r.ConflictsPer1000() > worst.ConflictsPer1000() {
						worst = r
					}
				}
			}
			per := 1000 * ratio(float64(conflicts), float64(attempts))
			detail := fmt.Sprintf("%d conflicts in %d transactions over every run", conflicts, attempts)
			if conflicts > 0 {
				detail += fmt.Sprintf("; worst at concurrency %d: %.1f per 1,000", worst.Concurrency, worst.ConflictsPer1000())
			}
			s.Verdicts = append(s.Verdicts, Verdict{Target: w + " MVCC/phantom conflicts per 1,000", Value: per, Limit: 0, Met: conflicts == 0, Detail: detail})
		}
		if target == "service" {
			if d, ok := Peak(results, name+"/direct"); ok {
				s.Verdicts = append(s.Verdicts, atLeast(fmt.Sprintf("%s peak throughput / %s/direct peak", w, name), ratio(peak.TPS, d.TPS), t.ServiceOfDirect,
					fmt.Sprintf("%.1f/s (concurrency %d) against %.1f/s (concurrency %d)", peak.TPS, peak.Concurrency, d.TPS, d.Concurrency), "ratio"))
			}
		}
		if name == t.Verify && target == "service" {
			s.Verdicts = append(s.Verdicts, atLeast(w+" requests/s", peak.TPS, t.VerifyRate,
				fmt.Sprintf("peak at concurrency %d", peak.Concurrency), "req/s"))
		}
		if lone, ok := closed(results, w, 1); ok && !slices.Contains(t.Evaluates, name) && lone.Committed > 0 {
			s.Verdicts = append(s.Verdicts, atMost(w+" p50 of a lone transaction", lone.Latency.P50, t.LoneP50,
				fmt.Sprintf("concurrency 1, %d transactions", lone.Committed)))
		}
	}
	for _, r := range results {
		if r.Rate == 0 || r.Committed == 0 {
			continue
		}
		detail := fmt.Sprintf("paced at %.0f/s with %d workers, achieved %.1f/s", r.Rate, r.Concurrency, r.TPS)
		if peak, ok := Peak(results, r.Workload); ok {
			detail += fmt.Sprintf(" (%.0f%% of the closed-loop peak %.1f/s)", 100*ratio(r.TPS, peak.TPS), peak.TPS)
		}
		s.Verdicts = append(s.Verdicts, atMost(fmt.Sprintf("%s p99 at %.0f%% of peak", r.Workload, 100*t.PacedFraction), r.Latency.P99, t.P99, detail))
	}
	return s
}

func atLeast(target string, value, limit float64, detail, unit string) Verdict {
	v := Verdict{Target: target, Value: value, Limit: limit, Met: value >= limit}
	format := func(x float64) string {
		if unit == "ratio" {
			return fmt.Sprintf("%.0f%%", 100*x)
		}
		return fmt.Sprintf("%.0f %s", x, unit)
	}
	v.Detail = fmt.Sprintf("%s, target at least %s", format(value), format(limit))
	if !v.Met {
		v.Detail += fmt.Sprintf(": missed by %s", format(limit-value))
		if unit != "ratio" {
			v.Detail += fmt.Sprintf(" (%.0f%% of the target)", 100*ratio(value, limit))
		}
	}
	v.Detail += "; " + detail
	return v
}

func atMost(target string, value, limit time.Duration, detail string) Verdict {
	v := Verdict{Target: target, Value: msf(value), Limit: msf(limit), Met: value <= limit}
	v.Detail = fmt.Sprintf("%s, target at most %s", ms(value), ms(limit))
	if !v.Met {
		v.Detail += fmt.Sprintf(": missed by %s", ms(value-limit))
	}
	v.Detail += "; " + detail
	return v
}

func msf(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Millisecond)*10) / 10 }

// WriteSummary prints the ratio tables (one column per concurrency) and the verdicts.
func WriteSummary(w io.Writer, s Summary) error {
	for _, table := range []struct {
		title  string
		ratios []Ratio
	}{
		{"Throughput / baseline (committed tx/s of each workload, direct, over the baseline's at the same concurrency):", s.OfBaseline},
		{"Gateway service / direct (committed tx/s, or requests/s for evaluates, at the same concurrency):", s.ServiceOfDirect},
	} {
		if len(table.ratios) == 0 {
			continue
		}
		var concs []int
		var rows []string
		for _, r := range table.ratios {
			if !slices.Contains(concs, r.Concurrency) {
				concs = append(concs, r.Concurrency)
			}
			if !slices.Contains(rows, r.Workload) {
				rows = append(rows, r.Workload)
			}
		}
		slices.Sort(concs)
		fmt.Fprintf(w, "\n%s\n", table.title)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		header := []string{"WORKLOAD"}
		for _, c := range concs {
			header = append(header, fmt.Sprintf("C=%d", c))
		}
		fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
		for _, row := range rows {
			cells := []string{row}
			for _, c := range concs {
				cell := "-"
				for _, r := range table.ratios {
					if r.Workload == row && r.Concurrency == c {
						cell = fmt.Sprintf("%.0f%%", 100*r.Ratio)
					}
				}
				cells = append(cells, cell)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(s.Verdicts) > 0 {
		fmt.Fprintln(w, "\nTargets:")
		for _, v := range s.Verdicts {
			mark := "met   "
			if !v.Met {
				mark = "MISSED"
			}
			fmt.Fprintf(w, "  %s  %s: %s\n", mark, v.Target, v.Detail)
		}
	}
	return nil
}
