-- +goose Up
-- Search at a million conversations (A3; docs/decisions.md "Search: a head document per
-- conversation, counted plans, and a checked walk").
--
-- Two word sets (stripped tsvectors) per conversation:
--   conversation_heads.head: the contact's name and email as words, every suffix of the
--         phone's digits (so that any run of digits is a word prefix: "5550123" finds
--         +1 555 0123 456) and the email subject; GIN-indexed (it changes rarely), and
--         small, so that checking many conversations' heads reads few pages;
--   conversation_bodies.body: the words of its messages, added by a trigger as messages
--         arrive, in chunks of about 250 words (so that a message with a new word
--         rewrites one small row, stored inline, however long the conversation). Not indexed
--         (messages_content_tsv finds the messages of rare words), so that the update is
--         HOT; it makes checking one conversation cheap when a search walks the list.
-- It replaces the trigram indexes over contacts, whose posting lists are too long at a
-- million contacts.
DROP INDEX IF EXISTS contacts_name_trgm;
DROP INDEX IF EXISTS contacts_email_trgm;
DROP INDEX IF EXISTS contacts_phone_trgm;

-- +goose StatementBegin
CREATE FUNCTION baton_search_head(name text, email text, phone text, subject text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT strip(to_tsvector('simple', regexp_replace(lower(concat_ws(' ', name, email,
        (SELECT string_agg(substr(d, i), ' ') FROM (SELECT translate(phone, '+ -().,/', '') AS d) x, generate_series(1, least(length(d), 20)) i),
        subject)), '[^[:alnum:]]+', ' ', 'g')))
$$;
-- +goose StatementEnd

-- The backfill puts a conversation's words in one chunk, which stops growing at 50,000
-- words (a tsvector holds at most 1 MB).
-- +goose StatementBegin
CREATE FUNCTION baton_search_add(body tsvector, words tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN length(body) >= 50000 THEN body ELSE body || words END
$$;
-- +goose StatementEnd
CREATE AGGREGATE baton_search_agg(tsvector) (SFUNC = baton_search_add, STYPE = tsvector, INITCOND = '');

CREATE TABLE conversation_heads (
    conversation_id  TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    head             tsvector NOT NULL
);
CREATE TABLE conversation_bodies (
    conversation_id  TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    chunk            INTEGER NOT NULL,
    body             tsvector NOT NULL,
    PRIMARY KEY (conversation_id, chunk)
) WITH (fillfactor = 70);

-- +goose StatementBegin
CREATE FUNCTION baton_conversation_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO conversation_heads (conversation_id, head)
        SELECT NEW.id, baton_search_head(ct.name, ct.email, ct.phone, NEW.subject) FROM contacts ct WHERE ct.id = NEW.contact_id;
    ELSE
        UPDATE conversation_heads SET head = (SELECT baton_search_head(ct.name, ct.email, ct.phone, NEW.subject) FROM contacts ct WHERE ct.id = NEW.contact_id)
        WHERE conversation_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION baton_contact_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE conversation_heads h SET head = baton_search_head(NEW.name, NEW.email, NEW.phone, c.subject)
    FROM conversations c WHERE c.contact_id = NEW.id AND h.conversation_id = c.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION baton_message_search() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    words tsvector := strip(to_tsvector('simple', NEW.content));
    last    integer;
    latest  tsvector;
BEGIN
    IF length(words) = 0 THEN
        RETURN NULL;
    END IF;
    -- No lock: writers of one conversation hold its row already, and were two to race,
    -- the UPDATE applies to the latest version and the INSERTs merge on conflict.
    SELECT b.chunk, b.body INTO last, latest FROM conversation_bodies b
    WHERE b.conversation_id = NEW.conversation_id ORDER BY b.chunk DESC LIMIT 1;
    IF NOT FOUND THEN
        INSERT INTO conversation_bodies AS b (conversation_id, chunk, body) VALUES (NEW.conversation_id, 0, words)
        ON CONFLICT (conversation_id, chunk) DO UPDATE SET body = b.body || EXCLUDED.body;
    ELSIF latest || words = latest THEN
        NULL; -- no new word: the row is not rewritten
    ELSIF length(latest) < 250 THEN
        UPDATE conversation_bodies b SET body = b.body || words WHERE b.conversation_id = NEW.conversation_id AND b.chunk = last;
    ELSE
        INSERT INTO conversation_bodies AS b (conversation_id, chunk, body) VALUES (NEW.conversation_id, last + 1, words)
        ON CONFLICT (conversation_id, chunk) DO UPDATE SET body = b.body || EXCLUDED.body;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER conversations_search_insert AFTER INSERT ON conversations
    FOR EACH ROW EXECUTE FUNCTION baton_conversation_search();
CREATE TRIGGER conversations_search_update AFTER UPDATE OF subject, contact_id ON conversations
    FOR EACH ROW WHEN (OLD.subject IS DISTINCT FROM NEW.subject OR OLD.contact_id IS DISTINCT FROM NEW.contact_id)
    EXECUTE FUNCTION baton_conversation_search();
CREATE TRIGGER contacts_search_update AFTER UPDATE OF name, email, phone ON contacts
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.email IS DISTINCT FROM NEW.email OR OLD.phone IS DISTINCT FROM NEW.phone)
    EXECUTE FUNCTION baton_contact_search();
CREATE TRIGGER messages_search AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION baton_message_search();

-- Backfill (the same words the triggers write), then index the heads.
INSERT INTO conversation_heads (conversation_id, head)
SELECT c.id, baton_search_head(ct.name, ct.email, ct.phone, c.subject) FROM conversations c JOIN contacts ct ON ct.id = c.contact_id;
INSERT INTO conversation_bodies (conversation_id, chunk, body)
SELECT w.id, 0, w.body FROM (
    SELECT c.id, (SELECT baton_search_agg(strip(to_tsvector('simple', m.content))) FROM messages m WHERE m.conversation_id = c.id) AS body
    FROM conversations c) w
WHERE length(w.body) > 0;
CREATE INDEX conversation_heads_head ON conversation_heads USING gin (head);
ANALYZE conversation_heads;
ANALYZE conversation_bodies;

-- +goose Down
DROP TRIGGER messages_search ON messages;
DROP TRIGGER contacts_search_update ON contacts;
DROP TRIGGER conversations_search_update ON conversations;
DROP TRIGGER conversations_search_insert ON conversations;
DROP TABLE conversation_bodies;
DROP TABLE conversation_heads;
DROP FUNCTION baton_message_search();
DROP FUNCTION baton_contact_search();
DROP FUNCTION baton_conversation_search();
DROP AGGREGATE baton_search_agg(tsvector);
DROP FUNCTION baton_search_add(tsvector, tsvector);
DROP FUNCTION baton_search_head(text, text, text, text);
CREATE INDEX contacts_name_trgm ON contacts USING gin (lower(name) gin_trgm_ops);
CREATE INDEX contacts_email_trgm ON contacts USING gin (lower(email) gin_trgm_ops);
CREATE INDEX contacts_phone_trgm ON contacts USING gin (phone gin_trgm_ops);
