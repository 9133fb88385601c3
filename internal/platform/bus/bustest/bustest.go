// Package bustest runs bus tests on every kind of server: an embedded,
// in-process JetStream with its store in t.TempDir() always, and the external
// NATS server whenever it is reachable.
//
// The external server is JIAOTONG_TEST_NATS_URL, by default the local one
// (nats://127.0.0.1:4222). When it cannot be reached the external half is
// skipped with a message saying so, unless JIAOTONG_TEST_REQUIRE_SERVICES=1
// (set by CI), which makes it a failure.
//
// The external server is shared by every test and every package running at
// the same time, so tests name their streams and subjects with Prefix, whose
// streams are deleted when the test ends.
package bustest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
)

// DefaultNATSURL is the local test server of the development machines.
const DefaultNATSURL = "nats://127.0.0.1:4222"

// NATSURL returns the URL tests use for the external server.
func NATSURL() string {
	if u := os.Getenv("JIAOTONG_TEST_NATS_URL"); u != "" {
		return u
	}
	return DefaultNATSURL
}

// RequireServices reports whether a missing external service must fail the
// test run instead of skipping (CI sets JIAOTONG_TEST_REQUIRE_SERVICES=1).
func RequireServices() bool { return os.Getenv("JIAOTONG_TEST_REQUIRE_SERVICES") == "1" }

var (
	reachOnce sync.Once
	reachErr  error
)

// reachable connects once per test binary to see whether the external
// server answers with JetStream enabled.
func reachable() error {
	reachOnce.Do(func() {
		// A quick TCP dial first, so an absent server costs milliseconds.
		if err := dialAny(NATSURL()); err != nil {
			reachErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b, err := bus.Connect(ctx, NATSURL(), bus.WithLogger(quietLogger()))
		if err != nil {
			reachErr = err
			return
		}
		reachErr = b.Close()
	})
	return reachErr
}

func dialAny(urls string) error {
	var last error
	for u := range strings.SplitSeq(urls, ",") {
		host := strings.TrimSpace(u)
		if p, err := url.Parse(host); err == nil && p.Host != "" {
			host = p.Host
		}
		if _, _, err := net.SplitHostPort(host); err != nil {
			host = net.JoinHostPort(host, "4222")
		}
		c, err := net.DialTimeout("tcp", host, 2*time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		last = err
	}
	return last
}

// Run calls fn as subtests "embedded" and "external", each with a bus of its
// own, closed when the subtest ends.
func Run(t *testing.T, fn func(t *testing.T, b *bus.Bus)) {
	t.Helper()
	t.Run("embedded", func(t *testing.T) { fn(t, StartEmbedded(t)) })
	t.Run("external", func(t *testing.T) { fn(t, ConnectExternal(t)) })
}

// StartEmbedded starts an embedded server with its store in t.TempDir().
func StartEmbedded(t testing.TB) *bus.Bus {
	t.Helper()
	return StartEmbeddedAt(t, t.TempDir())
}

// StartEmbeddedAt starts an embedded server on the store in dir; reopening
// the same dir is how tests check durability.
func StartEmbeddedAt(t testing.TB, dir string) *bus.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.StartEmbedded(ctx, bus.EmbeddedOptions{StoreDir: dir, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("start embedded bus: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close embedded bus: %v", err)
		}
	})
	return b
}

// ExternalURL returns the external test server's URL, or skips the test
// when it is unreachable (fails under CI); for tests that start a whole
// platform against it.
func ExternalURL(t testing.TB) string {
	t.Helper()
	if err := reachable(); err != nil {
		msg := fmt.Sprintf("unreachable at %s (set JIAOTONG_TEST_NATS_URL): %v", NATSURL(), err)
		if RequireServices() {
			t.Fatal("nats: " + msg)
		}
		t.Skip("SKIP nats: " + msg)
	}
	return NATSURL()
}

// ConnectExternal connects to the external test server, or skips the test
// when it is unreachable (fails under CI).
func ConnectExternal(t testing.TB) *bus.Bus {
	t.Helper()
	ExternalURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := bus.Connect(ctx, NATSURL(), bus.WithLogger(quietLogger()), bus.WithName("jiaotong-test"))
	if err != nil {
		t.Fatalf("connect %s: %v", NATSURL(), err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close bus: %v", err)
		}
	})
	return b
}

// Prefix returns a name unique to this test run, usable both as the start of
// a stream name ("T3fa9c2d1e0_POS") and as a subject token
// ("T3fa9c2d1e0.pos.>"). Every stream whose name starts with it is deleted
// when the test ends, so the shared external server stays clean.
func Prefix(t testing.TB, b *bus.Bus) string {
	t.Helper()
	var raw [5]byte
	_, _ = rand.Read(raw[:])
	p := "T" + hex.EncodeToString(raw[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		names, err := b.StreamNames(ctx)
		if err != nil {
			t.Logf("bustest: list streams for cleanup: %v", err)
			return
		}
		for _, n := range names {
			if strings.HasPrefix(n, p) {
				if err := b.DeleteStream(ctx, n); err != nil {
					t.Logf("bustest: delete stream %s: %v", n, err)
				}
			}
		}
	})
	return p
}

// quietLogger drops the bus's own logs unless JIAOTONG_TEST_LOG=1.
func quietLogger() *slog.Logger {
	if os.Getenv("JIAOTONG_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}
