package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func res(workload string, conc int, tps float64) Result {
	return Result{Workload: workload, Concurrency: conc, TPS: tps, Committed: int(tps * 10), Failures: map[Class]int{}}
}

func verdict(t *testing.T, s Summary, target string) Verdict {
	t.Helper()
	for _, v := range s.Verdicts {
		if v.Target == target {
			return v
		}
	}
	t.Fatalf("no verdict %q in %+v", target, s.Verdicts)
	return Verdict{}
}

func TestSummarizeRatios(t *testing.T) {
	lone := res("loyalty/direct", 1, 3.3)
	lone.Latency.P50 = 320 * time.Millisecond
	slowLone := res("orders/direct", 1, 2.0)
	slowLone.Latency.P50 = 450 * time.Millisecond
	conflicted := res("orders/direct", 128, 150)
	conflicted.Failures[Phantom] = 3
	conflicted.Failed = 3
	svcVerify := res("verify/service", 128, 900)
	paced := res("loyalty/direct", 256, 160)
	paced.Rate = 161
	paced.Latency.P99 = 1200 * time.Millisecond
	results := []Result{
		res("baseline/direct", 1, 3.5), lone, slowLone, res("verify/direct", 1, 80),
		res("baseline/direct", 128, 240), res("loyalty/direct", 128, 230), conflicted,
		res("ping/direct", 128, 200), res("ping/service", 128, 170),
		res("verify/direct", 128, 1000), svcVerify, paced,
	}
	s := Summarize(results, DefaultTargets(250*time.Millisecond))

	var loyalty128 *Ratio
	for i, r := range s.OfBaseline {
		if r.Workload == "loyalty/direct" && r.Concurrency == 128 {
			loyalty128 = &s.OfBaseline[i]
		}
		if strings.HasPrefix(r.Workload, "verify") || strings.HasPrefix(r.Workload, "baseline") {
			t.Errorf("ratio of %s to the baseline: evaluates and the baseline itself have none", r.Workload)
		}
	}
	if loyalty128 == nil || loyalty128.Ratio < 0.958 || loyalty128.Ratio > 0.959 {
		t.Fatalf("loyalty/baseline at 128 = %+v", loyalty128)
	}
	if len(s.ServiceOfDirect) != 2 {
		t.Fatalf("service/direct ratios = %+v", s.ServiceOfDirect)
	}

	if v := verdict(t, s, "loyalty/direct peak throughput / baseline/direct peak"); !v.Met {
		t.Errorf("loyalty at 96%% of the baseline: %+v", v)
	}
	if v := verdict(t, s, "orders/direct peak throughput / baseline/direct peak"); v.Met || !strings.Contains(v.Detail, "missed by 18%") {
		t.Errorf("orders at 62%% of the baseline: %+v", v)
	}
	if v := verdict(t, s, "orders/direct MVCC/phantom conflicts per 1,000"); v.Met || v.Value == 0 {
		t.Errorf("orders with phantom conflicts: %+v", v)
	}
	if v := verdict(t, s, "loyalty/direct MVCC/phantom conflicts per 1,000"); !v.Met {
		t.Errorf("loyalty without conflicts: %+v", v)
	}
	if v := verdict(t, s, "ping/service peak throughput / ping/direct peak"); v.Met || !strings.Contains(v.Detail, "85%") {
		t.Errorf("ping service at 85%%: %+v", v)
	}
	if v := verdict(t, s, "verify/service requests/s"); v.Met || !strings.Contains(v.Detail, "missed by 1100 req/s") {
		t.Errorf("verify at 900/s: %+v", v)
	}
	if v := verdict(t, s, "loyalty/direct p50 of a lone transaction"); !v.Met || v.Limit != 400 {
		t.Errorf("lone loyalty at 320 ms: %+v", v)
	}
	if v := verdict(t, s, "orders/direct p50 of a lone transaction"); v.Met || !strings.Contains(v.Detail, "missed by 50ms") {
		t.Errorf("lone order at 450 ms: %+v", v)
	}
	if v := verdict(t, s, "loyalty/direct p99 at 70% of peak"); v.Met || !strings.Contains(v.Detail, "missed by 200ms") {
		t.Errorf("paced loyalty p99 1.2 s: %+v", v)
	}
	for _, v := range s.Verdicts {
		if strings.HasPrefix(v.Target, "verify/direct p50") || strings.HasPrefix(v.Target, "verify/service p50") {
			t.Errorf("lone-transaction target for an evaluate: %+v", v)
		}
	}
	if p, ok := Peak(results, "loyalty/direct"); !ok || p.Concurrency != 128 {
		t.Errorf("peak of loyalty = %+v: a paced run is never the peak", p)
	}

	var buf bytes.Buffer
	if err := WriteSummary(&buf, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Throughput / baseline", "C=128", "96%", "Gateway service / direct", "85%", "MISSED", "met"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestSplitWorkload(t *testing.T) {
	if w, tg := SplitWorkload("orders/service"); w != "orders" || tg != "service" {
		t.Fatalf("split = %q %q", w, tg)
	}
}
