package wshub_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/wshub"
)

// BenchmarkFanOut sends one message to 1,000 connected clients over real
// WebSockets on loopback and waits until every client whose filter matches
// has read it: the cost of one broadcast from Broadcast to the last reader.
// Clients subscribe to one of ten counties (so a tenth matches) or to the
// whole city (all match).
func BenchmarkFanOut(b *testing.B) {
	for _, tc := range []struct {
		name   string
		prefix func(i int) string
	}{
		{"1000clients/10pct_match", func(i int) string { return fmt.Sprintf("5101%02d", i%10) }},
		{"1000clients/all_match", func(int) string { return "5101" }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := newServer(b, wshub.Config{Name: "bench", KeyInterval: -1})
			const n = 1000
			var received atomic.Int64
			var wg sync.WaitGroup
			matching := 0
			for i := range n {
				p := tc.prefix(i)
				if strings.HasPrefix("510100", p) {
					matching++
				}
				conn := s.dial(b, p)
				wg.Go(func() {
					for {
						if _, _, err := conn.Read(context.Background()); err != nil {
							return
						}
						received.Add(1)
					}
				})
			}
			msg := &wshub.Message[region]{Data: []byte(`{"type":"alarm.raised","vehicle_id":1,"region":"510100"}`), Meta: "510100"}
			b.ReportAllocs()
			b.ResetTimer()
			var want int64
			for b.Loop() {
				if got := s.hub.Broadcast(msg); got != matching {
					b.Fatalf("broadcast matched %d clients, want %d", got, matching)
				}
				want += int64(matching)
				for received.Load() < want {
					time.Sleep(20 * time.Microsecond)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(matching), "recipients")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_ = s.hub.Close(ctx)
			wg.Wait()
		})
	}
}

// BenchmarkBroadcast measures the fan-out call alone: filters and queueing
// for 1,000 clients (ten counties), without waiting for delivery; the
// writers drain the queues in the background meanwhile.
func BenchmarkBroadcast(b *testing.B) {
	s := newServer(b, wshub.Config{Name: "bench", QueueSize: 1 << 20, KeyInterval: -1})
	const n = 1000
	var wg sync.WaitGroup
	for i := range n {
		conn := s.dial(b, fmt.Sprintf("5101%02d", i%10))
		wg.Go(func() {
			for {
				if _, _, err := conn.Read(context.Background()); err != nil {
					return
				}
			}
		})
	}
	for _, tc := range []struct {
		name   string
		region region
	}{{"1000clients/no_match", "440305"}, {"1000clients/10pct_match", "510103"}} {
		b.Run(tc.name, func(b *testing.B) {
			msg := &wshub.Message[region]{Data: []byte(`{"type":"position","vehicle_id":1}`), Meta: tc.region}
			b.ReportAllocs()
			for b.Loop() {
				s.hub.Broadcast(msg)
			}
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_ = s.hub.Close(ctx)
	wg.Wait()
}
