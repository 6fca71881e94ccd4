-- name: InsertMessage :exec
INSERT INTO messages (id, account_id, conversation_id, seq, kind, sender_id, sender_name, content, attachments,
    delivery_status, external_id, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);

-- name: ListMessages :many
SELECT * FROM messages WHERE conversation_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3;

-- name: InsertEvent :exec
INSERT INTO events (conversation_id, seq, account_id, type, payload, visitor_seq, visitor_type, visitor_payload, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: EventsAfter :many
SELECT * FROM events WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3;

-- name: VisitorEventsAfter :many
SELECT * FROM events WHERE conversation_id = $1 AND visitor_seq > $2 ORDER BY visitor_seq LIMIT $3;
