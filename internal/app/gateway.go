package app

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/platform/config"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

// gatewayKeyFile holds the secret the JT/T 808 gateway derives terminal
// authentication codes from. Gateways sharing one fleet must share it.
const gatewayKeyFile = "gateway.key"

func newGateway(cfg config.Config, b *bus.Bus, reg *registry.Service, logger *slog.Logger, metrics prometheus.Registerer) (*gateway.Gateway, error) {
	secret, err := loadOrCreateKey(filepath.Join(cfg.DataDir, gatewayKeyFile))
	if err != nil {
		return nil, fmt.Errorf("app: gateway key: %w", err)
	}
	gcfg := gateway.DefaultConfig()
	gcfg.AuthSecret = secret
	gcfg.Stream, gcfg.SubjectPrefix = cfg.NATS.Stream(positionsStream), cfg.NATS.Subject(positionsPrefix)
	g, err := gateway.New(gcfg, b, reg, logger.With("module", "gateway"), metrics)
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	return g, nil
}

// loadOrCreateKey reads a 32-byte secret, creating it on first start.
func loadOrCreateKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) < 16 {
			return nil, fmt.Errorf("%s is shorter than 16 bytes", path)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return loadOrCreateKey(path) // another process won the race
		}
		return nil, err
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}
