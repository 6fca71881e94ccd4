package bot

import "context"

// ReasonUpset is the handoff reason when the visitor is upset twice in a row.
const ReasonUpset = "The visitor seems upset (two strongly negative messages in a row)"

// Triggers applies the visitor-side handoff rules (H2) to a transcript: the last visitor
// message asks for a person ([DetectHandoffRequest]), or the last two visitor messages,
// with only bot turns between them, are both strongly negative ([Sentiment] at or under
// [StronglyNegative]). It returns the reason to record.
//
// It is cheap and pure, so the message path may call it before queueing the bot's
// answer, to hand off at once.
func Triggers(transcript []Turn) (handoff bool, reason string) {
	i := lastVisitor(transcript)
	if i < 0 {
		return false, ""
	}
	if ok, why := DetectHandoffRequest(transcript[i].Content); ok {
		return true, why
	}
	if _, s := Sentiment(transcript[i].Content); s > StronglyNegative {
		return false, ""
	}
	for j := i - 1; j >= 0; j-- {
		switch transcript[j].Role {
		case RoleAgent:
			return false, ""
		case RoleVisitor:
			if _, s := Sentiment(transcript[j].Content); s <= StronglyNegative {
				return true, ReasonUpset
			}
			return false, ""
		}
	}
	return false, ""
}

// Guard wraps r with [Triggers]: when a rule fires, it hands off without asking r, and
// tells the visitor a person is coming; otherwise r answers.
func Guard(r Responder) Responder { return guard{r} }

type guard struct{ next Responder }

func (g guard) Respond(ctx context.Context, req Request) (Reply, error) {
	if ok, reason := Triggers(req.Transcript); ok {
		return Reply{Content: localeFor(req.Language).connecting, Handoff: true, HandoffReason: reason}, nil
	}
	return g.next.Respond(ctx, req)
}

// AsksForPerson is the rule of [Triggers] the message path applies itself, in the visitor
// message's own transaction, so that a visitor who asks for a person is handed off at once
// rather than after a bot job: the reason to record and the bot's reply (in lang).
func AsksForPerson(text, lang string) (ok bool, reason, reply string) {
	if ok, why := DetectHandoffRequest(text); ok {
		return true, why, localeFor(lang).connecting
	}
	return false, "", ""
}
