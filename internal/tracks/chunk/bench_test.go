package chunk

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkEncodeSim encodes one-hour chunks of a simulated 30 s track and
// reports the stored size per position.
func BenchmarkEncodeSim(b *testing.B) {
	pts := simTrack(rand.New(rand.NewPCG(1, 1)), 120, 30_000)
	var e Encoder
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = e.Encode(buf[:0], pts)
	}
	b.ReportMetric(float64(len(buf))/float64(len(pts)), "bytes/pos")
	b.ReportMetric(float64(len(pts))*float64(b.N)/b.Elapsed().Seconds(), "pos/s")
}

// BenchmarkDecodeSim decodes the same chunk.
func BenchmarkDecodeSim(b *testing.B) {
	pts := simTrack(rand.New(rand.NewPCG(1, 1)), 120, 30_000)
	data, _ := Encode(nil, pts)
	var d Decoder
	var out []Point
	b.ReportAllocs()
	for b.Loop() {
		out, _ = d.Decode(data, out[:0])
	}
	b.ReportMetric(float64(len(pts))*float64(b.N)/b.Elapsed().Seconds(), "pos/s")
}

// BenchmarkSizeDiDi reports the stored size per position of the Chengdu
// DiDi traces, one chunk per order.
func BenchmarkSizeDiDi(b *testing.B) {
	tracks := didiTracks(b)
	var e Encoder
	var buf []byte
	for b.Loop() {
		size, n := 0, 0
		for _, pts := range tracks {
			buf, _ = e.Encode(buf[:0], pts)
			size += len(buf)
			n += len(pts)
		}
		b.ReportMetric(float64(size)/float64(n), "bytes/pos")
	}
}
