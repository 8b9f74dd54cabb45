// Package metrics defines the gateway service's Prometheus metrics on a registry of its own:
// HTTP requests by route and status, the latency of each Fabric phase (evaluate, endorse,
// journal, submit, commit, settle), idempotent replays, rate-limited requests, open event streams, the work
// of reconciliation and the answers of the query caches.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cxledger/cxledger/gateway/fabric"
)

// Metrics are the service's collectors.
type Metrics struct {
	registry     *prometheus.Registry
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	phases       *prometheus.HistogramVec
	replays      prometheus.Counter
	rateLimited  *prometheus.CounterVec
	eventStreams prometheus.Gauge
	pending      prometheus.Gauge
	reconciled   *prometheus.CounterVec
	cacheLookups *prometheus.CounterVec
}

// latencyBuckets cover a query (milliseconds) to a commit that waits for a leader election.
var latencyBuckets = []float64{.001, .005, .01, .025, .05, .1, .2, .3, .4, .5, .6, .75, 1, 1.25, 1.5, 2, 5, 10, 20, 30}

// New registers the collectors, with the Go runtime and process collectors, on a new
// registry.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxl_gateway_http_requests_total", Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cxl_gateway_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: latencyBuckets,
		}, []string{"route", "method"}),
		phases: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cxl_gateway_fabric_phase_duration_seconds", Help: "Latency of each phase of a transaction (evaluate, endorse, journal: the durable write before submission, submit, commit, settle: the wait for every other peer to commit the block) by outcome code.", Buckets: latencyBuckets,
		}, []string{"phase", "outcome"}),
		replays: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cxl_gateway_idempotent_replays_total", Help: "Mutations answered from an earlier request with the same idempotency key.",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxl_gateway_rate_limited_total", Help: "Requests refused with 429, by limiter (principal or public).",
		}, []string{"limiter"}),
		eventStreams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cxl_gateway_event_streams", Help: "Open Server-Sent Events streams.",
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cxl_gateway_pending_transactions", Help: "Transactions submitted whose commit is not known yet, at the last reconciliation pass.",
		}),
		reconciled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxl_gateway_reconciled_total", Help: "Reconciliation outcomes: committed, failed, resubmitted.",
		}, []string{"outcome"}),
		cacheLookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxl_gateway_cache_lookups_total", Help: "Queries asked of a query cache, by cache and outcome (hit, miss, shared: waited for a concurrent miss).",
		}, []string{"cache", "outcome"}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.phases, m.replays, m.rateLimited, m.eventStreams, m.pending, m.reconciled, m.cacheLookups,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Request records one HTTP request.
func (m *Metrics) Request(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

// Phase is a fabric.Observer: it records the latency of one Fabric phase.
func (m *Metrics) Phase(p fabric.Phase, d time.Duration, err error) {
	outcome := "OK"
	if err != nil {
		outcome = string(fabric.Classify(err).Code)
	}
	m.phases.WithLabelValues(string(p), outcome).Observe(d.Seconds())
}

// Replay records a mutation answered from its idempotency record.
func (m *Metrics) Replay() { m.replays.Inc() }

// RateLimited records a request refused by limiter ("principal" or "public").
func (m *Metrics) RateLimited(limiter string) { m.rateLimited.WithLabelValues(limiter).Inc() }

// StreamOpened and StreamClosed track open event streams.
func (m *Metrics) StreamOpened() { m.eventStreams.Inc() }

// StreamClosed records an event stream that ended.
func (m *Metrics) StreamClosed() { m.eventStreams.Dec() }

// Pending sets the number of transactions whose commit is not known.
func (m *Metrics) Pending(n int) { m.pending.Set(float64(n)) }

// Reconciled counts reconciliation outcomes: a transaction found committed or failed, or
// an envelope resubmitted.
func (m *Metrics) Reconciled(outcome string, n int) {
	m.reconciled.WithLabelValues(outcome).Add(float64(n))
}

// CacheLookup counts one query asked of a query cache ("verify") and how it was answered.
func (m *Metrics) CacheLookup(cache, outcome string) {
	m.cacheLookups.WithLabelValues(cache, outcome).Inc()
}
