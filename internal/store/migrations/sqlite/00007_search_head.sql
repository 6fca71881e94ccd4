-- +goose Up
-- Search at a million conversations (A3; docs/decisions.md "Search: a head document per
-- conversation, counted plans, and a checked walk").
--
-- conversations_head holds one row per conversation (rowid = the conversation's rowid):
-- its contact's name and email as words, every suffix of the phone's digits (so that any
-- run of digits is a word prefix: "5550123" finds +1 555 0123 456), and the email
-- subject. It replaces the trigram index over contacts, whose doclists are too long at a
-- million contacts. Message text stays in messages_fts (00006).
DROP TRIGGER contacts_fts_update;
DROP TRIGGER contacts_fts_delete;
DROP TRIGGER contacts_fts_insert;
DROP TABLE contacts_fts;

CREATE VIRTUAL TABLE conversations_head USING fts5(name, email, phone, subject, content='', contentless_delete=1, prefix='1 2 3 4 5 6', tokenize='unicode61 remove_diacritics 2');

-- +goose StatementBegin
CREATE TRIGGER conversations_head_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO conversations_head (rowid, name, email, phone, subject)
    SELECT new.rowid, ct.name, ct.email, (SELECT substr(d, 1) || ' ' || substr(d, 2) || ' ' || substr(d, 3) || ' ' || substr(d, 4) || ' ' || substr(d, 5) || ' ' || substr(d, 6) || ' ' || substr(d, 7) || ' ' || substr(d, 8) || ' ' || substr(d, 9) || ' ' || substr(d, 10) || ' ' || substr(d, 11) || ' ' || substr(d, 12) || ' ' || substr(d, 13) || ' ' || substr(d, 14) || ' ' || substr(d, 15) || ' ' || substr(d, 16) || ' ' || substr(d, 17) || ' ' || substr(d, 18) || ' ' || substr(d, 19) || ' ' || substr(d, 20) FROM (SELECT replace(replace(replace(replace(replace(replace(replace(replace(ct.phone, '+', ''), ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), ',', ''), '/', '') AS d)), new.subject FROM contacts ct WHERE ct.id = new.contact_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER conversations_head_update AFTER UPDATE OF subject, contact_id ON conversations
WHEN old.subject IS NOT new.subject OR old.contact_id IS NOT new.contact_id BEGIN
    DELETE FROM conversations_head WHERE rowid = old.rowid;
    INSERT INTO conversations_head (rowid, name, email, phone, subject)
    SELECT new.rowid, ct.name, ct.email, (SELECT substr(d, 1) || ' ' || substr(d, 2) || ' ' || substr(d, 3) || ' ' || substr(d, 4) || ' ' || substr(d, 5) || ' ' || substr(d, 6) || ' ' || substr(d, 7) || ' ' || substr(d, 8) || ' ' || substr(d, 9) || ' ' || substr(d, 10) || ' ' || substr(d, 11) || ' ' || substr(d, 12) || ' ' || substr(d, 13) || ' ' || substr(d, 14) || ' ' || substr(d, 15) || ' ' || substr(d, 16) || ' ' || substr(d, 17) || ' ' || substr(d, 18) || ' ' || substr(d, 19) || ' ' || substr(d, 20) FROM (SELECT replace(replace(replace(replace(replace(replace(replace(replace(ct.phone, '+', ''), ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), ',', ''), '/', '') AS d)), new.subject FROM contacts ct WHERE ct.id = new.contact_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER conversations_head_delete AFTER DELETE ON conversations BEGIN
    DELETE FROM conversations_head WHERE rowid = old.rowid;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_head_update AFTER UPDATE OF name, email, phone ON contacts
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.phone IS NOT new.phone BEGIN
    DELETE FROM conversations_head WHERE rowid IN (SELECT rowid FROM conversations WHERE contact_id = new.id);
    INSERT INTO conversations_head (rowid, name, email, phone, subject)
    SELECT c.rowid, new.name, new.email, (SELECT substr(d, 1) || ' ' || substr(d, 2) || ' ' || substr(d, 3) || ' ' || substr(d, 4) || ' ' || substr(d, 5) || ' ' || substr(d, 6) || ' ' || substr(d, 7) || ' ' || substr(d, 8) || ' ' || substr(d, 9) || ' ' || substr(d, 10) || ' ' || substr(d, 11) || ' ' || substr(d, 12) || ' ' || substr(d, 13) || ' ' || substr(d, 14) || ' ' || substr(d, 15) || ' ' || substr(d, 16) || ' ' || substr(d, 17) || ' ' || substr(d, 18) || ' ' || substr(d, 19) || ' ' || substr(d, 20) FROM (SELECT replace(replace(replace(replace(replace(replace(replace(replace(new.phone, '+', ''), ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), ',', ''), '/', '') AS d)), c.subject FROM conversations c WHERE c.contact_id = new.id;
END;
-- +goose StatementEnd

-- Backfill, in rowid order (the cheapest order for the full-text index).
INSERT INTO conversations_head (rowid, name, email, phone, subject)
SELECT c.rowid, ct.name, ct.email, (SELECT substr(d, 1) || ' ' || substr(d, 2) || ' ' || substr(d, 3) || ' ' || substr(d, 4) || ' ' || substr(d, 5) || ' ' || substr(d, 6) || ' ' || substr(d, 7) || ' ' || substr(d, 8) || ' ' || substr(d, 9) || ' ' || substr(d, 10) || ' ' || substr(d, 11) || ' ' || substr(d, 12) || ' ' || substr(d, 13) || ' ' || substr(d, 14) || ' ' || substr(d, 15) || ' ' || substr(d, 16) || ' ' || substr(d, 17) || ' ' || substr(d, 18) || ' ' || substr(d, 19) || ' ' || substr(d, 20) FROM (SELECT replace(replace(replace(replace(replace(replace(replace(replace(ct.phone, '+', ''), ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), ',', ''), '/', '') AS d)), c.subject FROM conversations c JOIN contacts ct ON ct.id = c.contact_id ORDER BY c.rowid;

-- +goose Down
DROP TRIGGER contacts_head_update;
DROP TRIGGER conversations_head_delete;
DROP TRIGGER conversations_head_update;
DROP TRIGGER conversations_head_insert;
DROP TABLE conversations_head;
CREATE VIRTUAL TABLE contacts_fts USING fts5(name, email, phone, content='contacts', content_rowid='rowid', tokenize='trigram');
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
INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild');
