package bot

import (
	"slices"
	"testing"
)

func TestFold(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"lower-cases ASCII", "Hello World", "hello world"},
		{"strips Spanish accents and keeps punctuation", "¿Dónde está mi pedido?", "¿donde esta mi pedido?"},
		{"strips French accents", "Ça coûte très cher, hélas", "ca coute tres cher, helas"},
		{"turns the German sharp s into ss", "Straße, Grüße, MÖCHTE", "strasse, grusse, mochte"},
		{"strips Portuguese accents", "Não consigo falar com atendimento", "nao consigo falar com atendimento"},
		{"normalises typographic apostrophes", "I don’t know", "i don't know"},
		{"leaves other scripts lower-cased", "ПРИВЕТ мир", "привет мир"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fold(tt.in); got != tt.want {
				t.Errorf("fold(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"splits on punctuation and spaces", "Hi!! How's it going?", []string{"hi", "how", "s", "it", "going"}},
		{"splits French elisions", "Je voudrais parler à l'agent", []string{"je", "voudrais", "parler", "a", "l", "agent"}},
		{"keeps digits in words", "Order #A-12345 arrived", []string{"order", "a", "12345", "arrived"}},
		{"returns nothing for punctuation only", "?!...", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := words(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("words(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestStemMapsInflectionsTogether(t *testing.T) {
	groups := []struct {
		name  string
		words []string
	}{
		{"English plurals", []string{"channel", "channels"}},
		{"English -ing and -ed with doubled consonants", []string{"embed", "embedding", "embedded", "embeds"}},
		{"English -e words and their -ing", []string{"price", "prices", "pricing"}},
		{"English -ies plurals", []string{"entry", "entries"}},
		{"Spanish gender and number", []string{"persona", "personas"}},
		{"Spanish and English cognates", []string{"humano", "humanos", "human", "humans"}},
		{"Spanish -ciones", []string{"integracion", "integraciones"}},
		{"Portuguese -ções", []string{"integração", "integrações"}},
		{"German -en plurals", []string{"Mensch", "Menschen"}},
		{"French plurals", []string{"conseiller", "conseillers"}},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			want := stem(words(g.words[0])[0])
			for _, w := range g.words[1:] {
				if got := stem(words(w)[0]); got != want {
					t.Errorf("stem(%q) = %q, want %q (as for %q)", w, got, want, g.words[0])
				}
			}
		})
	}
}

func TestStemKeepsShortAndDistinctWords(t *testing.T) {
	tests := []struct{ in, want string }{
		{"bot", "bot"},
		{"use", "use"},
		{"status", "status"},
		{"business", "business"},
		{"call", "call"},
		{"calling", "call"},
	}
	for _, tt := range tests {
		t.Run(tt.in+" stems to "+tt.want, func(t *testing.T) {
			if got := stem(tt.in); got != tt.want {
				t.Errorf("stem(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTerms(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"drops English stop words and small talk", "Hi, what is the price of the widget?", []string{"pric", "widget"}},
		{"drops Spanish stop words", "¿Cuál es el precio del widget?", []string{"preci", "widget"}},
		{"drops French stop words", "Quel est le prix du widget ?", []string{"prix", "widget"}},
		{"drops German stop words", "Was kostet das Widget?", []string{"kostet", "widget"}},
		{"drops Portuguese stop words", "Qual é o preço do widget?", []string{"prec", "widget"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := terms(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("terms(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"keeps a short text", "hello", 10, "hello"},
		{"cuts at a word boundary with an ellipsis", "the quick brown fox jumps", 18, "the quick brown…"},
		{"cuts inside a long word when there is no space near", "abcdefghijklmnop", 6, "abcde…"},
		{"counts runes, not bytes", "ñññññ", 5, "ñññññ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clip(tt.in, tt.n); got != tt.want {
				t.Errorf("clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}
