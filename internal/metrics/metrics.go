// Package metrics exposes exportd's Prometheus metrics: requests by route and
// status with latency, exports by type and outcome with rows and bytes, the
// queue's depth and the age of its oldest job, deliveries by channel and
// outcome, and rate-limit rejections. The other packages report through
// plain function hooks, so they do not depend on Prometheus.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/exportd/exportd/internal/export"
)

// QueueStats reads the queue's state for each scrape.
type QueueStats func(ctx context.Context) (depth int, oldest time.Duration, err error)

// Metrics holds the registry and the instruments.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	exports     *prometheus.CounterVec
	rows        *prometheus.CounterVec
	bytes       *prometheus.CounterVec
	deliveries  *prometheus.CounterVec
	rateLimited prometheus.Counter
}

// New registers every instrument; queue may be nil.
func New(queue QueueStats) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "exportd_http_requests_total",
		Help: "HTTP requests by route and status."}, []string{"route", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "exportd_http_request_duration_seconds",
		Help: "HTTP request latency by route (downloads included).", Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}, []string{"route"})
	m.exports = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "exportd_exports_total",
		Help: "Finished exports by type and outcome (completed, failed, canceled)."}, []string{"object", "outcome"})
	m.rows = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "exportd_export_rows_total",
		Help: "Rows written into completed exports."}, []string{"object"})
	m.bytes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "exportd_export_bytes_total",
		Help: "Bytes of completed export files."}, []string{"object"})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "exportd_deliveries_total",
		Help: "Notification delivery attempts by channel (email, webhook) and outcome (delivered, retry, dead)."}, []string{"channel", "outcome"})
	m.rateLimited = prometheus.NewCounter(prometheus.CounterOpts{Name: "exportd_rate_limited_total",
		Help: "API requests refused by the per-account rate limit."})
	m.reg.MustRegister(m.requests, m.latency, m.exports, m.rows, m.bytes, m.deliveries, m.rateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if queue != nil {
		m.reg.MustRegister(&queueCollector{stats: queue,
			depth: prometheus.NewDesc("exportd_queue_depth", "Jobs queued or running.", nil, nil),
			age:   prometheus.NewDesc("exportd_queue_oldest_seconds", "Age of the oldest queued job.", nil, nil)})
	}
	return m
}

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Request records one HTTP request.
func (m *Metrics) Request(route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
	if status == http.StatusTooManyRequests {
		m.rateLimited.Inc()
	}
}

// Export records a finished export.
func (m *Metrics) Export(e export.Export, outcome string, rows, bytes int64) {
	m.exports.WithLabelValues(e.Object, outcome).Inc()
	if outcome == "completed" {
		m.rows.WithLabelValues(e.Object).Add(float64(rows))
		m.bytes.WithLabelValues(e.Object).Add(float64(bytes))
	}
}

// Delivery records one delivery attempt.
func (m *Metrics) Delivery(channel, outcome string) {
	m.deliveries.WithLabelValues(channel, outcome).Inc()
}

type queueCollector struct {
	stats      QueueStats
	depth, age *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.depth; ch <- c.age }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	depth, oldest, err := c.stats(ctx)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(depth))
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, oldest.Seconds())
}
