-- +goose Up
-- Full-text search over message text (an expression GIN index on the language-neutral
-- 'simple' tsvector, so the table keeps the columns SQLite has), and trigram indexes for substring search over the
-- contact's name, email and phone (A3).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX messages_content_tsv ON messages USING gin (to_tsvector('simple', content));
CREATE INDEX contacts_name_trgm ON contacts USING gin (lower(name) gin_trgm_ops);
CREATE INDEX contacts_email_trgm ON contacts USING gin (lower(email) gin_trgm_ops);
CREATE INDEX contacts_phone_trgm ON contacts USING gin (phone gin_trgm_ops);
CREATE INDEX conversations_account_created ON conversations (account_id, created_at DESC);
CREATE INDEX conversations_subject ON conversations (account_id) WHERE subject <> '';
CREATE INDEX conversations_turns ON conversations (account_id, turns);

-- +goose Down
DROP INDEX conversations_turns;
DROP INDEX conversations_subject;
DROP INDEX conversations_account_created;
DROP INDEX contacts_phone_trgm;
DROP INDEX contacts_email_trgm;
DROP INDEX contacts_name_trgm;
DROP INDEX messages_content_tsv;
