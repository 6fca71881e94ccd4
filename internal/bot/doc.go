// Package bot answers visitors on behalf of a chatbot (SPEC §6) and decides when a human
// is needed (H2, B3).
//
// One interface, [Responder], has three implementations:
//
//   - [FAQ], the default: BM25 retrieval over the chatbot's knowledge entries. It works
//     offline, answers greetings and thanks, says politely when it does not know, and hands
//     off after two answers in a row it was not sure of.
//   - [OpenAI], any OpenAI-compatible chat-completions endpoint. The best knowledge entries
//     go into the system prompt as context, and the model may call a "handoff" tool.
//   - [Webhook], an external bot reached over HTTP (protocol below).
//
// Two wrappers add the rules that do not belong to any one responder: [Guard] hands off
// when the visitor asks for a person or is upset twice in a row (H2), and [Fallback] turns
// a failing responder into an apology and, after repeated failures, a handoff. The usual
// stack is
//
//	bot.Guard(&bot.Fallback{Responder: &bot.OpenAI{...}})
//
// [Brief] (and [OpenAI.Brief]) write the handoff brief the agent reads (B3);
// [DetectHandoffRequest] and [Sentiment] are the building blocks of the handoff rules.
//
// Everything here is pure except the HTTP clients of [OpenAI] and [Webhook]; time comes
// from their Now fields.
//
// # External bot protocol (webhook)
//
// For each visitor message, Baton POSTs a JSON body to the bot's URL:
//
//	{
//	  "conversation_id": "c_123",
//	  "chatbot": "Acme Support",
//	  "language": "en",
//	  "message": "Where is my order?",
//	  "transcript": [
//	    {"role": "bot", "content": "Hello! How can I help you today?"},
//	    {"role": "visitor", "content": "Where is my order?"}
//	  ],
//	  "sent_at": "2026-01-02T15:04:05Z"
//	}
//
// transcript is oldest first and ends with the new message; role is "visitor", "bot" or
// "agent". The request carries the header
//
//	X-Baton-Signature: sha256=<hex of HMAC-SHA256(secret, raw body)>
//
// which the bot should check (with a constant-time comparison; see [Sign]) before trusting
// the body, and reject bodies whose sent_at is too old.
//
// The bot answers synchronously within the timeout (10 s by default) with either
//
//   - 200 and {"reply": "Your order left today.", "handoff": false, "reason": ""}: reply is
//     sent to the visitor (it may be empty when handoff is true); handoff true asks for a
//     human with the given reason; or
//   - 204 No Content: "I'll answer later via the API" — Baton sends nothing now.
//
// Any other status, a body that is not that JSON, or no answer in time is an error
// ([ErrRejected], [ErrUnavailable], [ErrMalformed], [ErrTimeout], ...).
package bot
