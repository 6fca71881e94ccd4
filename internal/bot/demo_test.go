package bot

import (
	"context"
	"testing"
)

func TestDemoKnowledgeIsWellFormed(t *testing.T) {
	entries := DemoKnowledge()
	if n := len(entries); n < 18 || n > 30 {
		t.Errorf("DemoKnowledge() has %d entries, want about 20", n)
	}
	ids := map[string]bool{}
	for _, e := range entries {
		if e.ID == "" || e.Question == "" || e.Answer == "" || len(e.Keywords) == 0 {
			t.Errorf("entry %+v has an empty id, question, answer or keywords", e)
		}
		if ids[e.ID] {
			t.Errorf("entry id %q is used twice", e.ID)
		}
		ids[e.ID] = true
	}
}

func TestDemoKnowledgeReturnsACopy(t *testing.T) {
	a := DemoKnowledge()
	a[0].Answer = "changed"
	a[0].Keywords[0] = "changed"
	b := DemoKnowledge()
	if b[0].Answer == "changed" || b[0].Keywords[0] == "changed" {
		t.Error("changing the result of DemoKnowledge() changed the next result")
	}
}

// The demo bot must answer what a visitor trying Baton asks first.
func TestDemoKnowledgeAnswersTheUsualQuestions(t *testing.T) {
	tests := []struct {
		question string
		wantID   string
	}{
		{"What is Baton?", "what-is-baton"},
		{"what's baton", "what-is-baton"},
		{"Which channels do you support?", "channels"},
		{"Do you support WhatsApp?", "channels"},
		{"Does it work with Telegram and email?", "channels"},
		{"How do I embed the widget?", "embed-widget"},
		{"how can I add the chat to my WordPress site", "embed-widget"},
		{"How does the handoff work?", "how-handoff-works"},
		{"Is it free?", "pricing"},
		{"How much does it cost?", "pricing"},
		{"Can I host it on my own server?", "self-hosting"},
		{"Is my data private? GDPR?", "data-privacy"},
		{"What languages does the bot speak?", "languages"},
		{"What happens at night when no agent is online?", "offline-hours"},
		{"Can I use ChatGPT or Ollama?", "ai-models"},
		{"Can visitors upload a PDF?", "attachments"},
		{"How do I try it?", "try-it"},
		{"¿Qué es Baton?", "what-is-baton"},
	}
	ix := NewIndex(DemoKnowledge())
	for _, tt := range tests {
		t.Run(tt.question+" finds "+tt.wantID, func(t *testing.T) {
			hits := ix.Search(tt.question, 2)
			if len(hits) == 0 || hits[0].Entry.ID != tt.wantID {
				t.Fatalf("Search(%q) = %v, want %s first", tt.question, hitIDs(hits), tt.wantID)
			}
			reply, err := (&FAQ{}).Respond(context.Background(), Request{Knowledge: DemoKnowledge(), Transcript: visitorSays(tt.question)})
			if err != nil {
				t.Fatal(err)
			}
			if reply.Content != hits[0].Entry.Answer {
				t.Errorf("FAQ.Respond(%q) = %q (confidence %.2f), want the answer of %s", tt.question, reply.Content, reply.Confidence, tt.wantID)
			}
		})
	}
}

func TestDemoKnowledgeDoesNotPretendToKnowEverything(t *testing.T) {
	for _, q := range []string{
		"What is the weather in Paris?",
		"Do you accept Bitcoin?",
		"Tell me a joke",
		"Who won the football match yesterday?",
		"I want a refund for order 12345",
	} {
		t.Run(q+" is not answered", func(t *testing.T) {
			reply, err := (&FAQ{}).Respond(context.Background(), Request{Knowledge: DemoKnowledge(), Transcript: visitorSays(q)})
			if err != nil {
				t.Fatal(err)
			}
			if reply.Content != locales["en"].notSure {
				t.Errorf("FAQ.Respond(%q) = %q (confidence %.2f), want the unsure answer", q, reply.Content, reply.Confidence)
			}
		})
	}
}

func hitIDs(hits []Hit) []string {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.Entry.ID
	}
	return ids
}
