package sidecar

import (
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/howdah/howdah/client/notifier"
	"github.com/howdah/howdah/sidecar/errmap"
	"github.com/howdah/howdah/sidecar/rpc"
)

// metrics are the sidecar's Prometheus series, on a registry of its own (so that several
// servers can live in one process, as in tests).
type metrics struct {
	reg            *prometheus.Registry
	calls          *prometheus.CounterVec
	callDuration   *prometheus.HistogramVec
	http           *prometheus.CounterVec
	sseSubscribers prometheus.Gauge
	reloads        *prometheus.CounterVec
	shed           *prometheus.CounterVec
}

// limits registers the series of the server's limits (sidecar/limits.go).
func (m *metrics) limits(s *Server) {
	m.shed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "howdah_http_shed_total",
		Help: "Requests answered 503 because a limit was reached, by limit (body_bytes, event_streams).",
	}, []string{"limit"})
	m.reg.MustRegister(m.shed,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "howdah_http_body_bytes_in_flight",
			Help: "Memory held by /rpc bodies being read or run (at most MaxBodyBytesInFlight).",
		}, func() float64 { return float64(s.bodies.used.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "howdah_http_connections_open",
			Help: "HTTP connections open (at most MaxConnections).",
		}, func() float64 {
			if l := s.conns.Load(); l != nil {
				return float64(l.open())
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "howdah_http_connection_waits_total",
			Help: "Times a new connection had to wait because MaxConnections were open.",
		}, func() float64 {
			if l := s.conns.Load(); l != nil {
				return float64(l.waits.Load())
			}
			return 0
		}),
	)
}

func newMetrics(pool *pgxpool.Pool, hub *notifier.Notifier, disp *rpc.Dispatcher) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "howdah_rpc_calls_total",
		Help: "JSON-RPC calls by method and outcome (ok, or the error's name).",
	}, []string{"method", "outcome"})
	m.callDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "howdah_rpc_call_duration_seconds",
		Help:    "Time to answer one JSON-RPC call, by method.",
		Buckets: []float64{.0002, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"method"})
	m.http = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "howdah_http_requests_total",
		Help: "HTTP requests by route and status.",
	}, []string{"route", "status"})
	m.sseSubscribers = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "howdah_sse_subscribers",
		Help: "Open /events streams.",
	})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "howdah_catalog_reloads_total",
		Help: "Catalog reloads by result (ok, error).",
	}, []string{"result"})
	m.reg.MustRegister(m.calls, m.callDuration, m.http, m.sseSubscribers, m.reloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "howdah_listen_reconnects_total",
			Help: "Times the LISTEN connection was lost and made again.",
		}, func() float64 { return float64(hub.Reconnects()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "howdah_listen_connected",
			Help: "1 when the LISTEN connection is up.",
		}, func() float64 {
			if hub.Connected() {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "howdah_catalog_methods",
			Help: "Methods in the current catalog.",
		}, func() float64 { return float64(disp.Catalog().Len()) }),
		&poolCollector{pool: pool},
	)
	return m
}

// outcomeNames label JSON-RPC error codes in metrics.
var outcomeNames = map[int]string{
	0: "ok", errmap.CodeParse: "parse_error", errmap.CodeInvalidRequest: "invalid_request",
	errmap.CodeMethodNotFound: "method_not_found", errmap.CodeInvalidParams: "invalid_params",
	errmap.CodeInternal: "internal_error", errmap.CodeApplication: "application_error",
	errmap.CodeUnauthorized: "unauthorized", errmap.CodeForbidden: "forbidden", errmap.CodeNotFound: "not_found",
	errmap.CodeTimeout: "timeout", errmap.CodeConflict: "conflict", errmap.CodeUnavailable: "unavailable",
}

func (m *metrics) observe(o rpc.Outcome) {
	name, ok := outcomeNames[o.Code]
	if !ok {
		name = strconv.Itoa(o.Code)
	}
	m.calls.WithLabelValues(o.Method, name).Inc()
	m.callDuration.WithLabelValues(o.Method).Observe(o.Duration.Seconds())
}

// poolCollector reports pgxpool statistics at scrape time.
type poolCollector struct{ pool *pgxpool.Pool }

var (
	poolConns = prometheus.NewDesc("howdah_db_pool_connections", "Pool connections by state (acquired, idle, constructing, total, max).",
		[]string{"state"}, nil)
	poolAcquires = prometheus.NewDesc("howdah_db_pool_acquires_total", "Connections acquired from the pool.", nil, nil)
	poolWaits    = prometheus.NewDesc("howdah_db_pool_empty_acquires_total",
		"Acquires that had to wait because no connection was idle.", nil, nil)
	poolWait = prometheus.NewDesc("howdah_db_pool_acquire_wait_seconds_total", "Time spent waiting for connections.", nil, nil)
)

func (p *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolConns
	ch <- poolAcquires
	ch <- poolWaits
	ch <- poolWait
}

func (p *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := p.pool.Stat()
	for state, v := range map[string]int32{"acquired": s.AcquiredConns(), "idle": s.IdleConns(),
		"constructing": s.ConstructingConns(), "total": s.TotalConns(), "max": s.MaxConns()} {
		ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(v), state)
	}
	ch <- prometheus.MustNewConstMetric(poolAcquires, prometheus.CounterValue, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWait, prometheus.CounterValue, s.AcquireDuration().Seconds())
}
