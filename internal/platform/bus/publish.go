package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Ack is the stream's receipt for a stored message.
type Ack struct {
	Stream   string
	Sequence uint64 // stream sequence: the message's position in the log
	// Duplicate is true when the stream already held a message with the same
	// id within its duplicate window and stored nothing new; Sequence then
	// names the earlier copy.
	Duplicate bool
}

// PublishOption adds an id or headers to one published message.
type PublishOption func(*Outgoing)

// MsgID sets the message id (Nats-Msg-Id). The stream drops a second message
// with the same id inside its duplicate window, so a publisher that retries
// after a timeout does not store the event twice.
func MsgID(id string) PublishOption { return func(o *Outgoing) { o.MsgID = id } }

// WithHeader adds one header to the message.
func WithHeader(key, value string) PublishOption {
	return func(o *Outgoing) {
		if o.Header == nil {
			o.Header = Header{}
		}
		o.Header[key] = append(o.Header[key], value)
	}
}

// Outgoing is one message of a batch publish.
type Outgoing struct {
	Subject string
	Data    []byte
	MsgID   string // optional, see MsgID
	Header  Header // optional
}

// PublishResult is the outcome of one message of a batch: an Ack or an error.
type PublishResult struct {
	Ack Ack
	Err error
}

// Publish stores one message and returns once the stream has acknowledged it
// with its sequence: from then on it is durable and consumers will see it.
// An error means the message may or may not be stored; retry with the same
// MsgID to keep it single. The subject must belong to a stream (ErrNotFound
// otherwise).
func (b *Bus) Publish(ctx context.Context, subject string, data []byte, opts ...PublishOption) (Ack, error) {
	if err := validSubject("subject", subject, false); err != nil {
		return Ack{}, fmt.Errorf("bus: publish: %w", err)
	}
	out := Outgoing{Subject: subject, Data: data}
	for _, opt := range opts {
		opt(&out)
	}
	m := nats.Msg{Subject: subject, Data: data, Header: out.natsHeader()}
	pa, err := b.js.PublishMsg(ctx, &m)
	if err != nil {
		b.m.publishErr.Inc()
		return Ack{}, fmt.Errorf("bus: publish %s: %w", subject, mapErr(err))
	}
	b.m.publishOK.Inc()
	return Ack{Stream: pa.Stream, Sequence: pa.Sequence, Duplicate: pa.Duplicate}, nil
}

// natsHeader builds the wire header, adding the message id when set.
func (o *Outgoing) natsHeader() nats.Header {
	if o.MsgID == "" {
		return nats.Header(o.Header)
	}
	h := make(nats.Header, len(o.Header)+1)
	for k, v := range o.Header {
		h[k] = v
	}
	h[jetstream.MsgIDHeader] = []string{o.MsgID}
	return h
}

// batchScratch is the per-batch working memory of PublishBatch: one message
// value and one future per entry, needed until its acknowledgement arrives.
// Recycled through batchPool so a steady hot path does not allocate them.
type batchScratch struct {
	msgs    []nats.Msg
	futures []jetstream.PubAckFuture
}

var batchPool = sync.Pool{New: func() any { return new(batchScratch) }}

// PublishBatch is the hot-path publish: it sends every message without
// waiting (pipelined), then waits for all acknowledgements, and appends one
// PublishResult per message, in order, to dst (pass a reused slice to avoid
// allocating). The gateway acknowledges terminals only for messages whose
// result has no error.
//
// The returned error is nil when every message was stored; otherwise it
// reports how many failed and wraps the first failure. A cancelled ctx
// fails the messages not yet acknowledged (they may still be stored).
func (b *Bus) PublishBatch(ctx context.Context, msgs []Outgoing, dst []PublishResult) ([]PublishResult, error) {
	base := len(dst)
	dst = growResults(dst, len(msgs))
	res := dst[base:]
	if len(msgs) == 0 {
		return dst, nil
	}

	sc := batchPool.Get().(*batchScratch)
	if cap(sc.msgs) < len(msgs) {
		sc.msgs = make([]nats.Msg, len(msgs))
		sc.futures = make([]jetstream.PubAckFuture, len(msgs))
	}
	nm, futures := sc.msgs[:len(msgs)], sc.futures[:len(msgs)]

	for i := range msgs {
		o := &msgs[i]
		if err := validSubject("subject", o.Subject, false); err != nil {
			res[i].Err = fmt.Errorf("bus: publish: %w", err)
			continue
		}
		nm[i] = nats.Msg{Subject: o.Subject, Data: o.Data, Header: o.natsHeader()}
		f, err := b.publishAsync(ctx, &nm[i])
		if err != nil {
			res[i].Err = fmt.Errorf("bus: publish %s: %w", o.Subject, mapErr(err))
			continue
		}
		futures[i] = f
	}

	done := ctx.Done()
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case pa := <-f.Ok():
			res[i].Ack = Ack{Stream: pa.Stream, Sequence: pa.Sequence, Duplicate: pa.Duplicate}
		case err := <-f.Err():
			res[i].Err = fmt.Errorf("bus: publish %s: %w", msgs[i].Subject, mapErr(err))
		case <-done:
			res[i].Err = fmt.Errorf("bus: publish %s: %w", msgs[i].Subject, ctx.Err())
		}
	}

	// Messages still awaiting an ack (cancelled ctx) keep a pointer into nm;
	// only recycle the slice when every future has resolved.
	if ctx.Err() == nil {
		clear(nm)
		clear(futures)
		batchPool.Put(sc)
	}

	var failed int
	var first error
	for i := range res {
		if res[i].Err != nil {
			failed++
			if first == nil {
				first = res[i].Err
			}
		}
	}
	b.m.publishOK.Add(float64(len(res) - failed))
	if failed > 0 {
		b.m.publishErr.Add(float64(failed))
		return dst, fmt.Errorf("bus: publish batch: %d of %d messages failed: %w", failed, len(res), first)
	}
	return dst, nil
}

// publishAsync sends one message, waiting for room while the connection has
// too many acknowledgements pending (back-pressure) until ctx ends.
func (b *Bus) publishAsync(ctx context.Context, m *nats.Msg) (jetstream.PubAckFuture, error) {
	for {
		f, err := b.js.PublishMsgAsync(m)
		if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
			return f, err
		}
		// PublishMsgAsync already waited a while for room; go on waiting
		// unless the caller gave up.
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
}

func growResults(dst []PublishResult, n int) []PublishResult {
	need := len(dst) + n
	if cap(dst) < need {
		grown := make([]PublishResult, len(dst), need)
		copy(grown, dst)
		dst = grown
	}
	dst = dst[:need]
	clear(dst[need-n:])
	return dst
}
