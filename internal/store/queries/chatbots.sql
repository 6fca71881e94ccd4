-- name: CreateChatbot :exec
INSERT INTO chatbots (id, account_id, slug, name, greeting, identity_secret, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: GetChatbot :one
SELECT * FROM chatbots WHERE account_id = $1 AND (id = $2 OR slug = $2);

-- name: GetChatbotByID :one
SELECT * FROM chatbots WHERE id = $1;

-- name: GetChatbotBySlug :one
SELECT * FROM chatbots WHERE slug = $1;

-- name: ListChatbots :many
SELECT * FROM chatbots WHERE account_id = $1 ORDER BY created_at;

-- name: UpdateChatbot :exec
UPDATE chatbots SET name = $3, greeting = $4, handover_webhook_url = $5, message_webhook_url = $6,
    identity_verification = $7, settings = $8
WHERE id = $1 AND account_id = $2;

-- name: SetChatbotIdentitySecret :execrows
UPDATE chatbots SET identity_secret = $3 WHERE id = $1 AND account_id = $2;
