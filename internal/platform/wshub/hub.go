package wshub

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
)

// ErrClosed is returned by Serve once the hub is closed.
var ErrClosed = errors.New("wshub: closed")

// Config tunes a Hub. Zero fields take the defaults named below.
type Config struct {
	// Name labels the hub's metrics (hub="live"), so several hubs can share
	// one registry.
	Name string
	// QueueSize is the number of unkeyed messages that may wait for one
	// client (default 1024). A client that falls further behind is dropped.
	QueueSize int
	// MaxKeys is the number of distinct keyed messages that may wait for one
	// client (default 200000); beyond it the client is dropped too.
	MaxKeys int
	// KeyInterval is the least time between two messages with the same key
	// to one client (default 1s); negative disables the throttle (only
	// messages still waiting are conflated).
	KeyInterval time.Duration
	// WriteTimeout bounds the writing of one batch of messages to a client
	// (default 10s); a client that cannot take them in time is dropped.
	WriteTimeout time.Duration
	// PingInterval is how often a client is pinged (default 30s); a client
	// whose pong does not arrive within PongTimeout (default 15s) is dropped.
	PingInterval time.Duration
	PongTimeout  time.Duration
	// ReadLimit caps the size of one message from a client (default 64 KiB).
	ReadLimit int64

	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

func (c *Config) defaults() {
	if c.Name == "" {
		c.Name = "default"
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 1024
	}
	if c.MaxKeys <= 0 {
		c.MaxKeys = 200_000
	}
	if c.KeyInterval == 0 {
		c.KeyInterval = time.Second
	}
	if c.KeyInterval < 0 {
		c.KeyInterval = 0
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 30 * time.Second
	}
	if c.PongTimeout <= 0 {
		c.PongTimeout = 15 * time.Second
	}
	if c.ReadLimit <= 0 {
		c.ReadLimit = 64 << 10
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Message is one message for the clients. Data is sent as one text frame and
// shared by every recipient: nobody may modify it after Broadcast. Meta is
// what filters look at; it is not sent.
type Message[T any] struct {
	Data []byte
	// Key, when non-zero, makes the message conflatable: per client, a
	// waiting message with the same key is replaced, and messages with the
	// key are sent at most once per Config.KeyInterval.
	Key  uint64
	Meta T
}

// Filter decides whether a client receives a message. It runs on the
// broadcasting goroutine, for every client, so it must be quick and must not
// block.
type Filter[T any] func(m *Message[T]) bool

// Hub holds the connected clients of one kind of message.
type Hub[T any] struct {
	cfg Config
	log *slog.Logger
	m   *metrics

	clients atomic.Pointer[[]*Client[T]] // copy-on-write, read without a lock by Broadcast

	mu     sync.Mutex // guards the fields below and writes to clients
	closed bool
	nextID uint64
	served sync.WaitGroup // Serve calls in progress
}

// New returns an empty hub.
func New[T any](cfg Config) *Hub[T] {
	cfg.defaults()
	h := &Hub[T]{cfg: cfg, log: cfg.Logger.With(slog.String("component", "wshub"), slog.String("hub", cfg.Name))}
	h.m = newMetrics(cfg.Registerer, cfg.Name)
	h.clients.Store(&[]*Client[T]{})
	return h
}

// Len returns the number of connected clients.
func (h *Hub[T]) Len() int { return len(*h.clients.Load()) }

// Broadcast queues m for every client whose filter accepts it and returns
// how many did. It never blocks on a client: one whose queue is full is
// dropped instead.
func (h *Hub[T]) Broadcast(m *Message[T]) int {
	clients := *h.clients.Load()
	if len(clients) == 0 {
		return 0
	}
	now := time.Now()
	n := 0
	for _, c := range clients {
		if c.stopped.Load() {
			continue
		}
		f := c.filter.Load()
		if f == nil || !(*f)(m) {
			continue
		}
		if c.enqueue(m.Data, m.Key, now) {
			n++
		}
	}
	return n
}

// Handler reacts to one client's life; both functions are optional and run
// on Serve's goroutine.
type Handler[T any] struct {
	// Open runs once before anything is read from the client, e.g. to greet
	// it with Send or to give it a first filter.
	Open func(c *Client[T])
	// Message handles one message from the client (it may set the filter
	// and Send replies); an error closes the client with
	// StatusPolicyViolation and the error's text as reason.
	Message func(c *Client[T], data []byte) error
}

// Serve runs client conn until it disconnects, is dropped, ctx ends or the
// hub closes; it returns when the client's goroutines have finished. The
// client receives no broadcast until it has a filter (SetFilter), only what
// is sent to it directly.
func (h *Hub[T]) Serve(ctx context.Context, conn *websocket.Conn, handler Handler[T]) error {
	c := &Client[T]{
		hub:  h,
		conn: conn,
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
		keys: map[uint64]*keyed{},
	}
	if !h.add(c) {
		_ = conn.Close(websocket.StatusGoingAway, "server shutting down")
		return ErrClosed
	}
	defer h.remove(c)
	stopOnCancel := context.AfterFunc(ctx, func() { c.stop(websocket.StatusGoingAway, "server shutting down", "") })
	defer stopOnCancel()

	conn.SetReadLimit(h.cfg.ReadLimit)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		c.writeLoop()
	}()
	go func() {
		defer wg.Done()
		c.keepAlive()
	}()
	if handler.Open != nil {
		handler.Open(c)
	}
	c.readLoop(handler.Message)
	wg.Wait()
	return nil
}

// Close closes every client with StatusGoingAway, refuses new ones and waits
// until their goroutines have finished or ctx ends. A client that does not
// answer the close handshake is cut off after a few seconds.
func (h *Hub[T]) Close(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	clients := *h.clients.Load()
	h.mu.Unlock()
	for _, c := range clients {
		c.stop(websocket.StatusGoingAway, "server shutting down", "")
	}
	done := make(chan struct{})
	go func() {
		h.served.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		// Cut the stragglers off; their goroutines end at once.
		for _, c := range *h.clients.Load() {
			_ = c.conn.CloseNow()
		}
		<-done
		return ctx.Err()
	}
}

func (h *Hub[T]) add(c *Client[T]) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.nextID++
	c.id = h.nextID
	old := *h.clients.Load()
	next := make([]*Client[T], len(old), len(old)+1)
	copy(next, old)
	next = append(next, c)
	h.clients.Store(&next)
	h.served.Add(1)
	h.m.clients.Inc()
	return true
}

func (h *Hub[T]) remove(c *Client[T]) {
	h.mu.Lock()
	old := *h.clients.Load()
	if i := slices.Index(old, c); i >= 0 {
		next := make([]*Client[T], 0, len(old)-1)
		next = append(next, old[:i]...)
		next = append(next, old[i+1:]...)
		h.clients.Store(&next)
	}
	h.mu.Unlock()
	h.m.clients.Dec()
	h.served.Done()
}
