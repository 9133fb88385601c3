package gateway

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
)

// The durable acknowledgement pipeline.
//
// A connection's read loop decodes a position report and hands its positions
// to the batcher of the vehicle's partition together with a pending
// acknowledgement (which session, which frame). The batcher packs positions
// of many terminals into ONE stream message and flushes it when it is full
// (MaxBatchPositions or MaxBatchBytes) or LingerTime after its first
// position. A publisher goroutine per partition publishes the flushed
// batches pipelined (several in flight on the connection) and, only when the
// stream has acknowledged a batch, tells each session to answer its frames
// with 0x8001. Per partition the batches are published and acknowledged in
// order, and a vehicle always maps to one partition, so a terminal's position
// replies keep the order of its reports.
//
// Back-pressure: each partition holds at most MaxInflight flushed batches
// waiting for the stream. When they are all taken a flush blocks, the
// batcher's lock is held, and the read loops that want to add positions wait
// instead of reading more from their sockets: memory stays bounded and TCP
// slows the terminals down.
//
// A batch the stream did not acknowledge (error, timeout) is answered to
// nobody: JT/T 808 terminals re-send a report that got no reply after their
// TCP reply timeout (parameters 0x0002/0x0003) and keep it for blind-area
// upload after that, so nothing a terminal was told is stored gets lost, and
// nothing is acknowledged that is not.

// acker is told the outcome of a frame whose positions were batched.
type acker interface {
	positionsStored(a *pendingAck, ok bool)
}

// pendingAck is one frame waiting for its batch's acknowledgement.
type pendingAck struct {
	to       acker
	serial   uint16
	msgID    uint16
	received time.Time
}

type batch struct {
	enc  BatchEncoder
	acks []pendingAck
	gen  uint64
}

type partition struct {
	p       *pipeline
	idx     int
	subject string

	mu    sync.Mutex
	cur   *batch
	gen   uint64
	timer *time.Timer
	out   chan *batch
}

type pipeline struct {
	bus      *bus.Bus
	parts    []*partition
	maxPos   int
	maxBytes int
	linger   time.Duration
	inflight int
	m        *metrics
	pool     sync.Pool
	now      func() time.Time
}

func newPipeline(b *bus.Bus, cfg Config, m *metrics) *pipeline {
	pl := &pipeline{
		bus:      b,
		maxPos:   cfg.MaxBatchPositions,
		maxBytes: cfg.MaxBatchBytes,
		linger:   cfg.LingerTime,
		inflight: cfg.MaxInflight,
		m:        m,
		now:      time.Now,
	}
	pl.pool.New = func() any { return &batch{} }
	for i := range cfg.Partitions {
		pt := &partition{p: pl, idx: i, subject: cfg.SubjectPrefix + "." + strconv.Itoa(i), out: make(chan *batch, pl.inflight)}
		pt.timer = time.AfterFunc(time.Hour, pt.lingerExpired)
		pt.timer.Stop()
		pl.parts = append(pl.parts, pt)
	}
	return pl
}

// submit adds the positions of one frame to the vehicle's partition; its
// acknowledgement goes to a.to once the batch holding them is stored.
// All positions of one frame go into the same batch. It blocks while the
// partition has MaxInflight batches waiting for the stream (back-pressure).
func (pl *pipeline) submit(vehicleID int64, ps []Position, a pendingAck) {
	pt := pl.parts[Partition(vehicleID, len(pl.parts))]
	pt.mu.Lock()
	if pt.cur != nil && (pt.cur.enc.Len()+len(ps) > pl.maxPos || pt.cur.enc.Size() >= pl.maxBytes) {
		pt.flushLocked()
	}
	if pt.cur == nil {
		b := pl.pool.Get().(*batch)
		pt.gen++
		b.gen = pt.gen
		b.enc.Reset(a.received)
		pt.cur = b
		pt.timer.Reset(pl.linger)
	}
	for i := range ps {
		pt.cur.enc.Append(&ps[i])
	}
	pt.cur.acks = append(pt.cur.acks, a)
	if pt.cur.enc.Len() >= pl.maxPos || pt.cur.enc.Size() >= pl.maxBytes {
		pt.flushLocked()
	}
	pt.mu.Unlock()
}

func (pt *partition) lingerExpired() {
	pt.mu.Lock()
	if pt.cur != nil && pt.cur.gen == pt.gen {
		pt.flushLocked()
	}
	pt.mu.Unlock()
}

// flushLocked hands the current batch to the publisher, waiting for room.
func (pt *partition) flushLocked() {
	b := pt.cur
	pt.cur = nil
	pt.timer.Stop()
	select {
	case pt.out <- b:
	default:
		pt.p.m.backpressure.Inc()
		pt.out <- b
	}
}

// run publishes the partition's batches until ctx ends, then drains what is
// left (publishing it still, so replies go out for what gets stored).
func (pt *partition) run(ctx context.Context) {
	pl := pt.p
	var (
		bs   []*batch
		msgs []bus.Outgoing
		res  []bus.PublishResult
	)
	// Publishing uses its own context: batches already taken from the
	// terminals are published even while shutting down.
	pubCtx := context.WithoutCancel(ctx)
	for {
		var b *batch
		select {
		case b = <-pt.out:
		case <-ctx.Done():
			pt.mu.Lock()
			if pt.cur != nil {
				pt.flushLocked()
			}
			pt.mu.Unlock()
			select {
			case b = <-pt.out:
			default:
				return
			}
		}
		bs = append(bs[:0], b)
	more:
		for len(bs) < pl.inflight {
			select {
			case b := <-pt.out:
				bs = append(bs, b)
			default:
				break more
			}
		}
		msgs = msgs[:0]
		for _, b := range bs {
			msgs = append(msgs, bus.Outgoing{Subject: pt.subject, Data: b.enc.Bytes()})
		}
		res, _ = pl.bus.PublishBatch(pubCtx, msgs, res[:0])
		now := pl.now()
		for i, b := range bs {
			ok := res[i].Err == nil
			if ok {
				pl.m.positionsPublished.Add(float64(b.enc.Len()))
				pl.m.batchesPublished.Inc()
				pl.m.batchSize.Observe(float64(b.enc.Len()))
			} else {
				pl.m.batchesFailed.Inc()
			}
			for j := range b.acks {
				a := &b.acks[j]
				if ok {
					pl.m.ackLatency.Observe(now.Sub(a.received).Seconds())
				}
				a.to.positionsStored(a, ok)
			}
			clear(b.acks)
			b.acks = b.acks[:0]
			pl.pool.Put(b)
		}
		clear(bs)
	}
}

// ensureStream declares the POSITIONS stream.
func ensureStream(ctx context.Context, b *bus.Bus, cfg Config) error {
	err := b.EnsureStream(ctx, bus.StreamConfig{
		Name:        cfg.Stream,
		Subjects:    []string{cfg.SubjectPrefix + ".>"},
		Description: "JT/T 808 positions, batches of the gateway's binary position codec; subject = prefix.partition",
		MaxAge:      cfg.Retention,
		Duplicates:  time.Minute,
	})
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	return nil
}
