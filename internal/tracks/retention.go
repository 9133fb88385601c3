package tracks

import (
	"context"
	"log/slog"
	"time"
)

// retentionLoop deletes expired chunks every RetentionEvery.
func (s *Service) retentionLoop(ctx context.Context) error {
	t := time.NewTicker(s.cfg.RetentionEvery)
	defer t.Stop()
	for {
		if _, err := s.Expire(ctx); err != nil && ctx.Err() == nil {
			s.logger.Warn("tracks: retention", slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Expire deletes the chunks older than the retention period, in small
// batches with a pause between them so sealing is never held up for long
// (on SQLite every delete statement holds the single writer). It returns
// the number of chunks deleted.
func (s *Service) Expire(ctx context.Context) (int64, error) {
	cutoff := s.now().Add(-s.cfg.Retention).UnixMilli()
	var total int64
	for {
		n, err := deleteExpired(ctx, s.db, cutoff, s.cfg.RetentionBatch)
		total += n
		if err != nil || n < int64(s.cfg.RetentionBatch) {
			if total > 0 {
				s.logger.Info("tracks: expired chunks deleted", slog.Int64("chunks", total))
			}
			return total, err
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
