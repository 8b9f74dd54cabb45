// Package bench holds `cxl bench`: throughput and latency of cxledger's business operations
// on the running network, against a raw-Fabric baseline measured in the same run, directly
// through fabric-gateway and through the gateway service.
package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/bench"
	"github.com/cxledger/cxledger/bench/workload"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

// Options are the inputs of `cxl bench`.
type Options struct {
	IO   *cmdutil.IOStreams
	Home func() (network.Home, error)

	// Concurrency lists the numbers of operations in flight, swept in order.
	Concurrency []int
	// Duration is each run's measured phase; zero when Count is given.
	Duration time.Duration
	// Count is each run's number of measured operations when Duration is zero.
	Count int
	// Warmup runs each workload this long before each measured phase.
	Warmup time.Duration
	// Workloads and Targets select what runs.
	Workloads []string
	Targets   []workload.Target
	// Paced is the share of each workload's peak throughput at which a last, paced run
	// measures latency (0 skips it).
	Paced float64
	// VerifyAddresses is how many client addresses verification requests to the service
	// come from.
	VerifyAddresses int
	// JSON is the file the report is written to; empty writes none.
	JSON string
	// Timeout bounds the whole command.
	Timeout time.Duration
	// Args is the command line, recorded in the report.
	Args []string
	// CustomerSigning makes the orders workload's customers through the service sign for
	// themselves (prepare -> sign -> submit) instead of being identities the service holds.
	CustomerSigning bool
	// Customers is how many distinct customers orders-spread spreads its orders over.
	Customers int
}

// enrolParallel is how many customers are registered and enrolled with the CA at once.
const enrolParallel = 16

// defaultConcurrency is the sweep issue 10 asks for.
var defaultConcurrency = []int{1, 8, 32, 128, 256}

// NewCmdBench returns `cxl bench`; runF replaces the run function in tests.
func NewCmdBench(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Home: network.HomeAt(f.Home)}
	var concurrency, workloads, targets []string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure throughput and latency against a raw-Fabric baseline",
		Long: `Measure committed transactions per second, latency percentiles, failures by class (mvcc,
phantom, endorsement, timeout, ratelimited, other) and the CPU of every process of the
network (from /proc), on the network in $CXL_HOME, with a closed-loop load generator:
each worker starts its next operation when the previous one committed or failed.

Workloads (each transaction of a business operation is one measured operation):
` + workloadHelp() + `
Each runs directly through fabric-gateway (target direct) and through the gateway service
(target service). On a native network the bench starts a cxl-gateway of its own for the
run: the configuration ` + "`cxl gateway up`" + ` wrote (run it once) plus an API key per worker for
one customer each, so that orders through the service, like orders directly, have a
customer per worker (with --customer-signing the customers sign for themselves and the
service holds none of their keys); under Docker it uses the running service and skips
orders.

The orders workloads' customers are clients of Org2's Fabric CA, registered by its
registrar and enrolled with keys made by the bench, as invited customers are: one per
worker, or --customers for orders-spread (default 10,000). They are enrolled once, 16 at
a time, and kept in $CXL_HOME/bench/customers/org2msp (0600), so a later run reuses them. A service variant whose endpoints do not exist is skipped and the output says so. The baseline chaincode is deployed beside cxledger
by ` + "`cxl network up`" + `.

For every concurrency of the sweep, every selected workload and target runs once (warm-up,
then the measured phase), so the runs compared at one concurrency are close in time. Then,
with --paced, each workload runs once more paced at that share of its peak throughput, to
measure its latency below saturation. The table goes to stdout with the ratios that matter
and each target met or missed; --json writes every result with the machine and settings.

The operations write real data: a product, items and lots, funded customers and orders, a
loyalty programme and its points, under names unique to the run. The merchant's payment
lots are consolidated at the end.`,
		Example: `  cxl bench                                   # the full sweep (about 30 minutes)
  cxl bench --workload baseline,loyalty --concurrency 128 --duration 10s
  cxl bench --workload verify --target service --concurrency 64,256 --json verify.json
  cxl bench --workload baseline,orders-spread --target direct --customers 10000 --concurrency 128`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.parse(cmd, concurrency, workloads, targets); err != nil {
				return cmdutil.UsageErrorf("%v", err)
			}
			opts.Args = append([]string{"cxl", "bench"}, os.Args[min(len(os.Args), 2):]...)
			if runF != nil {
				return runF(opts)
			}
			return benchRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&concurrency, "concurrency", nil, "operations in flight, a comma-separated `list` swept in order (default 1,8,32,128,256)")
	fl.DurationVar(&opts.Duration, "duration", 20*time.Second, "measure each run for `duration`")
	fl.IntVar(&opts.Count, "count", 0, "measure each run for `N` operations instead of a duration")
	fl.DurationVar(&opts.Warmup, "warmup", 5*time.Second, "run each workload for `duration` before measuring")
	fl.StringSliceVar(&workloads, "workload", nil, "workloads to run, a comma-separated `list` (default all: "+strings.Join(workloadNames(), ",")+")")
	fl.StringSliceVar(&targets, "target", nil, "targets, a comma-separated `list` of direct and service (default both)")
	fl.Float64Var(&opts.Paced, "paced", 0.7, "after the sweep, run each workload paced at this `share` of its peak throughput (0: skip)")
	fl.IntVar(&opts.VerifyAddresses, "verify-addresses", 4096, "client addresses (127.77.x.y) `N` verification requests to the service come from; the service rate-limits each address")
	fl.StringVar(&opts.JSON, "json", "", "write the report as JSON to `file`")
	fl.DurationVar(&opts.Timeout, "timeout", 3*time.Hour, "give up after `duration`")
	fl.BoolVar(&opts.CustomerSigning, "customer-signing", false, "orders through the service by customers who sign for themselves (prepare, sign, submit; certificates of Org2's CA, keys only in the bench) instead of customer identities the service holds")
	fl.IntVar(&opts.Customers, "customers", 10000, "distinct customers of Org2's CA `N` the orders-spread workload spreads its orders over (at least the largest concurrency)")
	return cmd
}

// workloadNames are the workloads a full run measures (not the optional ones).
func workloadNames() []string {
	var names []string
	for _, s := range workload.Specs {
		if !s.Optional {
			names = append(names, s.Name)
		}
	}
	return names
}

// allWorkloads names every workload, optional ones included.
func allWorkloads() []string {
	var names []string
	for _, s := range workload.Specs {
		names = append(names, s.Name)
	}
	return names
}

func workloadHelp() string {
	var b strings.Builder
	for _, s := range workload.Specs {
		fmt.Fprintf(&b, "  %-11s %s\n", s.Name, s.About)
	}
	return b.String()
}

// parse turns the list flags into options and checks them.
func (o *Options) parse(cmd *cobra.Command, concurrency, workloads, targets []string) error {
	o.Concurrency = nil
	if len(concurrency) == 0 {
		o.Concurrency = slices.Clone(defaultConcurrency)
	}
	for _, c := range concurrency {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 || n > 4096 {
			return fmt.Errorf("--concurrency: %q is not a number from 1 to 4096", c)
		}
		if slices.Contains(o.Concurrency, n) {
			return fmt.Errorf("--concurrency: %d is listed twice", n)
		}
		o.Concurrency = append(o.Concurrency, n)
	}
	o.Workloads = nil
	for _, w := range workloads {
		w = strings.TrimSpace(w)
		if _, ok := workload.SpecOf(w); !ok {
			return fmt.Errorf("--workload: no workload %q (have %s)", w, strings.Join(allWorkloads(), ", "))
		}
		if !slices.Contains(o.Workloads, w) {
			o.Workloads = append(o.Workloads, w)
		}
	}
	if len(o.Workloads) == 0 {
		o.Workloads = workloadNames()
	}
	o.Targets = nil
	for _, t := range targets {
		t = strings.TrimSpace(t)
		if t != string(workload.Direct) && t != string(workload.Service) {
			return fmt.Errorf("--target: %q is neither direct nor service", t)
		}
		if !slices.Contains(o.Targets, workload.Target(t)) {
			o.Targets = append(o.Targets, workload.Target(t))
		}
	}
	if len(o.Targets) == 0 {
		o.Targets = []workload.Target{workload.Direct, workload.Service}
	}
	if cmd.Flags().Changed("count") {
		if cmd.Flags().Changed("duration") {
			return errors.New("give --duration or --count, not both")
		}
		if o.Count < 1 {
			return errors.New("--count must be at least 1")
		}
		o.Duration = 0
	}
	if o.Count == 0 && o.Duration <= 0 {
		return errors.New("--duration must be positive")
	}
	if o.Warmup < 0 {
		return errors.New("--warmup must not be negative")
	}
	if o.Paced < 0 || o.Paced >= 1 {
		return errors.New("--paced must be at least 0 and below 1")
	}
	if o.VerifyAddresses < 1 || o.VerifyAddresses > 65536 {
		return errors.New("--verify-addresses must be between 1 and 65536")
	}
	if o.Customers < 1 || o.Customers > maxCustomers {
		return fmt.Errorf("--customers must be between 1 and %d", maxCustomers)
	}
	if slices.Contains(o.Workloads, "orders-spread") && o.Customers < slices.Max(o.Concurrency) {
		return fmt.Errorf("--customers (%d) must be at least the largest concurrency (%d): no two orders in flight may be one customer's", o.Customers, slices.Max(o.Concurrency))
	}
	return nil
}

// maxCustomers bounds --customers: each is an identity registered with the CA, a key
// and a certificate in the bench's memory and cache.
const maxCustomers = 100_000

// customersNeeded is how many enrolled customers the selected workloads act as: one per
// worker for orders, --customers for orders-spread, none without either.
func (o *Options) customersNeeded() int {
	n := 0
	if slices.Contains(o.Workloads, "orders") {
		n = slices.Max(o.Concurrency)
	}
	if slices.Contains(o.Workloads, "orders-spread") {
		n = max(n, o.Customers)
	}
	return n
}

func benchRun(ctx context.Context, opts *Options) error {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	home, err := opts.Home()
	if err != nil {
		return err
	}
	prof, err := network.LoadProfile(home)
	if err != nil {
		return err
	}
	topo, _, err := network.LoadHomeTopology(home)
	if err != nil {
		return err
	}
	report := bench.Report{Started: time.Now().UTC(), Machine: bench.ThisMachine(), Settings: settings(topo, prof, opts), Commands: []string{strings.Join(opts.Args, " ")}}
	errOut := opts.IO.ErrOut
	fmt.Fprintf(errOut, "machine: %d CPUs, %.1f GiB, %s, load average %.2f\n", report.Machine.CPUs, float64(report.Machine.MemoryBytes)/(1<<30), report.Machine.GoVersion, report.Machine.LoadAverage)
	fmt.Fprintf(errOut, "network: %s, Fabric %s, BatchTimeout %s, MaxMessageCount %d, log level %s\n", home, network.FabricVersion, topo.BatchTimeout, topo.MaxMessageCount, topo.LogSpec)

	env := &workload.Env{Home: home, Profile: prof, Keys: workload.NewKeys(time.Now()), Workers: slices.Max(opts.Concurrency), Progress: errOut, Spread: opts.Customers}
	defer env.Close()
	if n := opts.customersNeeded(); n > 0 {
		progress := func(format string, args ...any) { fmt.Fprintf(errOut, format+"\n", args...) }
		customers, enrolment, err := workload.EnrolCustomers(ctx, home, prof, customerMSP, n, enrolParallel, progress)
		if err != nil {
			return err
		}
		env.Customers = customers
		report.Settings["customerEnrolment"] = fmt.Sprintf("%d customers of %s's CA: %s", n, customerMSP, enrolment)
		fmt.Fprintf(errOut, "customers: %d of %s's CA: %s\n", n, customerMSP, enrolment)
	}
	switch {
	case !slices.Contains(opts.Targets, workload.Service):
	case prof.Runtime == network.Native:
		fmt.Fprintf(errOut, "service: starting the bench's own cxl-gateway with %d customers of %s\n", min(env.Workers, len(env.Customers)), customerMSP)
		svc, err := startBenchService(ctx, home, env.Workers, env.Customers, opts.VerifyAddresses, opts.CustomerSigning)
		if err != nil {
			return err
		}
		defer func() {
			if err := svc.stop(); err != nil {
				fmt.Fprintln(errOut, "stop the bench gateway service:", err)
			}
		}()
		env.Service = svc.cfg
		if opts.CustomerSigning {
			fmt.Fprintln(errOut, "service: the orders workload's customers sign for themselves (prepare, sign, submit)")
		}
	default:
		svc, note := serviceConfig(home, opts.VerifyAddresses)
		if note != "" {
			report.Notes = append(report.Notes, note)
			fmt.Fprintln(errOut, "note:", note)
		}
		env.Service = svc
	}
	var plans []*workload.Prepared
	for _, name := range opts.Workloads {
		for _, target := range opts.Targets {
			if target == workload.Service && env.Service == nil {
				continue
			}
			p, err := env.Prepare(ctx, name, target)
			var missing *workload.MissingEndpointsError
			switch {
			case errors.Is(err, workload.ErrNoServiceVariant), errors.Is(err, workload.ErrNoCustomers):
				note := fmt.Sprintf("%s/service: %v", name, err)
				report.Notes = append(report.Notes, note)
				fmt.Fprintln(errOut, "note:", note)
				continue
			case errors.As(err, &missing):
				report.Notes = append(report.Notes, err.Error())
				fmt.Fprintln(errOut, "note:", err)
				continue
			case err != nil:
				return err
			}
			plans = append(plans, p)
		}
	}
	processes := processLister(home, prof.Runtime)
	total := len(plans) * len(opts.Concurrency)
	if opts.Paced > 0 {
		total += len(plans)
	}
	done := 0
	run := func(p *workload.Prepared, conc int, rate float64) error {
		op, err := p.NewRun(ctx)
		if err != nil {
			return err
		}
		var before workload.ServiceCounters
		var beforeErr error
		calls, lagBefore := 0, p.LagRetries()
		if p.ServiceCounters != nil {
			before, beforeErr = p.ServiceCounters(ctx)
			calls = p.Calls()
		}
		res, err := bench.Run(ctx, bench.Config{Workload: p.Name, Concurrency: conc, Duration: opts.Duration, Count: opts.Count,
			Warmup: opts.Warmup, Rate: rate, Classify: p.Classify, Processes: processes}, op)
		if err != nil {
			return err
		}
		if p.ServiceCounters != nil && beforeErr == nil {
			if after, err := p.ServiceCounters(ctx); err == nil {
				res.RetriedConflicts = retried(after.RetriedConflicts-before.RetriedConflicts, p.Calls()-calls, res)
				res.ServicePhases = after.PhasesSince(before)
			}
		}
		res.Retries = p.LagRetries() - lagBefore
		report.Results = append(report.Results, res)
		done++
		fmt.Fprintf(errOut, "[%d/%d] %s\n", done, total, oneLine(res))
		return ctx.Err()
	}
	for _, conc := range opts.Concurrency {
		for _, p := range plans {
			if err := run(p, conc, 0); err != nil {
				return err
			}
		}
	}
	if opts.Paced > 0 {
		for _, p := range plans {
			peak, ok := bench.Peak(report.Results, p.Name)
			if !ok || peak.TPS <= 0 {
				continue
			}
			if err := run(p, slices.Max(opts.Concurrency), opts.Paced*peak.TPS); err != nil {
				return err
			}
		}
	}
	for _, p := range plans {
		if p.Cleanup != nil {
			if err := p.Cleanup(ctx); err != nil {
				fmt.Fprintln(errOut, "cleanup:", err)
			}
		}
	}
	targets := bench.DefaultTargets(topo.BatchTimeout)
	if opts.Paced > 0 {
		targets.PacedFraction = opts.Paced
	}
	summary := bench.Summarize(report.Results, targets)
	report.Summary = &summary
	out := opts.IO.Out
	fmt.Fprintf(out, "cxl bench on %d CPUs, Fabric %s, BatchTimeout %s, MaxMessageCount %d, load average %.2f at start\n\n",
		report.Machine.CPUs, network.FabricVersion, topo.BatchTimeout, topo.MaxMessageCount, report.Machine.LoadAverage)
	if err := bench.WriteTable(out, report.Results); err != nil {
		return err
	}
	if err := bench.WriteSummary(out, summary); err != nil {
		return err
	}
	if len(report.Notes) > 0 {
		fmt.Fprintln(out, "\nNot measured:")
		for _, n := range report.Notes {
			fmt.Fprintln(out, "  "+n)
		}
	}
	if opts.JSON != "" {
		if err := bench.WriteReport(opts.JSON, report); err != nil {
			return err
		}
		fmt.Fprintln(errOut, "report written to", opts.JSON)
	}
	return nil
}

// retried scales the conflicts a service retried over a whole run (warm-up and the
// operations that finished after the measured phase included), of calls answered in all,
// to the run's measured operations.
func retried(delta, calls int, r bench.Result) int {
	measured := r.Committed + r.Failed
	if delta <= 0 || calls <= 0 {
		return 0
	}
	return int(math.Round(float64(delta) * float64(min(measured, calls)) / float64(calls)))
}

// oneLine is the progress line of a finished run.
func oneLine(r bench.Result) string {
	paced := ""
	if r.Rate > 0 {
		paced = fmt.Sprintf(" paced %.0f/s", r.Rate)
	}
	return fmt.Sprintf("%s c=%d%s: %.1f/s, p50 %s p99 %s, %d failed, %.1f conflicts/1000, load %.1f -> %.1f",
		r.Workload, r.Concurrency, paced, r.TPS, r.Latency.P50.Round(100*time.Microsecond), r.Latency.P99.Round(100*time.Microsecond),
		r.Failed, r.ConflictsPer1000(), r.LoadAverageStart, r.LoadAverage)
}

// settings are the network's and the run's settings, for the report.
func settings(t network.Topology, prof *network.Profile, opts *Options) map[string]string {
	peers := 0
	for _, o := range prof.Orgs {
		peers += len(o.Peers)
	}
	conc := make([]string, len(opts.Concurrency))
	for i, c := range opts.Concurrency {
		conc[i] = strconv.Itoa(c)
	}
	s := map[string]string{
		"fabric":          network.FabricVersion,
		"runtime":         string(t.Runtime),
		"orderers":        strconv.Itoa(t.Orderers),
		"organisations":   strconv.Itoa(len(prof.Orgs)),
		"peers":           strconv.Itoa(peers),
		"batchTimeout":    t.BatchTimeout.String(),
		"maxMessageCount": strconv.Itoa(t.MaxMessageCount),
		"logSpec":         t.LogSpec,
		"stateDatabase":   "LevelDB",
		"endorsement":     "MAJORITY (channel default) for cxledger and the baseline",
		"chaincode":       fmt.Sprintf("%s version %s, sequence %d", prof.Chaincode, prof.Deployment.Version, prof.Deployment.Sequence),
		"concurrency":     strings.Join(conc, ","),
		"warmup":          opts.Warmup.String(),
		"paced":           strconv.FormatFloat(opts.Paced, 'f', -1, 64),
	}
	if opts.CustomerSigning {
		s["customers"] = "orders through the service: each customer signs for itself (prepare, sign, submit: 3 requests per transaction)"
	}
	if slices.Contains(opts.Workloads, "orders-spread") {
		s["ordersSpreadCustomers"] = strconv.Itoa(opts.Customers)
	}
	if opts.Duration > 0 {
		s["duration"] = opts.Duration.String()
	} else {
		s["count"] = strconv.Itoa(opts.Count)
	}
	return s
}

// gatewayProcess is the supervisor's name of the gateway service (cli/gateway).
const gatewayProcess = "cxl-gateway"

// serviceConfig finds the running gateway service of home (under Docker, where the bench
// does not start one of its own): its URL from its configuration and the demo API keys
// `cxl gateway up` wrote. A note says why there is none.
func serviceConfig(home network.Home, addresses int) (*workload.ServiceConfig, string) {
	if _, ok := network.Running(home, gatewayProcess); !ok {
		return nil, "every service variant skipped: the gateway service is not running (start it with `cxl gateway up`)"
	}
	cfg, keys, err := upConfig(home)
	if err != nil {
		return nil, fmt.Sprintf("every service variant skipped: %v", err)
	}
	return &workload.ServiceConfig{URL: "http://" + cfg.Listen, Keys: keys, Addresses: addresses}, ""
}

// processLister lists the processes whose CPU a run samples: every process of the network
// the supervisor records (natively: orderers, peers, chaincode servers, the gateway
// service), under Docker the main process of every container, and this one, under short
// names.
func processLister(home network.Home, runtime network.Runtime) func() []bench.Process {
	return func() []bench.Process {
		var out []bench.Process
		procs, _ := network.Processes(home)
		if runtime == network.Docker {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			containers, _ := network.ContainerProcesses(ctx, home)
			cancel()
			procs = append(procs, containers...)
		}
		for _, p := range procs {
			if p.PID == 0 {
				continue
			}
			name := shortName(p.Name)
			if runtime == network.Native && p.Name == gatewayProcess {
				// The bench measures its own instance; this one, `cxl gateway up`'s, only
				// follows blocks meanwhile.
				name = "gateway.up"
			}
			out = append(out, bench.Process{Name: name, PID: p.PID})
		}
		slices.SortFunc(out, func(a, b bench.Process) int { return strings.Compare(rank(a.Name), rank(b.Name)) })
		return append(out, bench.Process{Name: "bench", PID: os.Getpid()})
	}
}

// shortName names a supervised process or a Compose service in the CPU table: orderer1,
// peer0.org1, cc.org1 (cxledger's chaincode server), bl.org1 (the baseline's), gateway.
func shortName(name string) string {
	if rest, ok := strings.CutPrefix(name, "chaincode."); ok {
		return "cc." + strings.TrimSuffix(rest, ".example.com")
	}
	if rest, ok := strings.CutPrefix(name, "baseline."); ok {
		return "bl." + strings.TrimSuffix(rest, ".example.com")
	}
	switch {
	case strings.HasPrefix(name, "orderer") || strings.HasPrefix(name, "peer"):
		return strings.TrimSuffix(name, ".example.com")
	case strings.HasPrefix(name, "chaincode-"), strings.HasPrefix(name, "baseline-"):
		parts := strings.Split(name, "-")
		if len(parts) < 3 {
			return name
		}
		prefix := "cc."
		if parts[0] == "baseline" {
			prefix = "bl."
		}
		return prefix + strings.ToLower(strings.TrimSuffix(parts[1], "MSP"))
	case name == gatewayProcess, name == benchGatewayProcess:
		return "gateway"
	}
	return name
}

// rank orders the CPU columns: orderers, peers, chaincode servers, baseline servers, the
// gateway, anything else.
func rank(short string) string {
	for i, prefix := range []string{"orderer", "peer", "cc.", "bl.", "gateway"} {
		if strings.HasPrefix(short, prefix) {
			return fmt.Sprintf("%d%s", i, short)
		}
	}
	return "9" + short
}
