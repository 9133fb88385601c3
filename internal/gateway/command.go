package gateway

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
)

// Reply is a terminal's answer to a downlink command.
type Reply struct {
	// MsgID is the reply's message id: 0x0001 (general response), 0x0104
	// (parameters) or 0x0201 (position).
	MsgID uint16
	// Result is the 0x0001 result code (0 success, 1 failure, 2 message
	// error, 3 not supported); 0 for dedicated replies.
	Result uint8
	// Parameters holds a 0x0104 reply (*jt808.ParametersReply).
	Parameters jt808.Body
	// Position holds a 0x0201 reply, normalised.
	Position *Position
}

// waiter is one command waiting for its reply.
type waiter struct {
	msgID uint16
	done  chan struct{}
	reply Reply
	err   error
}

func (w *waiter) fail(err error) {
	w.err = err
	close(w.done)
}

// expectedReply is the message id that answers a command: the dedicated
// replies, else the general response.
func expectedReply(cmd uint16) uint16 {
	switch cmd {
	case jt808.MsgQueryParameters, jt808.MsgQuerySomeParams:
		return jt808.MsgParameters
	case jt808.MsgQueryLocation:
		return jt808.MsgLocationReply
	}
	return jt808.MsgTerminalResponse
}

// Online reports whether the terminal with phone key has an authenticated
// session here.
func (g *Gateway) Online(phoneKey string) bool { return g.session(phoneKey) != nil }

// Send delivers a command to the terminal with phone key (leading zeros
// stripped) and waits for its reply until ctx ends or the command timeout.
// A terminal without an authenticated session is ErrConflict ("offline");
// no reply in time is ErrUnavailable.
func (g *Gateway) Send(ctx context.Context, phoneKey string, body jt808.Body) (Reply, error) {
	kind := jt808.MsgIDString(body.MsgID())
	s := g.session(phoneKey)
	if s == nil {
		g.m.commands.WithLabelValues(kind, "offline").Inc()
		return Reply{}, fmt.Errorf("gateway: terminal %s: %w", phoneKey, errOffline)
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.CommandTimeout)
	defer cancel()

	w := &waiter{msgID: expectedReply(body.MsgID()), done: make(chan struct{})}
	// The serial is chosen under the same lock that registers the waiter,
	// so a fast reply cannot miss it.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return Reply{}, fmt.Errorf("gateway: terminal %s: %w", phoneKey, errOffline)
	}
	h := s.headerLocked()
	v := s.version
	out, err := jt808.Encode(s.out, h, bodyVersioned{body, v})
	if err != nil {
		s.mu.Unlock()
		g.m.commands.WithLabelValues(kind, "invalid").Inc()
		return Reply{}, fmt.Errorf("gateway: encode %s: %w", kind, errors.Join(apperr.ErrInvalid, err))
	}
	s.out = out
	if s.waiters == nil {
		s.waiters = map[uint16]*waiter{}
	}
	s.waiters[h.Serial] = w
	s.mu.Unlock()
	s.flush(false)

	select {
	case <-w.done:
		if w.err != nil {
			g.m.commands.WithLabelValues(kind, "offline").Inc()
			return Reply{}, fmt.Errorf("gateway: terminal %s disconnected before replying: %w", phoneKey, w.err)
		}
		g.m.commands.WithLabelValues(kind, "replied").Inc()
		return w.reply, nil
	case <-ctx.Done():
		s.mu.Lock()
		if s.waiters[h.Serial] == w {
			delete(s.waiters, h.Serial)
		}
		s.mu.Unlock()
		g.m.commands.WithLabelValues(kind, "timeout").Inc()
		return Reply{}, fmt.Errorf("gateway: terminal %s did not answer %s within %s: %w",
			phoneKey, kind, time.Duration(g.cfg.CommandTimeout), apperr.ErrUnavailable)
	}
}

// commandReply matches a terminal's reply to the waiting command.
func (s *session) commandReply(h *jt808.Header, body []byte) bool {
	var (
		serial uint16
		reply  = Reply{MsgID: h.MsgID}
	)
	switch h.MsgID {
	case jt808.MsgTerminalResponse:
		var m jt808.TerminalResponse
		if err := m.DecodeBody(body, h.Version); err != nil {
			s.g.m.decodeErrors.WithLabelValues("body").Inc()
			return s.malformed()
		}
		serial, reply.Result = m.ReplySerial, m.Result
	case jt808.MsgParameters:
		// The reply serial leads the body; the rest is decoded by the codec.
		if len(body) < 2 {
			s.g.m.decodeErrors.WithLabelValues("body").Inc()
			s.reply(h, jt808.ResultMessageError)
			return s.malformed()
		}
		m, err := jt808.DecodeBody(h, slices.Clone(body))
		if err != nil {
			s.g.m.decodeErrors.WithLabelValues("body").Inc()
			s.reply(h, jt808.ResultMessageError)
			return s.malformed()
		}
		serial, reply.Parameters = binary.BigEndian.Uint16(body), m
		s.reply(h, jt808.ResultOK)
	case jt808.MsgLocationReply:
		var m jt808.LocationReply
		if err := m.DecodeBody(body, h.Version); err != nil {
			s.g.m.decodeErrors.WithLabelValues("body").Inc()
			s.reply(h, jt808.ResultMessageError)
			return s.malformed()
		}
		p := new(Position)
		now := s.g.now()
		s.toPosition(p, &m.Location, now, false, h.Version)
		serial, reply.Position = m.ReplySerial, p
		// A queried position is a position too: publish it, and answer
		// the terminal once stored like any report.
		s.positions.Add(1)
		s.g.pl.submit(p.VehicleID, []Position{*p}, pendingAck{to: s, serial: h.Serial, msgID: h.MsgID, received: now})
	}
	s.mu.Lock()
	w := s.waiters[serial]
	if w != nil && w.msgID == h.MsgID {
		delete(s.waiters, serial)
	} else {
		w = nil
	}
	s.mu.Unlock()
	if w != nil {
		w.reply = reply
		close(w.done)
	}
	return true
}
