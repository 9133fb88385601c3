-- Rule sets: thresholds per region subtree and vehicle category (JSON params).
CREATE TABLE monitor_rule_sets (
    id         INTEGER PRIMARY KEY,
    region     TEXT NOT NULL DEFAULT '',
    category   TEXT NOT NULL DEFAULT '',
    params     TEXT NOT NULL,
    version    BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '',
    UNIQUE (region, category)
);

CREATE TABLE monitor_geofences (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    region      TEXT NOT NULL,
    operator_id BIGINT NOT NULL DEFAULT 0,
    enabled     INTEGER NOT NULL DEFAULT 1,
    body        TEXT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX monitor_geofences_region ON monitor_geofences (region);

-- Alarms; (vehicle_id, rule, subject, start_at) is the natural key that
-- makes replay idempotent.
CREATE TABLE monitor_alarms (
    id           INTEGER PRIMARY KEY,
    vehicle_id   BIGINT NOT NULL,
    plate        TEXT NOT NULL DEFAULT '',
    operator_id  BIGINT NOT NULL DEFAULT 0,
    region       TEXT NOT NULL DEFAULT '',
    category     TEXT NOT NULL DEFAULT '',
    rule         TEXT NOT NULL,
    subject      TEXT NOT NULL DEFAULT '',
    severity     TEXT NOT NULL,
    message      TEXT NOT NULL DEFAULT '',
    start_at     BIGINT NOT NULL,
    last_at      BIGINT NOT NULL,
    end_at       BIGINT,
    ongoing      INTEGER NOT NULL DEFAULT 1,
    lat          DOUBLE PRECISION NOT NULL DEFAULT 0,
    lon          DOUBLE PRECISION NOT NULL DEFAULT 0,
    limit_value  DOUBLE PRECISION NOT NULL DEFAULT 0,
    peak         DOUBLE PRECISION NOT NULL DEFAULT 0,
    unit         TEXT NOT NULL DEFAULT '',
    details      TEXT NOT NULL DEFAULT '',
    evidence     TEXT NOT NULL DEFAULT '[]',
    state        TEXT NOT NULL DEFAULT 'raised',
    ack_at       BIGINT,
    ack_by       TEXT NOT NULL DEFAULT '',
    handled_at   BIGINT,
    handled_by   TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL DEFAULT '',
    notes        TEXT NOT NULL DEFAULT '',
    text_sent    TEXT NOT NULL DEFAULT '',
    closed_at    BIGINT,
    closed_by    TEXT NOT NULL DEFAULT '',
    review_notes TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (vehicle_id, rule, subject, start_at)
);
CREATE INDEX monitor_alarms_start ON monitor_alarms (start_at);
CREATE INDEX monitor_alarms_region ON monitor_alarms (region, start_at);
CREATE INDEX monitor_alarms_operator ON monitor_alarms (operator_id, start_at);
CREATE INDEX monitor_alarms_state ON monitor_alarms (state, start_at);

-- Outbox: one row per event and destination ('bus' or 'webhook:<id>'),
-- written in the transaction of the change it describes. Ids are never
-- reused (AUTOINCREMENT): they are the bus message ids that deduplicate.
CREATE TABLE monitor_outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    target     TEXT NOT NULL,
    event_type TEXT NOT NULL,
    subject    TEXT NOT NULL,
    payload    TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    BIGINT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    failed     INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX monitor_outbox_due ON monitor_outbox (failed, next_at);

CREATE TABLE monitor_webhooks (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    url          TEXT NOT NULL,
    secret       TEXT NOT NULL,
    region       TEXT NOT NULL DEFAULT '',
    operator_id  BIGINT NOT NULL DEFAULT 0,
    min_severity TEXT NOT NULL DEFAULT 'info',
    enabled      INTEGER NOT NULL DEFAULT 1,
    created_at   BIGINT NOT NULL
);

-- Live state snapshot: one row per vehicle, and the stream checkpoint the
-- snapshot corresponds to.
CREATE TABLE monitor_vehicle_states (
    vehicle_id BIGINT PRIMARY KEY,
    state      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE monitor_checkpoints (
    name     TEXT PRIMARY KEY,
    seq      BIGINT NOT NULL,
    taken_at BIGINT NOT NULL
);
