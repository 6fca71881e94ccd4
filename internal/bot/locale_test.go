package bot

import "testing"

func TestLocaleFor(t *testing.T) {
	tests := []struct{ tag, want string }{
		{"", "en"}, {"en-GB", "en"}, {"es", "es"}, {"es-MX", "es"}, {"FR", "fr"}, {"de_AT", "de"}, {"pt-BR", "pt"}, {"ja", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.tag+" speaks "+tt.want, func(t *testing.T) {
			if got := localeFor(tt.tag); got != locales[tt.want] {
				t.Errorf("localeFor(%q) = %q…, want the %s sentences", tt.tag, got.greetingPlain, tt.want)
			}
		})
	}
}

func TestOwnSentencesAreDistinct(t *testing.T) {
	// Fallback and FAQ recognise their earlier failures by these sentences.
	seen := map[string]string{}
	for lang, s := range locales {
		for _, v := range []string{s.notSure, s.apology, s.couldNot, s.unavailable, s.connecting, s.thanks, s.ack, s.bye, s.greetingPlain} {
			if v == "" {
				t.Errorf("locale %s has an empty sentence", lang)
			}
			if other, dup := seen[v]; dup {
				t.Errorf("sentence %q is used twice (%s and %s)", v, other, lang)
			}
			seen[v] = lang
		}
	}
}
