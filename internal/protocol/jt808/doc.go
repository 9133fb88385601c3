// Package jt808 is a pure codec for JT/T 808 (道路运输车辆卫星定位系统
// 终端通讯协议), the protocol every commercial vehicle terminal in China speaks
// to its monitoring platform, in its 2011, 2013 and 2019 editions.
//
// The steps are separate and separately usable, in the order a gateway needs
// them:
//
//  1. [Splitter] finds 0x7E-delimited frames in a TCP byte stream;
//  2. [Unpack] (or [Unescape] + [Checksum]) removes the 0x7D escaping and
//     verifies the XOR check code;
//  3. [ParseHeader] reads the 2011/2013 or 2019 header;
//  4. [DecodeBody] (or [Decode] for steps 3 and 4) turns the body into a typed
//     message chosen by message ID; unknown IDs become [Raw];
//  5. [Reassembler] joins subpackaged messages.
//
// [Encode] does the reverse: header + body → check code → escaping → flags.
// [Explain] renders a frame as a JSON-friendly [Explanation] for people.
//
// Everything here is a pure function over byte slices: no I/O, no logging, no
// clock (callers pass the time in), no mutable package state. Decoders never
// panic on hostile input; they return errors wrapping the sentinels below.
//
// Buffer ownership: decoded values may alias the input. Fields of type []byte
// or [Hex] in a decoded body (raw items, pass-through payloads, media data)
// point into the slice that was decoded, and frames returned by the Splitter
// point into the bytes fed to it or into its own buffer. Copy what you keep
// beyond the next read. Strings are always copies.
package jt808
