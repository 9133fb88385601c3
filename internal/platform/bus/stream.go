package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
)

// Storage selects where a stream keeps its messages.
type Storage int

const (
	// FileStorage survives restarts; the default and the only choice for
	// anything acknowledged to the outside world.
	FileStorage Storage = iota
	// MemoryStorage is faster but lost when the server stops; for caches of
	// derived data that can be rebuilt.
	MemoryStorage
)

func (s Storage) String() string {
	if s == MemoryStorage {
		return "memory"
	}
	return "file"
}

// StreamConfig declares a stream. Modules declare theirs at start-up with
// EnsureStream; the declaration in code is the source of truth.
type StreamConfig struct {
	Name        string   // letters, digits, '-' and '_'; e.g. "POSITIONS"
	Subjects    []string // subjects it stores; wildcards allowed, e.g. "pos.>"
	Description string

	// Retention limits; zero means unlimited. The oldest messages go first.
	MaxAge   time.Duration
	MaxBytes int64
	MaxMsgs  int64

	// Replicas is the number of copies in a cluster (1 when zero; at most 5).
	// An embedded single server only supports 1.
	Replicas int
	Storage  Storage

	// Duplicates is the window within which a repeated message id is dropped
	// (server default two minutes when zero).
	Duplicates time.Duration
}

func (c StreamConfig) validate() error {
	var inv apperr.Invalid
	if err := validName("name", c.Name); err != nil {
		inv.Fields = append(inv.Fields, apperr.Fields(err)...)
	}
	if len(c.Subjects) == 0 {
		inv.Add("subjects", "must list at least one subject", nil)
	}
	for i, s := range c.Subjects {
		if err := validSubject(fmt.Sprintf("subjects[%d]", i), s, true); err != nil {
			inv.Fields = append(inv.Fields, apperr.Fields(err)...)
		}
	}
	if c.MaxAge < 0 {
		inv.Add("max_age", "must not be negative", c.MaxAge.String())
	}
	if c.MaxBytes < 0 {
		inv.Add("max_bytes", "must not be negative", c.MaxBytes)
	}
	if c.MaxMsgs < 0 {
		inv.Add("max_msgs", "must not be negative", c.MaxMsgs)
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		inv.Add("replicas", "must be between 1 and 5", c.Replicas)
	}
	if c.Storage != FileStorage && c.Storage != MemoryStorage {
		inv.Add("storage", "must be file or memory", int(c.Storage))
	}
	if c.Duplicates < 0 {
		inv.Add("duplicates", "must not be negative", c.Duplicates.String())
	}
	return inv.Err()
}

func (c StreamConfig) jetstream() jetstream.StreamConfig {
	limit := func(v int64) int64 {
		if v == 0 {
			return -1
		}
		return v
	}
	replicas := c.Replicas
	if replicas == 0 {
		replicas = 1
	}
	st := jetstream.FileStorage
	if c.Storage == MemoryStorage {
		st = jetstream.MemoryStorage
	}
	return jetstream.StreamConfig{
		Name:        c.Name,
		Subjects:    c.Subjects,
		Description: c.Description,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      c.MaxAge,
		MaxBytes:    limit(c.MaxBytes),
		MaxMsgs:     limit(c.MaxMsgs),
		Replicas:    replicas,
		Storage:     st,
		Duplicates:  c.Duplicates,
	}
}

// EnsureStream creates the stream or brings an existing one to cfg. Calling it
// again with the same configuration changes nothing, so every process may
// call it at start-up. Changing Storage of an existing stream is refused by
// the server (ErrInvalid).
func (b *Bus) EnsureStream(ctx context.Context, cfg StreamConfig) error {
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("bus: ensure stream %q: %w", cfg.Name, err)
	}
	if _, err := b.js.CreateOrUpdateStream(ctx, cfg.jetstream()); err != nil {
		return fmt.Errorf("bus: ensure stream %s: %w", cfg.Name, mapErr(err))
	}
	return nil
}

// DeleteStream removes a stream with all its messages and consumers.
func (b *Bus) DeleteStream(ctx context.Context, name string) error {
	if err := validName("name", name); err != nil {
		return fmt.Errorf("bus: delete stream: %w", err)
	}
	if err := b.js.DeleteStream(ctx, name); err != nil {
		return fmt.Errorf("bus: delete stream %s: %w", name, mapErr(err))
	}
	return nil
}

// StreamNames lists the streams on the server.
func (b *Bus) StreamNames(ctx context.Context) ([]string, error) {
	lister := b.js.StreamNames(ctx)
	var names []string
	for n := range lister.Name() {
		names = append(names, n)
	}
	if err := lister.Err(); err != nil && !errors.Is(err, jetstream.ErrEndOfData) {
		return nil, fmt.Errorf("bus: list streams: %w", mapErr(err))
	}
	return names, nil
}

// StreamState is a snapshot of what a stream holds.
type StreamState struct {
	Msgs     uint64
	Bytes    uint64
	FirstSeq uint64
	LastSeq  uint64
	LastTime time.Time
}

// StreamState reports the stream's message count and sequence range.
func (b *Bus) StreamState(ctx context.Context, name string) (StreamState, error) {
	if err := validName("name", name); err != nil {
		return StreamState{}, fmt.Errorf("bus: stream state: %w", err)
	}
	s, err := b.js.Stream(ctx, name)
	if err != nil {
		return StreamState{}, fmt.Errorf("bus: stream state %s: %w", name, mapErr(err))
	}
	info, err := s.Info(ctx)
	if err != nil {
		return StreamState{}, fmt.Errorf("bus: stream state %s: %w", name, mapErr(err))
	}
	st := info.State
	return StreamState{Msgs: st.Msgs, Bytes: st.Bytes, FirstSeq: st.FirstSeq, LastSeq: st.LastSeq, LastTime: st.LastTime}, nil
}

// GetMsg reads one stored message by stream sequence, for replay tools and
// checks; consumers are the normal way to read.
func (b *Bus) GetMsg(ctx context.Context, stream string, seq uint64) (*Msg, error) {
	if err := validName("stream", stream); err != nil {
		return nil, fmt.Errorf("bus: get message: %w", err)
	}
	if seq == 0 {
		return nil, fmt.Errorf("bus: get message: %w", apperr.Field("seq", "must be at least 1", seq))
	}
	s, err := b.js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("bus: get message %s/%d: %w", stream, seq, mapErr(err))
	}
	raw, err := s.GetMsg(ctx, seq)
	if err != nil {
		return nil, fmt.Errorf("bus: get message %s/%d: %w", stream, seq, mapErr(err))
	}
	return &Msg{
		Meta: Meta{
			Subject:   raw.Subject,
			Header:    Header(raw.Header),
			Stream:    stream,
			Sequence:  raw.Sequence,
			Timestamp: raw.Time,
		},
		Data: raw.Data,
	}, nil
}

// WaitStream blocks until the named stream exists or ctx ends. Consumers
// call it first: in a deployment the module that creates a stream (the
// gateway creates POSITIONS) may start after the ones that read it.
func (b *Bus) WaitStream(ctx context.Context, name string) error {
	delay := 50 * time.Millisecond
	for {
		_, err := b.StreamState(ctx, name)
		if err == nil || !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 2*time.Second)
	}
}
