package iam_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/iam"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
)

// clock is a settable clock for lock-outs and expiries.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// operators is the registry as iam sees it: operator id → region and name.
type operators map[int64][2]string

func (o operators) OperatorRegion(_ context.Context, id int64) (string, string, error) {
	v, ok := o[id]
	if !ok {
		return "", "", apperr.NotFound("operator", id)
	}
	return v[0], v[1], nil
}

var testOperators = operators{
	7: {"510104", "成都锦江客运有限公司"},
	8: {"440103", "广州荔湾物流有限公司"},
}

// Cheap argon2id parameters: the tests check behaviour, not cost.
var testParams = iam.PasswordParams{Memory: 64, Iterations: 1, Parallelism: 1}

const adminPassword = "Root-Pass-2026"

type env struct {
	t     *testing.T
	db    *sqldb.DB
	svc   *iam.Service
	srv   *httptest.Server
	clock *clock
	cfg   iam.Config
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newEnv migrates db, builds the service with a test clock and serves the
// API through a real httpapi.Server with the iam middleware.
func newEnv(t *testing.T, db *sqldb.DB, tweak ...func(*iam.Config)) *env {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx, audit.Module(), iam.Module()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	c := &clock{t: time.Now().Truncate(time.Second)}
	cfg := iam.Config{Password: testParams, Now: c.Now}
	for _, f := range tweak {
		f(&cfg)
	}
	e := &env{t: t, db: db, clock: c, cfg: cfg}
	e.svc = iam.New(db, cfg, discard(), testOperators)
	server := httpapi.New(httpapi.Options{Logger: discard()})
	server.Use(e.svc.Middleware)
	iam.Register(server.API, e.svc)
	e.srv = httptest.NewServer(server.Handler())
	t.Cleanup(e.srv.Close)
	if _, _, created, err := e.svc.EnsureAdmin(ctx, adminPassword); err != nil || !created {
		t.Fatalf("EnsureAdmin: created=%v err=%v", created, err)
	}
	return e
}

// restart builds a second service over the same database, as after a
// process restart.
func (e *env) restart() {
	e.svc = iam.New(e.db, e.cfg, discard(), testOperators)
	server := httpapi.New(httpapi.Options{Logger: discard()})
	server.Use(e.svc.Middleware)
	iam.Register(server.API, e.svc)
	e.srv.Close()
	e.srv = httptest.NewServer(server.Handler())
	e.t.Cleanup(e.srv.Close)
}

func runDB(t *testing.T, fn func(t *testing.T, db *sqldb.DB)) { sqldbtest.Run(t, fn) }

// client is a browser (cookie jar + CSRF token) or a machine (bearer token).
type client struct {
	e      *env
	hc     *http.Client
	csrf   string
	bearer string
	// noCSRF leaves the CSRF header out, to test its enforcement.
	noCSRF bool
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar}}
}

func (e *env) bearer(token string) *client {
	return &client{e: e, hc: &http.Client{}, bearer: token}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// problem is the problem+json body.
type problem struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"errors"`
}

func (c *client) do(method, path string, body any) response {
	c.e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+httpapi.Prefix+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.csrf != "" && !c.noCSRF {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// want checks the status and returns the response.
func (c *client) want(status int, method, path string, body any) response {
	c.e.t.Helper()
	r := c.do(method, path, body)
	if r.status != status {
		c.e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, status, r.body)
	}
	return r
}

// wantProblem checks for a problem+json answer with the status and, when
// field is given, an errors[] entry at that location.
func (c *client) wantProblem(status int, field, method, path string, body any) problem {
	c.e.t.Helper()
	r := c.want(status, method, path, body)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		c.e.t.Fatalf("%s %s: content type %q, want problem+json: %s", method, path, ct, r.body)
	}
	var p problem
	r.json(c.e.t, &p)
	if field != "" {
		found := false
		for _, e := range p.Errors {
			if e.Location == field {
				found = true
			}
		}
		if !found {
			c.e.t.Fatalf("%s %s: no error at %s in %s", method, path, field, r.body)
		}
	}
	return p
}

type loginBody struct {
	CSRFToken string `json:"csrf_token"`
	Via       string `json:"via"`
	Username  string `json:"username"`
	Roles     []struct {
		Role  string `json:"role"`
		Label string `json:"label"`
	} `json:"roles"`
	Scope struct {
		Region       string `json:"region"`
		RegionName   string `json:"region_name"`
		OperatorID   int64  `json:"operator_id"`
		OperatorName string `json:"operator_name"`
	} `json:"scope"`
	Permissions []string `json:"permissions"`
}

// login logs a new browser in and returns it with its CSRF token set.
func (e *env) login(username, password string) *client {
	e.t.Helper()
	c := e.client()
	r := c.want(http.StatusOK, http.MethodPost, "/auth/login", map[string]string{"username": username, "password": password})
	var b loginBody
	r.json(e.t, &b)
	if b.CSRFToken == "" {
		e.t.Fatalf("login %s: no csrf token: %s", username, r.body)
	}
	c.csrf = b.CSRFToken
	return c
}

type userJSON struct {
	ID       int64    `json:"id"`
	Username string   `json:"username"`
	Roles    []string `json:"roles"`
	Status   string   `json:"status"`
	Scope    struct {
		Region     string `json:"region"`
		OperatorID int64  `json:"operator_id"`
	} `json:"scope"`
}

// createUser creates a user through the API as c and returns its id.
func (c *client) createUser(username string, roles []string, scope map[string]any) int64 {
	c.e.t.Helper()
	r := c.want(http.StatusCreated, http.MethodPost, "/users", map[string]any{
		"username": username, "display_name": "测试 " + username, "roles": roles, "scope": scope,
		"password": pw(username)})
	var u userJSON
	r.json(c.e.t, &u)
	return u.ID
}

// pw is the password createUser gives each user.
func pw(username string) string { return fmt.Sprintf("Pw-%d-Secret!x", len(username)) }

func sqldbtestSQLite(t *testing.T) *sqldb.DB { return sqldbtest.OpenSQLite(t) }

func itoa(n int64) string { return fmt.Sprint(n) }

// wantProblemResponse is wantProblem for callers that need the headers.
func (c *client) wantProblemResponse(status int, method, path string, body any) response {
	c.e.t.Helper()
	r := c.want(status, method, path, body)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		c.e.t.Fatalf("%s %s: content type %q, want problem+json: %s", method, path, ct, r.body)
	}
	return r
}

// in returns a copy of c that reports failures to t (a subtest).
func (c *client) in(t *testing.T) *client {
	e := *c.e
	e.t = t
	cc := *c
	cc.e = &e
	return &cc
}
