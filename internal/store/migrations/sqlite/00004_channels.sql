-- +goose Up
-- External channels (SPEC §4): one configuration per chatbot and kind. settings holds the
-- non-secret fields as JSON; secrets the secret ones, sealed (internal/secret).
CREATE TABLE channels (
    chatbot_id      TEXT NOT NULL REFERENCES chatbots(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    settings        TEXT NOT NULL DEFAULT '{}',
    secrets         TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'connected',
    error           TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (chatbot_id, kind)
);
CREATE INDEX channels_kind ON channels (kind);

-- Inbound idempotency (C6): each provider update, message or mail is stored once per
-- chatbot, whatever the provider retries.
CREATE TABLE channel_receipts (
    chatbot_id      TEXT NOT NULL REFERENCES chatbots(id) ON DELETE CASCADE,
    external_id     TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (chatbot_id, external_id)
);

-- Delivery receipts and email threading find messages by the provider's id.
CREATE INDEX messages_external ON messages (external_id) WHERE external_id IS NOT NULL;

-- Approved WhatsApp templates, offered outside the 24-hour window.
CREATE TABLE channel_templates (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    chatbot_id      TEXT NOT NULL REFERENCES chatbots(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    language        TEXT NOT NULL,
    parameters      TEXT NOT NULL DEFAULT '[]',
    body            TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    UNIQUE (chatbot_id, name, language)
);

-- +goose Down
DROP TABLE channel_templates;
DROP INDEX messages_external;
DROP TABLE channel_receipts;
DROP TABLE channels;
