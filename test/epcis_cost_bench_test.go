//go:build integration

package test

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/bench"
	"github.com/cxledger/cxledger/network"
)

// Settings of BenchmarkCaptureCost.
var (
	capturePprof    = flag.String("capture.pprof", "", "host:port of a Go pprof endpoint (a peer started with CORE_PEER_PROFILE_ENABLED=true) to take a CPU profile from during each capture")
	capturePprofOut = flag.String("capture.pprof-out", "capture", "file name prefix of the CPU profiles (<prefix>-<run>.pprof)")
)

// BenchmarkCaptureCost says where the time of an EPCIS capture goes: it captures 8
// documents of 1,000 ObjectEvents through Org1's gateway service, 2 in flight (as
// BenchmarkEPCIS's capture-1000 does) and then 4, and 64 documents of 100, 8 in flight (as
// capture-100) and then 16, and reports over each capture the CPU each process of the
// network used per 1,000 events (from /proc), and from Org1's peer's Prometheus metrics the
// chaincode's requests to the peer per capture by type, the peer's time endorsing cxledger
// proposals, and its time validating and committing blocks. Run it once: -bench
// CaptureCost -benchtime 1x. With -capture.pprof it also takes a CPU profile of that
// process during each capture.
func BenchmarkCaptureCost(b *testing.B) {
	g := gwStart(b)
	run := fmt.Sprintf("%06x", time.Now().UnixNano()&0xffffff)
	peerPort := org1PeerOperations()
	procs := func() []bench.Process {
		ps, _ := network.Processes(h.home)
		var out []bench.Process
		for _, p := range ps {
			if p.PID != 0 {
				out = append(out, bench.Process{Name: shortProcess(p.Name), PID: p.PID})
			}
		}
		return append(out, bench.Process{Name: "bench", PID: os.Getpid()})
	}
	for ci, c := range []struct{ docs, perDoc, inFlight int }{{8, 1000, 2}, {8, 1000, 4}, {64, 100, 8}, {64, 100, 16}} {
		name := fmt.Sprintf("%dx%d", c.perDoc, c.inFlight)
		b.Run(name, func(b *testing.B) {
			for it := range b.N {
				var ds []string
				for d := range c.docs {
					ds = append(ds, epcisBenchDoc(fmt.Sprintf("C%s%d%dx%d-", run, ci, it, d), "", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), c.perDoc))
				}
				prof := ""
				if *capturePprof != "" {
					prof = fmt.Sprintf("%s-%s-%d.pprof", *capturePprofOut, name, it)
				}
				captureCost(b, g, peerPort, procs, ds, c.inFlight, prof)
			}
		})
	}
}

// captureCost captures docs, inFlight at a time, and reports what it cost.
// With profile set, a CPU profile of -capture.pprof over the first 5 s goes to that file.
func captureCost(b *testing.B, g *gwService, peerPort int, procs func() []bench.Process, docs []string, inFlight int, profile string) {
	b.Helper()
	profiled := make(chan error, 1)
	if profile != "" {
		go func() { profiled <- cpuProfile("http://"+*capturePprof+"/debug/pprof/profile?seconds=5", profile) }()
	} else {
		profiled <- nil
	}
	before, err := peerCounters(peerPort)
	if err != nil {
		b.Fatal(err)
	}
	cpuBefore := bench.SampleCPU(procs())
	load := loadNow()
	n, took := epcisCaptureAll(b, g, docs, inFlight)
	cpu := bench.CPUDelta(cpuBefore, bench.SampleCPU(procs()), took)
	after, err := peerCounters(peerPort)
	if err != nil {
		b.Fatal(err)
	}
	if err := <-profiled; err != nil {
		b.Logf("no CPU profile: %v", err)
	} else if profile != "" {
		b.Logf("CPU profile of %s over the first 5 s: %s", *capturePprof, profile)
	}
	b.ReportMetric(float64(n)/took.Seconds(), "events/s")
	var total float64
	var parts []string
	for _, c := range cpu {
		total += c.Seconds
		if c.Seconds >= 0.05 {
			parts = append(parts, fmt.Sprintf("%s %.0f", c.Name, 1000*c.Seconds*1000/float64(n)))
		}
	}
	b.ReportMetric(1000*total*1000/float64(n), "cpu-ms/1000events")
	delta := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			delta[k] = d
		}
	}
	proposals := max(delta["endorse:count"], 1)
	var shim []string
	for _, k := range slices.Sorted(maps.Keys(delta)) {
		if typ, ok := strings.CutPrefix(k, "shim:"); ok {
			shim = append(shim, fmt.Sprintf("%s %.1f", typ, delta[k]/proposals))
		}
	}
	b.Logf("captured %d events in %d documents, %d in flight, in %s (%.0f events/s), load %.2f -> %.2f",
		n, len(docs), inFlight, took.Round(time.Millisecond), float64(n)/took.Seconds(), load, loadNow())
	b.Logf("CPU ms per 1,000 events: %s (all %.0f; %.2f cores over the capture)", strings.Join(parts, ", "), 1000*total*1000/float64(n), total/took.Seconds())
	b.Logf("Org1's peer: chaincode requests per capture proposal: %s", strings.Join(shim, ", "))
	b.Logf("Org1's peer: endorsing %d cxledger proposals took %.2f s in all (%.0f ms each); %d blocks validated and committed in %.2f s (state database %.2f s, block store %.2f s)",
		int(delta["endorse:count"]), delta["endorse:sum"], 1000*delta["endorse:sum"]/proposals,
		int(delta["block:count"]), delta["block:sum"], delta["statedb:sum"], delta["blockstore:sum"])
}

// cpuProfile gets a CPU profile from url into the file path.
func cpuProfile(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	return errors.Join(err, f.Close())
}

// peerCounters reads a peer's counters that say where a transaction's time goes, from its
// operations endpoint: "shim:<TYPE>" the cxledger chaincode's requests to the peer by type,
// "endorse:count" and "endorse:sum" its successful cxledger proposals and the seconds it
// spent on them, "block:*" its block processing (validation and commit), "statedb:sum" and
// "blockstore:sum" the seconds its state database and block store spent committing.
func peerCounters(port int) (map[string]float64, error) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		return nil, fmt.Errorf("peer metrics: %w", err)
	}
	defer resp.Body.Close()
	// The shim's metrics name the chaincode by its package ID, the endorser's by its name.
	cc := `chaincode="` + h.profile.Chaincode
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			continue
		}
		name, labels, _ := strings.Cut(fields[0], "{")
		switch {
		case name == "chaincode_shim_requests_received" && strings.Contains(labels, cc):
			_, rest, _ := strings.Cut(labels, `type="`)
			typ, _, _ := strings.Cut(rest, `"`)
			out["shim:"+typ] += v
		case name == "endorser_proposal_duration_sum" && strings.Contains(labels, cc) && strings.Contains(labels, `success="true"`):
			out["endorse:sum"] += v
		case name == "endorser_proposal_duration_count" && strings.Contains(labels, cc) && strings.Contains(labels, `success="true"`):
			out["endorse:count"] += v
		case name == "ledger_block_processing_time_sum":
			out["block:sum"] += v
		case name == "ledger_block_processing_time_count":
			out["block:count"] += v
		case name == "ledger_statedb_commit_time_sum":
			out["statedb:sum"] += v
		case name == "ledger_blockstorage_commit_time_sum":
			out["blockstore:sum"] += v
		}
	}
	return out, sc.Err()
}
