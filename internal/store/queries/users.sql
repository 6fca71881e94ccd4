-- name: CreateUser :exec
INSERT INTO users (id, account_id, email, password_hash, first_name, last_name, role, availability, capacity, notify_desktop, notify_sound, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);

-- name: GetUser :one
SELECT * FROM users WHERE id = $1 AND account_id = $2;

-- name: GetUserByEmail :one
SELECT * FROM users WHERE email = $1;

-- name: ListUsers :many
SELECT * FROM users WHERE account_id = $1 ORDER BY first_name, email;

-- name: UpdateUser :exec
UPDATE users SET first_name = $3, last_name = $4, role = $5, availability = $6, capacity = $7,
    notify_desktop = $8, notify_sound = $9, password_hash = $10
WHERE id = $1 AND account_id = $2;

-- name: CountOwners :one
SELECT count(*) FROM users WHERE account_id = $1 AND role = 'owner';

-- name: CreateSession :exec
INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4);

-- name: GetSession :one
SELECT * FROM sessions WHERE token_hash = $1;

-- name: DeleteSession :exec
DELETE FROM sessions WHERE token_hash = $1;

-- name: DeleteExpiredSessions :exec
DELETE FROM sessions WHERE expires_at < $1;

-- name: CreateAPIToken :exec
INSERT INTO api_tokens (id, account_id, user_id, name, token_hash, scopes, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: GetAPITokenByHash :one
SELECT * FROM api_tokens WHERE token_hash = $1;

-- name: ListAPITokens :many
SELECT * FROM api_tokens WHERE account_id = $1 ORDER BY created_at DESC;

-- name: TouchAPIToken :exec
UPDATE api_tokens SET last_used_at = $2 WHERE id = $1;

-- name: RevokeAPIToken :execrows
UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL;

-- name: GetRateMark :one
SELECT at FROM rate_marks WHERE key = $1;

-- name: SetRateMark :exec
INSERT INTO rate_marks (key, at) VALUES ($1, $2)
ON CONFLICT (key) DO UPDATE SET at = excluded.at;

-- name: GetUserByID :one
SELECT * FROM users WHERE id = $1;

-- name: MarkAgentOnline :exec
UPDATE users SET availability = CASE WHEN availability = 'offline' THEN 'online' ELSE availability END, last_active_at = $2
WHERE id = $1 AND deactivated_at IS NULL;

-- name: TouchAgent :exec
UPDATE users SET last_active_at = $2 WHERE id = $1;

-- name: SweepAgents :exec
UPDATE users SET availability = 'offline' WHERE availability <> 'offline' AND (last_active_at IS NULL OR last_active_at < $1);

-- name: CountAvailableAgents :one
SELECT count(*) FROM users WHERE account_id = $1 AND availability = 'online' AND last_active_at >= $2;

-- name: PruneRateMarks :execrows
DELETE FROM rate_marks WHERE at < $1;

-- name: PruneExpiredSessions :execrows
DELETE FROM sessions WHERE expires_at < $1;

-- name: UpdateUserEmail :exec
UPDATE users SET email = $3 WHERE id = $1 AND account_id = $2;

-- name: SetUserDeactivated :exec
-- Deactivating also takes the user offline, so that routing offers them nothing.
UPDATE users SET deactivated_at = sqlc.narg(deactivated_at),
  availability = CASE WHEN sqlc.narg(deactivated_at)::timestamptz IS NULL THEN availability ELSE 'offline' END
WHERE id = sqlc.arg(id) AND account_id = sqlc.arg(account_id);

-- name: DeleteUserSessions :execrows
DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2;

-- name: TouchSession :exec
UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1;

-- name: CountActiveOwners :one
SELECT count(*) FROM users WHERE account_id = $1 AND role = 'owner' AND deactivated_at IS NULL;
