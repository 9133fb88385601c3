package bus_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
)

type alarm struct {
	VehicleID int64  `json:"vehicle_id"`
	Kind      string `json:"kind"`
}

// An embedded event log, a stream, a typed publish and a durable consumer
// that stops after its first message.
func Example() {
	dir, _ := os.MkdirTemp("", "bus-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	b, err := bus.StartEmbedded(ctx, bus.EmbeddedOptions{StoreDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	if err := b.EnsureStream(ctx, bus.StreamConfig{Name: "EVENTS", Subjects: []string{"event.>"}}); err != nil {
		fmt.Println(err)
		return
	}
	alarms := bus.Topic[alarm]{} // JSON codec
	ack, err := alarms.Publish(ctx, b, "event.alarm.overspeed", alarm{VehicleID: 42, Kind: "overspeed"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("stored as", ack.Stream, ack.Sequence)

	cctx, stop := context.WithCancel(ctx)
	err = alarms.Consume(cctx, b, bus.ConsumerConfig{Stream: "EVENTS", Durable: "alarm-center"},
		func(_ context.Context, a alarm, m bus.Meta) error {
			fmt.Println("handled", a.Kind, "of vehicle", a.VehicleID, "at seq", m.Sequence)
			stop()
			return nil
		})
	fmt.Println("consumer stopped:", err)
	// Output:
	// stored as EVENTS 1
	// handled overspeed of vehicle 42 at seq 1
	// consumer stopped: <nil>
}
