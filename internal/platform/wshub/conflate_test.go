package wshub

import (
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testClient is a client without a connection, for the queueing logic.
func testClient(cfg Config) *Client[string] {
	cfg.Logger = slog.New(slog.DiscardHandler)
	h := New[string](cfg)
	return &Client[string]{hub: h, wake: make(chan struct{}, 1), done: make(chan struct{}), keys: map[uint64]*keyed{}}
}

func texts(batch [][]byte) []string {
	out := []string{}
	for _, b := range batch {
		out = append(out, string(b))
	}
	return out
}

func TestKeyedMessagesLatestWinsOncePerInterval(t *testing.T) {
	c := testClient(Config{KeyInterval: time.Second})
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	steps := []struct {
		name string
		send []struct {
			data string
			key  uint64
			at   int
		}
		takeAt int
		want   []string
	}{
		{name: "first message of a key goes at once, in broadcast order", send: []struct {
			data string
			key  uint64
			at   int
		}{{"v1 a", 1, 0}, {"v2 a", 2, 0}, {"alarm 1", 0, 0}}, takeAt: 0,
			want: []string{"v1 a", "v2 a", "alarm 1"}},
		{name: "within the interval only the latest waits", send: []struct {
			data string
			key  uint64
			at   int
		}{{"v1 b", 1, 100}, {"v1 c", 1, 200}, {"alarm 2", 0, 300}}, takeAt: 300,
			want: []string{"alarm 2"}},
		{name: "nothing is due early", takeAt: 999, want: []string{}},
		{name: "the latest goes when the interval is over", send: []struct {
			data string
			key  uint64
			at   int
		}{{"v1 d", 1, 999}, {"v2 b", 2, 1000}}, takeAt: 1000,
			want: []string{"v1 d", "v2 b"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			for _, s := range st.send {
				if !c.enqueue([]byte(s.data), s.key, at(s.at)) {
					t.Fatalf("enqueue %q refused", s.data)
				}
			}
			got := texts(c.take(nil, at(st.takeAt), nil))
			if diff := cmp.Diff(st.want, got); diff != "" {
				t.Errorf("taken (-want +got):\n%s", diff)
			}
		})
	}
	if c.waiting != 0 {
		t.Errorf("waiting = %d after everything was taken", c.waiting)
	}
}

func TestFullQueueDropsClient(t *testing.T) {
	c := testClient(Config{QueueSize: 2, MaxKeys: 2})
	now := time.Now()
	for i, want := range []bool{true, true, false} {
		if got := c.enqueue([]byte("m"), 0, now); got != want {
			t.Errorf("enqueue %d = %v, want %v", i, got, want)
		}
	}
	if !c.stopped.Load() {
		t.Fatal("client not stopped after its queue overflowed")
	}
	if code := c.closeCode; code != 1008 {
		t.Errorf("close code = %d, want 1008 (policy violation)", code)
	}

	k := testClient(Config{QueueSize: 2, MaxKeys: 2})
	for i, want := range []bool{true, true, true, false} {
		// Key 1 twice conflates; keys 2 and 3 exceed MaxKeys.
		key := []uint64{1, 1, 2, 3}[i]
		if got := k.enqueue([]byte("m"), key, now); got != want {
			t.Errorf("keyed enqueue %d = %v, want %v", i, got, want)
		}
	}
}

func TestDueHeapOrdersByTime(t *testing.T) {
	var h dueHeap
	t0 := time.Now()
	for _, ms := range []int{50, 10, 40, 30, 20, 60, 0} {
		h.push(dueKey{at: t0.Add(time.Duration(ms) * time.Millisecond), key: uint64(ms)})
	}
	var got []uint64
	for len(h) > 0 {
		got = append(got, h.pop().key)
	}
	if diff := cmp.Diff([]uint64{0, 10, 20, 30, 40, 50, 60}, got); diff != "" {
		t.Errorf("pop order (-want +got):\n%s", diff)
	}
}
