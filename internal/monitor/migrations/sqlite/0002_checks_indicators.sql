-- Platform checks (平台查岗): one row per question sent, and one check per
-- addressed enterprise, which the enterprise answers.
CREATE TABLE monitor_check_requests (
    id          INTEGER PRIMARY KEY,
    question    TEXT NOT NULL,
    region      TEXT NOT NULL DEFAULT '',
    operator_id BIGINT NOT NULL DEFAULT 0,
    limit_s     INTEGER NOT NULL,
    sent_at     BIGINT NOT NULL,
    sent_by     TEXT NOT NULL DEFAULT ''
);

CREATE TABLE monitor_checks (
    id            INTEGER PRIMARY KEY,
    request_id    BIGINT NOT NULL REFERENCES monitor_check_requests (id),
    operator_id   BIGINT NOT NULL,
    operator_name TEXT NOT NULL DEFAULT '',
    region        TEXT NOT NULL,
    question      TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    sent_at       BIGINT NOT NULL,
    sent_by       TEXT NOT NULL DEFAULT '',
    due_at        BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    answer        TEXT NOT NULL DEFAULT '',
    answered_at   BIGINT,
    answered_by   TEXT NOT NULL DEFAULT '',
    missed_at     BIGINT,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX monitor_checks_operator ON monitor_checks (operator_id, sent_at);
CREATE INDEX monitor_checks_region ON monitor_checks (region, sent_at);
CREATE INDEX monitor_checks_sent ON monitor_checks (sent_at);
CREATE INDEX monitor_checks_open ON monitor_checks (status, expires_at);

-- Per-vehicle daily counters of the assessment indicators, flushed by the
-- position processing as additive deltas.
CREATE TABLE monitor_vehicle_days (
    day             TEXT NOT NULL,
    vehicle_id      BIGINT NOT NULL,
    operator_id     BIGINT NOT NULL DEFAULT 0,
    region          TEXT NOT NULL DEFAULT '',
    reports         BIGINT NOT NULL DEFAULT 0,
    qualified       BIGINT NOT NULL DEFAULT 0,
    drift_points    BIGINT NOT NULL DEFAULT 0,
    mileage_m       DOUBLE PRECISION NOT NULL DEFAULT 0,
    incomplete_m    DOUBLE PRECISION NOT NULL DEFAULT 0,
    overspeed_count BIGINT NOT NULL DEFAULT 0,
    fatigue_s       BIGINT NOT NULL DEFAULT 0,
    first_at        BIGINT NOT NULL DEFAULT 0,
    last_at         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, vehicle_id)
);

-- First day each vehicle sent a qualified report (入网).
CREATE TABLE monitor_vehicle_network (
    vehicle_id BIGINT PRIMARY KEY,
    first_day  TEXT NOT NULL
);
CREATE INDEX monitor_vehicle_network_day ON monitor_vehicle_network (first_day);

-- Daily roll-up: raw numerators and denominators per unit; rates are
-- computed when read so that date ranges add up.
CREATE TABLE monitor_indicators (
    day              TEXT NOT NULL,
    level            TEXT NOT NULL,
    unit             TEXT NOT NULL,
    region           TEXT NOT NULL DEFAULT '',
    operator_id      BIGINT NOT NULL DEFAULT 0,
    registered       BIGINT NOT NULL DEFAULT 0,
    in_network       BIGINT NOT NULL DEFAULT 0,
    online           BIGINT NOT NULL DEFAULT 0,
    reports          BIGINT NOT NULL DEFAULT 0,
    qualified        BIGINT NOT NULL DEFAULT 0,
    mileage_m        DOUBLE PRECISION NOT NULL DEFAULT 0,
    complete_m       DOUBLE PRECISION NOT NULL DEFAULT 0,
    drifting         BIGINT NOT NULL DEFAULT 0,
    overspeed_count  BIGINT NOT NULL DEFAULT 0,
    fatigue_s        BIGINT NOT NULL DEFAULT 0,
    checks_due       BIGINT NOT NULL DEFAULT 0,
    checks_on_time   BIGINT NOT NULL DEFAULT 0,
    checks_late      BIGINT NOT NULL DEFAULT 0,
    checks_missed    BIGINT NOT NULL DEFAULT 0,
    response_ms_sum  BIGINT NOT NULL DEFAULT 0,
    computed_at      BIGINT NOT NULL,
    PRIMARY KEY (day, level, unit)
);
CREATE INDEX monitor_indicators_region ON monitor_indicators (level, region, day);

-- Webhook subscriptions choose their event types ("alarm.*", "check.sent",
-- ...); empty keeps the original behaviour (every alarm event).
ALTER TABLE monitor_webhooks ADD COLUMN event_types TEXT NOT NULL DEFAULT '';
ALTER TABLE monitor_webhooks ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
