-- name: CreateAccount :exec
INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3);

-- name: GetAccount :one
SELECT * FROM accounts WHERE id = $1;

-- name: ListAccounts :many
SELECT * FROM accounts ORDER BY created_at;

-- name: NextConversationNumber :one
UPDATE accounts SET next_number = next_number + 1 WHERE id = $1 RETURNING next_number - 1;
