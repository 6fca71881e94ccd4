-- +goose Up
-- Full-text search over message text, and trigram search (any substring of 3 or more
-- characters) over the contact's name, email and phone: what the list's search box needs
-- at a million conversations (A3).
CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE contacts_fts USING fts5(name, email, phone, content='contacts', content_rowid='rowid', tokenize='trigram');

-- +goose StatementBegin
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;
-- +goose StatementEnd
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
-- +goose StatementBegin
CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, name, email, phone) VALUES (new.rowid, new.name, new.email, new.phone);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, name, email, phone) VALUES ('delete', old.rowid, old.name, old.email, old.phone);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF name, email, phone ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, name, email, phone) VALUES ('delete', old.rowid, old.name, old.email, old.phone);
    INSERT INTO contacts_fts (rowid, name, email, phone) VALUES (new.rowid, new.name, new.email, new.phone);
END;
-- +goose StatementEnd

INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild');
CREATE INDEX conversations_account_created ON conversations (account_id, created_at DESC);
CREATE INDEX conversations_subject ON conversations (account_id) WHERE subject <> '';
CREATE INDEX conversations_turns ON conversations (account_id, turns);

-- +goose Down
DROP INDEX conversations_turns;
DROP INDEX conversations_subject;
DROP INDEX conversations_account_created;
DROP TRIGGER contacts_fts_update;
DROP TRIGGER contacts_fts_delete;
DROP TRIGGER contacts_fts_insert;
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_insert;
DROP TABLE contacts_fts;
DROP TABLE messages_fts;
