package tracks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/tracks/chunk"
)

// rowsPerInsert is how many chunks one INSERT statement carries (10
// parameters each, well under both engines' parameter limits).
const rowsPerInsert = 200

// loadCheckpoint reads the replay sequence of a consumer and the sealed
// sequence of every vehicle.
func loadCheckpoint(ctx context.Context, db *sqldb.DB, consumer string) (uint64, map[int64]uint64, error) {
	var next int64
	err := db.Read().QueryRowContext(ctx, `SELECT replay_seq FROM track_checkpoint WHERE consumer = $1`, consumer).Scan(&next)
	if err != nil {
		if err = sqldb.MapError(err); !errors.Is(err, apperr.ErrNotFound) {
			return 0, nil, err
		}
		next = 0
	}
	rows, err := db.Read().QueryContext(ctx, `SELECT vehicle_id, sealed_seq FROM track_vehicle`)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	sealed := map[int64]uint64{}
	for rows.Next() {
		var v, seq int64
		if err := rows.Scan(&v, &seq); err != nil {
			return 0, nil, err
		}
		sealed[v] = uint64(seq)
	}
	return uint64(next), sealed, rows.Err()
}

// writeChunks stores the chunks of the jobs, the vehicles' sealed
// sequences and the consumer's replay sequence in one transaction.
func writeChunks(ctx context.Context, db *sqldb.DB, consumer string, jobs []sealJob, replay uint64) error {
	var all []*sealedChunk
	for i := range jobs {
		for k := range jobs[i].chunks {
			all = append(all, &jobs[i].chunks[k])
		}
	}
	return db.InTx(ctx, func(tx *sqldb.Tx) error {
		for len(all) > 0 {
			n := min(len(all), rowsPerInsert)
			var b strings.Builder
			b.WriteString(`INSERT INTO track_chunk (vehicle_id, start_ms, end_ms, points, min_lat, min_lon, max_lat, max_lon, data) VALUES `)
			args := make([]any, 0, n*9)
			for i, c := range all[:n] {
				if i > 0 {
					b.WriteByte(',')
				}
				placeholders(&b, len(args), 9)
				args = append(args, c.vehicle, c.start, c.end, c.points, c.minLat, c.minLon, c.maxLat, c.maxLon, c.data)
			}
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("insert chunks: %w", sqldb.MapError(err))
			}
			all = all[n:]
		}
		for rest := jobs; len(rest) > 0; {
			n := min(len(rest), rowsPerInsert)
			var b strings.Builder
			b.WriteString(`INSERT INTO track_vehicle (vehicle_id, sealed_seq) VALUES `)
			args := make([]any, 0, n*2)
			for i, j := range rest[:n] {
				if i > 0 {
					b.WriteByte(',')
				}
				placeholders(&b, len(args), 2)
				args = append(args, j.h.vehicle, int64(j.h.maxSeq))
			}
			b.WriteString(` ON CONFLICT (vehicle_id) DO UPDATE SET sealed_seq = excluded.sealed_seq`)
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("record sealed sequences: %w", sqldb.MapError(err))
			}
			rest = rest[n:]
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO track_checkpoint (consumer, replay_seq) VALUES ($1, $2)
			ON CONFLICT (consumer) DO UPDATE SET replay_seq = excluded.replay_seq`, consumer, int64(replay))
		if err != nil {
			return fmt.Errorf("record checkpoint: %w", sqldb.MapError(err))
		}
		return nil
	})
}

// placeholders writes "($k+1, ..., $k+n)".
func placeholders(b *strings.Builder, k, n int) {
	b.WriteByte('(')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(k + i + 1))
	}
	b.WriteByte(')')
}

// storedChunk is a chunk row as read back.
type storedChunk struct {
	vehicle int64
	data    []byte
}

// vehicleChunks reads the chunks of a vehicle that may hold points in
// [from, to] (a chunk spans at most chunkSpan, which bounds the scan).
func vehicleChunks(ctx context.Context, db *sqldb.DB, vehicle, from, to int64) ([][]byte, error) {
	rows, err := db.Read().QueryContext(ctx, `SELECT data FROM track_chunk
		WHERE vehicle_id = $1 AND start_ms >= $2 AND start_ms <= $3 AND end_ms >= $4 ORDER BY start_ms`,
		vehicle, from-chunkSpan.Milliseconds(), to, from)
	if err != nil {
		return nil, fmt.Errorf("read chunks: %w", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		out = append(out, data)
	}
	return out, rows.Err()
}

// latestChunks reads the newest chunks of a vehicle, newest first, until
// they hold at least n points.
func latestChunks(ctx context.Context, db *sqldb.DB, vehicle int64, n int) ([][]byte, error) {
	rows, err := db.Read().QueryContext(ctx, `SELECT points, data FROM track_chunk
		WHERE vehicle_id = $1 ORDER BY start_ms DESC`, vehicle)
	if err != nil {
		return nil, fmt.Errorf("read chunks: %w", err)
	}
	defer rows.Close()
	var out [][]byte
	got := 0
	for got < n && rows.Next() {
		var points int
		var data []byte
		if err := rows.Scan(&points, &data); err != nil {
			return nil, err
		}
		out = append(out, data)
		got += points
	}
	return out, rows.Err()
}

// areaChunks reads every chunk whose time range meets [from, to] and whose
// bounding box meets the box.
func areaChunks(ctx context.Context, db *sqldb.DB, from, to int64, box Box) ([]storedChunk, error) {
	rows, err := db.Read().QueryContext(ctx, `SELECT vehicle_id, data FROM track_chunk
		WHERE start_ms >= $1 AND start_ms <= $2 AND end_ms >= $3
		  AND max_lat >= $4 AND min_lat <= $5 AND max_lon >= $6 AND min_lon <= $7`,
		from-chunkSpan.Milliseconds(), to, from, box.MinLat, box.MaxLat, box.MinLon, box.MaxLon)
	if err != nil {
		return nil, fmt.Errorf("read chunks: %w", err)
	}
	defer rows.Close()
	var out []storedChunk
	for rows.Next() {
		var c storedChunk
		if err := rows.Scan(&c.vehicle, &c.data); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// deleteExpired deletes up to limit chunks that ended before cutoff and
// returns how many it deleted.
func deleteExpired(ctx context.Context, db *sqldb.DB, cutoff int64, limit int) (int64, error) {
	res, err := db.Write().ExecContext(ctx, `DELETE FROM track_chunk WHERE id IN (
		SELECT id FROM track_chunk WHERE start_ms < $1 AND end_ms < $2 LIMIT $3)`, cutoff, cutoff, limit)
	if err != nil {
		return 0, fmt.Errorf("delete expired chunks: %w", err)
	}
	return res.RowsAffected()
}

// decodeAll decodes chunks and keeps the points within [from, to].
func decodeAll(chunks [][]byte, from, to int64, dst []chunk.Point) ([]chunk.Point, error) {
	var d chunk.Decoder
	for _, data := range chunks {
		base := len(dst)
		var err error
		dst, err = d.Decode(data, dst)
		if err != nil {
			return dst[:base], fmt.Errorf("decode chunk: %w", err)
		}
		k := base
		for _, p := range dst[base:] {
			if p.Time >= from && p.Time <= to {
				dst[k] = p
				k++
			}
		}
		dst = dst[:k]
	}
	return dst, nil
}
