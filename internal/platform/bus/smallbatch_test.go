package bus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus/bustest"
)

// smallBatchWait bounds the wait for one message in
// TestSmallBatchesDeliverEveryMessage. A healthy consumer hands a message
// over within milliseconds; one whose iterator has stopped pulling only
// recovers when its missing-heartbeat timer fires 30 s later. It is a safety
// net against a stalled consumer, not a speed assertion.
const smallBatchWait = 10 * time.Second

// TestSmallBatchesDeliverEveryMessage publishes messages one at a time, each
// only after the previous one was handled, to consumers that pull one or two
// messages at a time: every message must reach the handler while the
// consumer keeps running. With such batches each message empties the
// iterator, so every Next call must send a new pull request; one refill the
// iterator skips (see Bus.next) used to stall the consumer for 30 s. The race
// behind it is rare, so the test sends many messages through each consumer.
func TestSmallBatchesDeliverEveryMessage(t *testing.T) {
	const n = 200
	bustest.Run(t, func(t *testing.T, b *bus.Bus) {
		for _, batch := range []int{1, 2} {
			for _, mode := range []string{"Consume", "ConsumeBatch"} {
				t.Run(fmt.Sprintf("%s/batch%d", mode, batch), func(t *testing.T) {
					stream, subj := newStream(t, b, "SB")
					got := make(chan string, 10*n)
					cfg := bus.ConsumerConfig{Stream: stream, Durable: "small", Batch: batch}
					ctx, cancel := context.WithCancel(t.Context())
					done := make(chan error, 1)
					go func() {
						if mode == "Consume" {
							done <- b.Consume(ctx, cfg, func(_ context.Context, m *bus.Msg) error {
								got <- string(m.Data)
								return nil
							})
							return
						}
						done <- b.ConsumeBatch(ctx, cfg, func(_ context.Context, msgs []*bus.Msg) error {
							if len(msgs) > batch {
								t.Errorf("batch of %d, want at most %d", len(msgs), batch)
							}
							for _, m := range msgs {
								got <- string(m.Data)
							}
							return nil
						})
					}()
					defer func() {
						cancel()
						select {
						case err := <-done:
							if err != nil {
								t.Errorf("%s returned %v", mode, err)
							}
						case <-time.After(waitTimeout):
							t.Errorf("%s did not return after its context ended", mode)
						}
					}()
					for i := 1; i <= n; i++ {
						want := fmt.Sprintf("m%d", i)
						if _, err := b.Publish(testCtx(t), subj+".x", []byte(want)); err != nil {
							t.Fatalf("publish %s: %v", want, err)
						}
						select {
						case m := <-got:
							if m != want {
								t.Fatalf("handled %s, want %s", m, want)
							}
						case <-time.After(smallBatchWait):
							t.Fatalf("%s not handled within %v of its publish (messages handled before: %d)", want, smallBatchWait, i-1)
						}
					}
				})
			}
		}
	})
}

// TestConsumeStoppedBeforeStart: a consumer whose context has ended before
// it was created returns nil, as any other stop does, not the context's
// error.
func TestConsumeStoppedBeforeStart(t *testing.T) {
	bustest.Run(t, func(t *testing.T, b *bus.Bus) {
		stream, _ := newStream(t, b, "STOP")
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		cfg := bus.ConsumerConfig{Stream: stream, Durable: "late"}
		if err := b.Consume(ctx, cfg, func(context.Context, *bus.Msg) error { return nil }); err != nil {
			t.Errorf("Consume = %v, want nil", err)
		}
		if err := b.ConsumeBatch(ctx, cfg, func(context.Context, []*bus.Msg) error { return nil }); err != nil {
			t.Errorf("ConsumeBatch = %v, want nil", err)
		}
	})
}
