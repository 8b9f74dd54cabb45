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

// WriteTable prints results as an aligned table: one row per run, then CPU per process.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "WORKLOAD\tCONC\tCOMMITTED\tTX/S\tP50\tP95\tP99\tMAX\tFAILED\tCONFLICTS/1000\tFAILURES\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%s\t%s\t%s\t%s\t%d\t%.1f\t%s\t\n",
			r.Workload, r.Concurrency, r.Committed, r.TPS,
			ms(r.Latency.P50), ms(r.Latency.P95), ms(r.Latency.P99), ms(r.Latency.Max),
			r.Failed, r.ConflictsPer1000(), failureList(r.Failures))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if len(r.CPU) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nCPU during %s at concurrency %d:", r.Workload, r.Concurrency)
		for _, c := range r.CPU {
			fmt.Fprintf(w, " %s %.2f cores;", c.Name, c.Cores)
		}
		fmt.Fprintln(w)
	}
	return nil
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
}

func failureList(f map[Class]int) string {
	if len(f) == 0 {
		return "-"
	}
	var parts []string
	for c, n := range f {
		parts = append(parts, fmt.Sprintf("%s=%d", c, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// WriteJSON writes results to path as indented JSON.
func WriteJSON(path string, results []Result) error {
	data, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}
