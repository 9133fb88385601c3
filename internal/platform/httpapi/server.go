// Package httpapi is the platform's HTTP layer: one server for the API, the
// console and the operational endpoints, with the conventions every module
// follows. Modules register huma operations on API (paths under /api/v1),
// which generates the OpenAPI 3.1 document served at /api/v1/openapi.json and
// answers errors as RFC 9457 problem+json naming the field at fault.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"runtime/debug"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
)

// Prefix is the path prefix of every API operation.
const Prefix = "/api/v1"

// DefaultMaxBodyBytes bounds request bodies unless an operation says more
// (imports do): a client cannot make the server buffer arbitrary data.
const DefaultMaxBodyBytes = 1 << 20

// Options configure a Server.
type Options struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry
	Version  string
}

// Server is the platform's HTTP server.
type Server struct {
	// Mux routes every request; plain handlers (console, downloads, WebSocket)
	// register on it directly with method patterns.
	Mux *http.ServeMux
	// API is the huma API rooted at /api/v1.
	API huma.API
	// Root is the huma API at "/", for operations outside /api/v1.
	Root huma.API

	logger     *slog.Logger
	middleware []func(http.Handler) http.Handler
	metrics    *httpMetrics

	mu     sync.Mutex
	checks map[string]func(context.Context) error
}

var problemOnce sync.Once

// New builds a server with /healthz, /readyz, /metrics and the OpenAPI
// document in place.
func New(opts Options) *Server {
	problemOnce.Do(installProblemMapping)
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	s := &Server{Mux: http.NewServeMux(), logger: logger, checks: map[string]func(context.Context) error{}}

	cfg := huma.DefaultConfig("Jiaotong 交通 API", opts.Version)
	cfg.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", schemaName)
	cfg.Info.Description = "Open digital transport platform: registry, monitoring and regulatory business. " +
		"Errors are RFC 9457 problem+json; lists take page, page_size, sort and q."
	cfg.OpenAPIPath = Prefix + "/openapi"
	cfg.DocsPath = "" // the docs renderer loads scripts from a CDN; intranets cannot reach it
	cfg.SchemasPath = Prefix + "/schemas"
	cfg.CreateHooks = nil // no $schema links in bodies
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"session": {Type: "apiKey", In: "cookie", Name: "jiaotong_session",
			Description: "Console session; unsafe methods also need the X-CSRF-Token header"},
		"bearer": {Type: "http", Scheme: "bearer", Description: "API token for machines"},
	}
	cfg.Security = []map[string][]string{{"session": {}}, {"bearer": {}}}
	cfg.Components.Schemas.RegisterTypeAlias(reflect.TypeFor[civil.Date](), reflect.TypeFor[string]())
	s.Root = humago.New(s.Mux, cfg)
	s.API = huma.NewGroup(s.Root, Prefix)

	if opts.Registry != nil {
		s.metrics = newHTTPMetrics(opts.Registry)
		s.Mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{Registry: opts.Registry}))
	}
	s.Mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	s.Mux.HandleFunc("GET /readyz", s.ready)
	// Unknown API paths answer problem+json, not the console's index page.
	s.Mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		WriteProblem(w, r, fmt.Errorf("no API operation %s %s: %w", r.Method, r.URL.Path, errNotFound))
	})
	return s
}

var errNotFound = errors.New("not found")

func init() {
	kindStatus = append(kindStatus, struct {
		kind   error
		status int
	}{errNotFound, http.StatusNotFound})
}

// AddReadyCheck registers a dependency /readyz must find healthy (database,
// event log). Checks run with a short deadline on every probe.
func (s *Server) AddReadyCheck(name string, check func(context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks[name] = check
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	s.mu.Lock()
	checks := make(map[string]func(context.Context) error, len(s.checks))
	for k, v := range s.checks {
		checks[k] = v
	}
	s.mu.Unlock()
	status := http.StatusOK
	body := ""
	for name, check := range checks {
		if err := check(ctx); err != nil {
			status = http.StatusServiceUnavailable
			body += name + ": " + err.Error() + "\n"
		} else {
			body += name + ": ok\n"
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// Use adds middleware around every request, inside the server's own recovery,
// request id, logging and metrics. The first added runs outermost.
func (s *Server) Use(mw func(http.Handler) http.Handler) {
	s.middleware = append(s.middleware, mw)
}

// Handler returns the complete handler chain.
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.Mux
	for i := len(s.middleware) - 1; i >= 0; i-- {
		h = s.middleware[i](h)
	}
	h = s.limitBody(h)
	h = s.logRequests(h)
	h = s.recoverPanics(h)
	return s.withRequestID(h)
}

// Serve answers on ln until ctx ends, then shuts down gracefully, letting
// requests in flight finish for up to grace.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("httpapi: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("httpapi: shutdown: %w", err)
	}
	return nil
}

type requestIDKey struct{}

// RequestID returns the id of the request in ctx ("" outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.logger.ErrorContext(r.Context(), "panic serving request", slog.String("request_id", RequestID(r.Context())),
					slog.String("path", r.URL.Path), slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
				WriteProblem(w, r, fmt.Errorf("panic: %v", p))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody caps every request body; huma operations apply their own
// (usually smaller) limit on top.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxUploadBytes {
			WriteProblem(w, r, fmt.Errorf("request body of %d bytes exceeds %d: %w", r.ContentLength, MaxUploadBytes, errTooLarge))
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, MaxUploadBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// MaxUploadBytes is the largest request body the server reads at all (an XLSX
// import of a province's vehicles fits comfortably).
const MaxUploadBytes = 64 << 20

var errTooLarge = errors.New("request entity too large")

func init() {
	kindStatus = append(kindStatus, struct {
		kind   error
		status int
	}{errTooLarge, http.StatusRequestEntityTooLarge})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (WebSocket, flush).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush passes streaming flushes through.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		elapsed := time.Since(start)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		if s.metrics != nil {
			s.metrics.observe(r.Method, route, rec.status, elapsed)
		}
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
			return
		}
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		s.logger.LogAttrs(r.Context(), level, "http request",
			slog.String("request_id", RequestID(r.Context())),
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", route),
			slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", elapsed), slog.String("remote", r.RemoteAddr))
	})
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jiaotong_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "jiaotong_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *httpMetrics) observe(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, fmt.Sprint(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}
