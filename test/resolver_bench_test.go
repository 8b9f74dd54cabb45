//go:build integration

package test

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/cxledger/cxledger/bench"
	"github.com/cxledger/cxledger/network"
)

// Settings of BenchmarkResolver, given after the package: go test ./test -bench Resolver
// -benchtime 1x -resolver.rate 1000.
var (
	resolverRate          = flag.Float64("resolver.rate", 1000, "requests per second of the cached resolver runs (open loop)")
	resolverDuration      = flag.Duration("resolver.duration", 20*time.Second, "measured phase of each cached resolver run")
	resolverWarmup        = flag.Duration("resolver.warmup", 5*time.Second, "warm-up of each cached resolver run (the uncached runs warm up for a fifth of it)")
	resolverUncachedRates = flag.String("resolver.uncached-rates", "100,250,1000", "comma-separated requests per second of the uncached resolver runs, each request the first of a serial")
	resolverUncachedTime  = flag.Duration("resolver.uncached-duration", 10*time.Second, "measured phase of each uncached resolver run (a registered item per request)")
	resolverJSON          = flag.String("resolver.json", "", "write the resolver runs as a cxl bench report (JSON) to this file")
)

// Shape of the resolver benchmark's load.
const (
	// resolverHot is how many items the cached runs scan in turn: with the service's
	// verification cache (10 s) each is loaded again every 10 s, so at 1,000 requests/s
	// about 0.5% of the requests are misses; the runs report the share.
	resolverHot = 50
	// resolverAddresses are the loopback source addresses (127.78.x.y) the requests come
	// from, one HTTP client each: the service limits each address on its public routes
	// (5/s), so many addresses stand for many customers' phones.
	resolverAddresses = 1024
	// resolverWorkers bounds the requests in flight: an open loop as long as fewer are
	// waiting (a request that found no free worker is late, and its latency counts from
	// when it was due).
	resolverWorkers = 512
)

// wrongAnswer classes a resolver answer that is wrong, not slow or refused: a 200 without
// the genuine verdict or the linkset, or a 4xx other than 429. It fails the benchmark.
const wrongAnswer bench.Class = "wrong"

// resolverMedia are the two answers measured: the page a phone's browser gets and the
// linkset, each with a check of its body.
var resolverMedia = []struct {
	name, accept string
	check        func([]byte) bool
}{
	{"page", "text/html", isGenuinePage},
	{"linkset", "application/linkset+json", func(body []byte) bool {
		return strings.HasPrefix(string(body), `{"linkset":[`) && strings.Contains(string(body), `"https://gs1.org/voc/verificationService"`)
	}},
}

// BenchmarkResolver drives the GS1 Digital Link resolver of Org1's gateway service (`cxl
// gateway up`, no credentials, as phones scanning packs) at a fixed rate, open loop
// (latency counts from when each request was due, so a stall is not hidden by requests not
// sent), and reports p50, p99 and max latency, errors and the verification cache's hits:
//
//   - baseline-put: 1,024 blind Puts of the raw-Fabric baseline, 64 in flight, directly:
//     what the machine gives Fabric at that moment, as in BenchmarkEPCIS;
//   - cached-page, cached-linkset: GET /01/{gtin}/10/{lot}/21/{serial} of 50 registered
//     items in turn as text/html and as application/linkset+json at -resolver.rate
//     (default 1,000/s) for -resolver.duration (20 s), answered from the verification
//     cache after a warm-up;
//   - uncached-page-R, uncached-linkset-R: the same, each request the first of a serial
//     never asked before (provenance Verify on Org1's peer, then the answer), at each rate
//     R of -resolver.uncached-rates (default 100, 250 and 1,000/s) for
//     -resolver.uncached-duration (10 s).
//
// It is a benchmark, not a test of the targets: it never fails on a latency or on a
// request the service refused or could not answer in time (those are counted and
// reported); only on a wrong answer. Run it once: -bench Resolver -benchtime 1x;
// -resolver.json FILE keeps the runs as a cxl bench report.
func BenchmarkResolver(b *testing.B) {
	var uncachedRates []float64
	for _, f := range strings.Split(*resolverUncachedRates, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || r <= 0 {
			b.Fatalf("-resolver.uncached-rates: %q is not a positive rate", f)
		}
		uncachedRates = append(uncachedRates, r)
	}
	g := gwStart(b)
	report := bench.Report{Started: time.Now().UTC(), Machine: bench.ThisMachine(), Settings: map[string]string{
		"fabric":           network.FabricVersion,
		"batchTimeout":     h.topo.BatchTimeout.String(),
		"service":          g.url + " (Org1's gateway service, `cxl gateway up`, verification cache 10 s)",
		"rate":             strconv.FormatFloat(*resolverRate, 'f', -1, 64),
		"uncachedRates":    *resolverUncachedRates,
		"duration":         resolverDuration.String(),
		"uncachedDuration": resolverUncachedTime.String(),
		"warmup":           resolverWarmup.String(),
		"hotItems":         strconv.Itoa(resolverHot),
		"addresses":        strconv.Itoa(resolverAddresses),
		"workers":          strconv.Itoa(resolverWorkers),
		"stateDatabase":    "LevelDB",
	}, Commands: []string{strings.Join(os.Args, " ")}}
	run := fmt.Sprintf("%010d", time.Now().UnixNano()%1e10)
	fx := resolverFixture(b, g, run, uncachedRates)
	clients := newResolverClients(g.url, resolverAddresses)
	defer clients.close()
	processes := func() []bench.Process {
		procs, _ := network.Processes(h.home)
		var out []bench.Process
		for _, p := range procs {
			if p.PID != 0 {
				out = append(out, bench.Process{Name: shortProcess(p.Name), PID: p.PID})
			}
		}
		return append(out, bench.Process{Name: "bench", PID: os.Getpid()})
	}

	b.Run("baseline-put", func(b *testing.B) {
		c := h.gateway(b, "Org1MSP", "User1", 0).GetNetwork(h.profile.Channel).GetContract(network.BaselineChaincode)
		for it := range b.N {
			res, err := bench.Run(context.Background(), bench.Config{Workload: "baseline-put", Concurrency: 64, Count: 1024, Processes: processes},
				func(ctx context.Context, worker, seq int) error {
					_, err := c.Submit("Put", client.WithArguments(fmt.Sprintf("resolver-bl-%s-%d-%d-%d", run, it, worker, seq), "v"))
					return err
				})
			if err != nil {
				b.Fatal(err)
			}
			if res.Failed > 0 {
				b.Fatalf("%d of the baseline's Puts failed: %v", res.Failed, res.FirstErrors)
			}
			report.Results = append(report.Results, res)
			b.ReportMetric(res.TPS, "tx/s")
			b.ReportMetric(ms(res.Latency.P50), "p50-ms")
		}
	})
	get := func(accept string, check func([]byte) bool) func(ctx context.Context, serial string) error {
		return func(ctx context.Context, serial string) error {
			return clients.get(ctx, "/01/"+fx.gtin+"/10/"+fx.lot+"/21/"+serial, accept, check)
		}
	}
	for _, m := range resolverMedia {
		b.Run("cached-"+m.name, func(b *testing.B) {
			get := get(m.accept, m.check)
			var next atomic.Int64
			op := func(ctx context.Context, _, _ int) error {
				return get(ctx, fx.hot[int(next.Add(1)-1)%len(fx.hot)])
			}
			for range b.N {
				res := resolverRun(b, g, "cached-"+m.name, *resolverRate, *resolverWarmup, *resolverDuration, processes, op)
				report.Results = append(report.Results, res)
			}
		})
	}
	for _, rate := range uncachedRates {
		for _, m := range resolverMedia {
			name := fmt.Sprintf("uncached-%s-%.0f", m.name, rate)
			b.Run(name, func(b *testing.B) {
				get := get(m.accept, m.check)
				serials := fx.fresh[name]
				var next atomic.Int64
				op := func(ctx context.Context, _, _ int) error {
					i := int(next.Add(1) - 1)
					if i >= len(serials) {
						return errors.New("no serial left that was never asked for: run once (-benchtime 1x)")
					}
					return get(ctx, serials[i])
				}
				for range b.N {
					res := resolverRun(b, g, name, rate, *resolverWarmup/5, *resolverUncachedTime, processes, op)
					report.Results = append(report.Results, res)
				}
			})
		}
	}
	var table strings.Builder
	if err := bench.WriteTable(&table, report.Results); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("resolver runs (load average at the end: %.2f):\n%s", loadNow(), table.String())
	if *resolverJSON != "" {
		if err := bench.WriteReport(*resolverJSON, report); err != nil {
			b.Fatal(err)
		}
	}
}

// shortProcess names a supervised process in the CPU table: peer0.org1, cc.org1 (cxledger's
// chaincode server), bl.org1 (the baseline's), gw.org1 (a member's gateway service).
func shortProcess(name string) string {
	name = strings.TrimSuffix(name, ".example.com")
	for prefix, short := range map[string]string{"chaincode-": "cc.", "baseline-": "bl."} {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			org, _, _ := strings.Cut(rest, "MSP")
			return short + strings.ToLower(org)
		}
	}
	if rest, ok := strings.CutPrefix(name, "cxl-gateway-"); ok {
		return "gw." + rest
	}
	return name
}

// resolverRun warms up at rate for warmup, then measures op at rate for duration,
// and reports the figures and the cache's answers over the measured phase. It fails the
// benchmark on a wrong answer only, never on a latency or a refusal.
func resolverRun(b *testing.B, g *gwService, name string, rate float64, warmup, duration time.Duration, processes func() []bench.Process, op bench.Op) bench.Result {
	b.Helper()
	ctx := context.Background()
	cfg := bench.Config{Workload: name, Concurrency: resolverWorkers, Rate: rate, Classify: classifyResolver}
	if warmup > 0 {
		w := cfg
		w.Duration = warmup
		if _, err := bench.Run(ctx, w, op); err != nil {
			b.Fatal(err)
		}
	}
	before, err := cacheLookups(g.url)
	if err != nil {
		b.Fatal(err)
	}
	peerBefore, err := peerCounters(org1PeerOperations())
	if err != nil {
		b.Fatal(err)
	}
	cfg.Duration, cfg.Processes = duration, processes
	res, err := bench.Run(ctx, cfg, op)
	if err != nil {
		b.Fatal(err)
	}
	after, err := cacheLookups(g.url)
	if err != nil {
		b.Fatal(err)
	}
	peerAfter, err := peerCounters(org1PeerOperations())
	if err != nil {
		b.Fatal(err)
	}
	lookups := map[string]float64{}
	var total float64
	for outcome, n := range after {
		lookups[outcome] = n - before[outcome]
		total += lookups[outcome]
	}
	b.ReportMetric(res.TPS, "req/s")
	b.ReportMetric(ms(res.Latency.P50), "p50-ms")
	b.ReportMetric(ms(res.Latency.P99), "p99-ms")
	b.ReportMetric(ms(res.Latency.Max), "max-ms")
	b.ReportMetric(float64(res.Failed), "errors")
	if total > 0 {
		b.ReportMetric(100*lookups["hit"]/total, "hit-%")
	}
	for _, c := range res.CPU {
		if c.Name == "gw.org1" && res.Committed > 0 {
			b.ReportMetric(1000*c.Seconds/float64(res.Committed), "gw-cpu-ms/req")
		}
	}
	b.Logf("%s at %.0f/s: %d answered, %d failed %v, cache hit %.0f miss %.0f shared %.0f, load %.2f -> %.2f",
		name, rate, res.Committed, res.Failed, res.FirstErrors, lookups["hit"], lookups["miss"], lookups["shared"], res.LoadAverageStart, res.LoadAverage)
	if evaluations := peerAfter["endorse:count"] - peerBefore["endorse:count"]; evaluations > 0 {
		var shim []string
		for _, k := range slices.Sorted(maps.Keys(peerAfter)) {
			if typ, ok := strings.CutPrefix(k, "shim:"); ok && peerAfter[k] > peerBefore[k] {
				shim = append(shim, fmt.Sprintf("%s %.1f", typ, (peerAfter[k]-peerBefore[k])/evaluations))
			}
		}
		b.Logf("%s: Org1's peer evaluated %.0f cxledger proposals, %.1f ms each on average; chaincode requests per proposal: %s",
			name, evaluations, 1000*(peerAfter["endorse:sum"]-peerBefore["endorse:sum"])/evaluations, strings.Join(shim, ", "))
	}
	if n := res.Failures[wrongAnswer]; n > 0 {
		b.Fatalf("%s: %d wrong answers: %s", name, n, res.FirstErrors[wrongAnswer])
	}
	return res
}

// resolverItems are what the resolver benchmark scans: a product, its lot with a
// certificate, the hot items of the cached runs and, per media type, items no request
// has named yet.
type resolverItems struct {
	gtin, lot string
	hot       []string
	fresh     map[string][]string
}

// resolverFixture registers the product, the lot, an organic certificate of the lot (from
// the auditor, Org2) and every item the runs scan, through the service as Org1's brand
// staff, 500 items a call and 4 calls in flight, then waits until the last item resolves
// as genuine. Registration is over before any run starts: every provenance transaction
// empties the verification cache.
func resolverFixture(b *testing.B, g *gwService, run string, uncachedRates []float64) resolverItems {
	b.Helper()
	const brand, auditor = "org1-user1", "org2-user1"
	fx := resolverItems{gtin: gwGTIN(run + "11"), lot: "L" + run[4:], fresh: map[string][]string{}}
	for i := range resolverHot {
		fx.hot = append(fx.hot, fmt.Sprintf("H%d", i))
	}
	all := append([]string(nil), fx.hot...)
	for _, rate := range uncachedRates {
		// A paced run starts rate requests a second: this many, and a margin.
		perRun := int(rate*(resolverUncachedTime.Seconds()+resolverWarmup.Seconds()/5)*1.05) + 10
		for _, m := range resolverMedia {
			name := fmt.Sprintf("uncached-%s-%.0f", m.name, rate)
			for i := range perRun {
				fx.fresh[name] = append(fx.fresh[name], fmt.Sprintf("U%d-%d", len(fx.fresh), i))
			}
			all = append(all, fx.fresh[name]...)
		}
	}
	started := time.Now()
	g.post(b, "/v1/provenance/products", brand, map[string]any{"gtin": fx.gtin, "name": "Resolver benchmark roast, 250 g",
		"attributes": map[string]string{"variety": "Bourbon", "process": "washed"}}, 200)
	g.post(b, "/v1/provenance/lots", brand, map[string]any{"gtin": fx.gtin, "lot": fx.lot, "quantity": len(all), "unit": "pcs",
		"attributes": map[string]string{"farm": "Finca Esperanza", "origin": "Huila, Colombia"}}, 200)
	g.post(b, "/v1/provenance/certificates", auditor, map[string]any{
		"subject": map[string]any{"kind": "lot", "gtin": fx.gtin, "lot": fx.lot}, "id": "organic-" + run, "type": "organic",
		"hash": strings.Repeat("ab", 32), "validFrom": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
		"validUntil": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}, 200)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed error
	)
	batches := make(chan []string)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for serials := range batches {
				r, err := g.call(http.MethodPost, "/v1/provenance/items", brand, fmt.Sprintf("rb-%s-%s", run, serials[0]),
					map[string]any{"gtin": fx.gtin, "lot": fx.lot, "serials": serials})
				if err == nil && r.status != http.StatusOK {
					err = fmt.Errorf("register items: %d %s", r.status, r.body)
				}
				if err != nil {
					mu.Lock()
					failed = errors.Join(failed, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < len(all); i += 500 {
		batches <- all[i:min(i+500, len(all))]
	}
	close(batches)
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}
	for _, serial := range []string{fx.hot[0], all[len(all)-1]} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			err := (&resolverClients{base: g.url, clients: []*http.Client{g.http}}).get(context.Background(),
				"/01/"+fx.gtin+"/10/"+fx.lot+"/21/"+serial, "text/html", isGenuinePage)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("item %s does not resolve as genuine: %v", serial, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	fmt.Printf("resolver: registered product %s, lot %s with a certificate and %d items in %s\n", fx.gtin, fx.lot, len(all), time.Since(started).Round(time.Millisecond))
	return fx
}

// isGenuinePage reports whether body is a resolver page with the genuine verdict.
func isGenuinePage(body []byte) bool { return strings.Contains(string(body), `</span>Genuine</h1>`) }

// resolverClients send the resolver's requests, each from the next of many loopback
// source addresses in turn, with no credentials.
type resolverClients struct {
	base    string
	clients []*http.Client
	next    atomic.Int64
}

func newResolverClients(base string, n int) *resolverClients {
	c := &resolverClients{base: base}
	for i := range n {
		ip := net.IPv4(127, 78, byte(i>>8), byte(i&0xff))
		dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
		c.clients = append(c.clients, &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			DialContext: dialer.DialContext, MaxIdleConnsPerHost: 4, IdleConnTimeout: 2 * time.Minute}})
	}
	return c
}

// get requests path as accept and checks the answer: 200 and a body check accepts.
func (c *resolverClients) get(ctx context.Context, path, accept string, check func([]byte) bool) error {
	hc := c.clients[int(c.next.Add(1)-1)%len(c.clients)]
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", accept)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !check(body) {
		return &resolverAnswer{status: resp.StatusCode, body: string(body[:min(len(body), 300)])}
	}
	return nil
}

func (c *resolverClients) close() {
	for _, hc := range c.clients {
		hc.CloseIdleConnections()
	}
}

// resolverAnswer is a wrong answer of the resolver.
type resolverAnswer struct {
	status int
	body   string
}

func (e *resolverAnswer) Error() string {
	return fmt.Sprintf("resolver answered %d: %s", e.status, e.body)
}

// classifyResolver sorts a resolver request's failure: refused for the rate limit, a
// wrong answer (a 200 that failed its check, any other 4xx), out of time, or other (a 5xx,
// a transport error).
func classifyResolver(err error) bench.Class {
	var a *resolverAnswer
	var ne net.Error
	switch {
	case errors.As(err, &a) && a.status == http.StatusTooManyRequests:
		return bench.RateLimited
	case errors.As(err, &a) && a.status < 500:
		return wrongAnswer
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return bench.Timeout
	}
	return bench.Other
}

// cacheLookups reads the verification cache's lookups by outcome (hit, miss, shared) from
// the service's /metrics.
func cacheLookups(base string) (map[string]float64, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, `cxl_gateway_cache_lookups_total{`) || !strings.Contains(line, `cache="verify"`) {
			continue
		}
		_, rest, _ := strings.Cut(line, `outcome="`)
		outcome, _, _ := strings.Cut(rest, `"`)
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			return nil, fmt.Errorf("parse %q: %w", line, err)
		}
		out[outcome] += v
	}
	return out, sc.Err()
}

// org1PeerOperations is the operations port of Org1's first peer.
func org1PeerOperations() int {
	for _, o := range h.topo.PeerOrgs() {
		if o.MSPID == "Org1MSP" && len(o.PeerNodes) > 0 {
			return o.PeerNodes[0].OperationsPort
		}
	}
	return 0
}

// ms is a duration in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// loadNow is the machine's 1-minute load average.
func loadNow() float64 {
	l, _ := bench.LoadAverage()
	return l
}
