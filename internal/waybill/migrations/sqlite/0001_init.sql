-- Dangerous-goods electronic waybills (危险货物道路运输电子运单). Timestamps
-- are Unix milliseconds; body holds the whole waybill as JSON, the columns
-- beside it what lists filter, sort and count on. No foreign keys to the
-- registry: modules meet through their services, not their tables. Rows
-- are never deleted (retention at least 12 months).
CREATE TABLE waybills (
	id               INTEGER PRIMARY KEY,
	version          BIGINT  NOT NULL DEFAULT 1,
	number           TEXT    NOT NULL UNIQUE,
	state            TEXT    NOT NULL,
	operator_id      BIGINT  NOT NULL,
	region           TEXT    NOT NULL,
	vehicle_id       BIGINT  NOT NULL,
	trailer_id       BIGINT  NOT NULL DEFAULT 0,
	plate            TEXT    NOT NULL DEFAULT '',
	trailer_plate    TEXT    NOT NULL DEFAULT '',
	operator_name    TEXT    NOT NULL DEFAULT '',
	departure_at     BIGINT  NOT NULL,
	arrival_at       BIGINT  NOT NULL,
	issued_at        BIGINT,
	state_changed_at BIGINT  NOT NULL,
	created_at       BIGINT  NOT NULL,
	updated_at       BIGINT  NOT NULL,
	token            TEXT    NOT NULL DEFAULT '',
	body             TEXT    NOT NULL
);
-- One active waybill per vehicle (一车一趟一派).
CREATE UNIQUE INDEX waybills_one_active_per_vehicle ON waybills (vehicle_id)
	WHERE state IN ('issued', 'loading', 'in_transit');
CREATE INDEX waybills_region ON waybills (region);
CREATE INDEX waybills_operator ON waybills (operator_id);
CREATE INDEX waybills_vehicle ON waybills (vehicle_id);
CREATE INDEX waybills_departure ON waybills (departure_at);
CREATE INDEX waybills_state ON waybills (state);

-- Goods lines, for the UN number filter and the statistics per class.
CREATE TABLE waybill_goods (
	waybill_id BIGINT  NOT NULL REFERENCES waybills (id),
	line       INTEGER NOT NULL,
	un_number  TEXT    NOT NULL,
	class      TEXT    NOT NULL,
	PRIMARY KEY (waybill_id, line)
);
CREATE INDEX waybill_goods_un ON waybill_goods (un_number);

-- SM2 key pairs signing the waybills' verification tokens. The oldest key
-- signs; every key stays to verify the tokens it signed.
CREATE TABLE waybill_signing_keys (
	kid         TEXT   PRIMARY KEY,
	created_at  BIGINT NOT NULL,
	private_key TEXT   NOT NULL,
	public_key  TEXT   NOT NULL
);
