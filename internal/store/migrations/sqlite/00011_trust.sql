-- +goose Up
-- Trust (issue 18): a user can be deactivated; a session has an idle timeout besides its
-- absolute lifetime (last_seen_at, NULL until first seen: created_at counts then); the
-- audit log keeps who did what, per account.
ALTER TABLE users ADD COLUMN deactivated_at TEXT;
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;

CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    actor_id    TEXT,
    actor_email TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    ip          TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_account ON audit_log (account_id, at DESC, id DESC);

-- +goose Down
DROP TABLE audit_log;
ALTER TABLE sessions DROP COLUMN last_seen_at;
ALTER TABLE users DROP COLUMN deactivated_at;
