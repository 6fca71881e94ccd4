-- +goose Up
-- Fewer b-trees for each message to write (docs/decisions.md, "SQLite: a group indexes its
-- messages and inserts its jobs once"). A visitor's message alone in its commit wrote
-- about 17 pages; these two were one each:
--   - messages_account goes: no query reads messages by account alone (the foreign key to
--     accounts needs no index to insert, only to delete an account, which Baton never does);
--   - messages_fts keeps no per-message token counts (columnsize=0): they serve ranking,
--     and search orders by activity, never by rank. The table is rebuilt from messages
--     (messages_fts_delete and _update name it and need no change).
DROP INDEX messages_account;

DROP TABLE messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', content_rowid='rowid', columnsize=0, tokenize='unicode61 remove_diacritics 2');
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

-- +goose Down
DROP TABLE messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

CREATE INDEX messages_account ON messages (account_id);
