package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/obs"
	"github.com/jiaotong-platform/jiaotong/internal/sim"
)

const simUsage = `usage: jiaotong sim --server HOST:PORT --api URL (--token jt_... | --user U --password P) [flags]

Simulated JT/T 808 terminals for the registry's vehicles drive the Chengdu
road network and report to the gateway at --server. With --load, terminals
send synthetic positions as fast as asked and a report of acknowledgement
latency and server cost is printed at the end (--json for one JSON object).

Examples:
  jiaotong sim --server 127.0.0.1:6808 --api http://127.0.0.1:8080 --user admin --password ... \
      --speedup 60 --scenario overspeed=5,fatigue=2,blindarea=3 --duration 10m
  jiaotong sim --load --server 127.0.0.1:6808 --api ... --token jt_... --create-vehicles 10000 \
      --vehicles 10000 --pipeline 8 --sources 8 --duration 30s --server-pid $(pidof jiaotong) --json

Scenarios: %s
Flags:
`

// simCommand runs `jiaotong sim`.
func simCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("jiaotong sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, simUsage, strings.Join(sim.ScenarioNames(), ", "))
		fs.PrintDefaults()
	}
	server := fs.String("server", "127.0.0.1:6808", "gateway JT/T 808 address HOST:PORT")
	apiURL := fs.String("api", "", "platform URL to read (and create) vehicles, e.g. http://127.0.0.1:8080")
	user := fs.String("user", "", "username for --api")
	password := fs.String("password", os.Getenv("JIAOTONG_SIM_PASSWORD"), "password for --api (env JIAOTONG_SIM_PASSWORD)")
	token := fs.String("token", os.Getenv("JIAOTONG_SIM_TOKEN"), "API token jt_... for --api (env JIAOTONG_SIM_TOKEN)")
	create := fs.Int("create-vehicles", 0, "create this many vehicles through the API first (repeatable: existing ones are skipped)")
	limit := fs.Int("vehicles", 0, "use at most this many vehicles (0: all)")
	seed := fs.Int64("seed", 1, "seed of trips, scenarios and reports")
	speedup := fs.Float64("speedup", 1, "simulated seconds per real second")
	start := fs.String("start", "", "simulated start time, RFC 3339 or HH:MM today (default: now)")
	interval := fs.Duration("interval", 30*time.Second, "report interval while driving (simulated); in --load mode the real interval per terminal")
	parked := fs.Duration("parked-interval", 5*time.Minute, "report interval while parked (simulated)")
	scenarios := fs.String("scenario", "", "scenario shares in percent, e.g. overspeed=5,fatigue=2")
	versions := fs.String("versions", "2011=10,2013=60,2019=30", "protocol edition shares in percent")
	sources := fs.Int("sources", 0, "spread connections over local addresses 127.0.0.1..127.0.0.N (0: any)")
	duration := fs.Duration("duration", 0, "stop after this real time (0: until interrupted; --load default 30s)")
	load := fs.Bool("load", false, "load mode: synthetic positions, report at the end")
	pipeline := fs.Int("pipeline", 0, "--load: unacknowledged positions in flight per terminal (0: rate mode at --interval)")
	serverPID := fs.Int("server-pid", 0, "--load: gateway process id, to report its CPU and peak memory from /proc")
	asJSON := fs.Bool("json", false, "print the final report as one JSON object")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	logger := obs.NewLogger(stderr, "text", *logLevel)
	fail := func(err error) int {
		fmt.Fprintf(stderr, "jiaotong sim: %v\n", err)
		return 1
	}
	mix, err := sim.ParseMix(*scenarios)
	if err != nil {
		return fail(err)
	}
	vmix, err := sim.ParseVersionMix(*versions)
	if err != nil {
		return fail(err)
	}
	startAt := time.Now()
	if *start != "" {
		if startAt, err = parseStart(*start); err != nil {
			return fail(err)
		}
	}
	if *apiURL == "" {
		return fail(errors.New("--api is required: the terminals are those of the registry"))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var client *sim.Client
	switch {
	case *token != "":
		client = sim.NewTokenClient(*apiURL, *token)
	case *user != "":
		if client, err = sim.Login(ctx, *apiURL, *user, *password); err != nil {
			return fail(err)
		}
	default:
		return fail(errors.New("--api needs --token or --user and --password"))
	}
	if *create > 0 {
		n, err := client.CreateVehicles(ctx, *create, 1)
		if err != nil {
			return fail(err)
		}
		logger.Info("sim: vehicles created", "created", n, "asked", *create)
	}
	vehicles, err := client.Vehicles(ctx)
	if err != nil {
		return fail(err)
	}
	if *limit > 0 && len(vehicles) > *limit {
		vehicles = vehicles[:*limit]
	}
	if len(vehicles) == 0 {
		return fail(errors.New("no vehicle with a terminal phone is visible through the API (try --create-vehicles N)"))
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")

	if *load {
		if *duration <= 0 {
			*duration = 30 * time.Second
		}
		iv := *interval
		if !isSet(fs, "interval") {
			iv = time.Second
		}
		rep, err := sim.RunLoad(ctx, sim.LoadConfig{Server: *server, Vehicles: vehicles, Interval: iv, Pipeline: *pipeline,
			Duration: *duration, SourceIPs: sim.SourceIPs(*sources), Versions: vmix, Seed: *seed, ServerPID: *serverPID,
			Logger: logger})
		if err != nil {
			return fail(err)
		}
		if *asJSON {
			_ = enc.Encode(rep)
		} else {
			fmt.Fprint(stdout, rep)
		}
		return 0
	}

	w, err := sim.Chengdu()
	if err != nil {
		return fail(err)
	}
	fleet, err := sim.NewFleet(w, vehicles, sim.Config{Server: *server, Seed: *seed, Start: startAt, Speedup: *speedup,
		Interval: *interval, ParkedInterval: *parked, Scenarios: mix, Versions: vmix, SourceIPs: sim.SourceIPs(*sources),
		Logger: logger})
	if err != nil {
		return fail(err)
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	logger.Info("sim: fleet driving", "vehicles", len(vehicles), "server", *server, "speedup", *speedup, "seed", *seed)
	began := time.Now()
	if err := fleet.Run(ctx); err != nil {
		return fail(err)
	}
	st := fleet.Stats()
	summary := map[string]any{
		"vehicles": len(vehicles), "duration_s": time.Since(began).Seconds(), "simulated_s": time.Since(began).Seconds() * *speedup,
		"connections": st.Connects.Load(), "positions_sent": st.Sent.Load(), "positions_acked": st.Acked.Load(),
		"positions_rejected": st.Rejected.Load(), "positions_dropped": st.Dropped.Load(), "errors": st.Errors.Load(),
		"ack_latency_p50_ms": float64(st.Latency.Quantile(0.5)) / 1e6, "ack_latency_p99_ms": float64(st.Latency.Quantile(0.99)) / 1e6,
		"ack_latency_max_ms": float64(st.Latency.Max()) / 1e6, "texts_answered": st.Texts.Load(),
	}
	if *asJSON {
		_ = enc.Encode(summary)
	} else {
		fmt.Fprintf(stdout, "%d vehicles, %d positions sent, %d acknowledged, %d rejected, %d dropped while disconnected, %d errors\n",
			len(vehicles), st.Sent.Load(), st.Acked.Load(), st.Rejected.Load(), st.Dropped.Load(), st.Errors.Load())
	}
	return 0
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// parseStart reads --start: RFC 3339, or HH:MM today in China Standard Time.
func parseStart(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	cst := time.FixedZone("CST", 8*3600)
	hm, err := time.Parse("15:04", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--start %q: want RFC 3339 or HH:MM", s)
	}
	now := time.Now().In(cst)
	return time.Date(now.Year(), now.Month(), now.Day(), hm.Hour(), hm.Minute(), 0, 0, cst), nil
}
