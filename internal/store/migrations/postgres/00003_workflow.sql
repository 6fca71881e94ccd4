-- +goose Up
CREATE TABLE queues (
    id                   text PRIMARY KEY,
    account_id           text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name                 text NOT NULL,
    ring_timeout_seconds bigint NOT NULL DEFAULT 0,
    created_at           timestamptz NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE queue_members (
    queue_id        text NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
    user_id         text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (queue_id, user_id)
);
CREATE INDEX queue_members_user ON queue_members (user_id);

ALTER TABLE chatbots ADD COLUMN default_queue_id text REFERENCES queues(id) ON DELETE SET NULL;
ALTER TABLE users ADD COLUMN last_assigned_at timestamptz;
ALTER TABLE contacts ADD COLUMN last_seen_at timestamptz;
CREATE INDEX conversations_waiting ON conversations (account_id, status, handoff_at);

CREATE TABLE canned_responses (
    id              text PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    shortcut        text NOT NULL,
    title           text NOT NULL,
    content         text NOT NULL,
    category        text NOT NULL DEFAULT '',
    created_by      text REFERENCES users(id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (account_id, shortcut)
);

CREATE TABLE notifications (
    id              text PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id         text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind            text NOT NULL,
    conversation_id text REFERENCES conversations(id) ON DELETE CASCADE,
    message_id      text,
    actor_name      text NOT NULL DEFAULT '',
    body            text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    read_at         timestamptz
);
CREATE INDEX notifications_user ON notifications (user_id, created_at DESC);

CREATE TABLE attachments (
    id              text PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    conversation_id text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    message_id      text,
    name            text NOT NULL,
    content_type    text NOT NULL,
    size            bigint NOT NULL,
    blob_key        text NOT NULL,
    created_at      timestamptz NOT NULL
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
