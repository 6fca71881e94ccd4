-- name: NextTicketNumber :one
UPDATE accounts SET next_ticket_number = next_ticket_number + 1 WHERE id = $1 RETURNING next_ticket_number - 1;

-- name: CreateTicket :exec
INSERT INTO tickets (id, account_id, number, subject, description, priority, status, assignee_id, contact_id, source, created_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12);

-- name: GetTicket :one
SELECT * FROM tickets WHERE id = $1 AND account_id = $2;

-- name: UpdateTicket :exec
UPDATE tickets SET subject = $3, description = $4, priority = $5, status = $6, assignee_id = $7, updated_at = $8
WHERE id = $1 AND account_id = $2;

-- name: LinkTicketConversation :exec
INSERT INTO ticket_conversations (ticket_id, conversation_id) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- name: UnlinkTicketConversation :execrows
DELETE FROM ticket_conversations WHERE ticket_id = $1 AND conversation_id = $2;

-- name: TicketConversationIDs :many
SELECT conversation_id FROM ticket_conversations WHERE ticket_id = $1 ORDER BY conversation_id;

-- name: ConversationTicketIDs :many
SELECT t.id FROM ticket_conversations tc JOIN tickets t ON t.id = tc.ticket_id
WHERE tc.conversation_id = $1 AND t.account_id = $2 ORDER BY t.created_at DESC;
