// Package config is the platform's one typed configuration. Values come from
// defaults < a YAML file < JIAOTONG_* environment variables < command-line
// flags, and Validate reports every problem at once so an operator fixes a
// broken deployment in one go.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is everything `jiaotong serve` can be told.
type Config struct {
	// DataDir holds the SQLite database, the embedded JetStream store and keys.
	DataDir string `yaml:"data_dir"`
	HTTP    HTTP   `yaml:"http"`
	JT808   JT808  `yaml:"jt808"`
	// Postgres is a PostgreSQL DSN; empty means the embedded SQLite database.
	Postgres string `yaml:"postgres"`
	NATS     NATS   `yaml:"nats"`
	Log      Log    `yaml:"log"`
	Auth     Auth   `yaml:"auth"`
	// Roles lists the parts this process runs: "all", or some of api, gateway,
	// monitor, tracks (scale-out deployments split them over machines).
	Roles []string `yaml:"roles"`
	// Demo seeds the Chengdu demo dataset on first start.
	Demo bool `yaml:"demo"`
	// TrackRetention is how long positions are kept in the track store
	// (platforms must keep them at least six months).
	TrackRetention time.Duration `yaml:"track_retention"`
	Basemap        Basemap       `yaml:"basemap"`
}

// Basemap configures the console's map (see docs/basemap.md).
type Basemap struct {
	// OSM is the OpenStreetMap extract (.osm, .osm.gz or .osm.pbf) the
	// vector tiles are cut from; empty means the embedded central-Chengdu
	// extract.
	OSM string `yaml:"osm"`
	// TilesURL is an external raster tile URL template ({z}, {x}, {y})
	// drawn instead of the self-hosted tiles, e.g. 天地图; empty (the
	// default) keeps every map request on this server.
	TilesURL string `yaml:"tiles_url"`
	// TilesDatum is the datum of the external tiles: wgs84 or gcj02 (the
	// console then shifts its WGS-84 data to GCJ-02 for display).
	TilesDatum string `yaml:"tiles_datum"`
	// TilesAttribution is the credit the external tiles' provider requires.
	TilesAttribution string `yaml:"tiles_attribution"`
}

// HTTP configures the API and console listener.
type HTTP struct {
	Addr string `yaml:"addr"`
	// SecureCookies marks session cookies Secure even on plain HTTP (set it
	// behind a TLS-terminating proxy).
	SecureCookies bool `yaml:"secure_cookies"`
	// ShutdownGrace is how long requests in flight may finish on SIGTERM.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	// Pprof serves Go's profiler at /debug/pprof/ to administrators.
	Pprof bool `yaml:"pprof"`
}

// JT808 configures the terminal gateway listener.
type JT808 struct {
	Addr string `yaml:"addr"`
}

// NATS configures the event log.
type NATS struct {
	// URL of an external NATS JetStream server or cluster; empty runs the
	// embedded in-process server with its store under DataDir.
	URL string `yaml:"url"`
	// Listen, for the embedded server, also accepts connections from other
	// processes on this address (e.g. 127.0.0.1:4222); empty means in-process only.
	Listen string `yaml:"listen"`
	// Prefix namespaces this platform's streams and subjects ("X" gives
	// streams X_POSITIONS, X_EVENTS and subjects X.pos.*, X.evt.*), so several
	// platforms (production and staging, or tests) can share one cluster.
	Prefix string `yaml:"prefix"`
}

// Stream returns the name of one of the platform's streams ("POSITIONS").
func (n NATS) Stream(name string) string {
	if n.Prefix == "" {
		return name
	}
	return n.Prefix + "_" + name
}

// Subject returns a subject prefix of the platform ("pos").
func (n NATS) Subject(prefix string) string {
	if n.Prefix == "" {
		return prefix
	}
	return n.Prefix + "." + prefix
}

// Log configures logging.
type Log struct {
	Format string `yaml:"format"` // text or json
	Level  string `yaml:"level"`  // debug, info, warn, error
}

// Auth configures identity and sessions.
type Auth struct {
	// AdminPassword is the first administrator's password, used only when the
	// account is created; when empty one is generated and printed once.
	AdminPassword   string        `yaml:"admin_password"`
	SessionIdle     time.Duration `yaml:"session_idle"`
	SessionLifetime time.Duration `yaml:"session_lifetime"`
	LockoutAfter    int           `yaml:"lockout_after"`
	LockoutFor      time.Duration `yaml:"lockout_for"`
}

// KnownRoles are the process roles a deployment can assign.
var KnownRoles = []string{"all", "api", "gateway", "monitor", "tracks"}

// Default returns the configuration of a fresh single-machine install.
func Default() Config {
	return Config{
		DataDir: "data",
		HTTP:    HTTP{Addr: "127.0.0.1:8080", ShutdownGrace: 15 * time.Second},
		JT808:   JT808{Addr: "0.0.0.0:6808"},
		Log:     Log{Format: "text", Level: "info"},
		Auth:    Auth{SessionIdle: 30 * time.Minute, SessionLifetime: 12 * time.Hour, LockoutAfter: 5, LockoutFor: 15 * time.Minute},
		Roles:   []string{"all"},
		// Platforms must keep positions at least six months.
		TrackRetention: 190 * 24 * time.Hour,
		Basemap:        Basemap{TilesDatum: "wgs84"},
	}
}

// SQLitePath is where the embedded database lives.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "jiaotong.db") }

// NATSStoreDir is where the embedded JetStream keeps its streams.
func (c Config) NATSStoreDir() string { return filepath.Join(c.DataDir, "jetstream") }

// HasRole reports whether this process runs role r.
func (c Config) HasRole(r string) bool {
	return slices.Contains(c.Roles, "all") || slices.Contains(c.Roles, r)
}

// setting binds one option to its YAML key, environment variable and flag.
type setting struct {
	name   string // flag name; the env name is JIAOTONG_ + upper(name with - → _)
	usage  string
	secret bool
	value  flag.Value
}

func (s setting) env() string {
	return "JIAOTONG_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
}

func (c *Config) settings() []setting {
	return []setting{
		{name: "data-dir", usage: "directory for the embedded database, event log and keys", value: (*stringValue)(&c.DataDir)},
		{name: "http", usage: "HOST:PORT of the API and console", value: (*stringValue)(&c.HTTP.Addr)},
		{name: "http-secure-cookies", usage: "mark session cookies Secure (behind a TLS proxy)", value: (*boolValue)(&c.HTTP.SecureCookies)},
		{name: "http-pprof", usage: "serve the Go profiler at /debug/pprof/ (administrators only)", value: (*boolValue)(&c.HTTP.Pprof)},
		{name: "http-shutdown-grace", usage: "time requests in flight get to finish on shutdown", value: (*durationValue)(&c.HTTP.ShutdownGrace)},
		{name: "jt808", usage: "HOST:PORT of the JT/T 808 terminal gateway", value: (*stringValue)(&c.JT808.Addr)},
		{name: "postgres", usage: "PostgreSQL DSN (default: embedded SQLite in the data dir)", secret: true, value: (*stringValue)(&c.Postgres)},
		{name: "nats", usage: "URL of an external NATS JetStream server or cluster (default: embedded)", secret: true, value: (*stringValue)(&c.NATS.URL)},
		{name: "nats-listen", usage: "HOST:PORT on which the embedded NATS server also accepts other processes", value: (*stringValue)(&c.NATS.Listen)},
		{name: "nats-prefix", usage: "namespace of this platform's streams and subjects on a shared cluster", value: (*stringValue)(&c.NATS.Prefix)},
		{name: "log-format", usage: "log format: text or json", value: (*stringValue)(&c.Log.Format)},
		{name: "log-level", usage: "log level: debug, info, warn or error", value: (*stringValue)(&c.Log.Level)},
		{name: "admin-password", usage: "password of the first administrator (prefer the environment variable)", secret: true, value: (*stringValue)(&c.Auth.AdminPassword)},
		{name: "session-idle", usage: "console session idle timeout", value: (*durationValue)(&c.Auth.SessionIdle)},
		{name: "session-lifetime", usage: "console session absolute lifetime", value: (*durationValue)(&c.Auth.SessionLifetime)},
		{name: "lockout-after", usage: "failed logins before an account is locked", value: (*intValue)(&c.Auth.LockoutAfter)},
		{name: "lockout-for", usage: "how long a locked account stays locked", value: (*durationValue)(&c.Auth.LockoutFor)},
		{name: "roles", usage: "comma-separated roles of this process: all, api, gateway, monitor, tracks", value: (*listValue)(&c.Roles)},
		{name: "demo", usage: "seed the Chengdu demo dataset on first start", value: (*boolValue)(&c.Demo)},
		{name: "track-retention", usage: "how long the track store keeps positions, e.g. 4560h (190 days)", value: (*durationValue)(&c.TrackRetention)},
		{name: "basemap-osm", usage: "OpenStreetMap file (.osm, .osm.gz, .osm.pbf) the map tiles are cut from (default: the embedded Chengdu extract)", value: (*stringValue)(&c.Basemap.OSM)},
		{name: "basemap-tiles-url", usage: "external raster tile URL template with {z}/{x}/{y} shown instead of the self-hosted map (default: none)", value: (*stringValue)(&c.Basemap.TilesURL)},
		{name: "basemap-tiles-datum", usage: "datum of the external tiles: wgs84 or gcj02", value: (*stringValue)(&c.Basemap.TilesDatum)},
		{name: "basemap-tiles-attribution", usage: "attribution the external tile provider requires", value: (*stringValue)(&c.Basemap.TilesAttribution)},
	}
}

// Flags registers every setting on fs, bound to c. Callers parse fs after
// Load has applied the file and environment, so flags win.
func (c *Config) Flags(fs *flag.FlagSet) {
	for _, s := range c.settings() {
		fs.Var(s.value, s.name, s.usage+" (env "+s.env()+")")
	}
}

// FileError is a configuration file that cannot be read or parsed; nothing
// else can be checked until it is fixed.
type FileError struct{ Err error }

func (e *FileError) Error() string { return e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// Load returns the defaults overlaid with the YAML file at path (if not
// empty) and the JIAOTONG_* variables found by getenv. Flags come after.
// A broken file is a *FileError; bad environment values are reported
// together (the configuration is still usable for collecting more problems).
func Load(path string, getenv func(string) string) (Config, error) {
	c := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, &FileError{fmt.Errorf("config: read %s: %w", path, err)}
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) { // an empty file is fine
			return c, &FileError{fmt.Errorf("config: parse %s: %w", path, err)}
		}
	}
	var errs []error
	for _, s := range c.settings() {
		if v := getenv(s.env()); v != "" {
			if err := s.value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", s.env(), err))
			}
		}
	}
	return c, errors.Join(errs...)
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(setting, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", setting, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad("data-dir", "must not be empty")
	}
	checkAddr := func(name, addr string, required bool) {
		if addr == "" {
			if required {
				bad(name, "must be HOST:PORT")
			}
			return
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			bad(name, "%q is not HOST:PORT: %v", addr, err)
			return
		}
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			bad(name, "port %q is not a number between 0 and 65535", port)
		}
		if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
			bad(name, "host %q is not a host name or IP address", host)
		}
	}
	checkAddr("http", c.HTTP.Addr, true)
	checkAddr("jt808", c.JT808.Addr, c.HasRole("gateway"))
	checkAddr("nats-listen", c.NATS.Listen, false)
	if c.Postgres != "" {
		if u, err := url.Parse(c.Postgres); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql" && !strings.Contains(c.Postgres, "=")) {
			bad("postgres", "must be a postgres:// URL or a key=value DSN")
		}
	}
	if c.NATS.URL != "" {
		for _, one := range strings.Split(c.NATS.URL, ",") {
			u, err := url.Parse(strings.TrimSpace(one))
			if err != nil || (u.Scheme != "nats" && u.Scheme != "tls" && u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
				bad("nats", "%q is not a nats:// URL", one)
			}
		}
		if c.NATS.Listen != "" {
			bad("nats-listen", "only applies to the embedded server; remove it or --nats")
		}
	}
	if c.NATS.Prefix != "" && !validToken(c.NATS.Prefix) {
		bad("nats-prefix", "%q must be letters, digits, '-' or '_' only", c.NATS.Prefix)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log-format", "%q is not text or json", c.Log.Format)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		bad("log-level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	if c.HTTP.ShutdownGrace <= 0 {
		bad("http-shutdown-grace", "must be positive")
	}
	if c.Auth.SessionIdle <= 0 || c.Auth.SessionLifetime <= 0 {
		bad("session-idle", "session timeouts must be positive")
	} else if c.Auth.SessionIdle > c.Auth.SessionLifetime {
		bad("session-idle", "idle timeout %s exceeds the session lifetime %s", c.Auth.SessionIdle, c.Auth.SessionLifetime)
	}
	if c.Auth.LockoutAfter < 1 {
		bad("lockout-after", "must be at least 1")
	}
	if c.Auth.LockoutFor <= 0 {
		bad("lockout-for", "must be positive")
	}
	if c.TrackRetention < 24*time.Hour {
		bad("track-retention", "%s is less than a day", c.TrackRetention)
	}
	if c.Basemap.TilesDatum != "wgs84" && c.Basemap.TilesDatum != "gcj02" {
		bad("basemap-tiles-datum", "%q is not wgs84 or gcj02", c.Basemap.TilesDatum)
	}
	if c.Basemap.TilesURL != "" {
		u, err := url.Parse(c.Basemap.TilesURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("basemap-tiles-url", "%q is not an http(s) URL", c.Basemap.TilesURL)
		} else if !strings.Contains(c.Basemap.TilesURL, "{z}") || !strings.Contains(c.Basemap.TilesURL, "{x}") ||
			!strings.Contains(c.Basemap.TilesURL, "{y}") {
			bad("basemap-tiles-url", "must contain {z}, {x} and {y}")
		}
	}
	if c.Basemap.OSM != "" {
		if st, err := os.Stat(c.Basemap.OSM); err != nil || st.IsDir() {
			bad("basemap-osm", "%q is not a readable file", c.Basemap.OSM)
		}
	}
	if len(c.Roles) == 0 {
		bad("roles", "must name at least one role")
	}
	for _, r := range c.Roles {
		if !slices.Contains(KnownRoles, r) {
			bad("roles", "unknown role %q (known: %s)", r, strings.Join(KnownRoles, ", "))
		}
	}
	return errors.Join(errs...)
}

func validToken(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Redacted returns c as YAML with secrets replaced, for --print-config and logs.
func (c Config) Redacted() string {
	r := c
	if r.Postgres != "" {
		r.Postgres = redactURL(r.Postgres)
	}
	if r.NATS.URL != "" {
		r.NATS.URL = redactURL(r.NATS.URL)
	}
	if r.Auth.AdminPassword != "" {
		r.Auth.AdminPassword = "xxxxx"
	}
	b, _ := yaml.Marshal(r)
	return string(b)
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if i := strings.Index(s, "password="); i >= 0 {
			return s[:i] + "password=xxxxx"
		}
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

type stringValue string

func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }
func (v *stringValue) String() string     { return string(*v) }

type boolValue bool

func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	*v = boolValue(b)
	return nil
}
func (v *boolValue) String() string   { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) IsBoolFlag() bool { return true }

type intValue int

func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	*v = intValue(n)
	return nil
}
func (v *intValue) String() string { return strconv.Itoa(int(*v)) }

type durationValue time.Duration

func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 30s, 15m or 12h", s)
	}
	*v = durationValue(d)
	return nil
}
func (v *durationValue) String() string { return time.Duration(*v).String() }

type listValue []string

func (v *listValue) Set(s string) error {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	*v = out
	return nil
}
func (v *listValue) String() string { return strings.Join(*v, ",") }
