-- Org units (组织机构): transport bureaus, one per GB/T 2260 region.
CREATE TABLE org_units (
	id         INTEGER PRIMARY KEY,
	region     TEXT    NOT NULL UNIQUE,
	name       TEXT    NOT NULL,
	created_at BIGINT  NOT NULL,
	updated_at BIGINT  NOT NULL
);

CREATE TABLE users (
	id                  INTEGER PRIMARY KEY,
	username            TEXT    NOT NULL UNIQUE,
	display_name        TEXT    NOT NULL,
	phone               TEXT    NOT NULL DEFAULT '',
	email               TEXT    NOT NULL DEFAULT '',
	roles               TEXT    NOT NULL, -- ",admin,monitor," so LIKE '%,role,%' matches one role
	scope_region        TEXT    NOT NULL DEFAULT '',
	scope_operator_id   BIGINT  NOT NULL DEFAULT 0,
	org_unit_id         BIGINT  REFERENCES org_units (id),
	status              TEXT    NOT NULL DEFAULT 'active',
	password_hash       TEXT    NOT NULL,
	password_changed_at BIGINT  NOT NULL,
	last_login_at       BIGINT  NOT NULL DEFAULT 0,
	created_at          BIGINT  NOT NULL,
	updated_at          BIGINT  NOT NULL
);
CREATE INDEX users_scope ON users (scope_region);

-- Failed-login counters per username ("user") and per client address ("ip").
-- Usernames that do not exist are counted too, so lock-out never tells
-- whether an account exists.
CREATE TABLE login_throttle (
	kind         TEXT   NOT NULL,
	subject      TEXT   NOT NULL,
	failures     INTEGER NOT NULL DEFAULT 0,
	window_start BIGINT NOT NULL DEFAULT 0,
	locked_until BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (kind, subject)
);

CREATE TABLE sessions (
	id           INTEGER PRIMARY KEY,
	token_hash   TEXT    NOT NULL UNIQUE,
	user_id      BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf_token   TEXT    NOT NULL,
	created_at   BIGINT  NOT NULL,
	last_seen_at BIGINT  NOT NULL,
	expires_at   BIGINT  NOT NULL,
	remote_addr  TEXT    NOT NULL DEFAULT '',
	user_agent   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY,
	user_id      BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT    NOT NULL,
	prefix       TEXT    NOT NULL,
	token_hash   TEXT    NOT NULL UNIQUE,
	roles        TEXT    NOT NULL DEFAULT '',
	created_by   BIGINT  NOT NULL DEFAULT 0,
	created_at   BIGINT  NOT NULL,
	expires_at   BIGINT  NOT NULL,
	last_used_at BIGINT  NOT NULL DEFAULT 0,
	revoked_at   BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
