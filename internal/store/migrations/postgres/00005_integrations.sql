-- +goose Up
-- Integrations (SPEC §9, §10): the external handover, outgoing webhooks and post-chat
-- analysis.

-- Account-level integration settings: the message webhook used when a chatbot has none
-- (X3), and the secret that signs the handover and message webhooks (sealed).
CREATE TABLE integration_settings (
    account_id          text PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    message_webhook_url text NOT NULL DEFAULT '',
    signing_secret      text NOT NULL DEFAULT '',
    updated_at          timestamptz NOT NULL
);

-- Listen mode (X2): a conversation an external desk took over. Active while ended_at is
-- NULL; it ends when the conversation leaves status human.
CREATE TABLE external_handovers (
    conversation_id text PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    account_id      text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    token_id        text NOT NULL DEFAULT '',
    started_at      timestamptz NOT NULL,
    ended_at        timestamptz
);

-- Outgoing webhook subscriptions (X5). events is a comma-separated list; secret is sealed.
CREATE TABLE webhooks (
    id              text PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    url             text NOT NULL,
    description     text NOT NULL DEFAULT '',
    events          text NOT NULL,
    secret          text NOT NULL,
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX webhooks_account ON webhooks (account_id);

-- One delivery per event and target: kind is event (a subscription), handover or
-- message (the chatbot's or account's handover webhooks, webhook_id NULL).
CREATE TABLE webhook_deliveries (
    id               text PRIMARY KEY,
    account_id       text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    webhook_id       text REFERENCES webhooks(id) ON DELETE CASCADE,
    kind             text NOT NULL,
    event            text NOT NULL,
    url              text NOT NULL,
    payload          text NOT NULL,
    status           text NOT NULL,
    attempts         bigint NOT NULL DEFAULT 0,
    max_attempts     bigint NOT NULL,
    last_status_code bigint NOT NULL DEFAULT 0,
    last_error       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    completed_at     timestamptz
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id DESC);
CREATE INDEX webhook_deliveries_account ON webhook_deliveries (account_id, kind, id DESC);

-- The delivery log: one row per attempt.
CREATE TABLE webhook_attempts (
    delivery_id     text NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt         bigint NOT NULL,
    status_code     bigint NOT NULL DEFAULT 0,
    duration_ms     bigint NOT NULL DEFAULT 0,
    error           text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

-- The data fields post-chat analysis extracts, per chatbot (P1).
CREATE TABLE analysis_fields (
    id              text PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    chatbot_id      text NOT NULL REFERENCES chatbots(id) ON DELETE CASCADE,
    position        bigint NOT NULL,
    name            text NOT NULL,
    type            text NOT NULL,
    description     text NOT NULL DEFAULT '',
    pattern         text NOT NULL DEFAULT '',
    UNIQUE (chatbot_id, name)
);

-- The latest analysis of each conversation.
CREATE TABLE conversation_analyses (
    conversation_id text PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    account_id      text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    status          text NOT NULL,
    reason          text NOT NULL,
    engine          text NOT NULL DEFAULT '',
    model           text NOT NULL DEFAULT '',
    summary         text NOT NULL DEFAULT '',
    sentiment       text NOT NULL DEFAULT '',
    sentiment_score double precision NOT NULL DEFAULT 0,
    fields          text NOT NULL DEFAULT '[]',
    entities        text NOT NULL DEFAULT '{}',
    error           text NOT NULL DEFAULT '',
    attempts        bigint NOT NULL DEFAULT 0,
    requested_at    timestamptz NOT NULL,
    completed_at    timestamptz
);

-- +goose Down
DROP TABLE conversation_analyses;
DROP TABLE analysis_fields;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE external_handovers;
DROP TABLE integration_settings;
