package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "jiaotong.yaml")
	yamlText := "data_dir: /from/file\nhttp:\n  addr: 127.0.0.1:1111\nlog:\n  level: warn\nauth:\n  session_idle: 10m\n"
	if err := os.WriteFile(file, []byte(yamlText), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"JIAOTONG_HTTP":     "127.0.0.1:2222",
		"JIAOTONG_POSTGRES": "postgres://u:pw@db/test",
		"JIAOTONG_DEMO":     "true",
	}
	c, err := Load(file, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.Flags(fs)
	if err := fs.Parse([]string{"--postgres", "postgres://u@flag/test", "--jt808", "127.0.0.1:7808"}); err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"data dir from file", c.DataDir, "/from/file"},
		{"http: env beats file", c.HTTP.Addr, "127.0.0.1:2222"},
		{"postgres: flag beats env", c.Postgres, "postgres://u@flag/test"},
		{"jt808 from flag", c.JT808.Addr, "127.0.0.1:7808"},
		{"log level from file", c.Log.Level, "warn"},
		{"log format default", c.Log.Format, "text"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if !c.Demo || c.Auth.SessionIdle != 10*time.Minute {
		t.Errorf("demo=%v idle=%v, want true 10m", c.Demo, c.Auth.SessionIdle)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Default()
	c.HTTP.Addr = "nonsense"
	c.JT808.Addr = "127.0.0.1:99999"
	c.NATS.URL = "http://wrong"
	c.Log.Level = "loud"
	c.Roles = []string{"all", "kitchen"}
	c.Auth.LockoutAfter = 0
	err := c.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"http:", "jt808:", "nats:", "log-level:", "roles:", "lockout-after:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestBadEnvironmentValue(t *testing.T) {
	_, err := Load("", func(k string) string {
		if k == "JIAOTONG_LOCKOUT_FOR" {
			return "soon"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "JIAOTONG_LOCKOUT_FOR") {
		t.Fatalf("bad env value: got %v, want an error naming JIAOTONG_LOCKOUT_FOR", err)
	}
}

func TestUnknownFileKeyRejected(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	_ = os.WriteFile(file, []byte("htp:\n  addr: x\n"), 0o600)
	if _, err := Load(file, func(string) string { return "" }); err == nil {
		t.Fatal("a misspelt key was accepted")
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	c := Default()
	c.Postgres = "postgres://jt:hunter2@db:5432/jt"
	c.NATS.URL = "nats://u:natspw@n1:4222"
	c.Auth.AdminPassword = "Sup3r-secret!"
	out := c.Redacted()
	for _, secret := range []string{"hunter2", "natspw", "Sup3r-secret!"} {
		if strings.Contains(out, secret) {
			t.Errorf("redacted config shows %q", secret)
		}
	}
}

func TestBasemapSettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "jiaotong.yaml")
	yamlText := "basemap:\n  tiles_url: https://t0.example.cn/tiles/{z}/{x}/{y}.png\n  tiles_datum: gcj02\n  tiles_attribution: Example\n"
	if err := os.WriteFile(file, []byte(yamlText), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Basemap.TilesDatum != "gcj02" || c.Basemap.TilesAttribution != "Example" {
		t.Fatalf("basemap settings %+v", c.Basemap)
	}
	if Default().Basemap.TilesURL != "" || Default().Basemap.TilesDatum != "wgs84" {
		t.Fatalf("default basemap %+v must keep every map request on the platform", Default().Basemap)
	}

	bad := Default()
	bad.Basemap = Basemap{TilesURL: "ftp://tiles/{z}", TilesDatum: "bd09", OSM: filepath.Join(t.TempDir(), "missing.osm.pbf")}
	err = bad.Validate()
	for _, want := range []string{"basemap-tiles-url", "basemap-tiles-datum", "basemap-osm"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want a problem with %s", err, want)
		}
	}
	bad.Basemap = Basemap{TilesURL: "https://tiles.example.cn/tile.png", TilesDatum: "wgs84"}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "{z}") {
		t.Errorf("a tile URL without {z}/{x}/{y} was accepted: %v", err)
	}
}
