package bot

import (
	"context"
	"errors"
)

// ErrNoMessage is returned when the transcript has no visitor message to answer.
var ErrNoMessage = errors.New("bot: the transcript has no visitor message")

// DefaultThreshold is the FAQ confidence under which the bot says it does not know.
const DefaultThreshold = 0.4

// ReasonCouldNotAnswer is the handoff reason after two unsure answers in a row.
const ReasonCouldNotAnswer = "The assistant could not answer twice"

// FAQ is the built-in, offline responder: it answers with the knowledge entry that best
// matches the visitor's message (BM25), greets and thanks back, says politely when it is
// not sure, and hands off after two unsure answers in a row.
//
// The zero value is ready to use.
type FAQ struct {
	// Threshold is the confidence under which the answer is "not sure";
	// 0 means DefaultThreshold.
	Threshold float64
}

// Respond answers the last visitor message of req.Transcript from req.Knowledge. It
// returns ErrNoMessage when there is no visitor message and no other error.
func (f *FAQ) Respond(_ context.Context, req Request) (Reply, error) {
	i := lastVisitor(req.Transcript)
	if i < 0 {
		return Reply{}, ErrNoMessage
	}
	text := req.Transcript[i].Content
	loc := localeFor(req.Language)

	if kind := smallTalk(text, req.ChatbotName); kind != talkNone {
		return Reply{Content: kind.answer(loc, req.ChatbotName), Confidence: 1}, nil
	}

	hits := NewIndex(req.Knowledge).Search(text, 2)
	conf := confidence(hits)
	if conf >= f.threshold() {
		return Reply{Content: hits[0].Entry.Answer, Confidence: conf}, nil
	}

	wasUnsure := false
	previousBotTurns(req.Transcript, i, func(content string) bool {
		wasUnsure = isOwn(content, notSureOf)
		return false // only the latest bot turn counts
	})
	if wasUnsure {
		return Reply{Content: loc.couldNot, Handoff: true, HandoffReason: ReasonCouldNotAnswer, Confidence: conf}, nil
	}
	return Reply{Content: loc.notSure, Confidence: conf}, nil
}

func (f *FAQ) threshold() float64 {
	if f.Threshold > 0 {
		return f.Threshold
	}
	return DefaultThreshold
}

// talkKind classifies a message made only of small talk.
type talkKind int

const (
	talkNone talkKind = iota
	talkGreeting
	talkThanks
	talkBye
	talkAck
)

func (k talkKind) answer(s sentences, name string) string {
	switch k {
	case talkGreeting:
		return s.greet(name)
	case talkThanks:
		return s.thanks
	case talkBye:
		return s.bye
	}
	return s.ack
}

var (
	greetWords = set(`hi hello hey hiya howdy yo greetings morning afternoon evening hola buenas
		buenos dias tardes noches bonjour salut bonsoir coucou hallo servus moin guten tag morgen
		abend gruss gruezi ola oi dia tarde noite`)
	thankWords = set(`thanks thank thx ty cheers appreciated gracias merci danke dank dankeschon
		obrigado obrigada valeu agradezco agradecido`)
	byeWords = set(`bye goodbye cya adios chao hasta luego pronto revoir tschuss wiedersehen ciao
		tchau logo later`)
	ackWords = set(`ok okay k good cool great perfect alright fine nice got it understood vale
		perfecto genial entendido d accord parfait super compris gut alles klar prima verstanden
		beleza certo otimo entendi`)
	// talkFillers may surround small talk without making it a question.
	talkFillers = set(`a lot so much very you all for the your there everyone again see soon
		and that s is it thats was helpful help nice to have day have a au muchas mil por tu su
		la ayuda beaucoup bien de vous votre aide vielen herzlichen fur die hilfe ihre schon
		noch einen muito pela pelo sua ajuda um uma bom boa`)
)

// smallTalk reports what kind of small talk text is, when it is nothing else: "Hi!",
// "thanks a lot", "ok, bye" — but not "hi, where is my order?". The chatbot's own name
// counts as small talk ("Hello Baton").
func smallTalk(text, botName string) talkKind {
	ws := words(text)
	if len(ws) == 0 || len(ws) > 8 {
		return talkNone
	}
	name := set(botName)
	var greet, thank, bye, ack bool
	for _, w := range ws {
		switch {
		case has(thankWords, w):
			thank = true
		case has(byeWords, w):
			bye = true
		case has(greetWords, w):
			greet = true
		case has(ackWords, w):
			ack = true
		case has(talkFillers, w), has(name, w):
		default:
			return talkNone
		}
	}
	switch {
	case thank:
		return talkThanks
	case bye:
		return talkBye
	case greet:
		return talkGreeting
	case ack:
		return talkAck
	}
	return talkNone
}
