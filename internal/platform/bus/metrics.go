package bus

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the bus's Prometheus counters. Without a registerer they are
// still counted, just not exported, so the hot path has no branches.
type metrics struct {
	publishOK  prometheus.Counter
	publishErr prometheus.Counter
	consumed   *prometheus.CounterVec
}

type consumerMetrics struct {
	acked, retried, terminated prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	published := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "jiaotong", Subsystem: "bus", Name: "published_messages_total",
		Help: "Messages published to JetStream, by result (ok: stored and acknowledged).",
	}, []string{"result"})
	consumed := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "jiaotong", Subsystem: "bus", Name: "consumed_messages_total",
		Help: "Messages handled by consumers, by consumer and outcome (ack, retry, terminate).",
	}, []string{"consumer", "result"})
	published = register(reg, published)
	consumed = register(reg, consumed)
	return &metrics{
		publishOK:  published.WithLabelValues("ok"),
		publishErr: published.WithLabelValues("error"),
		consumed:   consumed,
	}
}

// register registers c, reusing an identical collector already registered
// (two buses in one process, tests).
func register(reg prometheus.Registerer, c *prometheus.CounterVec) *prometheus.CounterVec {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return existing
			}
		}
	}
	return c
}

func (m *metrics) consumer(name string) *consumerMetrics {
	return &consumerMetrics{
		acked:      m.consumed.WithLabelValues(name, "ack"),
		retried:    m.consumed.WithLabelValues(name, "retry"),
		terminated: m.consumed.WithLabelValues(name, "terminate"),
	}
}
