-- +goose Up
-- Trust (issue 18): a user can be deactivated; a session has an idle timeout besides its
-- absolute lifetime (last_seen_at, NULL until first seen: created_at counts then); the
-- audit log keeps who did what, per account.
ALTER TABLE users ADD COLUMN deactivated_at timestamptz;
ALTER TABLE sessions ADD COLUMN last_seen_at timestamptz;

CREATE TABLE audit_log (
    id          text PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    at          timestamptz NOT NULL,
    actor_id    text,
    actor_email text NOT NULL DEFAULT '',
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    ip          text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_account ON audit_log (account_id, at DESC, id DESC);

-- +goose Down
DROP TABLE audit_log;
ALTER TABLE sessions DROP COLUMN last_seen_at;
ALTER TABLE users DROP COLUMN deactivated_at;
