-- name: CreateQueue :exec
INSERT INTO queues (id, account_id, name, ring_timeout_seconds, created_at) VALUES ($1, $2, $3, $4, $5);

-- name: GetQueue :one
SELECT * FROM queues WHERE id = $1 AND account_id = $2;

-- name: ListQueues :many
SELECT * FROM queues WHERE account_id = $1 ORDER BY name;

-- name: UpdateQueue :exec
UPDATE queues SET name = $3, ring_timeout_seconds = $4 WHERE id = $1 AND account_id = $2;

-- name: DeleteQueue :execrows
DELETE FROM queues WHERE id = $1 AND account_id = $2;

-- name: ClearQueueMembers :exec
DELETE FROM queue_members WHERE queue_id = $1;

-- name: AddQueueMember :exec
INSERT INTO queue_members (queue_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- name: QueueMembers :many
SELECT user_id FROM queue_members WHERE queue_id = $1 ORDER BY user_id;

-- name: IsQueueMember :one
SELECT count(*) FROM queue_members WHERE queue_id = $1 AND user_id = $2;

-- name: SetChatbotQueue :exec
UPDATE chatbots SET default_queue_id = $3 WHERE id = $1 AND account_id = $2;

-- name: PickAgent :one
-- The least-loaded online member with a free seat, ties by longest idle (Q1).
SELECT u.id FROM users u
WHERE u.account_id = sqlc.arg(account_id) AND u.availability = 'online' AND u.last_active_at >= sqlc.arg(active_since)
  AND (sqlc.arg(queue_id)::text = '' OR EXISTS (SELECT 1 FROM queue_members m WHERE m.queue_id = sqlc.arg(queue_id)::text AND m.user_id = u.id))
  AND u.id <> sqlc.arg(exclude_id)::text
  AND (SELECT count(*) FROM conversations c WHERE c.assignee_id = u.id AND c.status IN ('waiting', 'human')) < u.capacity
ORDER BY (SELECT count(*) FROM conversations c WHERE c.assignee_id = u.id AND c.status IN ('waiting', 'human')),
  u.last_assigned_at IS NOT NULL, u.last_assigned_at, u.id
LIMIT 1;

-- name: AgentLoad :one
SELECT count(*) FROM conversations WHERE assignee_id = $1 AND status IN ('waiting', 'human');

-- name: AgentLoads :many
SELECT assignee_id, count(*) AS load FROM conversations
WHERE account_id = $1 AND status IN ('waiting', 'human') AND assignee_id IS NOT NULL
GROUP BY assignee_id;

-- name: TouchAssigned :exec
UPDATE users SET last_assigned_at = $2 WHERE id = $1;

-- name: WaitingUnassigned :many
SELECT id FROM conversations WHERE account_id = $1 AND status = 'waiting' AND assignee_id IS NULL
ORDER BY handoff_at, id LIMIT $2;

-- name: CreateCanned :exec
INSERT INTO canned_responses (id, account_id, shortcut, title, content, category, created_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8);

-- name: GetCanned :one
SELECT * FROM canned_responses WHERE id = $1 AND account_id = $2;

-- name: ListCanned :many
SELECT * FROM canned_responses WHERE account_id = $1 ORDER BY category, shortcut;

-- name: UpdateCanned :exec
UPDATE canned_responses SET shortcut = $3, title = $4, content = $5, category = $6, updated_at = $7
WHERE id = $1 AND account_id = $2;

-- name: DeleteCanned :execrows
DELETE FROM canned_responses WHERE id = $1 AND account_id = $2;

-- name: CreateNotification :exec
INSERT INTO notifications (id, account_id, user_id, kind, conversation_id, message_id, actor_name, body, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: ListNotifications :many
SELECT * FROM notifications WHERE user_id = $1 AND account_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3;

-- name: CountUnreadNotifications :one
SELECT count(*) FROM notifications WHERE user_id = $1 AND account_id = $2 AND read_at IS NULL;

-- name: MarkNotificationRead :execrows
UPDATE notifications SET read_at = $3 WHERE id = $1 AND user_id = $2 AND read_at IS NULL;

-- name: MarkAllNotificationsRead :exec
UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL;

-- name: CreateLabelFull :exec
INSERT INTO labels (id, account_id, name, color) VALUES ($1, $2, $3, $4);

-- name: GetLabel :one
SELECT * FROM labels WHERE id = $1 AND account_id = $2;

-- name: UpdateLabel :exec
UPDATE labels SET name = $3, color = $4 WHERE id = $1 AND account_id = $2;

-- name: DeleteLabel :execrows
DELETE FROM labels WHERE id = $1 AND account_id = $2;

-- name: CreateAttachment :exec
INSERT INTO attachments (id, account_id, conversation_id, message_id, name, content_type, size, blob_key, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: GetAttachment :one
SELECT * FROM attachments WHERE id = $1 AND account_id = $2;

-- name: TouchContactsSeen :exec
UPDATE contacts SET last_seen_at = $2 WHERE id = $1;

-- name: SetAttachmentMessage :exec
UPDATE attachments SET message_id = $2 WHERE id = $1;

-- name: MessageKind :one
SELECT kind FROM messages WHERE id = $1 AND account_id = $2;
