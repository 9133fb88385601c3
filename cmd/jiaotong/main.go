// Command jiaotong runs the Jiaotong (交通) open digital transport platform.
//
//	jiaotong serve [--demo] [--data-dir DIR] [--http HOST:PORT] [--jt808 HOST:PORT] [--postgres DSN] [--nats URL]
//	jiaotong migrate [config flags]
//	jiaotong import KIND FILE [--report FILE] [config flags]
//	jiaotong import boundaries FILE.geojson [--datum wgs84|gcj02] [config flags]
//	jiaotong jt808 decode [HEX ...]
//	jiaotong version
//
// Every setting can also come from a YAML file (--config) or a JIAOTONG_*
// environment variable; flags win over the environment, which wins over the
// file. `serve --check-config` validates the configuration and exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/jiaotong-platform/jiaotong/internal/app"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/config"
	"github.com/jiaotong-platform/jiaotong/internal/platform/obs"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `Jiaotong (交通) — open digital transport platform

Usage:
  jiaotong serve   [flags]            run the platform (API, console, gateway, monitoring) in one process
  jiaotong migrate [flags]            bring the database schema up to date and exit
  jiaotong import KIND FILE [flags]   import a CSV or XLSX file into the registry
                                      (KIND: operators, vehicles, practitioners, stations, vessels)
  jiaotong import boundaries FILE.geojson [--datum gcj02]
                                      import administrative boundaries for the map (GCJ-02 converted to WGS-84)
  jiaotong jt808 decode [HEX ...]     explain JT/T 808 frames as JSON (报文解释器); stdin when no HEX
  jiaotong sim [flags]                simulated terminals on Chengdu roads, or --load to measure a gateway
  jiaotong version                    print the version

Run 'jiaotong serve -h' for the settings; each has a JIAOTONG_* environment variable.
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(rest, stdout, stderr)
	case "migrate":
		return migrate(rest, stdout, stderr)
	case "import":
		return importFile(rest, stdout, stderr)
	case "jt808":
		return jt808Command(rest, stdin, stdout, stderr)
	case "sim":
		return simCommand(rest, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "jiaotong", versionString())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "jiaotong: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// loadConfig parses the common settings of every command that touches the
// platform's storage. extra registers the command's own flags.
func loadConfig(name string, args []string, stderr io.Writer, extra func(fs *flag.FlagSet)) (config.Config, *flag.FlagSet, error) {
	configPath := os.Getenv("JIAOTONG_CONFIG")
	for i, a := range args { // the file must be read before the flags that override it
		if a == "--config" || a == "-config" {
			if i+1 < len(args) {
				configPath = args[i+1]
			}
		} else if v, ok := strings.CutPrefix(a, "--config="); ok {
			configPath = v
		}
	}
	cfg, envErr := config.Load(configPath, os.Getenv)
	var fileErr *config.FileError
	if errors.As(envErr, &fileErr) {
		return cfg, nil, envErr
	}
	fs := flag.NewFlagSet("jiaotong "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("config", configPath, "YAML configuration file (env JIAOTONG_CONFIG)")
	cfg.Flags(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return cfg, nil, err
	}
	return cfg, fs, errors.Join(envErr, cfg.Validate())
}

// configProblem reports a configuration error of command name and returns
// the exit code; -h is not a problem.
func configProblem(name string, err error, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "jiaotong %s: configuration is invalid:\n%s\n", name, indent(err.Error()))
	return 2
}

func serve(args []string, stdout, stderr io.Writer) int {
	var checkOnly bool
	cfg, _, err := loadConfig("serve", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&checkOnly, "check-config", false, "validate the configuration, print it with secrets hidden, and exit")
	})
	if err != nil {
		return configProblem("serve", err, stderr)
	}
	if checkOnly {
		fmt.Fprintf(stdout, "configuration OK\n\n%s", cfg.Redacted())
		return 0
	}
	logger := obs.NewLogger(stderr, cfg.Log.Format, cfg.Log.Level)
	slog.SetDefault(logger)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, cfg, app.Options{Logger: logger, Stdout: stdout, Version: versionString()}); err != nil {
		logger.Error("jiaotong stopped with an error", slog.Any("err", err))
		return 1
	}
	return 0
}

func migrate(args []string, stdout, stderr io.Writer) int {
	cfg, _, err := loadConfig("migrate", args, stderr, nil)
	if err != nil {
		return configProblem("migrate", err, stderr)
	}
	logger := obs.NewLogger(stderr, cfg.Log.Format, cfg.Log.Level)
	versions, err := app.Migrate(context.Background(), cfg, logger)
	if err != nil {
		fmt.Fprintf(stderr, "jiaotong migrate: %v\n", err)
		return 1
	}
	for _, m := range versions {
		fmt.Fprintf(stdout, "%-12s version %d\n", m.Module, m.Version)
	}
	return 0
}

func importFile(args []string, stdout, stderr io.Writer) int {
	var positional []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		positional, args = append(positional, args[0]), args[1:]
	}
	var reportPath, datum string
	cfg, fs, err := loadConfig("import", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&reportPath, "report", "", "write the rows that failed, with their reasons, to this .xlsx or .csv file")
		fs.StringVar(&datum, "datum", "wgs84", "datum of a boundaries file: wgs84 or gcj02 (converted to WGS-84)")
	})
	if err != nil {
		return configProblem("import", err, stderr)
	}
	positional = append(positional, fs.Args()...)
	if len(positional) != 2 {
		fmt.Fprintf(stderr, "usage: jiaotong import KIND FILE [--report FILE]\n  KIND: %s\n       jiaotong import boundaries FILE.geojson [--datum wgs84|gcj02]\n", strings.Join(app.ImportKinds, ", "))
		return 2
	}
	logger := obs.NewLogger(stderr, cfg.Log.Format, cfg.Log.Level)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if positional[0] == "boundaries" {
		return importBoundaries(ctx, cfg, logger, positional[1], datum, stdout, stderr)
	}
	sum, err := app.Import(ctx, cfg, logger, positional[0], positional[1], reportPath)
	if err != nil {
		fmt.Fprintf(stderr, "jiaotong import: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%d rows read, %d imported, %d failed\n", sum.Total, sum.Imported, sum.Failed)
	for _, line := range sum.Problems {
		fmt.Fprintln(stdout, "  "+line)
	}
	if sum.Failed > 0 {
		if reportPath != "" {
			fmt.Fprintf(stdout, "rows that failed are in %s\n", reportPath)
		}
		return 1
	}
	return 0
}

// importBoundaries runs `jiaotong import boundaries`; problems in the file
// are listed one per line, naming the feature.
func importBoundaries(ctx context.Context, cfg config.Config, logger *slog.Logger, path, datum string, stdout, stderr io.Writer) int {
	res, err := app.ImportBoundaries(ctx, cfg, logger, path, datum)
	if fields := apperr.Fields(err); len(fields) > 0 {
		fmt.Fprintf(stderr, "jiaotong import boundaries: %s is not a usable boundaries file; nothing was imported:\n", path)
		for _, f := range fields {
			fmt.Fprintf(stderr, "  %s: %s\n", f.Field, f.Reason)
		}
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "jiaotong import boundaries: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%d boundaries imported (datum %s, stored as WGS-84)", res.Imported, datum)
	if res.Skipped > 0 {
		fmt.Fprintf(stdout, ", %d features skipped (not Polygon or MultiPolygon)", res.Skipped)
	}
	fmt.Fprintln(stdout)
	return 0
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if dirty {
				rev += "-dirty"
			}
			return "dev-" + rev
		}
	}
	return "dev"
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
