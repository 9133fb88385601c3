-- Registry master data (运政基础数据). Dates are 'YYYY-MM-DD' text, timestamps
-- Unix milliseconds, lists JSON text; region holds a GB/T 2260 code.
CREATE TABLE registry_operators (
	id                   INTEGER PRIMARY KEY,
	version              BIGINT NOT NULL DEFAULT 1,
	created_at           BIGINT NOT NULL,
	updated_at           BIGINT NOT NULL,
	name                 TEXT   NOT NULL,
	credit_code          TEXT   NOT NULL UNIQUE,
	region               TEXT   NOT NULL,
	scopes               TEXT   NOT NULL DEFAULT '[]',
	licence_no           TEXT   NOT NULL DEFAULT '',
	licence_issued       TEXT,
	licence_valid_until  TEXT,
	legal_representative TEXT   NOT NULL DEFAULT '',
	contact_person       TEXT   NOT NULL DEFAULT '',
	contact_phone        TEXT   NOT NULL DEFAULT '',
	address              TEXT   NOT NULL DEFAULT '',
	status               TEXT   NOT NULL
);
CREATE INDEX registry_operators_region ON registry_operators (region);
CREATE INDEX registry_operators_name ON registry_operators (name);
CREATE INDEX registry_operators_licence ON registry_operators (licence_valid_until);

CREATE TABLE registry_vehicles (
	id                         INTEGER PRIMARY KEY,
	version                    BIGINT NOT NULL DEFAULT 1,
	created_at                 BIGINT NOT NULL,
	updated_at                 BIGINT NOT NULL,
	plate                      TEXT   NOT NULL,
	plate_color                INTEGER NOT NULL,
	vin                        TEXT   NOT NULL UNIQUE,
	vehicle_type               TEXT   NOT NULL DEFAULT '',
	category                   TEXT   NOT NULL,
	seats                      INTEGER NOT NULL DEFAULT 0,
	rated_load_kg              INTEGER NOT NULL DEFAULT 0,
	axles                      INTEGER NOT NULL DEFAULT 0,
	operator_id                BIGINT NOT NULL REFERENCES registry_operators (id),
	region                     TEXT   NOT NULL,
	transport_cert_no          TEXT   NOT NULL DEFAULT '',
	transport_cert_valid_until TEXT,
	terminal_phone             TEXT,
	terminal_id                TEXT   NOT NULL DEFAULT '',
	terminal_model             TEXT   NOT NULL DEFAULT '',
	terminal_maker             TEXT   NOT NULL DEFAULT '',
	status                     TEXT   NOT NULL,
	UNIQUE (plate, plate_color),
	UNIQUE (terminal_phone)
);
CREATE INDEX registry_vehicles_operator ON registry_vehicles (operator_id);
CREATE INDEX registry_vehicles_region ON registry_vehicles (region);
CREATE INDEX registry_vehicles_cert ON registry_vehicles (transport_cert_valid_until);

CREATE TABLE registry_practitioners (
	id               INTEGER PRIMARY KEY,
	version          BIGINT NOT NULL DEFAULT 1,
	created_at       BIGINT NOT NULL,
	updated_at       BIGINT NOT NULL,
	name             TEXT   NOT NULL,
	id_number        TEXT   NOT NULL UNIQUE,
	gender           TEXT   NOT NULL,
	birth_date       TEXT,
	phone            TEXT   NOT NULL DEFAULT '',
	cert_no          TEXT   NOT NULL DEFAULT '',
	category         TEXT   NOT NULL,
	cert_valid_until TEXT,
	operator_id      BIGINT REFERENCES registry_operators (id),
	region           TEXT   NOT NULL
);
CREATE INDEX registry_practitioners_operator ON registry_practitioners (operator_id);
CREATE INDEX registry_practitioners_region ON registry_practitioners (region);
CREATE INDEX registry_practitioners_cert ON registry_practitioners (cert_valid_until);

CREATE TABLE registry_stations (
	id             INTEGER PRIMARY KEY,
	version        BIGINT NOT NULL DEFAULT 1,
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL,
	name           TEXT   NOT NULL,
	level          TEXT   NOT NULL,
	address        TEXT   NOT NULL DEFAULT '',
	lon            REAL NOT NULL,
	lat            REAL NOT NULL,
	operator_id    BIGINT REFERENCES registry_operators (id),
	region         TEXT   NOT NULL,
	contact_person TEXT   NOT NULL DEFAULT '',
	contact_phone  TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX registry_stations_region ON registry_stations (region);
CREATE INDEX registry_stations_operator ON registry_stations (operator_id);

CREATE TABLE registry_routes (
	id                     INTEGER PRIMARY KEY,
	version                BIGINT NOT NULL DEFAULT 1,
	created_at             BIGINT NOT NULL,
	updated_at             BIGINT NOT NULL,
	code                   TEXT   NOT NULL UNIQUE,
	name                   TEXT   NOT NULL,
	operator_id            BIGINT NOT NULL REFERENCES registry_operators (id),
	region                 TEXT   NOT NULL,
	origin_station_id      BIGINT NOT NULL REFERENCES registry_stations (id),
	destination_station_id BIGINT NOT NULL REFERENCES registry_stations (id),
	stops                  TEXT   NOT NULL DEFAULT '[]',
	corridor               TEXT,
	corridor_width_m       INTEGER NOT NULL DEFAULT 500,
	distance_km            REAL NOT NULL DEFAULT 0,
	line_class             TEXT   NOT NULL,
	vehicle_ids            TEXT   NOT NULL DEFAULT '[]',
	schedule               TEXT   NOT NULL DEFAULT '{}',
	valid_from             TEXT,
	valid_until            TEXT
);
CREATE INDEX registry_routes_operator ON registry_routes (operator_id);
CREATE INDEX registry_routes_region ON registry_routes (region);

-- Join tables keep references from a route's lists enforceable: a station or
-- vehicle still used by a route cannot be deleted.
CREATE TABLE registry_route_stations (
	route_id   BIGINT NOT NULL REFERENCES registry_routes (id) ON DELETE CASCADE,
	station_id BIGINT NOT NULL REFERENCES registry_stations (id),
	PRIMARY KEY (route_id, station_id)
);
CREATE INDEX registry_route_stations_station ON registry_route_stations (station_id);
CREATE TABLE registry_route_vehicles (
	route_id   BIGINT NOT NULL REFERENCES registry_routes (id) ON DELETE CASCADE,
	vehicle_id BIGINT NOT NULL REFERENCES registry_vehicles (id),
	PRIMARY KEY (route_id, vehicle_id)
);
CREATE INDEX registry_route_vehicles_vehicle ON registry_route_vehicles (vehicle_id);

CREATE TABLE registry_vessels (
	id               INTEGER PRIMARY KEY,
	version          BIGINT NOT NULL DEFAULT 1,
	created_at       BIGINT NOT NULL,
	updated_at       BIGINT NOT NULL,
	name             TEXT   NOT NULL,
	mmsi             TEXT   NOT NULL UNIQUE,
	imo              TEXT   NOT NULL DEFAULT '',
	call_sign        TEXT   NOT NULL DEFAULT '',
	vessel_type      TEXT   NOT NULL DEFAULT '',
	gross_tonnage    REAL NOT NULL DEFAULT 0,
	operator_id      BIGINT REFERENCES registry_operators (id),
	port_of_registry TEXT   NOT NULL DEFAULT '',
	region           TEXT   NOT NULL
);
CREATE INDEX registry_vessels_region ON registry_vessels (region);
CREATE INDEX registry_vessels_operator ON registry_vessels (operator_id);
