-- name: GetIntegrationSettings :one
SELECT * FROM integration_settings WHERE account_id = $1;

-- name: UpsertIntegrationSettings :exec
INSERT INTO integration_settings (account_id, message_webhook_url, signing_secret, updated_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (account_id) DO UPDATE SET message_webhook_url = excluded.message_webhook_url,
    signing_secret = excluded.signing_secret, updated_at = excluded.updated_at;

-- name: GetExternalHandover :one
SELECT * FROM external_handovers WHERE conversation_id = $1;

-- name: StartExternalHandover :exec
INSERT INTO external_handovers (conversation_id, account_id, token_id, started_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (conversation_id) DO UPDATE SET token_id = excluded.token_id, started_at = excluded.started_at,
    ended_at = NULL;

-- name: EndExternalHandover :execrows
UPDATE external_handovers SET ended_at = $2 WHERE conversation_id = $1 AND ended_at IS NULL;

-- name: CreateWebhook :exec
INSERT INTO webhooks (id, account_id, url, description, events, secret, active, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8);

-- name: GetWebhook :one
SELECT * FROM webhooks WHERE id = $1 AND account_id = $2;

-- name: ListWebhooks :many
SELECT * FROM webhooks WHERE account_id = $1 ORDER BY created_at, id;

-- name: ActiveWebhooks :many
SELECT id, url, events FROM webhooks WHERE account_id = $1 AND active ORDER BY created_at, id;

-- name: UpdateWebhook :exec
UPDATE webhooks SET url = $3, description = $4, events = $5, active = $6, updated_at = $7
WHERE id = $1 AND account_id = $2;

-- name: SetWebhookSecret :exec
UPDATE webhooks SET secret = $3, updated_at = $4 WHERE id = $1 AND account_id = $2;

-- name: DeleteWebhook :execrows
DELETE FROM webhooks WHERE id = $1 AND account_id = $2;

-- name: CreateWebhookDelivery :exec
INSERT INTO webhook_deliveries (id, account_id, webhook_id, kind, event, url, payload, status, max_attempts,
    created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $9);

-- name: GetWebhookDelivery :one
SELECT * FROM webhook_deliveries WHERE id = $1;

-- name: UpdateWebhookDelivery :exec
UPDATE webhook_deliveries SET status = $2, attempts = $3, last_status_code = $4, last_error = $5, updated_at = $6,
    completed_at = $7
WHERE id = $1;

-- name: RecordWebhookAttempt :exec
INSERT INTO webhook_attempts (delivery_id, attempt, status_code, duration_ms, error, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (delivery_id, attempt) DO UPDATE SET status_code = excluded.status_code,
    duration_ms = excluded.duration_ms, error = excluded.error, created_at = excluded.created_at;

-- name: ListWebhookDeliveries :many
SELECT * FROM webhook_deliveries WHERE webhook_id = $1 AND account_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4;

-- name: ListIntegrationDeliveries :many
SELECT * FROM webhook_deliveries WHERE account_id = $1 AND kind IN ('handover', 'message') AND id < $2
ORDER BY id DESC LIMIT $3;

-- name: ListWebhookAttempts :many
SELECT * FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt;

-- name: TicketsCreatedAt :many
SELECT * FROM tickets WHERE account_id = $1 AND created_at = $2 ORDER BY number;

-- name: ListAnalysisFields :many
SELECT * FROM analysis_fields WHERE chatbot_id = $1 AND account_id = $2 ORDER BY position;

-- name: DeleteAnalysisFields :exec
DELETE FROM analysis_fields WHERE chatbot_id = $1 AND account_id = $2;

-- name: CreateAnalysisField :exec
INSERT INTO analysis_fields (id, account_id, chatbot_id, position, name, type, description, pattern)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: GetAnalysis :one
SELECT * FROM conversation_analyses WHERE conversation_id = $1 AND account_id = $2;

-- name: RequestAnalysis :exec
INSERT INTO conversation_analyses (conversation_id, account_id, status, reason, requested_at)
VALUES ($1, $2, 'pending', $3, $4)
ON CONFLICT (conversation_id) DO UPDATE SET status = 'pending', reason = excluded.reason,
    requested_at = excluded.requested_at, error = '', attempts = 0;

-- name: SaveAnalysis :exec
INSERT INTO conversation_analyses (conversation_id, account_id, status, reason, engine, model, summary, sentiment,
    sentiment_score, fields, entities, error, attempts, requested_at, completed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
ON CONFLICT (conversation_id) DO UPDATE SET status = excluded.status, engine = excluded.engine, model = excluded.model,
    summary = excluded.summary, sentiment = excluded.sentiment, sentiment_score = excluded.sentiment_score,
    fields = excluded.fields, entities = excluded.entities, error = excluded.error, attempts = excluded.attempts,
    completed_at = excluded.completed_at;

-- name: SetAnalysisError :exec
UPDATE conversation_analyses SET error = $3, attempts = $4 WHERE conversation_id = $1 AND account_id = $2;

-- name: FailAnalysis :execrows
UPDATE conversation_analyses SET status = 'failed', error = $3, attempts = $4
WHERE conversation_id = $1 AND account_id = $2 AND status = 'pending';

-- name: TranscriptMessages :many
SELECT * FROM messages WHERE conversation_id = $1 AND kind IN ('visitor', 'bot', 'agent') ORDER BY seq LIMIT $2;

-- name: PruneWebhookDeliveries :execrows
DELETE FROM webhook_deliveries WHERE created_at < $1 AND status IN ('succeeded', 'failed');
