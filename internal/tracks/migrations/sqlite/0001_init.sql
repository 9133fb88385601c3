-- Sealed track chunks: one row per vehicle per (at most) hour of points,
-- compressed as described in docs/track-chunk-format.md.
CREATE TABLE track_chunk (
    id         INTEGER PRIMARY KEY,
    vehicle_id INTEGER NOT NULL,
    start_ms   INTEGER NOT NULL,
    end_ms     INTEGER NOT NULL,
    points     INTEGER NOT NULL,
    min_lat    INTEGER NOT NULL,
    min_lon    INTEGER NOT NULL,
    max_lat    INTEGER NOT NULL,
    max_lon    INTEGER NOT NULL,
    data       BLOB    NOT NULL
);
CREATE INDEX track_chunk_vehicle ON track_chunk (vehicle_id, start_ms);
CREATE INDEX track_chunk_start ON track_chunk (start_ms);

-- Per vehicle, the highest stream sequence whose points are all sealed:
-- replayed points at or below it are already in track_chunk.
CREATE TABLE track_vehicle (
    vehicle_id INTEGER PRIMARY KEY,
    sealed_seq INTEGER NOT NULL
);

-- Per consumer, the stream sequence to replay from after a restart.
CREATE TABLE track_checkpoint (
    consumer   TEXT PRIMARY KEY,
    replay_seq INTEGER NOT NULL
);
