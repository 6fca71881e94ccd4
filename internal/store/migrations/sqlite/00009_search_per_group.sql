-- +goose Up
-- A message's words go into messages_fts once per write group, not by a trigger per row
-- (store.indexNewMessages, run by the group commit before COMMIT and by the bulk loader).
-- SQLite opens a statement savepoint around every write to a virtual table inside a longer
-- transaction, and FTS5 flushes its pending words to a new segment at each savepoint: with
-- the trigger every message wrote a segment of its own (about a quarter of the pages a
-- message commits) and the merges to absorb it. One INSERT … SELECT per group writes one.
-- Messages are never deleted or edited by Baton; messages_fts_delete and _update stay for
-- rows changed by hand, in a later transaction than the one that stored them.
DROP TRIGGER messages_fts_insert;

-- +goose Down
-- +goose StatementBegin
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;
-- +goose StatementEnd
