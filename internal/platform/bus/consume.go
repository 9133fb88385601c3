package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
)

// DeliverPolicy says where a new durable consumer starts. It applies only
// when the consumer is first created: afterwards the consumer continues from
// its own checkpoint whatever the policy says.
type DeliverPolicy int

const (
	// DeliverAll starts at the first message still in the stream.
	DeliverAll DeliverPolicy = iota
	// DeliverNew starts with the messages published after creation.
	DeliverNew
	// DeliverByStartSeq starts at ConsumerConfig.StartSeq.
	DeliverByStartSeq
	// DeliverLast starts with the last message in the stream.
	DeliverLast
)

// ConsumerConfig describes a consumer of one stream.
type ConsumerConfig struct {
	Stream string
	// Durable names the consumer's checkpoint. A process that consumes again
	// with the same name resumes after the last acknowledged message. Empty
	// means an ephemeral consumer, forgotten a minute after it stops (for live
	// views that only care about what happens now).
	Durable        string
	Description    string
	FilterSubjects []string // only these subjects (wildcards allowed); all when empty
	DeliverPolicy  DeliverPolicy
	StartSeq       uint64 // with DeliverByStartSeq

	// AckWait is how long a delivered message may stay unacknowledged before
	// the server delivers it again (default 30s). A handler slower than this
	// sees its messages twice.
	AckWait time.Duration
	// MaxDeliver caps deliveries of one message; the last failure terminates
	// it (logged at error level) instead of retrying forever. Zero: no cap.
	MaxDeliver int
	// MaxAckPending caps messages delivered but not yet acknowledged
	// (default 1000); the server stops delivering beyond it.
	MaxAckPending int
	// Batch is how many messages are requested from the server at a time and
	// the largest batch ConsumeBatch hands to its handler (default 100).
	Batch int
	// BatchWait bounds how long ConsumeBatch holds a batch open after its
	// first message (default 5ms): a batch goes to the handler when it is
	// full or that time has passed, whichever comes first.
	BatchWait time.Duration
	// RetryDelay is the delay before a failed message is delivered again
	// (default 1s); it doubles with each further failure up to MaxRetryDelay
	// (default 1m).
	RetryDelay    time.Duration
	MaxRetryDelay time.Duration
}

func (c *ConsumerConfig) defaults() {
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	if c.MaxAckPending <= 0 {
		c.MaxAckPending = 1000
	}
	if c.Batch <= 0 {
		c.Batch = 100
	}
	if c.BatchWait <= 0 {
		c.BatchWait = 5 * time.Millisecond
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = time.Second
	}
	if c.MaxRetryDelay <= 0 {
		c.MaxRetryDelay = time.Minute
	}
	if c.MaxRetryDelay < c.RetryDelay {
		c.MaxRetryDelay = c.RetryDelay
	}
}

func (c ConsumerConfig) validate() error {
	var inv apperr.Invalid
	add := func(err error) {
		if err != nil {
			inv.Fields = append(inv.Fields, apperr.Fields(err)...)
		}
	}
	add(validName("stream", c.Stream))
	if c.Durable != "" {
		add(validName("durable", c.Durable))
	}
	for i, f := range c.FilterSubjects {
		add(validSubject(fmt.Sprintf("filter_subjects[%d]", i), f, true))
	}
	switch c.DeliverPolicy {
	case DeliverAll, DeliverNew, DeliverLast:
	case DeliverByStartSeq:
		if c.StartSeq == 0 {
			inv.Add("start_seq", "must be at least 1 with DeliverByStartSeq", c.StartSeq)
		}
	default:
		inv.Add("deliver_policy", "unknown deliver policy", int(c.DeliverPolicy))
	}
	if c.MaxDeliver < 0 {
		inv.Add("max_deliver", "must not be negative", c.MaxDeliver)
	}
	return inv.Err()
}

// Meta describes a delivered message.
type Meta struct {
	Subject      string
	Header       Header
	Stream       string
	Sequence     uint64    // stream sequence, the natural idempotency key
	Timestamp    time.Time // when the stream stored the message
	NumDelivered uint64    // 1 on first delivery, more on redelivery
}

// Msg is a delivered message. Data belongs to the message; handlers may keep
// it but must not modify it.
type Msg struct {
	Meta
	Data []byte
}

// Handler processes one message. Returning nil acknowledges it (the
// consumer's checkpoint moves past it); an error has it delivered again after
// a delay, unless wrapped with Permanent.
type Handler func(ctx context.Context, m *Msg) error

// BatchHandler processes a batch of messages in stream order; nil
// acknowledges them all, an error has them all delivered again. The slice is
// reused for the next batch: do not keep it (keeping a *Msg is fine).
type BatchHandler func(ctx context.Context, msgs []*Msg) error

type permanentError struct{ err error }

func (p permanentError) Error() string { return "permanent: " + p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks a handler error as one that retrying cannot fix (a message
// that does not decode, an event for a module that no longer exists): the
// message is terminated and logged instead of redelivered.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Consume delivers the consumer's messages to h one at a time, acknowledging
// each after h returns nil, until ctx ends (then it returns nil). It creates
// the consumer or updates its settings; an existing durable keeps its
// checkpoint. Run one Consume per durable per process; several processes
// sharing a durable split its messages between them.
func (b *Bus) Consume(ctx context.Context, cfg ConsumerConfig, h Handler) error {
	if h == nil {
		return fmt.Errorf("bus: consume: %w", apperr.Field("handler", "must not be nil", nil))
	}
	c, iter, err := b.subscribe(ctx, &cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while the consumer was being created
		}
		return err
	}
	defer b.finish(iter)
	for {
		jm, err := b.next(ctx, cfg, iter)
		if err != nil {
			return b.nextErr(ctx, cfg, err)
		}
		msg := new(Msg)
		if !fillMsg(msg, jm) {
			b.logger.Error("bus: message without metadata", slog.String("subject", jm.Subject()))
			_ = jm.Term()
			continue
		}
		herr := callHandler(ctx, func() error { return h(ctx, msg) })
		b.settle(ctx, cfg, c, jm, msg, herr)
	}
}

// ConsumeBatch is Consume for handlers that work better in bulk (batched SQL
// inserts): it hands over up to cfg.Batch messages at once, in stream order.
func (b *Bus) ConsumeBatch(ctx context.Context, cfg ConsumerConfig, h BatchHandler) error {
	if h == nil {
		return fmt.Errorf("bus: consume: %w", apperr.Field("handler", "must not be nil", nil))
	}
	c, iter, err := b.subscribe(ctx, &cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while the consumer was being created
		}
		return err
	}
	defer b.finish(iter)
	raw := make([]jetstream.Msg, 0, cfg.Batch)
	store := make([]Msg, cfg.Batch)
	batch := make([]*Msg, 0, cfg.Batch)
	for {
		raw, batch = raw[:0], batch[:0]
		jm, err := b.next(ctx, cfg, iter)
		// The batch closes BatchWait after its first message at the latest,
		// however fast messages keep coming: lingering per message would hold
		// a busy stream's first message until the batch is full.
		deadline := time.Now().Add(cfg.BatchWait)
		for err == nil {
			m := &store[len(batch)]
			*m = Msg{}
			if fillMsg(m, jm) {
				raw = append(raw, jm)
				batch = append(batch, m)
			} else {
				b.logger.Error("bus: message without metadata", slog.String("subject", jm.Subject()))
				_ = jm.Term()
			}
			if len(batch) == cfg.Batch {
				break
			}
			wait := time.Until(deadline)
			if wait <= 0 {
				break
			}
			jm, err = iter.Next(jetstream.NextMaxWait(wait))
		}
		if err != nil && !errors.Is(err, nats.ErrTimeout) && len(batch) == 0 {
			return b.nextErr(ctx, cfg, err)
		}
		if len(batch) > 0 {
			herr := callHandler(ctx, func() error { return h(ctx, batch) })
			for i, jm := range raw {
				b.settle(ctx, cfg, c, jm, batch[i], herr)
			}
			// Handlers may keep a *Msg, so the next batch gets fresh ones.
			store = make([]Msg, cfg.Batch)
		}
		if err != nil && !errors.Is(err, nats.ErrTimeout) {
			return b.nextErr(ctx, cfg, err)
		}
	}
}

// refillChecks are the growing waits with which next asks the iterator for a
// message before it waits without limit; see next.
var refillChecks = [...]time.Duration{time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond, time.Second}

// next waits for the iterator's next message until ctx ends.
//
// The iterator asks the server for more messages only at the start of a
// Next call, once fewer than half of cfg.Batch are outstanding, and only if
// its previous pull request is no longer being sent. A message can come back
// before the goroutine that sent that request has marked it sent; with Batch
// 1 or 2 the refill is then skipped while nothing is outstanding, no further
// message arrives to trigger another check, and a single blocking Next waits
// until its missing-heartbeat timer fires 30 s later. So next first waits in
// short, growing steps, each of which re-runs the check, and then blocks
// (keeping heartbeat detection). A missed heartbeat is not fatal either: the
// iterator has then forgotten its outstanding requests and pulls afresh on
// the following call, so it is logged and waited past; a consumer that is
// really gone makes that pull fail with an error of its own.
func (b *Bus) next(ctx context.Context, cfg ConsumerConfig, iter jetstream.MessagesContext) (jetstream.Msg, error) {
	for _, d := range refillChecks {
		wctx, cancel := context.WithTimeout(ctx, d)
		jm, err := iter.Next(jetstream.NextContext(wctx))
		cancel()
		if err == nil || !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return jm, err
		}
	}
	for {
		jm, err := iter.Next(jetstream.NextContext(ctx))
		if errors.Is(err, jetstream.ErrNoHeartbeat) && ctx.Err() == nil {
			b.logger.Warn("bus: no heartbeat from the server, pulling again",
				slog.String("stream", cfg.Stream), slog.String("durable", cfg.Durable))
			continue
		}
		return jm, err
	}
}

// subscribe validates cfg, creates or updates the consumer and opens a pull
// iterator on it.
func (b *Bus) subscribe(ctx context.Context, cfg *ConsumerConfig) (*consumerMetrics, jetstream.MessagesContext, error) {
	if err := cfg.validate(); err != nil {
		return nil, nil, fmt.Errorf("bus: consume %s/%s: %w", cfg.Stream, cfg.Durable, err)
	}
	cfg.defaults()
	if b.isClosed() {
		return nil, nil, fmt.Errorf("bus: consume %s/%s: %w", cfg.Stream, cfg.Durable, ErrClosed)
	}
	jc := jetstream.ConsumerConfig{
		Durable:        cfg.Durable,
		Description:    cfg.Description,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        cfg.AckWait,
		MaxDeliver:     -1,
		MaxAckPending:  cfg.MaxAckPending,
		ReplayPolicy:   jetstream.ReplayInstantPolicy,
		FilterSubjects: cfg.FilterSubjects,
	}
	if cfg.MaxDeliver > 0 {
		jc.MaxDeliver = cfg.MaxDeliver
	}
	switch cfg.DeliverPolicy {
	case DeliverAll:
		jc.DeliverPolicy = jetstream.DeliverAllPolicy
	case DeliverNew:
		jc.DeliverPolicy = jetstream.DeliverNewPolicy
	case DeliverLast:
		jc.DeliverPolicy = jetstream.DeliverLastPolicy
	case DeliverByStartSeq:
		jc.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		jc.OptStartSeq = cfg.StartSeq
	}
	if cfg.Durable == "" {
		jc.InactiveThreshold = time.Minute
	} else if existing, err := b.js.Consumer(ctx, cfg.Stream, cfg.Durable); err == nil {
		// The checkpoint wins: where a consumer starts is fixed at creation,
		// and the server refuses to change it.
		ec := existing.CachedInfo().Config
		jc.DeliverPolicy, jc.OptStartSeq, jc.OptStartTime = ec.DeliverPolicy, ec.OptStartSeq, ec.OptStartTime
	} else if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, nil, fmt.Errorf("bus: consume %s/%s: %w", cfg.Stream, cfg.Durable, mapErr(err))
	}
	cons, err := b.js.CreateOrUpdateConsumer(ctx, cfg.Stream, jc)
	if err != nil {
		return nil, nil, fmt.Errorf("bus: consume %s/%s: %w", cfg.Stream, cfg.Durable, mapErr(err))
	}
	iter, err := cons.Messages(jetstream.PullMaxMessages(cfg.Batch))
	if err != nil {
		return nil, nil, fmt.Errorf("bus: consume %s/%s: %w", cfg.Stream, cfg.Durable, mapErr(err))
	}
	name := cfg.Durable
	if name == "" {
		name = "ephemeral"
	}
	return b.m.consumer(name), iter, nil
}

// finish stops the iterator and hands back the messages already delivered to
// this process but not handled (nak without delay), so a consumer restarted
// right away gets them at once instead of after AckWait. It then flushes, so
// acknowledgements sent just before a stop reach the server before the
// process goes on to exit.
func (b *Bus) finish(iter jetstream.MessagesContext) {
	iter.Drain()
	for !b.nc.IsClosed() {
		jm, err := iter.Next(jetstream.NextMaxWait(time.Second))
		if err != nil {
			break
		}
		_ = jm.Nak()
	}
	if !b.nc.IsClosed() {
		_ = b.nc.FlushTimeout(2 * time.Second)
	}
}

func (b *Bus) nextErr(ctx context.Context, cfg ConsumerConfig, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	if errors.Is(err, jetstream.ErrMsgIteratorClosed) && (b.nc.IsClosed() || b.nc.IsDraining()) {
		return fmt.Errorf("bus: consume %s/%s: %w", cfg.Stream, cfg.Durable, ErrClosed)
	}
	return fmt.Errorf("bus: consume %s/%s: %w", cfg.Stream, cfg.Durable, mapErr(err))
}

// settle acknowledges, retries or terminates one message after its handler.
func (b *Bus) settle(ctx context.Context, cfg ConsumerConfig, c *consumerMetrics, jm jetstream.Msg, m *Msg, herr error) {
	var err error
	switch {
	case herr == nil:
		err = jm.Ack()
		c.acked.Inc()
	case ctx.Err() != nil && !IsPermanent(herr):
		// Shutting down is not the message's fault: hand it back at once.
		err = jm.Nak()
	case IsPermanent(herr) || (cfg.MaxDeliver > 0 && m.NumDelivered >= uint64(cfg.MaxDeliver)):
		b.logger.Error("bus: message dropped after handler failure",
			slog.String("stream", m.Stream), slog.String("durable", cfg.Durable),
			slog.String("subject", m.Subject), slog.Uint64("seq", m.Sequence),
			slog.Uint64("deliveries", m.NumDelivered), slog.Any("err", herr))
		err = jm.Term()
		c.terminated.Inc()
	default:
		delay := retryDelay(cfg, m.NumDelivered)
		if b.logger.Enabled(ctx, slog.LevelWarn) {
			b.logger.Warn("bus: handler failed, message will be redelivered",
				slog.String("stream", m.Stream), slog.String("durable", cfg.Durable),
				slog.String("subject", m.Subject), slog.Uint64("seq", m.Sequence),
				slog.Uint64("deliveries", m.NumDelivered), slog.Duration("retry_in", delay), slog.Any("err", herr))
		}
		err = jm.NakWithDelay(delay)
		c.retried.Inc()
	}
	if err != nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
		// The server will redeliver after AckWait: at least once still holds.
		b.logger.Warn("bus: settle message", slog.Uint64("seq", m.Sequence), slog.Any("err", err))
	}
}

// retryDelay doubles RetryDelay for each earlier delivery, capped.
func retryDelay(cfg ConsumerConfig, delivered uint64) time.Duration {
	d := cfg.RetryDelay
	for i := uint64(1); i < delivered && d < cfg.MaxRetryDelay; i++ {
		d *= 2
	}
	return min(d, cfg.MaxRetryDelay)
}

func fillMsg(m *Msg, jm jetstream.Msg) bool {
	md, err := jm.Metadata()
	if err != nil {
		return false
	}
	m.Subject = jm.Subject()
	m.Header = Header(jm.Headers())
	m.Data = jm.Data()
	m.Stream = md.Stream
	m.Sequence = md.Sequence.Stream
	m.Timestamp = md.Timestamp
	m.NumDelivered = md.NumDelivered
	return true
}

// callHandler runs a handler, turning a panic into an error so one bad
// message cannot take the process down; the message is then retried.
func callHandler(ctx context.Context, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bus: handler panic: %v\n%s", r, debug.Stack())
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	return f()
}
