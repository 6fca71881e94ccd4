package bot

import (
	"math"
	"testing"
)

func TestSentiment(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		wantLabel string
		strong    bool // at or under StronglyNegative
	}{
		{"a plain question is neutral", "Where is my order?", Neutral, false},
		{"an empty message is neutral", "", Neutral, false},
		{"praise is positive", "Great, that was really helpful!", Positive, false},
		{"thanks are positive", "Thank you so much", Positive, false},
		{"a negation does not cross a comma", "No, thanks!", Positive, false},
		{"a polite refusal is not a negated thanks", "no thanks", Neutral, false},
		{"a mild complaint is negative but not strongly", "The delivery is late", Negative, false},
		{"an insult is strongly negative", "This is useless", Negative, true},
		{"anger with emphasis is strongly negative", "I'm very angry, this is terrible!!!", Negative, true},
		{"shouting makes a complaint strongly negative", "this bot is BAD", Negative, true},
		{"a negated positive is negative", "this is not good", Negative, false},
		{"a negated negative is positive", "not bad at all", Positive, false},
		{"a broken product is strongly negative", "It still doesn't work and it's ridiculous", Negative, true},
		{"angry emoji count", "😡😡", Negative, true},
		{"Spanish anger is strongly negative", "¡Esto es una estafa, es inútil!", Negative, true},
		{"Spanish thanks are positive", "Muchas gracias, muy amable", Positive, false},
		{"French anger is strongly negative", "C'est nul, une vraie arnaque", Negative, true},
		{"French praise is positive", "Merci, c'est parfait", Positive, false},
		{"German anger is strongly negative", "Das ist eine Frechheit, total nutzlos", Negative, true},
		{"German praise is positive", "Vielen Dank, sehr hilfreich", Positive, false},
		{"Portuguese anger is strongly negative", "Que atendimento péssimo, uma vergonha", Negative, true},
		{"Portuguese thanks are positive", "Muito obrigado, ótimo", Positive, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			label, score := Sentiment(tt.text)
			if label != tt.wantLabel {
				t.Errorf("Sentiment(%q) = %s (%.2f), want %s", tt.text, label, score, tt.wantLabel)
			}
			if score < -1 || score > 1 || math.IsNaN(score) {
				t.Errorf("Sentiment(%q) score = %v, want within [-1, 1]", tt.text, score)
			}
			if got := score <= StronglyNegative; got != tt.strong {
				t.Errorf("Sentiment(%q) score = %.2f; strongly negative = %v, want %v", tt.text, score, got, tt.strong)
			}
		})
	}
}

func TestSentimentGrowsWithIntensity(t *testing.T) {
	_, mild := Sentiment("this is bad")
	_, strong := Sentiment("this is very bad")
	_, shouted := Sentiment("this is very bad!!!")
	if !(shouted < strong && strong < mild) {
		t.Errorf(`Sentiment scores: "bad" %.2f, "very bad" %.2f, "very bad!!!" %.2f; want each lower than the one before`, mild, strong, shouted)
	}
}
