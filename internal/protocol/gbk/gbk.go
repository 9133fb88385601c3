// Package gbk converts between the GBK text of Chinese transport protocols
// (JT/T 808, JT/T 809) and the UTF-8 strings used everywhere else.
//
// Decoding uses the GB18030 decoder, a superset of GBK, so text from
// terminals that send GB18030 four-byte sequences still decodes; encoding uses
// GB18030 too, which writes every character GBK knows with GBK's bytes and
// never fails. A fresh transformer is made per call because x/text
// transformers are stateful and must not be shared between goroutines.
package gbk

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Decode returns the UTF-8 form of GBK bytes. Bytes that are not valid GBK
// become U+FFFD; pure ASCII input is returned without conversion.
func Decode(b []byte) string {
	if isASCII(b) {
		return string(b)
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil {
		// The GB18030 decoder replaces invalid input rather than failing;
		// keep a readable form if a future version changes that.
		return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
	}
	return string(out)
}

// DecodePadded decodes a fixed-width field: trailing and leading NUL bytes and
// spaces (the padding terminals use) are removed first.
func DecodePadded(b []byte) string {
	return Decode(TrimPadding(b))
}

// TrimPadding removes NUL bytes and spaces around a fixed-width field.
func TrimPadding(b []byte) []byte {
	return bytes.Trim(b, "\x00 ")
}

// euro is the one character GBK (code page 936) writes in a single byte
// above ASCII, 0x80. The GB18030 decoder reads that byte as the euro sign,
// but its encoder writes the sign's two-byte GB18030 form; Append writes
// 0x80 instead, so text read from a terminal is written back byte for byte
// and keeps its length in fixed-width fields.
const euro = '\u20ac'

// Append appends the GBK encoding of s to dst.
func Append(dst []byte, s string) []byte {
	if isASCII([]byte(s)) {
		return append(dst, s...)
	}
	if i := strings.IndexRune(s, euro); i >= 0 {
		dst = Append(dst, s[:i])
		dst = append(dst, 0x80)
		return Append(dst, s[i+utf8.RuneLen(euro):])
	}
	if !utf8.ValidString(s) {
		s = string([]rune(s))
	}
	out, err := simplifiedchinese.GB18030.NewEncoder().String(s)
	if err != nil {
		return append(dst, s...)
	}
	return append(dst, out...)
}

// Len returns the number of bytes s takes in GBK.
func Len(s string) int {
	if isASCII([]byte(s)) {
		return len(s)
	}
	return len(Append(nil, s))
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
