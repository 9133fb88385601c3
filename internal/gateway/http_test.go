package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus/bustest"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
)

func apiServer(t *testing.T, g *gateway.Gateway) *httptest.Server {
	t.Helper()
	srv := httpapi.New(httpapi.Options{Logger: testLogger()})
	srv.Use(registrytest.Authenticate)
	gateway.Register(srv.API, g)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func call(t *testing.T, ts *httptest.Server, who, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, ts.URL+"/api/v1"+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if who != "" {
		req.Header.Set(registrytest.Header, who)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// answerLikeATerminal replies to platform commands until the connection
// ends and reports every command it received.
func answerLikeATerminal(tm *terminal) <-chan jt808.Body {
	got := make(chan jt808.Body, 16)
	go func() {
		defer close(got)
		for {
			hd, body, err := tm.tryNext(30 * time.Second)
			if err != nil {
				return
			}
			switch body.(type) {
			case *jt808.QueryParameters:
				tm.send(&jt808.ParametersReply{ReplySerial: hd.Serial, Params: []jt808.Param{
					jt808.ParamDWord(0x0001, 60), jt808.ParamDWord(0x0055, 80), jt808.ParamString(0x0083, "川A00001")}})
			case *jt808.QueryLocation:
				tm.send(&jt808.LocationReply{ReplySerial: hd.Serial, Location: *location(7, time.Now())})
			case *jt808.PlatformResponse:
				continue // the reply to our 0x0201
			default:
				r := &jt808.TerminalResponse{}
				r.ReplySerial, r.ReplyID = hd.Serial, hd.MsgID
				tm.send(r)
			}
			got <- body
		}
	}()
	return got
}

func TestIntegrationCommandsThroughTheAPI(t *testing.T) {
	b := bustest.StartEmbedded(t)
	h := startGateway(t, b, 3, nil)
	ts := apiServer(t, h.g)
	const monitor = "monitor:510100"
	versions := []jt808.Version{jt808.V2013, jt808.V2019}
	var received []<-chan jt808.Body
	for i, v := range versions {
		tm := dialTerminal(t, h.addr, phoneOf(i+1), v)
		tm.login(h.vehicles[i].Plate)
		received = append(received, answerLikeATerminal(tm))
	}

	t.Run("text reaches the terminal and its reply the caller", func(t *testing.T) {
		for i, v := range versions {
			got := received[i]
			status, body := call(t, ts, monitor, "POST", "/terminals/"+phoneOf(i+1)+"/commands",
				map[string]any{"kind": "text", "text": map[string]any{"text": "请注意安全驾驶", "tts": true}})
			if status != http.StatusOK {
				t.Fatalf("%s: text command: %d %s", v, status, body)
			}
			var res gateway.CommandResult
			if err := json.Unmarshal(body, &res); err != nil {
				t.Fatal(err)
			}
			if res.ReplyMsgID != "0x0001" || res.ResultLabel != "success" || res.MsgID != "0x8300" || res.VehicleID != h.vehicles[i].ID {
				t.Fatalf("%s: result %+v", v, res)
			}
			msg := (<-got).(*jt808.TextMessage)
			if msg.Text != "请注意安全驾驶" || msg.Flag&jt808.TextTTS == 0 {
				t.Fatalf("%s: terminal received %+v", v, msg)
			}
		}
	})

	t.Run("parameters and position queries return the reply's content", func(t *testing.T) {
		status, body := call(t, ts, monitor, "POST", fmt.Sprintf("/terminals/v%d/commands", h.vehicles[0].ID),
			map[string]any{"kind": "query_parameters"})
		if status != http.StatusOK || !strings.Contains(body2s(body), `"reply_msg_id":"0x0104"`) {
			t.Fatalf("query parameters: %d %s", status, body)
		}
		status, body = call(t, ts, monitor, "POST", "/terminals/"+phoneOf(1)+"/commands", map[string]any{"kind": "query_position"})
		var res gateway.CommandResult
		_ = json.Unmarshal(body, &res)
		if status != http.StatusOK || res.Position == nil || res.Position.Lat < 30.6 {
			t.Fatalf("query position: %d %s", status, body)
		}
		status, body = call(t, ts, monitor, "POST", "/terminals/"+phoneOf(1)+"/commands",
			map[string]any{"kind": "track", "track": map[string]any{"interval_s": 5, "validity_s": 600}})
		if status != http.StatusOK {
			t.Fatalf("track: %d %s", status, body)
		}
		status, body = call(t, ts, monitor, "POST", "/terminals/"+phoneOf(1)+"/commands",
			map[string]any{"kind": "set_parameters", "parameters": []map[string]any{{"id": 0x55, "dword": 80}, {"id": 0x83, "string": "川A00001"}}})
		if status != http.StatusOK {
			t.Fatalf("set parameters: %d %s", status, body)
		}
		// A time-bounded, speed-limited circle (attr bits 0 and 1) around 天府广场.
		status, body = call(t, ts, monitor, "POST", "/terminals/"+phoneOf(1)+"/commands", map[string]any{
			"kind": "set_circle_areas", "circle_areas": map[string]any{"action": 0, "areas": []map[string]any{{
				"id": 7, "attr": 3, "lat": 30657000, "lon": 104066000, "radius_m": 800,
				"start": "2026-12-01T07:00:00+08:00", "end": "2026-12-01T09:00:00+08:00", "max_speed": 40, "overspeed_duration": 10,
			}}}})
		if status != http.StatusOK {
			t.Fatalf("set circle area: %d %s", status, body)
		}
		status, body = call(t, ts, monitor, "POST", "/terminals/"+phoneOf(1)+"/commands", map[string]any{"kind": "delete_routes", "ids": []int{3}})
		if status != http.StatusOK {
			t.Fatalf("delete routes: %d %s", status, body)
		}
	})

	t.Run("offline terminal is refused", func(t *testing.T) {
		status, body := call(t, ts, monitor, "POST", "/terminals/"+phoneOf(3)+"/commands",
			map[string]any{"kind": "text", "text": map[string]any{"text": "hi"}})
		if status != http.StatusConflict || !strings.Contains(body2s(body), "offline") {
			t.Fatalf("offline terminal: %d %s", status, body)
		}
	})

	t.Run("scope and permission", func(t *testing.T) {
		status, _ := call(t, ts, "monitor:440100", "POST", "/terminals/"+phoneOf(1)+"/commands",
			map[string]any{"kind": "text", "text": map[string]any{"text": "hi"}})
		if status != http.StatusNotFound && status != http.StatusForbidden {
			t.Fatalf("vehicle outside the caller's scope: %d", status)
		}
		status, _ = call(t, ts, "readonly:510100", "POST", "/terminals/"+phoneOf(1)+"/commands",
			map[string]any{"kind": "text", "text": map[string]any{"text": "hi"}})
		if status != http.StatusForbidden {
			t.Fatalf("read-only user: %d, want 403", status)
		}
		status, body := call(t, ts, monitor, "POST", "/terminals/"+phoneOf(1)+"/commands", map[string]any{"kind": "text"})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body2s(body), "text") {
			t.Fatalf("text kind without text: %d %s", status, body)
		}
	})

	t.Run("sessions", func(t *testing.T) {
		status, body := call(t, ts, monitor, "GET", "/terminals/sessions", nil)
		var list []gateway.SessionInfo
		_ = json.Unmarshal(body, &list)
		if status != http.StatusOK || len(list) != 2 || list[0].Plate != h.vehicles[0].Plate || list[1].Version != "2019" || list[0].Frames == 0 {
			t.Fatalf("sessions: %d %s", status, body)
		}
		status, body = call(t, ts, "monitor:440100", "GET", "/terminals/sessions", nil)
		if status != http.StatusOK || strings.TrimSpace(body2s(body)) != "[]" {
			t.Fatalf("sessions outside the scope: %d %s", status, body)
		}
		status, body = call(t, ts, monitor, "GET", "/terminals/sessions/"+phoneOf(2), nil)
		if status != http.StatusOK || !strings.Contains(body2s(body), `"authenticated":true`) {
			t.Fatalf("one session: %d %s", status, body)
		}
		if status, _ = call(t, ts, monitor, "GET", "/terminals/sessions/"+phoneOf(3), nil); status != http.StatusNotFound {
			t.Fatalf("offline session: %d", status)
		}
	})
}

func body2s(b []byte) string { return string(b) }
