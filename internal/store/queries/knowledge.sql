-- name: CreateKnowledgeEntry :exec
INSERT INTO knowledge_entries (id, account_id, chatbot_id, question, answer, keywords, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $7);

-- name: ListKnowledgeEntries :many
SELECT * FROM knowledge_entries WHERE chatbot_id = $1 AND account_id = $2 ORDER BY created_at, id;

-- name: GetKnowledgeEntry :one
SELECT * FROM knowledge_entries WHERE id = $1 AND chatbot_id = $2 AND account_id = $3;

-- name: UpdateKnowledgeEntry :exec
UPDATE knowledge_entries SET question = $4, answer = $5, keywords = $6, updated_at = $7
WHERE id = $1 AND chatbot_id = $2 AND account_id = $3;

-- name: DeleteKnowledgeEntry :execrows
DELETE FROM knowledge_entries WHERE id = $1 AND chatbot_id = $2 AND account_id = $3;

-- name: CountKnowledgeEntries :one
SELECT count(*) FROM knowledge_entries WHERE chatbot_id = $1;
