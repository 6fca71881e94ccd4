-- name: CreateContact :exec
INSERT INTO contacts (id, account_id, chatbot_id, session_id, name, email, phone, attributes, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: GetContact :one
SELECT * FROM contacts WHERE id = $1 AND account_id = $2;

-- name: GetContactBySession :one
SELECT * FROM contacts WHERE chatbot_id = $1 AND session_id = $2;

-- name: UpdateContact :exec
UPDATE contacts SET name = $3, email = $4, phone = $5, attributes = $6
WHERE id = $1 AND account_id = $2;

-- name: CreateVisitorToken :exec
INSERT INTO visitor_tokens (token_hash, contact_id, created_at) VALUES ($1, $2, $3);

-- name: GetVisitorToken :one
SELECT c.id AS contact_id, c.account_id, c.chatbot_id, c.session_id
FROM visitor_tokens t JOIN contacts c ON c.id = t.contact_id
WHERE t.token_hash = $1;
