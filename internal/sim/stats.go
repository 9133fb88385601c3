package sim

import (
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// Stats counts what terminals did. Every field is safe for concurrent use.
type Stats struct {
	Connects  atomic.Int64 // successful handshakes (reconnections included)
	Connected atomic.Int64 // sessions open now
	Messages  atomic.Int64 // messages written
	Sent      atomic.Int64 // positions written (a 0x0704 counts its items)
	Acked     atomic.Int64 // positions answered 0x8001 success
	Rejected  atomic.Int64 // positions answered with another result
	Dropped   atomic.Int64 // positions generated while not connected
	Errors    atomic.Int64 // dial, handshake, write and decode errors
	Texts     atomic.Int64 // 0x8300 text messages received (and answered)
	Commands  atomic.Int64 // other platform commands answered
	Latency   Histogram    // position acknowledgement latency
}

// Histogram records durations in log-linear buckets (16 per power of two,
// so a quantile is within 1/16 of the true value) and the exact maximum.
// The zero value is ready; it is safe for concurrent use.
type Histogram struct {
	mu      sync.Mutex
	buckets [64 * 16]uint64
	n       uint64
	max     time.Duration
}

func bucketOf(us uint64) int {
	if us < 16 {
		return int(us)
	}
	e := bits.Len64(us) - 5 // us >> e is in [16, 32)
	return (e+1)*16 + int(us>>e) - 16
}

func bucketValue(i int) float64 {
	if i < 16 {
		return float64(i)
	}
	e := i/16 - 1
	return float64(uint64(16+i%16)<<e) + float64(uint64(1)<<e)/2
}

// Record adds one observation.
func (h *Histogram) Record(d time.Duration) {
	us := uint64(max(d, 0) / time.Microsecond)
	i := min(bucketOf(us), len(h.buckets)-1)
	h.mu.Lock()
	h.buckets[i]++
	h.n++
	h.max = max(h.max, d)
	h.mu.Unlock()
}

// Count returns the number of observations.
func (h *Histogram) Count() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// Quantile returns the q-quantile (0 < q ≤ 1), 0 without observations.
func (h *Histogram) Quantile(q float64) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	var acc uint64
	for i, c := range h.buckets {
		acc += c
		if acc >= max(rank, 1) {
			return min(time.Duration(bucketValue(i)*float64(time.Microsecond)), h.max)
		}
	}
	return h.max
}

// Max returns the largest observation.
func (h *Histogram) Max() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.max
}
