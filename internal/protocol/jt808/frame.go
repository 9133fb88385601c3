package jt808

import (
	"bytes"
	"errors"
)

// Sentinel errors. Decoders wrap them with the message ID and field, so test
// them with errors.Is.
var (
	// ErrChecksum means the XOR check code does not match the frame content.
	ErrChecksum = errors.New("jt808: bad check code")
	// ErrTruncated means a frame, header or body ended before a field did.
	ErrTruncated = errors.New("jt808: truncated")
	// ErrFrameTooLarge means a frame exceeded the splitter's size limit and
	// was dropped.
	ErrFrameTooLarge = errors.New("jt808: frame too large")
	// ErrNeedMore is returned by Splitter.Next when the bytes fed so far
	// hold no further complete frame.
	ErrNeedMore = errors.New("jt808: need more data")
	// ErrBodyLength means the body length in the header differs from the
	// number of body bytes received.
	ErrBodyLength = errors.New("jt808: body length does not match header")
	// ErrEncrypted means the body is RSA-encrypted and cannot be parsed.
	ErrEncrypted = errors.New("jt808: body is encrypted")
	// ErrInvalid means a value cannot be encoded (too long, too many items).
	ErrInvalid = errors.New("jt808: invalid value")
)

const (
	flagByte   = 0x7E
	escapeByte = 0x7D
)

// Checksum returns the XOR of every byte of b: the JT/T 808 check code over
// the unescaped header and body.
func Checksum(b []byte) byte {
	var c byte
	for len(b) >= 8 {
		c ^= b[0] ^ b[1] ^ b[2] ^ b[3] ^ b[4] ^ b[5] ^ b[6] ^ b[7]
		b = b[8:]
	}
	for _, x := range b {
		c ^= x
	}
	return c
}

// Unescape appends the unescaped form of src (frame content without the 0x7E
// flags) to dst and returns it: 0x7D 0x02 becomes 0x7E and 0x7D 0x01 becomes
// 0x7D. A 0x7D not followed by 0x01 or 0x02 is kept as a literal byte (some
// terminals do not escape a check code of 0x7D); stray counts those. dst may
// be src[:0] to unescape in place.
func Unescape(dst, src []byte) (out []byte, stray int) {
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == escapeByte && i+1 < len(src) {
			switch src[i+1] {
			case 0x02:
				c = flagByte
				i++
			case 0x01:
				i++
			default:
				stray++
			}
		} else if c == escapeByte {
			stray++
		}
		dst = append(dst, c)
	}
	return dst, stray
}

// Escape appends the escaped form of src to dst (without flags).
func Escape(dst, src []byte) []byte {
	for _, c := range src {
		switch c {
		case flagByte:
			dst = append(dst, escapeByte, 0x02)
		case escapeByte:
			dst = append(dst, escapeByte, 0x01)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// Unpack unescapes a frame in place (frame is the content between the two
// 0x7E flags, as returned by Splitter.Next; flags at either end are
// tolerated), verifies the check code and returns header + body without the
// check byte. The result aliases frame, whose content is overwritten.
func Unpack(frame []byte) ([]byte, error) {
	frame = trimFlags(frame)
	pkt, _ := Unescape(frame[:0], frame)
	if len(pkt) < 1 {
		return nil, ErrTruncated
	}
	data, check := pkt[:len(pkt)-1], pkt[len(pkt)-1]
	if Checksum(data) != check {
		return data, ErrChecksum
	}
	return data, nil
}

func trimFlags(b []byte) []byte {
	for len(b) > 0 && b[0] == flagByte {
		b = b[1:]
	}
	for len(b) > 0 && b[len(b)-1] == flagByte {
		b = b[:len(b)-1]
	}
	return b
}

// AppendFrame appends a complete wire frame for pkt (unescaped header +
// body) to dst: opening flag, escaped pkt and check code, closing flag.
func AppendFrame(dst, pkt []byte) []byte {
	dst = append(dst, flagByte)
	dst = Escape(dst, pkt)
	dst = Escape(dst, []byte{Checksum(pkt)})
	return append(dst, flagByte)
}

// escapeTail turns buf[start:] (unescaped header + body) into a wire frame in
// place: appends the check code, escapes from the back and adds the flags,
// without allocating when buf has room.
func escapeTail(buf []byte, start int) []byte {
	buf = append(buf, Checksum(buf[start:]))
	n := 0
	for _, c := range buf[start:] {
		if c == flagByte || c == escapeByte {
			n++
		}
	}
	oldEnd := len(buf)
	// one opening flag, n extra escape bytes, one closing flag
	for range n + 2 {
		buf = append(buf, 0)
	}
	w := len(buf) - 1
	buf[w] = flagByte
	w--
	for r := oldEnd - 1; r >= start; r-- {
		c := buf[r]
		switch c {
		case flagByte:
			buf[w], buf[w-1] = 0x02, escapeByte
			w -= 2
		case escapeByte:
			buf[w], buf[w-1] = 0x01, escapeByte
			w -= 2
		default:
			buf[w] = c
			w--
		}
	}
	buf[w] = flagByte
	return buf
}

// Splitter finds 0x7E-delimited frames in a byte stream. Feed it what a
// connection read returned, then call Next until it returns ErrNeedMore.
//
// 0x7E is the only delimiter: bytes before the first flag are discarded,
// empty frames between adjacent flags ("7E 7E") are skipped, a frame split
// across reads is carried over, and a frame longer than the limit is dropped
// (Next reports ErrFrameTooLarge once) up to the next flag. Garbage between
// two flags is returned as a frame and fails Unpack, so the caller can count
// it.
//
// A Splitter is not safe for concurrent use; one per connection. After the
// first carried-over frame it does not allocate.
type Splitter struct {
	max      int
	in       []byte // fed bytes not yet scanned
	partial  []byte // start of a frame carried over from earlier feeds
	inFrame  bool   // a flag has been seen; bytes belong to a frame
	dropping bool   // current frame exceeded max; skip to next flag
	garbage  int
}

// NewSplitter returns a splitter that drops frames longer than maxFrame
// escaped bytes (flags excluded). A typical limit is 2 × (21 + 1023 + 1) for
// the worst-case fully escaped 2019 frame.
func NewSplitter(maxFrame int) *Splitter {
	if maxFrame <= 0 {
		maxFrame = MaxFrameSize
	}
	return &Splitter{max: maxFrame}
}

// MaxFrameSize is the longest escaped frame content the standard allows:
// every byte of a subpackaged 2019 header, a 1023-byte body and the check
// code escaped.
const MaxFrameSize = 2 * (21 + 1023 + 1)

// Feed hands the splitter the next bytes from the stream. The splitter keeps
// a reference to p until Next returns ErrNeedMore, so do not overwrite p
// before then.
func (s *Splitter) Feed(p []byte) {
	s.in = p
}

// Next returns the next complete frame content (escaped, without flags). It
// returns ErrNeedMore when the fed bytes are used up, and ErrFrameTooLarge
// once for each oversized frame it skipped. The frame aliases the fed bytes
// or the splitter's buffer and is valid until the next call to Feed or Next.
func (s *Splitter) Next() ([]byte, error) {
	for len(s.in) > 0 {
		if !s.inFrame {
			i := bytes.IndexByte(s.in, flagByte)
			if i < 0 {
				s.garbage += len(s.in)
				s.in = nil
				return nil, ErrNeedMore
			}
			s.garbage += i
			s.in = s.in[i+1:]
			s.inFrame = true
			continue
		}
		i := bytes.IndexByte(s.in, flagByte)
		if i < 0 {
			s.carry(s.in)
			s.in = nil
			return nil, ErrNeedMore
		}
		chunk := s.in[:i]
		s.in = s.in[i+1:]
		// The closing flag of one frame opens the next: stay in frame.
		if s.dropping {
			s.dropping = false
			s.partial = s.partial[:0]
			return nil, ErrFrameTooLarge
		}
		var frame []byte
		if len(s.partial) > 0 {
			if len(s.partial)+len(chunk) > s.max {
				s.partial = s.partial[:0]
				return nil, ErrFrameTooLarge
			}
			s.partial = append(s.partial, chunk...)
			frame = s.partial
			s.partial = s.partial[:0]
		} else {
			frame = chunk
		}
		if len(frame) == 0 {
			continue
		}
		if len(frame) > s.max {
			return nil, ErrFrameTooLarge
		}
		return frame, nil
	}
	return nil, ErrNeedMore
}

// carry keeps the unterminated start of a frame for the next Feed.
func (s *Splitter) carry(b []byte) {
	if s.dropping {
		return
	}
	if len(s.partial)+len(b) > s.max {
		s.partial = s.partial[:0]
		s.dropping = true
		return
	}
	if s.partial == nil {
		s.partial = make([]byte, 0, min(s.max, 4096))
	}
	s.partial = append(s.partial, b...)
}

// Pending returns how many bytes of an unterminated frame are buffered.
func (s *Splitter) Pending() int { return len(s.partial) }

// Garbage returns how many bytes were discarded outside any frame.
func (s *Splitter) Garbage() int { return s.garbage }

// Reset forgets any buffered partial frame and fed bytes.
func (s *Splitter) Reset() {
	s.in, s.partial, s.inFrame, s.dropping = nil, s.partial[:0], false, false
}
