-- +goose Up
CREATE TABLE knowledge_entries (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    chatbot_id      TEXT NOT NULL REFERENCES chatbots(id) ON DELETE CASCADE,
    question        TEXT NOT NULL,
    answer          TEXT NOT NULL,
    keywords        TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX knowledge_entries_chatbot ON knowledge_entries (chatbot_id, created_at);

ALTER TABLE accounts ADD COLUMN next_ticket_number INTEGER NOT NULL DEFAULT 1;

CREATE TABLE tickets (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    number          INTEGER NOT NULL,
    subject         TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    priority        TEXT NOT NULL DEFAULT 'medium',
    status          TEXT NOT NULL DEFAULT 'open',
    assignee_id     TEXT REFERENCES users(id) ON DELETE SET NULL,
    contact_id      TEXT REFERENCES contacts(id) ON DELETE SET NULL,
    source          TEXT NOT NULL DEFAULT 'agent',
    created_by      TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    UNIQUE (account_id, number)
);
CREATE INDEX tickets_list ON tickets (account_id, updated_at DESC, id DESC);

CREATE TABLE ticket_conversations (
    ticket_id       TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, conversation_id)
);
CREATE INDEX ticket_conversations_conversation ON ticket_conversations (conversation_id);

-- +goose Down
DROP TABLE ticket_conversations;
DROP TABLE tickets;
ALTER TABLE accounts DROP COLUMN next_ticket_number;
DROP TABLE knowledge_entries;
