package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
)

// ErrClosed is returned by operations on a Bus after Close.
var ErrClosed = errors.New("bus: closed")

// Header carries message headers. It has the same shape as http.Header and
// nats.Header; keys are case-sensitive as NATS sends them.
type Header map[string][]string

// Get returns the first value for key, or "".
func (h Header) Get(key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set replaces the values for key with value.
func (h Header) Set(key, value string) { h[key] = []string{value} }

// Bus is a connection to JetStream, either to an embedded server it owns or to
// an external server or cluster. It is safe for concurrent use.
type Bus struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	srv    *server.Server // nil when connected to an external server
	logger *slog.Logger
	opts   options
	m      *metrics

	closed    chan struct{} // closed by the connection's ClosedHandler
	closeOnce sync.Once
	closeErr  error
}

// Option tunes Connect and StartEmbedded.
type Option func(*options)

type options struct {
	logger         *slog.Logger
	name           string
	publishTimeout time.Duration
	maxPending     int
	registerer     prometheus.Registerer
	natsOpts       []nats.Option
}

// WithLogger sets the logger; the default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithName names the connection as the server sees it (monitoring, logs).
func WithName(name string) Option { return func(o *options) { o.name = name } }

// WithPublishTimeout bounds how long a batch publish waits for the stream's
// acknowledgement of one message before reporting it failed (default 10s).
// Publish is bounded by its context instead.
func WithPublishTimeout(d time.Duration) Option {
	return func(o *options) { o.publishTimeout = d }
}

// WithMaxPending caps the pipelined publishes awaiting an acknowledgement on
// this connection (default 16384). Batch publishers wait for room beyond it,
// which is how back-pressure reaches the gateway.
func WithMaxPending(n int) Option { return func(o *options) { o.maxPending = n } }

// WithRegisterer registers the bus's Prometheus counters with reg.
func WithRegisterer(reg prometheus.Registerer) Option {
	return func(o *options) { o.registerer = reg }
}

// WithNATSOptions passes connection options (credentials, TLS, ...) through
// to nats.go for an external server.
func WithNATSOptions(opts ...nats.Option) Option {
	return func(o *options) { o.natsOpts = append(o.natsOpts, opts...) }
}

func buildOptions(opts []Option) options {
	o := options{publishTimeout: 10 * time.Second, maxPending: 16384, name: "jiaotong"}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if o.publishTimeout <= 0 {
		o.publishTimeout = 10 * time.Second
	}
	if o.maxPending <= 0 {
		o.maxPending = 16384
	}
	return o
}

// Connect connects to an external NATS server or cluster at url (a comma
// separated list of nats:// URLs is accepted) and checks that JetStream is
// enabled there. It reconnects forever after a connection loss; callers see
// errors from operations meanwhile, and Ping reports the outage.
func Connect(ctx context.Context, url string, opts ...Option) (*Bus, error) {
	if strings.TrimSpace(url) == "" {
		return nil, fmt.Errorf("bus: connect: %w", apperr.Field("url", "must not be empty", url))
	}
	o := buildOptions(opts)
	timeout := 5 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	if err := ctx.Err(); err != nil || timeout <= 0 {
		return nil, fmt.Errorf("bus: connect %s: %w", redactURL(url), context.DeadlineExceeded)
	}
	b, err := newBus(ctx, o, nil, url, nats.Timeout(timeout))
	if err != nil {
		return nil, fmt.Errorf("bus: connect %s: %w", redactURL(url), err)
	}
	return b, nil
}

// newBus dials (in process when srv is set, else url) and prepares JetStream.
func newBus(ctx context.Context, o options, srv *server.Server, url string, extra ...nats.Option) (*Bus, error) {
	b := &Bus{srv: srv, logger: o.logger.With("component", "bus"), opts: o, closed: make(chan struct{})}
	nopts := []nats.Option{
		nats.Name(o.name),
		nats.MaxReconnects(-1),
		nats.ClosedHandler(func(*nats.Conn) { close(b.closed) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				b.logger.Warn("bus: disconnected", slog.Any("err", err))
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			b.logger.Info("bus: reconnected", slog.String("server", c.ConnectedUrlRedacted()))
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			b.logger.Warn("bus: async error", slog.String("subject", subj), slog.Any("err", err))
		}),
	}
	if srv != nil {
		nopts = append(nopts, nats.InProcessServer(srv))
		url = ""
	}
	nopts = append(nopts, extra...)
	nopts = append(nopts, o.natsOpts...)
	nc, err := nats.Connect(url, nopts...)
	if err != nil {
		return nil, err
	}
	b.nc = nc
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(o.maxPending),
		jetstream.WithPublishAsyncTimeout(o.publishTimeout),
	)
	if err != nil {
		nc.Close()
		return nil, err
	}
	b.js = js
	if _, err := js.AccountInfo(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream unavailable: %w", err)
	}
	b.m = newMetrics(o.registerer)
	return b, nil
}

// Ping checks that the connection is up and JetStream answers; /readyz uses it.
func (b *Bus) Ping(ctx context.Context) error {
	if b.isClosed() {
		return ErrClosed
	}
	if st := b.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("bus: ping: connection %s: %w", st, apperr.ErrUnavailable)
	}
	if _, err := b.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("bus: ping: %w: %w", apperr.ErrUnavailable, err)
	}
	return nil
}

// Embedded reports whether b runs its own in-process server.
func (b *Bus) Embedded() bool { return b.srv != nil }

// ClientURL is the address other processes use to reach the embedded server
// when it listens (EmbeddedOptions.Listen), or the connected server's URL.
func (b *Bus) ClientURL() string {
	if b.srv != nil {
		if b.srv.Addr() == nil {
			return ""
		}
		return b.srv.ClientURL()
	}
	return b.nc.ConnectedUrlRedacted()
}

// Close drains the connection (pending publishes complete, subscriptions
// finish their in-flight messages), then shuts the embedded server down and
// waits for it, so its file store is closed cleanly. It is safe to call twice.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() {
		if err := b.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			b.closeErr = fmt.Errorf("bus: close: %w", err)
			b.nc.Close()
		}
		<-b.closed
		if b.srv != nil {
			b.srv.Shutdown()
			b.srv.WaitForShutdown()
		}
	})
	return b.closeErr
}

func (b *Bus) isClosed() bool {
	select {
	case <-b.closed:
		return true
	default:
		return b.nc.IsClosed() || b.nc.IsDraining()
	}
}

// redactURL hides credentials in a server URL for logs and errors.
func redactURL(u string) string {
	parts := strings.Split(u, ",")
	for i, p := range parts {
		if at := strings.LastIndex(p, "@"); at >= 0 {
			if scheme := strings.Index(p, "://"); scheme >= 0 && scheme < at {
				parts[i] = p[:scheme+3] + "***" + p[at:]
			}
		}
	}
	return strings.Join(parts, ",")
}

// mapErr turns JetStream errors into the platform's error kinds while keeping
// the original in the chain.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jetstream.ErrStreamNotFound),
		errors.Is(err, jetstream.ErrConsumerNotFound),
		errors.Is(err, jetstream.ErrMsgNotFound),
		errors.Is(err, jetstream.ErrNoStreamResponse):
		return fmt.Errorf("%w: %w", apperr.ErrNotFound, err)
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionDraining):
		return fmt.Errorf("%w: %w", ErrClosed, err)
	case errors.Is(err, nats.ErrTimeout), errors.Is(err, jetstream.ErrAsyncPublishTimeout),
		errors.Is(err, nats.ErrNoResponders), errors.Is(err, nats.ErrDisconnected),
		errors.Is(err, jetstream.ErrJetStreamNotEnabled):
		return fmt.Errorf("%w: %w", apperr.ErrUnavailable, err)
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.Code == 400 {
		return fmt.Errorf("%w: %w", apperr.ErrInvalid, err)
	}
	return err
}

// validName checks a stream or consumer name: letters, digits, '-' and '_'
// only, so it is also safe as a file name in the store and a subject token.
func validName(field, name string) error {
	if name == "" {
		return apperr.Field(field, "must not be empty", name)
	}
	if len(name) > 200 {
		return apperr.Field(field, "must be at most 200 characters", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return apperr.Field(field, "may contain only letters, digits, '-' and '_'", name)
		}
	}
	return nil
}

// validSubject checks a NATS subject: dot-separated non-empty tokens without
// whitespace; wildcards ('*' as a token, '>' as the last token) only when
// allowed (stream subjects and consumer filters, not publishes).
func validSubject(field, subject string, wildcards bool) error {
	if subject == "" {
		return apperr.Field(field, "must not be empty", subject)
	}
	// Scan without splitting: this runs for every message on the hot path.
	start := 0
	for i := 0; i <= len(subject); i++ {
		if i < len(subject) && subject[i] != '.' {
			continue
		}
		tok, last := subject[start:i], i == len(subject)
		start = i + 1
		if tok == "" {
			return apperr.Field(field, "must not contain empty tokens (leading, trailing or double '.')", subject)
		}
		if strings.ContainsAny(tok, " \t\r\n") {
			return apperr.Field(field, "must not contain whitespace", subject)
		}
		if strings.ContainsAny(tok, "*>") {
			switch {
			case !wildcards:
				return apperr.Field(field, "must not contain wildcards ('*', '>') when publishing", subject)
			case tok == "*":
			case tok == ">" && last:
			default:
				return apperr.Field(field, "wildcards must be whole tokens and '>' must be last", subject)
			}
		}
	}
	return nil
}
