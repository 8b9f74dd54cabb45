package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable prints results as an aligned table, one row per run, and then, for the runs
// that sampled CPU, a second table of the cores each process used and the CPU time all of
// them spent per committed operation.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "WORKLOAD\tCONC\tRATE\tCOMMITTED\tTX/S\tP50\tP95\tP99\tMAX\tFAILED\tCONFLICTS/1000\tFAILURES\tLOAD\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t%d\t%.1f\t%s\t%.1f\t\n",
			r.Workload, r.Concurrency, rateLabel(r.Rate), r.Committed, r.TPS,
			ms(r.Latency.P50), ms(r.Latency.P95), ms(r.Latency.P99), ms(r.Latency.Max),
			r.Failed, r.ConflictsPer1000(), failureList(r.Failures, r.RetriedConflicts, r.Retries), r.LoadAverage)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := WriteCPU(w, results); err != nil {
		return err
	}
	return WriteServicePhases(w, results)
}

// servicePhases are the gateway service's Fabric phases in the order a mutation goes
// through them (an evaluation has only the first).
var servicePhases = []string{"evaluate", "endorse", "journal", "submit", "commit", "settle"}

// WriteServicePhases prints, for the runs through the gateway service, the mean duration
// of each Fabric phase of its requests: where a request's time goes inside the service.
func WriteServicePhases(w io.Writer, results []Result) error {
	var rows []Result
	for _, r := range results {
		if len(r.ServicePhases) > 0 {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nGateway service: mean time per Fabric phase (warm-up included):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "WORKLOAD\tCONC\tRATE\t%s\t\n", strings.ToUpper(strings.Join(servicePhases, "\t")))
	for _, r := range rows {
		cells := make([]string, len(servicePhases))
		for i, phase := range servicePhases {
			cells[i] = "-"
			if st, ok := r.ServicePhases[phase]; ok {
				cells[i] = ms(time.Duration(st.MeanMs * float64(time.Millisecond)))
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t\n", r.Workload, r.Concurrency, rateLabel(r.Rate), strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// WriteCPU prints the CPU table of the runs that sampled CPU: the average cores each process
// used over the measured phase, their total, and the CPU milliseconds all of them spent per
// committed operation. Processes are columns in the order they first appear.
func WriteCPU(w io.Writer, results []Result) error {
	var names []string
	seen := map[string]bool{}
	for _, r := range results {
		for _, c := range r.CPU {
			if !seen[c.Name] {
				seen[c.Name] = true
				names = append(names, c.Name)
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nCPU (cores used over the measured phase, from /proc):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "WORKLOAD\tCONC\tRATE\t%s\tTOTAL\tCPU-MS/OP\t\n", strings.Join(names, "\t"))
	for _, r := range results {
		if len(r.CPU) == 0 {
			continue
		}
		cores := map[string]float64{}
		var total float64
		for _, c := range r.CPU {
			cores[c.Name] += c.Cores
			total += c.Cores
		}
		cells := make([]string, len(names))
		for i, n := range names {
			cells[i] = "-"
			if v, ok := cores[n]; ok {
				cells[i] = fmt.Sprintf("%.2f", v)
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%.2f\t%.1f\t\n", r.Workload, r.Concurrency, rateLabel(r.Rate), strings.Join(cells, "\t"), total, r.CPUPerOp())
	}
	return tw.Flush()
}

func rateLabel(rate float64) string {
	if rate <= 0 {
		return "closed"
	}
	return fmt.Sprintf("%.0f/s", rate)
}

// ms formats a latency in milliseconds: whole ones from 10 ms, tenths below (a cached
// evaluation answers in under one).
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	if v < 10 {
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.0fms", v)
}

func failureList(f map[Class]int, retried, retries int) string {
	var parts []string
	for c, n := range f {
		parts = append(parts, fmt.Sprintf("%s=%d", c, n))
	}
	sort.Strings(parts)
	if retried > 0 {
		parts = append(parts, fmt.Sprintf("retried-conflicts=%d", retried))
	}
	if retries > 0 {
		parts = append(parts, fmt.Sprintf("lag-retries=%d", retries))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

// WriteJSON writes results to path as indented JSON.
func WriteJSON(path string, results []Result) error {
	return writeJSON(path, results)
}

// Report is a whole benchmark run as `cxl bench --json` writes it: where and how it ran,
// every result, and the summary of ratios against the targets.
type Report struct {
	Started time.Time `json:"started"`
	Machine Machine   `json:"machine"`
	// Settings describe the network and the run (block cutting, logging, durations).
	Settings map[string]string `json:"settings"`
	// Commands are the command lines that produced the report.
	Commands []string `json:"commands,omitempty"`
	Results  []Result `json:"results"`
	Summary  *Summary `json:"summary,omitempty"`
	// Notes say what was not measured and why (a workload's missing endpoints, say).
	Notes []string `json:"notes,omitempty"`
}

// WriteReport writes a report to path as indented JSON.
func WriteReport(path string, r Report) error {
	return writeJSON(path, r)
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}
