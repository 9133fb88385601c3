package gateway

import (
	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
)

// maxReassemblyBytes caps the fragments one connection may hold (a camera
// upload is hundreds of 1 KB fragments).
const maxReassemblyBytes = 2 << 20

// fragment handles one package of a subpackaged message: each package is
// acknowledged with 0x8001 on receipt except the one completing the message,
// which gets the reply of the joined message (after durable storage for
// positions, so the terminal's last outstanding package is answered only
// then; a crash before that makes the terminal re-send it, and the
// earlier packages, held only in memory, are asked for again by 0x8003),
// and when the last package arrives with gaps the terminal is asked for the
// missing ones with 0x8003. Only the read goroutine touches the reassembler.
func (s *session) fragment(h *jt808.Header, body []byte) bool {
	now := s.g.now()
	if s.reasm == nil {
		s.reasm = jt808.NewReassembler(s.g.cfg.ReassemblyTimeout, maxReassemblyBytes)
	}
	s.reasm.Expire(now)
	joined, full, done, err := s.reasm.Add(*h, body, now)
	if err != nil {
		s.g.m.decodeErrors.WithLabelValues("subpackage").Inc()
		s.reply(h, jt808.ResultMessageError)
		return s.malformed()
	}
	if !done {
		s.reply(h, jt808.ResultOK)
		if h.Index == h.Total {
			for _, p := range s.reasm.Pending() {
				if p.Key.MsgID == h.MsgID && p.Key.Total == h.Total && len(p.Missing) > 0 {
					s.send(p.ResendRequest(), true)
				}
			}
		}
		return true
	}
	if s.reasm.Bytes() == 0 {
		s.reasm = nil // idle connections hold no reassembly state
	}
	// The package that completed the message is answered like the whole
	// message: for positions, only once they are stored.
	joined.Serial = h.Serial
	return s.dispatch(&joined, full)
}
