-- name: CreateConversation :exec
INSERT INTO conversations (id, account_id, chatbot_id, contact_id, number, channel, status, subject, previous_id,
    created_at, updated_at, last_activity_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $10);

-- name: GetConversation :one
SELECT * FROM conversations WHERE id = $1 AND account_id = $2;

-- name: LockConversation :one
-- PostgreSQL only: SQLite's single writer holds every row already, and does not know FOR
-- NO KEY UPDATE (store.lockConversation reads with GetConversation there). NO KEY: the lock
-- an UPDATE of the row takes, which lets the foreign-key checks of other transactions'
-- inserts (messages, events) through; FOR UPDATE would queue them behind this one.
SELECT * FROM conversations WHERE id = $1 AND account_id = $2 FOR NO KEY UPDATE;

-- name: LatestConversationForContact :one
SELECT * FROM conversations WHERE contact_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1;

-- name: UpsertTag :one
INSERT INTO tags (id, account_id, name) VALUES ($1, $2, $3)
ON CONFLICT (account_id, name) DO UPDATE SET name = excluded.name
RETURNING id;

-- name: ListTags :many
SELECT * FROM tags WHERE account_id = $1 ORDER BY name;

-- name: ClearConversationTags :exec
DELETE FROM conversation_tags WHERE conversation_id = $1;

-- name: AddConversationTag :exec
INSERT INTO conversation_tags (conversation_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- name: ConversationTags :many
SELECT t.name FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id
WHERE ct.conversation_id = $1 ORDER BY t.name;

-- name: CreateLabel :exec
INSERT INTO labels (id, account_id, name, color) VALUES ($1, $2, $3, $4);

-- name: ListLabels :many
SELECT * FROM labels WHERE account_id = $1 ORDER BY name;

-- name: GetLabelByName :one
SELECT * FROM labels WHERE account_id = $1 AND name = $2;

-- name: ClearConversationLabels :exec
DELETE FROM conversation_labels WHERE conversation_id = $1;

-- name: AddConversationLabel :exec
INSERT INTO conversation_labels (conversation_id, label_id) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- name: ConversationLabels :many
SELECT l.name FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id
WHERE cl.conversation_id = $1 ORDER BY l.name;

-- name: ClearCollaborators :exec
DELETE FROM conversation_collaborators WHERE conversation_id = $1;

-- name: AddCollaborator :exec
INSERT INTO conversation_collaborators (conversation_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- name: ConversationCollaborators :many
SELECT u.id, u.first_name, u.email FROM conversation_collaborators cc JOIN users u ON u.id = cc.user_id
WHERE cc.conversation_id = $1 ORDER BY u.first_name, u.email;
