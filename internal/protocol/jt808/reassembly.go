package jt808

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrReassemblyFull means accepting a fragment would exceed the
// reassembler's memory cap; the fragment was dropped.
var ErrReassemblyFull = errors.New("jt808: reassembly memory cap reached")

// FragmentKey identifies a subpackaged message being reassembled.
type FragmentKey struct {
	Phone Phone
	MsgID uint16
	Total uint16
}

// Reassembler joins the fragments of subpackaged messages (分包合并). It is
// keyed by (terminal phone, message ID, package total), keeps each
// fragment's body once (repeats are ignored), and returns the joined body
// when every index from 1 to total has arrived. Groups older than the
// timeout are dropped by Expire; the memory cap bounds the bytes held.
//
// The clock is a parameter (now) so tests are deterministic. A Reassembler
// is not safe for concurrent use; a gateway keeps one per connection, which
// also makes the cap per terminal.
type Reassembler struct {
	timeout  time.Duration
	maxBytes int
	used     int
	groups   map[FragmentKey]*fragGroup
}

type fragGroup struct {
	first, last time.Time
	serial      uint16 // serial of fragment 1 (or of the first seen, minus its index)
	haveSerial1 bool
	version     Version
	parts       [][]byte // by index-1; nil = missing
	have        int
	size        int
}

// NewReassembler returns a reassembler dropping groups idle for longer than
// timeout and holding at most maxBytes of fragment bodies.
func NewReassembler(timeout time.Duration, maxBytes int) *Reassembler {
	return &Reassembler{timeout: timeout, maxBytes: maxBytes, groups: map[FragmentKey]*fragGroup{}}
}

// Add stores the fragment h describes (body is copied). When it completes
// the message, Add returns the joined body and a header for it (subpackage
// fields cleared, serial of the first fragment) with done = true.
func (r *Reassembler) Add(h Header, body []byte, now time.Time) (joined Header, full []byte, done bool, err error) {
	if !h.Subpackage {
		return h, body, true, nil
	}
	if h.Total == 0 || h.Index == 0 || h.Index > h.Total {
		return h, nil, false, fmt.Errorf("jt808: fragment %d of %d: %w", h.Index, h.Total, ErrInvalid)
	}
	key := FragmentKey{h.Phone, h.MsgID, h.Total}
	g := r.groups[key]
	if g == nil {
		g = &fragGroup{first: now, parts: make([][]byte, h.Total), version: h.Version}
		r.groups[key] = g
	}
	g.last = now
	if h.Index == 1 {
		g.serial, g.haveSerial1 = h.Serial, true
	} else if !g.haveSerial1 && g.have == 0 {
		g.serial = h.Serial - (h.Index - 1)
	}
	i := int(h.Index) - 1
	if g.parts[i] != nil {
		return h, nil, false, nil // repeat
	}
	if r.used+len(body) > r.maxBytes {
		if g.have == 0 {
			delete(r.groups, key)
		}
		return h, nil, false, fmt.Errorf("jt808: fragment %d of %d from %s: %w", h.Index, h.Total, h.Phone, ErrReassemblyFull)
	}
	part := make([]byte, len(body), max(len(body), 1))
	copy(part, body)
	g.parts[i] = part
	g.have++
	g.size += len(body)
	r.used += len(body)
	if g.have < len(g.parts) {
		return h, nil, false, nil
	}
	full = make([]byte, 0, g.size)
	for _, p := range g.parts {
		full = append(full, p...)
	}
	r.drop(key, g)
	joined = h
	joined.Subpackage, joined.Total, joined.Index = false, 0, 0
	joined.Serial = g.serial
	joined.BodyLen = len(full)
	return joined, full, true, nil
}

func (r *Reassembler) drop(key FragmentKey, g *fragGroup) {
	r.used -= g.size
	delete(r.groups, key)
}

// Pending describes an incomplete message.
type Pending struct {
	Key FragmentKey
	// FirstSerial is the serial of fragment 1, the one re-send requests
	// name (estimated from a later fragment when fragment 1 is missing).
	FirstSerial uint16
	Missing     []uint16
	Version     Version
	Since, Last time.Time
}

// Pending lists the incomplete messages, oldest first.
func (r *Reassembler) Pending() []Pending {
	out := make([]Pending, 0, len(r.groups))
	for k, g := range r.groups {
		p := Pending{Key: k, FirstSerial: g.serial, Version: g.version, Since: g.first, Last: g.last}
		for i, part := range g.parts {
			if part == nil {
				p.Missing = append(p.Missing, uint16(i+1))
			}
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Pending) int { return a.Since.Compare(b.Since) })
	return out
}

// ResendRequest builds the 0x8003 asking the terminal for the missing
// fragments of p (the count width follows the version when encoded).
func (p Pending) ResendRequest() *ResendRequest {
	idx := p.Missing
	if p.Version != V2019 && len(idx) > 255 {
		idx = idx[:255]
	}
	return &ResendRequest{ID: MsgPlatformResend, OriginalSerial: p.FirstSerial, Indexes: idx}
}

// Expire drops groups whose last fragment arrived more than the timeout
// before now and returns them (so a gateway can ask for a re-send or log).
func (r *Reassembler) Expire(now time.Time) []Pending {
	var out []Pending
	for _, p := range r.Pending() {
		if now.Sub(p.Last) > r.timeout {
			out = append(out, p)
			r.drop(p.Key, r.groups[p.Key])
		}
	}
	return out
}

// Bytes returns the fragment bytes currently held.
func (r *Reassembler) Bytes() int { return r.used }
