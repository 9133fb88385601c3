package wshub

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Reasons a client is dropped, the values of the metric's reason label.
const (
	dropSlow        = "slow"         // send queue or key backlog full
	dropWriteFailed = "write_failed" // a write timed out or failed
	dropPongTimeout = "pong_timeout" // the keep-alive ping went unanswered
)

// Client is one connected WebSocket client of a Hub.
type Client[T any] struct {
	hub    *Hub[T]
	conn   *websocket.Conn
	id     uint64
	filter atomic.Pointer[Filter[T]]

	wake    chan struct{} // capacity 1: the writer has something to do
	done    chan struct{} // closed by stop
	stopped atomic.Bool   // done is closed; Broadcast skips the client

	mu          sync.Mutex
	queue       []entry           // messages in broadcast order
	unkeyed     int               // unkeyed messages in queue
	keys        map[uint64]*keyed // every key seen recently, waiting or not
	due         dueHeap           // keys whose message waits for KeyInterval
	waiting     int               // keys with a message waiting (queued or due)
	conflated   int               // messages replaced since the writer last looked
	signalled   bool              // wake holds a token or the writer is awake
	closeCode   websocket.StatusCode
	closeReason string
	lastSweep   time.Time
}

// entry is a queued message; a keyed one is only a place in the order, its
// latest data is in keys.
type entry struct {
	data []byte
	key  uint64
}

type keyed struct {
	data []byte    // waiting message, nil when none
	last time.Time // when a message with this key was last taken for sending
}

// ID is the client's number, unique within its hub.
func (c *Client[T]) ID() uint64 { return c.id }

// SetFilter replaces the client's filter; nil stops all broadcasts to it.
// Messages already queued are still sent.
func (c *Client[T]) SetFilter(f Filter[T]) {
	if f == nil {
		c.filter.Store(nil)
		return
	}
	c.filter.Store(&f)
}

// Send queues data for this client alone (a reply, an error). It reports
// false when the client is gone or was dropped because its queue is full.
func (c *Client[T]) Send(data []byte) bool { return c.enqueue(data, 0, time.Now()) }

// Close asks the client to close with code and reason (at most 123 bytes);
// Serve returns once it has.
func (c *Client[T]) Close(code websocket.StatusCode, reason string) { c.stop(code, reason, "") }

// enqueue adds one message for the writer; now is the broadcast's clock.
func (c *Client[T]) enqueue(data []byte, key uint64, now time.Time) bool {
	cfg := &c.hub.cfg
	c.mu.Lock()
	if c.stopped.Load() {
		c.mu.Unlock()
		return false
	}
	if key == 0 {
		if c.unkeyed >= cfg.QueueSize {
			c.mu.Unlock()
			c.stop(websocket.StatusPolicyViolation, "slow consumer", dropSlow)
			return false
		}
		c.queue = append(c.queue, entry{data: data})
		c.unkeyed++
	} else {
		k := c.keys[key]
		if k == nil {
			k = &keyed{}
			c.keys[key] = k
		}
		if k.data != nil {
			// Latest wins: the waiting message is stale now.
			k.data = data
			c.conflated++
			c.mu.Unlock()
			return true
		}
		if c.waiting >= cfg.MaxKeys {
			c.mu.Unlock()
			c.stop(websocket.StatusPolicyViolation, "slow consumer", dropSlow)
			return false
		}
		k.data = data
		c.waiting++
		if at := k.last.Add(cfg.KeyInterval); cfg.KeyInterval == 0 || !at.After(now) {
			c.queue = append(c.queue, entry{key: key})
		} else {
			c.due.push(dueKey{at: at, key: key})
		}
	}
	wake := !c.signalled
	c.signalled = true
	c.mu.Unlock()
	if wake {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return true
}

// stop ends the client once: the first caller's code and reason are sent in
// the close frame; dropReason, when set, counts the client as dropped.
func (c *Client[T]) stop(code websocket.StatusCode, reason, dropReason string) {
	c.mu.Lock()
	if c.stopped.Load() {
		c.mu.Unlock()
		return
	}
	c.closeCode, c.closeReason = code, reason
	c.stopped.Store(true)
	c.queue, c.due, c.keys = nil, nil, nil
	c.mu.Unlock()
	close(c.done)
	if dropReason != "" {
		c.hub.m.dropped.WithLabelValues(c.hub.cfg.Name, dropReason).Inc()
		c.hub.log.Info("wshub: client dropped", slog.Uint64("client", c.id), slog.String("reason", dropReason))
	}
}

// writeLoop is the client's only writer of data messages.
func (c *Client[T]) writeLoop() {
	defer c.closeConn()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var batch [][]byte
	for {
		select {
		case <-c.done:
			return
		case <-c.wake:
		case <-timer.C:
		}
		for {
			batch = c.take(batch[:0], time.Now(), timer)
			if len(batch) == 0 {
				break
			}
			ok := c.write(batch)
			clear(batch) // let the messages go
			if !ok {
				return
			}
		}
	}
}

// take moves everything that may be sent now into batch and arms timer for
// the next keyed message still waiting for its interval.
func (c *Client[T]) take(batch [][]byte, now time.Time, timer *time.Timer) [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.signalled = false
	if c.stopped.Load() {
		return batch
	}
	// Keys that waited for their interval go first: they are the oldest.
	for len(c.due) > 0 && !c.due[0].at.After(now) {
		batch = c.takeKey(batch, c.due.pop().key, now)
	}
	for i, e := range c.queue {
		if e.key == 0 {
			batch = append(batch, e.data)
		} else {
			batch = c.takeKey(batch, e.key, now)
		}
		c.queue[i] = entry{}
	}
	c.queue = c.queue[:0]
	c.unkeyed = 0
	if len(c.due) > 0 && timer != nil {
		timer.Reset(c.due[0].at.Sub(now))
	}
	if c.conflated > 0 {
		c.hub.m.conflated.Add(float64(c.conflated))
		c.conflated = 0
	}
	if interval := c.hub.cfg.KeyInterval; now.Sub(c.lastSweep) > 10*interval+time.Minute {
		// Forget keys idle for longer than the interval: they behave as new.
		for key, k := range c.keys {
			if k.data == nil && now.Sub(k.last) >= interval {
				delete(c.keys, key)
			}
		}
		c.lastSweep = now
	}
	return batch
}

func (c *Client[T]) takeKey(batch [][]byte, key uint64, now time.Time) [][]byte {
	k := c.keys[key]
	if k == nil || k.data == nil {
		return batch
	}
	batch = append(batch, k.data)
	k.data, k.last = nil, now
	c.waiting--
	return batch
}

// write sends a batch within WriteTimeout; false means the client is done.
func (c *Client[T]) write(batch [][]byte) bool {
	ctx, cancel := context.WithTimeout(context.Background(), c.hub.cfg.WriteTimeout)
	defer cancel()
	for i, data := range batch {
		if c.stopped.Load() {
			c.hub.m.sent.Add(float64(i))
			return false
		}
		if err := c.conn.Write(ctx, websocket.MessageText, data); err != nil {
			c.hub.m.sent.Add(float64(i))
			if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
				c.stop(websocket.StatusPolicyViolation, "slow consumer", dropWriteFailed)
			} else {
				c.stop(websocket.StatusInternalError, "", "")
			}
			return false
		}
	}
	c.hub.m.sent.Add(float64(len(batch)))
	return true
}

// closeConn performs the close handshake with the reason stop recorded.
func (c *Client[T]) closeConn() {
	c.mu.Lock()
	code, reason := c.closeCode, c.closeReason
	c.mu.Unlock()
	if code == 0 {
		code = websocket.StatusNormalClosure
	}
	_ = c.conn.Close(code, reason)
}

// readLoop reads the client's messages until the connection ends.
func (c *Client[T]) readLoop(onMessage func(c *Client[T], data []byte) error) {
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			c.stop(websocket.StatusNormalClosure, "", "")
			return
		}
		if onMessage == nil {
			continue
		}
		if err := onMessage(c, data); err != nil {
			c.stop(websocket.StatusPolicyViolation, closeReason(err.Error()), "")
			return
		}
	}
}

// keepAlive pings the client and drops it when the pong does not come.
func (c *Client[T]) keepAlive() {
	t := time.NewTicker(c.hub.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.hub.cfg.PongTimeout)
		err := c.conn.Ping(ctx)
		cancel()
		if err != nil {
			c.stop(websocket.StatusPolicyViolation, "pong timeout", dropPongTimeout)
			return
		}
	}
}

// closeReason fits a reason into a close frame (123 bytes), on a rune
// boundary.
func closeReason(s string) string {
	const max = 123
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut]
}

// dueKey is a keyed message waiting for its interval.
type dueKey struct {
	at  time.Time
	key uint64
}

// dueHeap is a min-heap of dueKey by time, kept by hand to avoid the
// interface boxing of container/heap on the hot path.
type dueHeap []dueKey

func (h *dueHeap) push(d dueKey) {
	*h = append(*h, d)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s[i].at.Before(s[p].at) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *dueHeap) pop() dueKey {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(s) && s[l].at.Before(s[m].at) {
			m = l
		}
		if r < len(s) && s[r].at.Before(s[m].at) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
