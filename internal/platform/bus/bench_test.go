package bus_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus/bustest"
)

// benchBus starts an embedded server with a POSITIONS-like stream.
func benchBus(b *testing.B) *bus.Bus {
	b.Helper()
	bb := bustest.StartEmbedded(b)
	if err := bb.EnsureStream(b.Context(), bus.StreamConfig{Name: "POSITIONS", Subjects: []string{"pos.>"}}); err != nil {
		b.Fatal(err)
	}
	return bb
}

// The embedded server runs in the benchmark's process, so B/op and allocs/op
// count the server's allocations as well as the client's.

// payload is the size of a compact binary position (100 bytes).
var payload = make([]byte, 100)

// BenchmarkPublish is one message per round trip: what a caller that waits
// for each acknowledgement gets.
func BenchmarkPublish(b *testing.B) {
	bb := benchBus(b)
	ctx := b.Context()
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	n := 0
	for b.Loop() {
		if _, err := bb.Publish(ctx, "pos.1", payload); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkPublishBatch pipelines a batch and waits for all acknowledgements,
// as the gateway does for the positions it has read from its sessions.
func BenchmarkPublishBatch(b *testing.B) {
	for _, size := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			bb := benchBus(b)
			ctx := b.Context()
			msgs := make([]bus.Outgoing, size)
			for i := range msgs {
				msgs[i] = bus.Outgoing{Subject: fmt.Sprintf("pos.%d", i%16), Data: payload}
			}
			res := make([]bus.PublishResult, 0, size)
			b.ReportAllocs()
			b.SetBytes(int64(size * len(payload)))
			n := 0
			for b.Loop() {
				var err error
				if res, err = bb.PublishBatch(ctx, msgs, res[:0]); err != nil {
					b.Fatal(err)
				}
				n += size
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/msg")
		})
	}
}

// BenchmarkPublishBatchTCP is BenchmarkPublishBatch over a loopback TCP
// connection to the embedded server, the transport of a scaled-out
// deployment, for comparison with the in-process connection.
func BenchmarkPublishBatchTCP(b *testing.B) {
	srv, err := bus.StartEmbedded(b.Context(), bus.EmbeddedOptions{StoreDir: b.TempDir(), Listen: "127.0.0.1:0", Logger: discard()})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	bb, err := bus.Connect(b.Context(), srv.ClientURL(), bus.WithLogger(discard()))
	if err != nil {
		b.Fatal(err)
	}
	defer bb.Close()
	if err := bb.EnsureStream(b.Context(), bus.StreamConfig{Name: "POSITIONS", Subjects: []string{"pos.>"}}); err != nil {
		b.Fatal(err)
	}
	const size = 100
	msgs := make([]bus.Outgoing, size)
	for i := range msgs {
		msgs[i] = bus.Outgoing{Subject: fmt.Sprintf("pos.%d", i%16), Data: payload}
	}
	res := make([]bus.PublishResult, 0, size)
	b.ReportAllocs()
	b.SetBytes(int64(size * len(payload)))
	n := 0
	for b.Loop() {
		if res, err = bb.PublishBatch(b.Context(), msgs, res[:0]); err != nil {
			b.Fatal(err)
		}
		n += size
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/msg")
}

// BenchmarkPublishBatchParallel has several publishers (gateway sessions)
// sending batches of 100 at once over the one connection.
func BenchmarkPublishBatchParallel(b *testing.B) {
	bb := benchBus(b)
	const size = 100
	b.ReportAllocs()
	b.SetBytes(int64(size * len(payload)))
	b.SetParallelism(4) // 4 publishers per core
	b.RunParallel(func(pb *testing.PB) {
		msgs := make([]bus.Outgoing, size)
		for i := range msgs {
			msgs[i] = bus.Outgoing{Subject: fmt.Sprintf("pos.%d", i%16), Data: payload}
		}
		res := make([]bus.PublishResult, 0, size)
		var err error
		for pb.Next() {
			if res, err = bb.PublishBatch(b.Context(), msgs, res[:0]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkConsume delivers a stored backlog to Consume (one message per
// handler call) and to ConsumeBatch, as the track store and the monitor read
// the positions stream after a restart: messages handled and acknowledged
// per second. Each round reads a fresh stream of the same backlog.
func BenchmarkConsume(b *testing.B) {
	const backlog = 20_000
	for _, mode := range []string{"Consume", "ConsumeBatch"} {
		b.Run(mode, func(b *testing.B) {
			bb := bustest.StartEmbedded(b)
			ctx := b.Context()
			var res []bus.PublishResult
			rounds := 0
			for b.Loop() {
				b.StopTimer()
				stream, subject := fmt.Sprintf("B%d", rounds), fmt.Sprintf("b%d", rounds)
				if err := bb.EnsureStream(ctx, bus.StreamConfig{Name: stream, Subjects: []string{subject + ".>"}}); err != nil {
					b.Fatal(err)
				}
				msgs := make([]bus.Outgoing, 1000)
				for i := range msgs {
					msgs[i] = bus.Outgoing{Subject: fmt.Sprintf("%s.%d", subject, i%16), Data: payload}
				}
				for range backlog / len(msgs) {
					var err error
					if res, err = bb.PublishBatch(ctx, msgs, res[:0]); err != nil {
						b.Fatal(err)
					}
				}
				cctx, cancel := context.WithCancel(ctx)
				cfg := bus.ConsumerConfig{Stream: stream, Durable: "bench"}
				var got atomic.Int64
				handled := func(k int) {
					if got.Add(int64(k)) >= backlog {
						cancel()
					}
				}
				b.StartTimer()
				var err error
				if mode == "Consume" {
					err = bb.Consume(cctx, cfg, func(context.Context, *bus.Msg) error { handled(1); return nil })
				} else {
					err = bb.ConsumeBatch(cctx, cfg, func(_ context.Context, ms []*bus.Msg) error { handled(len(ms)); return nil })
				}
				b.StopTimer()
				cancel()
				if err != nil {
					b.Fatal(err)
				}
				rounds++
				b.StartTimer()
			}
			b.ReportMetric(float64(rounds*backlog)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
