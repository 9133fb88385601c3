package monitor

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus/bustest"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
)

// delivery is one POST the receiver got, dated on the monitor's clock.
type delivery struct {
	at        time.Time
	id        string
	body      []byte
	signature string
	ctype     string
}

// TestWebhookDeliveryRetriesWithBackoff: a receiver that answers 503 three
// times, then 200. The alarm.raised event of an SOS reaches it on the
// fourth attempt; the attempts are the same delivery, spaced by the
// doubling backoff (2 s, 4 s, 8 s on the monitor's clock); every attempt
// carries an HMAC-SHA256 signature of the body under the webhook's secret;
// the body is the event envelope with the alarm as data; once delivered
// the outbox row is gone and nothing is sent again.
func TestWebhookDeliveryRetriesWithBackoff(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		migrated(t, db)
		b := bustest.StartEmbedded(t)
		if err := b.EnsureStream(t.Context(), bus.StreamConfig{Name: "POSITIONS", Subjects: []string{"pos.>"}}); err != nil {
			t.Fatal(err)
		}

		// The monitor's clock stands still unless the test moves it: each
		// retry is due at a time the test reads from the outbox and then
		// sets the clock to, so the backoff is checked exactly, however
		// slowly the machine runs.
		var clockMu sync.Mutex
		now := at(10, 0)
		clockNow := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }

		var mu sync.Mutex
		var got []delivery
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			got = append(got, delivery{at: clockNow(), id: r.Header.Get("X-Jiaotong-Delivery"), body: body,
				signature: r.Header.Get(SignatureHeader), ctype: r.Header.Get("Content-Type")})
			n := len(got)
			mu.Unlock()
			if n <= 3 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		defer recv.Close()

		s := New(db, b, testRegistry(), nil, Config{ReplayFromStart: true, NoRoadNetwork: true, SnapshotEvery: time.Hour,
			OfflineCheckEvery: time.Hour, OutboxPoll: 10 * time.Millisecond}, quiet())
		s.SetClock(clockNow)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		defer func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
		}()
		<-s.Ready()
		const secret = "webhook secret of the enterprise"
		sys := access.With(t.Context(), access.System)
		hook, err := s.CreateWebhook(sys, WebhookFields{Name: "企业平台", URL: recv.URL + "/hook", Secret: secret,
			EventTypes: []string{EventAlarmRaised}})
		if err != nil {
			t.Fatal(err)
		}
		if hook.Secret != secret {
			t.Fatalf("created webhook secret %q", hook.Secret)
		}

		publish(t, b, track(1, at(10, 0), 30*time.Second, seg{dur: 2 * time.Minute, speed: 40, alarm: 1}))

		attempts := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }
		waitUntil := func(what string, cond func() bool) {
			t.Helper()
			deadline := time.Now().Add(30 * time.Second)
			for !cond() {
				if time.Now().After(deadline) {
					t.Fatalf("%s: not reached (%d attempts)", what, attempts())
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		for n := 1; n <= 3; n++ {
			waitUntil(fmt.Sprintf("attempt %d", n), func() bool { return attempts() >= n })
			var stored int
			var nextAt int64
			waitUntil(fmt.Sprintf("failure %d recorded", n), func() bool {
				err := db.Read().QueryRowContext(t.Context(), `SELECT attempts, next_at FROM monitor_outbox WHERE target <> 'bus'`).Scan(&stored, &nextAt)
				return err == nil && stored == n
			})
			if due, want := time.UnixMilli(nextAt).Sub(clockNow()), time.Second<<n; due != want {
				t.Errorf("after failure %d the retry is due in %v, want %v", n, due, want)
			}
			clockMu.Lock()
			now = time.UnixMilli(nextAt)
			clockMu.Unlock()
		}
		waitUntil("delivered", func() bool { return attempts() >= 4 && outboxEmpty(t, db) })

		mu.Lock()
		defer mu.Unlock()
		if len(got) != 4 {
			t.Fatalf("%d attempts, want 3 failed and 1 delivered", len(got))
		}
		mac := hmac.New(sha256.New, []byte(secret))
		for i, d := range got {
			mac.Reset()
			mac.Write(d.body)
			if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); d.signature != want {
				t.Errorf("attempt %d: signature %q, want %q", i+1, d.signature, want)
			}
			if d.id != got[0].id || string(d.body) != string(got[0].body) || d.ctype != "application/json" {
				t.Errorf("attempt %d: delivery %s (%s), want the same delivery %s as the first", i+1, d.id, d.ctype, got[0].id)
			}
			if i > 0 {
				if gap, backoff := d.at.Sub(got[i-1].at), time.Second<<i; gap != backoff {
					t.Errorf("attempt %d came %v after the previous one, want the backoff %v", i+1, gap, backoff)
				}
			}
		}
		var ev struct {
			Type      string    `json:"type"`
			At        time.Time `json:"at"`
			VehicleID int64     `json:"vehicle_id"`
			Plate     string    `json:"plate"`
			Region    string    `json:"region"`
			Operator  int64     `json:"operator_id"`
			Severity  Severity  `json:"severity"`
			Data      Alarm     `json:"data"`
		}
		if err := json.Unmarshal(got[0].body, &ev); err != nil {
			t.Fatalf("payload %s: %v", got[0].body, err)
		}
		if ev.Type != EventAlarmRaised || ev.VehicleID != 1 || ev.Plate != "川A12345" || ev.Region != "510104" || ev.Operator != 7 ||
			ev.Severity != SeverityCritical || ev.Data.Rule != RuleSOS || !ev.Data.StartAt.Equal(at(10, 0)) || ev.Data.VehicleID != 1 {
			t.Errorf("payload %s", got[0].body)
		}
	})
}
