package bot

import (
	"context"
	"errors"
	"testing"
)

// visitorSays builds a transcript: alternating visitor and bot turns, ending with the
// visitor's message.
func visitorSays(turns ...string) []Turn {
	out := make([]Turn, len(turns))
	for i, c := range turns {
		role := RoleVisitor
		if (len(turns)-1-i)%2 == 1 {
			role = RoleBot
		}
		out[i] = Turn{Role: role, Content: c}
	}
	return out
}

func TestFAQRespond(t *testing.T) {
	en := locales["en"]
	tests := []struct {
		name        string
		req         Request
		wantContent string
		wantHandoff bool
		wantReason  string
		minConf     float64
		maxConf     float64
	}{
		{
			name:        "answers a question from the knowledge",
			req:         Request{Knowledge: DemoKnowledge(), Transcript: visitorSays("How do I embed the widget?")},
			wantContent: entryAnswer(t, "embed-widget"),
			minConf:     DefaultThreshold, maxConf: 1,
		},
		{
			name:        "greets back with the chatbot's name",
			req:         Request{ChatbotName: "Baton", Knowledge: DemoKnowledge(), Transcript: visitorSays("Hello Baton!")},
			wantContent: "Hello! I'm Baton. How can I help you today?",
			minConf:     1, maxConf: 1,
		},
		{
			name:        "greets back without a name when the chatbot has none",
			req:         Request{Transcript: visitorSays("good morning")},
			wantContent: en.greetingPlain,
			minConf:     1, maxConf: 1,
		},
		{
			name:        "answers thanks",
			req:         Request{Transcript: visitorSays("What is Baton?", "Baton is…", "thanks a lot!")},
			wantContent: en.thanks,
			minConf:     1, maxConf: 1,
		},
		{
			name:        "answers a goodbye",
			req:         Request{Transcript: visitorSays("ok bye")},
			wantContent: en.bye,
			minConf:     1, maxConf: 1,
		},
		{
			name:        "greets in the chatbot's language",
			req:         Request{ChatbotName: "Ana", Language: "es-MX", Transcript: visitorSays("¡Hola!")},
			wantContent: "¡Hola! Soy Ana. ¿En qué puedo ayudarte hoy?",
			minConf:     1, maxConf: 1,
		},
		{
			name:        "does not take a greeting with a question for small talk",
			req:         Request{Knowledge: DemoKnowledge(), Transcript: visitorSays("Hi, which channels do you support?")},
			wantContent: entryAnswer(t, "channels"),
			minConf:     DefaultThreshold, maxConf: 1,
		},
		{
			name:        "says politely it is not sure of an off-topic question",
			req:         Request{Knowledge: DemoKnowledge(), Transcript: visitorSays("What is the weather in Paris tomorrow?")},
			wantContent: "I'm not sure I know the answer to that. You can rephrase, or ask to talk to a person.",
			maxConf:     DefaultThreshold - 0.01,
		},
		{
			name:        "says it is not sure when there is no knowledge at all",
			req:         Request{Transcript: visitorSays("How do I embed the widget?")},
			wantContent: en.notSure,
			maxConf:     0,
		},
		{
			name:        "says it is not sure in the chatbot's language",
			req:         Request{Language: "fr", Knowledge: DemoKnowledge(), Transcript: visitorSays("Quelle est la météo ?")},
			wantContent: locales["fr"].notSure,
			maxConf:     DefaultThreshold - 0.01,
		},
		{
			name: "hands off after two unsure answers in a row",
			req: Request{Knowledge: DemoKnowledge(), Transcript: visitorSays(
				"What is the weather in Paris?", en.notSure, "Will it rain in Lyon?")},
			wantContent: en.couldNot,
			wantHandoff: true,
			wantReason:  "The assistant could not answer twice",
			maxConf:     DefaultThreshold - 0.01,
		},
		{
			name: "recognises its earlier unsure answer in another language",
			req: Request{Language: "de", Knowledge: DemoKnowledge(), Transcript: visitorSays(
				"Wie wird das Wetter?", locales["en"].notSure, "Regnet es morgen?")},
			wantContent: locales["de"].couldNot,
			wantHandoff: true,
			wantReason:  ReasonCouldNotAnswer,
			maxConf:     DefaultThreshold - 0.01,
		},
		{
			name: "does not hand off when the answer before was a good one",
			req: Request{Knowledge: DemoKnowledge(), Transcript: visitorSays(
				"What is the weather?", en.notSure, "What is Baton?", entryAnswer(t, "what-is-baton"), "Will it rain?")},
			wantContent: en.notSure,
			maxConf:     DefaultThreshold - 0.01,
		},
		{
			name: "does not count an unsure answer from before an agent took part",
			req: Request{Knowledge: DemoKnowledge(), Transcript: []Turn{
				{RoleVisitor, "What is the weather?"}, {RoleBot, en.notSure},
				{RoleAgent, "Hi, I'm Sam. It will be sunny."}, {RoleVisitor, "Will it rain?"},
			}},
			wantContent: en.notSure,
			maxConf:     DefaultThreshold - 0.01,
		},
		{
			name:        "answers the last visitor message even if a bot turn follows it",
			req:         Request{Knowledge: DemoKnowledge(), Transcript: []Turn{{RoleVisitor, "How much does it cost?"}, {RoleBot, "…"}}},
			wantContent: entryAnswer(t, "pricing"),
			minConf:     DefaultThreshold, maxConf: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := (&FAQ{}).Respond(context.Background(), tt.req)
			if err != nil {
				t.Fatalf("Respond: %v", err)
			}
			if got.Content != tt.wantContent {
				t.Errorf("Respond content = %q, want %q", got.Content, tt.wantContent)
			}
			if got.Handoff != tt.wantHandoff || got.HandoffReason != tt.wantReason {
				t.Errorf("Respond handoff = %v %q, want %v %q", got.Handoff, got.HandoffReason, tt.wantHandoff, tt.wantReason)
			}
			if got.Confidence < tt.minConf || got.Confidence > tt.maxConf {
				t.Errorf("Respond confidence = %.2f, want within [%.2f, %.2f]", got.Confidence, tt.minConf, tt.maxConf)
			}
		})
	}
}

func TestFAQRespondWithoutVisitorMessageFails(t *testing.T) {
	for name, transcript := range map[string][]Turn{
		"an empty transcript":         nil,
		"a transcript of bot turns":   {{RoleBot, "Hello!"}},
		"a transcript of agent turns": {{RoleAgent, "Hi, I'm Sam."}},
	} {
		t.Run("fails on "+name, func(t *testing.T) {
			if _, err := (&FAQ{}).Respond(context.Background(), Request{Transcript: transcript}); !errors.Is(err, ErrNoMessage) {
				t.Errorf("Respond error = %v, want ErrNoMessage", err)
			}
		})
	}
}

func TestFAQThresholdIsConfigurable(t *testing.T) {
	req := Request{Knowledge: DemoKnowledge(), Transcript: visitorSays("How do I embed the widget?")}
	got, err := (&FAQ{Threshold: 0.99}).Respond(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got.Content != locales["en"].notSure {
		t.Errorf("Respond with threshold 0.99 = %q (confidence %.2f), want the unsure answer", got.Content, got.Confidence)
	}
}

func TestSmallTalk(t *testing.T) {
	tests := []struct {
		text string
		want talkKind
	}{
		{"Hi!", talkGreeting},
		{"hello there", talkGreeting},
		{"Buenos días", talkGreeting},
		{"Bonjour", talkGreeting},
		{"Guten Tag", talkGreeting},
		{"Olá, boa tarde", talkGreeting},
		{"Thank you so much for your help!", talkThanks},
		{"muchas gracias", talkThanks},
		{"merci beaucoup", talkThanks},
		{"Vielen Dank", talkThanks},
		{"obrigada", talkThanks},
		{"ok, bye", talkBye},
		{"okay cool", talkAck},
		{"got it", talkAck},
		{"hi, where is my order?", talkNone},
		{"thanks, but how do I embed the widget?", talkNone},
		{"help", talkNone},
		{"", talkNone},
	}
	names := map[talkKind]string{talkNone: "not small talk", talkGreeting: "a greeting", talkThanks: "thanks", talkBye: "a goodbye", talkAck: "an acknowledgement"}
	for _, tt := range tests {
		t.Run(tt.text+" is "+names[tt.want], func(t *testing.T) {
			if got := smallTalk(tt.text, ""); got != tt.want {
				t.Errorf("smallTalk(%q) = %s, want %s", tt.text, names[got], names[tt.want])
			}
		})
	}
}

func entryAnswer(t *testing.T, id string) string {
	t.Helper()
	for _, e := range DemoKnowledge() {
		if e.ID == id {
			return e.Answer
		}
	}
	t.Fatalf("no demo entry %q", id)
	return ""
}
