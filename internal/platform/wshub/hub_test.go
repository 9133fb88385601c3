package wshub_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/jiaotong-platform/jiaotong/internal/platform/wshub"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// region is the test's message metadata.
type region string

// server runs hub behind an httptest server; every connection subscribes by
// sending the region it wants ("" or "-" for nothing).
type server struct {
	hub *wshub.Hub[region]
	srv *httptest.Server
	reg *prometheus.Registry
}

func newServer(t testing.TB, cfg wshub.Config) *server {
	t.Helper()
	s := &server{reg: prometheus.NewRegistry()}
	cfg.Registerer = s.reg
	cfg.Logger = slog.New(slog.DiscardHandler)
	s.hub = wshub.New[region](cfg)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		_ = s.hub.Serve(context.Background(), conn, wshub.Handler[region]{Message: func(c *wshub.Client[region], data []byte) error {
			want := string(data)
			if want == "bad" {
				return errors.New("bad subscription")
			}
			if want == "-" {
				c.SetFilter(nil)
			} else {
				c.SetFilter(func(m *wshub.Message[region]) bool { return strings.HasPrefix(string(m.Meta), want) })
			}
			c.Send([]byte("ok " + want))
			return nil
		}})
	}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.hub.Close(ctx); err != nil {
			t.Errorf("hub close: %v", err)
		}
		s.srv.Close()
	})
	return s
}

// dial connects and subscribes to prefix, waiting for the acknowledgement.
func (s *server) dial(t testing.TB, prefix string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.srv.URL, "http"), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	conn.SetReadLimit(-1)
	t.Cleanup(func() { _ = conn.CloseNow() })
	if prefix != "" {
		if err := conn.Write(ctx, websocket.MessageText, []byte(prefix)); err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		if got := read(t, conn); got != "ok "+prefix {
			t.Fatalf("subscribe reply = %q", got)
		}
	}
	return conn
}

func read(t testing.TB, conn *websocket.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, data, err := conn.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(data)
}

// readUntilClosed returns the messages read and the close status.
func readUntilClosed(conn *websocket.Conn) ([]string, websocket.StatusCode) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []string
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return got, websocket.CloseStatus(err)
		}
		got = append(got, string(data))
	}
}

func TestBroadcastFollowsFilters(t *testing.T) {
	s := newServer(t, wshub.Config{Name: "t"})
	chengdu := s.dial(t, "5101")
	jinjiang := s.dial(t, "510104")
	nobody := s.dial(t, "-")

	msgs := []region{"510104", "510105", "510104", "440305"}
	want := map[string][]string{}
	for i, r := range msgs {
		text := fmt.Sprintf("%d %s", i, r)
		s.hub.Broadcast(&wshub.Message[region]{Data: []byte(text), Meta: r})
		if strings.HasPrefix(string(r), "5101") {
			want["chengdu"] = append(want["chengdu"], text)
		}
		if r == "510104" {
			want["jinjiang"] = append(want["jinjiang"], text)
		}
	}
	// A final message everyone takes marks the end of the stream.
	s.hub.Broadcast(&wshub.Message[region]{Data: []byte("end"), Meta: "510104"})
	got := map[string][]string{}
	for name, conn := range map[string]*websocket.Conn{"chengdu": chengdu, "jinjiang": jinjiang} {
		for {
			m := read(t, conn)
			if m == "end" {
				break
			}
			got[name] = append(got[name], m)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
	// The unsubscribed client got nothing broadcast; a direct Send still
	// reaches it, and it is the first thing it reads.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := nobody.Write(ctx, websocket.MessageText, []byte("4403")); err != nil {
		t.Fatal(err)
	}
	if m := read(t, nobody); m != "ok 4403" {
		t.Errorf("unsubscribed client read %q, want only the reply", m)
	}
}

func TestSubscriptionErrorClosesWithPolicyViolation(t *testing.T) {
	s := newServer(t, wshub.Config{Name: "t"})
	conn := s.dial(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := conn.Write(ctx, websocket.MessageText, []byte("bad")); err != nil {
		t.Fatal(err)
	}
	_, code := readUntilClosed(conn)
	if code != websocket.StatusPolicyViolation {
		t.Errorf("close status = %v, want %v", code, websocket.StatusPolicyViolation)
	}
}

// A client that stops reading is dropped once its queue is full; a client
// that keeps up receives everything, in order, meanwhile.
func TestSlowClientDroppedWithoutStallingOthers(t *testing.T) {
	s := newServer(t, wshub.Config{Name: "t", QueueSize: 8})
	fast := s.dial(t, "51")
	slow := s.dial(t, "51")

	// Large messages fill the socket buffers of the slow client quickly.
	payload := strings.Repeat("x", 256<<10)
	const n = 200
	for i := range n {
		text := fmt.Sprintf("%04d %s", i, payload)
		s.hub.Broadcast(&wshub.Message[region]{Data: []byte(text), Meta: "510104"})
		// Lock-step with the fast client, so only the slow one falls behind.
		if got := read(t, fast); got[:4] != text[:4] {
			t.Fatalf("fast client read message %q, want %q", got[:4], text[:4])
		}
	}
	if got := counter(t, s.reg, "jiaotong_wshub_clients_dropped_total"); got < 1 {
		t.Errorf("dropped clients = %v, want at least 1", got)
	}
	msgs, code := readUntilClosed(slow)
	if code != websocket.StatusPolicyViolation {
		t.Errorf("slow client close status = %v, want %v", code, websocket.StatusPolicyViolation)
	}
	if len(msgs) >= n {
		t.Errorf("slow client read all %d messages; it should have been dropped", len(msgs))
	}
	// The fast client is still served.
	s.hub.Broadcast(&wshub.Message[region]{Data: []byte("after"), Meta: "510104"})
	if got := read(t, fast); got != "after" {
		t.Errorf("fast client read %q after the drop", got)
	}
}

// A client that never answers pings (it never reads) is dropped.
func TestUnansweredPingDropsClient(t *testing.T) {
	s := newServer(t, wshub.Config{Name: "t", PingInterval: 20 * time.Millisecond, PongTimeout: 50 * time.Millisecond})
	conn := s.dial(t, "")
	waitFor(t, "client dropped for pong timeout", func() bool {
		return counter(t, s.reg, "jiaotong_wshub_clients_dropped_total") >= 1
	})
	if _, code := readUntilClosed(conn); code != websocket.StatusPolicyViolation {
		t.Errorf("close status = %v, want %v", code, websocket.StatusPolicyViolation)
	}
}

func TestCloseSaysGoingAway(t *testing.T) {
	s := newServer(t, wshub.Config{Name: "t"})
	conns := []*websocket.Conn{s.dial(t, "51"), s.dial(t, "44")}
	var wg sync.WaitGroup
	codes := make([]websocket.StatusCode, len(conns))
	for i, c := range conns {
		wg.Go(func() { _, codes[i] = readUntilClosed(c) })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.hub.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	wg.Wait()
	for i, code := range codes {
		if code != websocket.StatusGoingAway {
			t.Errorf("client %d close status = %v, want %v", i, code, websocket.StatusGoingAway)
		}
	}
	if n := s.hub.Len(); n != 0 {
		t.Errorf("clients after close = %d", n)
	}
	// A client arriving after Close is turned away at once.
	late := s.dial(t, "")
	if _, code := readUntilClosed(late); code != websocket.StatusGoingAway {
		t.Errorf("late client close status = %v, want %v", code, websocket.StatusGoingAway)
	}
}

// counter sums the series of the counter called name.
func counter(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
