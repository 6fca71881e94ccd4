-- +goose Up
-- Where each chatbot's IMAP mailbox was read up to (internal/channel/email): mail is
-- imported by UID, whatever its \Seen flag, and only mail that arrived after the mailbox
-- was connected (the backlog is left to people).
CREATE TABLE email_mailboxes (
    chatbot_id   text PRIMARY KEY REFERENCES chatbots(id) ON DELETE CASCADE,
    uid_validity bigint NOT NULL,
    last_uid     bigint NOT NULL,
    updated_at   timestamptz NOT NULL
);

-- +goose Down
DROP TABLE email_mailboxes;
