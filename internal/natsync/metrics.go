package natsync

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector exposes Stats to Prometheus (register it on the /metrics
// registry): congso_natsync_records_queued_total, _sent_total and
// congso_natsync_attempts_total (counters); congso_natsync_records_pending,
// _dead and _blocked, congso_natsync_oldest_pending_age_seconds and
// congso_natsync_hub_available (gauges).
func (s *Service) Collector() prometheus.Collector { return collector{s} }

type collector struct{ s *Service }

var (
	descQueued    = prometheus.NewDesc("congso_natsync_records_queued_total", "Records queued for the national portal.", nil, nil)
	descSent      = prometheus.NewDesc("congso_natsync_records_sent_total", "Records the national hub acknowledged.", nil, nil)
	descAttempts  = prometheus.NewDesc("congso_natsync_attempts_total", "Delivery attempts to the national hub.", nil, nil)
	descPending   = prometheus.NewDesc("congso_natsync_records_pending", "Records waiting for delivery.", nil, nil)
	descDead      = prometheus.NewDesc("congso_natsync_records_dead", "Records given up on, waiting for a replay.", nil, nil)
	descBlocked   = prometheus.NewDesc("congso_natsync_records_blocked", "Pending records held behind a dead record of their dossier.", nil, nil)
	descOldest    = prometheus.NewDesc("congso_natsync_oldest_pending_age_seconds", "Age of the oldest pending record.", nil, nil)
	descAvailable = prometheus.NewDesc("congso_natsync_hub_available", "1 unless deliveries are paused because the hub fails.", nil, nil)
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descQueued, descSent, descAttempts, descPending, descDead, descBlocked, descOldest, descAvailable} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.s.stats(ctx)
	if err != nil {
		c.s.log.Warn("national portal sync metrics", "err", err)
		return
	}
	age := 0.0
	if st.OldestPending != nil {
		age = c.s.now().Sub(*st.OldestPending).Seconds()
	}
	available := 0.0
	if st.HubAvailable {
		available = 1
	}
	ch <- prometheus.MustNewConstMetric(descQueued, prometheus.CounterValue, float64(st.Queued))
	ch <- prometheus.MustNewConstMetric(descSent, prometheus.CounterValue, float64(st.Sent))
	ch <- prometheus.MustNewConstMetric(descAttempts, prometheus.CounterValue, float64(st.Attempts))
	ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(descDead, prometheus.GaugeValue, float64(st.Dead))
	ch <- prometheus.MustNewConstMetric(descBlocked, prometheus.GaugeValue, float64(st.Blocked))
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(descAvailable, prometheus.GaugeValue, available)
}
