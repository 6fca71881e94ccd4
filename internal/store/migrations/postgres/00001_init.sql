-- +goose Up
CREATE TABLE accounts (
    id              text PRIMARY KEY,
    name            text NOT NULL,
    next_number     bigint NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL
);

CREATE TABLE users (
    id              text PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email           text NOT NULL UNIQUE,
    password_hash   text NOT NULL,
    first_name      text NOT NULL DEFAULT '',
    last_name       text NOT NULL DEFAULT '',
    role            text NOT NULL,
    availability    text NOT NULL DEFAULT 'offline',
    capacity        bigint NOT NULL DEFAULT 5,
    notify_desktop  boolean NOT NULL DEFAULT true,
    notify_sound    boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL,
    last_active_at  timestamptz
);
CREATE INDEX users_account ON users (account_id);

CREATE TABLE sessions (
    token_hash      text PRIMARY KEY,
    user_id         text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id              text PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id         text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name            text NOT NULL,
    token_hash      text NOT NULL UNIQUE,
    scopes          text NOT NULL,
    created_at      timestamptz NOT NULL,
    last_used_at    timestamptz,
    revoked_at      timestamptz
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

CREATE TABLE chatbots (
    id                    text PRIMARY KEY,
    account_id            text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    slug                  text NOT NULL UNIQUE,
    name                  text NOT NULL,
    greeting              text NOT NULL DEFAULT '',
    handover_webhook_url  text NOT NULL DEFAULT '',
    message_webhook_url   text NOT NULL DEFAULT '',
    identity_secret       text NOT NULL DEFAULT '',
    identity_verification boolean NOT NULL DEFAULT false,
    settings              text NOT NULL DEFAULT '{}',
    created_at            timestamptz NOT NULL
);
CREATE INDEX chatbots_account ON chatbots (account_id);

CREATE TABLE contacts (
    id              text PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    chatbot_id      text NOT NULL REFERENCES chatbots(id) ON DELETE CASCADE,
    session_id      text NOT NULL,
    name            text NOT NULL DEFAULT '',
    email           text NOT NULL DEFAULT '',
    phone           text NOT NULL DEFAULT '',
    attributes      text NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL,
    UNIQUE (chatbot_id, session_id)
);
CREATE INDEX contacts_account ON contacts (account_id);

CREATE TABLE visitor_tokens (
    token_hash      text PRIMARY KEY,
    contact_id      text NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL
);
CREATE INDEX visitor_tokens_contact ON visitor_tokens (contact_id);

CREATE TABLE conversations (
    id                text PRIMARY KEY,
    account_id        text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    chatbot_id        text NOT NULL REFERENCES chatbots(id) ON DELETE CASCADE,
    contact_id        text NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    number            bigint NOT NULL,
    channel           text NOT NULL,
    status            text NOT NULL,
    pending           boolean NOT NULL DEFAULT false,
    priority          text NOT NULL DEFAULT '',
    reason            text NOT NULL DEFAULT '',
    brief             text NOT NULL DEFAULT '',
    subject           text NOT NULL DEFAULT '',
    assignee_id       text REFERENCES users(id) ON DELETE SET NULL,
    queue_id          text,
    previous_id       text REFERENCES conversations(id) ON DELETE SET NULL,
    resolution_note   text NOT NULL DEFAULT '',
    turns             bigint NOT NULL DEFAULT 0,
    last_seq          bigint NOT NULL DEFAULT 0,
    last_visitor_seq  bigint NOT NULL DEFAULT 0,
    last_message      text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    last_activity_at  timestamptz NOT NULL,
    last_visitor_at   timestamptz,
    handoff_at        timestamptz,
    resolved_at       timestamptz,
    closed_at         timestamptz,
    UNIQUE (account_id, number)
);
CREATE INDEX conversations_list ON conversations (account_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_status ON conversations (account_id, status, last_activity_at DESC);
CREATE INDEX conversations_assignee ON conversations (account_id, assignee_id, last_activity_at DESC);
CREATE INDEX conversations_contact ON conversations (contact_id, created_at DESC);

CREATE TABLE tags (
    id              text PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name            text NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE conversation_tags (
    conversation_id text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    tag_id          text NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, tag_id)
);
CREATE INDEX conversation_tags_tag ON conversation_tags (tag_id);

CREATE TABLE labels (
    id              text PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name            text NOT NULL,
    color           text NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE conversation_labels (
    conversation_id text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    label_id        text NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, label_id)
);
CREATE INDEX conversation_labels_label ON conversation_labels (label_id);

CREATE TABLE conversation_collaborators (
    conversation_id text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id         text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, user_id)
);

CREATE TABLE messages (
    id               text PRIMARY KEY,
    account_id       text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    conversation_id  text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq              bigint NOT NULL,
    kind             text NOT NULL,
    sender_id        text,
    sender_name      text NOT NULL DEFAULT '',
    content          text NOT NULL,
    attachments      text NOT NULL DEFAULT '[]',
    delivery_status  text NOT NULL DEFAULT '',
    delivery_error   text NOT NULL DEFAULT '',
    external_id      text,
    created_at       timestamptz NOT NULL,
    UNIQUE (conversation_id, seq)
);
CREATE INDEX messages_account ON messages (account_id);

CREATE TABLE events (
    conversation_id  text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq              bigint NOT NULL,
    account_id       text NOT NULL,
    type             text NOT NULL,
    payload          text NOT NULL,
    visitor_seq      bigint,
    visitor_type     text,
    visitor_payload  text,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE UNIQUE INDEX events_visitor ON events (conversation_id, visitor_seq) WHERE visitor_seq IS NOT NULL;

CREATE TABLE rate_marks (
    key             text PRIMARY KEY,
    at              timestamptz NOT NULL
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
