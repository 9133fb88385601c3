package bus

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
)

// Codec turns values of T into message payloads and back. JSON is the
// default; hot paths (positions) plug in a compact binary codec.
type Codec[T any] interface {
	// Encode appends the encoding of v to dst and returns the extended
	// slice, so callers can reuse buffers.
	Encode(dst []byte, v T) ([]byte, error)
	// Decode fills v from data. data may be retained by the caller after
	// Decode returns, so v must not alias it unless documented.
	Decode(data []byte, v *T) error
}

// JSON is the default codec: encoding/json, readable with any NATS tool.
type JSON[T any] struct{}

// Encode appends v as JSON.
func (JSON[T]) Encode(dst []byte, v T) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	if dst == nil {
		return b, nil
	}
	return append(dst, b...), nil
}

// Decode reads JSON into v.
func (JSON[T]) Decode(data []byte, v *T) error { return json.Unmarshal(data, v) }

var _ Codec[struct{}] = JSON[struct{}]{}

// Topic is a typed view of messages carrying T. The zero value uses JSON.
//
//	var positions = bus.NewTopic[Position](positionCodec{})
//	ack, err := positions.Publish(ctx, b, "pos.7", p)
type Topic[T any] struct {
	codec Codec[T]
}

// NewTopic returns a Topic with codec c (JSON when nil).
func NewTopic[T any](c Codec[T]) Topic[T] { return Topic[T]{codec: c} }

func (tp Topic[T]) c() Codec[T] {
	if tp.codec == nil {
		return JSON[T]{}
	}
	return tp.codec
}

// Encode appends v's payload to dst, for building a PublishBatch.
func (tp Topic[T]) Encode(dst []byte, v T) ([]byte, error) {
	out, err := tp.c().Encode(dst, v)
	if err != nil {
		return dst, fmt.Errorf("bus: encode %T: %w", v, err)
	}
	return out, nil
}

// Publish encodes v and publishes it like Bus.Publish: it returns once the
// stream has stored it.
func (tp Topic[T]) Publish(ctx context.Context, b *Bus, subject string, v T, opts ...PublishOption) (Ack, error) {
	data, err := tp.Encode(nil, v)
	if err != nil {
		return Ack{}, fmt.Errorf("bus: publish %s: %w", subject, err)
	}
	return b.Publish(ctx, subject, data, opts...)
}

// Consume decodes each message and calls h, with Bus.Consume's
// acknowledgement rules. A message that does not decode can never succeed,
// so it is terminated and logged rather than redelivered.
func (tp Topic[T]) Consume(ctx context.Context, b *Bus, cfg ConsumerConfig, h func(ctx context.Context, v T, m Meta) error) error {
	if h == nil {
		return fmt.Errorf("bus: consume: %w", apperr.Field("handler", "must not be nil", nil))
	}
	codec := tp.c()
	return b.Consume(ctx, cfg, func(ctx context.Context, m *Msg) error {
		var v T
		if err := codec.Decode(m.Data, &v); err != nil {
			return Permanent(fmt.Errorf("decode %T: %w", v, err))
		}
		return h(ctx, v, m.Meta)
	})
}
