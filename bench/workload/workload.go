// Package workload holds what `cxl bench` measures on a running network: a baseline that is
// raw Fabric (one blind PutState in the baseline chaincode) and cxledger's business
// operations, each reachable two ways: directly through fabric-gateway as the network's
// users (Direct), and through the gateway service's REST API with its API keys (Service).
//
// A workload's business operation may take several transactions (an order is placed, then
// its delivery confirmed): each transaction is one operation of package bench, and each
// worker walks the steps of its current business operation in order, so throughput and
// latency are always per transaction and compare directly with the baseline's. A step that
// fails starts a new business operation.
package workload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/cxledger/cxledger/bench"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/network"
)

// Target is how a workload's transactions reach the ledger.
type Target string

// Targets.
const (
	// Direct submits through fabric-gateway, as the network's users.
	Direct Target = "direct"
	// Service calls the gateway service's REST API with its API keys.
	Service Target = "service"
)

// Spec describes a workload.
type Spec struct {
	// Name is the workload's name on the command line and in results.
	Name string
	// Steps are the transactions (or evaluations) of one business operation.
	Steps []string
	// ServiceOps are the service operations (OpenAPI operation IDs) the service variant
	// calls; none means the workload has no service variant by design.
	ServiceOps []string
	// Evaluate marks a workload that only evaluates: nothing is ordered or committed.
	Evaluate bool
	// About says what one operation does.
	About string
	// Optional marks a workload that runs only when named (`--workload`), not in a full run.
	Optional bool
}

// Specs are the workloads, in the order a full run measures them.
var Specs = []Spec{
	{Name: "baseline", Steps: []string{"baseline.Put"},
		About: "raw Fabric: Put(key, value) of the baseline chaincode, one blind PutState (no contract API, no event), as Org1's users"},
	{Name: "ping", Steps: []string{"health.Ping"}, ServiceOps: []string{"health.Ping"},
		About: "cxledger's cheapest write: health Ping under a unique nonce (a blind write and one event), as Org1's users; the service's reference write, since the service has no endpoint for the baseline chaincode"},
	{Name: "provenance", Steps: []string{"provenance.RegisterItems", "provenance.OfferCustody", "provenance.AcceptCustody"},
		ServiceOps: []string{"provenance.RegisterItems", "provenance.OfferCustody", "provenance.AcceptCustody"},
		About:      "register one serialised item of a lot Org1 holds (Org1's users), offer its custody to Org2, accept it (Org2's users): 3 transactions"},
	{Name: "orders", Steps: []string{"orders.Place", "orders.ConfirmDelivery"}, ServiceOps: []string{"orders.Place", "orders.ConfirmDelivery"},
		About: "a customer pays 1.00 EUR into escrow for an order with merchant Org1MSP, then confirms delivery, which pays the merchant: every payment lands in one hot account; 2 transactions, one customer per worker (customers of Org2's CA)"},
	{Name: "orders-spread", Steps: []string{"orders.Place", "orders.ConfirmDelivery"}, ServiceOps: []string{"orders.Place", "orders.ConfirmDelivery"}, Optional: true,
		About: "orders as above, but each order by the next of --customers customers of Org2's CA (default 10,000) instead of one per worker: more signers than Fabric's MSP caches (100); through the service only with --customer-signing; run only when named"},
	{Name: "loyalty", Steps: []string{"loyalty.Earn"}, ServiceOps: []string{"loyalty.Earn"},
		About: "Org1's users award 1 point of a programme of their own to one hot customer account: every earn lands in one account"},
	{Name: "verify", Steps: []string{"provenance.Verify"}, ServiceOps: []string{"provenance.Verify"}, Evaluate: true,
		About: "verify one of 200 registered items (evaluate only), as Org1 User1 (the service's public identity)"},
}

// SpecOf returns the workload named name.
func SpecOf(name string) (Spec, bool) {
	for _, s := range Specs {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// ErrNoServiceVariant is returned by Prepare for a workload the service has no endpoint for
// by design (the baseline chaincode: the service offers typed endpoints only).
var ErrNoServiceVariant = errors.New("no service variant by design: the gateway service has typed endpoints for cxledger only, never a passthrough to another chaincode")

// ErrNoCustomers is returned by Prepare for an orders workload on a service without a
// customer for each customer the workload acts as (ServiceConfig.Customers).
var ErrNoCustomers = errors.New("the service has too few customers (cxl bench provisions one per worker on its own service instance, on a native network only, and the customers of orders-spread only with --customer-signing)")

// MissingEndpointsError is returned by Prepare when the running service lacks the routes of
// a workload (not implemented yet).
type MissingEndpointsError struct {
	Workload   string
	Operations []string
}

func (e *MissingEndpointsError) Error() string {
	return fmt.Sprintf("the gateway service has no endpoint yet for %v: %s/service skipped", e.Operations, e.Workload)
}

// Env is a network to run workloads on.
type Env struct {
	// Home is the network's state directory.
	Home network.Home
	// Profile is the network's network.json.
	Profile *network.Profile
	// Keys makes the run's identifiers.
	Keys Keys
	// Service reaches the gateway service; nil when it does not run.
	Service *ServiceConfig
	// Workers is the most workers any run uses: per-worker identities and state are made
	// for this many.
	Workers int
	// Progress receives a line per setup step; nil discards them.
	Progress io.Writer
	// Customers are customers of Org2's CA (EnrolCustomers): the orders workload acts as
	// the first Workers of them, one per worker, and orders-spread as the first Spread, the
	// next one for each order.
	Customers []Customer
	// Spread is how many customers orders-spread spreads its orders over; at least
	// Workers, so that no two orders in flight are one customer's.
	Spread int

	mu      sync.Mutex
	direct  *direct
	svc     *service
	round   int
	fixture map[string]any
}

// Prepared is a workload set up on one target, ready for any number of runs.
type Prepared struct {
	// Name is "<workload>/<target>".
	Name string
	// NewRun returns the operation of one measured run (warm-up included): fresh keys and
	// per-worker state.
	NewRun func(ctx context.Context) (bench.Op, error)
	// Classify sorts the operation's failures.
	Classify bench.Classifier
	// ServiceCounters, when set, reads the counters of the gateway service on the path to
	// the ledger (the conflicts it retried out of sight, its time per Fabric phase), and
	// Calls a counter of the requests answered: a run reports the retried conflicts'
	// increase, scaled to its measured operations, and the phases' mean durations.
	ServiceCounters func(ctx context.Context) (ServiceCounters, error)
	Calls           func() int
	// Cleanup tidies what the runs left that would slow the ledger later; may be nil.
	Cleanup func(ctx context.Context) error

	lagRetries atomic.Int64
}

// LagRetries counts the attempts a step repeated because a peer had not yet committed
// what the step before it wrote through another peer (see retryLag).
func (p *Prepared) LagRetries() int { return int(p.lagRetries.Load()) }

func (e *Env) progress(format string, args ...any) {
	if e.Progress != nil {
		fmt.Fprintf(e.Progress, format+"\n", args...)
	}
}

func (e *Env) directClient() *direct {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.direct == nil {
		e.direct = newDirect(e.Profile)
	}
	return e.direct
}

func (e *Env) service(ctx context.Context) (*service, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.Service == nil {
		return nil, errors.New("the gateway service is not running: start it with `cxl gateway up`")
	}
	if e.svc == nil {
		s, err := newService(ctx, *e.Service)
		if err != nil {
			return nil, err
		}
		e.svc = s
	}
	return e.svc, nil
}

// nextRound returns the keys of the next measured run.
func (e *Env) nextRound() Keys {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.round++
	k := e.Keys
	k.Round = e.round
	return k
}

// Close closes the connections the workloads opened.
func (e *Env) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var err error
	if e.direct != nil {
		err = e.direct.close()
	}
	if e.svc != nil {
		e.svc.close()
	}
	return err
}

// Prepare sets a workload up on a target: the fixtures it needs on the ledger (products,
// lots, funded customers, a loyalty programme) and its clients.
func (e *Env) Prepare(ctx context.Context, name string, target Target) (*Prepared, error) {
	spec, ok := SpecOf(name)
	if !ok {
		return nil, fmt.Errorf("no workload %q", name)
	}
	if e.Workers < 1 {
		return nil, errors.New("workers must be at least 1")
	}
	p := &Prepared{Name: name + "/" + string(target), Classify: Classify}
	var steps func(ctx context.Context) ([]step, error)
	switch target {
	case Direct:
		steps = func(ctx context.Context) ([]step, error) {
			if spec.Name == "baseline" {
				return e.baselineSteps()
			}
			return e.steps(ctx, spec, p, directActors{e})
		}
	case Service:
		if len(spec.ServiceOps) == 0 {
			return nil, ErrNoServiceVariant
		}
		s, err := e.service(ctx)
		if err != nil {
			return nil, err
		}
		if missing := s.missing(spec.ServiceOps...); len(missing) > 0 {
			return nil, &MissingEndpointsError{Workload: name, Operations: missing}
		}
		p.ServiceCounters = s.counters
		p.Calls = func() int { return int(s.calls.Load()) }
		steps = func(ctx context.Context) ([]step, error) { return e.steps(ctx, spec, p, serviceActors{s}) }
	default:
		return nil, fmt.Errorf("no target %q: want direct or service", target)
	}
	made, err := steps(ctx)
	if err != nil {
		return nil, fmt.Errorf("set up %s: %w", p.Name, err)
	}
	p.NewRun = func(context.Context) (bench.Op, error) {
		return cycle(e.nextRound(), e.Workers, made), nil
	}
	return p, nil
}

// current is the business operation a worker is in: its keys derive from the worker and
// the sequence number of its first step.
type current struct {
	keys        Keys
	worker, seq int
	// op counts the business operations of the run, in the order they started.
	op int
}

// id is an identifier of the operation, unique in the invocation.
func (c current) id(prefix string) string { return c.keys.ID(prefix, c.worker, c.seq) }

// serial is a serial number of the operation, unique within the invocation's products.
func (c current) serial() string { return c.keys.Serial(c.worker, c.seq) }

// step runs one transaction of a business operation.
type step func(ctx context.Context, c current) error

// stepTimeout bounds a step, as fabric-gateway's commit-status timeout does: a transaction
// whose commit never comes (an orderer lost it) fails its step as a timeout instead of
// holding its worker until the run ends.
var stepTimeout = fabric.DefaultTimeouts.CommitStatus

// cycle is a bench.Op that walks each worker through steps: the first step starts a new
// business operation, a failed step abandons it.
func cycle(keys Keys, workers int, steps []step) bench.Op {
	type state struct {
		next int
		cur  current
	}
	states := make([]state, workers)
	var ops atomic.Int64
	return func(ctx context.Context, worker, seq int) error {
		if worker >= len(states) {
			return fmt.Errorf("worker %d of a run prepared for %d", worker, len(states))
		}
		st := &states[worker]
		if st.next == 0 {
			st.cur = current{keys: keys, worker: worker, seq: seq, op: int(ops.Add(1) - 1)}
		}
		sctx, cancel := context.WithTimeout(ctx, stepTimeout)
		defer cancel()
		if err := steps[st.next](sctx, st.cur); err != nil {
			st.next = 0
			return err
		}
		st.next = (st.next + 1) % len(steps)
		return nil
	}
}

// byWorker picks worker's item of a list, round robin.
func byWorker[T any](items []T, worker int) T { return items[worker%len(items)] }
