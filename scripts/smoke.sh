#!/usr/bin/env bash
# Smoke test of the core flow using only curl (and sed for reading JSON fields).
# Usage: scripts/smoke.sh [base-url] [email] [password]
set -euo pipefail
BASE=${1:-http://127.0.0.1:8080}
EMAIL=${2:-${BATON_ADMIN_EMAIL:-admin@baton.local}}
PASSWORD=${3:-${BATON_ADMIN_PASSWORD:?set BATON_ADMIN_PASSWORD or pass the password}}

field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" | head -1; }
step() { printf '%-58s' "$1"; }
expect() { # expect CODE BODY-SUBSTRING -- curl args…
	local want=$1 sub=$2; shift 3
	local out code
	out=$(curl -sS -w '\n%{http_code}' "$@")
	code=${out##*$'\n'}; body=${out%$'\n'*}
	if [ "$code" != "$want" ] || [[ "$body" != *"$sub"* ]]; then
		echo "FAIL: got $code $body"; exit 1
	fi
	echo "ok ($code)"
}

step "log in"
TOKEN=$(curl -sS -X POST "$BASE/api/v1/session" -H 'Content-Type: application/json' \
	-d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" | field token)
[ -n "$TOKEN" ] && echo ok || { echo FAIL; exit 1; }
AUTH=(-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json')

step "open a visitor session on chatbot demo"
SESSION=$(curl -sS -X POST "$BASE/widget/v1/sessions" -H 'Content-Type: application/json' -d '{"chatbot":"demo","name":"Curl Visitor"}')
VTOKEN=$(echo "$SESSION" | field token); CONV=$(echo "$SESSION" | field conversation_id)
[ -n "$VTOKEN" ] && [ -n "$CONV" ] && echo "ok ($CONV)" || { echo "FAIL $SESSION"; exit 1; }

step "send a visitor message"
expect 201 '"kind":"visitor"' -- -X POST "$BASE/widget/v1/messages" -H "Authorization: Bearer $VTOKEN" \
	-H 'Content-Type: application/json' -d '{"content":"Hello, I need help with my order"}'

step "see the conversation in the agent list"
expect 200 "$CONV" -- "${AUTH[@]}" "$BASE/api/v1/conversations"

step "reply before the handoff is refused (409, exact text)"
expect 409 'Can only reply to handed-off conversations.' -- "${AUTH[@]}" -X POST "$BASE/api/v1/conversations/$CONV/messages" -d '{"content":"hi"}'

step "accept before join is refused (409)"
expect 409 '"conflict"' -- "${AUTH[@]}" -X POST "$BASE/api/v1/conversations/$CONV/actions/accept"

step "join"
expect 200 '"status":"waiting"' -- "${AUTH[@]}" -X POST "$BASE/api/v1/conversations/$CONV/actions/join"

step "accept"
expect 200 '"status":"human"' -- "${AUTH[@]}" -X POST "$BASE/api/v1/conversations/$CONV/actions/accept"

step "reply"
expect 201 '"kind":"agent"' -- "${AUTH[@]}" -X POST "$BASE/api/v1/conversations/$CONV/messages" -d '{"content":"Hi, I am here to help."}'

step "status is still human"
expect 200 '"status":"human"' -- "${AUTH[@]}" "$BASE/api/v1/conversations/$CONV"

step "an internal note"
expect 201 '"kind":"note"' -- "${AUTH[@]}" -X POST "$BASE/api/v1/conversations/$CONV/messages" -d '{"content":"VIP customer","private":true}'

step "the visitor never sees the note"
out=$(curl -sS "$BASE/widget/v1/messages?after_seq=0" -H "Authorization: Bearer $VTOKEN")
[[ "$out" != *"VIP customer"* && "$out" == *"Hi, I am here to help."* ]] && echo ok || { echo "FAIL $out"; exit 1; }

step "return to AI via PUT status active"
expect 200 '"status":"bot"' -- "${AUTH[@]}" -X PUT "$BASE/api/v1/conversations/$CONV/status" -d '{"status":"active"}'

step "an unknown status is 400 invalid_status"
expect 400 'invalid_status' -- "${AUTH[@]}" -X PUT "$BASE/api/v1/conversations/$CONV/status" -d '{"status":"open"}'

step "close"
expect 200 '"status":"closed"' -- "${AUTH[@]}" -X PUT "$BASE/api/v1/conversations/$CONV/status" -d '{"status":"closed"}'

step "closing again is refused (409)"
expect 409 '"conflict"' -- "${AUTH[@]}" -X POST "$BASE/api/v1/conversations/$CONV/actions/close"

step "reopen"
expect 200 '"status":"bot"' -- "${AUTH[@]}" -X POST "$BASE/api/v1/conversations/$CONV/actions/reopen"

echo "All steps passed."
