CREATE TABLE audit_log (
	id          INTEGER PRIMARY KEY,
	at          BIGINT  NOT NULL,
	user_id     BIGINT  NOT NULL DEFAULT 0,
	username    TEXT    NOT NULL DEFAULT '',
	via         TEXT    NOT NULL DEFAULT '',
	remote_addr TEXT    NOT NULL DEFAULT '',
	action      TEXT    NOT NULL,
	entity      TEXT    NOT NULL,
	entity_id   TEXT    NOT NULL DEFAULT '',
	region      TEXT    NOT NULL DEFAULT '',
	operator_id BIGINT  NOT NULL DEFAULT 0,
	summary     TEXT    NOT NULL DEFAULT '',
	before_json TEXT,
	after_json  TEXT
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (user_id, at);
-- Append-only: the log cannot be edited or pruned through SQL by the application.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
