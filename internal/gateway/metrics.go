package gateway

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
)

// metrics are the gateway's Prometheus series (prefix jiaotong_gateway_).
type metrics struct {
	connected          prometheus.Gauge
	authenticated      prometheus.Gauge
	frames             *prometheus.CounterVec // by message id
	decodeErrors       *prometheus.CounterVec // by kind
	positionsPublished prometheus.Counter
	batchesPublished   prometheus.Counter
	batchesFailed      prometheus.Counter
	batchSize          prometheus.Histogram
	ackLatency         prometheus.Histogram
	backpressure       prometheus.Counter
	dropped            *prometheus.CounterVec // connections closed by the gateway, by reason
	commands           *prometheus.CounterVec // downlink commands by kind and outcome

	// frameByID holds the frame counter of every known message id, so the
	// hot path neither formats nor hashes a label.
	frameByID  map[uint16]prometheus.Counter
	frameOther prometheus.Counter
}

func (m *metrics) frame(id uint16) {
	if c, ok := m.frameByID[id]; ok {
		c.Inc()
		return
	}
	m.frameOther.Inc()
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jiaotong_gateway_connections", Help: "Open JT/T 808 terminal connections.",
		}),
		authenticated: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jiaotong_gateway_terminals_online", Help: "Authenticated terminal sessions.",
		}),
		frames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jiaotong_gateway_frames_total", Help: "Frames received, by message id (vendor and unknown ids pooled).",
		}, []string{"msg_id"}),
		decodeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jiaotong_gateway_decode_errors_total", Help: "Frames that did not decode, by kind.",
		}, []string{"kind"}),
		positionsPublished: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jiaotong_gateway_positions_published_total", Help: "Positions stored in the POSITIONS stream.",
		}),
		batchesPublished: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jiaotong_gateway_batches_published_total", Help: "Position batches (stream messages) stored.",
		}),
		batchesFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jiaotong_gateway_batches_failed_total", Help: "Position batches the stream did not acknowledge (terminals re-send).",
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "jiaotong_gateway_batch_positions", Help: "Positions per stored batch.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
		}),
		ackLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "jiaotong_gateway_ack_latency_seconds",
			Help:    "From reading a position frame to the stream's acknowledgement (then 0x8001 goes out).",
			Buckets: []float64{.001, .002, .004, .008, .016, .032, .064, .128, .256, .512, 1, 2, 5},
		}),
		backpressure: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jiaotong_gateway_backpressure_total", Help: "Times a partition had all its in-flight batches taken and readers waited.",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jiaotong_gateway_connections_closed_total", Help: "Connections closed by the gateway, by reason.",
		}, []string{"reason"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jiaotong_gateway_commands_total", Help: "Downlink commands, by kind and outcome.",
		}, []string{"kind", "outcome"}),
	}
	m.frameByID = map[uint16]prometheus.Counter{}
	for id := range 0x10000 {
		if jt808.MsgName(uint16(id)) != "unknown" {
			m.frameByID[uint16(id)] = m.frames.WithLabelValues(jt808.MsgIDString(uint16(id)))
		}
	}
	m.frameOther = m.frames.WithLabelValues("other")
	if reg != nil {
		reg.MustRegister(m.connected, m.authenticated, m.frames, m.decodeErrors, m.positionsPublished,
			m.batchesPublished, m.batchesFailed, m.batchSize, m.ackLatency, m.backpressure, m.dropped, m.commands)
	}
	return m
}
