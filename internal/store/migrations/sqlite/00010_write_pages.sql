-- +goose Up
-- Fewer b-trees for each message to write (docs/benchmarks.md, "Pages per message"). A
-- visitor's message alone in its commit wrote about 17 pages; these two were one each:
--   - messages_account goes: no query reads messages by account alone (the foreign key to
--     accounts needs no index to insert, only to delete an account, which Baton never does);
--   - messages_fts keeps no per-message token counts (columnsize=0): they serve ranking,
--     and search orders by activity, never by rank. The table is rebuilt from messages.
DROP INDEX messages_account;

DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TABLE messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', content_rowid='rowid', columnsize=0, tokenize='unicode61 remove_diacritics 2');
-- +goose StatementBegin
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;
-- +goose StatementEnd
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

-- +goose Down
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
DROP TABLE messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
-- +goose StatementBegin
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;
-- +goose StatementEnd
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

CREATE INDEX messages_account ON messages (account_id);
