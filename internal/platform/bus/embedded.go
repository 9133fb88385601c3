package bus

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
)

// EmbeddedOptions configures the in-process NATS server of a one-machine
// deployment.
type EmbeddedOptions struct {
	// StoreDir holds the JetStream file store (required), normally a folder
	// of the data directory. Reopening the same folder finds every stream,
	// message and consumer checkpoint again.
	StoreDir string

	// Listen, when set ("127.0.0.1:4222", port 0 for any free port), also
	// accepts NATS clients over TCP so other processes can join. Left empty,
	// the server opens no port at all and the platform talks to it in process.
	Listen string

	// ServerName names the server in logs and monitoring (default "jiaotong").
	ServerName string

	// Logger receives the server's own log lines (notices at debug level).
	// Defaults to slog.Default().
	Logger *slog.Logger

	// MaxStore and MaxMemory cap JetStream file and memory storage in bytes;
	// zero lets the server pick from the disk and memory available.
	MaxStore  int64
	MaxMemory int64

	// SyncAlways fsyncs every stored message before acknowledging it, so
	// acknowledged data also survives a power cut. Off by default: the store
	// writes each message to the operating system before the ack and fsyncs
	// every SyncInterval (default two minutes), which survives a process crash.
	SyncAlways   bool
	SyncInterval time.Duration

	// ReadyTimeout bounds the server's start-up (default 10s).
	ReadyTimeout time.Duration
}

// StartEmbedded starts an in-process NATS server with JetStream file storage
// under opts.StoreDir and returns a Bus connected to it without a network
// round trip. Close shuts the server down.
func StartEmbedded(ctx context.Context, opts EmbeddedOptions, extra ...Option) (*Bus, error) {
	if opts.StoreDir == "" {
		return nil, fmt.Errorf("bus: start embedded: %w", apperr.Field("store_dir", "must not be empty", opts.StoreDir))
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	name := opts.ServerName
	if name == "" {
		name = "jiaotong"
	}
	sopts := &server.Options{
		ServerName:         name,
		JetStream:          true,
		StoreDir:           opts.StoreDir,
		JetStreamMaxStore:  opts.MaxStore,
		JetStreamMaxMemory: opts.MaxMemory,
		SyncAlways:         opts.SyncAlways,
		SyncInterval:       opts.SyncInterval,
		NoSigs:             true,
		DontListen:         opts.Listen == "",
		// The embedded server is never reached from the network unless Listen
		// says so; no HTTP monitoring port either.
		HTTPPort: 0,
	}
	if opts.Listen != "" {
		host, portStr, err := net.SplitHostPort(opts.Listen)
		if err != nil {
			return nil, fmt.Errorf("bus: start embedded: %w", apperr.Field("listen", "must be HOST:PORT", opts.Listen))
		}
		port, err := strconv.Atoi(portStr)
		if err != nil || port < 0 || port > 65535 {
			return nil, fmt.Errorf("bus: start embedded: %w", apperr.Field("listen", "port must be 0..65535", opts.Listen))
		}
		if port == 0 {
			port = server.RANDOM_PORT
		}
		sopts.Host, sopts.Port = host, port
	}
	srv, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("bus: start embedded: %w", err)
	}
	srv.SetLoggerV2(&serverLog{l: logger.With("component", "nats-server")}, false, false, false)
	srv.Start()
	ready := opts.ReadyTimeout
	if ready <= 0 {
		ready = 10 * time.Second
	}
	if !srv.ReadyForConnections(ready) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("bus: start embedded: server not ready after %s: %w", ready, apperr.ErrUnavailable)
	}
	o := buildOptions(append([]Option{WithLogger(logger)}, extra...))
	b, err := newBus(ctx, o, srv, "")
	if err != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("bus: start embedded: %w", err)
	}
	b.logger.Info("bus: embedded JetStream started",
		slog.String("store_dir", opts.StoreDir), slog.String("listen", b.ClientURL()))
	return b, nil
}

// serverLog adapts the server's printf logger to slog. Notices (the start-up
// banner among them) go to debug so a normal start stays quiet.
type serverLog struct{ l *slog.Logger }

func (s *serverLog) Noticef(format string, v ...any) { s.log(slog.LevelDebug, format, v) }
func (s *serverLog) Warnf(format string, v ...any)   { s.log(slog.LevelWarn, format, v) }
func (s *serverLog) Fatalf(format string, v ...any)  { s.log(slog.LevelError, format, v) }
func (s *serverLog) Errorf(format string, v ...any)  { s.log(slog.LevelError, format, v) }
func (s *serverLog) Debugf(format string, v ...any)  { s.log(slog.LevelDebug, format, v) }
func (s *serverLog) Tracef(format string, v ...any)  { s.log(slog.LevelDebug, format, v) }

func (s *serverLog) log(level slog.Level, format string, v []any) {
	ctx := context.Background()
	if !s.l.Enabled(ctx, level) {
		return
	}
	s.l.Log(ctx, level, fmt.Sprintf(format, v...))
}
