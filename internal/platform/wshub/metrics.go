package wshub

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are one hub's series. Without a registerer they are still counted,
// just not exported.
type metrics struct {
	clients   prometheus.Gauge
	sent      prometheus.Counter
	conflated prometheus.Counter
	dropped   *prometheus.CounterVec // labels hub, reason
}

func newMetrics(reg prometheus.Registerer, hub string) *metrics {
	clients := register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "jiaotong", Subsystem: "wshub", Name: "clients",
		Help: "WebSocket clients connected, by hub.",
	}, []string{"hub"}))
	sent := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "jiaotong", Subsystem: "wshub", Name: "sent_messages_total",
		Help: "Messages written to WebSocket clients, by hub.",
	}, []string{"hub"}))
	conflated := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "jiaotong", Subsystem: "wshub", Name: "conflated_messages_total",
		Help: "Keyed messages replaced by a newer one before they were sent, by hub.",
	}, []string{"hub"}))
	dropped := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "jiaotong", Subsystem: "wshub", Name: "clients_dropped_total",
		Help: "Clients disconnected by the server because they could not keep up, by hub and reason " +
			"(slow: queue full; write_failed: a write timed out; pong_timeout: no answer to a ping).",
	}, []string{"hub", "reason"}))
	return &metrics{
		clients:   clients.WithLabelValues(hub),
		sent:      sent.WithLabelValues(hub),
		conflated: conflated.WithLabelValues(hub),
		dropped:   dropped,
	}
}

// register registers c, reusing an identical collector already registered
// (several hubs in one process, tests).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}
