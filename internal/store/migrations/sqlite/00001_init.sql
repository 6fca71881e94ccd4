-- +goose Up
CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    next_number     INTEGER NOT NULL DEFAULT 1,
    created_at      TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email           TEXT NOT NULL UNIQUE,
    password_hash   TEXT NOT NULL,
    first_name      TEXT NOT NULL DEFAULT '',
    last_name       TEXT NOT NULL DEFAULT '',
    role            TEXT NOT NULL,
    availability    TEXT NOT NULL DEFAULT 'offline',
    capacity        INTEGER NOT NULL DEFAULT 5,
    notify_desktop  BOOLEAN NOT NULL DEFAULT true,
    notify_sound    BOOLEAN NOT NULL DEFAULT true,
    created_at      TIMESTAMP NOT NULL,
    last_active_at  TIMESTAMP
);
CREATE INDEX users_account ON users (account_id);

CREATE TABLE sessions (
    token_hash      TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,
    scopes          TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    last_used_at    TIMESTAMP,
    revoked_at      TIMESTAMP
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

CREATE TABLE chatbots (
    id                    TEXT PRIMARY KEY,
    account_id            TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    slug                  TEXT NOT NULL UNIQUE,
    name                  TEXT NOT NULL,
    greeting              TEXT NOT NULL DEFAULT '',
    handover_webhook_url  TEXT NOT NULL DEFAULT '',
    message_webhook_url   TEXT NOT NULL DEFAULT '',
    identity_secret       TEXT NOT NULL DEFAULT '',
    identity_verification BOOLEAN NOT NULL DEFAULT false,
    settings              TEXT NOT NULL DEFAULT '{}',
    created_at            TIMESTAMP NOT NULL
);
CREATE INDEX chatbots_account ON chatbots (account_id);

CREATE TABLE contacts (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    chatbot_id      TEXT NOT NULL REFERENCES chatbots(id) ON DELETE CASCADE,
    session_id      TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    attributes      TEXT NOT NULL DEFAULT '{}',
    created_at      TIMESTAMP NOT NULL,
    UNIQUE (chatbot_id, session_id)
);
CREATE INDEX contacts_account ON contacts (account_id);

CREATE TABLE visitor_tokens (
    token_hash      TEXT PRIMARY KEY,
    contact_id      TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX visitor_tokens_contact ON visitor_tokens (contact_id);

CREATE TABLE conversations (
    id                TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    chatbot_id        TEXT NOT NULL REFERENCES chatbots(id) ON DELETE CASCADE,
    contact_id        TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    number            INTEGER NOT NULL,
    channel           TEXT NOT NULL,
    status            TEXT NOT NULL,
    pending           BOOLEAN NOT NULL DEFAULT false,
    priority          TEXT NOT NULL DEFAULT '',
    reason            TEXT NOT NULL DEFAULT '',
    brief             TEXT NOT NULL DEFAULT '',
    subject           TEXT NOT NULL DEFAULT '',
    assignee_id       TEXT REFERENCES users(id) ON DELETE SET NULL,
    queue_id          TEXT,
    previous_id       TEXT REFERENCES conversations(id) ON DELETE SET NULL,
    resolution_note   TEXT NOT NULL DEFAULT '',
    turns             INTEGER NOT NULL DEFAULT 0,
    last_seq          INTEGER NOT NULL DEFAULT 0,
    last_visitor_seq  INTEGER NOT NULL DEFAULT 0,
    last_message      TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    last_activity_at  TIMESTAMP NOT NULL,
    last_visitor_at   TIMESTAMP,
    handoff_at        TIMESTAMP,
    resolved_at       TIMESTAMP,
    closed_at         TIMESTAMP,
    UNIQUE (account_id, number)
);
CREATE INDEX conversations_list ON conversations (account_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_status ON conversations (account_id, status, last_activity_at DESC);
CREATE INDEX conversations_assignee ON conversations (account_id, assignee_id, last_activity_at DESC);
CREATE INDEX conversations_contact ON conversations (contact_id, created_at DESC);

CREATE TABLE tags (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE conversation_tags (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    tag_id          TEXT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, tag_id)
);
CREATE INDEX conversation_tags_tag ON conversation_tags (tag_id);

CREATE TABLE labels (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    color           TEXT NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE conversation_labels (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    label_id        TEXT NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, label_id)
);
CREATE INDEX conversation_labels_label ON conversation_labels (label_id);

CREATE TABLE conversation_collaborators (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, user_id)
);

CREATE TABLE messages (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    conversation_id  TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq              INTEGER NOT NULL,
    kind             TEXT NOT NULL,
    sender_id        TEXT,
    sender_name      TEXT NOT NULL DEFAULT '',
    content          TEXT NOT NULL,
    attachments      TEXT NOT NULL DEFAULT '[]',
    delivery_status  TEXT NOT NULL DEFAULT '',
    delivery_error   TEXT NOT NULL DEFAULT '',
    external_id      TEXT,
    created_at       TIMESTAMP NOT NULL,
    UNIQUE (conversation_id, seq)
);
CREATE INDEX messages_account ON messages (account_id);

CREATE TABLE events (
    conversation_id  TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq              INTEGER NOT NULL,
    account_id       TEXT NOT NULL,
    type             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    visitor_seq      INTEGER,
    visitor_type     TEXT,
    visitor_payload  TEXT,
    created_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE UNIQUE INDEX events_visitor ON events (conversation_id, visitor_seq) WHERE visitor_seq IS NOT NULL;

CREATE TABLE rate_marks (
    key             TEXT PRIMARY KEY,
    at              TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE rate_marks;
DROP TABLE events;
DROP TABLE messages;
DROP TABLE conversation_collaborators;
DROP TABLE conversation_labels;
DROP TABLE labels;
DROP TABLE conversation_tags;
DROP TABLE tags;
DROP TABLE conversations;
DROP TABLE visitor_tokens;
DROP TABLE contacts;
DROP TABLE chatbots;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE accounts;
