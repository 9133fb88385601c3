-- State of the e-waybill cross-checks per vehicle (open episodes, last
-- device time, the day's running totals), written with every batch so a
-- batch delivered again after a crash is recognised as already processed.
CREATE TABLE waybill_watch_states (
    vehicle_id BIGINT PRIMARY KEY,
    state      TEXT NOT NULL,
    last_dev   BIGINT NOT NULL
);

-- Movement of each checked (hazardous goods) vehicle per civil day, in
-- milliseconds of device time: moving at all, moving loaded, and moving
-- loaded under an active e-waybill. The coverage statistic is computed
-- from it (docs/waybill-crosschecks.md).
CREATE TABLE waybill_movement_days (
    day         TEXT NOT NULL,
    vehicle_id  BIGINT NOT NULL,
    region      TEXT NOT NULL DEFAULT '',
    operator_id BIGINT NOT NULL DEFAULT 0,
    moved_ms    BIGINT NOT NULL DEFAULT 0,
    loaded_ms   BIGINT NOT NULL DEFAULT 0,
    covered_ms  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, vehicle_id)
);
CREATE INDEX waybill_movement_days_region ON waybill_movement_days (region, day);

-- Arrivals at the unloading place: a proposal to confirm the delivery,
-- one per waybill.
CREATE TABLE waybill_delivery_proposals (
    waybill_id  BIGINT PRIMARY KEY,
    number      TEXT NOT NULL,
    vehicle_id  BIGINT NOT NULL,
    region      TEXT NOT NULL DEFAULT '',
    operator_id BIGINT NOT NULL DEFAULT 0,
    arrived_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX waybill_delivery_proposals_region ON waybill_delivery_proposals (region, arrived_at);
