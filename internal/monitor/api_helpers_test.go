package monitor

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
)

// apiServer serves s's API, authenticating requests by the test principal
// header (see registrytest.Authenticate).
func apiServer(t *testing.T, s *Service) *httptest.Server {
	t.Helper()
	srv := httpapi.New(httpapi.Options{})
	srv.Use(registrytest.Authenticate)
	Register(srv.API, s)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// callAPI sends one request under /api/v1 as principal who
// ("role:region[:operator]"; "" is anonymous) and returns the status and body.
func callAPI(t *testing.T, ts *httptest.Server, who, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, ts.URL+"/api/v1"+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if who != "" {
		req.Header.Set(registrytest.Header, who)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

// jsonObject decodes a response body; a JSON array comes back as "list".
func jsonObject(raw []byte) map[string]any {
	if len(raw) > 0 && raw[0] == '[' {
		var l []any
		_ = json.Unmarshal(raw, &l)
		return map[string]any{"list": l}
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m
}
