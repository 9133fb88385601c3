package bus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
)

func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func TestMetricsCountPublishesAndConsumption(t *testing.T) {
	ctx := testCtx(t)
	reg := prometheus.NewRegistry()
	b, err := bus.StartEmbedded(ctx, bus.EmbeddedOptions{StoreDir: t.TempDir(), Logger: discard()}, bus.WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.EnsureStream(ctx, bus.StreamConfig{Name: "EVENTS", Subjects: []string{"ev.>"}}); err != nil {
		t.Fatal(err)
	}
	publishN(t, b, "ev.a", 1, 3)
	if _, err := b.PublishBatch(ctx, []bus.Outgoing{{Subject: "ev.b", Data: []byte("x")}, {Subject: ""}}, nil); err == nil {
		t.Fatal("batch with an empty subject succeeded")
	}
	col := newCollector()
	c := startConsume(t, b, bus.ConsumerConfig{Stream: "EVENTS", Durable: "alarms"}, func(_ context.Context, m *bus.Msg) error {
		col.add(m)
		return nil
	})
	col.waitFor(t, 4)
	c.stop(t)

	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"jiaotong_bus_published_messages_total", map[string]string{"result": "ok"}, 4},
		{"jiaotong_bus_published_messages_total", map[string]string{"result": "error"}, 1},
		{"jiaotong_bus_consumed_messages_total", map[string]string{"consumer": "alarms", "result": "ack"}, 4},
	} {
		if got := counterValue(t, reg, tt.name, tt.labels); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
}

func TestCloseStopsConsumers(t *testing.T) {
	ctx := testCtx(t)
	b, err := bus.StartEmbedded(ctx, bus.EmbeddedOptions{StoreDir: t.TempDir(), Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.EnsureStream(ctx, bus.StreamConfig{Name: "EVENTS", Subjects: []string{"ev.>"}}); err != nil {
		t.Fatal(err)
	}
	publishN(t, b, "ev.a", 1, 1)
	got := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- b.Consume(ctx, bus.ConsumerConfig{Stream: "EVENTS", Durable: "x"}, func(context.Context, *bus.Msg) error {
			got <- struct{}{}
			return nil
		})
	}()
	<-got
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, bus.ErrClosed) {
			t.Errorf("Consume after Close returned %v, want ErrClosed", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Consume kept running after Close")
	}
	if _, err := b.Publish(ctx, "ev.a", nil); !errors.Is(err, bus.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
