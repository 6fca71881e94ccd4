-- name: GetChannel :one
SELECT ch.*, b.slug AS chatbot_slug FROM channels ch JOIN chatbots b ON b.id = ch.chatbot_id
WHERE ch.chatbot_id = $1 AND ch.kind = $2;

-- name: HookChannel :one
-- The channel an inbound webhook names by chatbot id or slug (no account: the caller
-- proves itself with the channel's own secret).
SELECT ch.*, b.slug AS chatbot_slug FROM channels ch JOIN chatbots b ON b.id = ch.chatbot_id
WHERE (b.id = sqlc.arg(ref) OR b.slug = sqlc.arg(ref)) AND ch.kind = sqlc.arg(kind);

-- name: ListChannels :many
SELECT ch.*, b.slug AS chatbot_slug FROM channels ch JOIN chatbots b ON b.id = ch.chatbot_id
WHERE ch.chatbot_id = $1 ORDER BY ch.kind;

-- name: ChannelsOfKind :many
SELECT ch.*, b.slug AS chatbot_slug FROM channels ch JOIN chatbots b ON b.id = ch.chatbot_id
WHERE ch.kind = $1 AND ch.status = 'connected' ORDER BY ch.chatbot_id;

-- name: UpsertChannel :exec
INSERT INTO channels (chatbot_id, kind, account_id, settings, secrets, status, error, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
ON CONFLICT (chatbot_id, kind) DO UPDATE SET settings = excluded.settings, secrets = excluded.secrets,
    status = excluded.status, error = excluded.error, updated_at = excluded.updated_at;

-- name: SetChannelError :exec
UPDATE channels SET error = $3 WHERE chatbot_id = $1 AND kind = $2;

-- name: InsertChannelReceipt :execrows
INSERT INTO channel_receipts (chatbot_id, external_id, created_at) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING;

-- name: CountChannelReceipts :one
SELECT count(*) FROM channel_receipts WHERE chatbot_id = $1 AND external_id = $2;

-- name: ConversationByExternalID :one
SELECT m.conversation_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
WHERE c.chatbot_id = $1 AND m.external_id = $2
ORDER BY m.created_at DESC LIMIT 1;

-- name: MessageByExternalID :one
SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id
WHERE c.chatbot_id = $1 AND m.external_id = $2 AND m.kind IN ('agent', 'bot')
ORDER BY m.created_at DESC LIMIT 1;

-- name: GetMessage :one
SELECT * FROM messages WHERE id = $1 AND conversation_id = $2;

-- name: ThreadExternalIDs :many
-- The provider ids of a conversation's messages, oldest first (email threading).
SELECT kind, external_id FROM messages
WHERE conversation_id = $1 AND external_id IS NOT NULL AND kind IN ('visitor', 'agent', 'bot')
ORDER BY seq;

-- name: SetMessageDelivery :exec
UPDATE messages SET delivery_status = sqlc.arg(delivery_status), delivery_error = sqlc.arg(delivery_error),
    external_id = COALESCE(sqlc.narg(external_id), external_id)
WHERE id = sqlc.arg(id) AND conversation_id = sqlc.arg(conversation_id);

-- name: UnreadOutbound :many
-- Outbound messages of a conversation sent at or before a time and not yet read
-- (Messenger's read watermark).
SELECT id FROM messages
WHERE conversation_id = $1 AND kind IN ('agent', 'bot') AND delivery_status IN ('sent', 'delivered') AND created_at <= $2
ORDER BY seq;

-- name: SetEventPayload :exec
UPDATE events SET payload = $3 WHERE conversation_id = $1 AND seq = $2;

-- name: CreateChannelTemplate :exec
INSERT INTO channel_templates (id, account_id, chatbot_id, name, language, parameters, body, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: ListChannelTemplates :many
SELECT * FROM channel_templates WHERE chatbot_id = $1 ORDER BY name, language;

-- name: GetChannelTemplate :one
SELECT * FROM channel_templates WHERE id = $1 AND chatbot_id = $2;

-- name: UpdateChannelTemplate :one
UPDATE channel_templates SET name = $4, language = $5, parameters = $6, body = $7
WHERE id = $1 AND chatbot_id = $2 AND account_id = $3
RETURNING *;

-- name: DeleteChannelTemplate :execrows
DELETE FROM channel_templates WHERE id = $1 AND chatbot_id = $2;

-- name: PruneChannelReceipts :execrows
DELETE FROM channel_receipts WHERE created_at < $1;
