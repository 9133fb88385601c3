package live

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics count what the service pushed and what it had to skip.
type metrics struct {
	positions prometheus.Counter
	events    prometheus.Counter
	skipped   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	pushed := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "jiaotong", Subsystem: "live", Name: "broadcast_messages_total",
		Help: "Positions and events offered to the live WebSocket clients, by kind.",
	}, []string{"kind"}))
	skipped := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "jiaotong", Subsystem: "live", Name: "skipped_messages_total",
		Help: "Positions and events not pushed, by reason (unknown_vehicle, lookup_failed, unknown_event).",
	}, []string{"reason"}))
	return &metrics{
		positions: pushed.WithLabelValues("position"),
		events:    pushed.WithLabelValues("event"),
		skipped:   skipped,
	}
}

// register registers c, reusing an identical collector already registered.
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
