package bot

import (
	"context"
	"testing"
)

func TestTriggers(t *testing.T) {
	tests := []struct {
		name       string
		transcript []Turn
		want       bool
		wantReason string
	}{
		{
			name:       "fires when the visitor asks for a person",
			transcript: visitorSays("Where is my order?", "It ships tomorrow.", "I want to talk to a human"),
			want:       true,
			wantReason: `Visitor asked for a human: "I want to talk to a human"`,
		},
		{
			name:       "fires on two strongly negative visitor messages in a row",
			transcript: visitorSays("This is useless!", "Sorry to hear that.", "Terrible service, I'm furious"),
			want:       true,
			wantReason: ReasonUpset,
		},
		{
			name: "fires on two strongly negative messages sent back to back",
			transcript: []Turn{
				{RoleBot, "Hello!"}, {RoleVisitor, "This is useless!"}, {RoleVisitor, "Absolutely terrible."},
			},
			want:       true,
			wantReason: ReasonUpset,
		},
		{
			name:       "does not fire on one strongly negative message",
			transcript: visitorSays("Where is my order?", "It ships tomorrow.", "This is useless!"),
		},
		{
			name:       "does not fire on two mildly negative messages",
			transcript: visitorSays("The delivery is late", "Sorry!", "it's a bit slow"),
		},
		{
			name:       "does not fire when a negative message is followed by a calm one",
			transcript: visitorSays("This is useless!", "Sorry to hear that.", "Where is my order?"),
		},
		{
			name: "does not count a negative message from before an agent stepped in",
			transcript: []Turn{
				{RoleVisitor, "This is useless!"}, {RoleAgent, "Hi, I'm Sam, let me help."},
				{RoleVisitor, "Terrible service, I'm furious"},
			},
		},
		{
			name:       "looks only at the last visitor message for a request",
			transcript: visitorSays("talk to a human", "Sure, finding someone.", "Actually, never mind, where is my order?"),
		},
		{name: "does not fire on an empty transcript"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := Triggers(tt.transcript)
			if got != tt.want || reason != tt.wantReason {
				t.Errorf("Triggers() = %v, %q; want %v, %q", got, reason, tt.want, tt.wantReason)
			}
		})
	}
}

func TestGuard(t *testing.T) {
	inner := ResponderFunc(func(context.Context, Request) (Reply, error) {
		return Reply{Content: "inner answer", Confidence: 0.9}, nil
	})

	t.Run("hands off without asking the responder when a rule fires", func(t *testing.T) {
		called := false
		r := Guard(ResponderFunc(func(ctx context.Context, req Request) (Reply, error) {
			called = true
			return inner(ctx, req)
		}))
		got, err := r.Respond(context.Background(), Request{Language: "pt-BR", Transcript: visitorSays("Quero falar com um atendente")})
		if err != nil {
			t.Fatal(err)
		}
		want := Reply{Content: locales["pt"].connecting, Handoff: true, HandoffReason: `Visitor asked for a human: "Quero falar com um atendente"`}
		if got != want {
			t.Errorf("Respond = %+v, want %+v", got, want)
		}
		if called {
			t.Error("the inner responder was asked, want it skipped")
		}
	})
	t.Run("passes other messages to the responder", func(t *testing.T) {
		got, err := Guard(inner).Respond(context.Background(), Request{Transcript: visitorSays("Where is my order?")})
		if err != nil {
			t.Fatal(err)
		}
		if got.Content != "inner answer" || got.Handoff {
			t.Errorf("Respond = %+v, want the inner answer", got)
		}
	})
}
