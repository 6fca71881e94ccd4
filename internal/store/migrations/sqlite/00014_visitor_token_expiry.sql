-- +goose Up
-- Visitor tokens expire (issue 18, item 14): after an idle lifetime since their last use and
-- an absolute one since created_at. last_used_at is written at most once an hour per token;
-- NULL means "not used since created" (created_at counts). Tokens that existed before this
-- migration start their idle clock now: their last use is unknown, and an upgrade should not
-- end every open chat.
ALTER TABLE visitor_tokens ADD COLUMN last_used_at TEXT;
UPDATE visitor_tokens SET last_used_at = strftime('%Y-%m-%d %H:%M:%S', 'now') || '.000000Z';

-- +goose Down
ALTER TABLE visitor_tokens DROP COLUMN last_used_at;
