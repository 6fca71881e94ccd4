package bot

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestBrief(t *testing.T) {
	tests := []struct {
		name       string
		transcript []Turn
		want       string
	}{
		{
			name: "keeps what the visitor wants and skips greetings and the request for a person",
			transcript: visitorSays(
				"Hi there!",
				"Hello! How can I help you today?",
				"My order #48213 never arrived. I was charged twice for it.",
				"I'm not sure I know the answer to that.",
				"Can I talk to a human please?"),
			want: "My order #48213 never arrived. I was charged twice for it.",
		},
		{
			name: "prefers questions, intents and order numbers to chatter",
			transcript: visitorSays(
				"Good morning",
				"Hello!",
				"The base of my lamp is cracked. How do I return it for a refund? Order AB-99812.",
				"…",
				"It is a nice lamp and my cat likes it a lot, honestly.",
			),
			want: "The base of my lamp is cracked. How do I return it for a refund? Order AB-99812.",
		},
		{
			name: "keeps a handoff request that also says what it is about",
			transcript: visitorSays(
				"I want to talk to a human about the invoice I received yesterday for order 5531"),
			want: "I want to talk to a human about the invoice I received yesterday for order 5531",
		},
		{
			name:       "works in other languages",
			transcript: visitorSays("Hola", "¡Hola!", "¿Dónde está mi pedido 77120? Lo pedí hace dos semanas.", "…", "Quiero hablar con una persona"),
			want:       "¿Dónde está mi pedido 77120? Lo pedí hace dos semanas.",
		},
		{
			name: "ignores what the bot and agents said",
			transcript: []Turn{
				{RoleBot, "Do you want to cancel your subscription? Order 12345?"},
				{RoleVisitor, "How do I change my delivery address?"},
				{RoleAgent, "What is your order number?"},
			},
			want: "How do I change my delivery address?",
		},
		{
			name:       "says nothing when the visitor only asked for a person",
			transcript: visitorSays("hello", "Hi!", "human please"),
			want:       "",
		},
		{
			name:       "repeats nothing the visitor said twice",
			transcript: visitorSays("Where is my parcel?", "…", "Where is my parcel?"),
			want:       "Where is my parcel?",
		},
		{
			name: "gives the first sentence with content the benefit of the doubt",
			transcript: []Turn{
				{RoleVisitor, "The lamp flickers."},
				{RoleVisitor, "The red lamp flickers a lot. The blue lamp flickers a lot. The green lamp flickers a lot."},
			},
			want: "The lamp flickers. The red lamp flickers a lot. The blue lamp flickers a lot.",
		},
		{name: "says nothing for an empty transcript"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Brief(tt.transcript); got != tt.want {
				t.Errorf("Brief() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBriefLimits(t *testing.T) {
	var turns []Turn
	for i := 0; i < 6; i++ {
		turns = append(turns, Turn{RoleVisitor, "Why was my card charged twice for order 1234" + string(rune('0'+i)) + "? I need a refund for the duplicate payment as soon as possible please."})
	}
	t.Run("keeps at most three sentences and 300 characters", func(t *testing.T) {
		got := Brief(turns)
		if n := utf8.RuneCountInString(got); n == 0 || n > 300 {
			t.Errorf("Brief() has %d characters, want 1 to 300: %q", n, got)
		}
		if n := strings.Count(got, "?") + strings.Count(got, "."); n > 3 {
			t.Errorf("Brief() has %d sentences, want at most 3: %q", n, got)
		}
	})
	t.Run("cuts a single very long sentence to 300 characters", func(t *testing.T) {
		long := "My order 99881 " + strings.Repeat("is still not here and nobody answers my emails ", 12)
		got := Brief([]Turn{{RoleVisitor, long}})
		if n := utf8.RuneCountInString(got); n > 300 || !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "My order 99881") {
			t.Errorf("Brief() = %q (%d characters), want the start of the sentence cut to 300 with an ellipsis", got, n)
		}
	})
}
