-- +goose Up
-- Integrations (SPEC §9, §10): the external handover, outgoing webhooks and post-chat
-- analysis.

-- Account-level integration settings: the message webhook used when a chatbot has none
-- (X3), and the secret that signs the handover and message webhooks (sealed).
CREATE TABLE integration_settings (
    account_id          TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    message_webhook_url TEXT NOT NULL DEFAULT '',
    signing_secret      TEXT NOT NULL DEFAULT '',
    updated_at          TIMESTAMP NOT NULL
);

-- Listen mode (X2): a conversation an external desk took over. Active while ended_at is
-- NULL; it ends when the conversation leaves status human.
CREATE TABLE external_handovers (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    token_id        TEXT NOT NULL DEFAULT '',
    started_at      TIMESTAMP NOT NULL,
    ended_at        TIMESTAMP
);

-- Outgoing webhook subscriptions (X5). events is a comma-separated list; secret is sealed.
CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    events          TEXT NOT NULL,
    secret          TEXT NOT NULL,
    active          BOOLEAN NOT NULL DEFAULT true,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_account ON webhooks (account_id);

-- One delivery per event and target: kind is event (a subscription), handover or
-- message (the chatbot's or account's handover webhooks, webhook_id NULL).
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    webhook_id       TEXT REFERENCES webhooks(id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    event            TEXT NOT NULL,
    url              TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    last_status_code INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    completed_at     TIMESTAMP
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id DESC);
CREATE INDEX webhook_deliveries_account ON webhook_deliveries (account_id, kind, id DESC);

-- The delivery log: one row per attempt.
CREATE TABLE webhook_attempts (
    delivery_id     TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt         INTEGER NOT NULL,
    status_code     INTEGER NOT NULL DEFAULT 0,
    duration_ms     INTEGER NOT NULL DEFAULT 0,
    error           TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

-- The data fields post-chat analysis extracts, per chatbot (P1).
CREATE TABLE analysis_fields (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    chatbot_id      TEXT NOT NULL REFERENCES chatbots(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    type            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    pattern         TEXT NOT NULL DEFAULT '',
    UNIQUE (chatbot_id, name)
);

-- The latest analysis of each conversation.
CREATE TABLE conversation_analyses (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    status          TEXT NOT NULL,
    reason          TEXT NOT NULL,
    engine          TEXT NOT NULL DEFAULT '',
    model           TEXT NOT NULL DEFAULT '',
    summary         TEXT NOT NULL DEFAULT '',
    sentiment       TEXT NOT NULL DEFAULT '',
    sentiment_score REAL NOT NULL DEFAULT 0,
    fields          TEXT NOT NULL DEFAULT '[]',
    entities        TEXT NOT NULL DEFAULT '{}',
    error           TEXT NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    requested_at    TIMESTAMP NOT NULL,
    completed_at    TIMESTAMP
);

-- +goose Down
DROP TABLE conversation_analyses;
DROP TABLE analysis_fields;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE external_handovers;
DROP TABLE integration_settings;
