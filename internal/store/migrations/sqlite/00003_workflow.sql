-- +goose Up
CREATE TABLE queues (
    id                   TEXT PRIMARY KEY,
    account_id           TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name                 TEXT NOT NULL,
    ring_timeout_seconds INTEGER NOT NULL DEFAULT 0,
    created_at           TIMESTAMP NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE queue_members (
    queue_id        TEXT NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (queue_id, user_id)
);
CREATE INDEX queue_members_user ON queue_members (user_id);

ALTER TABLE chatbots ADD COLUMN default_queue_id TEXT REFERENCES queues(id) ON DELETE SET NULL;
ALTER TABLE users ADD COLUMN last_assigned_at TIMESTAMP;
ALTER TABLE contacts ADD COLUMN last_seen_at TIMESTAMP;
CREATE INDEX conversations_waiting ON conversations (account_id, status, handoff_at);

CREATE TABLE canned_responses (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    shortcut        TEXT NOT NULL,
    title           TEXT NOT NULL,
    content         TEXT NOT NULL,
    category        TEXT NOT NULL DEFAULT '',
    created_by      TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    UNIQUE (account_id, shortcut)
);

CREATE TABLE notifications (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    conversation_id TEXT REFERENCES conversations(id) ON DELETE CASCADE,
    message_id      TEXT,
    actor_name      TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    read_at         TIMESTAMP
);
CREATE INDEX notifications_user ON notifications (user_id, created_at DESC);

CREATE TABLE attachments (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    message_id      TEXT,
    name            TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            INTEGER NOT NULL,
    blob_key        TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX attachments_conversation ON attachments (conversation_id);

-- +goose Down
DROP TABLE attachments;
DROP TABLE notifications;
DROP TABLE canned_responses;
DROP INDEX conversations_waiting;
ALTER TABLE contacts DROP COLUMN last_seen_at;
ALTER TABLE users DROP COLUMN last_assigned_at;
ALTER TABLE chatbots DROP COLUMN default_queue_id;
DROP TABLE queue_members;
DROP TABLE queues;
