//go:build integration

package test

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/network"
)

// Shape of the lineage BenchmarkTrace10k traces.
const (
	benchPackLots     = 4    // retail pack lots made from one roasted batch
	benchItemsPerLot  = 2500 // serialised packs per lot: 10,000 in all
	benchItemsPerCall = 500  // RegisterItems' limit
	benchInFlight     = 4    // concurrent RegisterItems submissions
)

// BenchmarkTrace10k measures Trace over a lineage of 10,000 items on the real network,
// evaluated through fabric-gateway by Org1: green beans -> one roasted batch -> four
// retail pack lots of 2,500 serialised packs each, one pack lot handed over to Org2.
// Tracing the beans returns the lot, its five downstream lots (the roast and the packs) and
// all 10,000 items with their current holders. "one-call" asks for all items in one evaluate
// (pageSize 10000), "pages-of-1000" follows the bookmark with the default page size.
// Besides ns/op it reports the CPU the Org1 peer, its chaincode server and this test
// process spent per trace, read from /proc, and the time the peer spent inside the
// evaluation (its endorser_proposal_duration metric), so that what remains of ns/op is
// transport, the gateway client and waiting for a core. Setup runs once and is not timed; the first
// sub-benchmark logs how long registering the 10,000 items took and the CPU each process
// spent on it.
func BenchmarkTrace10k(b *testing.B) {
	brand := provAs(b, "Org1MSP", "User1")
	carrier := provAs(b, "Org2MSP", "User1")
	run := newProvRun()
	beans, roasted, pack := run.gtin(1), run.gtin(2), run.gtin(3)
	for _, g := range []string{beans, roasted, pack} {
		brand.submit(b, "RegisterProduct", map[string]any{"gtin": g, "name": "bench " + g}, nil)
	}
	lotB := provenance.LotRef{GTIN: beans, Lot: "GREEN-1"}
	lotR := provenance.LotRef{GTIN: roasted, Lot: "ROAST-1"}
	brand.submit(b, "RegisterLot", map[string]any{"gtin": lotB.GTIN, "lot": lotB.Lot, "quantity": 3000, "unit": "kg"}, nil)
	brand.submit(b, "RegisterLot", map[string]any{"gtin": lotR.GTIN, "lot": lotR.Lot, "quantity": 2500, "unit": "kg", "inputs": []provenance.LotRef{lotB}}, nil)
	var packs []provenance.LotRef
	for i := range benchPackLots {
		l := provenance.LotRef{GTIN: pack, Lot: fmt.Sprintf("PACK-%d", i)}
		packs = append(packs, l)
		brand.submit(b, "RegisterLot", map[string]any{"gtin": l.GTIN, "lot": l.Lot, "quantity": benchItemsPerLot, "inputs": []provenance.LotRef{lotR}}, nil)
	}

	// 20 RegisterItems calls of 500, benchInFlight at a time.
	type call struct {
		lot     provenance.LotRef
		serials []string
	}
	var calls []call
	for i, l := range packs {
		for from := 0; from < benchItemsPerLot; from += benchItemsPerCall {
			c := call{lot: l}
			for j := from; j < from+benchItemsPerCall; j++ {
				c.serials = append(c.serials, fmt.Sprintf("P%d-%05d", i, j))
			}
			calls = append(calls, c)
		}
	}
	cpu := newProvCPU(b)
	cpu.start()
	start := time.Now()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, benchInFlight)
		slow time.Duration
	)
	for _, c := range calls {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			t0 := time.Now()
			_, _, err := brand.trySubmit("RegisterItems", map[string]any{"gtin": c.lot.GTIN, "lot": c.lot.Lot, "serials": c.serials})
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			slow = max(slow, d)
			if err != nil {
				errs = append(errs, fmt.Errorf("RegisterItems %s %s..: %w", c.lot.Lot, c.serials[0], err))
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		b.Fatal(errs[0])
	}
	registered := time.Since(start)
	// A parent benchmark's log is not printed: the first sub-benchmark prints this.
	setup := fmt.Sprintf("registered %d items in %d RegisterItems transactions of %d, %d in flight: %.2f s (%.0f items/s, slowest call %.2f s); CPU s: %s; load average %s",
		benchPackLots*benchItemsPerLot, len(calls), benchItemsPerCall, benchInFlight,
		registered.Seconds(), float64(benchPackLots*benchItemsPerLot)/registered.Seconds(), slow.Seconds(), cpu.summary(), provLoad())

	// One pack lot changes hands, so the trace shows two holders.
	last := packs[len(packs)-1]
	brand.submit(b, "OfferCustody", map[string]any{"kind": "lot", "gtin": last.GTIN, "lot": last.Lot, "to": "Org2MSP", "location": "Org1 dock 4"}, nil)
	carrier.submit(b, "AcceptCustody", map[string]any{"kind": "lot", "gtin": last.GTIN, "lot": last.Lot}, nil)

	trace := func(b *testing.B, pageSize int) (items, calls, bytes int) {
		bookmark := ""
		for {
			args := map[string]any{"gtin": lotB.GTIN, "lot": lotB.Lot, "pageSize": pageSize, "bookmark": bookmark}
			raw, err := brand.tryEvaluateRaw("Trace", args)
			if err != nil {
				b.Fatalf("Trace %s: %v", ccJSON(args), err)
			}
			calls++
			bytes += len(raw)
			var tr provenance.LotTrace
			if err := json.Unmarshal(raw, &tr); err != nil {
				b.Fatal(err)
			}
			if len(tr.Downstream) != 1+benchPackLots || tr.Downstream[len(tr.Downstream)-1].Holder != "Org2MSP" {
				b.Fatalf("trace has downstream lots %q", provLots(tr.Downstream))
			}
			items += len(tr.Items)
			if bookmark = tr.Bookmark; bookmark == "" {
				return items, calls, bytes
			}
		}
	}
	for _, bc := range []struct {
		name     string
		pageSize int
	}{{"one-call", 10000}, {"pages-of-1000", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			var items, calls, bytes int
			cpu.start()
			endorsed := provEndorseSeconds(b)
			b.ResetTimer()
			for range b.N {
				items, calls, bytes = trace(b, bc.pageSize)
			}
			b.StopTimer()
			spent := cpu.since()
			if endorsed >= 0 {
				// Time inside Org1's peer: proposal checks, chaincode execution, signing.
				b.ReportMetric((provEndorseSeconds(b)-endorsed)*1000/float64(b.N), "peer-endorse-ms/op")
			}
			if items != benchPackLots*benchItemsPerLot {
				b.Fatalf("traced %d items, want %d", items, benchPackLots*benchItemsPerLot)
			}
			if setup != "" {
				b.Log(setup)
				setup = ""
			}
			b.Logf("b.N=%d: load average after %s", b.N, provLoad())
			b.ReportMetric(float64(items), "items/op")
			b.ReportMetric(float64(calls), "evaluates/op")
			b.ReportMetric(float64(bytes), "resp-B/op")
			// The trace runs on Org1's peer and chaincode server.
			for label, metric := range map[string]string{"peer-org1": "peer-cpu-ms/op", "chaincode-org1": "chaincode-cpu-ms/op", "client": "client-cpu-ms/op"} {
				if d, ok := spent[label]; ok {
					b.ReportMetric(float64(d.Milliseconds())/float64(b.N), metric)
				}
			}
		})
	}
}

// provCPU reads the CPU time of the network's processes and of this test process from
// /proc, grouped by label: peer-org1, chaincode-org1, ..., orderers, client.
type provCPU struct {
	pids   map[string][]int
	before map[string]int64
}

func newProvCPU(b *testing.B) *provCPU {
	c := &provCPU{pids: map[string][]int{"client": {os.Getpid()}}}
	procs, err := network.Processes(h.home)
	if err != nil {
		b.Logf("no CPU accounting for the network: %v", err)
	}
	for _, p := range procs {
		var label string
		switch {
		case strings.HasPrefix(p.Name, "peer"):
			label = "peer-" + strings.Split(p.Name, ".")[1]
		case strings.HasPrefix(p.Name, "chaincode-"):
			label = "chaincode-" + strings.ToLower(strings.TrimSuffix(strings.Split(p.Name, "-")[1], "MSP"))
		case strings.HasPrefix(p.Name, "orderer"):
			label = "orderers"
		default:
			continue
		}
		if p.PID != 0 {
			c.pids[label] = append(c.pids[label], p.PID)
		}
	}
	return c
}

// ticks returns the user and system time of label's processes in clock ticks (1/100 s).
func (c *provCPU) ticks(label string) int64 {
	var total int64
	for _, pid := range c.pids[label] {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(raw)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(fields) < 13 {
			continue
		}
		var user, sys int64
		fmt.Sscan(fields[11], &user)
		fmt.Sscan(fields[12], &sys)
		total += user + sys
	}
	return total
}

func (c *provCPU) start() {
	c.before = map[string]int64{}
	for label := range c.pids {
		c.before[label] = c.ticks(label)
	}
}

// since returns the CPU time each label spent since start.
func (c *provCPU) since() map[string]time.Duration {
	out := map[string]time.Duration{}
	for label := range c.pids {
		out[label] = time.Duration(c.ticks(label)-c.before[label]) * 10 * time.Millisecond
	}
	return out
}

// summary renders since as "label 1.23, ..." in seconds, sorted by label.
func (c *provCPU) summary() string {
	spent := c.since()
	var parts []string
	for _, label := range slices.Sorted(maps.Keys(spent)) {
		parts = append(parts, fmt.Sprintf("%s %.2f", label, spent[label].Seconds()))
	}
	return strings.Join(parts, ", ")
}

// provEndorseSeconds reads the total time Org1's peer spent endorsing (or evaluating)
// successful cxledger proposals from its Prometheus metrics, or -1.
func provEndorseSeconds(b *testing.B) float64 {
	var port int
	for _, o := range h.topo.PeerOrgs() {
		if o.MSPID == "Org1MSP" && len(o.PeerNodes) > 0 {
			port = o.PeerNodes[0].OperationsPort
		}
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		b.Logf("no peer metrics: %v", err)
		return -1
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return -1
	}
	chaincode := fmt.Sprintf(`chaincode=%q`, h.profile.Chaincode)
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "endorser_proposal_duration_sum{") && strings.Contains(line, chaincode) && strings.Contains(line, `success="true"`) {
			var v float64
			if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err == nil {
				return v
			}
		}
	}
	return -1
}

// provLoad is the 1, 5 and 15 minute load average: the machine is shared, and a trace
// competes for its two cores with whatever else runs.
func provLoad() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
