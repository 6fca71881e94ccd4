-- +goose Up
CREATE TABLE knowledge_entries (
    id              text PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    chatbot_id      text NOT NULL REFERENCES chatbots(id) ON DELETE CASCADE,
    question        text NOT NULL,
    answer          text NOT NULL,
    keywords        text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX knowledge_entries_chatbot ON knowledge_entries (chatbot_id, created_at);

ALTER TABLE accounts ADD COLUMN next_ticket_number bigint NOT NULL DEFAULT 1;

CREATE TABLE tickets (
    id              text PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    number          bigint NOT NULL,
    subject         text NOT NULL,
    description     text NOT NULL DEFAULT '',
    priority        text NOT NULL DEFAULT 'medium',
    status          text NOT NULL DEFAULT 'open',
    assignee_id     text REFERENCES users(id) ON DELETE SET NULL,
    contact_id      text REFERENCES contacts(id) ON DELETE SET NULL,
    source          text NOT NULL DEFAULT 'agent',
    created_by      text REFERENCES users(id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (account_id, number)
);
CREATE INDEX tickets_list ON tickets (account_id, updated_at DESC, id DESC);

CREATE TABLE ticket_conversations (
    ticket_id       text NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    conversation_id text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, conversation_id)
);
CREATE INDEX ticket_conversations_conversation ON ticket_conversations (conversation_id);

-- +goose Down
DROP TABLE ticket_conversations;
DROP TABLE tickets;
ALTER TABLE accounts DROP COLUMN next_ticket_number;
DROP TABLE knowledge_entries;
